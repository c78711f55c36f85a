//! The SQLite side: schema, and the statements the tasks run.

use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use sqlx::{Row, SqlitePool};
use std::str::FromStr;

/// The inventory database: a pool over an embedded SQLite database.
/// Add it to a runtime with `Runtime::builder().resource(inventory)`.
#[derive(Debug, Clone)]
pub struct Inventory {
    pool: SqlitePool,
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
        Ok(Self { pool })
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
    /// inbound movement; returns the new available quantity.
    pub(crate) async fn receive(
        &self,
        sku: &str,
        quantity: i64,
        warehouse_id: i64,
    ) -> Result<i64, sqlx::Error> {
        let mut tx = self.pool.begin().await?;
        let available: i64 = sqlx::query_scalar(
            "INSERT INTO products (sku, available_quantity) VALUES (?1, ?2)
             ON CONFLICT(sku) DO UPDATE SET available_quantity = available_quantity + ?2
             RETURNING available_quantity",
        )
        .bind(sku)
        .bind(quantity)
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query("INSERT INTO stock_records (sku, warehouse_id, quantity, direction) VALUES (?, ?, ?, 'inbound')")
            .bind(sku)
            .bind(warehouse_id)
            .bind(quantity)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(available)
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
