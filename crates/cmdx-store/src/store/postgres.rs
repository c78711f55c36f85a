//! PostgreSQL: migrations under `pg_advisory_xact_lock`, so that several
//! processes can open the same database at once.

use super::{ROWS_PER_STATEMENT, is_connection_error, schema};
use crate::{ErrorKind, Row, SCHEMA_VERSION, StoreError, StoreUrl};
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection, PgConnection, Postgres, QueryBuilder};
use std::borrow::Cow;
use std::str::FromStr;

/// Connects to `text` (`url` is the same, for messages) and migrates.
pub(super) async fn open(text: &str, url: &StoreUrl) -> Result<PgConnection, StoreError> {
    let options = PgConnectOptions::from_str(text)
        .map_err(|error| {
            StoreError::new(
                ErrorKind::Url,
                format!("{url}: not a valid PostgreSQL URL (postgres://user:password@host:port/database)"),
            )
            .with_source(error)
        })?
        .application_name("cmdx-ledger")
        .disable_statement_logging();
    let mut connection = options.connect().await.map_err(|error| {
        let error = classify(url, error);
        if error.is_transient() {
            StoreError::new(
                ErrorKind::Unavailable,
                format!(
                    "{url}: cannot connect: is the server running, and the host and port right?"
                ),
            )
            .with_source(error)
        } else {
            error
        }
    })?;
    migrate(&mut connection).await.map_err(|error| {
        StoreError::new(
            error_kind_of_migration(&error),
            format!("{url}: cannot set up the ledger table"),
        )
        .with_source(error)
    })?;
    Ok(connection)
}

fn error_kind_of_migration(error: &sqlx::Error) -> ErrorKind {
    match error {
        sqlx::Error::Configuration(_) => ErrorKind::Schema,
        error => classify_kind(error),
    }
}

async fn migrate(connection: &mut PgConnection) -> Result<(), sqlx::Error> {
    let mut tx = connection.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(schema::MIGRATION_LOCK)
        .execute(&mut *tx)
        .await?;
    sqlx::raw_sql(
        "CREATE TABLE IF NOT EXISTS cmdx_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
    )
    .execute(&mut *tx)
    .await?;
    let current: i64 =
        sqlx::query_scalar("SELECT COALESCE(MAX(version), 0)::BIGINT FROM cmdx_migrations")
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
    for (version, sql) in schema::POSTGRES.iter().filter(|(v, _)| *v > current) {
        sqlx::raw_sql(sql).execute(&mut *tx).await?;
        sqlx::query("INSERT INTO cmdx_migrations (version) VALUES ($1::INTEGER)")
            .bind(version)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await
}

/// PostgreSQL text cannot hold NUL characters: they become U+FFFD in the
/// derived columns (the `line` column keeps the line's exact text, where a
/// NUL is the escape `\u0000`).
fn text(value: &Option<String>) -> Option<Cow<'_, str>> {
    value.as_deref().map(|s| {
        if s.contains('\0') {
            Cow::Owned(s.replace('\0', "\u{FFFD}"))
        } else {
            Cow::Borrowed(s)
        }
    })
}

/// JSONB cannot hold `\u0000`: such a value is left NULL in the column
/// (it stays in `line`).
fn jsonb(value: &Option<String>) -> Option<&str> {
    value.as_deref().filter(|json| !json.contains("\\u0000"))
}

