//! Shared by `own_spans_grpc.rs` and `own_spans_http.rs`: the telemetry is
//! the binary's *global* subscriber, as `cmdx_telemetry::init()` installs
//! it, so the exporter's own threads (the gRPC connection's runtime, the
//! batch processor's thread) see it too — which is how an export loop
//! starts. The log export runs too (same protocol, every 50 ms): its
//! exports must not create spans nor log records either.

use cmdx::Ledger;
use cmdx::prelude::*;
use cmdx_telemetry::{BatchConfigBuilder, Protocol, Telemetry};
use cmdx_test::otlp::OtlpReceiver;
use cmdx_test::otlp::logs::OtlpLogReceiver;
use std::time::Duration;
use tracing::Dispatch;

#[derive(Debug, Serialize, Deserialize, Validate)]
struct Ping {
    #[garde(range(min = 1))]
    n: i64,
}

impl Task for Ping {
    type Output = i64;
    fn name() -> &'static str {
        "Ping"
    }
    async fn work(&self, _: &mut Cx) -> Result<i64, Halt> {
        Ok(self.n)
    }
}

/// Exports every 50 ms to a real receiver speaking `protocol`; runs one
/// execution, stays idle for 1.5 s (about 30 export rounds, in which an
/// export loop would multiply), and checks exactly one span arrived: the
/// execution's.
pub(crate) fn one_execution_then_idle_exports_exactly_one_span(protocol: Protocol) {
    // The receiver stands for a collector, another process: it lives on a
    // runtime of its own whose threads trace into no subscriber, so that
    // only the exporter's side of the connection can reach the export.
    let collector = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .on_thread_start(|| {
            // Leaked on purpose: it lasts as long as the thread.
            std::mem::forget(tracing::dispatcher::set_default(&Dispatch::none()));
        })
        .build()
        .expect("collector runtime");
    let (receiver, logs) = collector.block_on(async {
        match protocol {
            Protocol::Grpc => (OtlpReceiver::grpc().await, OtlpLogReceiver::grpc().await),
            _ => (OtlpReceiver::http().await, OtlpLogReceiver::http().await),
        }
    });
    let telemetry = Telemetry::builder()
        .read_env(false)
        .service_name("own-spans-test")
        .endpoint(receiver.endpoint())
        .logs_endpoint(logs.endpoint())
        .log_export_interval(Duration::from_millis(50))
        .protocol(protocol)
        .ledger(Ledger::off())
        .batch_config(
            BatchConfigBuilder::default()
                .with_scheduled_delay(Duration::from_millis(50))
                .build(),
        )
        .build()
        .expect("telemetry builds");
    tracing::dispatcher::set_global_default(telemetry.dispatch().expect("exporting"))
        .expect("the only global subscriber of this test binary");

    let app = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("application runtime");
    app.block_on(async {
        let outcome = telemetry.scope(Ping { n: 7 }.execute()).await;
        assert!(outcome.is_success());
        let first = receiver.wait_for(1, Duration::from_secs(10)).await;
        assert_eq!(first.len(), 1, "the execution's span arrives: {first:#?}");
        // Idle: nothing of the application runs from here on.
        tokio::time::sleep(Duration::from_millis(1_500)).await;
        telemetry.flush().await.expect("flushed");
    });
    let spans = receiver.spans();
    let names: Vec<&str> = spans.iter().map(|s| s.name()).collect();
    assert_eq!(
        names.len(),
        1,
        "one execution exports one span, whatever the idle exports did: {names:?}"
    );
    assert_eq!(names[0], "Ping");
    assert_eq!(
        spans[0].service_name.as_deref(),
        Some("own-spans-test"),
        "the application's span"
    );
    let records = logs.records();
    assert_eq!(
        records.len(),
        1,
        "one execution exports one log record, whatever the exports did: {records:#?}"
    );
    assert_eq!(records[0].span_id(), Some(spans[0].span_id()));

    // Stop everything this test started, exporter first.
    app.block_on(telemetry.shutdown()).expect("shut down");
    drop(app);
    drop(receiver);
    drop(logs);
    drop(collector);
}
