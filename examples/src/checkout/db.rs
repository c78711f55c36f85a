//! The payments side of checkout: account balances, charges, and an outbox
//! of notifications — in the same SQLite database as the inventory.

use sqlx::{Row, SqlitePool};

/// Accounts, charges and the notification outbox. Add it to a runtime with
/// `Runtime::builder().resource(payments)`, next to the `Inventory`.
#[derive(Debug, Clone)]
pub struct Payments {
    pool: SqlitePool,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS accounts (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL,
    balance_cents INTEGER NOT NULL CHECK (balance_cents >= 0)
);
CREATE TABLE IF NOT EXISTS charges (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id INTEGER NOT NULL REFERENCES accounts(id),
    order_id INTEGER NOT NULL,
    amount_cents INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('captured', 'refunded'))
);
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    channel TEXT NOT NULL,
    recipient TEXT NOT NULL,
    order_id INTEGER NOT NULL
);";

impl Payments {
    /// Creates the payment tables in the database of `pool` (for example
    /// `inventory.pool()`, so one database holds both).
    pub async fn on(pool: SqlitePool) -> Result<Self, sqlx::Error> {
        sqlx::raw_sql(SCHEMA).execute(&pool).await?;
        Ok(Self { pool })
    }

    /// Opens an account with a starting balance.
    pub async fn open_account(
        &self,
        id: i64,
        email: &str,
        balance_cents: i64,
    ) -> Result<(), sqlx::Error> {
        sqlx::query("INSERT INTO accounts (id, email, balance_cents) VALUES (?, ?, ?)")
            .bind(id)
            .bind(email)
            .bind(balance_cents)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// An account's balance, or `None` for an unknown account.
    pub async fn balance(&self, account_id: i64) -> Result<Option<i64>, sqlx::Error> {
        sqlx::query_scalar("SELECT balance_cents FROM accounts WHERE id = ?")
            .bind(account_id)
            .fetch_optional(&self.pool)
            .await
    }

    /// How many notifications were queued for an order.
    pub async fn outbox_count(&self, order_id: i64) -> Result<i64, sqlx::Error> {
        let row = sqlx::query("SELECT COUNT(*) FROM outbox WHERE order_id = ?")
            .bind(order_id)
            .fetch_one(&self.pool)
            .await?;
        Ok(row.get(0))
    }

    /// Debits the account and records the charge, atomically, only if the
    /// balance covers it. `Ok(None)` when it does not.
    pub(crate) async fn charge(
        &self,
        account_id: i64,
        order_id: i64,
        amount_cents: i64,
    ) -> Result<Option<i64>, sqlx::Error> {
        let mut tx = self.pool.begin().await?;
        let debited = sqlx::query(
            "UPDATE accounts SET balance_cents = balance_cents - ?1
             WHERE id = ?2 AND balance_cents >= ?1",
        )
        .bind(amount_cents)
        .bind(account_id)
        .execute(&mut *tx)
        .await?;
        if debited.rows_affected() != 1 {
            return Ok(None);
        }
        let charge_id: i64 = sqlx::query_scalar(
            "INSERT INTO charges (account_id, order_id, amount_cents, status)
             VALUES (?, ?, ?, 'captured') RETURNING id",
        )
        .bind(account_id)
        .bind(order_id)
        .bind(amount_cents)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Some(charge_id))
    }

    /// Refunds every captured charge of an order (the compensation of
    /// `charge`); refunding twice changes nothing.
    pub(crate) async fn refund_order(&self, order_id: i64) -> Result<(), sqlx::Error> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "UPDATE accounts SET balance_cents = balance_cents + (
                 SELECT COALESCE(SUM(amount_cents), 0) FROM charges
                 WHERE charges.account_id = accounts.id AND order_id = ?1 AND status = 'captured')
             WHERE id IN (SELECT account_id FROM charges WHERE order_id = ?1 AND status = 'captured')",
        )
        .bind(order_id)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE charges SET status = 'refunded' WHERE order_id = ? AND status = 'captured'",
        )
        .bind(order_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Queues one notification.
    pub(crate) async fn enqueue(
        &self,
        channel: &str,
        recipient: &str,
        order_id: i64,
    ) -> Result<(), sqlx::Error> {
        sqlx::query("INSERT INTO outbox (channel, recipient, order_id) VALUES (?, ?, ?)")
            .bind(channel)
            .bind(recipient)
            .bind(order_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Removes an order's queued notifications of one channel (the
    /// compensation of `enqueue`, while the outbox is not yet drained).
    pub(crate) async fn dequeue(&self, channel: &str, order_id: i64) -> Result<(), sqlx::Error> {
        sqlx::query("DELETE FROM outbox WHERE channel = ? AND order_id = ?")
            .bind(channel)
            .bind(order_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
