//! The cost of one `execute()` over a bare `async fn` call (design
//! invariant 8: "cheap when quiet"). Baseline and candidates in one run:
//! each iteration batch runs inside one `block_on`, so the numbers are the
//! per-call cost, not the runtime's.

use cmdx::prelude::*;
use cmdx::{Ledger, MemoryLedger, Runtime};
use cmdx_benches::{Add, add};
use criterion::{Criterion, criterion_group, criterion_main};
use std::future::Future;
use std::hint::black_box;
use std::time::{Duration, Instant};

/// Times `iters` sequential awaits of `call()` inside one `block_on`.
fn timed<F, Fut>(rt: &tokio::runtime::Runtime, runtime: &Runtime, iters: u64, call: F) -> Duration
where
    F: Fn() -> Fut,
    Fut: Future<Output = Option<i64>>,
{
    rt.block_on(runtime.scope(async {
        let start = Instant::now();
        for _ in 0..iters {
            black_box(call().await);
        }
        start.elapsed()
    }))
}

fn execute(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a tokio runtime");
    let off = Runtime::builder().ledger(Ledger::off()).build();
    let memory = MemoryLedger::new();
    let on = Runtime::builder().ledger(memory.clone()).build();
    let mut group = c.benchmark_group("execute");

    group.bench_function("bare async fn (baseline)", |b| {
        b.iter_custom(|iters| {
            timed(&rt, &off, iters, || async {
                add(black_box(1), black_box(2)).await.ok()
            })
        })
    });
    group.bench_function("execute, ledger off", |b| {
        b.iter_custom(|iters| {
            timed(&rt, &off, iters, || {
                Add {
                    a: black_box(1),
                    b: black_box(2),
                }
                .execute_value()
            })
        })
    });
    group.bench_function("execute, ledger to memory", |b| {
        b.iter_custom(|iters| {
            let elapsed = timed(&rt, &on, iters, || {
                Add {
                    a: black_box(1),
                    b: black_box(2),
                }
                .execute_value()
            });
            memory.take();
            elapsed
        })
    });
    group.finish();
}

trait ExecuteValue {
    fn execute_value(self) -> impl Future<Output = Option<i64>>;
}

impl ExecuteValue for Add {
    async fn execute_value(self) -> Option<i64> {
        self.execute().await.into_value()
    }
}

criterion_group!(benches, execute);
criterion_main!(benches);
