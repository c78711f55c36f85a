//! The guard flushes pending spans — also from a `current_thread` runtime,
//! where the SDK's blocking flush would otherwise stall the gRPC exporter.

use cmdx::MemoryLedger;
use cmdx::prelude::*;
use cmdx_telemetry::{Protocol, Telemetry};
use cmdx_test::otlp::OtlpReceiver;
use std::time::{Duration, Instant};

#[derive(Debug, Serialize, Deserialize, Validate)]
struct Ping {}

impl Task for Ping {
    type Output = ();
    fn name() -> &'static str {
        "Ping"
    }
    async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
        Ok(())
    }
}

fn telemetry(endpoint: String, protocol: Protocol, ledger: &MemoryLedger) -> Telemetry {
    Telemetry::builder()
        .read_env(false)
        .endpoint(endpoint)
        .protocol(protocol)
        .ledger(ledger.clone())
        .shutdown_timeout(Duration::from_secs(5))
        .build()
        .expect("telemetry builds")
}

/// Everything on one `current_thread` runtime: receiver, executions, and
/// `shutdown().await`. The spans are still in the batch queue (the SDK
/// exports every 5 s) until shutdown sends them.
async fn shutdown_flushes_on_current_thread(protocol: Protocol) {
    let receiver = match protocol {
        Protocol::Grpc => OtlpReceiver::grpc().await,
        _ => OtlpReceiver::http().await,
    };
    let ledger = MemoryLedger::new();
    let telemetry = telemetry(receiver.endpoint(), protocol, &ledger);
    for _ in 0..3 {
        let outcome = telemetry.scope(Ping {}.execute()).await;
        assert!(outcome.is_success());
    }
    assert!(
        receiver.spans().is_empty(),
        "nothing is exported before the flush"
    );
    let started = Instant::now();
    telemetry.shutdown().await.expect("pending spans exported");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "shutdown took {:?}: it stalled instead of flushing",
        started.elapsed()
    );
    let spans = receiver.spans();
    assert_eq!(spans.len(), 3);
    let span_ids: Vec<String> = spans.iter().map(|s| s.span_id()).collect();
    for line in ledger.values() {
        let span_id = line["span_id"].as_str().expect("lines carry span ids");
        assert!(
            span_ids.iter().any(|id| id == span_id),
            "{span_id} was exported"
        );
    }
}

#[tokio::test(flavor = "current_thread")]
async fn shutdown_await_flushes_grpc_spans_on_a_current_thread_runtime() {
    shutdown_flushes_on_current_thread(Protocol::Grpc).await;
}

#[tokio::test(flavor = "current_thread")]
async fn shutdown_await_flushes_http_spans_on_a_current_thread_runtime() {
    shutdown_flushes_on_current_thread(Protocol::HttpProtobuf).await;
}

/// Dropping the guard inside a `current_thread` runtime's task (the end of
/// `#[tokio::main(flavor = "current_thread")]`) exports the spans and
/// returns promptly. The receiver runs elsewhere, as a collector would.
#[test]
fn dropping_the_guard_flushes_grpc_spans_from_a_current_thread_runtime() {
    let collector = tokio::runtime::Runtime::new().expect("collector runtime");
    let receiver = collector.block_on(OtlpReceiver::grpc());
    let app = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("app runtime");
    let ledger = MemoryLedger::new();
    let took = app.block_on(async {
        let telemetry = telemetry(receiver.endpoint(), Protocol::Grpc, &ledger);
        let outcome = telemetry.scope(Ping {}.execute()).await;
        assert!(outcome.is_success());
        let started = Instant::now();
        drop(telemetry);
        started.elapsed()
    });
    assert!(took < Duration::from_secs(2), "drop took {took:?}");
    let spans = receiver.spans();
    assert_eq!(spans.len(), 1);
    assert_eq!(
        Some(spans[0].span_id()),
        ledger.values()[0]["span_id"].as_str().map(str::to_owned)
    );
    drop(receiver);
    collector.shutdown_background();
}

#[tokio::test]
async fn without_an_endpoint_nothing_is_exported_and_trace_ids_are_null() {
    let ledger = MemoryLedger::new();
    let telemetry = Telemetry::builder()
        .read_env(false)
        .ledger(ledger.clone())
        .build()
        .expect("telemetry builds");
    assert!(!telemetry.is_exporting());
    // Only the application-log layer, which takes no span: spans stay off.
    let dispatch = telemetry.dispatch().expect("the application-log layer");
    tracing::dispatcher::with_default(&dispatch, || {
        assert!(tracing::info_span!(target: "cmdx", "execute").is_disabled());
    });
    let outcome = telemetry.scope(Ping {}.execute()).await;
    assert!(outcome.is_success());
    let line = &ledger.values()[0];
    assert_eq!(line["trace_id"], serde_json::Value::Null);
    assert_eq!(line["span_id"], serde_json::Value::Null);
    telemetry.shutdown().await.expect("nothing to flush");
}

