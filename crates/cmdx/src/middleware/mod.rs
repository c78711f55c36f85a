//! Middleware: an onion around each execution, in the tower style.
//!
//! A [`Middleware`] receives the execution as a [`Call`] and the rest of
//! the onion as [`Next`]. It does what it must before, then either calls
//! `next.run(call).await` — which runs the inner layers and the task, and
//! gives back how they ended as a [`Done`] — or halts with `Err(Halt)`
//! (`Halt::skip`, `Halt::fail`…) without running the task. There is no
//! third way: a `Done` only comes from `next`, so a middleware cannot
//! forget the task by accident. Returning `Err(halt)` *after* `next` ran
//! replaces the outcome (a failed commit, say); the task's rollback and
//! hooks have already run by then and are not repeated. A middleware that
//! panics fails the execution (`middleware panicked: …`, code
//! `middleware_panicked`); the panic is contained and reported (see
//! [`Plugin::Middleware`](crate::Plugin::Middleware)).
//!
//! # Order
//!
//! Like tower's `ServiceBuilder`, the first layer added is the outermost:
//! it runs first on the way in and last on the way out. The runtime's
//! layers ([`RuntimeBuilder::layer`](crate::RuntimeBuilder::layer)) wrap
//! the task's own ([`Settings::layer`](crate::Settings::layer)):
//!
//! ```text
//! runtime .layer(A).layer(B), task .layer(C)
//!
//!   A ─▶ B ─▶ C ─▶ [deprecation, hooks, validation, work + retries, rollback, hooks] ─▶ C ─▶ B ─▶ A
//! ```
//!
//! Middleware sees one execution: retries of `work` happen inside. The
//! record (ledger line, span fields, `Executed` event) is written once the
//! onion has unwound, so every middleware's decision is on the line.
//!
//! # Writing one
//!
//! Implement the trait (an `async fn` works), or use [`from_fn`]:
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! use cmdx::prelude::*;
//! use cmdx::middleware::{self, Call, Done, Middleware, Next};
//! use cmdx::{Ledger, Runtime};
//!
//! /// Skips every task tagged `disabled`.
//! struct SkipDisabled;
//!
//! impl Middleware for SkipDisabled {
//!     async fn call(&self, call: Call<'_>, next: Next<'_>) -> Result<Done, Halt> {
//!         if call.tags().any(|tag| tag == "disabled") {
//!             return Err(Halt::skip("task is disabled").code("disabled"));
//!         }
//!         Ok(next.run(call).await)
//!     }
//! }
//!
//! #[derive(Debug, Serialize, Deserialize, Validate)]
//! struct Legacy {}
//! impl Task for Legacy {
//!     type Output = ();
//!     const TAGS: &'static [&'static str] = &["disabled"];
//!     async fn work(&self, _: &mut Cx) -> Result<(), Halt> { unreachable!("skipped") }
//! }
//!
//! let runtime = Runtime::builder()
//!     .ledger(Ledger::off())
//!     .layer(SkipDisabled)
//!     .layer(middleware::from_fn(|call, next| Box::pin(async move {
//!         let task = call.task_name().to_owned();
//!         let done = next.run(call).await;
//!         eprintln!("{task} ended {}", done.status());
//!         Ok(done)
//!     })))
//!     .build();
//! let outcome = runtime.scope(Legacy {}.execute()).await;
//! assert!(outcome.is_skipped());
//! assert_eq!(outcome.code(), Some("disabled"));
//! # }
//! ```
//!
//! # Built-ins
//!
//! * [`Timeout`]: a time limit on `work`, enforced inside so the rollback
//!   still runs.
//! * [`Correlation`]: sets the chain's external id (`xid`) from a closure.
//!
//! A database transaction around `work` is a middleware too; see
//! `docs/middleware.md`.

mod call;
mod correlation;
mod next;
mod timeout;

pub use call::Call;
pub use correlation::Correlation;
pub use next::{Done, Next};
pub use timeout::Timeout;

pub(crate) use call::Deadline;
pub(crate) use next::Core;

use crate::Halt;
use futures::future::BoxFuture;
use std::fmt;
use std::future::Future;

/// A layer around executions: see the [module docs](self).
pub trait Middleware: Send + Sync + 'static {
    /// Handles one execution: call `next.run(call).await` to run the rest,
    /// or return `Err(halt)` to stop here.
    fn call<'a>(
        &'a self,
        call: Call<'a>,
        next: Next<'a>,
    ) -> impl Future<Output = Result<Done, Halt>> + Send;
}

/// [`Middleware`] behind a pointer: the future boxed.
pub(crate) trait DynMiddleware: Send + Sync + 'static {
    fn call_boxed<'a>(
        &'a self,
        call: Call<'a>,
        next: Next<'a>,
    ) -> BoxFuture<'a, Result<Done, Halt>>;
}

impl<M: Middleware> DynMiddleware for M {
    fn call_boxed<'a>(
        &'a self,
        call: Call<'a>,
        next: Next<'a>,
    ) -> BoxFuture<'a, Result<Done, Halt>> {
        Box::pin(self.call(call, next))
    }
}

/// A middleware from a closure returning a boxed future:
/// `from_fn(|call, next| Box::pin(async move { Ok(next.run(call).await) }))`.
///
/// (The future borrows `call` and `next`, so it is boxed; implement
/// [`Middleware`] to avoid the box.)
pub fn from_fn<F>(f: F) -> FromFn<F>
where
    F: for<'a> Fn(Call<'a>, Next<'a>) -> BoxFuture<'a, Result<Done, Halt>> + Send + Sync + 'static,
{
    FromFn(f)
}

/// The middleware made by [`from_fn`].
#[derive(Clone, Copy)]
pub struct FromFn<F>(F);

impl<F> Middleware for FromFn<F>
where
    F: for<'a> Fn(Call<'a>, Next<'a>) -> BoxFuture<'a, Result<Done, Halt>> + Send + Sync + 'static,
{
    fn call<'a>(
        &'a self,
        call: Call<'a>,
        next: Next<'a>,
    ) -> impl Future<Output = Result<Done, Halt>> + Send {
        (self.0)(call, next)
    }
}

impl<F> fmt::Debug for FromFn<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FromFn")
    }
}
