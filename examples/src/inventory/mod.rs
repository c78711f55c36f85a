//! Products with available/reserved quantities and stock records, and the
//! four tasks that change them: `Inventory::ReceiveStock`,
//! `Inventory::ReserveStock` (with rollback), `Inventory::FulfillStock` and
//! `Inventory::ProcessOrder` (which awaits the two before it).

mod db;
mod story;
mod tasks;

pub use db::{DEFAULT_BUSY_TIMEOUT, Inventory, Product};
pub use story::story;
pub use tasks::{
    DATABASE_BUSY, FulfillStock, ProcessOrder, ReceiveStock, ReserveStock, STOCK_OVERFLOW,
};

/// `Inventory::ProcessOrder` as a workflow: the same two steps as the
/// [`ProcessOrder`] task, declared instead of awaited by hand. Reads `sku`,
/// `quantity`, `order_id` and `warehouse_id` from its context; when
/// fulfilling fails, the reservation is released by compensation.
pub fn process_order_workflow() -> cmdx::Workflow {
    cmdx::Workflow::new("Inventory::ProcessOrder")
        .step::<ReserveStock>()
        .step::<FulfillStock>()
}
