//! Real OTLP receivers on `127.0.0.1` that keep every span they are sent:
//! a tonic `TraceService` (gRPC) and an HTTP `POST /v1/traces`
//! (http/protobuf), both decoding `opentelemetry-proto`'s
//! `ExportTraceServiceRequest`. Feature `otlp`. The log receivers are in
//! [`logs`].
//!
//! ```no_run
//! # async fn demo() {
//! use cmdx_test::otlp::OtlpReceiver;
//!
//! let receiver = OtlpReceiver::grpc().await;
//! // point an exporter at receiver.endpoint(), export, shut it down…
//! for span in receiver.spans() {
//!     println!("{} {} parent={:?}", span.name(), span.span_id(), span.parent_span_id());
//! }
//! # }
//! ```

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::any_value::Value as Any;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue};
use opentelemetry_proto::tonic::trace::v1::Span;
use opentelemetry_proto::tonic::trace::v1::status::StatusCode as SpanStatus;
use prost::Message;
use serde_json::Value;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

pub mod logs;

type Received = Arc<Mutex<Vec<ReceivedSpan>>>;

/// A running receiver; it stops when dropped.
#[derive(Debug)]
pub struct OtlpReceiver {
    addr: SocketAddr,
    grpc: bool,
    spans: Received,
    server: JoinHandle<()>,
}

impl OtlpReceiver {
    /// A gRPC receiver (tonic `TraceService`) on a free loopback port.
    ///
    /// # Panics
    ///
    /// Outside a tokio runtime, or if no loopback port can be bound.
    pub async fn grpc() -> Self {
        let listener = bind().await;
        let addr = listener
            .local_addr()
            .expect("a bound listener has an address");
        let spans = Received::default();
        let service = TraceServiceServer::new(GrpcReceiver(spans.clone()));
        let server = tokio::spawn(async move {
            let incoming = tokio_stream::wrappers::TcpListenerStream::new(listener);
            let _ = tonic::transport::Server::builder()
                .add_service(service)
                .serve_with_incoming(incoming)
                .await;
        });
        Self {
            addr,
            grpc: true,
            spans,
            server,
        }
    }

    /// An http/protobuf receiver (`POST /v1/traces`) on a free loopback port.
    ///
    /// # Panics
    ///
    /// Outside a tokio runtime, or if no loopback port can be bound.
    pub async fn http() -> Self {
        let listener = bind().await;
        let addr = listener
            .local_addr()
            .expect("a bound listener has an address");
        let spans = Received::default();
        let app = axum::Router::new()
            .route("/v1/traces", axum::routing::post(receive_http))
            .with_state(spans.clone());
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self {
            addr,
            grpc: false,
            spans,
            server,
        }
    }

    /// The URL to give the exporter: `http://127.0.0.1:PORT` for gRPC,
    /// `http://127.0.0.1:PORT/v1/traces` for HTTP.
    pub fn endpoint(&self) -> String {
        if self.grpc {
            format!("http://{}", self.addr)
        } else {
            format!("http://{}/v1/traces", self.addr)
        }
    }

    /// Every span received so far, in arrival order.
    pub fn spans(&self) -> Vec<ReceivedSpan> {
        lock(&self.spans).clone()
    }

    /// Waits (polling, real time) until at least `count` spans arrived or
    /// `timeout` passed, then returns what arrived.
    pub async fn wait_for(&self, count: usize, timeout: Duration) -> Vec<ReceivedSpan> {
        let deadline = Instant::now() + timeout;
        while lock(&self.spans).len() < count && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        self.spans()
    }
}

impl Drop for OtlpReceiver {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// One received span, with the service name of its resource.
#[derive(Debug, Clone)]
pub struct ReceivedSpan {
    /// The `service.name` resource attribute.
    pub service_name: Option<String>,
    /// The span as decoded from the request.
    pub span: Span,
}

impl ReceivedSpan {
    /// The span's name.
    pub fn name(&self) -> &str {
        &self.span.name
    }

    /// The trace id, 32 lowercase hex digits.
    pub fn trace_id(&self) -> String {
        hex(&self.span.trace_id)
    }

    /// The span id, 16 lowercase hex digits.
    pub fn span_id(&self) -> String {
        hex(&self.span.span_id)
    }

    /// The parent span id, `None` for a root span.
    pub fn parent_span_id(&self) -> Option<String> {
        (!self.span.parent_span_id.is_empty()).then(|| hex(&self.span.parent_span_id))
    }

    /// Every attribute as JSON (strings, numbers, booleans, arrays).
    pub fn attributes(&self) -> BTreeMap<String, Value> {
        attributes(&self.span.attributes)
    }

    /// One attribute as JSON.
    pub fn attribute(&self, key: &str) -> Option<Value> {
        self.attributes().remove(key)
    }

    /// Whether the span's status is Error.
    pub fn is_error(&self) -> bool {
        self.span
            .status
            .as_ref()
            .is_some_and(|s| s.code == SpanStatus::Error as i32)
    }

    /// The status message (empty when none).
    pub fn status_message(&self) -> &str {
        self.span.status.as_ref().map_or("", |s| s.message.as_str())
    }

    /// The events as `(name, attributes)`.
    pub fn events(&self) -> Vec<(String, BTreeMap<String, Value>)> {
        self.span
            .events
            .iter()
            .map(|e| (e.name.clone(), attributes(&e.attributes)))
            .collect()
    }