/// Inserts `rows` in one transaction.
pub(super) async fn insert(connection: &mut PgConnection, rows: &[Row]) -> Result<(), StoreError> {
    let result = async {
        let mut tx = connection.begin().await?;
        for chunk in rows.chunks(ROWS_PER_STATEMENT) {
            let mut insert = QueryBuilder::<Postgres>::new(format!(
                "INSERT INTO cmdx_lines ({}) ",
                schema::COLUMNS
            ));
            insert.push_values(chunk, |mut values, row| {
                values.push_bind(&row.wid).push_unseparated("::uuid");
                values.push_bind(row.seq);
                values.push_bind(&row.hash);
                values.push_bind(row.line_kind.as_str());
                values.push_bind(row.v).push_unseparated("::integer");
                values.push_bind(&row.ts).push_unseparated("::timestamptz");
                values.push_bind(&row.cid).push_unseparated("::uuid");
                values.push_bind(text(&row.xid));
                values.push_bind(&row.tid).push_unseparated("::uuid");
                values.push_bind(row.idx).push_unseparated("::integer");
                values.push_bind(&row.parent).push_unseparated("::uuid");
                values.push_bind(row.root);
                values.push_bind(text(&row.task));
                values.push_bind(text(&row.kind));
                values.push_bind(text(&row.state));
                values.push_bind(text(&row.status));
                values.push_bind(text(&row.reason));
                values
                    .push_bind(jsonb(&row.metadata))
                    .push_unseparated("::jsonb");
                values
                    .push_bind(jsonb(&row.input))
                    .push_unseparated("::jsonb");
                values.push_bind(row.duration_ms);
                values.push_bind(row.retries).push_unseparated("::integer");
                values.push_bind(row.rolled_back);
                values.push_bind(text(&row.cause));
                values.push_bind(&row.origin).push_unseparated("::uuid");
                values
                    .push_bind(&row.compensates)
                    .push_unseparated("::uuid");
                values.push_bind(text(&row.trace_id));
                values.push_bind(text(&row.span_id));
                values
                    .push_bind(jsonb(&row.tags))
                    .push_unseparated("::jsonb");
                values.push_bind(text(&row.level));
                values.push_bind(text(&row.target));
                values.push_bind(text(&row.message));
                values
                    .push_bind(jsonb(&row.fields))
                    .push_unseparated("::jsonb");
                values.push_bind(&row.line);
                values.push_bind(text(&row.code));
            });
            insert.build().persistent(true).execute(&mut *tx).await?;
        }
        tx.commit().await
    }
    .await;
    result.map_err(write_error)
}

/// Whether the row with `row`'s `(wid, seq)` is stored.
pub(super) async fn contains(connection: &mut PgConnection, row: &Row) -> Result<bool, StoreError> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM cmdx_lines WHERE wid = $1::uuid AND seq = $2)")
        .bind(&row.wid)
        .bind(row.seq)
        .fetch_one(connection)
        .await
        .map_err(write_error)
}

fn write_error(error: sqlx::Error) -> StoreError {
    match classify_kind(&error) {
        ErrorKind::Unavailable => StoreError::new(
            ErrorKind::Unavailable,
            "the database is unavailable (the connection broke or the server is restarting)",
        )
        .with_source(error),
        kind => StoreError::new(kind, "the insert failed").with_source(error),
    }
}

fn classify(url: &StoreUrl, error: sqlx::Error) -> StoreError {
    let kind = classify_kind(&error);
    let advice = match kind {
        ErrorKind::Unavailable => "the database is unavailable",
        ErrorKind::ReadOnly => "the server is read-only (a standby?): connect to the primary",
        ErrorKind::Full => "the server's disk is full",
        _ => "the server refused it (check the user, password and database name)",
    };
    StoreError::new(kind, format!("{url}: {advice}")).with_source(error)
}

/// Connection trouble and server restarts are transient; the rest is not.
fn classify_kind(error: &sqlx::Error) -> ErrorKind {
    if is_connection_error(error) {
        return ErrorKind::Unavailable;
    }
    let sqlx::Error::Database(db) = error else {
        return ErrorKind::Database;
    };
    let code = db.code().unwrap_or_default();
    match code.as_ref() {
        "53100" => ErrorKind::Full,
        "25006" => ErrorKind::ReadOnly,
        // admin_shutdown, crash_shutdown, cannot_connect_now, serialization
        // failure, deadlock, too many connections / out of memory.
        "57P01" | "57P02" | "57P03" | "40001" | "40P01" => ErrorKind::Unavailable,
        code if code.starts_with("08") || code.starts_with("53") => ErrorKind::Unavailable,
        _ => ErrorKind::Database,
    }
}
