//! The engine: a workflow as an executable whose `work` runs its groups in
//! declaration order, and halts — compensating completed steps on failure —
//! when a step ends with a breakpoint status.

use super::report::{self, CompensationFailure, StepReport};
use super::saga::Saga;
use super::step::{Completed, StepRun};
use super::{Group, Workflow, compensate, merge};
use crate::exec::{Executable, Spec};
use crate::input::{self, FieldErrors};
use crate::{BoxError, Context, Cx, Halt, Kind, Status};
use futures::StreamExt;
use futures::stream::FuturesUnordered;
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use std::sync::{Arc, Mutex};

/// The reason on the line of a step whose group's condition was false.
pub(super) const CONDITION_FALSE: &str = "condition was false";

/// One execution of a workflow.
pub(super) struct WorkflowUnit<'w> {
    workflow: &'w Workflow,
    input: Context,
    /// Where a nested workflow hands its completed steps on success, so the
    /// enclosing workflow can compensate them later.
    completed_sink: Option<Arc<Mutex<Vec<Completed>>>>,
}

impl<'w> WorkflowUnit<'w> {
    pub(super) fn new(workflow: &'w Workflow, input: Context) -> Self {
        Self {
            workflow,
            input,
            completed_sink: None,
        }
    }

    pub(super) fn handing_completed_to(mut self, sink: Arc<Mutex<Vec<Completed>>>) -> Self {
        self.completed_sink = Some(sink);
        self
    }

    async fn run(&self) -> Result<Context, Halt> {
        let mut context = self.input.clone();
        let mut saga = Saga::new();
        let completed = &mut saga.completed;
        for group in &self.workflow.groups {
            if !group.condition_holds(&context) {
                for step in &group.steps {
                    step.skip(&context, CONDITION_FALSE);
                }
                continue;
            }
            let breakpoints = group
                .breakpoints
                .as_deref()
                .unwrap_or(&self.workflow.breakpoints);
            let halted = match group.concurrency {
                None => sequential(group, breakpoints, &mut context, completed).await,
                Some(limit) => parallel(group, limit, breakpoints, &mut context, completed).await,
            };
            if let Some(halted) = halted {
                return Err(halt(halted, completed).await);
            }
        }
        // Success: nothing to compensate here. A nested workflow hands its
        // completed steps on, in case the enclosing workflow fails later.
        let completed = std::mem::take(completed);
        if let Some(sink) = &self.completed_sink {
            *sink.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = completed;
        }
        Ok(context)
    }
}

impl Executable for WorkflowUnit<'_> {
    type Output = Context;

    fn spec(&self) -> Spec {
        Spec {
            task: self.workflow.name.clone(),
            kind: Kind::Workflow,
            tags: self.workflow.tags,
            compensates: None,
            link: None,
        }
    }

    fn input_json(&self) -> Option<Box<RawValue>> {
        input::to_raw(&self.input)
    }

    fn validate(&self) -> Result<(), FieldErrors> {
        Ok(())
    }

    async fn work(&self, _: &mut Cx) -> Result<Context, Halt> {
        self.run().await
    }

    /// Compensation happens in `work`, before the failure is returned, so
    /// its failures can be reported on the outcome.
    async fn rollback(&self, _: &mut Cx) -> Result<(), BoxError> {
        Ok(())
    }
}

/// Why a group halted the workflow.
struct Halted {
    /// The runs that hit a breakpoint, in declaration order.
    runs: Vec<StepRun>,
    /// Whether the group collected every failure (`continue_on_failure`).
    collected: bool,
    /// Parallel steps cancelled before they started.
    not_started: Vec<String>,
}

async fn sequential(
    group: &Group,
    breakpoints: &[Status],
    context: &mut Context,
    completed: &mut Vec<Completed>,
) -> Option<Halted> {
    let mut runs = Vec::new();
    for step in &group.steps {
        let mut run = step.run(context).await;
        match run.record.status {
            Status::Success => {
                merge::apply(&group.merge, context, step.name(), &run.output);
                completed.extend(run.completed.take());
            }
            status if breakpoints.contains(&status) => {
                runs.push(run);
                if !group.continue_on_failure {
                    break;
                }
            }
            _ => {}
        }
    }
    (!runs.is_empty()).then_some(Halted {
        runs,
        collected: group.continue_on_failure,
        not_started: Vec::new(),
    })
}

