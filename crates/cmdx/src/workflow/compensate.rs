//! Saga compensation: each completed step undone by a new execution with
//! its own ledger line (`"kind":"rollback"`) and span.
//!
//! The line's `task` is the undone task's name, its `compensates` the
//! undone execution's `tid`, its `input` the undone execution's input, its
//! `parent` the execution running the compensation (the workflow) — so the
//! span is a child of the workflow's span, with a link to the undone span.

use super::progress::Progress;
use super::report::CompensationFailure;
use super::step::{Completed, Undo};
use crate::chain::shared::SharedRecord;
use crate::contain::Plugin;
use crate::exec::{self, Ending, Execution, Spec};
use crate::halt::error_chain;
use crate::ledger::Record;
use crate::{Context, Kind, Runtime, Status, TraceIds};
use futures::FutureExt;
use std::fmt;
use std::panic::AssertUnwindSafe;
use std::time::Duration;

/// Undoes the completed steps of `progress` in reverse completion order,
/// each once, with the context it read; a failing or panicking rollback is
/// recorded and the others still run. Returns the compensations that
/// failed (including those inside nested workflows). Steps are taken one
/// at a time, so if this future is dropped, the steps not yet compensated
/// are still there.
pub(super) async fn all(progress: &mut Progress) -> Vec<CompensationFailure> {
    let mut failures = Vec::new();
    while let Some((step, context)) = progress.pop() {
        let (record, nested) = one(step, context).await;
        failures.extend(nested);
        if record.status == Status::Failed {
            failures.push(CompensationFailure::of(&record));
        }
    }
    failures
}

/// The spec of the compensation of `undone`.
fn spec(undone: &Record, tags: &'static [&'static str]) -> Spec {
    let link = match (&undone.trace_id, &undone.span_id) {
        (Some(trace_id), Some(span_id)) => {
            Some(Box::new(TraceIds::new(trace_id.clone(), span_id.clone())))
        }
        _ => None,
    };
    Spec {
        task: undone.task.clone(),
        kind: Kind::Rollback,
        tags,
        compensates: Some(undone.tid),
        link,
        panicked: None,
    }
}

/// Writes the `rollback` line of a step whose compensation did not run:
/// the background compensation of a dropped workflow was itself dropped
/// (at the shutdown deadline: `interrupted by shutdown`) before reaching it.
pub(super) fn not_run(step: Completed, runtime: &Runtime) {
    let undone = step.record;
    let pending = exec::begin(spec(&undone, step.tags), || undone.input.clone());
    let mut ending = Ending::dropped(runtime);
    ending.detail_mut().cause = Some(format!(
        "the compensation of `{}` ({}) did not run: {}; the step's effect stands, \
         undo it by hand if needed",
        undone.task,
        undone.tid,
        if runtime.is_interrupting() {
            "the runtime shut down before it started"
        } else {
            "its task was dropped before it started"
        }
    ));
    drop(pending.finish(ending));
}

async fn one(step: Completed, context: Context) -> (SharedRecord, Vec<CompensationFailure>) {
    let Completed {
        record: undone,
        tags,
        undo,
    } = step;
    let spec = spec(&undone, tags);
    let pending = exec::begin(spec, || undone.input.clone());
    let execution = pending.get();
    let mut cx = execution.cx(context);
    cx.compensating = true;
    let limit = limit(execution, &*undo);
    let undoing = exec::logged(
        execution,
        exec::within(
            execution,
            AssertUnwindSafe(undo.undo(&mut cx)).catch_unwind(),
        ),
    );
    let undone_by = match limit {
        Some(limit) => crate::limit::at_most(limit, undoing).await.ok_or(limit),
        None => Ok(undoing.await),
    };
    let mut nested = Vec::new();
    let ending = match undone_by {
        Err(limit) => timed_out(limit),
        Ok(Ok(Ok(()))) => Ending::success(),
        Ok(Ok(Err(error))) => {
            let ending = rollback_error(&*error);
            if let Ok(inner) = error.downcast::<NestedFailures>() {
                nested = inner.0;
            }
            ending
        }
        Ok(Err(payload)) => Ending::panicked(&*payload),
    };
    (pending.finish(ending).record, nested)
}

/// How long a compensation may run: the undone task's
/// `Settings::rollback_timeout`, else the runtime's; `None` for a nested
/// workflow, whose steps' compensations are each bounded.
fn limit(execution: &Execution, undo: &dyn Undo) -> Option<Duration> {
    let settings = undo.settings()?;
    let global = execution.runtime().config();
    // `settings()` is a plug-in: if it panics, the runtime's limit applies.
    let own = execution.contain(Plugin::Settings, settings).ok();
    Some(
        own.and_then(|settings| settings.rollback_timeout)
            .unwrap_or_else(|| global.rollback_timeout()),
    )
}

/// A compensation that ran past its time limit and was dropped.
fn timed_out(limit: Duration) -> Ending {
    let mut ending =
        Ending::with_status(Status::Failed, Some(format!("timed out after {limit:?}")));
    let detail = ending.detail_mut();
    detail.code = Some("timeout".into());
    detail.cause = Some(format!(
        "the rollback did not finish within its time limit of {limit:?} and was dropped; \
         raise the limit (Settings::rollback_timeout, RuntimeBuilder::rollback_timeout) \
         or make the rollback faster"
    ));
    ending
}

fn rollback_error(error: &(dyn std::error::Error + Send + Sync + 'static)) -> Ending {
    let mut ending = Ending::with_status(Status::Failed, Some(error.to_string()));
    ending.detail_mut().cause = Some(error_chain(error));
    ending
}

/// A nested workflow's compensations that failed, as the error of its own
/// compensation.
#[derive(Debug)]
pub(super) struct NestedFailures(pub(super) Vec<CompensationFailure>);

impl fmt::Display for NestedFailures {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let tasks: Vec<String> = self
            .0
            .iter()
            .map(|failure| format!("`{}` (index {})", failure.task, failure.index))
            .collect();
        write!(
            f,
            "{} compensation(s) of the nested workflow failed: {}",
            self.0.len(),
            tasks.join(", ")
        )
    }
}

impl std::error::Error for NestedFailures {}
