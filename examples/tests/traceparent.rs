//! A request carrying `traceparent` continues the caller's trace through
//! the inventory API — the same test body against the axum server and the
//! actix-web one (`cmdx-actix`'s `continue_traces`): the request span's
//! parent is the caller's span, every task span of the request shares the
//! caller's trace id, and the ledger lines carry the same ids as the
//! exported spans.
//!
//! One test in its own binary: it installs the global subscriber, as
//! `cmdx_telemetry::init()` does in a program.

use actix_web::dev::ServerHandle;
use cmdx::MemoryLedger;
use cmdx_examples::http;
use cmdx_examples::inventory::Inventory;
use cmdx_telemetry::{Protocol, Telemetry};
use cmdx_test::AxumServer;
use cmdx_test::otlp::{OtlpReceiver, ReceivedSpan};
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// The servers the test body runs against, each with its caller's ids.
const SERVERS: [(Kind, &str, &str); 2] = [
    (
        Kind::Axum,
        "4bf92f3577b34da6a3ce929d0e0e4736",
        "00f067aa0ba902b7",
    ),
    (
        Kind::Actix,
        "5cf92f3577b34da6a3ce929d0e0e4737",
        "01f067aa0ba902b8",
    ),
];

#[derive(Debug, Clone, Copy)]
enum Kind {
    Axum,
    Actix,
}

/// A server on 127.0.0.1:0, stopped by [`Running::stop`] (or on drop).
enum Running {
    Axum(AxumServer),
    Actix {
        addr: SocketAddr,
        handle: ServerHandle,
        thread: Option<std::thread::JoinHandle<()>>,
    },
}

impl Running {
    async fn start(kind: Kind, runtime: cmdx::Runtime, inventory: Inventory) -> Self {
        match kind {
            Kind::Axum => Self::Axum(AxumServer::start(http::router(runtime, inventory)).await),
            Kind::Actix => {
                let (sender, receiver) = std::sync::mpsc::channel();
                let thread = std::thread::spawn(move || {
                    actix_web::rt::System::new().block_on(async move {
                        let (server, addrs) =
                            http::actix::server(runtime, inventory, "127.0.0.1:0", 2)
                                .expect("binding 127.0.0.1:0");
                        sender
                            .send((addrs[0], server.handle()))
                            .expect("the test waits");
                        let _ = server.await;
                    });
                });
                let (addr, handle) = receiver.recv().expect("the server started");
                Self::Actix {
                    addr,
                    handle,
                    thread: Some(thread),
                }
            }
        }
    }

    fn url(&self, path: &str) -> String {
        match self {
            Self::Axum(server) => server.url(path),
            Self::Actix { addr, .. } => format!("http://{addr}{path}"),
        }
    }

    async fn stop(self) {
        match self {
            Self::Axum(server) => server.stop().await,
            Self::Actix {
                handle, mut thread, ..
            } => {
                handle.stop(true).await;
                if let Some(thread) = thread.take() {
                    thread.join().expect("the server thread ends");
                }
            }
        }
    }
}

#[test]
fn a_traceparent_header_continues_the_callers_trace_through_the_request() {
    let collector = tokio::runtime::Runtime::new().expect("collector runtime");
    let receiver = collector.block_on(OtlpReceiver::http());
    let memory = MemoryLedger::new();
    let telemetry = Telemetry::builder()
        .read_env(false)
        .service_name("inventory-api")
        .endpoint(receiver.endpoint())
        .protocol(Protocol::HttpProtobuf)
        .ledger(memory.clone())
        .build()
        .expect("telemetry builds");
    tracing::dispatcher::set_global_default(telemetry.dispatch().expect("exporting"))
        .expect("the only global subscriber of this binary");

    let app = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("app runtime");
    for (kind, caller_trace, caller_span) in SERVERS {
        let xid = format!("req-traced-{kind:?}");
        app.block_on(async {
            let inventory = Inventory::in_memory().await.expect("database");
            let runtime = telemetry.runtime().with_resource(inventory.clone());
            let server = Running::start(kind, runtime, inventory).await;
            let client = reqwest::Client::new();
            let received = client
                .post(server.url("/stock/receive"))
                .json(&json!({"sku": "SKU-9", "quantity": 10, "warehouse_id": 1}))
                .send()
                .await
                .expect("receive");
            assert!(received.status().is_success(), "{kind:?}");
            let order = client
                .post(server.url("/orders"))
                .header("traceparent", format!("00-{caller_trace}-{caller_span}-01"))
                .header("x-request-id", &xid)
                .json(&json!({"sku": "SKU-9", "quantity": 4, "order_id": 9, "warehouse_id": 1}))
                .send()
                .await
                .expect("order");
            assert!(order.status().is_success(), "{kind:?}: {}", order.status());
            server.stop().await;
            telemetry.flush().await.expect("flush");
        });
        check(kind, &memory, &receiver, &xid, caller_trace, caller_span);
    }
}

/// The request's lines and exported spans are in the caller's trace.
fn check(
    kind: Kind,
    memory: &MemoryLedger,
    receiver: &OtlpReceiver,
    xid: &str,
    caller_trace: &str,
    caller_span: &str,
) {
    let lines: Vec<Value> = memory
        .values()
        .into_iter()
        .filter(|l| l["xid"] == xid)
        .collect();
    assert_eq!(
        lines.len(),
        3,
        "{kind:?}: ProcessOrder, ReserveStock, FulfillStock"
    );
    let spans = wait_for(receiver, |spans| {
        spans
            .iter()
            .filter(|s| s.trace_id() == caller_trace)
            .count()
            >= 4
    });
    let traced: Vec<&ReceivedSpan> = spans
        .iter()
        .filter(|s| s.trace_id() == caller_trace)
        .collect();
    let request = traced
        .iter()
        .find(|s| s.name() == "request")
        .unwrap_or_else(|| panic!("{kind:?}: the request span"));
    assert_eq!(
        request.parent_span_id().as_deref(),
        Some(caller_span),
        "{kind:?}: the caller's span is the request's parent"
    );
    let root = traced
        .iter()
        .find(|s| s.name() == "Inventory::ProcessOrder")
        .unwrap_or_else(|| panic!("{kind:?}: the root task span"));
    assert_eq!(
        root.parent_span_id(),
        Some(request.span_id()),
        "{kind:?}: the root task runs in the request span"
    );
    for line in &lines {
        assert_eq!(line["trace_id"], caller_trace, "{kind:?}: {line}");
        let span = traced
            .iter()
            .find(|s| Some(s.span_id().as_str()) == line["span_id"].as_str())
            .unwrap_or_else(|| panic!("{kind:?}: no exported span for {line}"));
        assert_eq!(span.name(), line["task"].as_str().unwrap());
    }
}

fn wait_for(receiver: &OtlpReceiver, done: impl Fn(&[ReceivedSpan]) -> bool) -> Vec<ReceivedSpan> {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let spans = receiver.spans();
        if done(&spans) || Instant::now() > deadline {
            return spans;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
