//! SIGTERM and SIGINT under load, on the axum and actix examples as real
//! child processes: real HTTP clients over loopback (several connections,
//! fast writes, run-to-completion orders, reads, slow requests in the
//! request and detached, requests that outlive the shutdown timeout), a
//! real signal, and a real OTLP receiver. Then:
//!
//! - the process exits (within a generous bound: only hangs fail);
//! - every execution the server started (each noted on stderr by the
//!   examples' test subscriber) has exactly one ledger line, and no line
//!   is unaccounted for;
//! - every answered request that ran tasks has its lines, found by the
//!   chain id the answer carries; an answered `204` has a successful root
//!   line, an answered `503` an `interrupted by shutdown` root line;
//! - the requests still running at the deadline were interrupted and say
//!   so;
//! - every line's span reached the receiver (one span per line, same ids,
//!   same tree below the roots — an axum root's span has the request span
//!   as its parent).
//!
//! `CMDX_SHUTDOWN_LOAD_MS` lengthens the load before the signal (default
//! 600 ms).
#![cfg(unix)]

use cmdx_test::otlp::OtlpReceiver;
use rustix::process::Signal;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// The examples' shutdown budget (signal to exit) in these tests: 1.4 s
/// for the drain, 1 s for the server to close, 0.6 s for the flush.
const TIMEOUT_MS: u64 = 3_000;

/// A running example.
struct Server {
    child: Child,
    base: String,
    stdout: Option<std::thread::JoinHandle<Vec<u8>>>,
    stderr: Option<std::thread::JoinHandle<Vec<String>>>,
    /// The example's `TMPDIR`, removed after the example exits (a killed
    /// one cannot remove its temporary database).
    _tmp: tempfile::TempDir,
}

