//! Lifecycle hooks: [`Hooks`] run at fixed points of every execution.

use crate::contain::Plugin;
use crate::exec::Ending;
use crate::halt::error_chain;
use crate::{BoxError, Cx, Status};
use serde_json::{Map, Value};
use std::any::Any;
use std::fmt;
use std::sync::Arc;

/// Code that runs at fixed points of an execution; every method defaults to
/// doing nothing. Register hooks for every task with
/// [`RuntimeBuilder::hooks`](crate::RuntimeBuilder::hooks), or for one task
/// with [`Settings::hooks`](crate::Settings::hooks); the runtime's run
/// first.
///
/// The order, inside the middleware:
///
/// 1. `before_execution`, `before_validation`, then validation and `work`
///    (with its retries and, on failure, `rollback`);
/// 2. `after_execution`;
/// 3. the outcome hooks for the final status:
///
/// | status | fires |
/// | --- | --- |
/// | success | `on_complete`, `on_success`, `on_ok` |
/// | skipped | `on_interrupted`, `on_skipped`, `on_ok`, `on_ko` |
/// | failed | `on_interrupted`, `on_failed`, `on_ko` |
///
/// A failure that stops the execution early (a `before_*` hook failing, a
/// deprecated task refusing to run) skips what follows, but the outcome
/// hooks still fire. A middleware that halts without calling `next` skips
/// every hook.
///
/// Hooks are synchronous; do async work in a [`Middleware`](crate::Middleware).
/// A hook that returns an error (or panics) turns the outcome failed, with
/// the reason `` hook `on_success` failed: … ``, `code =
/// "hook_failed"` and `framework.hook`; the remaining hooks of that point are skipped, the
/// task's rollback runs if it had not, and the outcome hooks are not fired
/// a second time. A panic is also reported like every contained plug-in
/// panic (see [`Plugin::Hook`](crate::Plugin::Hook)).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use cmdx::prelude::*;
/// use cmdx::{BoxError, HookCx, Hooks, Ledger, Runtime};
/// use std::sync::atomic::{AtomicU32, Ordering};
/// use std::sync::Arc;
///
/// struct CountFailures(Arc<AtomicU32>);
///
/// impl Hooks for CountFailures {
///     fn on_failed(&self, _: &HookCx<'_>) -> Result<(), BoxError> {
///         self.0.fetch_add(1, Ordering::Relaxed);
///         Ok(())
///     }
/// }
///
/// #[derive(Debug, Serialize, Deserialize, Validate)]
/// struct Boom {}
/// impl Task for Boom {
///     type Output = ();
///     async fn work(&self, _: &mut Cx) -> Result<(), Halt> { fail!("boom") }
/// }
///
/// let failures = Arc::new(AtomicU32::new(0));
/// let runtime = Runtime::builder()
///     .ledger(Ledger::off())
///     .hooks(CountFailures(failures.clone()))
///     .build();
/// let _ = runtime.scope(Boom {}.execute()).await;
/// assert_eq!(failures.load(Ordering::Relaxed), 1);
/// # }
/// ```
#[expect(unused_variables, reason = "default methods ignore their argument")]
pub trait Hooks: Send + Sync + 'static {
    /// Before anything else of the task runs.
    fn before_execution(&self, cx: &HookCx<'_>) -> Result<(), BoxError> {
        Ok(())
    }
    /// Before the inputs are validated.
    fn before_validation(&self, cx: &HookCx<'_>) -> Result<(), BoxError> {
        Ok(())
    }
    /// After `work` (and the rollback, if it failed).
    fn after_execution(&self, cx: &HookCx<'_>) -> Result<(), BoxError> {
        Ok(())
    }
    /// The state is `complete` (status success).
    fn on_complete(&self, cx: &HookCx<'_>) -> Result<(), BoxError> {
        Ok(())
    }
    /// The state is `interrupted` (skipped or failed).
    fn on_interrupted(&self, cx: &HookCx<'_>) -> Result<(), BoxError> {
        Ok(())
    }
    /// The status is success.
    fn on_success(&self, cx: &HookCx<'_>) -> Result<(), BoxError> {
        Ok(())
    }
    /// The status is skipped.
    fn on_skipped(&self, cx: &HookCx<'_>) -> Result<(), BoxError> {
        Ok(())
    }
    /// The status is failed.
    fn on_failed(&self, cx: &HookCx<'_>) -> Result<(), BoxError> {
        Ok(())
    }
    /// Success or skipped: nothing went wrong.
    fn on_ok(&self, cx: &HookCx<'_>) -> Result<(), BoxError> {
        Ok(())
    }
    /// Skipped or failed: the work was not done.
    fn on_ko(&self, cx: &HookCx<'_>) -> Result<(), BoxError> {
        Ok(())
    }
}

/// One of the lifecycle points of [`Hooks`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Hook {
    /// [`Hooks::before_execution`]
    BeforeExecution,
    /// [`Hooks::before_validation`]
    BeforeValidation,
    /// [`Hooks::after_execution`]
    AfterExecution,
    /// [`Hooks::on_complete`]
    OnComplete,
    /// [`Hooks::on_interrupted`]
    OnInterrupted,
    /// [`Hooks::on_success`]
    OnSuccess,
    /// [`Hooks::on_skipped`]
    OnSkipped,
    /// [`Hooks::on_failed`]
    OnFailed,
    /// [`Hooks::on_ok`]
    OnOk,
    /// [`Hooks::on_ko`]
    OnKo,
}

