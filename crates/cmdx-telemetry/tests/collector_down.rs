//! With the collector unreachable, executions neither slow down nor hoard
//! spans: the batch queue is bounded and drops, and shutdown gives up on
//! time. (Alone in its test binary: it measures the process's memory.)

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

fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("bound").port()
    // dropped here: nothing listens on the port any more
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_collector_port_neither_blocks_executions_nor_grows_memory() {
    const EXECUTIONS: usize = 100_000;
    const MAX_QUEUE: usize = 2_048;
    let shutdown_timeout = Duration::from_secs(2);
    let telemetry = Telemetry::builder()
        .read_env(false)
        .endpoint(format!("http://127.0.0.1:{}", closed_port()))
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
        let mut durations = Vec::with_capacity(EXECUTIONS);
        let mut baseline = None;
        for i in 0..EXECUTIONS {
            if i == 10_000 {
                baseline = resident_bytes();
            }
            let started = Instant::now();
            let outcome = Reserve {
                sku: "SKU-1234".into(),
                quantity: 1,
            }
            .execute()
            .await;
            durations.push(started.elapsed());
            assert!(outcome.is_success());
            assert!(
                outcome.record().trace_id.is_some(),
                "spans are still traced"
            );
        }
        durations.sort_unstable();
        (durations, baseline)
    });
    let started = Instant::now();
    let (durations, baseline) = run.await;
    let total = started.elapsed();
    let slowest = durations[EXECUTIONS - 1];
    let p999 = durations[EXECUTIONS * 999 / 1000];
    eprintln!("{EXECUTIONS} executions in {total:?}: p99.9 {p999:?}, max {slowest:?}");

    // Normal is microseconds (tens in a debug build); an export blocking
    // the caller would add the exporter's retry back-off (100 ms and up)
    // to every batch. The bound on the maximum is generous because this
    // machine's two cores are shared.
    assert!(p999 < Duration::from_millis(20), "p99.9 {p999:?}");
    assert!(slowest < Duration::from_millis(250), "max {slowest:?}");
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
    assert!(
        started.elapsed() < shutdown_timeout + Duration::from_millis(500),
        "shutdown took {:?} (timeout {shutdown_timeout:?})",
        started.elapsed()
    );
}
