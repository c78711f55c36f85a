//! [`Around`]: hooks that wrap `work` and its rollback (CMDx's
//! `around_execution`), and the continuation they must run once.

use super::set::{counted, halted, panicked_hook};
use super::{Hook, HookCx, When};
use crate::contain::{Panicked, Plugin};
use crate::ending::Ending;
use crate::{Cx, Halt, Status};
use futures::FutureExt;
use futures::future::BoxFuture;
use serde_json::{Map, Value};
use std::any::Any;
use std::fmt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

/// A hook that wraps an execution's `work` — every attempt, the retry
/// waits, the timeout — and, on failure, its `rollback`: code before,
/// [`next.run()`](Proceed::run), code after. A database transaction, a
/// timer, a lock held for the duration of the work.
///
/// Where it sits: after `before_execution`, `before_validation` and
/// validation (it does not run when those stop the execution), before
/// `after_execution` and the outcome hooks; inside every
/// [`Middleware`](crate::Middleware). Register with
/// [`RuntimeBuilder::around`](crate::RuntimeBuilder::around) or
/// [`Settings::around`](crate::Settings::around); several nest like the
/// middleware onion: the runtime's outside the task's, the first
/// registered outermost.
///
/// **The continuation runs exactly once.** [`Proceed::run`] consumes the
/// continuation (so it cannot run twice) and returns the [`Proceeded`]
/// token that `around` must return (so the only ways not to run it are an
/// `Err` or a panic). What `around` returns decides:
///
/// * `Ok(proceeded)`: the outcome of the work, unchanged;
/// * `Err(halt)` after the continuation finished: the halt replaces the
///   outcome — a skip, a success, or a failure of the hook (reason
///   `` hook `around_execution` of `Task` failed: … ``, code `hook_failed`
///   unless the halt set one); retries and rollback are kept, and a
///   success turned failure is rolled back;
/// * `Err(_)` without having run the continuation to its end (not called,
///   or dropped half-way): the execution **fails** with code
///   `around_not_continued` and a reason saying so — skip or stop an
///   execution in `before_execution` instead;
/// * a panic (before or after the continuation): the execution fails with
///   code `hook_failed`, the panic contained and reported like every
///   plug-in panic ([`Plugin::Hook`](crate::Plugin::Hook)).
///
/// In every case the caller gets an [`Outcome`](crate::Outcome) and the
/// execution writes exactly one ledger line.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use cmdx::prelude::*;
/// use cmdx::{Around, Ledger, Proceed, Proceeded, Runtime};
/// use std::sync::{Arc, Mutex};
///
/// /// Notes "begin", then how the work ended.
/// struct Transaction(Arc<Mutex<Vec<String>>>);
///
/// impl Around for Transaction {
///     async fn around<'a>(&'a self, next: Proceed<'a>) -> Result<Proceeded<'a>, Halt> {
///         self.0.lock().unwrap().push("begin".into());
///         let done = next.run().await;
///         let end = if done.is_success() { "commit" } else { "roll back" };
///         self.0.lock().unwrap().push(end.into());
///         Ok(done)
///     }
/// }
///
/// #[derive(Debug, Serialize, Deserialize, Validate)]
/// struct Charge {}
/// impl Task for Charge {
///     type Output = u32;
///     fn name() -> &'static str { "Docs::Charge" }
///     async fn work(&self, _: &mut Cx) -> Result<u32, Halt> { Ok(42) }
/// }
///
/// let notes = Arc::new(Mutex::new(Vec::new()));
/// let runtime = Runtime::builder()
///     .ledger(Ledger::off())
///     .around(Transaction(notes.clone()))
///     .build();
/// let outcome = runtime.scope(Charge {}.execute()).await;
/// assert_eq!(outcome.value(), Some(&42));
/// assert_eq!(*notes.lock().unwrap(), ["begin", "commit"]);
/// # }
/// ```
pub trait Around: Send + Sync + 'static {
    /// Runs code around the work; must run `next` (see the trait's docs).
    fn around<'a>(
        &'a self,
        next: Proceed<'a>,
    ) -> impl Future<Output = Result<Proceeded<'a>, Halt>> + Send;

    /// This hook, run only where `condition` holds (see [`When`]); where
    /// it does not, the work runs without it.
    fn when<P>(self, condition: P) -> When<Self, P>
    where
        Self: Sized,
        P: Fn(&HookCx<'_>) -> bool + Send + Sync + 'static,
    {
        When::new(self, condition)
    }
}

