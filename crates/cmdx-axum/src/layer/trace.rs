//! [`RequestSpan`]: where a tracer continues the caller's trace.

use super::RequestChain;
use http::request::Parts;

/// Makes the span a request's executions run in — the extension point for
/// distributed tracing. A telemetry integration reads `traceparent` (and
/// `baggage`) from `parts.headers`, opens a span whose OpenTelemetry parent
/// is that remote context, and returns it: every task span of the request
/// is then a child of it, in the caller's trace.
///
/// Without one, [`ChainLayer`](crate::ChainLayer) opens no span of its own
/// and each root task's span is a trace root.
///
/// Closures `Fn(&Parts, &RequestChain) -> tracing::Span` implement it:
///
/// ```
/// use cmdx_axum::{ChainLayer, RequestChain};
/// use http::request::Parts;
///
/// let layer = ChainLayer::new().request_span(|parts: &Parts, chain: &RequestChain| {
///     tracing::info_span!("request", method = %parts.method, path = parts.uri.path(),
///                         cid = %chain.id(), xid = chain.request_id())
/// });
/// # let _ = layer;
/// ```
pub trait RequestSpan: Send + Sync + 'static {
    /// The span for one request, made before the handler runs.
    fn request_span(&self, parts: &Parts, chain: &RequestChain) -> tracing::Span;
}

impl<F> RequestSpan for F
where
    F: Fn(&Parts, &RequestChain) -> tracing::Span + Send + Sync + 'static,
{
    fn request_span(&self, parts: &Parts, chain: &RequestChain) -> tracing::Span {
        self(parts, chain)
    }
}
