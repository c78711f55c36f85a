//! The durable ledger against real SQLite files and a real PostgreSQL
//! cluster (`cmdx_test::postgres::Cluster`): every execution stored once,
//! the seal chain valid, append-only, open errors, an outage ridden out,
//! and tees. Counts only, no timings.
//!
//! Needs both database features: `cargo test --workspace` has them, or
//! `cargo test -p cmdx --features sqlite,postgres --test durable_ledger`.

use cmdx::ledger::{FullQueue, NonBlocking, StoreErrorKind};
use cmdx::prelude::*;
use cmdx::{Ledger, LedgerSink, Runtime};
use cmdx_store::Store;
use cmdx_store::seal::Verifier;
use cmdx_test::postgres::Cluster;
use cmdx_test::{PanickingSink, SharedWriter};
use std::collections::HashSet;
use std::time::{Duration, Instant};
use uuid::Uuid;

#[derive(Debug, Serialize, Deserialize, Validate)]
struct Numbered {
    #[garde(skip)]
    n: usize,
}

impl Task for Numbered {
    type Output = ();
    fn name() -> &'static str {
        "Inventory::Numbered"
    }
    async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
        if self.n % 7 == 3 {
            fail!("sevens", code = "out_of_stock");
        }
        Ok(())
    }
}

fn cluster() -> Cluster {
    Cluster::start().unwrap_or_else(|error| panic!("a PostgreSQL cluster for the test: {error}"))
}

fn sqlite_path(dir: &tempfile::TempDir) -> std::path::PathBuf {
    dir.path().join("ledger.db")
}

/// Runs `count` executions at once on the current (multi-thread) runtime;
/// gives back their tids.
async fn execute(runtime: &Runtime, range: std::ops::Range<usize>) -> HashSet<Uuid> {
    let handles: Vec<_> = range
        .map(|n| tokio::spawn(runtime.scope(Numbered { n }.execute())))
        .collect();
    let mut tids = HashSet::new();
    for handle in handles {
        tids.insert(handle.await.expect("no panic").tid());
    }
    tids
}

/// Every stored line, in insertion order.
async fn stored_lines(url: &str) -> Vec<String> {
    let mut store = Store::open(url).await.expect("the store opens");
    let lines = if let Some(conn) = store.sqlite() {
        sqlx::query_scalar("SELECT line FROM cmdx_lines ORDER BY id")
            .fetch_all(conn)
            .await
    } else {
        sqlx::query_scalar("SELECT line FROM cmdx_lines ORDER BY id")
            .fetch_all(store.postgres().unwrap())
            .await
    };
    lines.expect("the lines")
}

/// Asserts: one row per execution (tids unique, exactly `tids`), every
/// line links into `wid`'s chain, `logs` log lines.
async fn assert_stored(url: &str, wid: Uuid, tids: &HashSet<Uuid>, logs: usize) {
    let lines = stored_lines(url).await;
    let mut verifier = Verifier::new();
    let mut stored_tids = HashSet::new();
    let mut stored_logs = 0;
    for (i, line) in lines.iter().enumerate() {
        let seal = verifier
            .check(line)
            .unwrap_or_else(|broken| panic!("row {}: {broken}", i + 1));
        assert_eq!(seal.wid, wid);
        let value: serde_json::Value = serde_json::from_str(line).unwrap();
        if value.get("log").is_some() {
            stored_logs += 1;
            continue;
        }
        let tid: Uuid = value["tid"].as_str().unwrap().parse().unwrap();
        assert!(stored_tids.insert(tid), "tid {tid} stored twice");
    }
    assert_eq!(stored_tids.len(), tids.len(), "rows == executions");
    assert_eq!(&stored_tids, tids);
    assert_eq!(stored_logs, logs);
}

