//! [`When`]: hooks that apply only where a condition holds.

use super::{Around, Hook, HookCx, Hooks, Proceed, Proceeded};
use crate::Halt;
use std::fmt;

/// Hooks (or an around hook) applied only where `condition` holds — the
/// combinator shape of tower's `ServiceExt` and `FutureExt`: wrap the value,
/// register the wrapper. Made by [`Hooks::when`], [`Around::when`] or
/// [`When::new`]; registered like the hooks it wraps.
///
/// The condition sees the same [`HookCx`] as the hooks — the point, the
/// task's name, the task itself ([`HookCx::task`]), the [`Cx`](crate::Cx)
/// and, after `work`, the status — and is asked at every point, just before
/// the wrapped hook would run (CMDx's `if:`). Where it is false the hook is
/// not called (an around hook: the work runs without it). A condition that
/// panics is the hook's panic: the execution fails with code
/// `hook_failed`, the panic contained and reported.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use cmdx::prelude::*;
/// use cmdx::{HookCx, Hooks, Ledger, Runtime};
/// use std::sync::atomic::{AtomicU32, Ordering};
/// use std::sync::Arc;
///
/// struct Audit(Arc<AtomicU32>);
/// impl Hooks for Audit {
///     fn on_success(&self, _: &HookCx<'_>) -> Result<(), Halt> {
///         self.0.fetch_add(1, Ordering::Relaxed);
///         Ok(())
///     }
/// }
///
/// #[derive(Debug, Serialize, Deserialize, Validate)]
/// struct Refund {}
/// impl Task for Refund {
///     type Output = ();
///     fn name() -> &'static str { "Payments::Refund" }
///     async fn work(&self, _: &mut Cx) -> Result<(), Halt> { Ok(()) }
/// }
///
/// #[derive(Debug, Serialize, Deserialize, Validate)]
/// struct Ping {}
/// impl Task for Ping {
///     type Output = ();
///     fn name() -> &'static str { "Health::Ping" }
///     async fn work(&self, _: &mut Cx) -> Result<(), Halt> { Ok(()) }
/// }
///
/// let audited = Arc::new(AtomicU32::new(0));
/// let payments = |cx: &HookCx<'_>| cx.task_name().starts_with("Payments::");
/// let runtime = Runtime::builder()
///     .ledger(Ledger::off())
///     .hooks(Audit(audited.clone()).when(payments))
///     .build();
/// runtime.scope(async {
///     let _ = Refund {}.execute().await;
///     let _ = Ping {}.execute().await;
/// }).await;
/// assert_eq!(audited.load(Ordering::Relaxed), 1);
/// # }
/// ```
#[derive(Clone)]
pub struct When<H, P> {
    inner: H,
    condition: P,
}

impl<H, P> When<H, P>
where
    P: Fn(&HookCx<'_>) -> bool + Send + Sync + 'static,
{
    /// `inner`, applied only where `condition` holds.
    pub fn new(inner: H, condition: P) -> Self {
        Self { inner, condition }
    }

    fn applies(&self, cx: &HookCx<'_>) -> bool {
        (self.condition)(cx)
    }

    fn check(
        &self,
        cx: &HookCx<'_>,
        hook: impl FnOnce(&H, &HookCx<'_>) -> Result<(), Halt>,
    ) -> Result<(), Halt> {
        if self.applies(cx) {
            hook(&self.inner, cx)
        } else {
            Ok(())
        }
    }
}

impl<H: Hooks, P> Hooks for When<H, P>
where
    P: Fn(&HookCx<'_>) -> bool + Send + Sync + 'static,
{
    fn before_execution(&self, cx: &HookCx<'_>) -> Result<(), Halt> {
        self.check(cx, H::before_execution)
    }
    fn before_validation(&self, cx: &HookCx<'_>) -> Result<(), Halt> {
        self.check(cx, H::before_validation)
    }
    fn after_execution(&self, cx: &HookCx<'_>) -> Result<(), Halt> {
        self.check(cx, H::after_execution)
    }
    fn on_complete(&self, cx: &HookCx<'_>) -> Result<(), Halt> {
        self.check(cx, H::on_complete)
    }
    fn on_interrupted(&self, cx: &HookCx<'_>) -> Result<(), Halt> {
        self.check(cx, H::on_interrupted)
    }
    fn on_success(&self, cx: &HookCx<'_>) -> Result<(), Halt> {
        self.check(cx, H::on_success)
    }
    fn on_skipped(&self, cx: &HookCx<'_>) -> Result<(), Halt> {
        self.check(cx, H::on_skipped)
    }
    fn on_failed(&self, cx: &HookCx<'_>) -> Result<(), Halt> {
        self.check(cx, H::on_failed)
    }
    fn on_ok(&self, cx: &HookCx<'_>) -> Result<(), Halt> {
        self.check(cx, H::on_ok)
    }
    fn on_ko(&self, cx: &HookCx<'_>) -> Result<(), Halt> {
        self.check(cx, H::on_ko)
    }
}

impl<A: Around, P> Around for When<A, P>
where
    P: Fn(&HookCx<'_>) -> bool + Send + Sync + 'static,
{
    async fn around<'a>(&'a self, next: Proceed<'a>) -> Result<Proceeded<'a>, Halt> {
        debug_assert_eq!(next.view().hook(), Hook::AroundExecution);
        if self.applies(&next.view()) {
            self.inner.around(next).await
        } else {
            Ok(next.run().await)
        }
    }
}

impl<H, P> fmt::Debug for When<H, P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("When")
            .field("inner", &std::any::type_name::<H>())
            .finish_non_exhaustive()
    }
}
