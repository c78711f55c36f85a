//! Framework-neutral HTTP answers for [`cmdx`] outcomes, shared by
//! `cmdx-axum` and `cmdx-actix` (which re-export every name), or for
//! wiring any other server (hyper, a gateway) the same way:
//!
//! | piece | what it is |
//! | --- | --- |
//! | [`StatusMap`] | failure code → HTTP status (`Retry-After` for transient codes), and the *ambient* map a router sets for its handlers |
//! | [`Problem`] | an RFC 9457 problem document (`type`, `title`, `status`, `detail`, `cid`, `code`) |
//! | [`Reply`] | an [`Outcome`](cmdx::Outcome) as an answer: `200` / `204` / skip document / `422` / mapped problem |
//! | [`Rendered`] | an answer as status + media type + `Retry-After` + bytes |
//! | [`to_completion`] | run-to-completion mode: the work outlives a client that disconnects |
//! | [`X_REQUEST_ID`], [`X_CHAIN_ID`], [`accept_request_id`] | the correlation headers and the request ids accepted as a chain's `xid` |
//! | [`failure_code`] | the one place that reads a record's failure code |
//!
//! No web framework is a dependency by default. The features `axum` and
//! `actix-web` add axum's `IntoResponse` and actix-web's `Responder` /
//! `ResponseError` to [`Problem`], [`Reply`] and [`Rendered`] (Rust's
//! orphan rule allows them only here); cmdx-axum and cmdx-actix enable
//! them.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! use cmdx::prelude::*;
//! use cmdx_http::{Reply, StatusMap};
//! use http::StatusCode;
//!
//! #[derive(Debug, Serialize, Deserialize, Validate)]
//! struct Ship {}
//! impl Task for Ship {
//!     type Output = ();
//!     fn name() -> &'static str { "Shipping::Ship" }
//!     async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
//!         fail!("The carrier is down", code = "carrier_down");
//!     }
//! }
//!
//! let statuses = StatusMap::new().transient("carrier_down", 30);
//! # cmdx::Runtime::builder().ledger(cmdx::Ledger::off()).build().scope(async {
//! let rendered = Reply::new(Ship {}.execute().await).statuses(&statuses).render();
//! assert_eq!(rendered.status(), StatusCode::SERVICE_UNAVAILABLE);
//! assert_eq!(rendered.retry_after(), Some(30));
//! let body: serde_json::Value = serde_json::from_slice(rendered.body()).unwrap();
//! assert_eq!(body["code"], "carrier_down");
//! assert_eq!(body["detail"], "The carrier is down");
//! # }).await;
//! # }
//! ```

#[cfg(feature = "actix-web")]
mod actix;
#[cfg(feature = "axum")]
mod axum;
mod code;
mod detach;
mod headers;
mod problem;
mod rendered;
mod reply;
mod statuses;

pub use code::failure_code;
pub use detach::to_completion;
pub use headers::{X_CHAIN_ID, X_REQUEST_ID, accept_request_id};
pub use problem::{PROBLEM_JSON, Problem};
pub use rendered::Rendered;
pub use reply::Reply;
pub use statuses::{INVALID_INPUT, StatusMap};
