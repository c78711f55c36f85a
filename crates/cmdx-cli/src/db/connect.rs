//! Opening a ledger database read-only, and checking its schema version.

use std::str::FromStr;
use std::time::Duration;

use sqlx::ConnectOptions;
use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use tokio::runtime::Runtime;

use super::pushdown::Dialect;
use crate::error::Failure;

/// How long connecting may take before it is given up.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The schema version this build reads (`cmdx_migrations`' highest version):
/// the one `cmdx_store` writes.
const SCHEMA_VERSION: i64 = cmdx_store::SCHEMA_VERSION;

/// An open connection.
#[derive(Debug)]
pub(crate) enum Connection {
    /// SQLite, opened read-only.
    Sqlite(SqliteConnection),
    /// PostgreSQL.
    Postgres(PgConnection),
}

/// An open ledger database, with the runtime its driver needs.
#[derive(Debug)]
pub(crate) struct Database {
    /// The URL for messages, password hidden.
    name: String,
    runtime: Runtime,
    connection: Connection,
}

impl Database {
    /// Opens the database at `url` (`sqlite:PATH` or `postgres://…`) and
    /// checks that it is a ledger database of a known schema version.
    ///
    /// # Errors
    /// A usage failure (exit status 2) naming the database and the cause: a
    /// URL of another scheme, a missing file, a server that cannot be
    /// reached in 10 s, a refused login, a database without the ledger
    /// tables, or a schema version this build does not know.
    pub(crate) fn open(url: &str) -> Result<Self, Failure> {
        let url = url.trim();
        let name = redact(url);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Failure::usage(format!("cannot start the database driver: {e}")))?;
        let fail = |e: &dyn std::fmt::Display| Failure::usage(format!("cannot open {name}: {e}"));
        let connection = if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)
                .map_err(|e| fail(&e))?
                .read_only(true)
                .create_if_missing(false);
            let path = options.get_filename().to_owned();
            if !path.exists() {
                return Err(fail(&format_args!(
                    "no such file {} (cmdx opens ledger databases read-only and never creates one)",
                    path.display()
                )));
            }
            let conn = runtime
                .block_on(async { tokio::time::timeout(CONNECT_TIMEOUT, options.connect()).await })
                .map_err(|_| fail(&"timed out"))?
                .map_err(|e| fail(&e))?;
            Connection::Sqlite(conn)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let options = PgConnectOptions::from_str(url)
                .map_err(|e| fail(&e))?
                .application_name("cmdx");
            let conn = runtime
                .block_on(async { tokio::time::timeout(CONNECT_TIMEOUT, options.connect()).await })
                .map_err(|_| {
                    fail(&format_args!(
                        "no answer within {} s (is the server running and reachable?)",
                        CONNECT_TIMEOUT.as_secs()
                    ))
                })?
                .map_err(|e| fail(&e))?;
            Connection::Postgres(conn)
        } else {
            return Err(Failure::usage(format!(
                "`{name}` is not a ledger database URL: use sqlite:PATH or postgres://USER@HOST/DB"
            )));
        };
        let mut db = Self {
            name,
            runtime,
            connection,
        };
        db.check_schema()?;
        Ok(db)
    }

    /// The URL for messages, password hidden.
    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    /// The SQL flavour of the connection.
    pub(crate) fn dialect(&self) -> Dialect {
        match self.connection {
            Connection::Sqlite(_) => Dialect::Sqlite,
            Connection::Postgres(_) => Dialect::Postgres,
        }
    }

    /// The runtime and the connection, to run a query on.
    pub(crate) fn parts(&mut self) -> (&Runtime, &mut Connection) {
        (&self.runtime, &mut self.connection)
    }

    /// Refuses a database without the ledger tables or of another version.
    fn check_schema(&mut self) -> Result<(), Failure> {
        let name = self.name.clone();
        let fail = |e: sqlx::Error| Failure::usage(format!("cannot read {name}: {e}"));
        let (tables, version) = self.runtime.block_on(async {
            let (tables_sql, version_sql) = (
                match &self.connection {
                    Connection::Sqlite(_) => {
                        "SELECT count(*) FROM sqlite_master WHERE type = 'table' \
                         AND name IN ('cmdx_migrations', 'cmdx_lines')"
                    }
                    // Not `information_schema`: its views cost milliseconds.
                    Connection::Postgres(_) => {
                        "SELECT ((to_regclass('cmdx_migrations') IS NOT NULL)::int \
                         + (to_regclass('cmdx_lines') IS NOT NULL)::int)::int8"
                    }
                },
                "SELECT CAST(max(version) AS BIGINT) FROM cmdx_migrations",
            );
            let tables: i64 = match &mut self.connection {
                Connection::Sqlite(c) => sqlx::query_scalar(tables_sql).fetch_one(c).await,
                Connection::Postgres(c) => sqlx::query_scalar(tables_sql).fetch_one(c).await,
            }
            .map_err(fail)?;
            if tables < 2 {
                return Ok((tables, None));
            }
            let version: Option<i64> = match &mut self.connection {
                Connection::Sqlite(c) => sqlx::query_scalar(version_sql).fetch_one(c).await,
                Connection::Postgres(c) => sqlx::query_scalar(version_sql).fetch_one(c).await,
            }
            .map_err(fail)?;
            Ok::<_, Failure>((tables, version))
        })?;
        if tables < 2 {
            return Err(Failure::usage(format!(
                "{} is not a cmdx ledger database: it has no cmdx_lines and cmdx_migrations \
                 tables (a ledger sink creates them when it opens the database)",
                self.name
            )));
        }
        match version {
            Some(SCHEMA_VERSION) => Ok(()),
            Some(v) if v > SCHEMA_VERSION => Err(Failure::usage(format!(
                "{} has ledger schema version {v}, newer than version {SCHEMA_VERSION} that this \
                 cmdx reads: upgrade cmdx",
                self.name
            ))),
            other => Err(Failure::usage(format!(
                "{} has ledger schema version {}, older than version {SCHEMA_VERSION} that this \
                 cmdx reads: open it once with the current cmdx ledger sink, which migrates it",
                self.name,
                other.map_or_else(|| "none".to_owned(), |v| v.to_string())
            ))),
        }
    }
}

/// `url` with its password, if any, replaced by `***`.
pub(crate) fn redact(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_owned();
    };
    let rest = &url[scheme_end + 3..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    let Some(at) = authority.rfind('@') else {
        return url.to_owned();
    };
    let user_info = &authority[..at];
    match user_info.find(':') {
        Some(colon) => format!(
            "{}{}:***{}",
            &url[..scheme_end + 3],
            &user_info[..colon],
            &rest[at..]
        ),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_never_reaches_a_message() {
        assert_eq!(
            redact("postgres://app:s3cret@db:5432/ledger?sslmode=disable"),
            "postgres://app:***@db:5432/ledger?sslmode=disable"
        );
        assert_eq!(
            redact("postgres://app@db/ledger"),
            "postgres://app@db/ledger"
        );
        assert_eq!(redact("sqlite:ledger.db"), "sqlite:ledger.db");
        assert_eq!(redact("postgres://a:b@c@host/x"), "postgres://a:***@host/x");
    }
}