/// The bridge on its own: `link` adds a span link to the execution undone
/// (the saga test in `export_*.rs` checks it end to end).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_compensation_span_links_to_the_span_it_undoes() {
    use cmdx::TraceBridge;
    let receiver = OtlpReceiver::http().await;
    let telemetry = telemetry(
        receiver.endpoint(),
        Protocol::HttpProtobuf,
        &MemoryLedger::new(),
    );
    let dispatch = telemetry.dispatch().expect("exporting");
    let bridge = cmdx_telemetry::OtelBridge::new();
    let undone = tracing::dispatcher::with_default(&dispatch, || {
        let span = tracing::info_span!("undone");
        bridge.trace_ids(&span).expect("a span with ids")
    });
    tracing::dispatcher::with_default(&dispatch, || {
        let span = tracing::info_span!("compensation");
        bridge.link(&span, &undone);
    });
    telemetry.shutdown().await.expect("exported");
    let spans = receiver.spans();
    let compensation = spans
        .iter()
        .find(|s| s.name() == "compensation")
        .expect("the compensation span");
    assert_eq!(
        compensation.links(),
        vec![(undone.trace_id.clone(), undone.span_id.clone())]
    );
}

/// A ledger writing to a slow destination (100 ms per write), and a handle
/// on it kept outside the guard, so only the guard's flush can explain the
/// lines being there.
fn slow_ledger() -> (cmdx::Ledger, cmdx_test::SharedWriter, Telemetry) {
    let out = cmdx_test::SharedWriter::slow(Duration::from_millis(100));
    let ledger = cmdx::Ledger::writer(out.clone());
    let telemetry = Telemetry::builder()
        .read_env(false)
        .ledger(ledger.clone())
        .build()
        .expect("telemetry builds");
    (ledger, out, telemetry)
}

#[test]
fn dropping_the_guard_writes_the_queued_ledger_lines() {
    let (ledger, out, telemetry) = slow_ledger();
    let app = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("app runtime");
    app.block_on(async {
        for _ in 0..5 {
            assert!(telemetry.scope(Ping {}.execute()).await.is_success());
        }
        drop(telemetry);
    });
    assert_eq!(out.lines().len(), 5);
    assert_eq!(ledger.stats().expect("a writer").queued, 0);
}

#[tokio::test(flavor = "current_thread")]
async fn shutdown_await_writes_the_queued_ledger_lines() {
    let (ledger, out, telemetry) = slow_ledger();
    for _ in 0..5 {
        assert!(telemetry.scope(Ping {}.execute()).await.is_success());
    }
    telemetry.shutdown().await.expect("the ledger is flushed");
    assert_eq!(out.lines().len(), 5);
    assert_eq!(ledger.stats().expect("a writer").queued, 0);
}

#[tokio::test(flavor = "current_thread")]
async fn flush_await_writes_the_queued_ledger_lines() {
    let (_ledger, out, telemetry) = slow_ledger();
    for _ in 0..5 {
        assert!(telemetry.scope(Ping {}.execute()).await.is_success());
    }
    telemetry.flush().await.expect("the ledger is flushed");
    assert_eq!(out.lines().len(), 5);
}

/// `Telemetry::scope` borrows nothing from the telemetry: its future can
/// be spawned (it is `'static` for a `'static` input), even after the
/// telemetry value is gone.
#[tokio::test]
async fn a_scoped_future_can_be_spawned() {
    let ledger = MemoryLedger::new();
    let telemetry = Telemetry::builder()
        .read_env(false)
        .ledger(ledger.clone())
        .build()
        .expect("telemetry builds");
    let scoped = telemetry.scope(Ping {}.execute());
    drop(telemetry);
    let outcome = tokio::spawn(scoped).await.expect("the task ends");
    assert!(outcome.is_success());
    assert_eq!(ledger.values().len(), 1);
}

/// A collector that accepts connections and never answers: the export of
/// the pending span outlives the shutdown timeout, and the error says it
/// was a timeout (the SDK's `OTelSdkError::Timeout`), not a failure.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_collector_that_never_answers_makes_shutdown_report_a_timeout() {
    // Bound and listening: the kernel completes the handshakes, nobody
    // ever reads or answers. Dropped at the end of the test.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    let endpoint = format!(
        "http://{}/v1/traces",
        silent.local_addr().expect("bound address")
    );
    let timeout = Duration::from_millis(300);
    let telemetry = Telemetry::builder()
        .read_env(false)
        .endpoint(endpoint)
        .protocol(Protocol::HttpProtobuf)
        .ledger(MemoryLedger::new())
        .shutdown_timeout(timeout)
        .build()
        .expect("telemetry builds");
    let outcome = telemetry.scope(Ping {}.execute()).await;
    assert!(outcome.is_success());
    let error = telemetry
        .shutdown()
        .await
        .expect_err("the span cannot be exported in time");
    assert!(error.is_timeout(), "{error}");
    assert!(
        error.to_string().contains("did not finish within 300ms"),
        "{error}"
    );
    drop(silent);
}
