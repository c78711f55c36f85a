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
//!
//! `ROUNDS=7 OPS=20000 cargo run --release -p cmdx-benches --example
//! workflow_ops` instead runs the four workloads in turn, `ROUNDS` times,
//! and prints the process CPU time per op (`CLOCK_PROCESS_CPUTIME_ID`: time
//! the host gives to other jobs does not count) as medians, and the ratios.

use cmdx::prelude::*;
use cmdx::{Ledger, Runtime, Workflow};
use cmdx_benches::{median, process_cpu_time};
use std::hint::black_box;
use tasks::{ByHand, cmdx_benches_context, one, three};

#[path = "../workflow_tasks.rs"]
mod tasks;

/// The workloads, in the order `ROUNDS` runs them.
const WORKLOADS: [&str; 4] = ["hand1", "workflow1", "hand", "workflow"];

fn main() {
    let env = |name: &str| std::env::var(name).ok();
    let ops: u64 = env("OPS").and_then(|ops| ops.parse().ok()).unwrap_or(2_000);
    let fail = env("FAIL").is_some();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a tokio runtime");
    let runtime = Runtime::builder().ledger(Ledger::off()).build();
    let workloads = Workloads {
        three: three(),
        one: one(),
        context: cmdx_benches_context(fail),
        fail,
    };
    let Some(rounds) = env("ROUNDS").and_then(|rounds| rounds.parse::<usize>().ok()) else {
        let workload = env("WORKLOAD").unwrap_or_else(|| "workflow".into());
        rt.block_on(runtime.scope(workloads.run(&workload, ops)));
        return;
    };
    let mut samples = WORKLOADS.map(|_| Vec::with_capacity(rounds));
    for _ in 0..rounds {
        for (workload, samples) in WORKLOADS.iter().zip(&mut samples) {
            rt.block_on(runtime.scope(workloads.run(workload, ops / 10)));
            let start = process_cpu_time();
            rt.block_on(runtime.scope(workloads.run(workload, ops)));
            samples.push((process_cpu_time() - start).as_nanos() as f64 / ops as f64);
        }
    }
    let [hand1, workflow1, hand, workflow] = samples.map(median);
    println!("CPU ns per op, medians of {rounds} rounds of {ops} ops (fail: {fail})\n");
    println!("| workload | hand-awaited | workflow | ratio |");
    println!("|---|---:|---:|---:|");
    for (row, hand, workflow) in [
        ("3 steps", hand, workflow),
        ("1 step", hand1, workflow1),
        (
            "one more step",
            (hand - hand1) / 2.0,
            (workflow - workflow1) / 2.0,
        ),
    ] {
        println!(
            "| {row} | {hand:.0} | {workflow:.0} | {:.2}× |",
            workflow / hand
        );
    }
}

/// The bench's workloads.
struct Workloads {
    three: Workflow,
    one: Workflow,
    context: Context,
    fail: bool,
}

impl Workloads {
    /// Runs `workload` `ops` times.
    async fn run(&self, workload: &str, ops: u64) {
        let fail = self.fail;
        for _ in 0..ops {
            let status = match workload {
                "workflow" => self.three.execute(self.context.clone()).await.status(),
                "workflow1" => self.one.execute(self.context.clone()).await.status(),
                "hand" => ByHand { fail, steps: 3 }.execute().await.status(),
                "hand1" => ByHand { fail, steps: 1 }.execute().await.status(),
                other => panic!("unknown WORKLOAD {other}: workflow, workflow1, hand, hand1"),
            };
            black_box(status);
        }
    }
}
