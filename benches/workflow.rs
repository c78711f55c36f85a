//! Workflows against the same tasks awaited by hand, in one run:
//!
//! * `workflow/sequential_3_steps`: a 3-step workflow reading its inputs
//!   from a context vs. a parent task awaiting the three tasks (4
//!   executions each);
//! * `workflow/failing_with_2_compensations`: the third step fails, the two
//!   completed ones are compensated (workflow: 2 `rollback` executions) vs. a
//!   parent task that awaits them and calls the undo code itself.
//!
//! Ledger off, so the numbers are the engine's cost, not serialization.

use cmdx::prelude::*;
use cmdx::{BoxError, Ledger, Runtime};
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use std::sync::atomic::{AtomicI64, Ordering};

static UNDONE: AtomicI64 = AtomicI64::new(0);

fn undo(n: i64) {
    UNDONE.fetch_add(n, Ordering::Relaxed);
}

macro_rules! step {
    ($name:ident) => {
        #[derive(Debug, Serialize, Deserialize, Validate)]
        struct $name {
            #[garde(range(min = 1))]
            n: i64,
            #[garde(skip)]
            #[serde(default)]
            fail: bool,
        }

        impl Task for $name {
            type Output = ();
            fn name() -> &'static str {
                stringify!($name)
            }
            async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
                if self.fail && stringify!($name) == "Third" {
                    fail!("declined");
                }
                black_box(self.n);
                Ok(())
            }
            async fn rollback(&self, cx: &mut Cx) -> Result<(), BoxError> {
                if cx.is_compensating() {
                    undo(self.n);
                }
                Ok(())
            }
        }
    };
}

step!(First);
step!(Second);
step!(Third);

/// The hand-written equivalent of the workflow.
#[derive(Debug, Serialize, Deserialize, Validate)]
struct ByHand {
    #[garde(skip)]
    fail: bool,
}

impl Task for ByHand {
    type Output = ();
    fn name() -> &'static str {
        "ByHand"
    }
    async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
        let fail = self.fail;
        First { n: 1, fail }.execute_strict().await?;
        Second { n: 1, fail }.execute_strict().await?;
        if let Err(fault) = (Third { n: 1, fail }).execute_strict().await {
            undo(1);
            undo(1);
            return Err(fault.into());
        }
        Ok(())
    }
}

fn workflows(c: &mut Criterion) {
    // With timers: compensations are bounded by a tokio timer, and a
    // runtime without one makes every compensation catch tokio's panic.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a tokio runtime");
    let runtime = Runtime::builder().ledger(Ledger::off()).build();
    let workflow = Workflow::new("Three")
        .step::<First>()
        .step::<Second>()
        .step::<Third>();
    let ok = cmdx_benches_context(false);
    let failing = cmdx_benches_context(true);

    let mut group = c.benchmark_group("workflow/sequential_3_steps");
    group.bench_function("hand_awaited", |b| {
        b.to_async(&rt)
            .iter(|| runtime.scope(async { black_box(ByHand { fail: false }.execute().await) }))
    });
    group.bench_function("workflow", |b| {
        b.to_async(&rt)
            .iter(|| runtime.scope(async { black_box(workflow.execute(ok.clone()).await) }))
    });
    group.finish();

    let mut group = c.benchmark_group("workflow/failing_with_2_compensations");
    group.bench_function("hand_awaited", |b| {
        b.to_async(&rt)
            .iter(|| runtime.scope(async { black_box(ByHand { fail: true }.execute().await) }))
    });
    group.bench_function("workflow", |b| {
        b.to_async(&rt)
            .iter(|| runtime.scope(async { black_box(workflow.execute(failing.clone()).await) }))
    });
    group.finish();
}

fn cmdx_benches_context(fail: bool) -> Context {
    let mut context = Context::new();
    context.insert("n", 1);
    context.insert("fail", fail);
    context
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