impl Hook {
    /// The method's name, e.g. `on_success`.
    pub fn as_str(self) -> &'static str {
        match self {
            Hook::BeforeExecution => "before_execution",
            Hook::BeforeValidation => "before_validation",
            Hook::AfterExecution => "after_execution",
            Hook::OnComplete => "on_complete",
            Hook::OnInterrupted => "on_interrupted",
            Hook::OnSuccess => "on_success",
            Hook::OnSkipped => "on_skipped",
            Hook::OnFailed => "on_failed",
            Hook::OnOk => "on_ok",
            Hook::OnKo => "on_ko",
        }
    }

    /// The outcome hooks that fire for `status`, in order.
    pub fn for_status(status: Status) -> &'static [Hook] {
        match status {
            Status::Success => &[Hook::OnComplete, Hook::OnSuccess, Hook::OnOk],
            Status::Skipped => &[Hook::OnInterrupted, Hook::OnSkipped, Hook::OnOk, Hook::OnKo],
            Status::Failed => &[Hook::OnInterrupted, Hook::OnFailed, Hook::OnKo],
        }
    }

    fn call(self, hooks: &dyn Hooks, cx: &HookCx<'_>) -> Result<(), BoxError> {
        match self {
            Hook::BeforeExecution => hooks.before_execution(cx),
            Hook::BeforeValidation => hooks.before_validation(cx),
            Hook::AfterExecution => hooks.after_execution(cx),
            Hook::OnComplete => hooks.on_complete(cx),
            Hook::OnInterrupted => hooks.on_interrupted(cx),
            Hook::OnSuccess => hooks.on_success(cx),
            Hook::OnSkipped => hooks.on_skipped(cx),
            Hook::OnFailed => hooks.on_failed(cx),
            Hook::OnOk => hooks.on_ok(cx),
            Hook::OnKo => hooks.on_ko(cx),
        }
    }
}

impl fmt::Display for Hook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a hook sees: the point it runs at, the execution's [`Cx`], the
/// task itself, and — from `after_execution` on — how it ended.
pub struct HookCx<'a> {
    hook: Hook,
    cx: &'a Cx,
    task: Option<&'a (dyn Any + Send + Sync)>,
    ending: Option<&'a Ending>,
}

impl<'a> HookCx<'a> {
    /// The point this hook runs at.
    pub fn hook(&self) -> Hook {
        self.hook
    }

    /// The execution context: task name, chain ids, resources, [`Context`](crate::Context).
    pub fn cx(&self) -> &'a Cx {
        self.cx
    }

    /// The task's name.
    pub fn task_name(&self) -> &'a str {
        self.cx.task_name()
    }

    /// The task itself, if it is a `T` (`None` for another type, or when
    /// untyped input could not be turned into a task).
    pub fn task<T: 'static>(&self) -> Option<&'a T> {
        self.task.and_then(|task| task.downcast_ref())
    }

    /// The status, from `after_execution` on.
    pub fn status(&self) -> Option<Status> {
        self.ending.map(|ending| ending.status)
    }

    /// The reason, from `after_execution` on.
    pub fn reason(&self) -> Option<&'a str> {
        self.ending.and_then(Ending::reason)
    }

    /// The code, from `after_execution` on.
    pub fn code(&self) -> Option<&'a str> {
        self.ending.and_then(Ending::code)
    }

    /// The metadata, from `after_execution` on.
    pub fn metadata(&self) -> Option<&'a Map<String, Value>> {
        self.ending.map(Ending::metadata)
    }

    /// How many times `work` was retried (0 before `after_execution`).
    pub fn retries(&self) -> u32 {
        self.ending.map_or(0, |ending| ending.retries)
    }
}

impl fmt::Debug for HookCx<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HookCx")
            .field("hook", &self.hook)
            .field("task", &self.cx.task_name())
            .field("status", &self.status())
            .finish_non_exhaustive()
    }
}

/// The runtime's hooks and the task's, run in that order.
#[derive(Clone, Copy)]
pub(crate) struct HookSet<'a> {
    pub(crate) global: &'a [Arc<dyn Hooks>],
    pub(crate) local: &'a [Arc<dyn Hooks>],
}

impl HookSet<'_> {
    pub(crate) fn is_empty(&self) -> bool {
        self.global.is_empty() && self.local.is_empty()
    }

    /// Runs every hook of `hook`; the first failure stops the others and
    /// becomes a failed ending (keeping `retries` and `rolled_back`).
    pub(crate) fn run(
        &self,
        hook: Hook,
        cx: &Cx,
        task: Option<&(dyn Any + Send + Sync)>,
        ending: Option<&Ending>,
    ) -> Result<(), Ending> {
        let view = HookCx {
            hook,
            cx,
            task,
            ending,
        };
        let global = cx.runtime().config();
        let ids = (cx.chain_id(), cx.tid(), cx.index());
        for hooks in self.global.iter().chain(self.local) {
            let called = || hook.call(&**hooks, &view);
            let failure = match global.contain(Plugin::Hook, cx.task_name(), ids, called) {
                Ok(Ok(())) => continue,
                Ok(Err(error)) => (error.to_string(), error_chain(&*error)),
                // Contained and reported; the hook's failure fails the outcome.
                Err(panicked) => {
                    let message = format!("panicked: {}", panicked.message);
                    (message.clone(), message)
                }
            };
            return Err(failed_hook(hook, cx.task_name(), failure, ending));
        }
        Ok(())
    }
}

fn failed_hook(
    hook: Hook,
    task: &str,
    (message, cause): (String, String),
    before: Option<&Ending>,
) -> Ending {
    let mut ending = Ending::with_status(
        Status::Failed,
        Some(format!("hook `{hook}` of `{task}` failed: {message}")),
    );
    let detail = ending.detail_mut();
    detail.code = Some("hook_failed".into());
    detail.framework.insert("hook".into(), hook.as_str().into());
    detail.cause = Some(cause);
    if let Some(before) = before {
        ending.retries = before.retries;
        ending.rolled_back = before.rolled_back;
    }
    ending
}
