//! `examples/ledger_exit.rs` as a real child process with stdout a pipe:
//! every line of every execution that finished before the process ended
//! arrives, in order, without a guard or an explicit flush.

use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

fn example() -> &'static PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| cmdx_test::build_example("cmdx-examples", "ledger_exit", false))
}

/// Runs the example; gives back its ledger lines' `n` and its stderr.
fn run(count: usize, mode: &str) -> (Vec<u64>, String) {
    let output = Command::new(example())
        .args([count.to_string(), mode.to_owned()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .expect("the example runs");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "{mode}: {stderr}");
    let numbers = cmdx_test::json_lines(&output.stdout)
        .iter()
        .map(|line| line["input"]["n"].as_u64().expect("a step"))
        .collect();
    (numbers, stderr)
}

fn in_order(count: usize) -> Vec<u64> {
    (0..count as u64).collect()
}

#[test]
fn returning_from_main_writes_every_line_in_order() {
    let (numbers, stderr) = run(3000, "return");
    assert_eq!(numbers, in_order(3000), "{stderr}");
    assert!(!stderr.contains("lost"), "{stderr}");
}

#[test]
fn process_exit_on_the_main_thread_writes_every_line_in_order() {
    let (numbers, stderr) = run(3000, "exit");
    assert_eq!(numbers, in_order(3000), "{stderr}");
}

#[test]
fn a_current_thread_runtime_writes_every_line_in_order() {
    let (numbers, stderr) = run(3000, "current-thread");
    assert_eq!(numbers, in_order(3000), "{stderr}");
}

/// The parent reads nothing until the child has executed everything, so
/// the pipe and the 4 KiB queue fill up and the rest is dropped; at exit
/// the child reports how many, and that count plus the lines read is
/// every execution.
#[test]
fn dropped_lines_are_counted_and_reported_on_stderr_at_exit() {
    let count = 3000;
    let mut child = Command::new(example())
        .args([count.to_string(), "drop-newest".to_owned()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the example runs");
    let mut stderr = BufReader::new(child.stderr.take().expect("piped"));
    let mut text = String::new();
    while !text.contains("# executed") {
        let read = stderr.read_line(&mut text).expect("stderr is readable");
        assert!(read > 0, "the child ended early: {text}");
    }
    let mut stdout = Vec::new();
    child
        .stdout
        .take()
        .expect("piped")
        .read_to_end(&mut stdout)
        .expect("stdout is readable");
    stderr
        .read_to_string(&mut text)
        .expect("stderr is readable");
    assert!(child.wait().expect("the child ends").success(), "{text}");
    let numbers: Vec<u64> = cmdx_test::json_lines(&stdout)
        .iter()
        .map(|line| line["input"]["n"].as_u64().expect("a step"))
        .collect();
    assert!(numbers.windows(2).all(|w| w[0] < w[1]), "in order");
    let dropped: u64 = text
        .split("Totals: ")
        .last()
        .and_then(|totals| totals.split(" dropped").next())
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("a note with the totals: {text}"));
    assert!(dropped > 0, "{text}");
    assert_eq!(numbers.len() as u64 + dropped, count as u64, "{text}");
}

/// `CMDX_LEDGER_DB=sqlite:PATH`: the child returns from `main` (or calls
/// `process::exit` on the main thread) without a flush, and every
/// execution is a row of the SQLite file, numbered in order.
#[test]
fn every_line_reaches_sqlite_on_a_normal_exit() {
    for mode in ["return", "exit", "current-thread"] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ledger.db");
        let output = Command::new(example())
            .args(["2000", mode])
            .env("CMDX_LEDGER_DB", format!("sqlite:{}", path.display()))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .output()
            .expect("the example runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "{mode}: {stderr}");
        assert!(output.stdout.is_empty(), "the ledger went to the database");
        let numbers: Vec<u64> = stored_numbers(&path)
            .into_iter()
            .map(|n| n as u64)
            .collect();
        assert_eq!(numbers, in_order(2000), "{mode}: {stderr}");
    }
}

/// `input.n` of every row, in insertion order.
fn stored_numbers(path: &std::path::Path) -> Vec<i64> {
    use sqlx::Connection;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let url = format!("sqlite:{}", path.display());
        let mut db = sqlx::SqliteConnection::connect(&url).await.unwrap();
        sqlx::query_scalar("SELECT json_extract(input, '$.n') FROM cmdx_lines ORDER BY id")
            .fetch_all(&mut db)
            .await
            .unwrap()
    })
}
