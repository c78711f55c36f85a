//! Application logs on a real stdout pipe, with a process-wide subscriber.
//!
//! The test binary re-runs itself as the child: with `CMDX_APP_LOGS_CHILD`
//! set, `child_logs_to_stdout` installs `cmdx::logs::layer()` globally (the
//! path where `tracing` itself does not stop an event emitted while
//! another is handled) and executes tasks whose ledger is stdout; without
//! it, that test does nothing.

use cmdx::ledger::NonBlocking;
use cmdx::prelude::*;
use cmdx::{Ledger, LedgerSink, Record, Runtime};
use serde_json::Value;
use std::process::{Command, Stdio};
use std::time::Duration;
use tracing_subscriber::layer::SubscriberExt;

const CHILD: &str = "CMDX_APP_LOGS_CHILD";

#[derive(Debug, Serialize, Deserialize, Validate)]
struct Reserve {
    #[garde(skip)]
    sku: String,
}

impl Task for Reserve {
    type Output = ();
    fn name() -> &'static str {
        "Inventory::ReserveStock"
    }
    async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
        tracing::info!(target: "inventory", sku = %self.sku, "checking stock");
        let _ = Count {}.execute().await;
        tracing::warn!(target: "inventory", sku = %self.sku, left = 0, "reserved the last unit");
        Ok(())
    }
}

#[derive(Debug, Serialize, Deserialize, Validate)]
struct Count {}

impl Task for Count {
    type Output = ();
    fn name() -> &'static str {
        "Count"
    }
    async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
        tracing::info!(units = 1, "counted");
        Ok(())
    }
}

/// Forwards to stdout, and logs from inside the sink.
struct Chatty(NonBlocking);

impl LedgerSink for Chatty {
    fn write(&self, line: &[u8], record: &Record) {
        tracing::info!("sink wrote a ledger line");
        self.0.write(line, record);
    }
    fn write_log(&self, line: &[u8]) {
        tracing::info!("sink wrote a log line");
        self.0.write_log(line);
    }
    fn flush(&self) -> Result<(), cmdx::ledger::FlushError> {
        self.0.flush()
    }
}

#[test]
fn child_logs_to_stdout() {
    if std::env::var_os(CHILD).is_none() {
        return;
    }
    tracing::subscriber::set_global_default(
        tracing_subscriber::registry().with(cmdx::logs::layer()),
    )
    .expect("the only subscriber");
    let tokio = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .expect("a tokio runtime");
    // One writer for both runtimes: one queue, so one order.
    let writer = NonBlocking::stdout();
    let stdout = Runtime::builder().ledger(writer.clone()).build();
    let chatty = Runtime::builder()
        .ledger(Ledger::custom(Chatty(writer)))
        .build();
    tokio.block_on(async {
        let sku = "SKU-1".to_owned();
        let _ = stdout.scope(Reserve { sku }.execute()).await;
        let sku = "SKU-2".to_owned();
        let _ = chatty.scope(Reserve { sku }.execute()).await;
    });
    stdout.ledger().flush().expect("stdout flushed");
    chatty.ledger().flush().expect("stdout flushed");
}

#[test]
fn log_lines_reach_a_real_stdout_pipe_before_their_ledger_lines() {
    let exe = std::env::current_exe().expect("the test binary");
    let mut child = Command::new(exe)
        .args([
            "--exact",
            "child_logs_to_stdout",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD, "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("a child process");
    let stdout = child.stdout.take().expect("piped");
    let reader = std::thread::spawn(move || std::io::read_to_string(stdout));
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().expect("the child") {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the child hung (a recursion or deadlock while writing a line?)");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let stderr = std::io::read_to_string(child.stderr.take().expect("piped")).unwrap_or_default();
    assert!(status.success(), "the child failed: {status:?}\n{stderr}");
    let text = reader.join().expect("the reader").expect("utf-8");
    let lines: Vec<Value> = text
        .lines()
        // The test harness prints its own text before the first line.
        .filter_map(|l| l.find('{').map(|at| &l[at..]))
        .map(|l| serde_json::from_str(l).expect("every line is JSON"))
        .collect();
    // Per runtime: 3 log lines and 2 ledger lines, each execution's log
    // lines before its ledger line.
    let kinds: Vec<String> = lines
        .iter()
        .map(|l| match l.get("log") {
            Some(_) => format!("log {}", l["message"].as_str().unwrap()),
            None => format!("ledger {}", l["task"].as_str().unwrap()),
        })
        .collect();
    let one_run = [
        "log checking stock",
        "log counted",
        "ledger Count",
        "log reserved the last unit",
        "ledger Inventory::ReserveStock",
    ];
    assert_eq!(kinds, [one_run, one_run].concat(), "{text}");
    for pair in lines.chunks(5) {
        let (parent, child) = (&pair[4], &pair[2]);
        for (log, owner) in [(&pair[0], parent), (&pair[1], child), (&pair[3], parent)] {
            assert_eq!(log["tid"], owner["tid"]);
            assert_eq!(log["cid"], owner["cid"]);
            assert_eq!(log["task"], owner["task"]);
        }
    }
    assert_eq!(lines[3]["fields"]["left"], 0);
    assert_eq!(lines[3]["level"], "WARN");
    assert_eq!(lines[8]["fields"]["sku"], "SKU-2");
}
