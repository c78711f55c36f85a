//! Chains across services: W3C `traceparent` and `baggage`.
//!
//! The calling task injects its trace context and its chain position into
//! the outgoing request (HTTP headers, or a string map in a job payload);
//! the receiving service extracts them and runs its task under
//! [`Incoming::run`]. The remote task then
//!
//! - joins the caller's trace, its span a child of the calling task's span
//!   (`traceparent`);
//! - joins the caller's chain: same chain id and external id, and its
//!   `parent` is the calling task's `tid` (`baggage`: `cmdx.cid`,
//!   `cmdx.xid`, `cmdx.parent`).
//!
//! **Index space.** Indexes are handed out per [`ChainScope`]: every
//! incoming request that continues the chain (every service it crosses,
//! every endpoint called) numbers its executions from 0 again. So
//! `(cid, index)` is unique only within one scope; across services use
//! `tid` (always unique) and `parent` (which links across the hop), and as
//! an idempotency key [`Cx::idempotency_key`], which is the `tid`. A remote
//! execution is never `root`, because it has a parent.
//!
//! **Trust.** Only honour these headers from callers you trust (your own
//! services): a client could otherwise choose the chain id its work is
//! recorded under.

use cmdx::{ChainScope, Cx};
use opentelemetry::baggage::BaggageExt;
use opentelemetry::context::FutureExt as _;
use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator};
use opentelemetry::{Context, KeyValue};
use opentelemetry_sdk::propagation::{BaggagePropagator, TraceContextPropagator};
use std::collections::HashMap;
use std::future::Future;
use tracing_opentelemetry::OpenTelemetrySpanExt;
use uuid::Uuid;

/// Baggage key carrying the chain id.
pub const BAGGAGE_CHAIN_ID: &str = "cmdx.cid";
/// Baggage key carrying the chain's external id.
pub const BAGGAGE_XID: &str = "cmdx.xid";
/// Baggage key carrying the calling execution's `tid`.
pub const BAGGAGE_PARENT: &str = "cmdx.parent";

/// Writes `traceparent` (when a tracer is active) and `baggage` for the
/// execution `cx` into any OpenTelemetry [`Injector`].
///
/// Call it inside `work`: the trace context is the current span's, which
/// there is the execution's own span.
pub fn inject(cx: &Cx, carrier: &mut dyn Injector) {
    let span_context = tracing::Span::current().context();
    let ours = [BAGGAGE_CHAIN_ID, BAGGAGE_XID, BAGGAGE_PARENT];
    let mut entries: Vec<KeyValue> = span_context
        .baggage()
        .iter()
        .filter(|(key, _)| !ours.contains(&key.as_str()))
        .map(|(key, (value, _))| KeyValue::new(key.clone(), value.as_str().to_owned()))
        .collect();
    entries.push(KeyValue::new(BAGGAGE_CHAIN_ID, cx.chain_id().to_string()));
    if let Some(xid) = cx.xid() {
        entries.push(KeyValue::new(BAGGAGE_XID, xid.to_owned()));
    }
    entries.push(KeyValue::new(BAGGAGE_PARENT, cx.tid().to_string()));
    let context = span_context.with_baggage(entries);
    TraceContextPropagator::new().inject_context(&context, carrier);
    BaggagePropagator::new().inject_context(&context, carrier);
}

/// [`inject`] into HTTP headers.
///
/// ```
/// use cmdx::prelude::*;
///
/// #[derive(Debug, Serialize, Deserialize, Validate)]
/// struct CallInventory {}
///
/// impl Task for CallInventory {
///     /// The `baggage` header sent (a task's output is `Serialize`).
///     type Output = String;
///     fn name() -> &'static str {
///         "Orders::CallInventory"
///     }
///     async fn work(&self, cx: &mut Cx) -> Result<String, Halt> {
///         let mut headers = http::HeaderMap::new();
///         cmdx_telemetry::propagation::inject_headers(cx, &mut headers);
///         // … send them with the request …
///         Ok(headers["baggage"].to_str().unwrap_or_default().to_owned())
///     }
/// }
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let runtime = cmdx::Runtime::builder().ledger(cmdx::Ledger::off()).build();
/// let outcome = runtime.scope(CallInventory {}.execute()).await;
/// let baggage = outcome.value().unwrap().clone();
/// assert!(baggage.contains(&format!("cmdx.cid={}", outcome.chain_id())));
/// # }
/// ```
pub fn inject_headers(cx: &Cx, headers: &mut http::HeaderMap) {
    inject(cx, &mut HeaderInjector(headers));
}

/// [`inject`] into a string map (a job payload, a message's attributes).
pub fn inject_map(cx: &Cx, map: &mut HashMap<String, String>) {
    inject(cx, map);
}

/// Reads `traceparent` and `baggage` from any OpenTelemetry [`Extractor`].
/// Missing or malformed values are ignored: the result then starts a new
/// chain (and a new trace).
pub fn extract(carrier: &dyn Extractor) -> Incoming {
    let context = TraceContextPropagator::new().extract(carrier);
    let context = BaggagePropagator::new().extract_with_context(&context, carrier);
    let baggage = context.baggage();
    let uuid = |key: &str| {
        baggage
            .get(key)
            .and_then(|value| Uuid::parse_str(value.as_str()).ok())
    };
    let chain_id = uuid(BAGGAGE_CHAIN_ID);
    let parent = uuid(BAGGAGE_PARENT);
    let xid = baggage
        .get(BAGGAGE_XID)
        .map(|value| value.as_str().to_owned());
    Incoming {
        context,
        chain_id,
        xid,
        parent,
    }
}

