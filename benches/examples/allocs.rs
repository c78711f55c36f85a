//! Heap allocations per execution, counted by a counting global allocator
//! (`stats_alloc`, in every thread — the ledger's writer thread included):
//! allocations, and beside them reallocations (a `Vec` growing, or a
//! serialized input shrunk to its length). Run:
//!
//! `cargo run --release -p cmdx-benches --example allocs`
//!
//! Each row runs its op 20,000 times (after 1,000 to warm up) on a
//! current-thread tokio runtime, with the ledger writing real lines to the
//! null device through the default non-blocking writer, and prints the
//! mean per op and the target from issue 13:
//!
//! * typed success: `Add { a, b }.execute()`;
//! * untyped success: `Add::execute_json(json!({..}))`, the input built
//!   fresh for every op (its own allocations included);
//! * nested3, per root: a task awaiting a child awaiting a grandchild;
//! * workflow step: what one more step costs, `(3 steps − 1 step) / 2`,
//!   for a step reading one context key and adding one; then the same
//!   with 20 more keys in the context, to show that nothing grows with
//!   its size (merges change one context in place and log what they
//!   replaced; each used to copy it, while a completed step's
//!   compensation kept the context it read);
//! * the same step's task awaited by hand: what one more `StepA`
//!   awaited in a parent task costs, `(3 awaits − 1 await) / 2`, the
//!   step's own share of a workflow step.
//!
//! The tasks are `cmdx_benches`' (`benches/lib.rs`), shared with `peers`.
//!
//! `ALLOCS_ONLY=typed` (or `untyped`, `nested`, `workflow`, `by_hand`)
//! runs one row only, to find the allocation sites with `heaptrack`.

use cmdx::prelude::*;
use cmdx::{Runtime, Status};
use cmdx_benches::{Add, Outer, StepA, StepB, StepC, null_ledger};
use serde::{Deserialize, Serialize};
use serde_json::json;
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};
use std::hint::black_box;

#[global_allocator]
static GLOBAL: &StatsAlloc<std::alloc::System> = &INSTRUMENTED_SYSTEM;

const OPS: u64 = 20_000;

/// A parent task awaiting `StepA` `times` times by hand, as a workflow
/// would run it as a step.
#[derive(Debug, Serialize, Deserialize, Validate)]
struct ByHand {
    #[garde(skip)]
    times: u8,
}

impl Task for ByHand {
    type Output = ();
    fn name() -> &'static str {
        "ByHand"
    }
    async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
        for _ in 0..self.times {
            StepA { order_id: 7 }.execute_strict().await?;
        }
        Ok(())
    }
}

fn main() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let runtime = Runtime::builder().ledger(null_ledger()).build();
    let one = Workflow::new("OneStep").step::<StepA>();
    let three = Workflow::new("ThreeSteps")
        .step::<StepA>()
        .step::<StepB>()
        .step::<StepC>();
    let mut context = Context::new();
    context.insert("order_id", 7);
    let mut larger = context.clone();
    for key in 0..20 {
        larger.insert(format!("key_{key:02}"), format!("value {key}"));
    }

    let only = std::env::var("ALLOCS_ONLY").ok();
    let runs = |row: &str| only.as_deref().is_none_or(|only| only == row);
    macro_rules! count {
        ($row:literal, $op:expr) => {
            if !runs($row) {
                (0.0, 0.0)
            } else {
                rt.block_on(runtime.scope(async {
                    // A count of the wrong path is worthless.
                    assert_eq!($op.await.status(), Status::Success);
                    for _ in 0..1_000 {
                        let _ = black_box($op.await);
                    }
                    let region = Region::new(GLOBAL);
                    for _ in 0..OPS {
                        let _ = black_box($op.await);
                    }
                    let change = region.change();
                    let per_op = |n: usize| n as f64 / OPS as f64;
                    (per_op(change.allocations), per_op(change.reallocations))
                }))
            }
        };
    }
    let typed = count!("typed", Add { a: 1, b: 2 }.execute());
    let untyped = count!("untyped", Add::execute_json(json!({"a": 1, "b": 2})));
    let nested = count!("nested", Outer {}.execute());
    let one_step = count!("workflow", one.execute(context.clone()));
    let three_steps = count!("workflow", three.execute(context.clone()));
    let one_larger = count!("workflow", one.execute(larger.clone()));
    let three_larger = count!("workflow", three.execute(larger.clone()));
    let one_await = count!("by_hand", ByHand { times: 1 }.execute());
    let three_awaits = count!("by_hand", ByHand { times: 3 }.execute());
    runtime
        .ledger()
        .flush()
        .expect("the null device accepts everything");

    let per_step =
        |one: (f64, f64), three: (f64, f64)| ((three.0 - one.0) / 2.0, (three.1 - one.1) / 2.0);
    let step = per_step(one_step, three_steps);
    let step_larger = per_step(one_larger, three_larger);
    let by_hand = per_step(one_await, three_awaits);
    println!("| execution | allocations per op | target | reallocations per op |");
    println!("|---|---:|---:|---:|");
    for (row, (allocations, reallocations), target) in [
        ("typed success (`execute`)", typed, "≤ 3"),
        (
            "untyped success (`execute_json`, input built per op)",
            untyped,
            "≤ 8",
        ),
        ("nested3, per root (3 executions)", nested, "≤ 10"),
        ("workflow of 1 step", one_step, "—"),
        ("workflow of 3 steps", three_steps, "—"),
        ("one more workflow step", step, "≤ 6"),
        (
            "one more workflow step, 20 more keys in the context",
            step_larger,
            "—",
        ),
        ("the step's task awaited by hand, one more", by_hand, "—"),
    ] {
        println!("| {row} | {allocations:.1} | {target} | {reallocations:.1} |");
    }
}