fn log_line(n: usize) -> Vec<u8> {
    format!(
        "{{\"log\":1,\"ts\":\"2026-11-30T10:15:00.123Z\",\"level\":\"INFO\",\"cid\":\"{}\",\"tid\":\"{}\",\"task\":\"Inventory::Numbered\",\"trace_id\":null,\"span_id\":null,\"target\":\"inventory\",\"message\":\"Credited {n}\",\"fields\":{{\"amount\":{n}}}}}\n",
        Uuid::now_v7(),
        Uuid::now_v7()
    )
    .into_bytes()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_stores_one_row_per_execution_with_a_valid_chain() {
    let dir = tempfile::tempdir().unwrap();
    let path = sqlite_path(&dir);
    let writer = NonBlocking::builder().sqlite(&path).expect("opens");
    let runtime = Runtime::builder().ledger(writer.clone()).build();
    let mut tids = execute(&runtime, 0..1500).await;
    for n in 0..20 {
        writer.write_log(&log_line(n));
    }
    tids.extend(execute(&runtime, 1500..3000).await);
    writer.flush().expect("flushed");
    let stats = writer.stats();
    assert_eq!((stats.written, stats.lost()), (3020, 0), "{stats:?}");
    let url = format!("sqlite:{}", path.display());
    assert_stored(&url, writer.wid().unwrap(), &tids, 20).await;

    // The columns serve the article's queries.
    let mut store = Store::open(&url).await.unwrap();
    let failed: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM cmdx_lines WHERE task GLOB 'Inventory::*' AND status = 'failed' \
         AND code = 'out_of_stock'",
    )
    .fetch_one(store.sqlite().unwrap())
    .await
    .unwrap();
    assert_eq!(failed, (0..3000).filter(|n| n % 7 == 3).count() as i64);
    let journal: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(store.sqlite().unwrap())
        .await
        .unwrap();
    assert_eq!(journal, "wal");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_stores_one_row_per_execution_with_a_valid_chain() {
    let cluster = cluster();
    let writer = NonBlocking::builder()
        .postgres(&cluster.url())
        .expect("opens");
    let runtime = Runtime::builder().ledger(writer.clone()).build();
    let mut tids = execute(&runtime, 0..1000).await;
    for n in 0..10 {
        writer.write_log(&log_line(n));
    }
    tids.extend(execute(&runtime, 1000..2000).await);
    writer.flush().expect("flushed");
    assert_eq!(writer.stats().lost(), 0);
    assert_stored(&cluster.url(), writer.wid().unwrap(), &tids, 10).await;

    let mut store = Store::open(&cluster.url()).await.unwrap();
    let (rows, distinct): (i64, i64) = sqlx::query_as(
        "SELECT COUNT(*), COUNT(DISTINCT tid) FROM cmdx_lines WHERE line_kind = 'execution'",
    )
    .fetch_one(store.postgres().unwrap())
    .await
    .unwrap();
    assert_eq!((rows, distinct), (2000, 2000));
    let by_code: i64 = sqlx::query_scalar(
        r#"SELECT COUNT(*) FROM cmdx_lines WHERE code = 'out_of_stock' AND task LIKE 'Inventory::%'"#,
    )
    .fetch_one(store.postgres().unwrap())
    .await
    .unwrap();
    assert_eq!(by_code, (0..2000).filter(|n| n % 7 == 3).count() as i64);
}

/// Triggers that raise on any UPDATE or DELETE of `cmdx_lines`: if the
/// library issued one, its batch would fail and be counted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_library_only_ever_inserts() {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = format!("sqlite:{}", sqlite_path(&dir).display());
    let cluster = cluster();
    for url in [sqlite.as_str(), &cluster.url()] {
        let mut store = Store::open(url).await.unwrap();
        if let Some(conn) = store.sqlite() {
            for (name, op) in [("no_update", "UPDATE"), ("no_delete", "DELETE")] {
                sqlx::raw_sql(&format!(
                    "CREATE TRIGGER {name} BEFORE {op} ON cmdx_lines BEGIN SELECT RAISE(ABORT, 'append-only'); END"
                ))
                .execute(&mut *conn)
                .await
                .unwrap();
            }
        } else {
            sqlx::raw_sql(
                "CREATE FUNCTION append_only() RETURNS trigger LANGUAGE plpgsql AS \
                 $$ BEGIN RAISE EXCEPTION 'append-only'; END $$; \
                 CREATE TRIGGER append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON cmdx_lines \
                 FOR EACH STATEMENT EXECUTE FUNCTION append_only();",
            )
            .execute(store.postgres().unwrap())
            .await
            .unwrap();
        }
        let writer = NonBlocking::builder().database(url).expect("opens");
        let runtime = Runtime::builder().ledger(writer.clone()).build();
        let tids = execute(&runtime, 0..500).await;
        writer.flush().unwrap();
        assert_eq!(writer.stats().lost(), 0, "{url}: {:?}", writer.stats());
        assert_stored(url, writer.wid().unwrap(), &tids, 0).await;

        // The triggers do bite.
        let mut store = Store::open(url).await.unwrap();
        let update = "UPDATE cmdx_lines SET status = 'success'";
        let error = if let Some(conn) = store.sqlite() {
            sqlx::query(update).execute(conn).await.unwrap_err()
        } else {
            sqlx::query(update)
                .execute(store.postgres().unwrap())
                .await
                .unwrap_err()
        };
        assert!(error.to_string().contains("append-only"), "{error}");
    }
}

