//! `Store` against real SQLite files and a real PostgreSQL cluster.

use cmdx_store::seal::{Sealer, Verifier};
use cmdx_store::{ErrorKind, Store};
use cmdx_test::postgres::Cluster;
use sqlx::Row as _;
use uuid::Uuid;

fn ledger_line(i: usize) -> String {
    format!(
        r#"{{"v":1,"ts":"2026-11-30T10:15:00.{ms:03}Z","cid":"{cid}","xid":null,"tid":"{tid}","index":0,"parent":null,"root":true,"task":"Inventory::ReserveStock","kind":"task","state":"interrupted","status":"failed","reason":"Insufficient stock","metadata":{{"code":"out_of_stock"}},"input":{{"sku":"SKU-{i:05}","quantity":{i}}},"duration_ms":0.25,"retries":0,"rolled_back":true,"cause":null,"origin":"{tid}","trace_id":null,"span_id":null,"tags":["billing"]}}"#,
        ms = i % 1000,
        cid = Uuid::now_v7(),
        tid = Uuid::now_v7(),
    )
}

fn log_line(i: usize) -> String {
    format!(
        r#"{{"log":1,"ts":"2026-11-30T10:15:01.000Z","level":"INFO","cid":"{}","tid":"{}","task":"Inventory::ReserveStock","trace_id":null,"span_id":null,"target":"inventory","message":"Credited {i}","fields":{{"amount":{i}}}}}"#,
        Uuid::now_v7(),
        Uuid::now_v7()
    )
}

fn sealed(sealer: &mut Sealer, n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            let line = if i % 3 == 2 {
                log_line(i)
            } else {
                ledger_line(i)
            };
            sealer.seal(&line).unwrap()
        })
        .collect()
}

fn refs(lines: &[String]) -> Vec<&str> {
    lines.iter().map(String::as_str).collect()
}

fn sqlite_url(dir: &tempfile::TempDir) -> String {
    format!("sqlite:{}", dir.path().join("ledger.db").display())
}

fn cluster() -> Cluster {
    Cluster::start().unwrap_or_else(|error| panic!("a PostgreSQL cluster for the test: {error}"))
}

#[tokio::test]
async fn sqlite_stores_every_line_once_with_its_columns_and_a_valid_chain() {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_url(&dir);
    let mut store = Store::open(&url).await.unwrap();
    let mut sealer = Sealer::new(Uuid::now_v7());
    let lines = sealed(&mut sealer, 250);
    store.append(&refs(&lines[..200])).await.unwrap();
    store.append(&refs(&lines[200..])).await.unwrap();
    store.close().await;

    // Reopening migrates nothing twice.
    let mut store = Store::open(&url).await.unwrap();
    let conn = store.sqlite().unwrap();
    let versions: Vec<i64> = sqlx::query_scalar("SELECT version FROM cmdx_migrations")
        .fetch_all(&mut *conn)
        .await
        .unwrap();
    assert_eq!(versions, vec![1, 2]);
    let rows = sqlx::query("SELECT line, line_kind, seq, json_extract(input, '$.sku') AS sku, root, level, code FROM cmdx_lines ORDER BY id")
        .fetch_all(&mut *conn)
        .await
        .unwrap();
    assert_eq!(rows.len(), 250);
    let mut verifier = Verifier::new();
    for (i, row) in rows.iter().enumerate() {
        let line: String = row.get("line");
        assert_eq!(line, lines[i], "the exact sealed text is stored");
        verifier.check(&line).unwrap();
        assert_eq!(row.get::<i64, _>("seq"), i as i64);
        let kind: String = row.get("line_kind");
        if i % 3 == 2 {
            assert_eq!(kind, "log");
            assert_eq!(
                row.get::<Option<String>, _>("level").as_deref(),
                Some("INFO")
            );
        } else {
            assert_eq!(kind, "execution");
            assert_eq!(
                row.get::<Option<String>, _>("sku"),
                Some(format!("SKU-{i:05}"))
            );
            assert_eq!(row.get::<Option<bool>, _>("root"), Some(true));
            // A v1 line's `metadata.code`, in the column v2 added.
            assert_eq!(
                row.get::<Option<String>, _>("code").as_deref(),
                Some("out_of_stock")
            );
        }
    }
    // The sku expression index serves the support ticket's query.
    let plan: Vec<(i64, i64, i64, String)> = sqlx::query_as(
        "EXPLAIN QUERY PLAN SELECT id FROM cmdx_lines WHERE json_extract(input, '$.sku') = 'SKU-00001'",
    )
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    assert!(
        plan.iter()
            .any(|(.., detail)| detail.contains("cmdx_lines_input_sku")),
        "{plan:?}"
    );

    // A database of schema 1 (no `code` column) is migrated on open, its
    // stored v1 lines' codes filled from their metadata.
    sqlx::raw_sql(
        "DROP INDEX cmdx_lines_code; ALTER TABLE cmdx_lines DROP COLUMN code; \
         DELETE FROM cmdx_migrations WHERE version = 2; PRAGMA user_version = 1;",
    )
    .execute(&mut *conn)
    .await
    .unwrap();
    store.close().await;
    let mut store = Store::open(&url).await.unwrap();
    let conn = store.sqlite().unwrap();
    let codes: Vec<Option<String>> =
        sqlx::query_scalar("SELECT code FROM cmdx_lines WHERE line_kind = 'execution'")
            .fetch_all(&mut *conn)
            .await
            .unwrap();
    assert_eq!(codes.len(), 167);
    assert!(codes.iter().all(|c| c.as_deref() == Some("out_of_stock")));
    let plan: Vec<(i64, i64, i64, String)> =
        sqlx::query_as("EXPLAIN QUERY PLAN SELECT id FROM cmdx_lines WHERE code = 'out_of_stock'")
            .fetch_all(&mut *conn)
            .await
            .unwrap();
    assert!(
        plan.iter()
            .any(|(.., detail)| detail.contains("cmdx_lines_code")),
        "{plan:?}"
    );
}

