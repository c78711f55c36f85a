//! `cmdx_telemetry` installs the application-log layer: events inside
//! executions become log lines, with the execution's trace ids when
//! exporting, and without an exporter spans stay disabled.

use cmdx::MemoryLedger;
use cmdx::prelude::*;
use cmdx_telemetry::{Protocol, Telemetry};
use cmdx_test::otlp::OtlpReceiver;
use std::time::Duration;
use tracing::level_filters::LevelFilter;

#[derive(Debug, Serialize, Deserialize, Validate)]
struct Credit {
    #[garde(skip)]
    amount: i64,
}

impl Task for Credit {
    type Output = ();
    fn name() -> &'static str {
        "Credit"
    }
    async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
        tracing::debug!("too verbose for the default level");
        tracing::info!(amount = self.amount, "credited");
        Ok(())
    }
}

/// `tracing` caches each callsite's interest across every live subscriber
/// of the process: while another test of this binary has an exporting
/// subscriber alive, the `is_disabled` check below could see its interest.
/// The tests take turns.
static ONE_SUBSCRIBER_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

#[tokio::test]
async fn without_an_exporter_info_events_become_log_lines_and_spans_stay_disabled() {
    let _turn = ONE_SUBSCRIBER_AT_A_TIME.lock().await;
    let ledger = MemoryLedger::new();
    let telemetry = Telemetry::builder()
        .read_env(false)
        .ledger(ledger.clone())
        .build()
        .expect("telemetry builds");
    let disabled = telemetry
        .scope(async {
            let _ = Credit { amount: 100 }.execute().await;
            tracing::info_span!(target: "cmdx", "execute").is_disabled()
        })
        .await;
    assert!(disabled, "no span is created without an exporter");
    let logs = ledger.log_values();
    assert_eq!(logs.len(), 1, "{logs:?}");
    assert_eq!(logs[0]["message"], "credited");
    assert_eq!(logs[0]["fields"]["amount"], 100);
    assert_eq!(logs[0]["tid"], ledger.values()[0]["tid"]);
    assert_eq!(logs[0]["trace_id"], serde_json::Value::Null);
    telemetry.shutdown().await.expect("nothing to flush");
}

#[tokio::test]
async fn the_level_is_configurable_and_off_installs_no_subscriber() {
    let _turn = ONE_SUBSCRIBER_AT_A_TIME.lock().await;
    let ledger = MemoryLedger::new();
    let telemetry = Telemetry::builder()
        .read_env(false)
        .ledger(ledger.clone())
        .app_logs(LevelFilter::DEBUG)
        .build()
        .expect("telemetry builds");
    let _ = telemetry.scope(Credit { amount: 1 }.execute()).await;
    assert_eq!(ledger.logs().len(), 2);
    let off = Telemetry::builder()
        .read_env(false)
        .app_logs(LevelFilter::OFF)
        .ledger(MemoryLedger::new())
        .build()
        .expect("telemetry builds");
    assert!(off.dispatch().is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exported_log_lines_carry_their_executions_trace_and_span_ids() {
    let _turn = ONE_SUBSCRIBER_AT_A_TIME.lock().await;
    let receiver = OtlpReceiver::http().await;
    let ledger = MemoryLedger::new();
    let telemetry = Telemetry::builder()
        .read_env(false)
        .endpoint(receiver.endpoint())
        .protocol(Protocol::HttpProtobuf)
        .ledger(ledger.clone())
        .build()
        .expect("telemetry builds");
    let outcome = telemetry.scope(Credit { amount: 7 }.execute()).await;
    assert!(outcome.is_success());
    telemetry.shutdown().await.expect("spans exported");
    let line = &ledger.values()[0];
    let log = &ledger.log_values()[0];
    let trace_id = line["trace_id"].as_str().expect("a trace id");
    assert_eq!(log["trace_id"], trace_id);
    assert_eq!(log["span_id"], line["span_id"]);
    // Reading the ids early (at the event) leaves the span whole.
    let spans = receiver.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(spans.len(), 1);
    assert_eq!(spans[0].span_id(), line["span_id"].as_str().unwrap());
    assert_eq!(
        spans[0].attribute("cmdx.status"),
        Some(serde_json::json!("success"))
    );
}
