//! Spans exported over OTLP to a real receiver on 127.0.0.1 match the chain
//! and the ledger lines.

use cmdx::prelude::*;
use cmdx::{BoxError, Ledger};
use cmdx_examples::inventory::{Inventory, ProcessOrder, ReceiveStock};
use cmdx_telemetry::{OtelBridge, Protocol, Telemetry};
use cmdx_test::Capture;
use cmdx_test::otlp::{OtlpReceiver, assert_spans_match_lines};
use serde_json::{Value, json};
use std::time::Duration;
use tracing::instrument::WithSubscriber;

/// Telemetry exporting to `receiver`, nothing global, ledger off (the
/// capture writes the lines).
fn telemetry_for(receiver: &OtlpReceiver, protocol: Protocol) -> Telemetry {
    Telemetry::builder()
        .read_env(false)
        .service_name("inventory-test")
        .endpoint(receiver.endpoint())
        .protocol(protocol)
        .ledger(Ledger::off())
        .shutdown_timeout(Duration::from_secs(5))
        .build()
        .expect("telemetry builds")
}

async fn process_order_chain(protocol: Protocol) {
    let receiver = match protocol {
        Protocol::Grpc => OtlpReceiver::grpc().await,
        _ => OtlpReceiver::http().await,
    };
    let telemetry = telemetry_for(&receiver, protocol);
    let inventory = Inventory::in_memory().await.expect("sqlite in memory");
    let capture = Capture::with(|b| b.resource(inventory.clone()).trace_bridge(OtelBridge::new()));
    let dispatch = telemetry.dispatch().expect("exporting");
    let order = capture
        .run(async {
            let received = ReceiveStock {
                sku: "SKU-5678".into(),
                quantity: 40,
                warehouse_id: 2,
            }
            .execute()
            .await;
            assert!(received.is_success());
            ProcessOrder {
                sku: "SKU-5678".into(),
                quantity: 5,
                order_id: 301,
                warehouse_id: 2,
            }
            .execute()
            .await
        })
        .with_subscriber(dispatch)
        .await;
    assert!(order.is_success(), "{:?}", order.reason());
    telemetry.shutdown().await.expect("spans exported");

    let lines = capture.chain(order.chain_id());
    let spans: Vec<_> = receiver
        .spans()
        .into_iter()
        .filter(|s| s.attribute("cmdx.cid") == Some(json!(order.chain_id().to_string())))
        .collect();
    assert_eq!(spans.len(), 3, "one span per execution of the chain");
    let mut names: Vec<&str> = spans.iter().map(|s| s.name()).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "Inventory::FulfillStock",
            "Inventory::ProcessOrder",
            "Inventory::ReserveStock"
        ]
    );
    let trace_ids: std::collections::BTreeSet<String> = spans.iter().map(|s| s.trace_id()).collect();
    assert_eq!(trace_ids.len(), 1, "the chain is one trace");
    let by_tid = assert_spans_match_lines(&spans, &lines);

    // Parent links, as indexes, equal the chain's.
    let index_of_span: std::collections::BTreeMap<String, u64> = spans
        .iter()
        .map(|s| (s.span_id(), s.attribute("cmdx.index").and_then(|v| v.as_u64()).unwrap_or(u64::MAX)))
        .collect();
    let span_parents: std::collections::BTreeMap<u64, Option<u64>> = spans
        .iter()
        .map(|s| {
            let index = index_of_span[&s.span_id()];
            (index, s.parent_span_id().map(|p| index_of_span[&p]))
        })
        .collect();
    assert_eq!(span_parents, capture.parent_indexes(order.chain_id()));

    let root = &by_tid[&order.record().tid.to_string()];
    assert_eq!(root.service_name.as_deref(), Some("inventory-test"));
    assert_eq!(root.attribute("cmdx.task"), Some(json!("Inventory::ProcessOrder")));
    assert_eq!(root.attribute("cmdx.retries"), Some(json!(0)));
    assert!(root.attribute("code.file.path").is_none(), "optional extras are off");
    assert!(root.attribute("thread.id").is_none(), "optional extras are off");
    assert!(root.attribute("busy_ns").is_none(), "optional extras are off");
    assert!(
        spans.iter().all(|s| s.attribute("sku").is_none() && s.attribute("cmdx.input").is_none()),
        "inputs are not span attributes"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn process_order_is_one_trace_shaped_like_its_chain_over_grpc() {
    process_order_chain(Protocol::Grpc).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn process_order_is_one_trace_shaped_like_its_chain_over_http_protobuf() {
    process_order_chain(Protocol::HttpProtobuf).await;
}

#[derive(Debug)]
struct GatewayDown;

impl std::fmt::Display for GatewayDown {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("card gateway refused the connection")
    }
}

impl std::error::Error for GatewayDown {}

/// Fails with a cause (an error returned with `?`) and metadata.
#[derive(Debug, Serialize, Deserialize, Validate)]
struct ChargeCard {
    #[garde(range(min = 1))]
    cents: i64,
    #[garde(skip)]
    card: Secret<String>,
}

impl Task for ChargeCard {
    type Output = ();

    async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
        Err(Halt::error(Box::new(GatewayDown) as BoxError)
            .code("gateway_down")
            .with("attempts", 3)
            .with("retryable", true))
    }
}

