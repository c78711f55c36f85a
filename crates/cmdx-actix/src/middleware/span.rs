//! [`RequestSpan`]: where a tracer continues the caller's trace.

use crate::RequestChain;
use actix_web::dev::ServiceRequest;

/// Makes the span a request's executions run in — the extension point for
/// distributed tracing (the `telemetry` feature's
/// [`ChainMiddleware::continue_traces`](crate::ChainMiddleware::continue_traces)
/// is one). Without one, [`ChainMiddleware`](crate::ChainMiddleware) opens
/// no span of its own and each root task's span is a trace root.
///
/// Closures `Fn(&ServiceRequest, &RequestChain) -> tracing::Span`
/// implement it:
///
/// ```
/// use actix_web::dev::ServiceRequest;
/// use cmdx_actix::{ChainMiddleware, RequestChain};
///
/// let middleware = ChainMiddleware::new().request_span(|request: &ServiceRequest, chain: &RequestChain| {
///     tracing::info_span!("request", method = %request.method(), path = request.path(),
///                         cid = %chain.id(), xid = chain.request_id())
/// });
/// # drop(middleware);
/// ```
pub trait RequestSpan: Send + Sync + 'static {
    /// The span for one request, made before the handler runs.
    fn request_span(&self, request: &ServiceRequest, chain: &RequestChain) -> tracing::Span;
}

impl<F> RequestSpan for F
where
    F: Fn(&ServiceRequest, &RequestChain) -> tracing::Span + Send + Sync + 'static,
{
    fn request_span(&self, request: &ServiceRequest, chain: &RequestChain) -> tracing::Span {
        self(request, chain)
    }
}

/// cmdx-telemetry's request span, from the W3C headers (actix-web 4 has
/// `http` 0.2 headers: the three propagation headers are copied over).
#[cfg(feature = "telemetry")]
pub(super) fn telemetry(request: &ServiceRequest, _: &RequestChain) -> tracing::Span {
    let mut headers = http::HeaderMap::new();
    for name in ["traceparent", "tracestate", "baggage"] {
        if let Some(value) = request.headers().get(name)
            && let Ok(value) = http::HeaderValue::from_bytes(value.as_bytes())
        {
            headers.insert(name, value);
        }
    }
    cmdx_telemetry::propagation::request_span(&headers)
}