#[test]
fn open_errors_are_clear_and_never_panic() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no/such/dir/ledger.db");
    let error = Ledger::sqlite(&missing).unwrap_err();
    assert_eq!(error.kind(), StoreErrorKind::NotFound);
    assert!(error.to_string().contains("does not exist"), "{error}");

    let path = sqlite_path(&dir);
    drop(Ledger::sqlite(&path).unwrap());
    let _immutable = Immutable::make(&path);
    let error = Ledger::sqlite(&path).unwrap_err();
    assert_eq!(error.kind(), StoreErrorKind::ReadOnly, "{error}");
    assert!(error.to_string().contains("read-only"), "{error}");

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let error =
        Ledger::postgres(&format!("postgres://app:pw@127.0.0.1:{port}/ledger")).unwrap_err();
    assert_eq!(error.kind(), StoreErrorKind::Unavailable, "{error}");
    assert!(
        error.to_string().contains("is the server running"),
        "{error}"
    );
    assert!(
        !error.to_string().contains(":pw@"),
        "the password is hidden: {error}"
    );

    let error = Ledger::postgres("sqlite:ledger.db").unwrap_err();
    assert_eq!(error.kind(), StoreErrorKind::Url, "{error}");
    let error = Ledger::database("ledger.db").unwrap_err();
    assert_eq!(error.kind(), StoreErrorKind::Url, "{error}");
}

/// Opening from async code (a tokio worker) works: the store is opened on
/// a thread of its own.
#[tokio::test(flavor = "current_thread")]
async fn opening_from_inside_a_runtime_works_and_dropping_there_does_not_panic() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = Ledger::sqlite(sqlite_path(&dir)).expect("opens inside a runtime");
    let runtime = Runtime::builder().ledger(ledger.clone()).build();
    let _ = runtime.scope(Numbered { n: 0 }.execute()).await;
    drop(runtime);
    drop(ledger); // closes the writer from inside a runtime
    let lines = stored_lines(&format!("sqlite:{}", sqlite_path(&dir).display())).await;
    assert_eq!(lines.len(), 1);
}

/// Makes a file immutable (`chattr +i`: read-only also for root); undone
/// on drop.
struct Immutable(std::path::PathBuf);

impl Immutable {
    fn make(path: &std::path::Path) -> Self {
        let status = std::process::Command::new("chattr")
            .arg("+i")
            .arg(path)
            .status()
            .expect("chattr runs");
        assert!(status.success(), "chattr +i {}", path.display());
        Self(path.to_owned())
    }
}

impl Drop for Immutable {
    fn drop(&mut self) {
        let _ = std::process::Command::new("chattr")
            .arg("-i")
            .arg(&self.0)
            .status();
    }
}

/// PostgreSQL stopped for a few seconds mid-run: with the default policy
/// (Block) every line is stored once the server is back, the chain is
/// whole, and the queue never holds more than its capacity.
///
/// The server is stopped and restarted by a plain thread: while it is
/// down, executions wait for room, and with thousands of them waiting the
/// tokio runtime itself may run nothing else until the database is back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_down_mid_run_loses_nothing_with_the_default_policy() {
    let mut cluster = cluster();
    const CAPACITY: usize = 64 * 1024;
    let writer = NonBlocking::builder()
        .capacity(CAPACITY)
        .flush_timeout(Duration::from_secs(60))
        .postgres(&cluster.url())
        .expect("opens");
    assert_eq!(writer.full_queue(), FullQueue::Block);
    let runtime = Runtime::builder().ledger(writer.clone()).build();
    let mut tids = execute(&runtime, 0..500).await;
    writer.flush().unwrap();

    cluster.stop().unwrap();
    let url = cluster.url();
    let outage = {
        let writer = writer.clone();
        std::thread::spawn(move || {
            let mut max_queued = 0;
            let down = Instant::now();
            while down.elapsed() < Duration::from_secs(3) {
                max_queued = max_queued.max(writer.stats().queued_bytes);
                std::thread::sleep(Duration::from_millis(10));
            }
            let during = writer.stats();
            cluster.restart().unwrap();
            (cluster, max_queued, during)
        })
    };
    // Executions go on while the server is down: the queue fills, then
    // they wait.
    tids.extend(execute(&runtime, 500..3000).await);
    let (cluster, max_queued, during) = tokio::task::spawn_blocking(move || outage.join().unwrap())
        .await
        .unwrap();
    assert!(during.written < 3000, "the server was down: {during:?}");
    writer.flush().unwrap();
    let stats = writer.stats();
    assert_eq!((stats.written, stats.lost()), (3000, 0), "{stats:?}");
    assert!(max_queued <= CAPACITY, "bounded: {max_queued} > {CAPACITY}");
    assert!(
        max_queued > CAPACITY / 2,
        "the queue did fill: {max_queued}"
    );
    assert_eq!(url, cluster.url());
    assert_stored(&cluster.url(), writer.wid().unwrap(), &tids, 0).await;
}

