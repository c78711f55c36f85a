//! Lifecycle hooks: [`Hooks`] run at fixed points of every execution,
//! [`Around`] hooks wrap its `work`, and [`When`] applies either only when
//! a condition holds.
//!
//! A policy module: it knows the data it shapes ([`Ending`](crate::ending))
//! and the [`Cx`], never the engine that calls it (`exec`), which passes
//! what a hook needs.

mod around;
mod set;
mod view;
mod when;

pub use around::{Around, Proceed, Proceeded};
pub use view::HookCx;
pub use when::When;

pub(crate) use around::{AroundSet, Continuation, DynAround};
pub(crate) use set::HookSet;

use crate::{Halt, Status};
use std::fmt;

/// Code that runs at fixed points of an execution; every method defaults to
/// doing nothing. Register hooks for every task with
/// [`RuntimeBuilder::hooks`](crate::RuntimeBuilder::hooks), or for one task
/// with [`Settings::hooks`](crate::Settings::hooks); the runtime's run
/// first. To run them only for some executions, wrap them in [`When`]
/// (`hooks.when(|cx| …)`).
///
/// The order, inside the middleware:
///
/// 1. `before_execution`, `before_validation`, then validation;
/// 2. the [`Around`] hooks, wrapping `work` (with its retries and timeout)
///    and, on failure, `rollback`;
/// 3. `after_execution`;
/// 4. the outcome hooks for the final status:
///
/// | status | fires |
/// | --- | --- |
/// | success | `on_complete`, `on_success`, `on_ok` |
/// | skipped | `on_interrupted`, `on_skipped`, `on_ok`, `on_ko` |
/// | failed | `on_interrupted`, `on_failed`, `on_ko` |
///
/// Hooks return `Result<(), Halt>`, so they speak the vocabulary of `work`:
/// `fail!`, `skip!`, `success!`, or `?` on any error.
///
/// * **`before_execution` and `before_validation` decide.** A skip halt
///   (`skip!("…")`) skips the execution and a success halt
///   (`success!("…")`) ends it successfully, both without running
///   validation or `work` (the outcome has no value); the halt's reason and
///   metadata are the outcome's, plus `metadata.hook` naming the point. A
///   failure fails it.
/// * **After `work`, hooks can only fail.** `after_execution` and the
///   outcome hooks observe an outcome that is decided: a failure turns it
///   failed; a skip or success halt there is a mistake, and fails the
///   execution with a reason saying so (rather than being ignored).
///
/// A failure from a hook (an error, `fail!`, or a panic) turns the outcome
/// failed, with the reason `` hook `on_success` of `Task` failed: … ``,
/// `metadata.code = "hook_failed"` (unless the halt set its own code) and
/// `metadata.hook`; the remaining hooks of that point are skipped, the
/// task's rollback runs if `work` had run and its rollback had not, and the
/// outcome hooks are not fired a second time. A stop before `work` (a
/// `before_*` halt, a deprecated task refusing to run, invalid input) skips
/// what follows up to the outcome hooks, which still fire for the new
/// status. A middleware that halts without calling `next` skips every hook.
/// A panic is also reported like every contained plug-in panic (see
/// [`Plugin::Hook`](crate::Plugin::Hook)).
///
/// Hooks are synchronous; do async work around `work` in an [`Around`]
/// hook, or in a [`Middleware`](crate::Middleware).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use cmdx::prelude::*;
/// use cmdx::{HookCx, Hooks, Ledger, Runtime};
/// use std::sync::atomic::{AtomicU32, Ordering};
/// use std::sync::Arc;
///
/// struct CountFailures(Arc<AtomicU32>);
///
/// impl Hooks for CountFailures {
///     fn on_failed(&self, _: &HookCx<'_>) -> Result<(), Halt> {
///         self.0.fetch_add(1, Ordering::Relaxed);
///         Ok(())
///     }
/// }
///
/// /// Skips every execution while the shop is closed.
/// struct ClosedShop;
///
/// impl Hooks for ClosedShop {
///     fn before_execution(&self, _: &HookCx<'_>) -> Result<(), Halt> {
///         skip!("the shop is closed", code = "closed")
///     }
/// }
///
/// #[derive(Debug, Serialize, Deserialize, Validate)]
/// struct Boom {}
/// impl Task for Boom {
///     type Output = ();
///     fn name() -> &'static str { "Docs::Boom" }
///     async fn work(&self, _: &mut Cx) -> Result<(), Halt> { fail!("boom") }
/// }
///
/// let failures = Arc::new(AtomicU32::new(0));
/// let runtime = Runtime::builder()
///     .ledger(Ledger::off())
///     .hooks(CountFailures(failures.clone()))
///     .build();
/// let outcome = runtime.scope(Boom {}.execute()).await;
/// assert!(outcome.is_failed());
/// assert_eq!(failures.load(Ordering::Relaxed), 1);
///
/// let closed = Runtime::builder().ledger(Ledger::off()).hooks(ClosedShop).build();
/// let outcome = closed.scope(Boom {}.execute()).await;
/// assert!(outcome.is_skipped());
/// assert_eq!(outcome.framework()["hook"], "before_execution");
/// # }
/// ```
#[expect(unused_variables, reason = "default methods ignore their argument")]
pub trait Hooks: Send + Sync + 'static {
    /// Before anything else of the task runs. May fail, skip or succeed
    /// the execution (then validation and `work` do not run).
    fn before_execution(&self, cx: &HookCx<'_>) -> Result<(), Halt> {
        Ok(())
    }
    /// Before the inputs are validated. May fail, skip or succeed the
    /// execution (then validation and `work` do not run).
    fn before_validation(&self, cx: &HookCx<'_>) -> Result<(), Halt> {
        Ok(())
    }
    /// After `work` (and the rollback, if it failed), outside the
    /// [`Around`] hooks. May only fail.
    fn after_execution(&self, cx: &HookCx<'_>) -> Result<(), Halt> {
        Ok(())
    }
    /// The state is `complete` (status success). May only fail.
    fn on_complete(&self, cx: &HookCx<'_>) -> Result<(), Halt> {
        Ok(())
    }
    /// The state is `interrupted` (skipped or failed). May only fail.
    fn on_interrupted(&self, cx: &HookCx<'_>) -> Result<(), Halt> {
        Ok(())
    }
    /// The status is success. May only fail.
    fn on_success(&self, cx: &HookCx<'_>) -> Result<(), Halt> {
        Ok(())
    }
    /// The status is skipped. May only fail.
    fn on_skipped(&self, cx: &HookCx<'_>) -> Result<(), Halt> {
        Ok(())
    }
    /// The status is failed. May only fail.
    fn on_failed(&self, cx: &HookCx<'_>) -> Result<(), Halt> {
        Ok(())
    }
    /// Success or skipped: nothing went wrong. May only fail.
    fn on_ok(&self, cx: &HookCx<'_>) -> Result<(), Halt> {
        Ok(())
    }
    /// Skipped or failed: the work was not done. May only fail.
    fn on_ko(&self, cx: &HookCx<'_>) -> Result<(), Halt> {
        Ok(())
    }

    /// These hooks, run only where `condition` holds (see [`When`]).
    fn when<P>(self, condition: P) -> When<Self, P>
    where
        Self: Sized,
        P: Fn(&HookCx<'_>) -> bool + Send + Sync + 'static,
    {
        When::new(self, condition)
    }
}

/// One of the lifecycle points of [`Hooks`] and [`Around`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Hook {
    /// [`Hooks::before_execution`]
    BeforeExecution,
    /// [`Hooks::before_validation`]
    BeforeValidation,
    /// [`Around::around`]
    AroundExecution,
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
    /// The method's name, e.g. `on_success` (`around_execution` for [`Around`]).
    pub fn as_str(self) -> &'static str {
        match self {
            Hook::BeforeExecution => "before_execution",
            Hook::BeforeValidation => "before_validation",
            Hook::AroundExecution => "around_execution",
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

    /// Whether a hook at this point may end the execution with a skip or
    /// a success (the points before the outcome is decided).
    pub fn may_skip_or_succeed(self) -> bool {
        matches!(
            self,
            Hook::BeforeExecution | Hook::BeforeValidation | Hook::AroundExecution
        )
    }

    fn call(self, hooks: &dyn Hooks, cx: &HookCx<'_>) -> Result<(), Halt> {
        match self {
            Hook::BeforeExecution => hooks.before_execution(cx),
            Hook::BeforeValidation => hooks.before_validation(cx),
            // Not a method of `Hooks`: the engine runs `Around` hooks.
            Hook::AroundExecution => Ok(()),
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
