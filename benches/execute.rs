//! The cost of one `execute()` over a bare `async fn` call (design
//! invariant 8: "cheap when quiet"). Baseline and candidates in one run.

use cmdx::prelude::*;
use cmdx::{Ledger, MemoryLedger, Runtime};
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;

#[derive(Debug, Serialize, Deserialize, Validate)]
struct Add {
    #[garde(skip)]
    a: i64,
    #[garde(skip)]
    b: i64,
}

impl Task for Add {
    type Output = i64;
    async fn work(&self, _: &mut Cx) -> Result<i64, Halt> {
        Ok(self.a + self.b)
    }
}

/// The baseline: the same work as a plain `async fn`.
async fn add(a: i64, b: i64) -> Result<i64, Halt> {
    Ok(a + b)
}

fn execute(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a tokio runtime");
    let mut group = c.benchmark_group("execute");

    group.bench_function("bare async fn (baseline)", |b| {
        b.iter(|| rt.block_on(async { black_box(add(black_box(1), black_box(2)).await.ok()) }))
    });

    let off = Runtime::builder().ledger(Ledger::off()).build();
    group.bench_function("execute, ledger off", |b| {
        b.iter(|| {
            rt.block_on(off.scope(async {
                black_box(
                    Add {
                        a: black_box(1),
                        b: black_box(2),
                    }
                    .execute()
                    .await
                    .into_value(),
                )
            }))
        })
    });

    let memory = MemoryLedger::new();
    let on = Runtime::builder().ledger(memory.clone()).build();
    group.bench_function("execute, ledger to memory", |b| {
        b.iter(|| {
            let value = rt.block_on(on.scope(async {
                black_box(
                    Add {
                        a: black_box(1),
                        b: black_box(2),
                    }
                    .execute()
                    .await
                    .into_value(),
                )
            }));
            if memory.len() > 10_000 {
                memory.take();
            }
            value
        })
    });
    group.finish();
}

criterion_group!(benches, execute);
criterion_main!(benches);