/// [`extract`] from HTTP headers.
pub fn extract_headers(headers: &http::HeaderMap) -> Incoming {
    extract(&HeaderExtractor(headers))
}

/// [`extract`] from a string map.
pub fn extract_map(map: &HashMap<String, String>) -> Incoming {
    extract(map)
}

/// A `request` span (target `cmdx`, OpenTelemetry kind server) whose parent
/// is the caller's span from the `traceparent` header, so a request's task
/// spans continue the caller's trace. With no header, a new trace starts;
/// with no subscriber, the span is disabled and costs nothing. Made for
/// `cmdx_axum::ChainLayer::request_span`:
///
/// ```
/// let mut headers = http::HeaderMap::new();
/// headers.insert("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".parse().unwrap());
/// let span = cmdx_telemetry::propagation::request_span(&headers);
/// # drop(span);
/// ```
pub fn request_span(headers: &http::HeaderMap) -> tracing::Span {
    let span = tracing::info_span!(target: "cmdx", "request", otel.kind = "server");
    if !span.is_disabled() {
        // Only fails when no OpenTelemetry layer is installed: then there
        // is no trace to continue.
        let _ = span.set_parent(extract_headers(headers).context);
    }
    span
}

/// A caller's trace context and chain position, extracted from a request.
#[derive(Debug, Clone)]
pub struct Incoming {
    context: Context,
    chain_id: Option<Uuid>,
    xid: Option<String>,
    parent: Option<Uuid>,
}

impl Incoming {
    /// The caller's chain id, if it sent one.
    pub fn chain_id(&self) -> Option<Uuid> {
        self.chain_id
    }

    /// The caller's external id, if it sent one.
    pub fn xid(&self) -> Option<&str> {
        self.xid.as_deref()
    }

    /// The calling execution's `tid`, if it sent one.
    pub fn parent(&self) -> Option<Uuid> {
        self.parent
    }

    /// The OpenTelemetry context with the caller's span as remote parent
    /// (and the baggage); set it as parent of your own request span with
    /// `span.set_parent(incoming.otel_context().clone())`.
    pub fn otel_context(&self) -> &Context {
        &self.context
    }

    /// The chain to continue: the caller's (with its external id, and the
    /// calling execution as parent), or a new one when none was sent.
    pub fn chain_scope(&self) -> ChainScope {
        let mut scope = match self.chain_id {
            Some(cid) => ChainScope::with_id(cid),
            None => ChainScope::new(),
        };
        if let Some(xid) = &self.xid {
            scope = scope.xid(xid.clone());
        }
        if let (Some(_), Some(parent)) = (self.chain_id, self.parent) {
            scope = scope.parent(parent);
        }
        scope
    }

    /// Runs `fut` in the caller's chain ([`chain_scope`](Self::chain_scope))
    /// and trace: executions started directly inside it get spans whose
    /// parent is the caller's span, so the trace tree stays the chain tree
    /// across the hop.
    ///
    /// The caller's context is made OpenTelemetry's current context while
    /// `fut` is polled, and a span with no `tracing` parent takes it as its
    /// parent. Inside a `tracing` span of your own (a request span), that
    /// span is the parent instead: give it the caller's context with
    /// `span.set_parent(incoming.otel_context().clone())`, or turn on
    /// [`TelemetryBuilder::context_activation`](crate::TelemetryBuilder::context_activation).
    pub fn run<F: Future>(self, fut: F) -> impl Future<Output = F::Output> {
        self.chain_scope().run(fut).with_context(self.context)
    }
}

struct HeaderInjector<'a>(&'a mut http::HeaderMap);

impl Injector for HeaderInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        if let (Ok(name), Ok(value)) = (
            http::HeaderName::from_bytes(key.as_bytes()),
            http::HeaderValue::from_str(&value),
        ) {
            self.0.insert(name, value);
        }
    }
}

struct HeaderExtractor<'a>(&'a http::HeaderMap);

impl Extractor for HeaderExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|value| value.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(http::HeaderName::as_str).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_map_without_our_keys_starts_a_new_chain() {
        let incoming = extract_map(&HashMap::new());
        assert_eq!(incoming.chain_id(), None);
        assert_eq!(incoming.parent(), None);
        assert_ne!(incoming.chain_scope().id(), Uuid::nil());
    }

    #[test]
    fn baggage_keys_are_read_back_from_headers() {
        let cid = Uuid::now_v7();
        let parent = Uuid::now_v7();
        let mut headers = http::HeaderMap::new();
        headers.insert(
            "baggage",
            format!("cmdx.cid={cid},cmdx.xid=req%2042,cmdx.parent={parent}")
                .parse()
                .expect("valid header"),
        );
        let incoming = extract_headers(&headers);
        assert_eq!(incoming.chain_id(), Some(cid));
        assert_eq!(incoming.parent(), Some(parent));
        assert_eq!(incoming.xid(), Some("req 42"));
        assert_eq!(incoming.chain_scope().id(), cid);
    }

    #[test]
    fn a_malformed_chain_id_is_ignored() {
        let mut map = HashMap::new();
        map.insert("baggage".to_owned(), "cmdx.cid=not-a-uuid".to_owned());
        assert_eq!(extract_map(&map).chain_id(), None);
    }
}