/// Runs at most `limit` steps at once, all polled by this future (so they
/// stay in the workflow's tokio task, chain and span). A breakpoint stops
/// starting new steps unless `continue_on_failure`; started ones finish.
async fn parallel(
    group: &Group,
    limit: usize,
    breakpoints: &[Status],
    context: &mut Context,
    completed: &mut Vec<Completed>,
) -> Option<Halted> {
    let base = context.clone();
    let steps = &group.steps;
    let mut results: Vec<Option<StepRun>> = steps.iter().map(|_| None).collect();
    let mut running = FuturesUnordered::new();
    let mut next = 0;
    let mut stop = false;
    loop {
        while !stop && next < steps.len() && running.len() < limit {
            let (index, step, base) = (next, &steps[next], &base);
            running.push(async move { (index, step.run(base).await) });
            next += 1;
        }
        let Some((index, mut run)) = running.next().await else {
            break;
        };
        match run.record.status {
            // Completion order: compensation runs in its reverse.
            Status::Success => completed.extend(run.completed.take()),
            status if breakpoints.contains(&status) => stop |= !group.continue_on_failure,
            _ => {}
        }
        results[index] = Some(run);
    }
    let mut runs = Vec::new();
    for run in results.into_iter().flatten() {
        match run.record.status {
            Status::Success => merge::apply(&group.merge, context, &run.record.task, &run.output),
            status if breakpoints.contains(&status) => runs.push(run),
            _ => {}
        }
    }
    let not_started = steps[next..].iter().map(|s| s.name().to_owned()).collect();
    (!runs.is_empty()).then_some(Halted {
        runs,
        collected: group.continue_on_failure,
        not_started,
    })
}

/// The workflow's halt: the first halting step's status, reason, metadata,
/// cause and origin, plus what the workflow knows about the others. On a
/// failure, completed steps are compensated first.
async fn halt(halted: Halted, completed: &mut Vec<Completed>) -> Halt {
    let first = halted.runs[0].record.clone();
    let fault = halted.runs[0].fault.clone();
    let mut metadata = first.metadata.clone();
    let mut errors = Map::new();
    let considered = if halted.collected {
        &halted.runs[..]
    } else {
        &halted.runs[..1]
    };
    for run in considered {
        collect_errors(&run.record, halted.collected, &mut errors);
    }
    if !errors.is_empty() {
        metadata.insert("errors".into(), Value::Object(errors));
    }
    metadata.insert(report::HALTED_BY.into(), to_value(StepReport::of(&first)));
    if halted.collected {
        let failures: Vec<StepReport> = halted
            .runs
            .iter()
            .map(|r| StepReport::of(&r.record))
            .collect();
        metadata.insert(report::FAILURES.into(), to_value(failures));
    }
    if !halted.not_started.is_empty() {
        metadata.insert(report::NOT_STARTED.into(), to_value(&halted.not_started));
    }
    if first.status != Status::Failed {
        // A halt that is not a failure (a skip breakpoint) undoes nothing.
        completed.clear();
    } else {
        let failed = compensate::all(completed).await;
        if !failed.is_empty() {
            let mut all: Vec<CompensationFailure> = metadata
                .get(report::COMPENSATION_FAILURES)
                .and_then(|inner| serde_json::from_value(inner.clone()).ok())
                .unwrap_or_default();
            all.extend(failed);
            metadata.insert(report::COMPENSATION_FAILURES.into(), to_value(all));
        }
    }
    let mut halt = match first.status {
        Status::Skipped => Halt::skip(""),
        _ => Halt::fail(""),
    };
    halt.0.reason = first.reason.clone();
    halt.0.metadata = metadata;
    halt.0.cause = first.cause.clone();
    // A failed step's origin and error travel up as a `?` on its `Fault`
    // would carry them: the workflow's error is the step's fault.
    if let Some(fault) = fault {
        halt.0.origin = Some(fault.origin_record().clone());
        halt.0.error = Some(Box::new(fault));
    }
    halt
}

/// A step's field errors keyed `"Task.field"` (a nested workflow's are
/// already keyed by its steps); when collecting, a failure without field
/// errors adds `"Task.<status>"` with its reason.
fn collect_errors(record: &crate::Record, collecting: bool, into: &mut Map<String, Value>) {
    let field_errors = record.metadata.get("errors").and_then(Value::as_object);
    match field_errors {
        Some(fields) => {
            for (field, messages) in fields {
                let key = match record.kind {
                    Kind::Workflow => field.clone(),
                    _ => format!("{}.{field}", record.task),
                };
                into.insert(key, messages.clone());
            }
        }
        None if collecting => {
            let key = format!("{}.{}", record.task, record.status);
            let reason = record.reason.clone().unwrap_or_default();
            match into.get_mut(&key).and_then(Value::as_array_mut) {
                Some(messages) => messages.push(reason.into()),
                None => {
                    into.insert(key, Value::from(vec![reason]));
                }
            }
        }
        None => {}
    }
}

fn to_value(value: impl serde::Serialize) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}
