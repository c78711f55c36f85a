//! The seven peer scenarios on cmdx-rs, the Rust side of
//! `benches/peers/run` (which alternates it with `benches/peers/cmdx.rb`
//! and prints the table). By hand:
//!
//! `cargo run --release -p cmdx-benches --example peers -- [seconds]`
//!
//! Prints one JSON object per scenario: `scenario`, `ns_per_op`,
//! `allocs_per_op` (allocations and reallocations, in every thread, counted by
//! a counting global allocator), `ops`. Every op
//! builds its input fresh (`serde_json::Value` for the untyped scenarios) and
//! its ledger line is really encoded and written — to the null device,
//! through the default non-blocking writer.

use cmdx::prelude::*;
use cmdx::{LedgerLevel, Runtime, Settings, Status};
use cmdx_benches::{Outer, StepA, StepB, StepC, StepCFails, null_ledger};
use serde_json::json;
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};
use std::future::Future;
use std::hint::black_box;
use std::time::{Duration, Instant};

#[global_allocator]
static GLOBAL: &StatsAlloc<std::alloc::System> = &INSTRUMENTED_SYSTEM;

#[derive(Debug, Serialize, Deserialize, Validate)]
struct Reserve {
    #[garde(range(min = 1))]
    sku_id: i64,
    #[garde(range(min = 1))]
    quantity: i64,
}

impl Task for Reserve {
    type Output = i64;
    fn name() -> &'static str {
        "Reserve"
    }
    async fn work(&self, _: &mut Cx) -> Result<i64, Halt> {
        Ok(self.quantity)
    }
}

#[derive(Debug, Serialize, Deserialize, Validate)]
struct ReserveFails {
    #[garde(range(min = 1))]
    sku_id: i64,
    #[garde(range(min = 1))]
    quantity: i64,
}

impl Task for ReserveFails {
    type Output = ();
    fn name() -> &'static str {
        "ReserveFails"
    }
    async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
        fail!("Insufficient stock", code = "out_of_stock")
    }
}

#[derive(Debug, Serialize, Deserialize, Validate)]
struct ReserveSkips {
    #[garde(range(min = 1))]
    sku_id: i64,
    #[garde(range(min = 1))]
    quantity: i64,
}

impl Task for ReserveSkips {
    type Output = ();
    fn name() -> &'static str {
        "ReserveSkips"
    }
    async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
        skip!("nothing to reserve")
    }
}

#[derive(Debug, Serialize, Deserialize, Validate)]
struct ReserveQuiet {
    #[garde(range(min = 1))]
    sku_id: i64,
    #[garde(range(min = 1))]
    quantity: i64,
}

impl Task for ReserveQuiet {
    type Output = i64;
    fn name() -> &'static str {
        "ReserveQuiet"
    }
    fn settings() -> Settings {
        Settings::new().ledger(LedgerLevel::Off)
    }
    async fn work(&self, _: &mut Cx) -> Result<i64, Halt> {
        Ok(self.quantity)
    }
}

const SCENARIOS: [&str; 7] = [
    "success",
    "fail",
    "skip",
    "nested3",
    "workflow3",
    "workflow_fail_rollback",
    "success_nolog",
];

fn main() {
    let seconds: f64 = std::env::args()
        .nth(1)
        .map(|s| s.parse().expect("seconds: a number"))
        .unwrap_or(1.0);
    let only = std::env::var("PEERS_ONLY").ok();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let runtime = Runtime::builder().ledger(null_ledger()).build();
    let three = Workflow::new("ThreeSteps")
        .step::<StepA>()
        .step::<StepB>()
        .step::<StepC>();
    let failing = Workflow::new("ThreeStepsFailing")
        .step::<StepA>()
        .step::<StepB>()
        .step::<StepCFails>();

    for name in SCENARIOS {
        if only
            .as_deref()
            .is_some_and(|only| !only.split(',').any(|o| o == name))
        {
            continue;
        }
        let input = || json!({"sku_id": 42, "quantity": 3});
        macro_rules! run {
            ($op:expr) => {
                rt.block_on(runtime.scope(measure(name, seconds, $op)))
            };
        }
        match name {
            "success" => run!(|| async { Reserve::execute_json(input()).await.status() }),
            "fail" => run!(|| async { ReserveFails::execute_json(input()).await.status() }),
            "skip" => run!(|| async { ReserveSkips::execute_json(input()).await.status() }),
            "nested3" => run!(|| async { Outer {}.execute().await.status() }),
            "workflow3" => {
                run!(|| async { three.execute_json(json!({"order_id": 7})).await.status() })
            }
            "workflow_fail_rollback" => {
                run!(|| async { failing.execute_json(json!({"order_id": 7})).await.status() })
            }
            "success_nolog" => {
                run!(|| async { ReserveQuiet::execute_json(input()).await.status() })
            }
            _ => unreachable!("every scenario is matched"),
        }
    }
    runtime
        .ledger()
        .flush()
        .expect("the null device accepts everything");
}

/// The outcome each scenario must have: a benchmark of the wrong path is worthless.
fn expected(name: &str) -> Status {
    match name {
        "fail" | "workflow_fail_rollback" => Status::Failed,
        "skip" => Status::Skipped,
        _ => Status::Success,
    }
}

/// Warms up for a quarter of `seconds`, then runs batches of 100 ops until
/// `seconds` have passed; prints the scenario's JSON line.
async fn measure<F, Fut>(name: &str, seconds: f64, op: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = Status>,
{
    let status = op().await;
    assert_eq!(status, expected(name), "{name}: wrong outcome");
    let warm_until = Instant::now() + Duration::from_secs_f64(seconds / 4.0);
    while std::env::var_os("PEERS_OPS").is_none() && Instant::now() < warm_until {
        black_box(op().await);
    }
    let budget = Duration::from_secs_f64(seconds);
    // PEERS_OPS=N: exactly N ops (for instruction counts under callgrind).
    let fixed: Option<u64> = std::env::var("PEERS_OPS").ok().and_then(|n| n.parse().ok());
    let mut ops = 0u64;
    let region = Region::new(GLOBAL);
    let start = Instant::now();
    let elapsed = loop {
        for _ in 0..100 {
            black_box(op().await);
        }
        ops += 100;
        let elapsed = start.elapsed();
        if fixed.map_or(elapsed >= budget, |n| ops >= n) {
            break elapsed;
        }
    };
    let change = region.change();
    let allocations = change.allocations + change.reallocations;
    println!(
        "{}",
        json!({
            "scenario": name,
            "ns_per_op": elapsed.as_nanos() as f64 / ops as f64,
            "allocs_per_op": allocations as f64 / ops as f64,
            "ops": ops,
        })
    );
}
