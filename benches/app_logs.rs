//! The cost of application logs: one execution whose `work` emits one
//! `tracing::info!` with two fields, its ledger through the non-blocking
//! writer to `io::sink()`. Baselines in the same run: the same execution
//! with no subscriber (the event is off), and with `tracing-subscriber`'s
//! JSON formatter writing the event to `io::sink()` instead of the log
//! layer (both filtered to events, as `cmdx_telemetry::init()` filters the
//! log layer without an exporter). The log layer's per-execution overhead
//! (no event) is measured against the same execution before any log layer
//! exists in the process.

use cmdx::prelude::*;
use cmdx::{Ledger, Runtime};
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::{Duration, Instant};
use tracing_subscriber::Layer;
use tracing_subscriber::filter::filter_fn;
use tracing_subscriber::layer::SubscriberExt;

#[derive(Debug, Serialize, Deserialize, Validate)]
struct Credit {
    #[garde(skip)]
    account: u64,
    #[garde(skip)]
    amount: i64,
    #[garde(skip)]
    log: bool,
}

impl Task for Credit {
    type Output = ();
    fn name() -> &'static str {
        "Credit"
    }
    async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
        if self.log {
            tracing::info!(amount = self.amount, account = self.account, "credited");
        }
        Ok(())
    }
}

fn timed(rt: &tokio::runtime::Runtime, runtime: &Runtime, iters: u64, log: bool) -> Duration {
    rt.block_on(runtime.scope(async {
        let start = Instant::now();
        for n in 0..iters {
            let task = Credit {
                account: black_box(42),
                amount: black_box(n as i64),
                log,
            };
            let _ = black_box(task.execute().await);
        }
        start.elapsed()
    }))
}

fn app_logs(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a tokio runtime");
    let runtime = Runtime::builder()
        .ledger(Ledger::writer(std::io::sink()))
        .build();
    let mut group = c.benchmark_group("app_logs");

    // Before any log layer exists in the process.
    group.bench_function("execute, no event, no log layer (baseline)", |b| {
        b.iter_custom(|iters| timed(&rt, &runtime, iters, false))
    });
    group.bench_function("execute + info!, no subscriber (baseline)", |b| {
        b.iter_custom(|iters| timed(&rt, &runtime, iters, true))
    });
    group.bench_function("execute + info!, fmt JSON layer to sink (baseline)", |b| {
        let json = tracing_subscriber::fmt::layer()
            .json()
            .with_writer(std::io::sink)
            .with_filter(filter_fn(|meta| meta.is_event()));
        let _default = tracing::subscriber::set_default(tracing_subscriber::registry().with(json));
        b.iter_custom(|iters| timed(&rt, &runtime, iters, true))
    });
    // What `cmdx_telemetry::init()` installs without an endpoint: the log
    // layer, events only (from here on a log layer exists in the process).
    let telemetry = cmdx_telemetry::Telemetry::builder()
        .read_env(false)
        .ledger(Ledger::writer(std::io::sink()))
        .build()
        .expect("telemetry builds");
    let dispatch = telemetry.dispatch().expect("the log layer");
    let logged = telemetry.runtime().clone();
    group.bench_function("execute, no event, log layer", |b| {
        let _default = tracing::dispatcher::set_default(&dispatch);
        b.iter_custom(|iters| timed(&rt, &logged, iters, false))
    });
    group.bench_function("execute + info!, log layer", |b| {
        let _default = tracing::dispatcher::set_default(&dispatch);
        b.iter_custom(|iters| timed(&rt, &logged, iters, true))
    });
    logged.ledger().flush().expect("the sink takes everything");
    group.finish();
    runtime.ledger().flush().expect("the sink takes everything");
}

criterion_group!(benches, app_logs);
criterion_main!(benches);
