//! The inventory domain of the cmdx-rs examples: the article's stock
//! tasks on an embedded SQLite database. The examples (`inventory`,
//! `axum_inventory`, `actix_inventory`, …) and several integration tests
//! share it; [`http`] serves it over HTTP.

pub mod http;
pub mod inventory;
