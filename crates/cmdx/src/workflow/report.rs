//! What a workflow's outcome says about its steps: which one halted it,
//! which caused the failure, which failures were collected, which
//! compensations failed. Stored in the outcome's `framework` keys (so it is on the
//! ledger line too) and read back with [`WorkflowOutcomeExt`].

use crate::ledger::Record;
use crate::{Outcome, Status};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

/// `framework` key: the step that halted the workflow.
pub(super) const HALTED_BY: &str = "halted_by";
/// `framework` key: every step failure collected by `continue_on_failure`.
pub(super) const FAILURES: &str = "failures";
/// `framework` key: compensations whose rollback failed or panicked.
pub(super) const COMPENSATION_FAILURES: &str = "compensation_failures";
/// `framework` key: names of parallel steps cancelled before they started.
pub(super) const NOT_STARTED: &str = "not_started";

/// One step execution, as a workflow's outcome refers to it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct StepReport {
    /// The step's task (or nested workflow) name.
    pub task: String,
    /// The step execution's `tid`.
    pub tid: Uuid,
    /// The step execution's index in the chain.
    pub index: u32,
    /// How it ended.
    pub status: Status,
    /// Why.
    pub reason: Option<String>,
}

impl StepReport {
    pub(super) fn of(record: &Record) -> Self {
        Self {
            task: record.task.to_string(),
            tid: record.tid,
            index: record.index,
            status: record.status,
            reason: record.reason.clone(),
        }
    }
}

/// A compensation (`"kind":"rollback"` line) whose rollback failed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CompensationFailure {
    /// The undone task's name.
    pub task: String,
    /// The compensation's own `tid` (its rollback line).
    pub tid: Uuid,
    /// The compensation's index in the chain.
    pub index: u32,
    /// The `tid` of the execution it tried to undo.
    pub compensates: Option<Uuid>,
    /// The rollback's error (or panic) message.
    pub reason: Option<String>,
}

impl CompensationFailure {
    pub(super) fn of(record: &Record) -> Self {
        Self {
            task: record.task.to_string(),
            tid: record.tid,
            index: record.index,
            compensates: record.compensates,
            reason: record.reason.clone(),
        }
    }
}

/// Reads a workflow's outcome: which step halted it, which caused the
/// failure, and what went wrong along the way.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use cmdx::prelude::*;
/// use cmdx::{Ledger, Runtime, Workflow, WorkflowOutcomeExt};
///
/// #[derive(Debug, Serialize, Deserialize, Validate)]
/// struct CollectMetrics {}
/// impl Task for CollectMetrics {
///     type Output = ();
///     fn name() -> &'static str {
///         "CollectMetrics"
///     }
///     async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
///         fail!("metrics service unreachable");
///     }
/// }
///
/// let analytics = Workflow::new("Analytics").step::<CollectMetrics>();
/// # Runtime::builder().ledger(Ledger::off()).build().scope(async {
/// let outcome = analytics.execute(Context::new()).await;
/// assert!(outcome.is_failed());
/// assert_eq!(outcome.reason(), Some("metrics service unreachable"));
/// assert_eq!(outcome.caused_failure().unwrap().task, "CollectMetrics");
/// assert_eq!(outcome.threw_failure().unwrap().task, "CollectMetrics");
/// assert!(outcome.compensation_failures().is_empty());
/// # }).await;
/// # }
/// ```
pub trait WorkflowOutcomeExt {
    /// The deepest execution whose failure made this one fail, across
    /// nested workflows (the line's `origin`); `None` unless failed.
    fn caused_failure(&self) -> Option<&Record>;

    /// The direct step that halted the workflow with a failure.
    fn threw_failure(&self) -> Option<StepReport>;

    /// The direct step that halted the workflow, whatever its status (a
    /// `skipped` breakpoint halts too).
    fn halted_by(&self) -> Option<StepReport>;

    /// Every failure a `continue_on_failure` group collected, in
    /// declaration order (empty otherwise). Field errors are also in
    /// `errors` ([`Outcome::field_errors`]) as `"Task.field"`, bare failures as `"Task.failed"`.
    fn failures(&self) -> Vec<StepReport>;

    /// The compensations whose rollback failed or panicked.
    fn compensation_failures(&self) -> Vec<CompensationFailure>;
}

impl<T> WorkflowOutcomeExt for Outcome<T> {
    fn caused_failure(&self) -> Option<&Record> {
        self.origin()
    }

    fn threw_failure(&self) -> Option<StepReport> {
        self.halted_by()
            .filter(|step| step.status == Status::Failed)
    }

    fn halted_by(&self) -> Option<StepReport> {
        read(self.framework().get(HALTED_BY))
    }

    fn failures(&self) -> Vec<StepReport> {
        read(self.framework().get(FAILURES)).unwrap_or_default()
    }

    fn compensation_failures(&self) -> Vec<CompensationFailure> {
        read(self.framework().get(COMPENSATION_FAILURES)).unwrap_or_default()
    }
}

fn read<T: DeserializeOwned>(value: Option<&Value>) -> Option<T> {
    value.and_then(|value| T::deserialize(value).ok())
}
