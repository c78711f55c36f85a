//! Saga compensation: each completed step undone by a new execution with
//! its own ledger line (`"kind":"rollback"`) and span.
//!
//! The line's `task` is the undone task's name, its `compensates` the
//! undone execution's `tid`, its `input` the undone execution's input, its
//! `parent` the execution running the compensation (the workflow) — so the
//! span is a child of the workflow's span, with a link to the undone span.

use super::report::CompensationFailure;
use super::step::Completed;
use crate::exec::{self, Ending, Spec};
use crate::halt::error_chain;
use crate::ledger::Record;
use crate::{Cx, Kind, Status, TraceIds};
use futures::FutureExt;
use std::fmt;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

/// Undoes `completed` in reverse completion order, each once; a failing or
/// panicking rollback is recorded and the others still run. Returns the
/// compensations that failed (including those inside nested workflows).
/// Steps are taken from the end of `completed` one at a time, so if this
/// future is dropped, the steps not yet compensated are still there.
pub(super) async fn all(completed: &mut Vec<Completed>) -> Vec<CompensationFailure> {
    let mut failures = Vec::new();
    while let Some(step) = completed.pop() {
        let (record, nested) = one(step).await;
        failures.extend(nested);
        if record.status == Status::Failed {
            failures.push(CompensationFailure::of(&record));
        }
    }
    failures
}

async fn one(step: Completed) -> (Arc<Record>, Vec<CompensationFailure>) {
    let Completed {
        record: undone,
        tags,
        context,
        undo,
    } = step;
    let link = match (&undone.trace_id, &undone.span_id) {
        (Some(trace_id), Some(span_id)) => {
            Some(Box::new(TraceIds::new(trace_id.clone(), span_id.clone())))
        }
        _ => None,
    };
    let spec = Spec {
        task: undone.task.clone(),
        kind: Kind::Rollback,
        tags,
        compensates: Some(undone.tid),
        link,
    };
    let pending = exec::begin(spec, || undone.input.clone());
    let execution = pending.get();
    let mut cx = Cx::new(execution, context);
    cx.compensating = true;
    let undone_by = exec::within(
        execution,
        AssertUnwindSafe(undo.undo(&mut cx)).catch_unwind(),
    )
    .await;
    let mut nested = Vec::new();
    let ending = match undone_by {
        Ok(Ok(())) => Ending::success(),
        Ok(Err(error)) => {
            let ending = rollback_error(&*error);
            if let Ok(inner) = error.downcast::<NestedFailures>() {
                nested = inner.0;
            }
            ending
        }
        Err(payload) => Ending::panicked(&*payload),
    };
    (pending.finish(ending).record, nested)
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
