//! [`Store`]: the append-only `cmdx_lines` table in SQLite or PostgreSQL.

#[cfg(feature = "postgres")]
mod postgres;
mod schema;
#[cfg(feature = "sqlite")]
mod sqlite;

use crate::{ErrorKind, Row, StoreError, StoreUrl};
use std::fmt;

/// Which database a [`Store`] writes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Backend {
    /// A SQLite file.
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

/// One connection to the ledger table, `cmdx_lines`, migrated on open.
/// Only ever inserts rows: [`append`](Self::append) adds a batch of sealed
/// lines in one transaction.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use cmdx_store::{Store, seal::Sealer};
///
/// let dir = tempfile::tempdir().unwrap();
/// let url = format!("sqlite:{}", dir.path().join("ledger.db").display());
/// let mut store = Store::open(&url).await.unwrap();
/// let mut sealer = Sealer::new(uuid::Uuid::now_v7());
/// let line = sealer.seal(r#"{"log":1,"ts":"2026-11-30T10:15:00.123Z","level":"INFO","message":"hello","fields":{}}"#).unwrap();
/// store.append(&[&line]).await.unwrap();
///
/// let error = Store::open("sqlite:/no/such/dir/ledger.db").await.unwrap_err();
/// assert_eq!(error.kind(), cmdx_store::ErrorKind::NotFound);
/// # }
/// ```
pub struct Store {
    url: StoreUrl,
    connection: Option<Connection>,
    /// The last append failed in a way that leaves its outcome unknown
    /// (the commit may have landed): the next one checks first.
    uncertain: bool,
}

enum Connection {
    #[cfg(feature = "sqlite")]
    Sqlite(sqlx::SqliteConnection),
    #[cfg(feature = "postgres")]
    Postgres(sqlx::PgConnection),
}

