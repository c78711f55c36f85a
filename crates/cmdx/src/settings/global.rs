//! The runtime-wide defaults, set on [`RuntimeBuilder`] once at start-up.

use super::LedgerLevel;
use crate::chain::Retention;
use crate::contain::{self, Counters, Panicked, Plugin};
use crate::events::{Event, EventKind, Subscriber};
use crate::hooks::Hooks;
use crate::middleware::{DynMiddleware, Middleware};
use crate::{RetryPolicy, RuntimeBuilder};
use std::borrow::Cow;
use std::fmt;
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
    /// `None`: [`DEFAULT_ROLLBACK_TIMEOUT`].
    pub(crate) rollback_timeout: Option<Duration>,
    pub(crate) subscribers: Vec<Arc<dyn Subscriber>>,
    pub(crate) tags: Vec<Cow<'static, str>>,
    pub(crate) exclude: Vec<Cow<'static, str>>,
    pub(crate) ledger: LedgerLevel,
    /// Contained plug-in panics, per kind (shared by the runtime's clones).
    pub(crate) panics: Arc<Counters>,
    /// How many records a chain keeps in memory for `Outcome::chain()`.
    pub(crate) chain_retention: Retention,
}

/// How long a rollback or a compensation may run when neither the task
/// ([`Settings::rollback_timeout`](crate::Settings::rollback_timeout)) nor
/// the runtime ([`RuntimeBuilder::rollback_timeout`]) sets a limit.
pub(crate) const DEFAULT_ROLLBACK_TIMEOUT: Duration = Duration::from_secs(30);

impl Global {
    /// The time limit of a rollback whose task sets none.
    pub(crate) fn rollback_timeout(&self) -> Duration {
        self.rollback_timeout.unwrap_or(DEFAULT_ROLLBACK_TIMEOUT)
    }

    /// Runs plug-in code `f` on behalf of one execution (`task`, `ids` =
    /// `(cid, tid, index)`); a panic is contained and [reported](Self::report).
    pub(crate) fn contain<R>(
        &self,
        plugin: Plugin,
        task: &str,
        ids: (Uuid, Uuid, u32),
        f: impl FnOnce() -> R,
    ) -> Result<R, Panicked> {
        contain::catch(plugin, f).inspect_err(|panicked| self.report(task, ids, panicked))
    }

    /// Reports a contained panic: counted, a notice on stderr (once per
    /// kind and process), and a `PluginPanicked` event.
    #[cold]
    pub(crate) fn report(&self, task: &str, ids: (Uuid, Uuid, u32), panicked: &Panicked) {
        self.panics.count(panicked);
        let kind = EventKind::PluginPanicked {
            plugin: panicked.plugin,
            message: &panicked.message,
        };
        self.emit(task, ids, kind);
    }

    /// Delivers one event to every subscriber; a panicking subscriber is
    /// contained (counted, not announced: that could recurse).
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
            if let Err(panicked) = contain::catch(Plugin::Subscriber, || subscriber.event(&event)) {
                self.panics.count(&panicked);
            }
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
            .field("rollback_timeout", &self.rollback_timeout())
            .field("subscribers", &self.subscribers.len())
            .field("tags", &self.tags)
            .field("exclude", &self.exclude)
            .field("ledger", &self.ledger)
            .field("contained_panics", &self.panics.snapshot().total())
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

    /// The time limit of rollbacks — a task's own after its failure, and
    /// a workflow step's compensation — for tasks whose settings set none
    /// (default: 30 s). A rollback still
    /// running then is dropped; the outcome keeps its reason, and
    /// `framework.rollback_error` (or the compensation's `rollback` line)
    /// says it timed out. See [`Settings::rollback_timeout`].
    ///
    /// [`Settings::rollback_timeout`]: crate::Settings::rollback_timeout
    pub fn rollback_timeout(mut self, limit: Duration) -> Self {
        self.config_mut().rollback_timeout = Some(limit);
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
