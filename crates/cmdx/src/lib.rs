#![doc = include_str!("docs/crate.md")]

mod chain;
mod contain;
mod context;
mod cx;
mod ending;
mod events;
mod exec;
mod fault;
mod halt;
mod hooks;
mod id;
mod input;
pub mod ledger;
mod limit;
pub mod logs;
pub mod middleware;
mod outcome;
mod resources;
mod retry;
mod runtime;
mod settings;
mod shutdown;
mod spawn;
mod status;
mod task;
mod workflow;

pub use chain::{Chain, ChainScope, current_id as current_chain_id};
pub use contain::{ContainedPanics, Plugin};
pub use context::Context;
pub use cx::Cx;
pub use events::{Event, EventKind, Subscriber};
pub use fault::Fault;
pub use halt::{BoxError, Halt};
pub use hooks::{Around, Hook, HookCx, Hooks, Proceed, Proceeded, When};
pub use input::{REDACTED, Secret, redacted_input};
pub use ledger::{Ledger, LedgerSink, MemoryLedger, Record};
pub use middleware::{Call, Done, Middleware, Next};
pub use outcome::Outcome;
pub use resources::MissingResource;
pub use retry::{Backoff, RetryPolicy};
pub use runtime::{Runtime, RuntimeBuilder, TraceBridge, TraceIds};
pub use settings::{Deprecation, LedgerLevel, Settings};
pub use shutdown::{Interrupted, ShutdownReport};
pub use spawn::spawn;
pub use status::{Kind, State, Status};
pub use task::{Task, TaskExt};
pub use workflow::{
    CompensationFailure, Condition, Flow, FlowExt, Group, Merge, StepReport, Workflow,
    WorkflowOutcomeExt,
};

/// The guide chapter `docs/ledger-writer.md`, compiled as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../../docs/ledger-writer.md")]
pub struct LedgerWriterGuide;

/// The guide chapter `docs/durable-ledger.md`, compiled as doctests.
#[cfg(all(doctest, feature = "sqlite"))]
#[doc = include_str!("../../../docs/durable-ledger.md")]
pub struct DurableLedgerGuide;
/// The guide chapter `docs/hooks.md`, compiled as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../../docs/hooks.md")]
pub struct HooksGuide;
/// The guide chapter `docs/application-logs.md`, compiled as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../../docs/application-logs.md")]
pub struct ApplicationLogsGuide;

/// Re-exports for `use cmdx::prelude::*;`: the traits ([`Task`] and its
/// entry points, [`TaskExt`]), the types `work` needs, the macros, and the
/// derives tasks use.
///
/// The derives are `serde`'s and `garde`'s own, which expand to code that
/// names the `serde` and `garde` crates: a crate defining tasks lists them
/// in its `[dependencies]` beside `cmdx` (see the README's block).
pub mod prelude {
    pub use crate::{
        BoxError, Context, Cx, Fault, Halt, LedgerLevel, Outcome, RetryPolicy, Secret, Settings,
        Status, Task, TaskExt,
    };
    pub use crate::{Flow, FlowExt, Group, Workflow, WorkflowOutcomeExt};
    pub use crate::{fail, skip, success};
    pub use garde::Validate;
    pub use serde::{Deserialize, Serialize};
}