    /// The links as `(trace id, span id)` in hex.
    pub fn links(&self) -> Vec<(String, String)> {
        self.span
            .links
            .iter()
            .map(|l| (hex(&l.trace_id), hex(&l.span_id)))
            .collect()
    }
}

struct GrpcReceiver(Received);

#[tonic::async_trait]
impl TraceService for GrpcReceiver {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        keep(&self.0, request.into_inner());
        Ok(tonic::Response::new(ExportTraceServiceResponse::default()))
    }
}

async fn receive_http(State(spans): State<Received>, body: Bytes) -> (StatusCode, Vec<u8>) {
    match ExportTraceServiceRequest::decode(body) {
        Ok(request) => {
            keep(&spans, request);
            (
                StatusCode::OK,
                ExportTraceServiceResponse::default().encode_to_vec(),
            )
        }
        Err(error) => (StatusCode::BAD_REQUEST, error.to_string().into_bytes()),
    }
}

fn keep(spans: &Received, request: ExportTraceServiceRequest) {
    let mut spans = lock(spans);
    for resource_spans in request.resource_spans {
        let service_name = resource_spans.resource.as_ref().and_then(|r| {
            attributes(&r.attributes)
                .remove("service.name")
                .and_then(|v| v.as_str().map(str::to_owned))
        });
        for scope_spans in resource_spans.scope_spans {
            for span in scope_spans.spans {
                spans.push(ReceivedSpan {
                    service_name: service_name.clone(),
                    span,
                });
            }
        }
    }
}

pub(crate) async fn bind() -> TcpListener {
    TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a free port on 127.0.0.1")
}

fn lock<T>(items: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    items
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn attributes(list: &[KeyValue]) -> BTreeMap<String, Value> {
    list.iter()
        .map(|kv| (kv.key.clone(), json(kv.value.as_ref())))
        .collect()
}

pub(crate) fn json(value: Option<&AnyValue>) -> Value {
    match value.and_then(|v| v.value.as_ref()) {
        Some(Any::StringValue(s)) => Value::from(s.clone()),
        Some(Any::BoolValue(b)) => Value::from(*b),
        Some(Any::IntValue(i)) => Value::from(*i),
        Some(Any::DoubleValue(d)) => Value::from(*d),
        Some(Any::ArrayValue(array)) => {
            Value::Array(array.values.iter().map(|v| json(Some(v))).collect())
        }
        Some(Any::BytesValue(bytes)) => Value::from(hex(bytes)),
        Some(Any::KvlistValue(list)) => {
            Value::Object(attributes(&list.values).into_iter().collect())
        }
        _ => Value::Null,
    }
}

/// Checks exported spans against ledger lines (JSON values) and returns
/// the span of each line, keyed by `tid`. Panics, saying which execution,
/// unless for every line:
///
/// - exactly one span carries its `tid` (attribute `cmdx.tid`), named after
///   the task, with matching `cmdx.*` attributes (cid, index, kind, state,
///   status);
/// - the line's `trace_id`/`span_id` are that span's ids;
/// - the span's parent is the span of the line's `parent` (no parent for
///   lines without one), so the trace tree equals the chain tree;
/// - a failed line's span has status Error with the reason as message.
pub fn assert_spans_match_lines(
    spans: &[ReceivedSpan],
    lines: &[Value],
) -> BTreeMap<String, ReceivedSpan> {
    let by_tid: BTreeMap<String, ReceivedSpan> = lines
        .iter()
        .map(|line| {
            let tid = line["tid"].as_str().expect("a ledger line has a tid");
            let matching: Vec<&ReceivedSpan> = spans
                .iter()
                .filter(|s| s.attribute("cmdx.tid").as_ref().and_then(Value::as_str) == Some(tid))
                .collect();
            assert_eq!(
                matching.len(),
                1,
                "spans for execution {tid}: {matching:#?}"
            );
            (tid.to_owned(), matching[0].clone())
        })
        .collect();
    for line in lines {
        let tid = line["tid"].as_str().unwrap_or_default();
        let span = &by_tid[tid];
        assert_eq!(span.name(), line["task"], "span name of {tid}");
        assert_eq!(
            Some(span.trace_id()),
            line["trace_id"].as_str().map(str::to_owned),
            "trace_id of {tid}"
        );
        assert_eq!(
            Some(span.span_id()),
            line["span_id"].as_str().map(str::to_owned),
            "span_id of {tid}"
        );
        for key in ["cid", "kind", "state", "status"] {
            assert_eq!(
                span.attribute(&format!("cmdx.{key}")).as_ref(),
                Some(&line[key]),
                "cmdx.{key} of {tid}"
            );
        }
        assert_eq!(
            span.attribute("cmdx.index").as_ref(),
            Some(&line["index"]),
            "cmdx.index of {tid}"
        );
        let expected_parent = line["parent"].as_str().map(|parent| {
            by_tid
                .get(parent)
                .unwrap_or_else(|| panic!("the parent {parent} of {tid} has no line here"))
                .span_id()
        });
        assert_eq!(
            span.parent_span_id(),
            expected_parent,
            "span parent of {tid}"
        );
        if line["status"] == "failed" {
            assert!(span.is_error(), "the span of failed {tid} has status Error");
            assert_eq!(
                span.status_message(),
                line["reason"].as_str().unwrap_or("failed")
            );
        } else {
            assert!(!span.is_error(), "the span of {tid} is not an error");
        }
    }
    by_tid
}