/// [`Around`] behind a pointer: the future boxed.
pub(crate) trait DynAround: Send + Sync + 'static {
    fn around_boxed<'a>(&'a self, next: Proceed<'a>) -> BoxFuture<'a, Result<Proceeded<'a>, Halt>>;
}

impl<A: Around> DynAround for A {
    fn around_boxed<'a>(&'a self, next: Proceed<'a>) -> BoxFuture<'a, Result<Proceeded<'a>, Halt>> {
        Box::pin(self.around(next))
    }
}

/// What the engine runs innermost: `work` with its retries, timeout and
/// rollback. The engine implements it; this module only calls it.
pub(crate) trait Continuation: Send {
    fn run<'s>(&'s mut self, cx: &'s mut Cx) -> BoxFuture<'s, Ending>;
}

/// The runtime's around hooks and the task's, outermost first.
#[derive(Clone, Copy)]
pub(crate) struct AroundSet<'a> {
    pub(crate) global: &'a [Arc<dyn DynAround>],
    pub(crate) local: &'a [Arc<dyn DynAround>],
}

impl<'a> AroundSet<'a> {
    pub(crate) fn is_empty(&self) -> bool {
        self.global.is_empty() && self.local.is_empty()
    }

    /// The first hook and the ones inside it.
    fn split_first(self) -> Option<(&'a Arc<dyn DynAround>, Self)> {
        match (self.global.split_first(), self.local.split_first()) {
            (Some((first, global)), _) => Some((first, Self { global, ..self })),
            (None, Some((first, local))) => Some((first, Self { local, ..self })),
            (None, None) => None,
        }
    }

    /// Runs the hooks around `core`; how the execution ended.
    pub(crate) async fn run(
        self,
        cx: &mut Cx,
        task: Option<&(dyn Any + Send + Sync)>,
        core: &mut dyn Continuation,
    ) -> Ending {
        let mut finished = None;
        let next = Proceed {
            cx,
            task,
            rest: self,
            core,
            finished: &mut finished,
        };
        next.run().await.ending
    }
}

/// The rest of an execution's work, handed to [`Around::around`]: the
/// inner around hooks, then `work` and its rollback. Run it with
/// [`run`](Self::run), exactly once.
pub struct Proceed<'a> {
    cx: &'a mut Cx,
    task: Option<&'a (dyn Any + Send + Sync)>,
    rest: AroundSet<'a>,
    core: &'a mut (dyn Continuation + 'a),
    /// Set when the continuation ran to its end: `(retries, rolled_back)`.
    finished: &'a mut Option<(u32, bool)>,
}

impl<'a> Proceed<'a> {
    /// Runs the inner hooks and the work; tells how they ended.
    pub async fn run(self) -> Proceeded<'a> {
        let Proceed {
            cx,
            task,
            rest,
            core,
            finished,
        } = self;
        let ending = match rest.split_first() {
            None => core.run(cx).await,
            Some((around, rest)) => Box::pin(one(&**around, cx, task, rest, core)).await,
        };
        *finished = Some((ending.retries, ending.rolled_back));
        Proceeded { ending, cx }
    }

    /// The execution context `work` will receive.
    pub fn cx(&self) -> &Cx {
        self.cx
    }

    /// The execution context, mutably: put what `work` needs in its
    /// [`Context`](crate::Context).
    pub fn cx_mut(&mut self) -> &mut Cx {
        self.cx
    }

    /// The task's name.
    pub fn task_name(&self) -> &str {
        self.cx.task_name()
    }

    /// The task itself, if it is a `T`.
    pub fn task<T: 'static>(&self) -> Option<&T> {
        self.task.and_then(|task| task.downcast_ref())
    }

    /// What a [`When`] condition sees here.
    pub(super) fn view(&self) -> HookCx<'_> {
        HookCx::new(Hook::AroundExecution, self.cx, self.task, None)
    }
}

