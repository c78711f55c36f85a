//! Chains: every execution awaited inside another joins its chain.
//!
//! A chain is carried by a `tokio::task_local!`, so nested
//! `execute().await` calls, `join_all` of several, and [`spawn`](crate::spawn)ed tasks all
//! join it without passing ids by hand. Plain `tokio::spawn` does not inherit
//! task-locals: an execution there starts a fresh chain.

mod retained;
pub(crate) mod scope;
pub(crate) mod shared;

pub(crate) use retained::Retention;
/// A record for unit tests outside the chain module.
#[cfg(test)]
pub(crate) use retained::tests::a_record;

use crate::ledger::Record;
use crate::{Runtime, Status};
use retained::Snapshot;
use scope::{ChainState, Frame, Scope};
use shared::SharedRecord;
use std::future::Future;
use std::sync::{Arc, OnceLock};
use uuid::Uuid;

/// A finished chain, as kept in memory: the root's record and a bounded
/// window of the others, index 0 first. Roots expose theirs with
/// [`Outcome::chain`](crate::Outcome::chain).
///
/// **Bounded.** A chain keeps in memory the first 500 and the last 500
/// records to finish (besides the root's), whatever its length, so memory
/// stays flat when one root executes a million children; change the window
/// with [`RuntimeBuilder::chain_retention`](crate::RuntimeBuilder::chain_retention).
/// A longer chain is complete in the ledger, not here: [`omitted`](Self::omitted)
/// says how many records were left out ([`is_complete`](Self::is_complete)
/// whether none were), and `cmdx ledger tree` shows them all. A failure's
/// origin does not depend on this window: the outcome and the
/// [`Fault`](crate::Fault) carry its record.
///
/// The records are collected on first access (nothing is copied for
/// callers who never look), so a chain read after a detached
/// [`spawn`](crate::spawn)ed child finished includes that child too.
#[derive(Clone)]
pub struct Chain {
    /// The root's record, which holds the chain's state.
    root: SharedRecord,
    records: OnceLock<Snapshot>,
}

impl Chain {
    /// The chain of `root`, a root's record (see
    /// [`SharedRecord::chain_of_root`]).
    pub(crate) fn new(root: SharedRecord) -> Self {
        Self {
            root,
            records: OnceLock::new(),
        }
    }

    fn snapshot(&self) -> &Snapshot {
        self.records.get_or_init(|| {
            let mut snapshot = self
                .root
                .chain_of_root()
                .map(|state| state.snapshot())
                .unwrap_or_default();
            snapshot.records.insert(0, self.root.clone());
            snapshot
        })
    }

    fn all(&self) -> &[SharedRecord] {
        &self.snapshot().records
    }

    /// The chain id (UUIDv7).
    pub fn id(&self) -> Uuid {
        self.root.cid
    }

    /// Every record kept, ordered by index (every record of the chain when
    /// [`is_complete`](Self::is_complete)).
    pub fn records(&self) -> impl ExactSizeIterator<Item = &Record> {
        self.all().iter().map(|r| &**r)
    }

    /// How many records the chain holds in memory (the root's included).
    pub fn len(&self) -> usize {
        self.all().len()
    }

    /// Whether the chain holds no record.
    pub fn is_empty(&self) -> bool {
        self.all().is_empty()
    }

    /// How many records of the chain were left out of memory (they finished
    /// after the first and before the last kept; the ledger has them). The
    /// chain's length is `len() + omitted()`.
    pub fn omitted(&self) -> u64 {
        self.snapshot().omitted
    }

    /// Whether every record of the chain is held ([`omitted`](Self::omitted)
    /// is 0).
    pub fn is_complete(&self) -> bool {
        self.omitted() == 0
    }

    /// The record at `index`, if kept.
    pub fn get(&self, index: u32) -> Option<&Record> {
        let all = self.all();
        all.binary_search_by_key(&index, |r| r.index)
            .ok()
            .map(|at| &*all[at])
    }

    /// The records kept that failed.
    pub fn failures(&self) -> impl Iterator<Item = &Record> {
        self.records().filter(|r| r.status == Status::Failed)
    }
}

impl std::fmt::Debug for Chain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Chain")
            .field("id", &self.id())
            .field("records", &self.len())
            .field("omitted", &self.omitted())
            .finish()
    }
}

/// Opens one chain around a future, so that everything executed inside —
/// even several top-level executions one after another — shares one chain
/// id and external id. Use it where a unit of work (an HTTP request, a job)
/// should read as one chain, or to continue a chain begun in another service.
///
/// The first top-level execution gets index 0 and `root: true`; later
/// top-level executions get the next indexes and no parent.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use cmdx::prelude::*;
/// use cmdx::{ChainScope, Ledger, Runtime};
///
/// #[derive(Debug, Serialize, Deserialize, Validate)]
/// struct Ping {}
/// impl Task for Ping {
///     type Output = ();
///     fn name() -> &'static str {
///         "Ping"
///     }
///     async fn work(&self, _: &mut Cx) -> Result<(), Halt> { Ok(()) }
/// }
///
/// let runtime = Runtime::builder().ledger(Ledger::off()).build();
/// let chain = ChainScope::new().xid("req-42");
/// let cid = chain.id();
/// let outcome = runtime.scope(chain.run(Ping {}.execute())).await;
/// assert_eq!(outcome.chain_id(), cid);
/// assert_eq!(outcome.record().xid.as_deref(), Some("req-42"));
/// # }
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct ChainScope {
    cid: Uuid,
    xid: Option<Arc<str>>,
    parent: Option<Uuid>,
}

impl ChainScope {
    /// A new chain with a fresh UUIDv7 id.
    pub fn new() -> Self {
        Self::with_id(crate::id::uuid_v7_now())
    }

    /// Continues the chain `cid` (for example, one begun in another service
    /// and received through `baggage`). Indexes start again at 0 in this
    /// scope: an index is unique within one scope only (two scopes
    /// continuing `cid` both have an index 0), so identify executions by
    /// `tid` — and use [`Cx::idempotency_key`](crate::Cx::idempotency_key),
    /// which is the `tid`, not `(cid, index)`. `parent` links across
    /// processes when set with [`ChainScope::parent`].
    pub fn with_id(cid: Uuid) -> Self {
        Self {
            cid,
            xid: None,
            parent: None,
        }
    }

    /// Sets the external correlation id (for example an HTTP request id).
    pub fn xid(mut self, xid: impl Into<String>) -> Self {
        self.xid = Some(Arc::from(xid.into()));
        self
    }

    /// Makes top-level executions children of `tid` (an execution in
    /// another process), so they are not roots.
    pub fn parent(mut self, tid: Uuid) -> Self {
        self.parent = Some(tid);
        self
    }

    /// The chain id executions in this scope will share.
    pub fn id(&self) -> Uuid {
        self.cid
    }

    /// Runs `fut` inside the chain, with the current [`Runtime`].
    pub async fn run<F: Future>(self, fut: F) -> F::Output {
        let scope = Scope::In(Frame {
            chain: Arc::new(ChainState::new(self.cid, self.xid, Runtime::current())),
            parent: self.parent,
        });
        scope::enter(scope, fut).await
    }
}

impl Default for ChainScope {
    fn default() -> Self {
        Self::new()
    }
}

/// The chain id of the execution running here, if any.
pub fn current_id() -> Option<Uuid> {
    match scope::current() {
        Some(Scope::In(frame)) => Some(frame.chain.cid),
        _ => None,
    }
}
