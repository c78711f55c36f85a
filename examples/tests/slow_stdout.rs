//! Measurements for `benches/README.md` ("Ledger writer: a slow or
//! non-blocking stdout"): the axum inventory example as a child process
//! whose stdout is a pipe that (a) nobody reads for 20 s, (b) is set
//! non-blocking and read late. Long, so it only runs with `CMDX_MEASURE=1`
//! (`CMDX_MEASURE=release` builds the example with `--release`):
//!
//! `CMDX_MEASURE=release cargo test -p cmdx-examples --test slow_stdout -- --nocapture --test-threads 1`
//!
//! `CMDX_AXUM_BIN=path` measures another build of the example instead (the
//! code before the background writer, for the "before" column); then
//! nothing is asserted. Otherwise the counts the numbers rest on (nothing
//! lost, reads never blocked) are asserted; timings are printed, never
//! asserted. The same scenarios, as
//! counts, run in every `cargo test`: `crates/cmdx/tests/ledger_writer.rs`.
#![cfg(unix)]

use cmdx_test::pipe::{self, PausedReader};
use serde_json::json;
use std::io::{BufRead, BufReader, PipeWriter};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

/// Whether to measure, and with which build.
fn measuring() -> Option<bool> {
    match std::env::var("CMDX_MEASURE").as_deref() {
        Ok("release") => Some(true),
        Ok("1") => Some(false),
        _ => {
            eprintln!("skipped: set CMDX_MEASURE=1 (or =release) to measure");
            None
        }
    }
}

/// Whether another build is measured (nothing asserted).
fn baseline() -> bool {
    std::env::var_os("CMDX_AXUM_BIN").is_some()
}

/// The example running with `stdout` as its stdout; its stderr is
/// collected by a thread.
struct Server {
    child: Child,
    url: String,
    stderr: Arc<Mutex<String>>,
    /// The example's `TMPDIR`, removed after the example exits (a killed
    /// one cannot remove its temporary database).
    _tmp: tempfile::TempDir,
}

impl Server {
    fn start(stdout: PipeWriter, release: bool) -> Self {
        let binary = match std::env::var_os("CMDX_AXUM_BIN") {
            Some(path) => path.into(),
            None => cmdx_test::build_example("cmdx-examples", "axum_inventory", release),
        };
        let tmp = tempfile::tempdir().expect("a temporary directory");
        let mut child = Command::new(binary)
            .env("TMPDIR", tmp.path())
            .env("CMDX_ADDR", "127.0.0.1:0")
            .env("OTEL_SDK_DISABLED", "true")
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(Stdio::piped())
            .spawn()
            .expect("the example starts");
        let stderr = Arc::new(Mutex::new(String::new()));
        let (addr, addr_found) = mpsc::channel();
        let lines = BufReader::new(child.stderr.take().expect("piped"));
        let collected = stderr.clone();
        std::thread::spawn(move || {
            for line in lines.lines().map_while(Result::ok) {
                if let Some(url) = line.strip_prefix("# inventory API (axum) on ") {
                    let _ = addr.send(url.to_owned());
                }
                collected.lock().unwrap().push_str(&(line + "\n"));
            }
        });
        let url = addr_found
            .recv_timeout(Duration::from_secs(30))
            .expect("the server prints its address");
        Self {
            child,
            url,
            stderr,
            _tmp: tmp,
        }
    }

    fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .and_then(|kib| kib.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    }

