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
//! [`Call`] and [`Next`] are owned (`'static`), so a middleware is a plain
//! `async fn` given to [`from_fn`], like axum's `from_fn`; or implement the
//! trait (an `async fn` in the impl works too). On the way out, a
//! middleware can add metadata to the outcome ([`Done::with`],
//! [`Done::metadata_mut`]): it lands in `outcome.metadata()` and on the
//! ledger line.
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
//!     async fn call(&self, call: Call, next: Next) -> Result<Done, Halt> {
//!         if call.tags().any(|tag| tag == "disabled") {
//!             return Err(Halt::skip("task is disabled").code("disabled"));
//!         }
//!         Ok(next.run(call).await)
//!     }
//! }
//!
//! /// Notes which region served the execution, on its outcome and line.
//! async fn region(call: Call, next: Next) -> Result<Done, Halt> {
//!     let done = next.run(call).await;
//!     Ok(done.with("region", "eu-west-1"))
//! }
//!
//! #[derive(Debug, Serialize, Deserialize, Validate)]
//! struct Legacy {}
//! impl Task for Legacy {
//!     type Output = ();
//!     const TAGS: &'static [&'static str] = &["disabled"];
//!     fn name() -> &'static str { "Billing::Legacy" }
//!     async fn work(&self, _: &mut Cx) -> Result<(), Halt> { unreachable!("skipped") }
//! }
//!
//! let runtime = Runtime::builder()
//!     .ledger(Ledger::off())
//!     .layer(middleware::from_fn(region))
//!     .layer(SkipDisabled)
//!     .build();
//! let outcome = runtime.scope(Legacy {}.execute()).await;
//! assert!(outcome.is_skipped());
//! assert_eq!(outcome.code(), Some("disabled"));
//! assert_eq!(outcome.metadata()["region"], "eu-west-1");
//! # }
//! ```
//!
//! # Tower layers
//!
//! [`from_layer`] makes any tower [`Layer`](tower_layer::Layer) a
//! middleware: `ConcurrencyLimit`, `RateLimit`, `LoadShed`, `Timeout`, a
//! `ServiceBuilder` of them, or your own. The layer is built once and its
//! service shared by every execution it wraps, so a concurrency limit is
//! one semaphore for the task (or the runtime), not one per execution. A
//! tower timeout fails the execution with code `timeout`, a load shed with
//! code `overloaded`.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! use cmdx::prelude::*;
//! use cmdx::middleware;
//! use cmdx::{Ledger, Runtime};
//! use std::time::Duration;
//! use tower::ServiceBuilder;
//!
//! #[derive(Debug, Serialize, Deserialize, Validate)]
//! struct Slow {}
//! impl Task for Slow {
//!     type Output = ();
//!     fn name() -> &'static str { "Reports::Slow" }
//!     async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
//!         tokio::time::sleep(Duration::from_secs(60)).await;
//!         Ok(())
//!     }
//! }
//!
//! let runtime = Runtime::builder()
//!     .ledger(Ledger::off())
//!     .layer(middleware::from_layer(
//!         ServiceBuilder::new()
//!             .concurrency_limit(8)
//!             .timeout(Duration::from_millis(10)),
//!     ))
//!     .build();
//! let outcome = runtime.scope(Slow {}.execute()).await;
//! assert!(outcome.is_failed());
//! assert_eq!(outcome.code(), Some("timeout"));
//! # }
//! ```
//!
//! # Built-ins
//!
//! * [`Timeout`]: a time limit on `work`, enforced inside so the rollback
//!   still runs.
//! * [`Correlation`]: sets the chain's external id (`xid`) from a closure.
//! * [`from_layer`]: any tower layer.
//!
//! A database transaction around `work` is a middleware too; see
//! `docs/middleware.md`.

mod call;
mod correlation;
mod from_layer;
mod next;
mod timeout;

pub use call::Call;
pub use correlation::Correlation;
pub use from_layer::{FromLayer, Rest, from_layer};
pub use next::{Done, Next};
pub use timeout::Timeout;

pub(crate) use call::{Deadline, Identity, Input, Subject};
pub(crate) use next::onion;

use crate::Halt;
use futures::future::BoxFuture;
use std::fmt;
use std::future::Future;

/// A layer around executions: see the [module docs](self).
pub trait Middleware: Send + Sync + 'static {
    /// Handles one execution: call `next.run(call).await` to run the rest,
    /// or return `Err(halt)` to stop here.
    fn call(&self, call: Call, next: Next) -> impl Future<Output = Result<Done, Halt>> + Send;
}

/// [`Middleware`] behind a pointer: the future boxed.
pub(crate) trait DynMiddleware: Send + Sync + 'static {
    fn call_boxed(&self, call: Call, next: Next) -> BoxFuture<'_, Result<Done, Halt>>;
}

impl<M: Middleware> DynMiddleware for M {
    fn call_boxed(&self, call: Call, next: Next) -> BoxFuture<'_, Result<Done, Halt>> {
        Box::pin(self.call(call, next))
    }
}

/// A middleware from an `async fn(call: Call, next: Next) -> Result<Done, Halt>`
/// (or a closure returning such a future), like axum's
/// `middleware::from_fn`:
///
/// ```
/// use cmdx::prelude::*;
/// use cmdx::middleware::{self, Call, Done, Next};
///
/// async fn audit(call: Call, next: Next) -> Result<Done, Halt> {
///     let task = call.task_name().to_owned();
///     let done = next.run(call).await;
///     Ok(done.with("audited_task", task))
/// }
///
/// let settings = Settings::new().layer(middleware::from_fn(audit));
/// # let _ = settings;
/// ```
pub fn from_fn<F, Fut>(f: F) -> FromFn<F>
where
    F: Fn(Call, Next) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Done, Halt>> + Send + 'static,
{
    FromFn(f)
}

/// The middleware made by [`from_fn`].
#[derive(Clone, Copy)]
pub struct FromFn<F>(F);

impl<F, Fut> Middleware for FromFn<F>
where
    F: Fn(Call, Next) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Done, Halt>> + Send + 'static,
{
    fn call(&self, call: Call, next: Next) -> impl Future<Output = Result<Done, Halt>> + Send {
        (self.0)(call, next)
    }
}

impl<F> fmt::Debug for FromFn<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FromFn")
    }
}