impl fmt::Debug for Proceed<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Proceed")
            .field("task", &self.cx.task_name())
            .finish_non_exhaustive()
    }
}

/// How the work ended, as [`Proceed::run`] returns it: the token an
/// [`Around`] hook returns (`Ok(done)`) to keep that outcome.
#[must_use = "return it with `Ok(done)` to keep the work's outcome"]
pub struct Proceeded<'a> {
    ending: Ending,
    cx: &'a Cx,
}

impl<'a> Proceeded<'a> {
    /// Success, skipped or failed.
    pub fn status(&self) -> Status {
        self.ending.status
    }

    /// Whether the work succeeded.
    pub fn is_success(&self) -> bool {
        self.ending.status == Status::Success
    }

    /// Why it was skipped or failed.
    pub fn reason(&self) -> Option<&str> {
        self.ending.reason()
    }

    /// The outcome's metadata so far.
    pub fn metadata(&self) -> &Map<String, Value> {
        self.ending.metadata()
    }

    /// How many times `work` was retried.
    pub fn retries(&self) -> u32 {
        self.ending.retries
    }

    /// Whether the task's rollback ran.
    pub fn rolled_back(&self) -> bool {
        self.ending.rolled_back
    }

    /// The execution context, as the work left it.
    pub fn cx(&self) -> &'a Cx {
        self.cx
    }
}

impl fmt::Debug for Proceeded<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Proceeded")
            .field("status", &self.ending.status)
            .field("reason", &self.ending.reason())
            .field("retries", &self.ending.retries)
            .finish_non_exhaustive()
    }
}

/// Runs one around hook with the rest as its continuation.
async fn one(
    around: &dyn DynAround,
    cx: &mut Cx,
    task: Option<&(dyn Any + Send + Sync)>,
    rest: AroundSet<'_>,
    core: &mut dyn Continuation,
) -> Ending {
    let mut finished = None;
    let next = Proceed {
        cx: &mut *cx,
        task,
        rest,
        core,
        finished: &mut finished,
    };
    let result = match AssertUnwindSafe(around.around_boxed(next))
        .catch_unwind()
        .await
    {
        // The ending is owned: the borrows of `cx` and `finished` end here.
        Ok(Ok(done)) => return done.ending,
        Ok(Err(halt)) => Ok(halt),
        Err(payload) => Err(payload),
    };
    let name = cx.task_name();
    let counts = finished.unwrap_or_default();
    match result {
        Ok(halt) if finished.is_some() => {
            counted(halted(Hook::AroundExecution, name, halt), counts)
        }
        Ok(halt) => not_continued(name, &halt),
        Err(payload) => {
            let panicked = Panicked::from_payload(Plugin::Hook, &*payload);
            let ids = (cx.chain_id(), cx.tid(), cx.index());
            cx.runtime().config().report(name, ids, &panicked);
            counted(
                panicked_hook(Hook::AroundExecution, name, &panicked),
                counts,
            )
        }
    }
}

/// An around hook returned without running its continuation to the end.
fn not_continued(task: &str, halt: &Halt) -> Ending {
    let said = halt.reason().unwrap_or("no reason");
    let reason = format!(
        "hook `around_execution` of `{task}` returned without running its continuation \
         ({said}): an around hook must call `next.run().await` exactly once; skip or stop \
         an execution in `before_execution` instead"
    );
    let mut ending = Ending::with_status(Status::Failed, Some(reason));
    let detail = ending.detail_mut();
    detail.code = Some("around_not_continued".into());
    detail
        .framework
        .insert("hook".into(), Hook::AroundExecution.as_str().into());
    ending
}
