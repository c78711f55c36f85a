//! The inventory domain of the cmdx-rs examples: the article's stock
//! tasks on an embedded SQLite database. The examples (`inventory`,
//! `workflow`, `axum_inventory`, …) and several integration tests share it.

pub mod inventory;
