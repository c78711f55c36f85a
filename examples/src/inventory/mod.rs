//! Products with available/reserved quantities and stock records, and the
//! four tasks that change them: `Inventory::ReceiveStock`,
//! `Inventory::ReserveStock` (with rollback), `Inventory::FulfillStock` and
//! `Inventory::ProcessOrder` (which awaits the two before it).

mod db;
mod story;
mod tasks;

pub use db::{Inventory, Product};
pub use story::story;
pub use tasks::{FulfillStock, ProcessOrder, ReceiveStock, ReserveStock};