/// The alternative policy: while the server is down, lines that do not
/// fit are dropped and counted; every other line is stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_down_with_drop_newest_counts_what_it_drops() {
    let mut cluster = cluster();
    let writer = NonBlocking::builder()
        .capacity(16 * 1024)
        .full_queue(FullQueue::DropNewest)
        .postgres(&cluster.url())
        .expect("opens");
    let runtime = Runtime::builder().ledger(writer.clone()).build();
    execute(&runtime, 0..100).await;
    writer.flush().unwrap();
    cluster.stop().unwrap();
    execute(&runtime, 100..1100).await; // never waits
    let dropped = writer.stats().dropped;
    assert!(dropped > 0, "{:?}", writer.stats());
    cluster.restart().unwrap();
    writer.flush().unwrap();
    let stats = writer.stats();
    assert_eq!(stats.failed, 0, "{stats:?}");
    assert_eq!(stats.written + stats.dropped, 1100, "{stats:?}");
    let lines = stored_lines(&cluster.url()).await;
    assert_eq!(lines.len() as u64, stats.written);
    let mut verifier = Verifier::new();
    for line in &lines {
        verifier
            .check(line)
            .expect("dropped lines were never sealed");
    }
}

/// Both halves get every line; `stats` adds them up.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tee_writes_every_line_to_both_halves() {
    let dir = tempfile::tempdir().unwrap();
    let out = SharedWriter::new();
    let ledger = Ledger::tee(
        Ledger::writer(out.clone()),
        Ledger::sqlite(sqlite_path(&dir)).unwrap(),
    );
    let runtime = Runtime::builder().ledger(ledger.clone()).build();
    let tids = execute(&runtime, 0..800).await;
    ledger.flush().unwrap();
    let stats = ledger.stats().unwrap();
    assert_eq!((stats.written, stats.lost()), (1600, 0), "{stats:?}");
    let ndjson: HashSet<Uuid> = out
        .lines()
        .iter()
        .map(|line| line["tid"].as_str().unwrap().parse().unwrap())
        .collect();
    assert_eq!(ndjson, tids);
    let stored = stored_lines(&format!("sqlite:{}", sqlite_path(&dir).display())).await;
    assert_eq!(stored.len(), 800);
}

/// A half that panics, and a half whose destination refuses every write:
/// each is counted and reported, and the other half still gets its lines.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_or_panicking_half_of_a_tee_is_counted_and_the_other_half_gets_every_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = sqlite_path(&dir);
    let ledger = Ledger::tee(
        Ledger::custom(PanickingSink::always()),
        Ledger::sqlite(&db).unwrap(),
    );
    let runtime = Runtime::builder().ledger(ledger.clone()).build();
    let tids = execute(&runtime, 0..300).await;
    ledger.flush().unwrap();
    let stats = ledger.stats().unwrap();
    assert_eq!((stats.written, stats.failed), (300, 300), "{stats:?}");
    assert_eq!(
        runtime.contained_panics().total(),
        0,
        "contained by the tee itself"
    );
    let url = format!("sqlite:{}", db.display());
    let lines = stored_lines(&url).await;
    assert_eq!(lines.len(), 300);
    let _ = tids;

    // A file opened read-only: every write fails with EBADF.
    let read_only = std::fs::File::open(&db).unwrap();
    let out = SharedWriter::new();
    let ledger = Ledger::tee(Ledger::writer(read_only), Ledger::writer(out.clone()));
    let runtime = Runtime::builder().ledger(ledger.clone()).build();
    let tids = execute(&runtime, 0..300).await;
    ledger.flush().unwrap();
    let stats = ledger.stats().unwrap();
    assert_eq!((stats.written, stats.failed), (300, 300), "{stats:?}");
    assert_eq!(out.lines().len(), tids.len());
}

/// A line that cannot be a row (a log line without `ts`, a `tid` that is
/// not a UUID) is counted as failed and left out of the chain; the lines
/// around it are stored and the chain stays valid.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_line_that_cannot_be_a_row_is_counted_and_left_out_of_the_chain() {
    let dir = tempfile::tempdir().unwrap();
    let path = sqlite_path(&dir);
    let writer = NonBlocking::builder().sqlite(&path).expect("opens");
    writer.write_log(&log_line(1));
    writer.write_log(b"{\"log\":1,\"message\":\"no ts\"}\n");
    writer.write_log(b"not json at all\n");
    writer.write_log(&log_line(2));
    writer.flush().unwrap();
    let stats = writer.stats();
    assert_eq!((stats.written, stats.failed), (2, 2), "{stats:?}");
    let url = format!("sqlite:{}", path.display());
    assert_stored(&url, writer.wid().unwrap(), &HashSet::new(), 2).await;
}