#[tokio::test]
async fn a_batch_with_a_bad_line_stores_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&sqlite_url(&dir)).await.unwrap();
    let mut sealer = Sealer::new(Uuid::now_v7());
    let good = sealed(&mut sealer, 2);
    let unsealed = ledger_line(9);
    let error = store
        .append(&[&good[0], &unsealed, &good[1]])
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Line);
    assert!(
        error
            .to_string()
            .contains("line 2 of the batch: unsealed line"),
        "{error}"
    );
    let bad_tid = sealer
        .seal(&ledger_line(1).replacen("\"tid\":\"", "\"tid\":\"x", 1))
        .unwrap();
    let error = store.append(&[&bad_tid]).await.unwrap_err();
    assert!(error.to_string().contains("is not a UUID"), "{error}");
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM cmdx_lines")
        .fetch_one(store.sqlite().unwrap())
        .await
        .unwrap();
    assert_eq!(count, 0);
}

#[tokio::test]
async fn sqlite_open_errors_are_clear_and_typed() {
    let dir = tempfile::tempdir().unwrap();
    let missing = format!(
        "sqlite:{}",
        dir.path().join("no/such/dir/ledger.db").display()
    );
    let error = Store::open(&missing).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::NotFound);
    assert!(
        error
            .to_string()
            .contains("does not exist: create it first"),
        "{error}"
    );

    let error = Store::open(&format!("sqlite:{}", dir.path().display()))
        .await
        .unwrap_err();
    assert!(error.to_string().contains("is a directory"), "{error}");

    for bad in ["mysql://x", "sqlite:", "sqlite::memory:", "ledger.db"] {
        let error = Store::open(bad).await.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Url, "{bad}: {error}");
    }

    let not_a_db = dir.path().join("text.db");
    std::fs::write(&not_a_db, "this is not a database, this is a text file of some length .....................................................................").unwrap();
    let error = Store::open(&format!("sqlite:{}", not_a_db.display()))
        .await
        .unwrap_err();
    assert!(
        error.to_string().contains("not a SQLite database"),
        "{error}"
    );
}

