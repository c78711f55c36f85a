//! [`Call`]: the execution as a middleware sees it.

use crate::Cx;
use crate::exec::Execution;
use serde_json::Value;
use serde_json::value::RawValue;
use std::any::Any;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;
use uuid::Uuid;

/// A time limit on `work`: when it passes, and how long it was.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Deadline {
    pub(crate) at: Instant,
    pub(crate) limit: Duration,
}

impl Deadline {
    pub(crate) fn after(limit: Duration) -> Self {
        Self {
            at: Instant::now() + limit,
            limit,
        }
    }

    /// The earlier of two deadlines.
    pub(crate) fn min(a: Option<Self>, b: Option<Self>) -> Option<Self> {
        match (a, b) {
            (Some(a), Some(b)) => Some(if b.at < a.at { b } else { a }),
            (a, b) => a.or(b),
        }
    }
}

/// One execution on its way through the middleware: the task's name, tags
/// and inputs, its chain position, its [`Cx`]. Pass it on with
/// [`Next::run`](crate::middleware::Next::run).
pub struct Call<'a> {
    pub(crate) cx: &'a mut Cx,
    pub(crate) execution: &'a Execution,
    pub(crate) input: &'a (dyn Fn() -> Option<Box<RawValue>> + Sync),
    pub(crate) task: Option<&'a (dyn Any + Send + Sync)>,
    pub(crate) deadline: Option<Deadline>,
}

impl<'a> Call<'a> {
    /// The task's name.
    pub fn task_name(&self) -> &str {
        &self.execution.spec.task
    }

    /// The task's tags (the runtime's, then the task's).
    pub fn tags(&self) -> impl Iterator<Item = &str> {
        let global = self.execution.runtime().config().tags.iter().map(|t| &**t);
        global.chain(self.execution.spec.tags.iter().copied())
    }

    /// The task's inputs as JSON, [`Secret`](crate::Secret) fields
    /// `"[REDACTED]"` (`Value::Null` when unavailable). Serialized on each call.
    pub fn input(&self) -> Value {
        (self.input)()
            .or_else(|| self.execution.input.clone())
            .and_then(|raw| serde_json::from_str(raw.get()).ok())
            .unwrap_or(Value::Null)
    }

    /// The task itself, if it is a `T`.
    pub fn task<T: 'static>(&self) -> Option<&T> {
        self.task.and_then(|task| task.downcast_ref())
    }

    /// The execution context `work` will receive (resources, shared
    /// [`Context`](crate::Context)).
    pub fn cx(&self) -> &Cx {
        self.cx
    }

    /// The execution context, mutably: put what `work` needs in its
    /// [`Context`](crate::Context).
    pub fn cx_mut(&mut self) -> &mut Cx {
        self.cx
    }

    /// The chain id.
    pub fn chain_id(&self) -> Uuid {
        self.execution.chain.cid
    }

    /// This execution's id.
    pub fn tid(&self) -> Uuid {
        self.execution.tid
    }

    /// This execution's index in the chain.
    pub fn index(&self) -> u32 {
        self.execution.index
    }

    /// The parent execution's id (`None` for a top-level execution).
    pub fn parent(&self) -> Option<Uuid> {
        self.execution.parent
    }

    /// The chain's external correlation id.
    pub fn xid(&self) -> Option<&str> {
        self.execution.chain.xid().map(|xid| &**xid)
    }

    /// Sets the chain's external correlation id, for this execution and
    /// every later one of the chain. A chain's `xid` is set once: returns
    /// `false` (changing nothing) if it already has one.
    pub fn set_xid(&mut self, xid: impl Into<String>) -> bool {
        let xid: Arc<str> = Arc::from(xid.into());
        if !self.execution.chain.set_xid(xid.clone()) {
            return false;
        }
        self.execution.span.record("cmdx.xid", &*xid);
        self.cx.set_xid(xid);
        true
    }

    /// The time limit on `work` set so far by outer middleware.
    pub fn timeout(&self) -> Option<Duration> {
        self.deadline.map(|deadline| deadline.limit)
    }

    /// Limits `work` (every attempt and retry wait) to `limit` from now;
    /// an earlier limit already set stays. See [`Timeout`](crate::middleware::Timeout).
    pub fn set_timeout(&mut self, limit: Duration) {
        self.deadline = Deadline::min(self.deadline, Some(Deadline::after(limit)));
    }
}

impl fmt::Debug for Call<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Call")
            .field("task", &self.task_name())
            .field("tid", &self.tid())
            .field("index", &self.index())
            .finish_non_exhaustive()
    }
}
