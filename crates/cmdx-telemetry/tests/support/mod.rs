//! Shared by `export_grpc.rs` and `export_http.rs`: one receiver and one
//! telemetry per test binary, installed as the *global* subscriber — as
//! `cmdx_telemetry::init()` does — and the test bodies both run.
//!
//! Why global: sqlx's SQLite worker thread keeps the span current at each
//! query and closes it on its own thread. `tracing-subscriber`'s registry
//! then releases the span's parent through the thread's default
//! subscriber; with a subscriber scoped to the test's future, that release
//! is lost and the parent span never closes.

#![allow(dead_code, unreachable_pub)]

use cmdx::prelude::*;
use cmdx::{BoxError, Ledger};
use cmdx_examples::inventory::{Inventory, ProcessOrder, ReceiveStock};
use cmdx_telemetry::{OtelBridge, Protocol, Telemetry};
use cmdx_test::Capture;
use cmdx_test::otlp::{OtlpReceiver, ReceivedSpan, assert_spans_match_lines};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// A receiver on its own runtime, and the telemetry exporting to it.
pub struct Fixture {
    pub receiver: OtlpReceiver,
    pub telemetry: Telemetry,
    _collector: tokio::runtime::Runtime,
}

static FIXTURE: OnceLock<Fixture> = OnceLock::new();

/// The binary's fixture; the first call picks the protocol.
pub fn fixture(protocol: Protocol) -> &'static Fixture {
    FIXTURE.get_or_init(|| {
        // A runtime of its own (built off the test's runtime thread), so
        // the receiver outlives each test's runtime.
        std::thread::spawn(move || {
            let collector = tokio::runtime::Runtime::new().expect("collector runtime");
            let receiver = collector.block_on(async {
                match protocol {
                    Protocol::Grpc => OtlpReceiver::grpc().await,
                    _ => OtlpReceiver::http().await,
                }
            });
            let telemetry = Telemetry::builder()
                .read_env(false)
                .service_name("inventory-test")
                .endpoint(receiver.endpoint())
                .protocol(protocol)
                .ledger(Ledger::off())
                .build()
                .expect("telemetry builds");
            tracing::dispatcher::set_global_default(telemetry.dispatch().expect("exporting"))
                .expect("the only global subscriber of this test binary");
            Fixture {
                receiver,
                telemetry,
                _collector: collector,
            }
        })
        .join()
        .expect("fixture thread")
    })
}

impl Fixture {
    /// Flushes until `count` spans of chain `cid` arrived (at most 5 s),
    /// then returns them.
    pub async fn spans_of(&self, cid: uuid::Uuid, count: usize) -> Vec<ReceivedSpan> {
        let cid = json!(cid.to_string());
        let of_chain = || {
            self.receiver
                .spans()
                .into_iter()
                .filter(|s| s.attribute("cmdx.cid").as_ref() == Some(&cid))
                .collect::<Vec<_>>()
        };
        let deadline = Instant::now() + Duration::from_secs(5);
        while of_chain().len() < count && Instant::now() < deadline {
            self.telemetry.flush().await.expect("flushed");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        // Anything beyond `count` would have arrived with the same flush.
        self.telemetry.flush().await.expect("flushed");
        of_chain()
    }
}

pub async fn process_order_is_one_trace_shaped_like_its_chain(protocol: Protocol) {
    let fixture = fixture(protocol);
    let inventory = Inventory::in_memory().await.expect("sqlite in memory");
    let capture = Capture::with(|b| {
        b.resource(inventory.clone())
            .trace_bridge(OtelBridge::new())
    });
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
        .await;
    assert!(order.is_success(), "{:?}", order.reason());

    let lines = capture.chain(order.chain_id());
    let spans = fixture.spans_of(order.chain_id(), 3).await;
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
    let trace_ids: BTreeSet<String> = spans.iter().map(|s| s.trace_id()).collect();
    assert_eq!(trace_ids.len(), 1, "the chain is one trace");
    let by_tid = assert_spans_match_lines(&spans, &lines);

    // Parent links, as indexes, equal the chain's.
    let index_of_span: BTreeMap<String, u64> = spans
        .iter()
        .map(|s| {
            let index = s.attribute("cmdx.index").and_then(|v| v.as_u64());
            (s.span_id(), index.expect("an integer cmdx.index"))
        })
        .collect();
    let span_parents: BTreeMap<u64, Option<u64>> = spans
        .iter()
        .map(|s| {
            let index = index_of_span[&s.span_id()];
            (index, s.parent_span_id().map(|p| index_of_span[&p]))
        })
        .collect();
    assert_eq!(span_parents, capture.parent_indexes(order.chain_id()));

    let root = &by_tid[&order.record().tid.to_string()];
    assert_eq!(root.service_name.as_deref(), Some("inventory-test"));
    assert_eq!(
        root.attribute("cmdx.task"),
        Some(json!("Inventory::ProcessOrder"))
    );
    assert_eq!(root.attribute("cmdx.retries"), Some(json!(0)));
    assert!(
        root.attribute("code.file.path").is_none(),
        "optional extras are off"
    );
    assert!(
        root.attribute("thread.id").is_none(),
        "optional extras are off"
    );
    assert!(
        root.attribute("busy_ns").is_none(),
        "optional extras are off"
    );
    assert!(
        spans
            .iter()
            .all(|s| s.attribute("sku").is_none() && s.attribute("input").is_none()),
        "inputs are not span attributes"
    );
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
    fn name() -> &'static str {
        "ChargeCard"
    }

