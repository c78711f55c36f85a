//! The domains of the cmdx-rs examples on an embedded SQLite database: the
//! article's inventory tasks, and a checkout saga built on them. The
//! examples (`inventory`, `workflow`, `axum_inventory`, `actix_inventory`,
//! …) and several integration tests share them; [`http`] serves the
//! inventory over HTTP.

pub mod checkout;
pub mod http;
pub mod inventory;
