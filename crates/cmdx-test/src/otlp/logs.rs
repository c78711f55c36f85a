//! Real OTLP **logs** receivers on `127.0.0.1` that keep every log record
//! they are sent: a tonic `LogsService` (gRPC) and an HTTP `POST /v1/logs`
//! (http/protobuf), both decoding `opentelemetry-proto`'s
//! `ExportLogsServiceRequest`. Also a collector that accepts connections
//! and never answers. Feature `otlp`.
//!
//! ```no_run
//! # async fn demo() {
//! use cmdx_test::otlp::logs::OtlpLogReceiver;
//!
//! let receiver = OtlpLogReceiver::http().await;
//! // point a log exporter at receiver.endpoint(), export, shut it down…
//! for record in receiver.records() {
//!     println!("{} {:?} {:?}", record.body(), record.trace_id(), record.attribute("cmdx.tid"));
//! }
//! # }
//! ```

use super::{attributes, bind, hex, json, lock};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use opentelemetry_proto::tonic::collector::logs::v1::logs_service_server::{
    LogsService, LogsServiceServer,
};
use opentelemetry_proto::tonic::collector::logs::v1::{
    ExportLogsServiceRequest, ExportLogsServiceResponse,
};
use opentelemetry_proto::tonic::logs::v1::LogRecord;
use prost::Message;
use serde_json::Value;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::task::JoinHandle;

type Received = Arc<Mutex<Vec<ReceivedLog>>>;

/// A running logs receiver; it stops when dropped.
#[derive(Debug)]
pub struct OtlpLogReceiver {
    addr: SocketAddr,
    grpc: bool,
    records: Received,
    requests: Arc<Mutex<usize>>,
    server: JoinHandle<()>,
}

impl OtlpLogReceiver {
    /// A gRPC receiver (tonic `LogsService`) on a free loopback port.
    ///
    /// # Panics
    ///
    /// Outside a tokio runtime, or if no loopback port can be bound.
    pub async fn grpc() -> Self {
        let listener = bind().await;
        let addr = listener
            .local_addr()
            .expect("a bound listener has an address");
        let records = Received::default();
        let requests = Arc::new(Mutex::new(0));
        let service = LogsServiceServer::new(GrpcReceiver(records.clone(), requests.clone()));
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
            records,
            requests,
            server,
        }
    }

    /// An http/protobuf receiver (`POST /v1/logs`) on a free loopback port.
    ///
    /// # Panics
    ///
    /// Outside a tokio runtime, or if no loopback port can be bound.
    pub async fn http() -> Self {
        let listener = bind().await;
        let addr = listener
            .local_addr()
            .expect("a bound listener has an address");
        let records = Received::default();
        let requests = Arc::new(Mutex::new(0));
        let app = axum::Router::new()
            .route("/v1/logs", axum::routing::post(receive_http))
            .with_state((records.clone(), requests.clone()));
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self {
            addr,
            grpc: false,
            records,
            requests,
            server,
        }
    }

    /// The URL to give the log exporter: `http://127.0.0.1:PORT` for gRPC,
    /// `http://127.0.0.1:PORT/v1/logs` for HTTP.
    pub fn endpoint(&self) -> String {
        if self.grpc {
            format!("http://{}", self.addr)
        } else {
            format!("http://{}/v1/logs", self.addr)
        }
    }

    /// Every log record received so far, in arrival order.
    pub fn records(&self) -> Vec<ReceivedLog> {
        lock(&self.records).clone()
    }

    /// How many export requests arrived (each carries a batch).
    pub fn requests(&self) -> usize {
        *lock(&self.requests)
    }

    /// Waits (polling, real time) until at least `count` records arrived or
    /// `timeout` passed, then returns what arrived.
    pub async fn wait_for(&self, count: usize, timeout: Duration) -> Vec<ReceivedLog> {
        let deadline = Instant::now() + timeout;
        while lock(&self.records).len() < count && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        self.records()
    }
}

impl Drop for OtlpLogReceiver {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// One received log record, with its resource's service name and its
/// instrumentation scope's name.
#[derive(Debug, Clone)]
pub struct ReceivedLog {
    /// The `service.name` resource attribute.
    pub service_name: Option<String>,
    /// The instrumentation scope's name (the logger's name or the record's
    /// target).
    pub scope: String,
    /// The record as decoded from the request.
    pub record: LogRecord,
}

impl ReceivedLog {
    /// The trace id, 32 lowercase hex digits; `None` when not set.
    pub fn trace_id(&self) -> Option<String> {
        (!self.record.trace_id.is_empty()).then(|| hex(&self.record.trace_id))
    }

