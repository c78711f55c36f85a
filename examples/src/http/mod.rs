//! The inventory over HTTP: the same endpoints on axum ([`router`]) and
//! on actix-web ([`actix::server`]).
//!
//! | endpoint | task | answer |
//! | --- | --- | --- |
//! | `POST /stock/receive` `{"sku","quantity","warehouse_id"}` | `Inventory::ReceiveStock` | `200 {"sku","available_quantity"}` |
//! | `POST /orders` `{"sku","quantity","order_id","warehouse_id"}` | `Inventory::ProcessOrder`, run to completion | `204` |
//! | `GET /products/{sku}` | — (a read) | `200 {"sku","available_quantity","reserved_quantity"}` |
//!
//! Failures answer problem details: `422` with every invalid field,
//! `409` for `out_of_stock` and `reservation_error`, `404` for `not_found`.

pub mod actix;
mod axum;
pub mod shutdown;
pub mod testing;

pub use self::axum::router;

use cmdx_axum::StatusMap;
use http::StatusCode;

/// The failure codes of the inventory tasks and their HTTP statuses.
pub fn statuses() -> StatusMap {
    StatusMap::new()
        .code("out_of_stock", StatusCode::CONFLICT)
        .code("reservation_error", StatusCode::CONFLICT)
        .code("not_found", StatusCode::NOT_FOUND)
}

/// The answer of `POST /stock/receive`: the product's new available quantity.
fn received(sku: &serde_json::Value, available: i64) -> serde_json::Value {
    serde_json::json!({ "sku": sku, "available_quantity": available })
}
