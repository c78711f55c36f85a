#![doc = include_str!("docs/crate.md")]
#![doc = include_str!("docs/cancellation.md")]

mod extract;
mod layer;
mod workflow;

pub use cmdx_http::{
    INVALID_INPUT, PROBLEM_JSON, Problem, Rendered, Reply, StatusMap, X_CHAIN_ID, X_REQUEST_ID,
    accept_request_id, failure_code, to_completion,
};
pub use extract::JsonTask;
pub use layer::{ChainFuture, ChainLayer, ChainService, RequestChain, RequestSpan};
pub use workflow::JsonFlow;
