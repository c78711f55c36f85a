//! Runs `N` executions with the OpenTelemetry layer and the ledger on
//! (`otel`), or with every ledger line also exported as an OTel log record
//! (`logs`), both to in-process exporters that drop every batch, or `N`
//! calls of the hand-rolled equivalent (`hand`: `#[tracing::instrument]`
//! and one `tracing::info!` through `tracing-subscriber`'s JSON formatter
//! and the same OpenTelemetry layer, as in `benches/telemetry.rs`) — for a
//! load-independent count under callgrind (all threads):
//!
//! ```sh
//! cargo build --release -p cmdx-benches --example otel_logs_cost
//! valgrind --tool=callgrind --callgrind-out-file=/dev/null \
//!   target/release/examples/otel_logs_cost logs 20000
//! ```
//!
//! Run two counts per variant and divide the difference of the totals by
//! the difference of the counts: start-up cancels out.

use cmdx::Ledger;
use cmdx::prelude::*;
use cmdx_benches::hand_rolled;
use cmdx_telemetry::Telemetry;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::logs::{LogBatch, LogExporter};
use opentelemetry_sdk::trace::{SpanData, SpanExporter};
use std::hint::black_box;

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

#[derive(Debug)]
struct Discard;

impl SpanExporter for Discard {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        drop(black_box(batch));
        Ok(())
    }
}

#[derive(Debug)]
struct DiscardLogs;

impl LogExporter for DiscardLogs {
    async fn export(&self, batch: LogBatch<'_>) -> OTelSdkResult {
        black_box(batch.iter().count());
        Ok(())
    }
}

/// `N` calls of [`hand_rolled`] under the JSON formatter and the OTel layer.
fn hand(n: usize) {
    use opentelemetry::trace::TracerProvider as _;
    use tracing_subscriber::layer::SubscriberExt as _;
    let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder()
        .with_batch_exporter(Discard)
        .build();
    let subscriber = tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .json()
                .with_writer(std::io::sink),
        )
        .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("hand-rolled")));
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
    tracing::subscriber::with_default(subscriber, || {
        rt.block_on(async {
            for i in 0..n {
                black_box(hand_rolled(black_box("SKU-1234"), black_box(i as i64 + 1)).await);
            }
        });
    });
    provider.shutdown().expect("shut down");
}

fn main() {
    let mut args = std::env::args().skip(1);
    let variant = args.next().unwrap_or_else(|| "otel".into());
    let n: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(10_000);
    if variant == "hand" {
        return hand(n);
    }
    let mut builder = Telemetry::builder()
        .read_env(false)
        .exporter(Discard)
        .ledger(Ledger::writer(std::io::sink()));
    if variant == "logs" {
        builder = builder.log_exporter(DiscardLogs).log_queue_size(1 << 20);
    }
    let telemetry = builder.build().expect("telemetry builds");
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
    rt.block_on(telemetry.scope(async {
        for i in 0..n {
            let outcome = Reserve {
                sku: "SKU-1234".into(),
                quantity: black_box(i as i64 + 1),
            }
            .execute()
            .await;
            black_box(outcome.is_success());
        }
    }));
    if let Some(stats) = telemetry.log_stats() {
        assert_eq!(stats.dropped, 0, "{stats:?}");
    }
    rt.block_on(telemetry.shutdown()).expect("shut down");
}
