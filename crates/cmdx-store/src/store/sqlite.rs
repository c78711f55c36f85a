//! SQLite: one file, WAL mode, `synchronous = FULL` (a committed batch
//! survives a power loss), migrations under `BEGIN IMMEDIATE`.

use super::{ROWS_PER_STATEMENT, is_connection_error, schema};
use crate::{ErrorKind, Row, SCHEMA_VERSION, StoreError, StoreUrl};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sqlx::{ConnectOptions, Connection, QueryBuilder, Sqlite, SqliteConnection};
use std::path::Path;
use std::time::Duration;

/// Opens (creating if missing) and migrates the file at `path`.
pub(super) async fn open(path: &Path) -> Result<SqliteConnection, StoreError> {
    let url = StoreUrl::Sqlite(path.to_owned());
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    if !dir.is_dir() {
        return Err(StoreError::new(
            ErrorKind::NotFound,
            format!(
                "{url}: the directory {} does not exist: create it first, or choose another path",
                dir.display()
            ),
        ));
    }
    if path.is_dir() {
        return Err(StoreError::new(
            ErrorKind::Url,
            format!("{url}: is a directory: give the path of a database file"),
        ));
    }
    let options = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .busy_timeout(Duration::from_secs(5))
        .disable_statement_logging();
    let mut connection = options
        .connect()
        .await
        .map_err(|error| classify(&url, "cannot open it", error))?;
    migrate(&mut connection)
        .await
        .map_err(|error| classify(&url, "cannot set up the ledger table", error))?;
    Ok(connection)
}

/// Applies the migrations not applied yet, in one `BEGIN IMMEDIATE`
/// transaction (several processes may open the file at once). Ends by
/// writing `user_version`, which proves the file is writable.
async fn migrate(connection: &mut SqliteConnection) -> Result<(), sqlx::Error> {
    let mut tx = connection.begin_with("BEGIN IMMEDIATE").await?;
    sqlx::raw_sql(
        "CREATE TABLE IF NOT EXISTS cmdx_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)",
    )
    .execute(&mut *tx)
    .await?;
    let current: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(version), 0) FROM cmdx_migrations")
        .fetch_one(&mut *tx)
        .await?;
    if current > SCHEMA_VERSION {
        return Err(sqlx::Error::Configuration(
            format!(
                "the database's schema is version {current}, newer than this cmdx knows ({SCHEMA_VERSION}): upgrade cmdx"
            )
            .into(),
        ));
    }
    for (version, sql) in schema::SQLITE.iter().filter(|(v, _)| *v > current) {
        sqlx::raw_sql(sql).execute(&mut *tx).await?;
        sqlx::query(
            "INSERT INTO cmdx_migrations (version, applied_at) VALUES (?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))",
        )
        .bind(version)
        .execute(&mut *tx)
        .await?;
    }
    sqlx::raw_sql(&format!("PRAGMA user_version = {SCHEMA_VERSION}"))
        .execute(&mut *tx)
        .await?;
    tx.commit().await
}

/// Inserts `rows` in one transaction.
pub(super) async fn insert(
    connection: &mut SqliteConnection,
    rows: &[Row],
) -> Result<(), StoreError> {
    let url = "sqlite";
    let result = async {
        let mut tx = connection.begin_with("BEGIN IMMEDIATE").await?;
        for chunk in rows.chunks(ROWS_PER_STATEMENT) {
            let mut insert = QueryBuilder::<Sqlite>::new(format!(
                "INSERT INTO cmdx_lines ({}) ",
                schema::COLUMNS
            ));
            insert.push_values(chunk, |mut values, row| {
                values
                    .push_bind(&row.wid)
                    .push_bind(row.seq)
                    .push_bind(&row.hash)
                    .push_bind(row.line_kind.as_str())
                    .push_bind(row.v)
                    .push_bind(&row.ts)
                    .push_bind(&row.cid)
                    .push_bind(&row.xid)
                    .push_bind(&row.tid)
                    .push_bind(row.idx)
                    .push_bind(&row.parent)
                    .push_bind(row.root)
                    .push_bind(&row.task)
                    .push_bind(&row.kind)
                    .push_bind(&row.state)
                    .push_bind(&row.status)
                    .push_bind(&row.reason)
                    .push_bind(&row.metadata)
                    .push_bind(&row.input)
                    .push_bind(row.duration_ms)
                    .push_bind(row.retries)
                    .push_bind(row.rolled_back)
                    .push_bind(&row.cause)
                    .push_bind(&row.origin)
                    .push_bind(&row.compensates)
                    .push_bind(&row.trace_id)
                    .push_bind(&row.span_id)
                    .push_bind(&row.tags)
                    .push_bind(&row.level)
                    .push_bind(&row.target)
                    .push_bind(&row.message)
                    .push_bind(&row.fields)
                    .push_bind(&row.line)
                    .push_bind(&row.code);
            });
            insert.build().persistent(true).execute(&mut *tx).await?;
        }
        tx.commit().await
    }
    .await;
    result.map_err(|error| classify_write(url, error))
}

/// Whether the row with `row`'s `(wid, seq)` is stored.
pub(super) async fn contains(
    connection: &mut SqliteConnection,
    row: &Row,
) -> Result<bool, StoreError> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM cmdx_lines WHERE wid = ? AND seq = ?)")
        .bind(&row.wid)
        .bind(row.seq)
        .fetch_one(connection)
        .await
        .map_err(|error| classify_write("sqlite", error))
}

/// SQLite's primary result code of a database error.
fn code(error: &sqlx::Error) -> Option<i32> {
    let sqlx::Error::Database(db) = error else {
        return None;
    };
    db.code()?.parse::<i32>().ok().map(|code| code & 0xff)
}

const BUSY: i32 = 5;
const LOCKED: i32 = 6;
const READONLY: i32 = 8;
const FULL: i32 = 13;
const CANTOPEN: i32 = 14;
const NOTADB: i32 = 26;

fn classify(url: &StoreUrl, doing: &str, error: sqlx::Error) -> StoreError {
    let (kind, advice) = match code(&error) {
        Some(READONLY) => (
            ErrorKind::ReadOnly,
            "the file is read-only (permissions, an immutable file, a read-only mount): make it \
             writable, or choose another path",
        ),
        Some(FULL) => (ErrorKind::Full, "the disk is full: free some space"),
        Some(CANTOPEN) => (
            ErrorKind::NotFound,
            "the file cannot be opened or created (check the path and the directory's permissions)",
        ),
        Some(NOTADB) => (
            ErrorKind::Database,
            "the file is not a SQLite database: choose another path",
        ),
        Some(BUSY | LOCKED) => (
            ErrorKind::Unavailable,
            "the database is locked by another process (for more than 5 s)",
        ),
        _ if matches!(error, sqlx::Error::Configuration(_)) => (ErrorKind::Schema, "schema"),
        _ => (ErrorKind::Database, "the database refused it"),
    };
    StoreError::new(kind, format!("{url}: {doing}: {advice}")).with_source(error)
}

fn classify_write(url: &str, error: sqlx::Error) -> StoreError {
    let (kind, what) = match code(&error) {
        Some(BUSY | LOCKED) => (
            ErrorKind::Unavailable,
            "the database is locked by another process (retried)",
        ),
        Some(READONLY) => (ErrorKind::ReadOnly, "the file became read-only"),
        Some(FULL) => (ErrorKind::Full, "the disk is full"),
        _ if is_connection_error(&error) => (ErrorKind::Unavailable, "the connection failed"),
        _ => (ErrorKind::Database, "the insert failed"),
    };
    StoreError::new(kind, format!("{url}: {what}")).with_source(error)
}
