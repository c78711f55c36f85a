#![doc = include_str!("../README.md")]

mod chain;
mod extract;
mod middleware;

pub use chain::RequestChain;
pub use cmdx_http::{
    INVALID_INPUT, PROBLEM_JSON, Problem, Rendered, Reply, StatusMap, X_CHAIN_ID, X_REQUEST_ID,
    accept_request_id, failure_code, to_completion,
};
pub use extract::{JsonTask, JsonTaskConfig};
pub use middleware::{ChainMiddleware, ChainService, RequestSpan};
