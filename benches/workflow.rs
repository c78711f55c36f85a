//! Workflows against the same tasks awaited by hand, in one run:
//!
//! * `workflow/sequential_3_steps`: a 3-step workflow reading its inputs
//!   from a context vs. a parent task awaiting the three tasks (4
//!   executions each);
//! * `workflow/one_step`: the same with the first step only, so that
//!   `(3 steps − 1 step) / 2` is what one more step costs either way;
//! * `workflow/failing_with_2_compensations`: the third step fails, the two
//!   completed ones are compensated (workflow: 2 `rollback` executions) vs. a
//!   parent task that awaits them and calls the undo code itself.
//!
//! Ledger off, so the numbers are the engine's cost, not serialization. The
//! tasks are in `workflow_tasks.rs`, shared with `examples/workflow_ops.rs`
//! (the same comparison in instructions, which this host's noise does not
//! move).

use cmdx::prelude::*;
use cmdx::{Ledger, Runtime};
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use tasks::{ByHand, cmdx_benches_context, one, three};

#[path = "workflow_tasks.rs"]
mod tasks;

fn workflows(c: &mut Criterion) {
    // With timers: compensations are bounded by a tokio timer, and a
    // runtime without one makes every compensation catch tokio's panic.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a tokio runtime");
    let runtime = Runtime::builder().ledger(Ledger::off()).build();
    let workflow = three();
    let one_step = one();
    let ok = cmdx_benches_context(false);
    let failing = cmdx_benches_context(true);

    let compare =
        |c: &mut Criterion, name, hand: ByHand, workflow: &Workflow, context: &Context| {
            let mut group = c.benchmark_group(name);
            group.bench_function("hand_awaited", |b| {
                b.to_async(&rt)
                    .iter(|| runtime.scope(async { black_box(hand.execute().await) }))
            });
            group.bench_function("workflow", |b| {
                b.to_async(&rt).iter(|| {
                    runtime.scope(async { black_box(workflow.execute(context.clone()).await) })
                })
            });
            group.finish();
        };
    compare(
        c,
        "workflow/sequential_3_steps",
        ByHand {
            fail: false,
            steps: 3,
        },
        &workflow,
        &ok,
    );
    compare(
        c,
        "workflow/one_step",
        ByHand {
            fail: false,
            steps: 1,
        },
        &one_step,
        &ok,
    );
    compare(
        c,
        "workflow/failing_with_2_compensations",
        ByHand {
            fail: true,
            steps: 3,
        },
        &workflow,
        &failing,
    );
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(30)
        .warm_up_time(std::time::Duration::from_millis(500))
        .measurement_time(std::time::Duration::from_secs(2))
}

criterion_group! {
    name = benches;
    config = config();
    targets = workflows
}
criterion_main!(benches);
