//! [`RuntimeBuilder`]: everything a [`Runtime`] is built from, in one place
//! — where lines go, resources, the trace bridge, and the runtime-wide
//! middleware, hooks, defaults and subscribers (kept in
//! [`Global`](crate::settings::Global)).

use super::{Inner, Runtime, TraceBridge};
use crate::chain::Retention;
use crate::hooks::{Around, Hooks};
use crate::ledger::Ledger;
use crate::settings::{Global, LedgerLevel};
use crate::{Middleware, RetryPolicy, Subscriber};
use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// Builds a [`Runtime`]; see [`Runtime::builder`].
#[must_use]
pub struct RuntimeBuilder {
    inner: Inner,
}

impl RuntimeBuilder {
    pub(super) fn new(inner: Inner) -> Self {
        Self { inner }
    }

    /// Where ledger lines go (default: stdout).
    pub fn ledger(mut self, ledger: impl Into<Ledger>) -> Self {
        self.inner.ledger = ledger.into();
        self
    }

    /// Adds a resource tasks read with [`Cx::resource`](crate::Cx::resource).
    /// One value per type; a second value of the same type replaces the first.
    pub fn resource<T: Send + Sync + 'static>(mut self, value: T) -> Self {
        self.inner.resources.insert(value);
        self
    }

    /// Connects spans to a tracer (see [`TraceBridge`]).
    pub fn trace_bridge(mut self, bridge: impl TraceBridge) -> Self {
        self.inner.trace = Some(Arc::new(bridge));
        self
    }

    fn config_mut(&mut self) -> &mut Global {
        &mut self.inner.global
    }

    /// Finishes the runtime.
    pub fn build(self) -> Runtime {
        Runtime {
            inner: Arc::new(self.inner),
        }
    }
}

impl fmt::Debug for RuntimeBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RuntimeBuilder").finish_non_exhaustive()
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
    /// task's own hooks. See [`Hooks`]; for hooks that apply only to some
    /// executions, register `hooks.when(|cx| …)` (see [`When`](crate::When)).
    pub fn hooks(mut self, hooks: impl Hooks) -> Self {
        self.config_mut().hooks.push(Arc::new(hooks));
        self
    }

    /// Wraps every execution's `work` and rollback in `around`, outside
    /// the task's own around hooks; the first registered is the outermost.
    /// See [`Around`].
    pub fn around(mut self, around: impl Around) -> Self {
        self.config_mut().arounds.push(Arc::new(around));
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
    /// to `subscriber`. See [`Event`](crate::Event).
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
