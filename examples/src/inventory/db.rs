//! The SQLite side: schema, and the statements the tasks run.

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Row, SqlitePool};
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

/// The inventory database: a pool over an embedded SQLite database.
/// Add it to a runtime with `Runtime::builder().resource(inventory)`.
///
/// Servers use a file ([`Inventory::open`], [`Inventory::temporary`],
/// [`Inventory::from_env`]): sqlx closes a connection whose query was
/// dropped half-way (a client that hangs up), and a file keeps its data
/// whatever happens to one connection. [`Inventory::in_memory`] lives in
/// its one connection: only for programs that never drop a query.
#[derive(Debug, Clone)]
pub struct Inventory {
    pool: SqlitePool,
    /// The database file (`None` in memory).
    path: Option<Arc<Path>>,
    /// The temporary directory holding the file, removed when the last
    /// clone drops (`None` for a database the caller named).
    _dir: Option<Arc<tempfile::TempDir>>,
}

/// The busy timeout when none is given: how long a statement waits for
/// another connection's write lock before failing with `database is locked`.
pub const DEFAULT_BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Connections in a file database's pool (WAL: readers run beside one
/// writer; writers queue on SQLite's lock for up to the busy timeout).
const FILE_CONNECTIONS: u32 = 4;

/// What [`Inventory::receive`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Receipt {
    /// Received: the new available quantity.
    Stocked(i64),
    /// Refused, nothing changed: `available + quantity` exceeds `i64::MAX`.
    Overflow {
        /// The product's available quantity, unchanged.
        available: i64,
    },
}

/// A product's current quantities (the read model).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Product {
    /// The stock-keeping unit, e.g. `SKU-1234`.
    pub sku: String,
    /// Units that can still be reserved.
    pub available_quantity: i64,
    /// Units reserved for orders and not yet shipped.
    pub reserved_quantity: i64,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS products (
    sku TEXT PRIMARY KEY,
    available_quantity INTEGER NOT NULL DEFAULT 0 CHECK (available_quantity >= 0),
    reserved_quantity INTEGER NOT NULL DEFAULT 0 CHECK (reserved_quantity >= 0)
);
CREATE TABLE IF NOT EXISTS stock_records (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    sku TEXT NOT NULL REFERENCES products(sku),
    warehouse_id INTEGER NOT NULL,
    quantity INTEGER NOT NULL,
    direction TEXT NOT NULL CHECK (direction IN ('inbound', 'outbound')),
    order_id INTEGER
);";

impl Inventory {
    /// A fresh in-memory database (one connection, kept open for the
    /// pool's lifetime, so the data lives as long as the `Inventory`).
    pub async fn in_memory() -> Result<Self, sqlx::Error> {
        let options = SqliteConnectOptions::from_str("sqlite::memory:")?;
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(options)
            .await?;
        sqlx::raw_sql(SCHEMA).execute(&pool).await?;
        Ok(Self {
            pool,
            path: None,
            _dir: None,
        })
    }