    async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
        Err(Halt::error(Box::new(GatewayDown) as BoxError)
            .code("gateway_down")
            .with("attempts", 3)
            .with("retryable", true))
    }
}

/// Awaits `ChargeCard` strictly: its failure propagates.
#[derive(Debug, Serialize, Deserialize, Validate)]
pub struct Checkout {
    #[garde(range(min = 1))]
    pub cents: i64,
}

impl Task for Checkout {
    type Output = ();
    fn name() -> &'static str {
        "Checkout"
    }

    async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
        ChargeCard {
            cents: self.cents,
            card: Secret::new("4111 1111 1111 1111".into()),
        }
        .execute_strict()
        .await?;
        Ok(())
    }
}

pub async fn a_failing_nested_chain_exports_error_status_and_exception_events(protocol: Protocol) {
    let fixture = fixture(protocol);
    let capture = Capture::with(|b| b.trace_bridge(OtelBridge::new()));
    let outcome = capture.run(Checkout { cents: 1200 }.execute()).await;
    assert!(outcome.is_failed());

    let lines = capture.chain(outcome.chain_id());
    assert_eq!(lines.len(), 2);
    let spans = fixture.spans_of(outcome.chain_id(), 2).await;
    assert_eq!(spans.len(), 2);
    let by_tid = assert_spans_match_lines(&spans, &lines);
    for line in &lines {
        let span = &by_tid[line["tid"].as_str().unwrap_or_default()];
        assert!(span.is_error());
        assert_eq!(span.status_message(), "card gateway refused the connection");
        assert_eq!(span.attribute("cmdx.code"), Some(json!("gateway_down")));
        assert_eq!(span.attribute("cmdx.metadata.attempts"), Some(json!(3)));
        assert_eq!(span.attribute("cmdx.metadata.retryable"), Some(json!(true)));
        let exceptions: Vec<_> = span
            .events()
            .into_iter()
            .filter(|(name, _)| name == "exception")
            .collect();
        assert_eq!(
            exceptions.len(),
            1,
            "one exception event on {}",
            span.name()
        );
        assert_eq!(
            exceptions[0].1.get("exception.message"),
            Some(&Value::from(line["cause"].as_str().unwrap_or_default()))
        );
    }
    let secret_seen = spans.iter().any(|s| {
        s.attributes()
            .values()
            .any(|v| v.to_string().contains("4111 1111 1111 1111"))
            || s.events().iter().any(|(_, a)| {
                a.values()
                    .any(|v| v.to_string().contains("4111 1111 1111 1111"))
            })
    });
    assert!(!secret_seen, "a secret input reached a span");
}

#[derive(Debug, Serialize, Deserialize, Validate)]
struct Boom {}

impl Task for Boom {
    type Output = ();
    fn name() -> &'static str {
        "Boom"
    }
    async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
        panic!("boom")
    }
}

