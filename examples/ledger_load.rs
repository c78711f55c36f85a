//! Load on a ledger sink, for the reliability figures
//! (`docs/durable-ledger.md`): `count` executions on a multi-thread
//! runtime (2 workers, 1,000 in flight), their lines to `SINK`, then a
//! summary on stderr: lines/s, peak RSS, the writer's counters.
//!
//! ```text
//! cargo run --release --example ledger_load -- stdout 1000000 > /dev/null
//! cargo run --release --example ledger_load -- sqlite:/tmp/load.db 1000000
//! cargo run --release --example ledger_load -- postgres://postgres@127.0.0.1:5432/postgres 1000000
//! ```
//!
//! `examples/tests/ledger_load.rs` runs it (with `CMDX_LONG_TESTS=1`) against
//! SQLite and a throwaway PostgreSQL, also stopping PostgreSQL for 10 s
//! mid-run, and checks rows == executions with unique tids.

use cmdx::ledger::NonBlocking;
use cmdx::prelude::*;
use cmdx::{Ledger, Runtime};
use std::time::Instant;

#[derive(Debug, Serialize, Deserialize, Validate)]
struct ReserveStock {
    #[garde(length(min = 1))]
    sku: String,
    #[garde(range(min = 1))]
    quantity: u32,
    #[garde(skip)]
    order_id: u64,
}

impl Task for ReserveStock {
    type Output = ();
    fn name() -> &'static str {
        "Inventory::ReserveStock"
    }
    async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
        if self.order_id % 10 == 4 {
            fail!("Insufficient stock", code = "out_of_stock", available = 0);
        }
        Ok(())
    }
}

/// Peak resident memory of this process, in KiB (`VmHWM`).
fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let sink = args.next().unwrap_or_else(|| "stdout".to_owned());
    let count: u64 = args.next().and_then(|n| n.parse().ok()).unwrap_or(100_000);
    let writer = if sink == "stdout" {
        NonBlocking::stdout()
    } else {
        NonBlocking::builder()
            .database(&sink)
            .unwrap_or_else(|error| {
                eprintln!("{error}");
                std::process::exit(2);
            })
    };
    let runtime = Runtime::builder()
        .ledger(Ledger::from(writer.clone()))
        .build();
    let tokio = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let start = Instant::now();
    tokio.block_on(async {
        let mut in_flight = tokio::task::JoinSet::new();
        for n in 0..count {
            if in_flight.len() >= 1000 {
                in_flight.join_next().await;
            }
            let task = ReserveStock {
                sku: format!("SKU-{:05}", n % 100_000),
                quantity: 1 + (n % 5) as u32,
                order_id: n,
            };
            in_flight.spawn(runtime.scope(async move {
                let _ = task.execute().await;
            }));
        }
        while in_flight.join_next().await.is_some() {}
    });
    let executed = start.elapsed();
    writer.flush().expect("flushed");
    let elapsed = start.elapsed();
    let stats = writer.stats();
    eprintln!(
        "{{\"sink\":\"{}\",\"executions\":{count},\"executed_s\":{:.2},\"stored_s\":{:.2},\"lines_per_s\":{:.0},\"peak_rss_mib\":{:.1},\"written\":{},\"dropped\":{},\"failed\":{}}}",
        if sink.starts_with("postgres") {
            "postgres"
        } else if sink == "stdout" {
            "stdout"
        } else {
            "sqlite"
        },
        executed.as_secs_f64(),
        elapsed.as_secs_f64(),
        count as f64 / elapsed.as_secs_f64(),
        peak_rss_kib() as f64 / 1024.0,
        stats.written,
        stats.dropped,
        stats.failed,
    );
}
