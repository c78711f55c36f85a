//! `cargo run --example inventory -- --ledger-db PATH`: the demo's ledger on
//! stdout and, the same lines sealed, in a SQLite ledger.

use cmdx_store::seal::{Verifier, unseal};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

fn example() -> &'static PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| cmdx_test::build_example("cmdx-examples", "inventory", false))
}

fn run(args: &[&str], env: Option<(&str, String)>) -> Output {
    let mut command = Command::new(example());
    command.args(args).env_remove("CMDX_LEDGER_DB");
    command.env("OTEL_SDK_DISABLED", "true");
    if let Some((key, value)) = env {
        command.env(key, value);
    }
    command.output().expect("the demo runs")
}

/// Every stored `line`, in insertion order.
fn stored(path: &Path) -> Vec<String> {
    use sqlx::Connection;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let url = format!("sqlite:{}", path.display());
        let mut db = sqlx::SqliteConnection::connect(&url).await.unwrap();
        sqlx::query_scalar("SELECT line FROM cmdx_lines ORDER BY id")
            .fetch_all(&mut db)
            .await
            .unwrap()
    })
}

fn stdout_lines(output: &Output) -> Vec<String> {
    String::from_utf8(output.stdout.clone())
        .expect("UTF-8")
        .lines()
        .map(str::to_owned)
        .collect()
}

/// The stored lines, unsealed, equal stdout's, in order; the seals verify.
fn assert_same_ledger(path: &Path, stdout: &[String]) {
    let rows = stored(path);
    assert_eq!(rows.len(), stdout.len(), "one row per stdout line");
    let mut verifier = Verifier::new();
    for (row, line) in rows.iter().zip(stdout) {
        verifier.check(row).expect("the chain is intact");
        assert_eq!(&unseal(row).expect("sealed").line(), line);
    }
    assert_eq!(verifier.writers().count(), 1, "one writer");
}

#[test]
fn ledger_db_stores_every_stdout_line_sealed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("inventory.db");
    let output = run(&["--ledger-db", path.to_str().unwrap()], None);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let lines = stdout_lines(&output);
    assert!(
        lines.len() > 10,
        "the demo writes its ledger on stdout: {lines:?}"
    );
    assert!(
        lines.iter().all(|l| l.starts_with(r#"{"v":2,"#)),
        "stdout stays unsealed"
    );
    assert_same_ledger(&path, &lines);

    // A second run appends to the same file, under a writer of its own.
    let again = run(&["--ledger-db", path.to_str().unwrap()], None);
    assert!(again.status.success());
    let rows = stored(&path);
    assert_eq!(rows.len(), 2 * lines.len());
    let mut verifier = Verifier::new();
    for row in &rows {
        verifier.check(row).expect("both chains are intact");
    }
    assert_eq!(verifier.writers().count(), 2);
}

#[test]
fn cmdx_ledger_db_names_the_database_by_url() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("inventory.db");
    let url = format!("sqlite:{}", path.display());
    let output = run(&[], Some(("CMDX_LEDGER_DB", url)));
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_same_ledger(&path, &stdout_lines(&output));
}

#[test]
fn a_bad_argument_or_path_is_a_clear_error() {
    let output = run(&["--ledger"], None);
    assert!(!output.status.success());
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("usage: inventory [--ledger-db PATH]")
    );
    assert!(output.stdout.is_empty(), "nothing ran");

    let output = run(&["--ledger-db", "/nonexistent-dir/x/inventory.db"], None);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("nonexistent-dir"),
        "the error names the path: {stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}