    /// The span id, 16 lowercase hex digits; `None` when not set.
    pub fn span_id(&self) -> Option<String> {
        (!self.record.span_id.is_empty()).then(|| hex(&self.record.span_id))
    }

    /// The body as JSON (a string body is a JSON string).
    pub fn body_value(&self) -> Value {
        json(self.record.body.as_ref())
    }

    /// The body's text; empty when the body is not a string.
    pub fn body(&self) -> String {
        self.body_value().as_str().unwrap_or_default().to_owned()
    }

    /// The severity number (9 = INFO, 13 = WARN, 17 = ERROR; 0 = unset).
    pub fn severity_number(&self) -> i32 {
        self.record.severity_number
    }

    /// The severity text (`INFO`, `ERROR`…; empty when unset).
    pub fn severity_text(&self) -> &str {
        &self.record.severity_text
    }

    /// The event name (empty when unset).
    pub fn event_name(&self) -> &str {
        &self.record.event_name
    }

    /// The record's timestamp, nanoseconds since the Unix epoch (0 when
    /// unset).
    pub fn time_unix_nano(&self) -> u64 {
        self.record.time_unix_nano
    }

    /// Every attribute as JSON (strings, numbers, booleans, arrays, maps).
    pub fn attributes(&self) -> BTreeMap<String, Value> {
        attributes(&self.record.attributes)
    }

    /// One attribute as JSON.
    pub fn attribute(&self, key: &str) -> Option<Value> {
        self.attributes().remove(key)
    }
}

struct GrpcReceiver(Received, Arc<Mutex<usize>>);

#[tonic::async_trait]
impl LogsService for GrpcReceiver {
    async fn export(
        &self,
        request: tonic::Request<ExportLogsServiceRequest>,
    ) -> Result<tonic::Response<ExportLogsServiceResponse>, tonic::Status> {
        keep(&self.0, &self.1, request.into_inner());
        Ok(tonic::Response::new(ExportLogsServiceResponse::default()))
    }
}

async fn receive_http(
    State((records, requests)): State<(Received, Arc<Mutex<usize>>)>,
    body: Bytes,
) -> (StatusCode, Vec<u8>) {
    match ExportLogsServiceRequest::decode(body) {
        Ok(request) => {
            keep(&records, &requests, request);
            (
                StatusCode::OK,
                ExportLogsServiceResponse::default().encode_to_vec(),
            )
        }
        Err(error) => (StatusCode::BAD_REQUEST, error.to_string().into_bytes()),
    }
}

fn keep(records: &Received, requests: &Mutex<usize>, request: ExportLogsServiceRequest) {
    *lock(requests) += 1;
    let mut records = lock(records);
    for resource_logs in request.resource_logs {
        let service_name = resource_logs.resource.as_ref().and_then(|r| {
            attributes(&r.attributes)
                .remove("service.name")
                .and_then(|v| v.as_str().map(str::to_owned))
        });
        for scope_logs in resource_logs.scope_logs {
            let scope = scope_logs
                .scope
                .as_ref()
                .map(|s| s.name.clone())
                .unwrap_or_default();
            for record in scope_logs.log_records {
                records.push(ReceivedLog {
                    service_name: service_name.clone(),
                    scope: scope.clone(),
                    record,
                });
            }
        }
    }
}

/// A collector that never answers: connections complete (the kernel's
/// backlog) and then nothing is ever read or written. Closed when dropped.
#[derive(Debug)]
pub struct SilentCollector {
    listener: std::net::TcpListener,
}

impl SilentCollector {
    /// Binds a free loopback port and never accepts on it.
    ///
    /// # Panics
    ///
    /// If no loopback port can be bound.
    pub fn start() -> Self {
        Self {
            listener: std::net::TcpListener::bind("127.0.0.1:0").expect("a free port"),
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        format!(
            "http://{}",
            self.listener.local_addr().expect("a bound listener")
        )
    }
}

/// A loopback URL where nothing listens (`http://127.0.0.1:PORT`): a
/// collector that is down. The port was free a moment ago.
pub fn closed_port_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    let addr = listener.local_addr().expect("a bound listener");
    drop(listener);
    format!("http://{addr}")
}
