#![doc = include_str!("docs/crate.md")]
#![doc = include_str!("docs/cancellation.md")]

mod detach;
mod extract;
mod layer;
mod problem;
mod rendered;
mod reply;
mod statuses;
mod workflow;

pub use detach::to_completion;
pub use extract::JsonTask;
pub use layer::{
    ChainFuture, ChainLayer, ChainService, RequestChain, RequestSpan, X_CHAIN_ID, X_REQUEST_ID,
    accept_request_id,
};
pub use problem::{PROBLEM_JSON, Problem};
pub use rendered::Rendered;
pub use reply::Reply;
pub use statuses::{INVALID_INPUT, StatusMap};
pub use workflow::JsonFlow;
