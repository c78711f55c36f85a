//! The runtime-wide defaults, set on [`RuntimeBuilder`] once at start-up.

use super::LedgerLevel;
use crate::chain::Retention;
use crate::events::{Event, EventKind, Subscriber};
use crate::hooks::Hooks;
use crate::middleware::{DynMiddleware, Middleware};
use crate::{RetryPolicy, RuntimeBuilder};
use std::borrow::Cow;
use std::fmt;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

/// What every execution of a runtime shares: middleware, hooks, defaults,
/// subscribers. Empty by default, which costs a few branches per execution.
#[derive(Clone, Default)]
pub(crate) struct Global {
    pub(crate) middleware: Vec<Arc<dyn DynMiddleware>>,
    pub(crate) hooks: Vec<Arc<dyn Hooks>>,
    pub(crate) retry: Option<RetryPolicy>,
    pub(crate) timeout: Option<Duration>,
    pub(crate) subscribers: Vec<Arc<dyn Subscriber>>,
    pub(crate) tags: Vec<Cow<'static, str>>,
    pub(crate) exclude: Vec<Cow<'static, str>>,
    pub(crate) ledger: LedgerLevel,
    /// How many records a chain keeps in memory for `Outcome::chain()`.
    pub(crate) chain_retention: Retention,
}

impl Global {
    /// Delivers one event to every subscriber; a panicking subscriber is
    /// ignored.
    #[inline]
    pub(crate) fn emit(&self, task: &str, ids: (Uuid, Uuid, u32), kind: EventKind<'_>) {
        if !self.subscribers.is_empty() {
            self.deliver(task, ids, kind);
        }
    }

    #[inline(never)]
    fn deliver(&self, task: &str, ids: (Uuid, Uuid, u32), kind: EventKind<'_>) {
        let (cid, tid, index) = ids;
        let event = Event {
            task,
            tid,
            cid,
            index,
            kind,
        };
        for subscriber in &self.subscribers {
            let _ = std::panic::catch_unwind(AssertUnwindSafe(|| subscriber.event(&event)));
        }
    }
}

impl fmt::Debug for Global {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Global")
            .field("middleware", &self.middleware.len())
            .field("hooks", &self.hooks.len())
            .field("retry", &self.retry)
            .field("timeout", &self.timeout)
            .field("subscribers", &self.subscribers.len())
            .field("tags", &self.tags)
            .field("exclude", &self.exclude)
            .field("ledger", &self.ledger)
            .field("chain_retention", &self.chain_retention)
            .finish()
    }
}

/// Runtime-wide middleware, hooks, defaults and event subscribers.
impl RuntimeBuilder {
    /// Wraps every execution in `middleware`. The first layer added is the
    /// outermost; a task's own layers ([`Settings::layer`]) sit inside all
    /// of the runtime's. See [`middleware`](crate::middleware).
    ///
    /// [`Settings::layer`]: crate::Settings::layer
    pub fn layer(mut self, middleware: impl Middleware) -> Self {
        self.config_mut().middleware.push(Arc::new(middleware));
        self
    }

    /// Runs `hooks` at every execution's lifecycle points, before the
    /// task's own hooks. See [`Hooks`].
    pub fn hooks(mut self, hooks: impl Hooks) -> Self {
        self.config_mut().hooks.push(Arc::new(hooks));
        self
    }

    /// The retry policy of tasks whose settings set none.
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.config_mut().retry = Some(policy);
        self
    }

    /// The time limit of `work` for tasks whose settings set none.
    pub fn timeout(mut self, limit: Duration) -> Self {
        self.config_mut().timeout = Some(limit);
        self
    }

    /// Delivers runtime events (started, retried, rolled back, executed…)
    /// to `subscriber`. See [`Event`].
    pub fn subscribe(mut self, subscriber: impl Subscriber) -> Self {
        self.config_mut().subscribers.push(Arc::new(subscriber));
        self
    }

    /// Tags written on every line and span, before the task's own tags.
    pub fn tags<I, S>(mut self, tags: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<Cow<'static, str>>,
    {
        self.config_mut()
            .tags
            .extend(tags.into_iter().map(Into::into));
        self
    }

    /// Input fields left out of every line's `input`.
    pub fn exclude_input<I, S>(mut self, fields: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<Cow<'static, str>>,
    {
        self.config_mut()
            .exclude
            .extend(fields.into_iter().map(Into::into));
        self
    }

    /// Which executions write a line, for tasks whose settings set no level.
    pub fn ledger_level(mut self, level: LedgerLevel) -> Self {
        self.config_mut().ledger = level;
        self
    }

    /// How many records of each chain are kept in memory for
    /// [`Outcome::chain`](crate::Outcome::chain): the first `first` and the
    /// last `last` to finish, besides the root's. Default: 500 and 500, so
    /// a chain's memory is bounded whatever its length (each record holds
    /// its input). Records left out are counted
    /// ([`Chain::omitted`](crate::Chain::omitted)) and are in the ledger.
    /// `chain_retention(0, 0)` keeps none: only roots' records remain.
    pub fn chain_retention(mut self, first: usize, last: usize) -> Self {
        self.config_mut().chain_retention = Retention { first, last };
        self
    }
}
