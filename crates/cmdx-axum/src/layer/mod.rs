//! [`ChainLayer`]: one chain per HTTP request.

mod request_id;
mod service;
mod trace;

pub use service::{ChainFuture, ChainService};
pub use trace::RequestSpan;

use crate::StatusMap;
use axum::extract::FromRequestParts;
use cmdx::Runtime;
use http::StatusCode;
use http::request::Parts;
use std::fmt;
use std::sync::Arc;
use uuid::Uuid;

/// A tower layer that runs every request inside its own chain:
///
/// * the chain's `xid` is the request's `x-request-id` header (kept when it
///   is 1–200 visible ASCII characters; a fresh UUIDv7 otherwise), so every
///   ledger line of the request carries it;
/// * the response carries `x-request-id` (echoed or generated) and
///   `x-chain-id` (the chain id), so a support engineer goes from what the
///   client saw to `cmdx ledger … --where cid=…`;
/// * the request runs under the layer's [`Runtime`] (ledger, resources).
///   Needed because hyper serves each connection in its own `tokio::spawn`,
///   which does not inherit `Runtime::scope`; without one the global
///   runtime is used;
/// * handlers can extract the [`RequestChain`]; the layer's [`StatusMap`]
///   is the request's ambient map ([`StatusMap::scope`]), so every
///   [`Reply`](crate::Reply) and every `Problem::from(fault)` the handler
///   answers with honours it, like [`JsonTask`](crate::JsonTask) does;
/// * a [`RequestSpan`] (for example from a telemetry crate reading
///   `traceparent`) wraps the request, so task spans join the caller's trace;
/// * the request is work the runtime tracks ([`Runtime::track`]): a graceful
///   shutdown ([`Runtime::shutdown_timeout`]) waits for it until its
///   deadline, then drops it — the executions it was running each write
///   their line with reason `interrupted by shutdown` (`metadata.code`
///   `"shutdown"`: outcome unknown), and the client gets `503` with an
///   empty body and the `x-chain-id` to look them up.
///
/// Every execution the handler awaits joins the chain: the first top-level
/// one is its root (index 0), later ones take the next indexes.
///
/// ```
/// use axum::{Router, routing::get};
/// use cmdx_axum::{ChainLayer, RequestChain, StatusMap};
/// use http::StatusCode;
///
/// let runtime = cmdx::Runtime::builder().build();
/// let app: Router = Router::new()
///     .route("/whoami", get(|chain: RequestChain| async move { chain.request_id().to_owned() }))
///     .layer(
///         ChainLayer::new()
///             .runtime(runtime)
///             .statuses(StatusMap::new().code("out_of_stock", StatusCode::CONFLICT)),
///     );
/// # let _ = app;
/// ```
#[derive(Clone, Default)]
#[must_use]
pub struct ChainLayer {
    config: Arc<Config>,
}

#[derive(Clone, Default)]
pub(crate) struct Config {
    pub(crate) runtime: Option<Runtime>,
    pub(crate) statuses: StatusMap,
    pub(crate) span: Option<Arc<dyn RequestSpan>>,
}

impl ChainLayer {
    /// A layer using the global runtime, the default [`StatusMap`] and no
    /// request span.
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
    /// router's handlers answer with.
    pub fn statuses(mut self, statuses: StatusMap) -> Self {
        Arc::make_mut(&mut self.config).statuses = statuses;
        self
    }

    /// Wraps each request in the span `span` makes (see [`RequestSpan`]).
    pub fn request_span(mut self, span: impl RequestSpan) -> Self {
        Arc::make_mut(&mut self.config).span = Some(Arc::new(span));
        self
    }
}

impl<S> tower_layer::Layer<S> for ChainLayer {
    type Service = ChainService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        ChainService::new(inner, self.config.clone())
    }
}

impl fmt::Debug for ChainLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.config.fmt(f)
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChainLayer")
            .field("runtime", &self.runtime)
            .field("statuses", &self.statuses)
            .field("request_span", &self.span.is_some())
            .finish()
    }
}

/// The chain of the current request, as set by [`ChainLayer`]; extract it
/// in a handler to log or return its ids.
#[derive(Debug, Clone)]
pub struct RequestChain {
    cid: Uuid,
    xid: Arc<str>,
}

impl RequestChain {
    pub(crate) fn new(cid: Uuid, xid: Arc<str>) -> Self {
        Self { cid, xid }
    }

    /// The chain id, also sent as `x-chain-id`.
    pub fn id(&self) -> Uuid {
        self.cid
    }

    /// The request id (the chain's `xid`), also sent as `x-request-id`.
    pub fn request_id(&self) -> &str {
        &self.xid
    }
}

impl<S: Send + Sync> FromRequestParts<S> for RequestChain {
    type Rejection = (StatusCode, &'static str);

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts.extensions.get::<RequestChain>().cloned().ok_or((
            StatusCode::INTERNAL_SERVER_ERROR,
            "RequestChain needs cmdx_axum::ChainLayer on the router: add `.layer(ChainLayer::new())`",
        ))
    }
}
