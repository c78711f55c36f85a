//! The reliability figures of the durable ledger (`docs/durable-ledger.md`),
//! long runs behind `CMDX_LONG_TESTS=1` (`CMDX_LONG_COUNT` executions, default
//! 1,000,000), release builds of `examples/ledger_load.rs` as child
//! processes: stdout as the baseline, SQLite, PostgreSQL, and PostgreSQL
//! stopped for 10 s mid-run. Asserts counts (rows == executions, unique
//! tids, nothing lost); prints the figures (lines/s, peak RSS).

use cmdx_test::postgres::Cluster;
use std::process::{Command, Stdio};
use std::time::Duration;

fn enabled() -> Option<u64> {
    if std::env::var_os("CMDX_LONG_TESTS").is_none() {
        eprintln!("skipped: set CMDX_LONG_TESTS=1 for the long runs");
        return None;
    }
    Some(
        std::env::var("CMDX_LONG_COUNT")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(1_000_000),
    )
}

fn load(sink: &str, count: u64) -> std::process::Child {
    let example = cmdx_test::build_example("cmdx-examples", "ledger_load", true);
    Command::new(example)
        .args([sink, &count.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the example runs")
}

fn summary(child: std::process::Child) -> serde_json::Value {
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    eprintln!("{stderr}");
    serde_json::from_str(stderr.lines().last().unwrap()).unwrap()
}

/// (rows, distinct tids) of the execution lines.
fn counts(url: &str) -> (i64, i64) {
    use sqlx::Connection;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let sql =
            "SELECT COUNT(*), COUNT(DISTINCT tid) FROM cmdx_lines WHERE line_kind = 'execution'";
        if url.starts_with("sqlite:") {
            let mut db = sqlx::SqliteConnection::connect(url).await.unwrap();
            sqlx::query_as(sql).fetch_one(&mut db).await.unwrap()
        } else {
            let mut db = sqlx::PgConnection::connect(url).await.unwrap();
            sqlx::query_as(sql).fetch_one(&mut db).await.unwrap()
        }
    })
}

#[test]
fn long_runs_store_every_execution_once() {
    let Some(count) = enabled() else { return };
    let stdout = summary(load("stdout", count));
    assert_eq!(stdout["written"], count);

    let dir = tempfile::tempdir().unwrap();
    let sqlite = format!("sqlite:{}", dir.path().join("load.db").display());
    let figures = summary(load(&sqlite, count));
    assert_eq!(figures["written"], count);
    assert_eq!(counts(&sqlite), (count as i64, count as i64));

    let cluster = Cluster::start().expect("PostgreSQL");
    let figures = summary(load(&cluster.url(), count));
    assert_eq!(figures["written"], count);
    assert_eq!(counts(&cluster.url()), (count as i64, count as i64));
}

#[test]
fn postgres_down_for_ten_seconds_loses_nothing() {
    let Some(count) = enabled() else { return };
    let mut cluster = Cluster::start().expect("PostgreSQL");
    let child = load(&cluster.url(), count);
    std::thread::sleep(Duration::from_secs(3));
    cluster.stop().unwrap();
    std::thread::sleep(Duration::from_secs(10));
    cluster.restart().unwrap();
    let figures = summary(child);
    assert_eq!(
        (
            figures["written"].as_u64(),
            figures["dropped"].as_u64(),
            figures["failed"].as_u64()
        ),
        (Some(count), Some(0), Some(0))
    );
    assert_eq!(counts(&cluster.url()), (count as i64, count as i64));
}
