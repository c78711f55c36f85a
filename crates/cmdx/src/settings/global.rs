//! The runtime-wide defaults, set on [`RuntimeBuilder`](crate::RuntimeBuilder)
//! once at start-up.

use super::LedgerLevel;
use crate::RetryPolicy;
use crate::chain::Retention;
use crate::contain::{self, Counters, Panicked, Plugin};
use crate::events::{Event, EventKind, Subscriber};
use crate::hooks::{DynAround, Hooks};
use crate::middleware::DynMiddleware;
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
    pub(crate) arounds: Vec<Arc<dyn DynAround>>,
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
/// the runtime ([`RuntimeBuilder::rollback_timeout`](crate::RuntimeBuilder::rollback_timeout)) sets a limit.
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
            .field("arounds", &self.arounds.len())
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
