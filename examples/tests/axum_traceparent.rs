//! A request carrying `traceparent` continues the caller's trace through
//! the axum inventory API: the request span's parent is the caller's span,
//! every task span of the request shares the caller's trace id, and the
//! ledger lines carry the same ids as the exported spans.
//!
//! One test in its own binary: it installs the global subscriber, as
//! `cmdx_telemetry::init()` does in a program.

use cmdx::MemoryLedger;
use cmdx_examples::http;
use cmdx_examples::inventory::Inventory;
use cmdx_telemetry::{Protocol, Telemetry};
use cmdx_test::AxumServer;
use cmdx_test::otlp::{OtlpReceiver, ReceivedSpan};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const CALLER_TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const CALLER_SPAN: &str = "00f067aa0ba902b7";

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
    let xid = app.block_on(async {
        let inventory = Inventory::in_memory().await.expect("database");
        let runtime = telemetry.runtime().with_resource(inventory.clone());
        let server = AxumServer::start(http::router(runtime, inventory)).await;
        let client = reqwest::Client::new();
        let received = client
            .post(server.url("/stock/receive"))
            .json(&json!({"sku": "SKU-9", "quantity": 10, "warehouse_id": 1}))
            .send()
            .await
            .expect("receive");
        assert!(received.status().is_success());
        let order = client
            .post(server.url("/orders"))
            .header("traceparent", format!("00-{CALLER_TRACE}-{CALLER_SPAN}-01"))
            .header("x-request-id", "req-traced")
            .json(&json!({"sku": "SKU-9", "quantity": 4, "order_id": 9, "warehouse_id": 1}))
            .send()
            .await
            .expect("order");
        assert!(order.status().is_success(), "{}", order.status());
        telemetry.flush().await.expect("flush");
        "req-traced"
    });

    let lines: Vec<Value> = memory
        .values()
        .into_iter()
        .filter(|l| l["xid"] == xid)
        .collect();
    assert_eq!(lines.len(), 3, "ProcessOrder, ReserveStock, FulfillStock");
    let spans = wait_for(&receiver, |spans| {
        spans
            .iter()
            .filter(|s| s.trace_id() == CALLER_TRACE)
            .count()
            >= 4
    });
    let traced: Vec<&ReceivedSpan> = spans
        .iter()
        .filter(|s| s.trace_id() == CALLER_TRACE)
        .collect();
    let request = traced
        .iter()
        .find(|s| s.name() == "request")
        .expect("the request span");
    assert_eq!(
        request.parent_span_id().as_deref(),
        Some(CALLER_SPAN),
        "the caller's span is the request's parent"
    );
    let root = traced
        .iter()
        .find(|s| s.name() == "Inventory::ProcessOrder")
        .expect("the root task span");
    assert_eq!(
        root.parent_span_id(),
        Some(request.span_id()),
        "the root task runs in the request span"
    );
    for line in &lines {
        assert_eq!(line["trace_id"], CALLER_TRACE, "{line}");
        let span = traced
            .iter()
            .find(|s| Some(s.span_id().as_str()) == line["span_id"].as_str())
            .unwrap_or_else(|| panic!("no exported span for {line}"));
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