pub async fn a_panic_is_an_exception_event_of_type_panic(protocol: Protocol) {
    let fixture = fixture(protocol);
    let capture = Capture::with(|b| b.trace_bridge(OtelBridge::new()));
    let outcome = capture.run(Boom {}.execute()).await;
    assert!(outcome.is_failed());
    let spans = fixture.spans_of(outcome.chain_id(), 1).await;
    assert_eq!(spans.len(), 1);
    let (_, exception) = spans[0]
        .events()
        .into_iter()
        .find(|(name, _)| name == "exception")
        .expect("an exception event");
    assert_eq!(exception.get("exception.type"), Some(&json!("panic")));
    assert_eq!(
        exception.get("exception.message"),
        Some(&json!("panicked: boom"))
    );
}

pub async fn a_failing_saga_exports_compensation_spans_linked_to_what_they_undo(
    protocol: Protocol,
) {
    use cmdx_examples::checkout::{self, Payments};
    let fixture = fixture(protocol);
    let inventory = Inventory::in_memory().await.expect("sqlite in memory");
    let payments = Payments::on(inventory.pool().clone())
        .await
        .expect("payments schema");
    payments
        .open_account(7, "ada@bounce.example", 10_000)
        .await
        .expect("an account");
    let capture = Capture::with(|b| {
        b.resource(inventory.clone())
            .resource(payments.clone())
            .trace_bridge(OtelBridge::new())
    });
    let checkout = capture
        .run(async {
            let received = ReceiveStock {
                sku: "SKU-5678".into(),
                quantity: 40,
                warehouse_id: 2,
            }
            .execute()
            .await;
            assert!(received.is_success());
            checkout::place_order()
                .execute_json(json!({
                    "sku": "SKU-5678", "quantity": 3, "order_id": 401,
                    "account_id": 7, "amount_cents": 4_500, "email": "ada@bounce.example",
                }))
                .await
        })
        .await;
    assert!(checkout.is_failed(), "the confirmation email bounces");

    let lines = capture.chain(checkout.chain_id());
    // Workflow, ReserveInventory, ChargeCard, SendConfirmation (failed),
    // and the two compensations (ChargeCard, then ReserveInventory).
    assert_eq!(lines.len(), 6, "{lines:#?}");
    let spans = fixture.spans_of(checkout.chain_id(), 6).await;
    assert_eq!(spans.len(), 6, "one span per line, compensations included");
    let trace_ids: BTreeSet<String> = spans.iter().map(|s| s.trace_id()).collect();
    assert_eq!(trace_ids.len(), 1, "the saga is one trace");
    let by_tid = assert_spans_match_lines(&spans, &lines);

    let rollbacks: Vec<&Value> = lines.iter().filter(|l| l["kind"] == "rollback").collect();
    assert_eq!(rollbacks.len(), 2);
    for rollback in rollbacks {
        let span = &by_tid[rollback["tid"].as_str().unwrap_or_default()];
        let undone = &by_tid[rollback["compensates"].as_str().unwrap_or_default()];
        assert_eq!(span.attribute("cmdx.kind"), Some(json!("rollback")));
        assert_eq!(
            span.attribute("cmdx.compensates"),
            Some(rollback["compensates"].clone())
        );
        assert_eq!(
            span.links(),
            vec![(undone.trace_id(), undone.span_id())],
            "a compensation links to the span of the execution it undoes"
        );
        assert_eq!(
            span.parent_span_id(),
            Some(by_tid[checkout.record().tid.to_string().as_str()].span_id()),
            "a compensation is a child of the workflow that ran it"
        );
    }
    let failed: Vec<&ReceivedSpan> = spans.iter().filter(|s| s.is_error()).collect();
    let mut failed_names: Vec<&str> = failed.iter().map(|s| s.name()).collect();
    failed_names.sort_unstable();
    assert_eq!(
        failed_names,
        ["Checkout::PlaceOrder", "Checkout::SendConfirmation"]
    );
    for span in failed {
        assert_eq!(span.status_message(), "Mailbox unavailable");
        assert_eq!(span.attribute("cmdx.code"), Some(json!("email_bounced")));
        // `fail!` gives no cause, so no exception event (the nested chain
        // test covers failures with a cause).
        assert!(span.events().iter().all(|(name, _)| name != "exception"));
    }
}
