//! A chain that crosses an HTTP hop stays one chain and one trace.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use cmdx::prelude::*;
use cmdx::{ChainScope, MemoryLedger};
use cmdx_telemetry::propagation::{extract_headers, inject_headers};
use cmdx_telemetry::{Protocol, Telemetry};
use cmdx_test::otlp::{OtlpReceiver, assert_spans_match_lines};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

/// Runs in the "inventory" service.
#[derive(Debug, Serialize, Deserialize, Validate)]
struct ReserveRemotely {
    #[garde(length(min = 1))]
    sku: String,
}

impl Task for ReserveRemotely {
    type Output = ();
    fn name() -> &'static str {
        "ReserveRemotely"
    }
    async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
        Ok(())
    }
}

/// The inventory service's address, a resource of the "orders" service.
struct InventoryUrl(String);

/// Runs in the "orders" service and calls the inventory service over HTTP.
#[derive(Debug, Serialize, Deserialize, Validate)]
struct PlaceOrder {
    #[garde(length(min = 1))]
    sku: String,
}

impl Task for PlaceOrder {
    type Output = ();
    fn name() -> &'static str {
        "PlaceOrder"
    }
    async fn work(&self, cx: &mut Cx) -> Result<(), Halt> {
        let url = &cx.resource::<InventoryUrl>()?.0;
        let mut headers = HeaderMap::new();
        inject_headers(cx, &mut headers);
        let response = reqwest::Client::new()
            .post(format!("{url}/reserve/{}", self.sku))
            .headers(headers)
            .send()
            .await?;
        if !response.status().is_success() {
            return Err(Halt::fail("inventory refused").with("status", response.status().as_u16()));
        }
        Ok(())
    }
}

async fn reserve(
    State(inventory): State<Arc<Telemetry>>,
    axum::extract::Path(sku): axum::extract::Path<String>,
    headers: HeaderMap,
) -> StatusCode {
    let incoming = extract_headers(&headers);
    let outcome = inventory
        .scope(incoming.run(ReserveRemotely { sku }.execute()))
        .await;
    if outcome.is_success() {
        StatusCode::OK
    } else {
        StatusCode::CONFLICT
    }
}

fn telemetry(service: &str, receiver: &OtlpReceiver, ledger: &MemoryLedger) -> Telemetry {
    Telemetry::builder()
        .read_env(false)
        .service_name(service)
        .endpoint(receiver.endpoint())
        .protocol(Protocol::HttpProtobuf)
        .ledger(ledger.clone())
        .shutdown_timeout(Duration::from_secs(5))
        .build()
        .expect("telemetry builds")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chain_across_an_http_hop_is_one_trace_with_one_chain_id() {
    let receiver = OtlpReceiver::http().await;
    let (orders_ledger, inventory_ledger) = (MemoryLedger::new(), MemoryLedger::new());
    let inventory = Arc::new(telemetry("inventory", &receiver, &inventory_ledger));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a free port");
    let url = format!("http://{}", listener.local_addr().expect("bound"));
    let app = axum::Router::new()
        .route("/reserve/{sku}", axum::routing::post(reserve))
        .with_state(inventory.clone());
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });

    let orders = telemetry("orders", &receiver, &orders_ledger);
    let runtime = orders.runtime().with_resource(InventoryUrl(url));
    let outcome = orders
        .scope(
            runtime.scope(
                PlaceOrder {
                    sku: "SKU-1".into(),
                }
                .execute(),
            ),
        )
        .await;
    assert!(outcome.is_success(), "{:?}", outcome.reason());
    server.abort();
    let _ = server.await;
    orders.shutdown().await.expect("orders spans exported");
    Arc::into_inner(inventory)
        .expect("the server is gone")
        .shutdown()
        .await
        .expect("inventory spans exported");

    let caller = &orders_ledger.values()[0];
    let remote = &inventory_ledger.values()[0];
    assert_eq!(remote["cid"], caller["cid"], "one chain id");
    assert_eq!(remote["parent"], caller["tid"], "the caller is the parent");
    assert_eq!(remote["root"], json!(false));
    assert_eq!(remote["index"], json!(0), "indexes restart in each process");
    assert_eq!(remote["trace_id"], caller["trace_id"], "one trace");

    let spans = receiver.spans();
    assert_eq!(spans.len(), 2);
    let trace_ids: BTreeSet<String> = spans.iter().map(|s| s.trace_id()).collect();
    assert_eq!(trace_ids.len(), 1);
    let lines: Vec<Value> = vec![remote.clone(), caller.clone()];
    let by_tid = assert_spans_match_lines(&spans, &lines);
    let caller_span = &by_tid[caller["tid"].as_str().unwrap_or_default()];
    let remote_span = &by_tid[remote["tid"].as_str().unwrap_or_default()];
    assert_eq!(remote_span.parent_span_id(), Some(caller_span.span_id()));
    assert_eq!(caller_span.service_name.as_deref(), Some("orders"));
    assert_eq!(remote_span.service_name.as_deref(), Some("inventory"));
}

/// Enqueues a job: the payload carries the trace context and chain position.
#[derive(Debug, Serialize, Deserialize, Validate)]
struct EnqueueJob {}

impl Task for EnqueueJob {
    type Output = std::collections::HashMap<String, String>;
    fn name() -> &'static str {
        "EnqueueJob"
    }
    async fn work(&self, cx: &mut Cx) -> Result<Self::Output, Halt> {
        let mut payload = std::collections::HashMap::new();
        cmdx_telemetry::propagation::inject_map(cx, &mut payload);
        Ok(payload)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_payload_map_carries_the_chain_and_the_trace_to_the_worker() {
    let receiver = OtlpReceiver::http().await;
    let (producer_ledger, worker_ledger) = (MemoryLedger::new(), MemoryLedger::new());
    let producer = telemetry("producer", &receiver, &producer_ledger);
    let worker = telemetry("worker", &receiver, &worker_ledger);
    let enqueued = producer
        .scope(ChainScope::new().xid("job-7").run(EnqueueJob {}.execute()))
        .await;
    let payload = enqueued.value().expect("a payload").clone();
    assert!(payload.contains_key("traceparent") && payload.contains_key("baggage"));

    let incoming = cmdx_telemetry::propagation::extract_map(&payload);
    assert_eq!(incoming.chain_id(), Some(enqueued.chain_id()));
    assert_eq!(incoming.xid(), Some("job-7"));
    let done = worker
        .scope(
            incoming.run(
                ReserveRemotely {
                    sku: "SKU-2".into(),
                }
                .execute(),
            ),
        )
        .await;
    assert!(done.is_success());
    producer.shutdown().await.expect("exported");
    worker.shutdown().await.expect("exported");

    let lines = vec![
        worker_ledger.values()[0].clone(),
        producer_ledger.values()[0].clone(),
    ];
    assert_eq!(lines[0]["cid"], lines[1]["cid"]);
    assert_eq!(lines[0]["xid"], json!("job-7"));
    assert_eq!(lines[0]["parent"], lines[1]["tid"]);
    assert_spans_match_lines(&receiver.spans(), &lines);
}
