//! Helpers shared by the CLI tests: run the real `cmdx` binary, find the
//! fixtures, read its JSON output; run a test against files, SQLite and
//! PostgreSQL ([`backend`]).

#![allow(dead_code, unreachable_pub, reason = "each test file uses a subset")]

#[macro_use]
pub mod backend;

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

/// Path of a fixture under `tests/fixtures`.
pub fn fixture(name: &str) -> String {
    let path: PathBuf = [env!("CARGO_MANIFEST_DIR"), "tests", "fixtures", name]
        .iter()
        .collect();
    path.to_string_lossy().into_owned()
}

/// The inventory demo ledger.
pub fn inventory() -> String {
    fixture("inventory.ndjson")
}

/// The workflow demo ledger.
pub fn workflow() -> String {
    fixture("workflow.ndjson")
}

/// Runs `cmdx` with `args` (stdin empty).
pub fn cmdx(args: &[&str]) -> Output {
    cmdx_with_stdin(args, b"")
}

/// Runs `cmdx` with `args`, feeding `stdin`.
pub fn cmdx_with_stdin(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_cmdx"))
        .args(backend::rewrite(args))
        .env_remove("NO_COLOR")
        .env_remove("CMDX_LEDGER_DB")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the cmdx binary runs");
    let mut pipe = child.stdin.take().expect("stdin is piped");
    pipe.write_all(stdin).expect("stdin accepts the input");
    drop(pipe);
    child.wait_with_output().expect("cmdx finishes")
}

/// Runs `cmdx`, asserts exit status 0 and returns stdout.
pub fn ok(args: &[&str]) -> String {
    let out = cmdx(args);
    assert!(
        out.status.success(),
        "cmdx {args:?} failed with {:?}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("stdout is UTF-8")
}

/// Each stdout line parsed as JSON.
pub fn ndjson(stdout: &str) -> Vec<Value> {
    stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect()
}

/// Runs a query (`--format ndjson`) with extra args over `files`.
pub fn query(args: &[&str], files: &[&str]) -> Vec<Value> {
    let mut all = vec!["ledger", "query", "--format", "ndjson"];
    all.extend_from_slice(args);
    all.extend_from_slice(files);
    ndjson(&ok(&all))
}

/// `field` of each value as a string (numbers and others as JSON text).
pub fn column(rows: &[Value], pointer: &str) -> Vec<String> {
    rows.iter()
        .map(|r| match r.pointer(pointer) {
            Some(Value::String(s)) => s.clone(),
            Some(other) => other.to_string(),
            None => "<missing>".to_owned(),
        })
        .collect()
}

/// The chain id of the only root line of `task` in `file`.
pub fn cid_of_root(task: &str, file: &str) -> String {
    let rows = query(&["--task", task, "--root"], &[file]);
    assert_eq!(rows.len(), 1, "exactly one root {task} in {file}");
    rows[0]["cid"].as_str().expect("cid is a string").to_owned()
}

/// A temporary file holding `content`.
pub fn temp_file(content: &[u8]) -> tempfile::NamedTempFile {
    let mut file = tempfile::NamedTempFile::new().expect("a temp file");
    file.write_all(content).expect("write the temp file");
    file.flush().expect("flush the temp file");
    file
}

/// The fixture's bytes.
pub fn read(path: &str) -> Vec<u8> {
    std::fs::read(path).expect("read the fixture")
}

/// Every line of a ledger file, parsed by `serde_json` (the test oracle).
pub fn lines(path: &str) -> Vec<Value> {
    std::fs::read_to_string(path)
        .expect("read the ledger")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("fixture lines are JSON"))
        .collect()
}

/// The `tid`s of the oracle's lines that satisfy `keep`, in file order.
pub fn expected_tids(path: &str, keep: impl Fn(&Value) -> bool) -> Vec<String> {
    let rows: Vec<Value> = lines(path).into_iter().filter(|l| keep(l)).collect();
    column(&rows, "/tid")
}
