//! The cost of telemetry per `execute()`, in one run: tracing off, a plain
//! `tracing` registry, and the OpenTelemetry layer with a batch exporter
//! (to an in-process exporter that drops every span) — each with the ledger
//! on (to `io::sink`) and off — against a bare `async fn` call.
//!
//! And against what a Rust team would write instead of cmdx (issue 13): a
//! plain `async fn` under `#[tracing::instrument]` that emits one
//! `tracing::info!` event, formatted by `tracing-subscriber`'s JSON
//! formatter into `io::sink` ("hand-rolled"), without and with the same
//! OpenTelemetry layer and exporter settings. cmdx's rows to compare:
//! "tracing off, ledger on" against "hand-rolled JSON", and "otel layer +
//! batch exporter, ledger on" against "hand-rolled JSON + otel layer".
//!
//! And the OpenTelemetry layer with every ledger line also exported as an
//! OTel log record (to an in-process log exporter that drops every batch),
//! to price the log export (issue 15).

use cmdx::prelude::*;
use cmdx::{Ledger, Runtime};
use cmdx_benches::hand_rolled;
use cmdx_telemetry::{OtelBridge, Telemetry};
use criterion::{Criterion, criterion_group, criterion_main};
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::logs::{LogBatch, LogExporter};
use opentelemetry_sdk::trace::{SpanData, SpanExporter};
use std::hint::black_box;
use std::time::Duration;
use tracing::Dispatch;
use tracing_subscriber::layer::SubscriberExt as _;

#[derive(Debug, Serialize, Deserialize, Validate)]
struct Reserve {
    #[garde(length(min = 1))]
    sku: String,
    #[garde(range(min = 1))]
    quantity: i64,
}

impl Task for Reserve {
    type Output = i64;
    fn name() -> &'static str {
        "Reserve"
    }
    async fn work(&self, _: &mut Cx) -> Result<i64, Halt> {
        Ok(self.quantity)
    }
}

/// `tracing-subscriber`'s JSON formatter writing to `io::sink`.
fn json_to_sink() -> impl tracing_subscriber::Layer<tracing_subscriber::Registry> + Send + Sync {
    tracing_subscriber::fmt::layer()
        .json()
        .with_writer(std::io::sink)
}

#[inline(never)]
async fn bare(sku: &str, quantity: i64) -> i64 {
    black_box(sku);
    quantity
}

/// Receives batches from the batch processor's thread and drops them.
#[derive(Debug)]
struct Discard;

impl SpanExporter for Discard {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        drop(black_box(batch));
        Ok(())
    }
}

/// Receives log batches from the batch log processor's thread and drops
/// them.
#[derive(Debug)]
struct DiscardLogs;

impl LogExporter for DiscardLogs {
    async fn export(&self, batch: LogBatch<'_>) -> OTelSdkResult {
        black_box(batch.iter().count());
        Ok(())
    }
}

fn task() -> Reserve {
    Reserve {
        sku: black_box("SKU-1234").to_owned(),
        quantity: black_box(5),
    }
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a current-thread runtime");
    let ledger = || Ledger::writer(std::io::sink());
    let quiet = Runtime::builder().ledger(Ledger::off()).build();
    let logged = Runtime::builder().ledger(ledger()).build();
    let telemetry = Telemetry::builder()
        .read_env(false)
        .exporter(Discard)
        .ledger(ledger())
        .build()
        .expect("telemetry builds");
    let otel = telemetry.dispatch().expect("exporting");
    let with_logs = Telemetry::builder()
        .read_env(false)
        .exporter(Discard)
        .log_exporter(DiscardLogs)
        // Large enough that no record is dropped: the row prices the
        // conversion and the hand-over, not the drop path.
        .log_queue_size(1 << 20)
        .ledger(ledger())
        .build()
        .expect("telemetry builds");
    let otel_logs = with_logs.dispatch().expect("exporting");
    let otel_quiet = Runtime::builder()
        .ledger(Ledger::off())
        .trace_bridge(OtelBridge::new())
        .build();
    let registry = Dispatch::new(tracing_subscriber::registry());
    let hand_json = Dispatch::new(tracing_subscriber::registry().with(json_to_sink()));
    let hand_provider = opentelemetry_sdk::trace::SdkTracerProvider::builder()
        .with_batch_exporter(Discard)
        .build();
    let hand_otel = Dispatch::new(
        tracing_subscriber::registry()
            .with(json_to_sink())
            .with(tracing_opentelemetry::layer().with_tracer(hand_provider.tracer("hand-rolled"))),
    );
    let mut group = c.benchmark_group("telemetry");
    group
        .sample_size(30)
        .measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_secs(1));
    group.bench_function("bare async fn", |b| {
        b.to_async(&rt)
            .iter(|| bare(black_box("SKU-1234"), black_box(5)));
    });
    group.bench_function("tracing off, ledger off", |b| {
        b.to_async(&rt).iter(|| quiet.scope(task().execute()));
    });
    group.bench_function("tracing off, ledger on", |b| {
        b.to_async(&rt).iter(|| logged.scope(task().execute()));
    });
    tracing::dispatcher::with_default(&registry, || {
        group.bench_function("plain registry, ledger on", |b| {
            b.to_async(&rt).iter(|| logged.scope(task().execute()));
        });
    });
    tracing::dispatcher::with_default(&otel, || {
        group.bench_function("otel layer + batch exporter, ledger off", |b| {
            b.to_async(&rt).iter(|| otel_quiet.scope(task().execute()));
        });
        group.bench_function("otel layer + batch exporter, ledger on", |b| {
            b.to_async(&rt)
                .iter(|| telemetry.runtime().scope(task().execute()));
        });
    });
    tracing::dispatcher::with_default(&otel_logs, || {
        group.bench_function("otel layer + batch exporter, ledger on + otel logs", |b| {
            b.to_async(&rt)
                .iter(|| with_logs.runtime().scope(task().execute()));
        });
    });
    tracing::dispatcher::with_default(&hand_json, || {
        group.bench_function("hand-rolled JSON (baseline for ledger on)", |b| {
            b.to_async(&rt)
                .iter(|| hand_rolled(black_box("SKU-1234"), black_box(5)));
        });
    });
    tracing::dispatcher::with_default(&hand_otel, || {
        group.bench_function(
            "hand-rolled JSON + otel layer (baseline for otel + ledger)",
            |b| {
                b.to_async(&rt)
                    .iter(|| hand_rolled(black_box("SKU-1234"), black_box(5)));
            },
        );
    });
    group.finish();
    let _ = hand_provider.shutdown();
    let stats = with_logs.log_stats().expect("exporting logs");
    assert_eq!(
        stats.dropped, 0,
        "the row measured the export path: {stats:?}"
    );
    drop(rt);
    drop(telemetry);
    drop(with_logs);
}

criterion_group!(benches, bench);
criterion_main!(benches);
