//! [`Cx`]: what `work` can reach besides its inputs.

use crate::chain::scope::ChainState;
use crate::resources::MissingResource;
use crate::{Context, Runtime};
use std::borrow::Cow;
use std::sync::Arc;
use uuid::Uuid;

/// The execution context handed to [`Task::work`](crate::Task::work) and
/// [`Task::rollback`](crate::Task::rollback): resources, the chain position,
/// and the shared [`Context`].
#[derive(Debug)]
pub struct Cx {
    chain: Arc<ChainState>,
    task: Cow<'static, str>,
    cid: Uuid,
    tid: Uuid,
    index: u32,
    xid: Option<Arc<str>>,
    pub(crate) attempt: u32,
    pub(crate) compensating: bool,
    context: Context,
}

impl Cx {
    /// The context of one execution's `work` or `rollback`: execution
    /// `tid` of `task`, at `index` in `chain` (the engine passes what it
    /// knows; this module knows nothing of the engine).
    pub(crate) fn new(
        chain: Arc<ChainState>,
        task: Cow<'static, str>,
        (tid, index): (Uuid, u32),
        context: Context,
    ) -> Self {
        Self {
            cid: chain.cid,
            xid: chain.xid().cloned(),
            chain,
            task,
            tid,
            index,
            attempt: 0,
            compensating: false,
            context,
        }
    }

    /// A resource of the runtime, by type; with `?` in `work`, a missing
    /// resource fails the task with a reason saying how to add it.
    pub fn resource<T: Send + Sync + 'static>(&self) -> Result<&T, MissingResource> {
        self.chain
            .runtime
            .resources()
            .get::<T>()
            .ok_or_else(|| MissingResource::new::<T>(&self.task))
    }

    /// The runtime this execution runs under.
    pub fn runtime(&self) -> &Runtime {
        &self.chain.runtime
    }

    /// The running task's name.
    pub fn task_name(&self) -> &str {
        &self.task
    }

    /// The chain id.
    pub fn chain_id(&self) -> Uuid {
        self.cid
    }

    /// This execution's id.
    pub fn tid(&self) -> Uuid {
        self.tid
    }

    /// This execution's index in the chain.
    pub fn index(&self) -> u32 {
        self.index
    }

    /// The chain's external correlation id.
    pub fn xid(&self) -> Option<&str> {
        self.xid.as_deref()
    }

    pub(crate) fn set_xid(&mut self, xid: Arc<str>) {
        self.xid = Some(xid);
    }

    /// Which attempt of `work` this is: 0 for the first, 1 for the first retry.
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// In `rollback`: whether it undoes a *completed* execution (a workflow
    /// compensating an earlier step) rather than cleaning up after this
    /// task's own failure. A task whose failure leaves nothing behind only
    /// needs to act when this is true.
    pub fn is_compensating(&self) -> bool {
        self.compensating
    }

    /// A key that is the same for every attempt (retry) of this execution
    /// and different for every other execution, in this process or any
    /// other a chain crosses: this execution's [`tid`](Self::tid), as 36
    /// characters (`019a…-…`). Hand it to an external API (a payment
    /// provider's `Idempotency-Key`) so a retried call that did reach it is
    /// not applied twice.
    ///
    /// Not `(cid, index)`: indexes restart at 0 in every
    /// [`ChainScope`](crate::ChainScope) that continues a chain (every
    /// service a request crosses), so two executions there would share a
    /// key. A `tid` is a UUIDv7 whose 74 random bits come from a per-thread
    /// generator seeded from the operating system (see `docs/retries.md`).
    ///
    /// A retry of the *caller* runs this task again as a new execution,
    /// with a new key: to deduplicate across the caller's retries, pass the
    /// caller's key down in the input.
    pub fn idempotency_key(&self) -> String {
        self.tid.hyphenated().to_string()
    }

    /// The shared key-value context (workflow steps read and write it).
    pub fn context(&self) -> &Context {
        &self.context
    }

    /// The shared key-value context, mutably.
    pub fn context_mut(&mut self) -> &mut Context {
        &mut self.context
    }
}
