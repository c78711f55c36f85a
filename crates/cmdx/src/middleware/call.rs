//! [`Call`]: the execution as a middleware sees it.

use super::Next;
use crate::Cx;
use crate::chain::scope::ChainState;
use crate::contain::Plugin;
use serde_json::Value;
use serde_json::value::RawValue;
use std::any::Any;
use std::borrow::Cow;
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

/// The task value an owned [`Call`] shares with the engine: for
/// [`Call::task`] and, lazily, [`Call::input`].
pub(crate) trait Subject: Send + Sync + 'static {
    fn task(&self) -> &(dyn Any + Send + Sync);

    /// The inputs as JSON, secrets redacted.
    fn input(&self) -> Option<Box<RawValue>>;
}

/// Where [`Call::input`] comes from.
pub(crate) enum Input {
    /// The task itself, serialized when asked.
    Task(Arc<dyn Subject>),
    /// The inputs serialized when the call was made (workflows, invalid
    /// input), or `None` when unavailable.
    Shown(Option<Box<RawValue>>),
}

/// Who the execution is: what the engine hands the onion.
pub(crate) struct Identity {
    pub(crate) chain: Arc<ChainState>,
    pub(crate) task: Cow<'static, str>,
    pub(crate) tags: &'static [&'static str],
    pub(crate) tid: Uuid,
    pub(crate) index: u32,
    pub(crate) parent: Option<Uuid>,
    pub(crate) span: tracing::Span,
}

/// One execution on its way through the middleware: the task's name, tags
/// and inputs, its chain position, its [`Cx`]. Pass it on with
/// [`Next::run`](crate::middleware::Next::run).
///
/// A `Call` owns what it carries (it is `'static`), so a middleware can be
/// a plain `async fn(call: Call, next: Next)`, move the call into a spawned
/// task, or hand it to a tower service.
pub struct Call {
    pub(crate) cx: Cx,
    pub(crate) id: Box<Identity>,
    pub(crate) input: Input,
    pub(crate) deadline: Option<Deadline>,
    /// The rest of the onion, while the call travels through a tower
    /// service (see [`from_layer`](crate::middleware::from_layer)).
    pub(crate) next: Option<Next>,
}

impl Call {
    pub(crate) fn new(cx: Cx, id: Identity, input: Input) -> Self {
        Self {
            cx,
            id: Box::new(id),
            input,
            deadline: None,
            next: None,
        }
    }

    /// The task's name.
    pub fn task_name(&self) -> &str {
        &self.id.task
    }

    /// The task's tags (the runtime's, then the task's).
    pub fn tags(&self) -> impl Iterator<Item = &str> {
        let global = self.id.chain.runtime.config().tags.iter().map(|t| &**t);
        global.chain(self.id.tags.iter().copied())
    }

    /// The task's inputs as JSON, [`Secret`](crate::Secret) fields
    /// `"[REDACTED]"` (`Value::Null` when unavailable). Serialized on each
    /// call for a task; for a workflow, the input as its line shows it.
    pub fn input(&self) -> Value {
        let raw = match &self.input {
            Input::Task(task) => {
                // A panicking `Serialize` is the task's plug-in, not the
                // middleware's: contained and reported.
                let ids = (self.id.chain.cid, self.id.tid, self.id.index);
                let config = self.id.chain.runtime.config();
                config
                    .contain(Plugin::Serialize, &self.id.task, ids, || task.input())
                    .ok()
                    .flatten()
            }
            Input::Shown(raw) => raw.clone(),
        };
        raw.and_then(|raw| serde_json::from_str(raw.get()).ok())
            .unwrap_or(Value::Null)
    }

    /// The task itself, if it is a `T` (`None` for a workflow, and for a
    /// task whose input was invalid).
    pub fn task<T: 'static>(&self) -> Option<&T> {
        match &self.input {
            Input::Task(task) => task.task().downcast_ref(),
            Input::Shown(_) => None,
        }
    }

    /// The execution context `work` will receive (resources, shared
    /// [`Context`](crate::Context)).
    pub fn cx(&self) -> &Cx {
        &self.cx
    }

    /// The execution context, mutably: put what `work` needs in its
    /// [`Context`](crate::Context).
    pub fn cx_mut(&mut self) -> &mut Cx {
        &mut self.cx
    }

    /// The chain id.
    pub fn chain_id(&self) -> Uuid {
        self.id.chain.cid
    }

    /// This execution's id.
    pub fn tid(&self) -> Uuid {
        self.id.tid
    }

    /// This execution's index in the chain.
    pub fn index(&self) -> u32 {
        self.id.index
    }

    /// The parent execution's id (`None` for a top-level execution).
    pub fn parent(&self) -> Option<Uuid> {
        self.id.parent
    }

    /// The chain's external correlation id.
    pub fn xid(&self) -> Option<&str> {
        self.id.chain.xid().map(|xid| &**xid)
    }

    /// Sets the chain's external correlation id, for this execution and
    /// every later one of the chain. A chain's `xid` is set once: returns
    /// `false` (changing nothing) if it already has one.
    pub fn set_xid(&mut self, xid: impl Into<String>) -> bool {
        let xid: Arc<str> = Arc::from(xid.into());
        if !self.id.chain.set_xid(xid.clone()) {
            return false;
        }
        self.id.span.record("cmdx.xid", &*xid);
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

impl fmt::Debug for Call {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Call")
            .field("task", &self.task_name())
            .field("tid", &self.tid())
            .field("index", &self.index())
            .finish_non_exhaustive()
    }
}
