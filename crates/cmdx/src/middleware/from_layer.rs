//! [`from_layer`]: a tower [`Layer`] as cmdx middleware.

use super::{Call, Done, Middleware, Next};
use crate::{BoxError, Halt};
use futures::future::BoxFuture;
use std::fmt;
use std::future::poll_fn;
use std::task::{Context, Poll};
use tokio::sync::Mutex;
use tower_layer::Layer;
use tower_service::Service;

/// A tower [`Layer`] as middleware: tower's `ConcurrencyLimit`,
/// `RateLimit`, `LoadShed`, `Timeout` (or a `ServiceBuilder` of them, or
/// any layer of yours) around the executions of a task or of a runtime.
///
/// The layer wraps [`Rest`], a [`Service<Call>`] that runs the rest of the
/// onion and answers with its [`Done`]. It is built **once**, here, so its
/// state is shared by every execution it wraps: one semaphore for
/// `ConcurrencyLimitLayer::new(2)` (at most two executions at a time), one
/// budget for a `RateLimitLayer`. Each execution waits for the service to
/// be ready and calls it; the service is behind an async lock held only for
/// `poll_ready` and `call` (not while the execution runs), so a service
/// need not be `Clone`.
///
/// Errors become a failed outcome, one ledger line as always:
///
/// | error (or a source of it) | reason | code |
/// | --- | --- | --- |
/// | `Elapsed` (tower's `Timeout`, tokio's `timeout`) | `timed out: …` | `timeout` |
/// | `Overloaded` (tower's `LoadShed`) | `overloaded: …` | `overloaded` |
/// | any other | the error's message (its sources are the `cause`) | — |
///
/// The two are recognized by their type's name (`Debug`), since cmdx
/// depends only on `tower-layer` and `tower-service`. A timeout from a tower
/// layer drops the task's run, rollback and hooks with it; prefer
/// [`Timeout`](super::Timeout) (or [`Settings::timeout`](crate::Settings::timeout)),
/// which keeps them.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use cmdx::prelude::*;
/// use cmdx::middleware;
/// use tower::limit::ConcurrencyLimitLayer;
///
/// #[derive(Debug, Serialize, Deserialize, Validate)]
/// struct Charge {}
///
/// impl Task for Charge {
///     type Output = ();
///     fn name() -> &'static str { "Billing::Charge" }
///     fn settings() -> Settings {
///         // `settings()` runs per execution: keep the layer in a static,
///         // so all executions share one limit.
///         static LIMIT: std::sync::LazyLock<Settings> = std::sync::LazyLock::new(|| {
///             Settings::new().layer(middleware::from_layer(ConcurrencyLimitLayer::new(2)))
///         });
///         LIMIT.clone()
///     }
///     async fn work(&self, _: &mut Cx) -> Result<(), Halt> { Ok(()) }
/// }
///
/// assert!(Charge {}.execute().await.is_success());
/// # }
/// ```
pub fn from_layer<L>(layer: L) -> FromLayer<L::Service>
where
    L: Layer<Rest>,
    L::Service: Service<Call, Response = Done> + Send + 'static,
    <L::Service as Service<Call>>::Error: Into<BoxError>,
    <L::Service as Service<Call>>::Future: Send + 'static,
{
    FromLayer {
        service: Mutex::new(layer.layer(Rest)),
    }
}

/// The middleware made by [`from_layer`]: one service for every execution.
pub struct FromLayer<S> {
    service: Mutex<S>,
}

impl<S> Middleware for FromLayer<S>
where
    S: Service<Call, Response = Done> + Send + 'static,
    S::Error: Into<BoxError>,
    S::Future: Send + 'static,
{
    async fn call(&self, mut call: Call, next: Next) -> Result<Done, Halt> {
        call.next = Some(next);
        let response = {
            let mut service = self.service.lock().await;
            poll_fn(|cx| service.poll_ready(cx))
                .await
                .map_err(|error| halt(error.into()))?;
            service.call(call)
        };
        response.await.map_err(|error| halt(error.into()))
    }
}

impl<S> fmt::Debug for FromLayer<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FromLayer")
    }
}

/// The rest of the onion as a tower [`Service`]: the service a layer given
/// to [`from_layer`] wraps. It runs the inner middleware and the task, and
/// answers with their [`Done`]; it is always ready and never fails.
#[derive(Debug, Clone, Copy, Default)]
pub struct Rest;

impl Service<Call> for Rest {
    type Response = Done;
    type Error = BoxError;
    type Future = BoxFuture<'static, Result<Done, BoxError>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, mut call: Call) -> Self::Future {
        match call.next.take() {
            Some(next) => Box::pin(async move { Ok(next.run(call).await) }),
            None => Box::pin(std::future::ready(Err(LostNext.into()))),
        }
    }
}

/// A call reached [`Rest`] without the onion it belongs to: it did not come
/// through [`from_layer`].
#[derive(Debug)]
struct LostNext;

impl fmt::Display for LostNext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "a call reached `middleware::Rest` without the rest of its onion; \
             pass tower layers to `middleware::from_layer`, not calls to `Rest` directly",
        )
    }
}

impl std::error::Error for LostNext {}

/// The halt for a tower error: `timeout` and `overloaded` by name, any
/// other error as itself.
fn halt(error: BoxError) -> Halt {
    let code = {
        let mut found = None;
        let mut error: Option<&(dyn std::error::Error + 'static)> = Some(&*error);
        while let Some(inner) = error {
            match format!("{inner:?}").as_str() {
                "Elapsed(())" => found = Some(Code::Timeout),
                "Overloaded" => found = Some(Code::Overloaded),
                _ => {}
            }
            if found.is_some() {
                break;
            }
            error = inner.source();
        }
        found
    };
    let mut halt = Halt::error(error);
    match code {
        Some(Code::Timeout) => {
            halt.0.reason = Some(
                "timed out: a tower timeout layer's limit passed before the execution finished"
                    .into(),
            );
            halt.code("timeout")
        }
        Some(Code::Overloaded) => {
            halt.0.reason = Some(
                "overloaded: a tower load-shed layer refused the execution \
                 (the service behind it was not ready); retry later"
                    .into(),
            );
            halt.code("overloaded")
        }
        None => halt,
    }
}

enum Code {
    Timeout,
    Overloaded,
}
