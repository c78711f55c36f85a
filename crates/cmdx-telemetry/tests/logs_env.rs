//! The standard variables, read by `cmdx_telemetry::init()` in a real
//! program (`examples/inventory.rs`, run as a child process): with the
//! logs endpoint set, every ledger line on stdout arrives once as a log
//! record with its trace context; with `OTEL_LOGS_EXPORTER=none`, no log
//! record is sent while spans still are.

use cmdx_test::otlp::OtlpReceiver;
use cmdx_test::otlp::logs::OtlpLogReceiver;
use serde_json::Value;
use std::collections::BTreeMap;
use std::process::{Command, Stdio};

/// Runs the inventory demo with the given extra variables; its ledger lines.
async fn run_inventory(traces: &str, logs: &str, extra: &[(&str, &str)]) -> Vec<Value> {
    let binary = tokio::task::spawn_blocking(|| {
        cmdx_test::build_example("cmdx-examples", "inventory", false)
    })
    .await
    .expect("the build ran");
    let mut command = Command::new(binary);
    for name in [
        "OTEL_SDK_DISABLED",
        "OTEL_LOGS_EXPORTER",
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "OTEL_EXPORTER_OTLP_PROTOCOL",
        "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
        "OTEL_EXPORTER_OTLP_LOGS_PROTOCOL",
    ] {
        command.env_remove(name);
    }
    command
        .env("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", traces)
        .env("OTEL_EXPORTER_OTLP_LOGS_ENDPOINT", logs)
        .env("OTEL_SERVICE_NAME", "inventory-logs-env")
        .envs(extra.iter().copied())
        .stdin(Stdio::null());
    let output = tokio::task::spawn_blocking(move || command.output())
        .await
        .expect("the child ran")
        .expect("the example starts");
    assert!(
        output.status.success(),
        "inventory failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let lines: Vec<Value> = String::from_utf8(output.stdout)
        .expect("utf-8 stdout")
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|line| line.get("v").is_some())
        .collect();
    assert!(!lines.is_empty(), "the demo writes ledger lines");
    lines
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_logs_endpoint_variable_exports_every_line_once_with_its_trace_context() {
    let (spans, logs) = (OtlpReceiver::http().await, OtlpLogReceiver::http().await);
    let lines = run_inventory(&spans.endpoint(), &logs.endpoint(), &[]).await;
    let records = logs.records();
    let mut by_tid: BTreeMap<String, Vec<_>> = BTreeMap::new();
    for record in &records {
        let tid = record.attribute("cmdx.tid").expect("a tid");
        by_tid
            .entry(tid.as_str().expect("a string").to_owned())
            .or_default()
            .push(record);
    }
    assert_eq!(records.len(), lines.len(), "one record per line");
    for line in &lines {
        let tid = line["tid"].as_str().expect("a tid");
        let found = by_tid.get(tid).map_or(0, Vec::len);
        assert_eq!(found, 1, "records for {tid}");
        let record = by_tid[tid][0];
        assert_eq!(record.trace_id().as_deref(), line["trace_id"].as_str());
        assert_eq!(record.span_id().as_deref(), line["span_id"].as_str());
        assert!(record.trace_id().is_some(), "spans are exported too");
        assert_eq!(record.service_name.as_deref(), Some("inventory-logs-env"));
    }
    assert_eq!(spans.spans().len(), lines.len(), "one span per line");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn otel_logs_exporter_none_exports_no_logs_while_traces_still_export() {
    let (spans, logs) = (OtlpReceiver::http().await, OtlpLogReceiver::http().await);
    let lines = run_inventory(
        &spans.endpoint(),
        &logs.endpoint(),
        &[("OTEL_LOGS_EXPORTER", "none")],
    )
    .await;
    assert_eq!(logs.requests(), 0, "no log export request at all");
    assert_eq!(spans.spans().len(), lines.len(), "one span per line");
    assert!(lines.iter().all(|line| line["trace_id"].is_string()));
}