impl Store {
    /// Opens (creating a SQLite file if missing) and migrates the store at
    /// `url`: `sqlite:PATH` or `postgres://user:password@host:port/db`.
    ///
    /// Errors say what to do: a malformed URL ([`ErrorKind::Url`]), a
    /// missing directory ([`ErrorKind::NotFound`]), a read-only file
    /// ([`ErrorKind::ReadOnly`]), an unreachable server
    /// ([`ErrorKind::Unavailable`]), a schema newer than this version
    /// ([`ErrorKind::Schema`]).
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        Self::open_url(&StoreUrl::parse(url)?).await
    }

    /// [`open`](Self::open) with a URL parsed already.
    pub async fn open_url(url: &StoreUrl) -> Result<Self, StoreError> {
        let connection = connect(url).await?;
        Ok(Self {
            url: url.clone(),
            connection: Some(connection),
            uncertain: false,
        })
    }

    /// The URL (displayed without its password).
    pub fn url(&self) -> &StoreUrl {
        &self.url
    }

    /// SQLite or PostgreSQL.
    pub fn backend(&self) -> Backend {
        match self.url {
            StoreUrl::Sqlite(_) => Backend::Sqlite,
            StoreUrl::Postgres(_) => Backend::Postgres,
        }
    }

    /// Inserts sealed lines (ledger or log lines, see
    /// [`Row::from_line`]) in one transaction: all of them or none. A line
    /// that is not a sealed ledger or log line fails the whole call
    /// ([`ErrorKind::Line`]) before anything is written.
    pub async fn append(&mut self, lines: &[&str]) -> Result<(), StoreError> {
        let rows = lines
            .iter()
            .enumerate()
            .map(|(i, line)| {
                Row::from_line(line).map_err(|error| {
                    StoreError::new(
                        ErrorKind::Line,
                        format!("line {} of the batch: {error}", i + 1),
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        self.append_rows(&rows).await
    }

    /// Inserts rows in one transaction: all of them or none.
    ///
    /// After a transient failure ([`StoreError::is_transient`]: the server
    /// went away, possibly after the commit), call it again with the same
    /// rows: it reconnects, and if the first row's `(wid, seq)` is already
    /// stored (the commit had landed) it returns `Ok` without inserting
    /// twice.
    pub async fn append_rows(&mut self, rows: &[Row]) -> Result<(), StoreError> {
        if rows.is_empty() {
            return Ok(());
        }
        // Taken out while in use: if this future is dropped half-way (a
        // timeout), the connection goes with it and the outcome stays
        // uncertain, so the next call reconnects and checks first.
        let mut connection = match self.connection.take() {
            Some(connection) => connection,
            None => connect(&self.url).await?,
        };
        let uncertain = std::mem::replace(&mut self.uncertain, true);
        let result = async {
            if uncertain && connection.contains(&rows[0]).await? {
                return Ok(());
            }
            connection.insert(rows).await
        }
        .await;
        match &result {
            // The connection broke, maybe after the commit: reconnect next
            // time and check.
            Err(error) if error.is_transient() => {}
            // Committed, or refused (rolled back): nothing uncertain.
            _ => {
                self.uncertain = false;
                self.connection = Some(connection);
            }
        }
        result
    }

    /// Closes the connection cleanly.
    pub async fn close(mut self) {
        if let Some(connection) = self.connection.take() {
            connection.close().await;
        }
    }

    /// The SQLite connection, for queries of your own (`None` for
    /// PostgreSQL, or while disconnected).
    #[cfg(feature = "sqlite")]
    pub fn sqlite(&mut self) -> Option<&mut sqlx::SqliteConnection> {
        match self.connection.as_mut()? {
            Connection::Sqlite(connection) => Some(connection),
            #[cfg(feature = "postgres")]
            Connection::Postgres(_) => None,
        }
    }

    /// The PostgreSQL connection, for queries of your own (`None` for
    /// SQLite, or while disconnected).
    #[cfg(feature = "postgres")]
    pub fn postgres(&mut self) -> Option<&mut sqlx::PgConnection> {
        match self.connection.as_mut()? {
            Connection::Postgres(connection) => Some(connection),
            #[cfg(feature = "sqlite")]
            Connection::Sqlite(_) => None,
        }
    }
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store")
            .field("url", &self.url)
            .field("connected", &self.connection.is_some())
            .finish()
    }
}

async fn connect(url: &StoreUrl) -> Result<Connection, StoreError> {
    match url {
        #[cfg(feature = "sqlite")]
        StoreUrl::Sqlite(path) => sqlite::open(path).await.map(Connection::Sqlite),
        #[cfg(feature = "postgres")]
        StoreUrl::Postgres(text) => postgres::open(text, url).await.map(Connection::Postgres),
        #[allow(unreachable_patterns)]
        other => Err(StoreError::new(
            ErrorKind::Unsupported,
            format!(
                "{other}: this build of cmdx-store has no support for it (enable the `{}` feature)",
                match other {
                    StoreUrl::Sqlite(_) => "sqlite",
                    StoreUrl::Postgres(_) => "postgres",
                }
            ),
        )),
    }
}

impl Connection {
    async fn insert(&mut self, rows: &[Row]) -> Result<(), StoreError> {
        match self {
            #[cfg(feature = "sqlite")]
            Self::Sqlite(connection) => sqlite::insert(connection, rows).await,
            #[cfg(feature = "postgres")]
            Self::Postgres(connection) => postgres::insert(connection, rows).await,
        }
    }

    async fn contains(&mut self, row: &Row) -> Result<bool, StoreError> {
        match self {
            #[cfg(feature = "sqlite")]
            Self::Sqlite(connection) => sqlite::contains(connection, row).await,
            #[cfg(feature = "postgres")]
            Self::Postgres(connection) => postgres::contains(connection, row).await,
        }
    }

    async fn close(self) {
        use sqlx::Connection as _;
        let _ = match self {
            #[cfg(feature = "sqlite")]
            Self::Sqlite(connection) => connection.close().await,
            #[cfg(feature = "postgres")]
            Self::Postgres(connection) => connection.close().await,
        };
    }
}

/// Rows per `INSERT` statement (SQLite allows 32,766 parameters, PostgreSQL
/// 65,535; a row has 33).
const ROWS_PER_STATEMENT: usize = 100;

/// Whether a sqlx error is about the connection rather than the statement.
fn is_connection_error(error: &sqlx::Error) -> bool {
    matches!(
        error,
        sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::Protocol(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed
    )
}