impl Server {
    /// Starts `example`, exporting its spans to `traces` (an OTLP/HTTP
    /// traces endpoint).
    fn start(example: &str, traces: &str) -> Self {
        let binary = cmdx_test::build_example("cmdx-examples", example, false);
        let tmp = tempfile::tempdir().expect("a temporary directory");
        let mut child = Command::new(binary)
            .env("TMPDIR", tmp.path())
            .env("CMDX_ADDR", "127.0.0.1:0")
            .env("CMDX_TEST_ENDPOINTS", "1")
            .env("CMDX_SHUTDOWN_TIMEOUT_MS", TIMEOUT_MS.to_string())
            .env("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", traces)
            .env("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "http/protobuf")
            .env("OTEL_SERVICE_NAME", example)
            .env_remove("OTEL_SDK_DISABLED")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the example starts");
        let mut stdout = child.stdout.take().expect("piped");
        let stdout = std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = stdout.read_to_end(&mut bytes);
            bytes
        });
        let (sender, address) = std::sync::mpsc::channel();
        let stderr = BufReader::new(child.stderr.take().expect("piped"));
        let stderr = std::thread::spawn(move || {
            let mut lines = Vec::new();
            for line in stderr.lines().map_while(Result::ok) {
                if let Some(at) = line.find("http://") {
                    let _ = sender.send(line[at..].trim().to_owned());
                }
                lines.push(line);
            }
            lines
        });
        let base = match address.recv_timeout(Duration::from_secs(60)) {
            Ok(base) => base,
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("{example} did not say where it listens");
            }
        };
        Self {
            child,
            base,
            stdout: Some(stdout),
            stderr: Some(stderr),
            _tmp: tmp,
        }
    }

    fn signal(&self, signal: Signal) {
        let pid = rustix::process::Pid::from_child(&self.child);
        rustix::process::kill_process(pid, signal).expect("signalled");
    }

    /// Waits for the exit (killing the process after `bound`), and gives
    /// back whether it exited in time, its ledger lines, and its stderr.
    fn wait(
        mut self,
        bound: Duration,
    ) -> (bool, std::process::ExitStatus, Vec<Value>, Vec<String>) {
        let deadline = Instant::now() + bound;
        let mut in_time = true;
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("waitable") {
                break status;
            }
            if Instant::now() > deadline {
                in_time = false;
                let _ = self.child.kill();
                break self.child.wait().expect("waitable");
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        let stdout = self
            .stdout
            .take()
            .expect("read once")
            .join()
            .expect("the reader ends");
        let stderr = self
            .stderr
            .take()
            .expect("read once")
            .join()
            .expect("the reader ends");
        (in_time, status, cmdx_test::json_lines(&stdout), stderr)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// One answered request.
#[derive(Debug)]
struct Answer {
    what: &'static str,
    status: u16,
    cid: Option<String>,
}

/// One client (its own connection pool) sending a mix of requests until
/// `stop` or until the server stops answering.
async fn client(base: String, id: u64, stop: Arc<AtomicBool>) -> Vec<Answer> {
    let http = reqwest::Client::new();
    let sku = format!("SKU-{id}");
    let mut answers = Vec::new();
    for n in 0_u64.. {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        let (what, request) = match n % 5 {
            0 => (
                "receive",
                http.post(format!("{base}/stock/receive"))
                    .json(&json!({"sku": sku, "quantity": 5, "warehouse_id": 1})),
            ),
            1 => (
                "order",
                http.post(format!("{base}/orders")).json(
                    &json!({"sku": sku, "quantity": 1, "order_id": id * 1_000_000 + n, "warehouse_id": 1}),
                ),
            ),
            2 => ("read", http.get(format!("{base}/products/{sku}"))),
            3 => (
                "sleep",
                http.post(format!("{base}/test/sleep"))
                    .json(&json!({"ms": 120})),
            ),
            _ => (
                "sleep",
                http.post(format!("{base}/test/sleep"))
                    .json(&json!({"ms": 120, "detached": true})),
            ),
        };
        match request.send().await {
            Ok(response) => answers.push(answer(what, &response)),
            Err(_) => break,
        }
    }
    answers
}

/// A request that outlives the shutdown timeout.
async fn long(base: String, detached: bool) -> Option<Answer> {
    let response = reqwest::Client::new()
        .post(format!("{base}/test/sleep"))
        .json(&json!({"ms": 600_000, "detached": detached}))
        .send()
        .await
        .ok()?;
    Some(answer("long", &response))
}

fn answer(what: &'static str, response: &reqwest::Response) -> Answer {
    Answer {
        what,
        status: response.status().as_u16(),
        cid: response
            .headers()
            .get("x-chain-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
    }
}

async fn signal_under_load(example: &str, signal: Signal, clients: u64) {
    let receiver = OtlpReceiver::http().await;
    let server = Server::start(example, &receiver.endpoint());
    let stop = Arc::new(AtomicBool::new(false));
    let base = server.base.clone();
    let longs: Vec<_> = [false, true]
        .into_iter()
        .map(|detached| tokio::spawn(long(base.clone(), detached)))
        .collect();
    let load: Vec<_> = (0..clients)
        .map(|id| tokio::spawn(client(base.clone(), id, stop.clone())))
        .collect();
    let load_ms = std::env::var("CMDX_SHUTDOWN_LOAD_MS")
        .ok()
        .and_then(|ms| ms.parse().ok())
        .unwrap_or(600);
    tokio::time::sleep(Duration::from_millis(load_ms)).await;

    server.signal(signal);
    let signalled = Instant::now();
    let bound = Duration::from_millis(TIMEOUT_MS) + Duration::from_secs(20);
    let (in_time, status, lines, stderr) = tokio::task::spawn_blocking(move || server.wait(bound))
        .await
        .unwrap();
    let took = signalled.elapsed();
    stop.store(true, Ordering::Relaxed);
    let mut answers = Vec::new();
    for client in load {
        answers.extend(client.await.unwrap());
    }
    for long in longs {
        answers.extend(long.await.unwrap());
    }
    let stderr_text = stderr.join("\n");
    assert!(
        in_time,
        "{example} did not exit {bound:?} after {signal:?}:\n{stderr_text}"
    );
    assert!(
        status.success(),
        "{example} exited with {status}:\n{stderr_text}"
    );
    // The budget holds: the example exits within it. The slack is for the
    // child's own exit and this machine's scheduling, not for any phase.
    let budget = Duration::from_millis(TIMEOUT_MS) + Duration::from_millis(750);
    assert!(
        took <= budget,
        "{example} exited {took:?} after {signal:?}, over its budget of {TIMEOUT_MS} ms:\n{stderr_text}"
    );

    // Every started execution has exactly one line, and every line started.
    let started: Vec<&str> = stderr
        .iter()
        .filter_map(|line| line.strip_prefix(cmdx_examples::http::testing::STARTED))
        .collect();
    let tids: Vec<&str> = lines.iter().map(|l| l["tid"].as_str().unwrap()).collect();
    let unique: BTreeSet<&str> = tids.iter().copied().collect();
    assert_eq!(unique.len(), tids.len(), "a tid has two lines");
    assert_eq!(
        unique,
        started.iter().copied().collect::<BTreeSet<_>>(),
        "started executions and lines differ"
    );
    assert_eq!(started.len(), tids.len());

    // Every answered request that ran tasks has its lines.
    let mut by_cid: BTreeMap<&str, Vec<&Value>> = BTreeMap::new();
    for line in &lines {
        by_cid
            .entry(line["cid"].as_str().unwrap())
            .or_default()
            .push(line);
    }
    let mut answered = 0;
    for answer in answers.iter().filter(|a| a.what != "read") {
        let cid = answer
            .cid
            .as_deref()
            .unwrap_or_else(|| panic!("{answer:?} has no chain id"));
        let chain = by_cid
            .get(cid)
            .unwrap_or_else(|| panic!("no line for {answer:?}"));
        let root = chain
            .iter()
            .find(|l| l["root"] == true)
            .unwrap_or_else(|| panic!("no root line for {answer:?}: {chain:?}"));
        match answer.status {
            503 => assert_eq!(root["reason"], "interrupted by shutdown", "{answer:?}"),
            200 | 204 => assert_eq!(root["status"], "success", "{answer:?}"),
            _ => assert_eq!(root["status"], "failed", "{answer:?}"),
        }
        answered += 1;
    }
    assert!(
        answered > 10,
        "too little load to prove anything: {answers:?}"
    );
    // The requests that outlived the timeout were interrupted.
    let long_roots = lines
        .iter()
        .filter(|l| l["task"] == "Testing::Sleep" && l["input"]["ms"] == 600_000)
        .collect::<Vec<_>>();
    assert_eq!(long_roots.len(), 2, "{long_roots:?}");
    for root in long_roots {
        assert_eq!(root["reason"], "interrupted by shutdown");
        assert_eq!(root["code"], "shutdown");
    }
    assert!(
        stderr_text.contains("interrupted by shutdown after"),
        "{stderr_text}"
    );

    // Every line's span reached the receiver.
    let spans = receiver
        .wait_for(lines.len(), Duration::from_secs(10))
        .await;
    let cmdx_spans = spans
        .iter()
        .filter(|s| s.attribute("cmdx.tid").is_some())
        .count();
    assert_eq!(cmdx_spans, lines.len(), "one span per line");
    // Roots may have a parent span that is no execution (axum's request
    // span): the tree is checked below them.
    let by_tid: BTreeMap<&str, &cmdx_test::otlp::ReceivedSpan> = lines
        .iter()
        .map(|line| {
            let tid = line["tid"].as_str().unwrap();
            let matching: Vec<_> = spans
                .iter()
                .filter(|s| s.attribute("cmdx.tid").as_ref().and_then(Value::as_str) == Some(tid))
                .collect();
            assert_eq!(matching.len(), 1, "spans of {line}");
            (tid, matching[0])
        })
        .collect();
    for line in &lines {
        let span = by_tid[line["tid"].as_str().unwrap()];
        assert_eq!(span.name(), line["task"], "{line}");
        assert_eq!(
            Some(span.trace_id()),
            line["trace_id"].as_str().map(str::to_owned)
        );
        assert_eq!(
            Some(span.span_id()),
            line["span_id"].as_str().map(str::to_owned)
        );
        assert_eq!(span.is_error(), line["status"] == "failed", "{line}");
        if let Some(parent) = line["parent"].as_str() {
            assert_eq!(
                span.parent_span_id(),
                Some(by_tid[parent].span_id()),
                "{line}"
            );
        }
    }
    eprintln!(
        "{example} {signal:?}: {} lines, {answered} answered requests with tasks, exit {took:?} after the signal",
        lines.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn axum_sigterm_under_load_ends_every_execution_with_one_line_and_span() {
    signal_under_load("axum_inventory", Signal::TERM, 6).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn axum_sigint_under_load_ends_every_execution_with_one_line_and_span() {
    signal_under_load("axum_inventory", Signal::INT, 3).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn actix_sigterm_under_load_ends_every_execution_with_one_line_and_span() {
    signal_under_load("actix_inventory", Signal::TERM, 6).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn actix_sigint_under_load_ends_every_execution_with_one_line_and_span() {
    signal_under_load("actix_inventory", Signal::INT, 3).await;
}

/// A collector that accepts connections and never answers cannot hold the
/// exit past the budget: the flush has its share and is given up at the
/// end of the budget (before, the exporter's own 5 s came on top).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_collector_cannot_hold_the_exit_past_the_budget() {
    for example in ["axum_inventory", "actix_inventory"] {
        let silent = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
        let traces = format!("http://{}/v1/traces", silent.local_addr().expect("bound"));
        let server = Server::start(example, &traces);
        let response = reqwest::Client::new()
            .post(format!("{}/stock/receive", server.base))
            .json(&json!({"sku": "SKU-1", "quantity": 5, "warehouse_id": 1}))
            .send()
            .await
            .expect("answered");
        assert!(response.status().is_success(), "{}", response.status());
        server.signal(Signal::TERM);
        let signalled = Instant::now();
        let (in_time, status, lines, stderr) =
            tokio::task::spawn_blocking(move || server.wait(Duration::from_secs(30)))
                .await
                .unwrap();
        let took = signalled.elapsed();
        let stderr_text = stderr.join("\n");
        assert!(in_time, "{example} was killed:\n{stderr_text}");
        // Spans were lost, and the example says so (exit status 1).
        assert!(!status.success(), "{example}: {status}\n{stderr_text}");
        assert!(
            stderr_text.contains("span export did not finish within 600ms"),
            "{example}:\n{stderr_text}"
        );
        let budget = Duration::from_millis(TIMEOUT_MS) + Duration::from_millis(750);
        assert!(
            took <= budget,
            "{example} exited {took:?} after the signal, over its budget of {TIMEOUT_MS} ms:\n{stderr_text}"
        );
        assert!(
            lines
                .iter()
                .any(|line| line["task"] == "Inventory::ReceiveStock"),
            "{example}: the ledger is flushed even though the spans are not"
        );
        drop(silent);
    }
}
