//! [`ChainMiddleware`]: one chain per HTTP request.

mod service;
mod span;

pub use service::ChainService;
pub use span::RequestSpan;

use actix_web::Error;
use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform};
use cmdx::Runtime;
use cmdx_http::StatusMap;
use std::fmt;
use std::future::{Ready, ready};
use std::sync::Arc;

/// An actix-web middleware that runs every request inside its own chain —
/// what cmdx-axum's `ChainLayer` does for axum:
///
/// * the chain's `xid` is the request's `x-request-id` header (kept when it
///   is 1–200 visible ASCII characters, see
///   [`accept_request_id`](crate::accept_request_id); a fresh UUIDv7
///   otherwise), so every ledger line of the request carries it;
/// * the response carries `x-request-id` (echoed or generated) and
///   `x-chain-id` (the chain id), error responses included;
/// * the request runs under the middleware's [`Runtime`] (ledger,
///   resources); without one, [`Runtime::current`];
/// * handlers can extract the [`RequestChain`](crate::RequestChain); the
///   middleware's [`StatusMap`] is the request's map: every
///   [`Reply`](crate::Reply), [`JsonTask`](crate::JsonTask) and
///   `Problem::from(fault)` of its handlers answers with it;
/// * a [`RequestSpan`] (with the `telemetry` feature,
///   [`ChainMiddleware::continue_traces`]) wraps the request, so task
///   spans join the caller's trace;
/// * the request is work the runtime tracks ([`Runtime::track`]): a
///   graceful shutdown waits for it until its deadline, then drops it —
///   its executions write their lines (`interrupted by shutdown`) and the
///   client gets `503` with the `x-chain-id` to look them up.
///
/// actix-web runs each worker on its own current-thread tokio runtime; the
/// chain is a task-local set around each request's future, so it works
/// there as on a multi-thread runtime.
///
/// ```
/// use actix_web::{App, http::StatusCode};
/// use cmdx_actix::{ChainMiddleware, StatusMap};
///
/// let runtime = cmdx::Runtime::builder().build();
/// let app = App::new().wrap(
///     ChainMiddleware::new()
///         .runtime(runtime)
///         .statuses(StatusMap::new().code("out_of_stock", http::StatusCode::CONFLICT)),
/// );
/// # drop(app);
/// ```
#[derive(Clone, Default)]
#[must_use]
pub struct ChainMiddleware {
    config: Arc<Config>,
}

#[derive(Clone, Default)]
pub(crate) struct Config {
    pub(crate) runtime: Option<Runtime>,
    pub(crate) statuses: StatusMap,
    pub(crate) span: Option<Arc<dyn RequestSpan>>,
}

impl ChainMiddleware {
    /// A middleware using the current runtime, the default [`StatusMap`]
    /// and no request span.
    pub fn new() -> Self {
        Self::default()
    }

    /// Runs requests under `runtime` (its ledger and resources).
    pub fn runtime(mut self, runtime: Runtime) -> Self {
        Arc::make_mut(&mut self.config).runtime = Some(runtime);
        self
    }

    /// The failure statuses every [`Reply`](crate::Reply),
    /// [`JsonTask`](crate::JsonTask) and `Problem::from(fault)` of the
    /// app's handlers answer with.
    pub fn statuses(mut self, statuses: StatusMap) -> Self {
        Arc::make_mut(&mut self.config).statuses = statuses;
        self
    }

    /// Wraps each request in the span `span` makes (see [`RequestSpan`]).
    pub fn request_span(mut self, span: impl RequestSpan) -> Self {
        Arc::make_mut(&mut self.config).span = Some(Arc::new(span));
        self
    }

    /// Continues the caller's trace: each request runs in
    /// `cmdx_telemetry::propagation::request_span` of its `traceparent`
    /// and `baggage` headers, so the request's task spans are children of
    /// the caller's span (feature `telemetry`).
    ///
    /// ```
    /// let middleware = cmdx_actix::ChainMiddleware::new().continue_traces();
    /// # drop(middleware);
    /// ```
    #[cfg(feature = "telemetry")]
    pub fn continue_traces(self) -> Self {
        self.request_span(span::telemetry)
    }
}

impl<S, B> Transform<S, ServiceRequest> for ChainMiddleware
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    S::Future: 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Transform = ChainService<S>;
    type InitError = ();
    type Future = Ready<Result<ChainService<S>, ()>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(ChainService::new(service, self.config.clone())))
    }
}

impl fmt::Debug for ChainMiddleware {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.config.fmt(f)
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChainMiddleware")
            .field("runtime", &self.runtime)
            .field("statuses", &self.statuses)
            .field("request_span", &self.span.is_some())
            .finish()
    }
}
