#![doc = include_str!("docs/crate.md")]

mod chain;
mod context;
mod cx;
mod exec;
mod fault;
mod halt;
mod input;
pub mod ledger;
mod outcome;
mod resources;
mod runtime;
mod task;
mod workflow;

pub use chain::{Chain, ChainScope, current_id as current_chain_id, spawn};
pub use context::Context;
pub use cx::Cx;
pub use fault::Fault;
pub use halt::{BoxError, Halt};
pub use input::{REDACTED, Secret};
pub use ledger::{Ledger, LedgerSink, MemoryLedger, Record};
pub use outcome::Outcome;
pub use outcome::status::{Kind, State, Status};
pub use resources::MissingResource;
pub use runtime::{Runtime, RuntimeBuilder, TraceBridge, TraceIds};
pub use task::Task;
pub use workflow::{
    CompensationFailure, Condition, Group, Merge, StepReport, Workflow, WorkflowOutcomeExt,
};

/// Re-exports for `use cmdx::prelude::*;`: the trait, the types `work`
/// needs, the macros, and the derives tasks use.
pub mod prelude {
    pub use crate::{Context, Cx, Fault, Halt, Outcome, Secret, Status, Task};
    pub use crate::{Group, Workflow, WorkflowOutcomeExt};
    pub use crate::{fail, skip, success};
    pub use garde::Validate;
    pub use serde::{Deserialize, Serialize};
}