/// Awaits `ChargeCard` strictly: its failure propagates.
#[derive(Debug, Serialize, Deserialize, Validate)]
struct Checkout {
    #[garde(range(min = 1))]
    cents: i64,
}

impl Task for Checkout {
    type Output = ();

    async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
        let _charged = ChargeCard {
            cents: self.cents,
            card: Secret::new("4111 1111 1111 1111".into()),
        }
        .execute_strict()
        .await?;
        Ok(())
    }
}

async fn failing_chain(protocol: Protocol) {
    let receiver = match protocol {
        Protocol::Grpc => OtlpReceiver::grpc().await,
        _ => OtlpReceiver::http().await,
    };
    let telemetry = telemetry_for(&receiver, protocol);
    let capture = Capture::with(|b| b.trace_bridge(OtelBridge::new()));
    let outcome = capture
        .run(Checkout { cents: 1200 }.execute())
        .with_subscriber(telemetry.dispatch().expect("exporting"))
        .await;
    assert!(outcome.is_failed());
    telemetry.shutdown().await.expect("spans exported");

    let lines = capture.chain(outcome.chain_id());
    assert_eq!(lines.len(), 2);
    let spans = receiver.spans();
    assert_eq!(spans.len(), 2);
    let by_tid = assert_spans_match_lines(&spans, &lines);
    for line in &lines {
        let span = &by_tid[line["tid"].as_str().unwrap_or_default()];
        assert!(span.is_error());
        assert_eq!(span.status_message(), "card gateway refused the connection");
        assert_eq!(span.attribute("cmdx.metadata.code"), Some(json!("gateway_down")));
        assert_eq!(span.attribute("cmdx.metadata.attempts"), Some(json!(3)));
        assert_eq!(span.attribute("cmdx.metadata.retryable"), Some(json!(true)));
        let exceptions: Vec<_> = span
            .events()
            .into_iter()
            .filter(|(name, _)| name == "exception")
            .collect();
        assert_eq!(exceptions.len(), 1, "one exception event on {}", span.name());
        assert_eq!(
            exceptions[0].1.get("exception.message"),
            Some(&Value::from(line["cause"].as_str().unwrap_or_default()))
        );
    }
    let secret_seen = spans.iter().any(|s| {
        s.attributes().values().any(|v| v.to_string().contains("4111"))
            || s.events().iter().any(|(_, a)| a.values().any(|v| v.to_string().contains("4111")))
    });
    assert!(!secret_seen, "a secret input reached a span");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_nested_chain_exports_error_status_and_exception_events_over_grpc() {
    failing_chain(Protocol::Grpc).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_nested_chain_exports_error_status_and_exception_events_over_http_protobuf() {
    failing_chain(Protocol::HttpProtobuf).await;
}

#[derive(Debug, Serialize, Deserialize, Validate)]
struct Boom {}

impl Task for Boom {
    type Output = ();
    async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
        panic!("boom")
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panic_is_an_exception_event_of_type_panic() {
    let receiver = OtlpReceiver::http().await;
    let telemetry = telemetry_for(&receiver, Protocol::HttpProtobuf);
    let capture = Capture::with(|b| b.trace_bridge(OtelBridge::new()));
    let outcome = capture
        .run(Boom {}.execute())
        .with_subscriber(telemetry.dispatch().expect("exporting"))
        .await;
    assert!(outcome.is_failed());
    telemetry.shutdown().await.expect("spans exported");
    let spans = receiver.spans();
    assert_eq!(spans.len(), 1);
    let (_, exception) = spans[0]
        .events()
        .into_iter()
        .find(|(name, _)| name == "exception")
        .expect("an exception event");
    assert_eq!(exception.get("exception.type"), Some(&json!("panic")));
    assert_eq!(exception.get("exception.message"), Some(&json!("panicked: boom")));
}

#[tokio::test]
async fn without_a_tracer_ledger_lines_have_null_trace_ids() {
    let telemetry = Telemetry::builder()
        .read_env(false)
        .ledger(Ledger::off())
        .build()
        .expect("telemetry builds");
    assert!(!telemetry.is_exporting());
    assert!(telemetry.dispatch().is_none());
    let capture = Capture::with(|b| b.trace_bridge(OtelBridge::new()));
    let outcome = capture.run(Checkout { cents: 5 }.execute()).await;
    assert!(outcome.is_failed());
    for line in capture.values() {
        assert_eq!(line["trace_id"], Value::Null);
        assert_eq!(line["span_id"], Value::Null);
    }
    telemetry.shutdown().await.expect("nothing to flush");
}
