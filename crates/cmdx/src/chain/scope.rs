//! The task-local that carries the current runtime and chain through `.await`.

use super::retained::{Retained, Snapshot};
use super::shared::SharedRecord;
use crate::Runtime;
use crate::ledger::Record;
use std::future::Future;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use uuid::Uuid;

tokio::task_local! {
    static SCOPE: Scope;
}

/// What the task-local holds: a runtime, or a position in a chain (whose
/// state holds the runtime, so one handle is cloned per nesting level).
#[derive(Clone)]
pub(crate) enum Scope {
    /// `Runtime::scope`: executions here start new chains.
    Top(Runtime),
    /// Inside a chain.
    In(Frame),
}

impl Scope {
    pub(crate) fn runtime(&self) -> &Runtime {
        match self {
            Scope::Top(runtime) => runtime,
            Scope::In(frame) => &frame.chain.runtime,
        }
    }
}

/// A position in a chain: executions started here join `chain` as children
/// of `parent` (top-level executions of a [`ChainScope`] have no parent).
///
/// [`ChainScope`]: crate::ChainScope
#[derive(Clone)]
pub(crate) struct Frame {
    pub(crate) chain: Arc<ChainState>,
    pub(crate) parent: Option<Uuid>,
}

impl std::fmt::Debug for ChainState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChainState")
            .field("cid", &self.cid)
            .field("xid", &self.xid())
            .finish_non_exhaustive()
    }
}

/// One chain: its ids, the next index to hand out, its root's record once
/// finished, and a bounded window of the others (see [`Retained`]): memory
/// flat in the chain's length.
pub(crate) struct ChainState {
    pub(crate) cid: Uuid,
    /// The runtime every execution of the chain runs under.
    pub(crate) runtime: Runtime,
    /// Set at most once: by a [`ChainScope`](crate::ChainScope), or by the
    /// first execution's middleware (correlation).
    xid: OnceLock<Arc<str>>,
    next_index: AtomicU32,
    /// The root's record, set when it finishes (see [`SharedRecord`]).
    ///
    /// [`SharedRecord`]: super::shared::SharedRecord
    root: OnceLock<Record>,
    /// Inline: empty, it allocates nothing, and a chain with descendants
    /// saves an allocation.
    records: Mutex<Retained>,
}

impl ChainState {
    #[inline]
    pub(crate) fn new(cid: Uuid, xid: Option<Arc<str>>, runtime: Runtime) -> Self {
        let cell = OnceLock::new();
        if let Some(xid) = xid {
            let _ = cell.set(xid);
        }
        Self {
            cid,
            runtime,
            xid: cell,
            next_index: AtomicU32::new(0),
            root: OnceLock::new(),
            records: Mutex::new(Retained::default()),
        }
    }

    /// A new chain whose index 0 is taken by the root that starts it.
    #[inline]
    pub(crate) fn started_by_root(cid: Uuid, runtime: Runtime) -> Self {
        Self {
            next_index: AtomicU32::new(1),
            ..Self::new(cid, None, runtime)
        }
    }

    /// The external correlation id, if set.
    pub(crate) fn xid(&self) -> Option<&Arc<str>> {
        self.xid.get()
    }

    /// Sets the external correlation id; `false` if it was set already.
    pub(crate) fn set_xid(&self, xid: Arc<str>) -> bool {
        self.xid.set(xid).is_ok()
    }

    /// Hands out the next index; indexes are assigned at start, so they are
    /// unique even when executions finish in another order.
    pub(crate) fn next_index(&self) -> u32 {
        self.next_index.fetch_add(1, Ordering::Relaxed)
    }

    /// Offers a finished descendant's record to the window kept for
    /// [`Chain`](crate::Chain); one pushed out is dropped after the lock.
    pub(crate) fn push(&self, record: SharedRecord) {
        let retention = self.runtime.config().chain_retention;
        let evicted = self.lock().push(record, retention);
        drop(evicted);
    }

    /// The records kept, sorted by index, and how many were left out.
    pub(crate) fn snapshot(&self) -> Snapshot {
        self.lock().snapshot()
    }

    /// Keeps the root's record, or gives it back if one is kept already.
    #[inline]
    pub(crate) fn set_root(&self, record: Record) -> Option<Record> {
        self.root.set(record).err()
    }

    /// The root's record, once it finished.
    pub(crate) fn root(&self) -> Option<&Record> {
        self.root.get()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Retained> {
        self.records
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

pub(crate) fn current() -> Option<Scope> {
    SCOPE.try_with(Scope::clone).ok()
}

pub(crate) fn enter<F: Future>(scope: Scope, fut: F) -> impl Future<Output = F::Output> {
    SCOPE.scope(scope, fut)
}

/// Runs `f` with `scope` current (outside any future: from a `Drop`).
pub(crate) fn sync_enter<R>(scope: Scope, f: impl FnOnce() -> R) -> R {
    SCOPE.sync_scope(scope, f)
}
