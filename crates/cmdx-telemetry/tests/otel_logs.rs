//! Ledger lines and application log lines exported as OpenTelemetry log
//! records, against real OTLP receivers on loopback (gRPC `LogsService`
//! and http/protobuf `POST /v1/logs`, decoded with `opentelemetry-proto`):
//! every line arrives exactly once, with the trace context of its span.

use cmdx::prelude::*;
use cmdx::{Ledger, LedgerSink, MemoryLedger, Record, Secret};
use cmdx_telemetry::{Protocol, Telemetry};
use cmdx_test::otlp::OtlpReceiver;
use cmdx_test::otlp::logs::{OtlpLogReceiver, ReceivedLog};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

#[derive(Debug, Serialize, Deserialize, Validate)]
struct ReserveStock {
    #[garde(length(min = 1))]
    sku: String,
    #[garde(range(min = 1))]
    quantity: i64,
    #[garde(skip)]
    card: Secret<String>,
}

impl Task for ReserveStock {
    type Output = ();
    fn name() -> &'static str {
        "Inventory::ReserveStock"
    }
    async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
        if self.quantity > 100 {
            fail!("Insufficient stock", code = "out_of_stock", available = 2);
        }
        Ok(())
    }
}

/// A parent whose child runs inside it: two lines, two spans, one trace.
#[derive(Debug, Serialize, Deserialize, Validate)]
struct PlaceOrder {
    #[garde(length(min = 1))]
    sku: String,
}

impl Task for PlaceOrder {
    type Output = ();
    fn name() -> &'static str {
        "PlaceOrder"
    }
    async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
        let child = ReserveStock {
            sku: self.sku.clone(),
            quantity: 1,
            card: Secret::new("4242424242424242".into()),
        }
        .execute()
        .await;
        assert!(child.is_success());
        Ok(())
    }
}

fn reserve(i: usize) -> ReserveStock {
    ReserveStock {
        sku: format!("SKU-{i:05}"),
        // Every third one fails.
        quantity: if i.is_multiple_of(3) { 1_000 } else { 1 },
        card: Secret::new("4242424242424242".into()),
    }
}

async fn receivers(protocol: Protocol) -> (OtlpReceiver, OtlpLogReceiver) {
    match protocol {
        Protocol::Grpc => (OtlpReceiver::grpc().await, OtlpLogReceiver::grpc().await),
        _ => (OtlpReceiver::http().await, OtlpLogReceiver::http().await),
    }
}

/// An application log line as the spec writes it, inside the execution of
/// `line` (a ledger line): its chain, task and trace context.
fn log_line(line: &Value, level: &str, message: &str) -> Vec<u8> {
    let log = json!({
        "log": 1,
        "ts": "2026-11-30T10:15:00.123Z",
        "level": level,
        "cid": line["cid"],
        "tid": line["tid"],
        "task": line["task"],
        "trace_id": line["trace_id"],
        "span_id": line["span_id"],
        "target": "inventory",
        "message": message,
        "fields": {"amount": 100, "account": 42},
    });
    let mut bytes = serde_json::to_vec(&log).expect("serializes");
    bytes.push(b'\n');
    bytes
}

fn executions(records: &[ReceivedLog]) -> Vec<&ReceivedLog> {
    records
        .iter()
        .filter(|r| r.event_name() == "cmdx.execution")
        .collect()
}

fn nanos(ts: &str) -> u64 {
    let ts = chrono::DateTime::parse_from_rfc3339(ts).expect("an RFC 3339 ts");
    u64::try_from(ts.timestamp_nanos_opt().expect("in range")).expect("after 1970")
}

