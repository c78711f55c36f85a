//! A log collector that is down (nothing listens) or never answers (accepts
//! connections, never replies) neither blocks executions nor hides what
//! was lost: the queue is bounded, records beyond it are dropped and
//! counted, failed exports are counted, and shutdown gives up on time.
//!
//! No latency thresholds (the machine is shared): with a silent collector,
//! an execution that waited for an export would wait for the exporter's
//! timeout (10 s) — the generous bounds here only catch such a hang.

use cmdx::prelude::*;
use cmdx::{Ledger, MemoryLedger};
use cmdx_telemetry::{Protocol, Telemetry};
use cmdx_test::otlp::logs::{SilentCollector, closed_port_url};
use std::time::Duration;

#[derive(Debug, Serialize, Deserialize, Validate)]
struct Reserve {
    #[garde(range(min = 1))]
    quantity: i64,
}

impl Task for Reserve {
    type Output = ();
    fn name() -> &'static str {
        "Reserve"
    }
    async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
        Ok(())
    }
}

const EXECUTIONS: u64 = 2_000;
const QUEUE: usize = 64;
/// Only catches a hang: every execution here takes microseconds.
const HANG: Duration = Duration::from_secs(120);

fn logs_endpoint(base: &str, protocol: Protocol) -> String {
    match protocol {
        Protocol::Grpc => base.to_owned(),
        _ => format!("{base}/v1/logs"),
    }
}

fn telemetry(endpoint: String, protocol: Protocol, ledger: &MemoryLedger) -> Telemetry {
    Telemetry::builder()
        .read_env(false)
        .logs_endpoint(endpoint)
        .protocol(protocol)
        .log_queue_size(QUEUE)
        .log_export_interval(Duration::from_millis(20))
        .ledger(Ledger::from(ledger.clone()))
        .shutdown_timeout(Duration::from_millis(300))
        .build()
        .expect("telemetry builds; the collector being down is not an error")
}

async fn run(telemetry: &Telemetry) {
    tokio::time::timeout(HANG, async {
        for _ in 0..EXECUTIONS {
            let outcome = telemetry.scope(Reserve { quantity: 1 }.execute()).await;
            assert!(outcome.is_success());
        }
    })
    .await
    .expect("executions never wait for the collector");
}

async fn silent(protocol: Protocol) {
    let collector = SilentCollector::start();
    let ledger = MemoryLedger::new();
    let telemetry = telemetry(
        logs_endpoint(&collector.base_url(), protocol),
        protocol,
        &ledger,
    );
    run(&telemetry).await;
    assert_eq!(
        ledger.values().len() as u64,
        EXECUTIONS,
        "the user's ledger has every line"
    );
    let stats = telemetry.log_stats().expect("exporting logs");
    assert_eq!(stats.exported, 0, "{stats:?}");
    assert_eq!(
        stats.exported + stats.failed + stats.dropped + stats.queued,
        EXECUTIONS,
        "every record is accounted for: {stats:?}"
    );
    assert!(
        stats.queued <= QUEUE as u64,
        "the queue is bounded: {stats:?}"
    );
    assert!(
        stats.dropped >= EXECUTIONS - QUEUE as u64 - stats.failed,
        "what did not fit was dropped and counted: {stats:?}"
    );
    let error = tokio::time::timeout(HANG, telemetry.shutdown())
        .await
        .expect("shutdown gives up on time")
        .expect_err("records were pending");
    assert!(error.is_timeout(), "{error}");
    assert!(error.to_string().contains("log export"), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpc_a_silent_collector_never_blocks_and_drops_are_counted() {
    silent(Protocol::Grpc).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_a_silent_collector_never_blocks_and_drops_are_counted() {
    silent(Protocol::HttpProtobuf).await;
}

async fn down(protocol: Protocol) {
    let ledger = MemoryLedger::new();
    let telemetry = telemetry(
        logs_endpoint(&closed_port_url(), protocol),
        protocol,
        &ledger,
    );
    run(&telemetry).await;
    let _ = tokio::time::timeout(HANG, telemetry.flush())
        .await
        .expect("flush returns");
    let stats = telemetry.log_stats().expect("exporting logs");
    assert_eq!(stats.exported, 0, "{stats:?}");
    assert_eq!(stats.queued, 0, "refused exports finish: {stats:?}");
    assert_eq!(
        stats.failed + stats.dropped,
        EXECUTIONS,
        "every record is lost and counted: {stats:?}"
    );
    assert!(stats.failed > 0, "exports were tried and failed: {stats:?}");
    assert_eq!(stats.lost(), EXECUTIONS);
    let _ = tokio::time::timeout(HANG, telemetry.shutdown())
        .await
        .expect("shutdown returns");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpc_a_down_collector_never_blocks_and_losses_are_counted() {
    down(Protocol::Grpc).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_a_down_collector_never_blocks_and_losses_are_counted() {
    down(Protocol::HttpProtobuf).await;
}
