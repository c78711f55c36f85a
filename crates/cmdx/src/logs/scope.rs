//! Which execution is running here, for the log layer: a task-local set
//! around everything an execution runs (middleware, hooks, `work`,
//! rollback), apart from the chain's own task-local so that chains keep
//! their rules (an execution started by middleware is not a child).

use crate::TraceIds;
use crate::chain::scope::ChainState;
use futures::future::Either;
use std::borrow::Cow;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use tokio::task::futures::TaskLocalFuture;
use uuid::Uuid;

tokio::task_local! {
    static CURRENT: Arc<Current>;
}

/// Set once a [`LogLayer`](super::LogLayer) joins a subscriber: until then
/// executions record nothing for it (one branch each).
static ACTIVE: AtomicBool = AtomicBool::new(false);

pub(super) fn activate() {
    ACTIVE.store(true, Ordering::Relaxed);
}

/// Whether executions should make themselves known to the log layer.
#[inline]
pub(crate) fn is_active() -> bool {
    ACTIVE.load(Ordering::Relaxed)
}

/// The execution running here, as its log lines name it.
pub(crate) struct Current {
    pub(super) chain: Arc<ChainState>,
    pub(super) tid: Uuid,
    pub(super) index: u32,
    pub(super) task: Cow<'static, str>,
    pub(super) span: tracing::Span,
    /// The span's ids, read once through the runtime's trace bridge.
    trace: OnceLock<Option<TraceIds>>,
}

impl Current {
    pub(crate) fn new(
        chain: Arc<ChainState>,
        tid: Uuid,
        index: u32,
        task: Cow<'static, str>,
        span: tracing::Span,
    ) -> Self {
        Self {
            chain,
            tid,
            index,
            task,
            span,
            trace: OnceLock::new(),
        }
    }

    pub(super) fn ids(&self) -> (Uuid, Uuid, u32) {
        (self.chain.cid, self.tid, self.index)
    }

    /// The execution's trace and span ids, as on its ledger line (read
    /// once; a panicking bridge is contained and leaves them null).
    pub(super) fn trace_ids(&self) -> Option<&TraceIds> {
        self.trace
            .get_or_init(|| {
                let runtime = &self.chain.runtime;
                let bridge = runtime.trace()?;
                let read = || bridge.trace_ids(&self.span);
                let global = runtime.config();
                let plugin = crate::Plugin::TraceBridge;
                global
                    .contain(plugin, &self.task, self.ids(), read)
                    .ok()
                    .flatten()
            })
            .as_ref()
    }
}

/// Runs `fut` with `current` as the execution events are attributed to.
pub(crate) fn enter<F: Future>(current: Current, fut: F) -> TaskLocalFuture<Arc<Current>, F> {
    CURRENT.scope(Arc::new(current), fut)
}

/// Runs `fut` with the execution current here (if any) still current:
/// for work an execution spawns.
pub(crate) fn carry<F: Future>(fut: F) -> Either<F, TaskLocalFuture<Arc<Current>, F>> {
    match CURRENT.try_with(Arc::clone) {
        Ok(current) => Either::Right(CURRENT.scope(current, fut)),
        Err(_) => Either::Left(fut),
    }
}

/// Calls `f` with the execution current here, if any.
pub(super) fn with_current<R>(f: impl FnOnce(&Current) -> R) -> Option<R> {
    CURRENT.try_with(|current| f(current)).ok()
}
