//! With the collector unreachable, executions neither wait for it nor hoard
//! spans: the batch queue is bounded and drops, and shutdown gives up on
//! time. (Alone in its test binary: it measures the process's memory.)
//!
//! No latency thresholds (the machine is shared): the collector here never
//! answers, so an execution that waited for an export would wait for the
//! exporter's timeout (10 s) at every batch — hundreds of times over the
//! run, far beyond the generous bound that only catches such a hang.

use cmdx::Ledger;
use cmdx::prelude::*;
use cmdx_telemetry::{BatchConfigBuilder, Protocol, Telemetry};
use std::time::{Duration, Instant};

#[derive(Debug, Serialize, Deserialize, Validate)]
struct Reserve {
    #[garde(length(min = 1))]
    sku: String,
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

/// Resident set size in bytes, from `/proc/self/statm` (Linux).
fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

/// A collector that never answers: connections complete (the kernel's
/// backlog) and then nothing is ever read or written.
fn silent_collector() -> std::net::TcpListener {
    std::net::TcpListener::bind("127.0.0.1:0").expect("a free port")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_collector_that_never_answers_neither_blocks_executions_nor_grows_memory() {
    const EXECUTIONS: usize = 100_000;
    const MAX_QUEUE: usize = 2_048;
    let shutdown_timeout = Duration::from_secs(2);
    let collector = silent_collector();
    let telemetry = Telemetry::builder()
        .read_env(false)
        .endpoint(format!("http://{}", collector.local_addr().expect("bound")))
        .protocol(Protocol::Grpc)
        .batch_config(
            BatchConfigBuilder::default()
                .with_max_queue_size(MAX_QUEUE)
                .with_scheduled_delay(Duration::from_millis(50))
                .build(),
        )
        .ledger(Ledger::writer(std::io::sink()))
        .shutdown_timeout(shutdown_timeout)
        .build()
        .expect("telemetry builds; the collector being down is not an error");

    let run = telemetry.scope(async {
        let mut baseline = None;
        for i in 0..EXECUTIONS {
            if i == 10_000 {
                baseline = resident_bytes();
            }
            let outcome = Reserve {
                sku: "SKU-1234".into(),
                quantity: 1,
            }
            .execute()
            .await;
            assert!(outcome.is_success());
            assert!(
                outcome.record().trace_id.is_some(),
                "spans are still traced"
            );
        }
        baseline
    });
    // Normal is well under a minute even in a debug build on a loaded
    // machine; waiting for exports would take 10 s per batch of 512 spans.
    let baseline = tokio::time::timeout(Duration::from_secs(300), run)
        .await
        .expect("executions never wait for the collector");
    // 100,000 kept spans would be tens of MB; the queue holds 2,048.
    if let (Some(before), Some(after)) = (baseline, resident_bytes()) {
        let growth = after.saturating_sub(before);
        eprintln!("resident memory grew by {} KiB", growth / 1024);
        assert!(
            growth < 16 * 1024 * 1024,
            "memory grew by {} KiB over 90,000 executions",
            growth / 1024
        );
    }
    let started = Instant::now();
    let _ = telemetry.shutdown().await;
    // Without the bound, shutdown would wait for the exporter's own 10 s
    // timeout; the margin absorbs a loaded machine.
    assert!(
        started.elapsed() < shutdown_timeout + Duration::from_secs(5),
        "shutdown took {:?} (timeout {shutdown_timeout:?})",
        started.elapsed()
    );
    drop(collector);
}