#[tokio::test]
async fn a_read_only_sqlite_file_is_an_error_at_open() {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_url(&dir);
    Store::open(&url).await.unwrap().close().await;
    let path = dir.path().join("ledger.db");
    let _read_only = ReadOnly::make(&path);
    let error = Store::open(&url).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::ReadOnly, "{error}");
    assert!(error.to_string().contains("read-only"), "{error}");
}

/// Makes a file read-only for this process, also as root (`chattr +i`,
/// which root cannot write through either); undone on drop.
struct ReadOnly(std::path::PathBuf);

impl ReadOnly {
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

impl Drop for ReadOnly {
    fn drop(&mut self) {
        let _ = std::process::Command::new("chattr")
            .arg("-i")
            .arg(&self.0)
            .status();
    }
}

#[tokio::test]
async fn a_newer_schema_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_url(&dir);
    let mut store = Store::open(&url).await.unwrap();
    sqlx::query("INSERT INTO cmdx_migrations VALUES (99, 'later')")
        .execute(store.sqlite().unwrap())
        .await
        .unwrap();
    store.close().await;
    let error = Store::open(&url).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Schema);
    assert!(error.to_string().contains("upgrade cmdx"), "{error}");
}

#[tokio::test]
async fn postgres_stores_lines_migrates_once_under_concurrent_opens_and_survives_a_restart() {
    let mut cluster = cluster();
    let url = cluster.url();
    // Ten processes' worth of opens at once on a fresh database: one
    // migrates, the others wait for its advisory lock.
    let opens = (0..10).map(|_| Store::open(&url));
    let mut stores: Vec<Store> = futures::future::try_join_all(opens).await.unwrap();
    let mut store = stores.pop().unwrap();
    drop(stores);

    let mut sealer = Sealer::new(Uuid::now_v7());
    let lines = sealed(&mut sealer, 300);
    store.append(&refs(&lines[..150])).await.unwrap();

    cluster.stop().unwrap();
    let error = store.append(&refs(&lines[150..])).await.unwrap_err();
    assert!(error.is_transient(), "{error}");
    let error = store.append(&refs(&lines[150..])).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Unavailable, "{error}");
    cluster.restart().unwrap();
    store.append(&refs(&lines[150..])).await.unwrap();
    // The same lines again are refused by UNIQUE (wid, seq): never stored twice.
    let error = store.append(&refs(&lines[150..])).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Database, "{error}");

    let conn = store.postgres().unwrap();
    let versions: Vec<i32> = sqlx::query_scalar("SELECT version FROM cmdx_migrations")
        .fetch_all(&mut *conn)
        .await
        .unwrap();
    assert_eq!(versions, vec![1, 2]);
    let stored: Vec<String> = sqlx::query_scalar("SELECT line FROM cmdx_lines ORDER BY id")
        .fetch_all(&mut *conn)
        .await
        .unwrap();
    assert_eq!(stored, lines);
    let by_sku: i64 = sqlx::query_scalar(
        r#"SELECT COUNT(*) FROM cmdx_lines WHERE input @> '{"sku":"SKU-00004"}' AND ts > '2026-01-01'::timestamptz AND task LIKE 'Inventory::%'"#,
    )
    .fetch_one(&mut *conn)
    .await
    .unwrap();
    assert_eq!(by_sku, 1);
    let logs: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM cmdx_lines WHERE line_kind = 'log' AND fields @> '{\"amount\":2}'",
    )
    .fetch_one(&mut *conn)
    .await
    .unwrap();
    assert_eq!(logs, 1);
}

#[tokio::test]
async fn postgres_open_errors_are_clear() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let error = Store::open(&format!("postgres://app:hunter2@127.0.0.1:{port}/x"))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Unavailable);
    let text = error.to_string();
    assert!(text.contains("is the server running"), "{text}");
    assert!(
        !text.contains("hunter2") && text.contains("app:***@"),
        "{text}"
    );

    let cluster = cluster();
    let error = Store::open(&format!(
        "postgres://postgres@127.0.0.1:{}/nosuchdb",
        cluster.port()
    ))
    .await
    .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Database, "{error}");
    assert!(error.to_string().contains("nosuchdb"), "{error}");
}