    /// Ctrl-C: graceful shutdown, `telemetry.shutdown()` (which flushes
    /// the ledger), exit. Gives back its stderr.
    fn stop(mut self) -> String {
        let pid = rustix::process::Pid::from_child(&self.child);
        rustix::process::kill_process(pid, rustix::process::Signal::INT).expect("signalled");
        let status = self.child.wait().expect("the server exits");
        assert!(
            status.success(),
            "{status}: {}",
            self.stderr.lock().unwrap()
        );
        std::thread::sleep(Duration::from_millis(100));
        self.stderr.lock().unwrap().clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn receive(client: &reqwest::Client, url: &str) -> reqwest::RequestBuilder {
    client
        .post(format!("{url}/stock/receive"))
        .json(&json!({"sku": "SKU-1", "quantity": 1, "warehouse_id": 1}))
}

fn percentile(values: &mut [Duration], p: f64) -> Duration {
    values.sort_unstable();
    values
        .get(((values.len() as f64 - 1.0) * p).round() as usize)
        .copied()
        .unwrap_or_default()
}

/// (a) Nobody reads stdout for 20 s (`CMDX_STALL_SECS`). Meanwhile 16
/// clients POST (one line each) and one client GETs every 100 ms (no line).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_stdout_nobody_reads_for_20_s() {
    let Some(release) = measuring() else { return };
    let stall = Duration::from_secs(
        std::env::var("CMDX_STALL_SECS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(20),
    );
    let (reader, writer) = std::io::pipe().unwrap();
    let mut reader = PausedReader::new(reader);
    let server = Server::start(writer, release);
    let url = server.url.clone();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(300))
        .build()
        .unwrap();
    assert!(
        receive(&client, &url)
            .send()
            .await
            .unwrap()
            .status()
            .is_success()
    );
    let rss_start = server.rss_kib();
    let started = Instant::now();
    let stop = Arc::new(AtomicBool::new(false));
    let completions = Arc::new(Mutex::new(Vec::<Duration>::new()));
    let posters: Vec<_> = (0..16)
        .map(|_| {
            let (client, url, stop, completions) = (
                client.clone(),
                url.clone(),
                stop.clone(),
                completions.clone(),
            );
            tokio::spawn(async move {
                while !stop.load(Ordering::SeqCst) {
                    let response = receive(&client, &url).send().await.expect("answered");
                    assert!(response.status().is_success());
                    completions.lock().unwrap().push(started.elapsed());
                }
            })
        })
        .collect();
    let (gets, get_timeouts) = (
        Arc::new(Mutex::new(Vec::new())),
        Arc::new(AtomicUsize::new(0)),
    );
    let reads = {
        let (client, url, stop) = (client.clone(), url.clone(), stop.clone());
        let (gets, get_timeouts) = (gets.clone(), get_timeouts.clone());
        tokio::spawn(async move {
            while !stop.load(Ordering::SeqCst) {
                let sent = Instant::now();
                let answer = client
                    .get(format!("{url}/products/SKU-1"))
                    .timeout(Duration::from_secs(5))
                    .send()
                    .await;
                match answer {
                    Ok(response) if response.status().is_success() => {
                        gets.lock().unwrap().push(sent.elapsed());
                    }
                    _ => {
                        get_timeouts.fetch_add(1, Ordering::SeqCst);
                    }
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    };
    let mut rss_max = rss_start;
    while started.elapsed() < stall {
        tokio::time::sleep(Duration::from_millis(250)).await;
        rss_max = rss_max.max(server.rss_kib());
    }
    let during_stall = completions.lock().unwrap().clone();
    let mut gets_during_stall = gets.lock().unwrap().clone();
    let timeouts_during_stall = get_timeouts.load(Ordering::SeqCst);
    reader.resume();
    tokio::time::sleep(Duration::from_secs(3)).await;
    stop.store(true, Ordering::SeqCst);
    for poster in posters {
        poster.await.unwrap();
    }
    reads.await.unwrap();
    let rss_end = server.rss_kib();
    let posts = completions.lock().unwrap().len();
    let stderr = server.stop();
    let lines = cmdx_test::json_lines(&reader.finish());

    let last_before_full = during_stall.last().copied().unwrap_or_default();
    println!("(a) stdout not read for {stall:?}, release build: {release}");
    println!(
        "  GETs during the stall: {} answered, p50 {:?}, p99 {:?}, max {:?}; {} timed out (5 s)",
        gets_during_stall.len(),
        percentile(&mut gets_during_stall, 0.5),
        percentile(&mut gets_during_stall, 0.99),
        percentile(&mut gets_during_stall, 1.0),
        timeouts_during_stall
    );
    println!(
        "  POSTs during the stall: {} answered, the last at {last_before_full:?}; then 16 waiting until the reader resumed",
        during_stall.len()
    );
    println!(
        "  RSS: {rss_start} KiB before, {rss_max} KiB max during the stall, {rss_end} KiB after"
    );
    println!(
        "  lines: {} read, {} POSTs answered + 1 seed; lost {}",
        lines.len(),
        posts,
        (posts + 1) as i64 - lines.len() as i64
    );
    println!("  server stderr:\n{stderr}");
    if baseline() {
        return;
    }
    assert_eq!(timeouts_during_stall, 0, "reads are never stalled");
    assert_eq!(lines.len(), posts + 1, "no line lost");
    assert!(!stderr.contains("lost"), "{stderr}");
}

/// (b) Stdout is a pipe set non-blocking (`O_NONBLOCK`, as some parents
/// do) whose reader starts 2 s late; 4,000 POSTs from 16 clients.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn b_a_non_blocking_stdout() {
    let Some(release) = measuring() else { return };
    let (reader, writer) = std::io::pipe().unwrap();
    pipe::set_nonblocking(&writer, true).unwrap();
    let mut reader = PausedReader::new(reader);
    let server = Server::start(writer, release);
    let url = server.url.clone();
    let client = reqwest::Client::new();
    let total = 4000;
    let sent = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let posters: Vec<_> = (0..16)
        .map(|_| {
            let (client, url, sent) = (client.clone(), url.clone(), sent.clone());
            tokio::spawn(async move {
                while sent.fetch_add(1, Ordering::SeqCst) < total {
                    let response = receive(&client, &url).send().await.expect("answered");
                    assert!(response.status().is_success());
                }
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_secs(2)).await;
    reader.resume();
    for poster in posters {
        poster.await.unwrap();
    }
    let took = started.elapsed();
    let stderr = server.stop();
    let lines = cmdx_test::json_lines(&reader.finish());
    println!("(b) non-blocking stdout, reader 2 s late, release build: {release}");
    println!(
        "  {total} POSTs in {took:?}; lines: {} read, lost {}",
        lines.len(),
        total as i64 - lines.len() as i64
    );
    println!("  server stderr:\n{stderr}");
    if !baseline() {
        assert_eq!(lines.len(), total, "no line lost");
    }
}
