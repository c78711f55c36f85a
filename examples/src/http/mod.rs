//! The inventory over HTTP: the same endpoints on axum ([`router`]) and
//! on actix-web ([`actix::server`]).
//!
//! | endpoint | task | answer |
//! | --- | --- | --- |
//! | `POST /stock/receive` `{"sku","quantity","warehouse_id"}` | `Inventory::ReceiveStock` | `200 {"sku","available_quantity"}` |
//! | `POST /orders` `{"sku","quantity","order_id","warehouse_id"}` | `Inventory::ProcessOrder`, run to completion | `204` |
//! | `GET /products/{sku}` | — (a read) | `200 {"sku","available_quantity","reserved_quantity"}` |
//!
//! Failures answer problem details (`application/problem+json`, with the
//! chain id as `cid`): `422` with every invalid field, `409` for
//! `out_of_stock`, `reservation_error` and `stock_overflow`, `404` for
//! `not_found`, `503` with `Retry-After` for `database_busy`; a body that
//! is not JSON `400` (`invalid_json`), `415` (`unsupported_media_type`),
//! `413` (`body_too_large`), or `408` (`request_timeout`) when it does not
//! arrive in time.
//!
//! Both servers answer the same, and run writes to completion (a client
//! that hangs up never stops one half-way). Slow clients are bounded by
//! [`Limits`]: a header read timeout, a body read timeout, and a
//! connection limit.

pub mod actix;
mod axum;
mod limits;
mod serve;
pub mod shutdown;
pub mod testing;

pub use self::axum::{router, router_with};
pub use limits::Limits;
pub use serve::serve;

use crate::inventory::{DATABASE_BUSY, STOCK_OVERFLOW};
use cmdx_axum::{Problem, StatusMap};
use http::StatusCode;

/// Seconds a client is asked to wait before retrying a transient failure.
pub const RETRY_AFTER_SECONDS: u64 = 1;

/// The failure codes of the inventory tasks and their HTTP statuses.
pub fn statuses() -> StatusMap {
    StatusMap::new()
        .code("out_of_stock", StatusCode::CONFLICT)
        .code("reservation_error", StatusCode::CONFLICT)
        .code("not_found", StatusCode::NOT_FOUND)
        .code(STOCK_OVERFLOW, StatusCode::CONFLICT)
        .transient(DATABASE_BUSY, RETRY_AFTER_SECONDS)
}

/// The answer to a body that did not arrive within the body timeout.
fn body_timeout(cid: Option<uuid::Uuid>) -> Problem {
    with_cid(
        Problem::new(StatusCode::REQUEST_TIMEOUT)
            .code("request_timeout")
            .detail("The request body did not arrive in time; send it again."),
        cid,
    )
}

/// The answer to a body that could not be read: too large (`413`) or
/// broken off (`400`).
fn unreadable_body(status: StatusCode, cid: Option<uuid::Uuid>) -> Problem {
    let problem = if status == StatusCode::PAYLOAD_TOO_LARGE {
        Problem::new(status).code("body_too_large").detail(format!(
            "The request body is larger than {BODY_LIMIT} bytes."
        ))
    } else {
        Problem::new(StatusCode::BAD_REQUEST)
            .code("unreadable_body")
            .detail("The request body could not be read.")
    };
    with_cid(problem, cid)
}

/// The largest request body read (axum's default limit).
const BODY_LIMIT: usize = 2 * 1024 * 1024;

fn with_cid(problem: Problem, cid: Option<uuid::Uuid>) -> Problem {
    match cid {
        Some(cid) => problem.cid(cid),
        None => problem,
    }
}

/// The answer of `POST /stock/receive`: the product's new available quantity.
fn received(sku: &serde_json::Value, available: i64) -> serde_json::Value {
    serde_json::json!({ "sku": sku, "available_quantity": available })
}
