//! `execute()` with no middleware vs. with three no-op middlewares and every
//! hook registered, against a bare `async fn` call, in the same run.

use cmdx::middleware::{Call, Done, Middleware, Next};
use cmdx::prelude::*;
use cmdx::{HookCx, Hooks, Ledger, Runtime};
use cmdx_benches::Add;
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::{Duration, Instant};

/// A middleware that only passes the call on.
struct Pass;

impl Middleware for Pass {
    async fn call(&self, call: Call, next: Next) -> Result<Done, Halt> {
        Ok(next.run(call).await)
    }
}

/// Every hook registered, each doing nothing.
struct AllHooks;

impl Hooks for AllHooks {
    fn before_execution(&self, cx: &HookCx<'_>) -> Result<(), Halt> {
        black_box(cx);
        Ok(())
    }
    fn before_validation(&self, cx: &HookCx<'_>) -> Result<(), Halt> {
        black_box(cx);
        Ok(())
    }
    fn after_execution(&self, cx: &HookCx<'_>) -> Result<(), Halt> {
        black_box(cx);
        Ok(())
    }
    fn on_complete(&self, cx: &HookCx<'_>) -> Result<(), Halt> {
        black_box(cx);
        Ok(())
    }
    fn on_interrupted(&self, cx: &HookCx<'_>) -> Result<(), Halt> {
        black_box(cx);
        Ok(())
    }
    fn on_success(&self, cx: &HookCx<'_>) -> Result<(), Halt> {
        black_box(cx);
        Ok(())
    }
    fn on_skipped(&self, cx: &HookCx<'_>) -> Result<(), Halt> {
        black_box(cx);
        Ok(())
    }
    fn on_failed(&self, cx: &HookCx<'_>) -> Result<(), Halt> {
        black_box(cx);
        Ok(())
    }
    fn on_ok(&self, cx: &HookCx<'_>) -> Result<(), Halt> {
        black_box(cx);
        Ok(())
    }
    fn on_ko(&self, cx: &HookCx<'_>) -> Result<(), Halt> {
        black_box(cx);
        Ok(())
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
    let one = Runtime::builder().ledger(Ledger::off()).layer(Pass).build();
    let layered = Runtime::builder()
        .ledger(Ledger::off())
        .layer(Pass)
        .layer(Pass)
        .layer(Pass)
        .build();
    let hooked = Runtime::builder()
        .ledger(Ledger::off())
        .hooks(AllHooks)
        .build();
    let everything = Runtime::builder()
        .ledger(Ledger::off())
        .layer(Pass)
        .layer(Pass)
        .layer(Pass)
        .hooks(AllHooks)
        .build();
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
    group.bench_function("execute, 1 no-op middleware", |b| {
        b.to_async(&rt).iter(|| {
            one.scope(
                Add {
                    a: black_box(1),
                    b: black_box(2),
                }
                .execute(),
            )
        });
    });
    group.bench_function("execute, 3 no-op middlewares", |b| {
        b.to_async(&rt).iter(|| {
            layered.scope(
                Add {
                    a: black_box(1),
                    b: black_box(2),
                }
                .execute(),
            )
        });
    });
    group.bench_function("execute, all 10 hooks", |b| {
        b.to_async(&rt).iter(|| {
            hooked.scope(
                Add {
                    a: black_box(1),
                    b: black_box(2),
                }
                .execute(),
            )
        });
    });
    group.bench_function("execute, 3 no-op middlewares and all hooks", |b| {
        b.to_async(&rt).iter(|| {
            everything.scope(
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

/// Runs `baseline` and `variant` alternately in batches of 16 and reports
/// the difference of their *fastest* batches, per iteration, times `iters`.
/// The machine is shared: preemption only ever adds time, so the fastest
/// batch of each, measured under the same load, is the robust estimate.
async fn overhead(iters: u64, baseline: &Runtime, variant: &Runtime) -> Duration {
    const BATCH: u32 = 16;
    let (mut base, mut with) = (Duration::MAX, Duration::MAX);
    for _ in 0..iters.div_ceil(u64::from(BATCH)).max(8) {
        base = base.min(batch(baseline, BATCH).await);
        with = with.min(batch(variant, BATCH).await);
    }
    let per_iteration = with.saturating_sub(base) / BATCH;
    per_iteration.max(Duration::from_nanos(1)) * u32::try_from(iters).unwrap_or(u32::MAX)
}

async fn batch(runtime: &Runtime, n: u32) -> Duration {
    let started = Instant::now();
    for _ in 0..n {
        let _ = black_box(
            runtime
                .scope(
                    Add {
                        a: black_box(1),
                        b: black_box(2),
                    }
                    .execute(),
                )
                .await,
        );
    }
    started.elapsed()
}

fn bench_overhead(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a current-thread runtime");
    let plain = Runtime::builder().ledger(Ledger::off()).build();
    let variants = [
        (
            "1 no-op middleware",
            Runtime::builder().ledger(Ledger::off()).layer(Pass).build(),
        ),
        (
            "3 no-op middlewares",
            Runtime::builder()
                .ledger(Ledger::off())
                .layer(Pass)
                .layer(Pass)
                .layer(Pass)
                .build(),
        ),
        (
            "all 10 hooks",
            Runtime::builder()
                .ledger(Ledger::off())
                .hooks(AllHooks)
                .build(),
        ),
        (
            "3 no-op middlewares and all hooks",
            Runtime::builder()
                .ledger(Ledger::off())
                .layer(Pass)
                .layer(Pass)
                .layer(Pass)
                .hooks(AllHooks)
                .build(),
        ),
    ];
    let mut group = c.benchmark_group("middleware overhead (interleaved with no middleware)");
    // The reported time is the overhead only (about a tenth of the real
    // time spent), so a short measurement time keeps the run modest.
    group
        .sample_size(20)
        .measurement_time(Duration::from_millis(500))
        .warm_up_time(Duration::from_secs(1));
    for (name, variant) in &variants {
        group.bench_function(*name, |b| {
            b.to_async(&rt)
                .iter_custom(|iters| overhead(iters, &plain, variant));
        });
    }
    group.finish();
}

criterion_group!(benches, bench, bench_overhead);
criterion_main!(benches);