    /// The database in the file at `path` (created with the schema if
    /// new), in WAL mode, a statement waiting up to `busy_timeout` for
    /// another connection's write lock. The data survives every connection
    /// closing, and the process.
    pub async fn open(path: impl AsRef<Path>, busy_timeout: Duration) -> Result<Self, sqlx::Error> {
        let path: Arc<Path> = Arc::from(path.as_ref());
        let options = SqliteConnectOptions::new()
            .filename(&path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(busy_timeout);
        let pool = SqlitePoolOptions::new()
            .max_connections(FILE_CONNECTIONS)
            .connect_with(options)
            .await?;
        sqlx::raw_sql(SCHEMA).execute(&pool).await?;
        Ok(Self {
            pool,
            path: Some(path),
            _dir: None,
        })
    }

    /// A fresh database in a file of a new temporary directory, removed
    /// when the last clone of the `Inventory` drops (a process killed
    /// before leaves it in the system's temporary directory).
    pub async fn temporary(busy_timeout: Duration) -> Result<Self, sqlx::Error> {
        let dir = tempfile::Builder::new()
            .prefix("cmdx-inventory-")
            .tempdir()?;
        let inventory = Self::open(dir.path().join("inventory.db"), busy_timeout).await?;
        Ok(Self {
            _dir: Some(Arc::new(dir)),
            ..inventory
        })
    }

    /// The examples' database: the file named by `CMDX_DB` (kept), or a
    /// [temporary](Inventory::temporary) one; the busy timeout in
    /// milliseconds from `CMDX_DB_BUSY_TIMEOUT_MS` (default 5000).
    pub async fn from_env() -> Result<Self, sqlx::Error> {
        let busy_timeout = match std::env::var("CMDX_DB_BUSY_TIMEOUT_MS") {
            Ok(text) => Duration::from_millis(text.trim().parse().map_err(|_| {
                sqlx::Error::Configuration(
                    format!(
                        "CMDX_DB_BUSY_TIMEOUT_MS must be a number of milliseconds, not {text:?}"
                    )
                    .into(),
                )
            })?),
            Err(_) => DEFAULT_BUSY_TIMEOUT,
        };
        match std::env::var_os("CMDX_DB") {
            Some(path) => Self::open(path, busy_timeout).await,
            None => Self::temporary(busy_timeout).await,
        }
    }

    /// The database file; `None` for [`Inventory::in_memory`].
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The pool, for queries of your own.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// A product's quantities, or `None` for an unknown SKU.
    pub async fn product(&self, sku: &str) -> Result<Option<Product>, sqlx::Error> {
        let row = sqlx::query(
            "SELECT sku, available_quantity, reserved_quantity FROM products WHERE sku = ?",
        )
        .bind(sku)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|row| Product {
            sku: row.get(0),
            available_quantity: row.get(1),
            reserved_quantity: row.get(2),
        }))
    }

    /// Adds `quantity` to a product (created if new) and records the
    /// inbound movement; returns the new available quantity, or
    /// [`Receipt::Overflow`] (nothing changed) when the total would not fit
    /// an `i64`.
    pub(crate) async fn receive(
        &self,
        sku: &str,
        quantity: i64,
        warehouse_id: i64,
    ) -> Result<Receipt, sqlx::Error> {
        let mut tx = self.pool.begin().await?;
        // A write first, so the transaction holds the write lock (waiting
        // for it up to the busy timeout) before it reads the total.
        sqlx::query("INSERT INTO products (sku) VALUES (?) ON CONFLICT(sku) DO NOTHING")
            .bind(sku)
            .execute(&mut *tx)
            .await?;
        let current: i64 =
            sqlx::query_scalar("SELECT available_quantity FROM products WHERE sku = ?")
                .bind(sku)
                .fetch_one(&mut *tx)
                .await?;
        let Some(available) = current.checked_add(quantity) else {
            // Dropping `tx` rolls back the product row it may have created.
            return Ok(Receipt::Overflow { available: current });
        };
        sqlx::query("UPDATE products SET available_quantity = ? WHERE sku = ?")
            .bind(available)
            .bind(sku)
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO stock_records (sku, warehouse_id, quantity, direction) VALUES (?, ?, ?, 'inbound')")
            .bind(sku)
            .bind(warehouse_id)
            .bind(quantity)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Receipt::Stocked(available))
    }

    /// Moves `quantity` from available to reserved, atomically, only if
    /// enough is available. `Ok(false)` when not.
    pub(crate) async fn reserve(&self, sku: &str, quantity: i64) -> Result<bool, sqlx::Error> {
        let done = sqlx::query(
            "UPDATE products SET available_quantity = available_quantity - ?1,
                                 reserved_quantity = reserved_quantity + ?1
             WHERE sku = ?2 AND available_quantity >= ?1",
        )
        .bind(quantity)
        .bind(sku)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Gives a reservation back (the compensation of `reserve`).
    pub(crate) async fn release(&self, sku: &str, quantity: i64) -> Result<(), sqlx::Error> {
        sqlx::query(
            "UPDATE products SET available_quantity = available_quantity + ?1,
                                 reserved_quantity = reserved_quantity - ?1
             WHERE sku = ?2 AND reserved_quantity >= ?1",
        )
        .bind(quantity)
        .bind(sku)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Ships reserved units, atomically, only if enough are reserved;
    /// records the outbound movement. `Ok(false)` when not.
    pub(crate) async fn fulfill(
        &self,
        sku: &str,
        quantity: i64,
        order_id: i64,
        warehouse_id: i64,
    ) -> Result<bool, sqlx::Error> {
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query(
            "UPDATE products SET reserved_quantity = reserved_quantity - ?1
             WHERE sku = ?2 AND reserved_quantity >= ?1",
        )
        .bind(quantity)
        .bind(sku)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO stock_records (sku, warehouse_id, quantity, direction, order_id)
             VALUES (?, ?, ?, 'outbound', ?)",
        )
        .bind(sku)
        .bind(warehouse_id)
        .bind(quantity)
        .bind(order_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }
}
