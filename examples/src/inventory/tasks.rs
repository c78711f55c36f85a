//! The article's inventory tasks.

use super::Inventory;
use super::db::Receipt;
use cmdx::BoxError;
use cmdx::prelude::*;

/// The failure code of a database that stayed busy (another connection
/// held the write lock past the busy timeout, or every pooled connection
/// was taken): transient, the HTTP API answers `503` with `Retry-After`.
pub const DATABASE_BUSY: &str = "database_busy";

/// The failure code of a receipt whose total would not fit the stock
/// counter (`i64`): the client's request, refused with nothing changed.
pub const STOCK_OVERFLOW: &str = "stock_overflow";

/// A database error as a halt. A locked or busy database and a pool
/// timeout are transient: reason for clients, code [`DATABASE_BUSY`],
/// the error text kept as the line's `cause`. Any other error fails as
/// `?` would (its message as reason, no code: a `500`).
fn db_failure(error: sqlx::Error) -> Halt {
    let busy = match &error {
        sqlx::Error::PoolTimedOut => true,
        sqlx::Error::Database(database) => database
            .code()
            .and_then(|code| code.parse::<i32>().ok())
            // The primary result code is the low byte of an extended one:
            // SQLITE_BUSY (5) and SQLITE_LOCKED (6).
            .is_some_and(|code| matches!(code & 0xff, 5 | 6)),
        _ => false,
    };
    if busy {
        Halt::fail("The database is busy; retry the request in a moment.")
            .code(DATABASE_BUSY)
            .caused_by(error.to_string())
    } else {
        Halt::error(error)
    }
}

/// Stock arrives at a warehouse: adds `quantity` to `sku` (creating the
/// product if new). Outputs the new available quantity.
#[derive(Debug, Clone, Serialize, Deserialize, Validate)]
pub struct ReceiveStock {
    /// The product.
    #[garde(length(min = 1))]
    pub sku: String,
    /// Units received.
    #[garde(range(min = 1))]
    pub quantity: i64,
    /// Where they arrived.
    #[garde(range(min = 1))]
    pub warehouse_id: i64,
}

impl Task for ReceiveStock {
    type Output = i64;

    fn name() -> &'static str {
        "Inventory::ReceiveStock"
    }

    async fn work(&self, cx: &mut Cx) -> Result<i64, Halt> {
        let db = cx.resource::<Inventory>()?;
        match db
            .receive(&self.sku, self.quantity, self.warehouse_id)
            .await
            .map_err(db_failure)?
        {
            Receipt::Stocked(available) => Ok(available),
            Receipt::Overflow { available } => fail!(
                "The stock total would exceed the largest quantity that can be stored; nothing was received",
                code = STOCK_OVERFLOW,
                available = available,
                received = self.quantity,
                max = i64::MAX
            ),
        }
    }
}

/// Reserves `quantity` of `sku` for an order; fails with code
/// `out_of_stock` when not enough is available, `not_found` for an unknown
/// SKU. Its rollback releases the reservation.
#[derive(Debug, Clone, Serialize, Deserialize, Validate)]
pub struct ReserveStock {
    /// The product.
    #[garde(length(min = 1))]
    pub sku: String,
    /// Units to reserve.
    #[garde(range(min = 1))]
    pub quantity: i64,
    /// The order they are for.
    #[garde(range(min = 1))]
    pub order_id: i64,
}

impl Task for ReserveStock {
    type Output = ();

    fn name() -> &'static str {
        "Inventory::ReserveStock"
    }

    async fn work(&self, cx: &mut Cx) -> Result<(), Halt> {
        let db = cx.resource::<Inventory>()?;
        if db
            .reserve(&self.sku, self.quantity)
            .await
            .map_err(db_failure)?
        {
            return Ok(());
        }
        match db.product(&self.sku).await.map_err(db_failure)? {
            None => fail!("Unknown SKU", code = "not_found", sku = self.sku),
            Some(product) => fail!(
                "Insufficient stock",
                code = "out_of_stock",
                available = product.available_quantity,
                requested = self.quantity
            ),
        }
    }

    async fn rollback(&self, cx: &mut Cx) -> Result<(), BoxError> {
        // A failed reservation changed nothing (it is one guarded UPDATE),
        // so only a completed one — compensated by a workflow — is released.
        if cx.is_compensating() {
            cx.resource::<Inventory>()?
                .release(&self.sku, self.quantity)
                .await?;
        }
        Ok(())
    }
}

/// Ships `quantity` of a reserved `sku` for an order; fails with code
/// `reservation_error` when the reservation does not cover it.
#[derive(Debug, Clone, Serialize, Deserialize, Validate)]
pub struct FulfillStock {
    /// The product.
    #[garde(length(min = 1))]
    pub sku: String,
    /// Units to ship.
    #[garde(range(min = 1))]
    pub quantity: i64,
    /// The order they are for.
    #[garde(range(min = 1))]
    pub order_id: i64,
    /// The warehouse shipping them.
    #[garde(range(min = 1))]
    pub warehouse_id: i64,
}

impl Task for FulfillStock {
    type Output = ();

    fn name() -> &'static str {
        "Inventory::FulfillStock"
    }

    async fn work(&self, cx: &mut Cx) -> Result<(), Halt> {
        let db = cx.resource::<Inventory>()?;
        if !db
            .fulfill(&self.sku, self.quantity, self.order_id, self.warehouse_id)
            .await
            .map_err(db_failure)?
        {
            fail!(
                "Reservation mismatch",
                code = "reservation_error",
                sku = self.sku
            );
        }
        Ok(())
    }
}

/// Reserves then fulfills an order by awaiting the two tasks (task-in-task
/// composition): their lines join this task's chain as its children.
#[derive(Debug, Clone, Serialize, Deserialize, Validate)]
pub struct ProcessOrder {
    /// The product.
    #[garde(length(min = 1))]
    pub sku: String,
    /// Units ordered.
    #[garde(range(min = 1))]
    pub quantity: i64,
    /// The order.
    #[garde(range(min = 1))]
    pub order_id: i64,
    /// The warehouse shipping it.
    #[garde(range(min = 1))]
    pub warehouse_id: i64,
}

impl Task for ProcessOrder {
    type Output = ();

    fn name() -> &'static str {
        "Inventory::ProcessOrder"
    }

    async fn work(&self, cx: &mut Cx) -> Result<(), Halt> {
        let reserve = ReserveStock {
            sku: self.sku.clone(),
            quantity: self.quantity,
            order_id: self.order_id,
        };
        reserve.execute_strict().await?;
        cx.context_mut().insert("reserved", true);
        let fulfill = FulfillStock {
            sku: self.sku.clone(),
            quantity: self.quantity,
            order_id: self.order_id,
            warehouse_id: self.warehouse_id,
        };
        fulfill.execute_strict().await?;
        Ok(())
    }

    /// Runs when the order failed: gives back a reservation that was made.
    async fn rollback(&self, cx: &mut Cx) -> Result<(), BoxError> {
        if cx.context().get::<bool>("reserved") == Some(true) {
            cx.resource::<Inventory>()?
                .release(&self.sku, self.quantity)
                .await?;
        }
        Ok(())
    }
}
