//! One workload of `benches/workflow.rs` in a loop, for counting
//! instructions: wall-clock ratios on a shared host move by ±20 % from run
//! to run, instruction counts do not. Run it under callgrind twice, with
//! two op counts, and take the difference (so set-up cancels out):
//!
//! `WORKLOAD=workflow OPS=2000 valgrind --tool=callgrind target/release/examples/workflow_ops`
//!
//! `WORKLOAD` is `workflow` (3 steps), `workflow1` (the first step only),
//! `hand` (a parent task awaiting the 3 steps), `hand1` (awaiting the first);
//! `FAIL=1` makes the third step fail (the workflow compensates the first
//! two). Same runtime as the bench: current-thread tokio with timers, ledger
//! off. Results are in `benches/README.md` ("Workflow step against a
//! hand-awaited execution").

use cmdx::prelude::*;
use cmdx::{Ledger, Runtime};
use std::hint::black_box;
use tasks::{ByHand, cmdx_benches_context, one, three};

#[path = "../workflow_tasks.rs"]
mod tasks;

fn main() {
    let workload = std::env::var("WORKLOAD").unwrap_or_else(|_| "workflow".into());
    let ops: u64 = std::env::var("OPS")
        .ok()
        .and_then(|ops| ops.parse().ok())
        .unwrap_or(2_000);
    let fail = std::env::var_os("FAIL").is_some();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a tokio runtime");
    let runtime = Runtime::builder().ledger(Ledger::off()).build();
    let (three, one) = (three(), one());
    let context = cmdx_benches_context(fail);
    rt.block_on(runtime.scope(async {
        for _ in 0..ops {
            let status = match workload.as_str() {
                "workflow" => three.execute(context.clone()).await.status(),
                "workflow1" => one.execute(context.clone()).await.status(),
                "hand" => ByHand { fail, steps: 3 }.execute().await.status(),
                "hand1" => ByHand { fail, steps: 1 }.execute().await.status(),
                other => panic!("unknown WORKLOAD {other}: workflow, workflow1, hand, hand1"),
            };
            black_box(status);
        }
    }));
}
