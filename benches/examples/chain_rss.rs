//! Resident memory of one long chain: a root executing `N` children
//! (default 1,000,000) one after the other, the ledger on (every record
//! carries its input) into a sink that drops the lines. Prints the process's
//! resident set size (`VmRSS`, Linux) before the run and after 100,000,
//! 400,000 and `N` children, while the chain is alive.
//!
//! `cargo run --release -p cmdx-benches --example chain_rss [-- N]`.
//! Results are in `benches/README.md`.

use cmdx::prelude::*;
use cmdx::{Ledger, LedgerSink, Record, Runtime};

/// Drops every line: the ledger is on, nothing is kept.
struct Discard;

impl LedgerSink for Discard {
    fn write(&self, _: &[u8], _: &Record) {}
}

#[derive(Debug, Serialize, Deserialize, Validate)]
struct ReserveLine {
    #[garde(skip)]
    sku: String,
    #[garde(skip)]
    quantity: i64,
    #[garde(skip)]
    line: u32,
}

impl Task for ReserveLine {
    type Output = ();
    fn name() -> &'static str {
        "ReserveLine"
    }
    async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
        Ok(())
    }
}

#[derive(Debug, Serialize, Deserialize, Validate)]
struct ImportBatch {
    #[garde(skip)]
    children: u32,
}

impl Task for ImportBatch {
    type Output = ();
    fn name() -> &'static str {
        "ImportBatch"
    }
    async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
        for line in 1..=self.children {
            let sku = format!("SKU-{:05}", line % 20_000);
            ReserveLine {
                sku,
                quantity: 3,
                line,
            }
            .execute_strict()
            .await?;
            if matches!(line, 100_000 | 400_000) || line == self.children {
                report(&format!("after {line} children"));
            }
        }
        Ok(())
    }
}

/// Prints `VmRSS` from `/proc/self/status` (nothing elsewhere).
fn report(when: &str) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let rss = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .map_or("unknown", str::trim);
    println!("{when:>24}: RSS {rss}");
}

fn main() {
    let children = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(1_000_000);
    let tokio = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a tokio runtime");
    let runtime = Runtime::builder().ledger(Ledger::custom(Discard)).build();
    report("before");
    let outcome = tokio.block_on(runtime.scope(ImportBatch { children }.execute()));
    assert!(outcome.is_success(), "{:?}", outcome.reason());
    if let Some(chain) = outcome.chain() {
        println!(
            "{:>24}: {} records kept, {} omitted",
            "chain",
            chain.len(),
            chain.omitted()
        );
    }
}
