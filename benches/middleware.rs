//! `execute()` with no middleware vs. with three no-op middlewares and every
//! hook registered, against a bare `async fn` call, in the same run.

use cmdx::prelude::*;
use cmdx::{Ledger, Runtime};
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::Duration;

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

#[inline(never)]
async fn bare(a: i64, b: i64) -> i64 {
    a + b
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a current-thread runtime");
    let plain = Runtime::builder().ledger(Ledger::off()).build();
    let mut group = c.benchmark_group("middleware");
    group
        .sample_size(30)
        .measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_secs(1));
    group.bench_function("bare async fn", |b| {
        b.to_async(&rt).iter(|| bare(black_box(1), black_box(2)));
    });
    group.bench_function("execute, ledger off, no middleware", |b| {
        b.to_async(&rt).iter(|| {
            plain.scope(
                Add {
                    a: black_box(1),
                    b: black_box(2),
                }
                .execute(),
            )
        });
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
