//! The domains of the cmdx-rs examples on an embedded SQLite database: the
//! article's inventory tasks, and a checkout saga built on them.
//! The examples (`inventory`, `workflow`, `axum_inventory`, …) and several
//! integration tests share them.

pub mod checkout;
pub mod inventory;