async fn every_line_arrives_once_with_its_trace_context(protocol: Protocol) {
    const N: usize = 12;
    let (spans, logs) = receivers(protocol).await;
    let ledger = MemoryLedger::new();
    let telemetry = Telemetry::builder()
        .read_env(false)
        .service_name("otel-logs-test")
        .endpoint(spans.endpoint())
        .logs_endpoint(logs.endpoint())
        .protocol(protocol)
        .ledger(ledger.clone())
        .build()
        .expect("telemetry builds");
    assert!(telemetry.is_exporting() && telemetry.is_exporting_logs());
    for i in 0..N {
        let _ = telemetry.scope(reserve(i).execute()).await;
    }
    let order = telemetry
        .scope(
            PlaceOrder {
                sku: "SKU-77777".into(),
            }
            .execute(),
        )
        .await;
    assert!(order.is_success(), "{:?}", order.record());

    // Application log lines, in the spec's format, handed to the export's
    // sink as the runtime's tee hands them on (`Ledger::write_log` is
    // crate-private until the application-log layer uses it): one inside a
    // traced execution, one without ids.
    let lines = ledger.values();
    assert_eq!(lines.len(), N + 2);
    let first = &lines[0];
    let sink = telemetry.log_sink().expect("exporting logs");
    LedgerSink::write_log(
        &sink,
        &log_line(first, "WARN", "Credited 100 to account 42"),
    );
    let mut untraced: Value =
        serde_json::from_slice(&log_line(first, "DEBUG", "no span")).expect("a log line");
    untraced["trace_id"] = Value::Null;
    untraced["span_id"] = Value::Null;
    LedgerSink::write_log(&sink, untraced.to_string().as_bytes());

    telemetry.flush().await.expect("flushed");
    let stats = telemetry.log_stats().expect("exporting logs");
    assert_eq!(
        (stats.exported, stats.lost(), stats.queued),
        ((N + 4) as u64, 0, 0),
        "every record exported, nothing lost or left: {stats:?}"
    );
    telemetry.shutdown().await.expect("shut down");

    let records = logs.records();
    let by_tid: BTreeMap<String, &ReceivedLog> = executions(&records)
        .into_iter()
        .map(|r| {
            let tid = r.attribute("cmdx.tid").expect("a tid");
            (tid.as_str().expect("a string").to_owned(), r)
        })
        .collect();
    assert_eq!(
        executions(&records).len(),
        lines.len(),
        "one record per line"
    );
    assert_eq!(by_tid.len(), lines.len(), "tids unique");
    let exported_spans = spans.spans();
    for line in &lines {
        let tid = line["tid"].as_str().expect("a tid");
        let record = by_tid
            .get(tid)
            .unwrap_or_else(|| panic!("no record for {tid}"));
        // Trace context: the line's ids, which are its exported span's.
        assert_eq!(record.trace_id().as_deref(), line["trace_id"].as_str());
        assert_eq!(record.span_id().as_deref(), line["span_id"].as_str());
        let span = exported_spans
            .iter()
            .find(|s| s.attribute("cmdx.tid").as_ref().and_then(Value::as_str) == Some(tid))
            .unwrap_or_else(|| panic!("no span for {tid}"));
        assert_eq!(record.trace_id(), Some(span.trace_id()));
        assert_eq!(record.span_id(), Some(span.span_id()));
        // The line's fields as attributes; the secret stays redacted.
        for key in ["cid", "task", "kind", "state", "status"] {
            assert_eq!(
                record.attribute(&format!("cmdx.{key}")).as_ref(),
                Some(&line[key]),
                "cmdx.{key} of {tid}"
            );
        }
        assert_eq!(
            record.attribute("cmdx.index").as_ref(),
            Some(&line["index"])
        );
        assert_eq!(record.attribute("cmdx.root").as_ref(), Some(&line["root"]));
        assert_eq!(
            record.attribute("cmdx.parent"),
            line["parent"].as_str().map(Value::from)
        );
        assert_eq!(
            record.attribute("cmdx.input.sku").as_ref(),
            Some(&line["input"]["sku"])
        );
        if line["task"] == "Inventory::ReserveStock" {
            assert_eq!(line["input"]["card"], "[REDACTED]");
            assert_eq!(
                record.attribute("cmdx.input.card"),
                Some(Value::from("[REDACTED]"))
            );
            assert!(
                !format!("{:?}", record.record).contains("4242424242424242"),
                "the secret never leaves"
            );
        }
        assert_eq!(record.time_unix_nano(), nanos(line["ts"].as_str().unwrap()));
        assert_eq!(record.scope, "cmdx");
        assert_eq!(record.service_name.as_deref(), Some("otel-logs-test"));
        if line["status"] == "failed" {
            assert_eq!(
                (record.severity_number(), record.severity_text()),
                (17, "ERROR")
            );
            assert_eq!(
                record.body(),
                "Inventory::ReserveStock failed: Insufficient stock"
            );
            assert_eq!(
                record.attribute("cmdx.code"),
                Some(Value::from("out_of_stock"))
            );
            assert_eq!(
                record.attribute("cmdx.metadata.available"),
                Some(Value::from(2))
            );
        } else {
            assert_eq!(
                (record.severity_number(), record.severity_text()),
                (9, "INFO")
            );
            assert_eq!(
                record.body(),
                format!("{} succeeded", line["task"].as_str().unwrap())
            );
        }
    }
    let failed = lines.iter().filter(|l| l["status"] == "failed").count();
    assert_eq!(failed, N.div_ceil(3), "the failures were exercised");

    // Application log lines: their level, message, fields and trace context.
    let applications: Vec<&ReceivedLog> = records
        .iter()
        .filter(|r| r.event_name().is_empty())
        .collect();
    assert_eq!(applications.len(), 2, "{applications:#?}");
    let warn = applications
        .iter()
        .find(|r| r.severity_text() == "WARN")
        .expect("the WARN line");
    assert_eq!(warn.severity_number(), 13);
    assert_eq!(warn.body(), "Credited 100 to account 42");
    assert_eq!(warn.trace_id().as_deref(), first["trace_id"].as_str());
    assert_eq!(warn.span_id().as_deref(), first["span_id"].as_str());
    assert_eq!(warn.scope, "inventory", "the event's target");
    assert_eq!(warn.attribute("amount"), Some(Value::from(100)));
    assert_eq!(warn.attribute("account"), Some(Value::from(42)));
    assert_eq!(warn.attribute("cmdx.tid").as_ref(), Some(&first["tid"]));
    assert_eq!(warn.attribute("cmdx.cid").as_ref(), Some(&first["cid"]));
    assert_eq!(warn.attribute("cmdx.task").as_ref(), Some(&first["task"]));
    assert_eq!(warn.time_unix_nano(), nanos("2026-11-30T10:15:00.123Z"));
    let debug = applications
        .iter()
        .find(|r| r.severity_text() == "DEBUG")
        .expect("the DEBUG line");
    assert_eq!(debug.severity_number(), 5);
    assert_eq!(
        (debug.trace_id(), debug.span_id()),
        (None, None),
        "no ids on the line, none invented"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpc_every_line_arrives_once_with_its_trace_context() {
    every_line_arrives_once_with_its_trace_context(Protocol::Grpc).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_every_line_arrives_once_with_its_trace_context() {
    every_line_arrives_once_with_its_trace_context(Protocol::HttpProtobuf).await;
}

/// Log records without spans: `logs_endpoint` alone exports log records;
/// lines have no trace ids and the records none either.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_export_without_traces() {
    let logs = OtlpLogReceiver::http().await;
    let telemetry = Telemetry::builder()
        .read_env(false)
        .logs_endpoint(logs.endpoint())
        .ledger(Ledger::off())
        .build()
        .expect("telemetry builds");
    assert!(!telemetry.is_exporting() && telemetry.is_exporting_logs());
    let outcome = telemetry.scope(reserve(1).execute()).await;
    assert!(outcome.record().trace_id.is_none());
    telemetry.shutdown().await.expect("shut down");
    let records = logs.records();
    assert_eq!(records.len(), 1, "Ledger::off() still feeds the export");
    assert_eq!(records[0].trace_id(), None);
    assert_eq!(
        records[0].attribute("cmdx.tid"),
        Some(Value::from(outcome.record().tid.to_string()))
    );
}

/// `logs(false)` (what `OTEL_LOGS_EXPORTER=none` resolves to, see
/// `logs_env.rs` for the variable itself): spans still export, no record
/// is sent, and the runtime's ledger is the user's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_off_exports_no_records_while_traces_still_export() {
    let (spans, logs) = receivers(Protocol::HttpProtobuf).await;
    let ledger = MemoryLedger::new();
    let telemetry = Telemetry::builder()
        .read_env(false)
        .endpoint(spans.endpoint())
        .logs_endpoint(logs.endpoint())
        .logs(false)
        .ledger(ledger.clone())
        .build()
        .expect("telemetry builds");
    assert!(!telemetry.is_exporting_logs());
    assert_eq!(telemetry.log_stats(), None);
    for i in 0..3 {
        let _ = telemetry.scope(reserve(i).execute()).await;
    }
    telemetry.shutdown().await.expect("shut down");
    assert_eq!(spans.spans().len(), 3);
    assert_eq!(ledger.values().len(), 3);
    assert_eq!(logs.requests(), 0, "no export request at all");
}

#[derive(Debug)]
struct PanickingExporter;

impl opentelemetry_sdk::logs::LogExporter for PanickingExporter {
    async fn export(
        &self,
        _: opentelemetry_sdk::logs::LogBatch<'_>,
    ) -> opentelemetry_sdk::error::OTelSdkResult {
        panic!("log exporter bug");
    }
}

/// An exporter that panics on every export: executions keep their
/// outcomes, the user's ledger gets every line, the panics are counted as
/// failed exports, and flush and shutdown still return (the batch thread
/// survives).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_log_exporter_is_contained() {
    let ledger = MemoryLedger::new();
    let telemetry = Telemetry::builder()
        .read_env(false)
        .log_exporter(PanickingExporter)
        .ledger(ledger.clone())
        .build()
        .expect("telemetry builds");
    for round in 0..2 {
        for i in 0..5 {
            let outcome = telemetry.scope(reserve(3 * i + 1).execute()).await;
            assert!(
                outcome.is_success(),
                "round {round}: {:?}",
                outcome.record()
            );
        }
        telemetry.flush().await.expect_err("the export failed");
    }
    let stats = telemetry.log_stats().expect("exporting logs");
    assert_eq!(
        (stats.exported, stats.failed, stats.dropped, stats.queued),
        (0, 10, 0, 0),
        "{stats:?}"
    );
    assert_eq!(ledger.values().len(), 10);
    assert_eq!(telemetry.runtime().contained_panics().total(), 0);
    tokio::time::timeout(Duration::from_secs(60), telemetry.shutdown())
        .await
        .expect("shutdown returns")
        .expect("nothing pending at shutdown");
}

/// The user's sink panics: the line still reaches the log export (the
/// tee contains each half's panic on its own and counts it as a failed
/// line of the runtime ledger's stats).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_user_ledger_still_lets_the_line_reach_the_export() {
    struct Broken;
    impl LedgerSink for Broken {
        fn write(&self, _: &[u8], _: &Record) {
            panic!("disk driver bug");
        }
    }
    let logs = OtlpLogReceiver::http().await;
    let telemetry = Telemetry::builder()
        .read_env(false)
        .logs_endpoint(logs.endpoint())
        .ledger(Ledger::custom(Broken))
        .build()
        .expect("telemetry builds");
    let outcome = telemetry.scope(reserve(1).execute()).await;
    assert!(outcome.is_success());
    let stats = telemetry.runtime().ledger().stats().expect("a tee counts");
    assert_eq!(stats.failed, 1, "the panic is counted: {stats:?}");
    telemetry.shutdown().await.expect("shut down");
    let tids: BTreeSet<String> = logs
        .records()
        .iter()
        .filter_map(|r| Some(r.attribute("cmdx.tid")?.as_str()?.to_owned()))
        .collect();
    assert_eq!(tids, BTreeSet::from([outcome.record().tid.to_string()]));
}
