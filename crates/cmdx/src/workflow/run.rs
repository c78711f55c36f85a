//! The engine: a workflow as an executable whose `work` runs its groups in
//! declaration order, and halts — compensating completed steps on failure —
//! when a step ends with a breakpoint status.

use super::progress::Progress;
use super::report::{self, CompensationFailure, StepReport};
use super::saga::{AfterLine, Leftover, Saga};
use super::step::StepRun;
use super::{Group, Merge, Workflow, compensate, merge, showing};
use crate::contain::{Panicked, Plugin};
use crate::exec::{self, Executable, Spec, Start};
use crate::input::{self, FieldErrors};
use crate::{BoxError, Context, Cx, Halt, Kind, Outcome, Settings, Status};
use futures::StreamExt;
use futures::stream::FuturesUnordered;
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::future::Future;
use std::sync::{Arc, Mutex};

/// The reason on the line of a step whose group's condition was false.
pub(super) const CONDITION_FALSE: &str = "condition was false";

/// One execution of a workflow.
pub(super) struct WorkflowUnit {
    workflow: Workflow,
    input: Context,
    engine: Engine,
}

/// What every workflow execution (untyped or typed) needs around its
/// groups.
#[derive(Default)]
pub(super) struct Engine {
    /// Where a nested workflow hands its progress (its completed steps) on
    /// success, so the enclosing workflow can compensate them later.
    progress_sink: Option<Arc<Mutex<Progress>>>,
    /// Where the saga leaves its steps when the workflow is dropped.
    pub(super) leftover: Leftover,
}

impl Engine {
    /// Whether this engine runs a workflow nested in another (as a step).
    pub(super) fn is_nested(&self) -> bool {
        self.progress_sink.is_some()
    }

    pub(super) fn handing_progress_to(sink: Arc<Mutex<Progress>>) -> Self {
        Self {
            progress_sink: Some(sink),
            leftover: Leftover::default(),
        }
    }

    /// Runs `workflow`'s groups in order over a copy of `input`.
    pub(super) async fn run(
        &self,
        workflow: &Workflow,
        input: &Context,
        cx: &Cx,
    ) -> Result<Context, Halt> {
        let mut saga = Saga::new(Progress::new(input.clone()), self.leftover.clone());
        let progress = &mut saga.progress;
        for group in &workflow.inner.groups {
            // A condition is a plug-in: if it panics, whether the group
            // should run is unknown, and the workflow fails.
            let context = progress.context();
            match contain(cx, Plugin::Condition, || group.condition_holds(context)) {
                Ok(true) => {}
                Ok(false) => {
                    for step in &group.steps {
                        step.skip(context, CONDITION_FALSE);
                    }
                    continue;
                }
                Err(panicked) => {
                    let reason = format!(
                        "a condition of the group of {} panicked: {}",
                        step_names(group),
                        panicked.message
                    );
                    let failure = plugin_failure(reason, "condition_panicked", &panicked);
                    return Err(Box::pin(compensated(failure, progress)).await);
                }
            }
            let breakpoints = group
                .breakpoints
                .as_deref()
                .unwrap_or(&workflow.inner.breakpoints);
            let halted = match group.concurrency {
                None => sequential(cx, group, breakpoints, progress).await,
                Some(limit) => parallel(cx, group, limit, breakpoints, progress).await,
            };
            // Halting and compensating are boxed: only a failure needs
            // them, and inline they would triple this future.
            match halted {
                Ok(None) => {}
                Ok(Some(halted)) => return Err(Box::pin(halt(halted, progress)).await),
                Err(failure) => return Err(Box::pin(compensated(failure, progress)).await),
            }
        }
        // Success: nothing to compensate here. A nested workflow hands its
        // completed steps on, in case the enclosing workflow fails later.
        let progress = std::mem::take(progress);
        match &self.progress_sink {
            Some(sink) => {
                let context = progress.context().clone();
                *sink.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = progress;
                Ok(context)
            }
            None => Ok(progress.into_context()),
        }
    }
}

/// Executes a workflow (`unit` runs it with `engine`); if this future is
/// dropped mid-run, the completed steps are compensated in the background
/// *after* the workflow's own `cancelled` line (the [`AfterLine`] guard
/// outlives the execution).
pub(super) async fn execute<E>(unit: E, leftover: Leftover, start: Start) -> Outcome<Context>
where
    E: Executable<Output = Context>,
{
    let after = AfterLine(leftover);
    let outcome = exec::execute(unit, start).await;
    drop(after);
    outcome
}

impl WorkflowUnit {
    pub(super) fn new(workflow: Workflow, input: Context) -> Self {
        Self::with_engine(workflow, input, Engine::default())
    }

    pub(super) fn with_engine(workflow: Workflow, input: Context, engine: Engine) -> Self {
        Self {
            workflow,
            input,
            engine,
        }
    }

    /// Executes this workflow.
    pub(super) fn execute(self, start: Start) -> impl Future<Output = Outcome<Context>> + Send {
        let leftover = self.engine.leftover.clone();
        execute(self, leftover, start)
    }
}

/// The spec of a workflow's line.
pub(super) fn spec(name: Cow<'static, str>, tags: &'static [&'static str]) -> Spec {
    Spec {
        task: name,
        kind: Kind::Workflow,
        tags,
        compensates: None,
        link: None,
        panicked: None,
    }
}

impl Executable for WorkflowUnit {
    type Output = Context;

    fn spec(&self) -> Spec {
        let inner = &self.workflow.inner;
        spec(inner.name.clone(), inner.tags)
    }

    /// The input context as the steps' lines show it: secrets redacted,
    /// excluded keys left out; a nested workflow's, only the keys its
    /// steps read.
    fn input_json(&self) -> Option<Box<RawValue>> {
        let context = self.input.as_value();
        let start = if self.engine.is_nested() {
            Map::new()
        } else {
            showing::given(context)
        };
        input::to_raw(&self.workflow.shows(context, start).view)
    }

    /// The final context as the steps' lines would show it, like the input;
    /// a nested workflow's, the keys its steps read and the keys it changed.
    fn output_json(&self, output: &Context) -> Option<Box<RawValue>> {
        let start = if self.engine.is_nested() {
            merge::changes(&self.input, output)
        } else {
            showing::given(output.as_value())
        };
        input::to_raw(&self.workflow.shows(output.as_value(), start).view)
    }

    /// The workflow's own settings: the engine gives a workflow no retry
    /// and no time limit unless it sets them (never the runtime's task
    /// defaults, which its steps take).
    fn settings(&self) -> Settings {
        self.workflow.inner.settings.clone()
    }

    fn validate(&self) -> Result<(), FieldErrors> {
        Ok(())
    }

    /// The run is boxed: inline, it would take the workflow's engine
    /// state (`exec::inline`) past a KiB, which glibc does not serve from
    /// its per-thread cache.
    async fn work(&self, cx: &mut Cx) -> Result<Context, Halt> {
        Box::pin(self.engine.run(&self.workflow, &self.input, cx)).await
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

/// Runs the group's steps one after the other. `Err`: a custom merge
/// panicked (the workflow fails; the step it merged is completed).
async fn sequential(
    cx: &Cx,
    group: &Group,
    breakpoints: &[Status],
    progress: &mut Progress,
) -> Result<Option<Halted>, Halt> {
    let mut runs = Vec::new();
    for step in &group.steps {
        let read = progress.mark();
        let mut run = step.run(progress.context()).await;
        match run.record.status {
            Status::Success => {
                if let Some(completed) = run.completed.take() {
                    progress.complete(completed, read);
                }
                merged(cx, &group.merge, progress, step.name(), run.output)?;
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
    Ok((!runs.is_empty()).then_some(Halted {
        runs,
        collected: group.continue_on_failure,
        not_started: Vec::new(),
    }))
}

/// Runs at most `limit` steps at once, all polled by this future (so they
/// stay in the workflow's tokio task, chain and span). A breakpoint stops
/// starting new steps unless `continue_on_failure`; started ones finish.
/// `Err`: a custom merge panicked.
async fn parallel(
    cx: &Cx,
    group: &Group,
    limit: usize,
    breakpoints: &[Status],
    progress: &mut Progress,
) -> Result<Option<Halted>, Halt> {
    // Every step reads the context as it was when the group started.
    let (base, read) = (progress.context().clone(), progress.mark());
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
            Status::Success => {
                if let Some(completed) = run.completed.take() {
                    progress.complete(completed, read);
                }
            }
            status if breakpoints.contains(&status) => stop |= !group.continue_on_failure,
            _ => {}
        }
        results[index] = Some(run);
    }
    let mut runs = Vec::new();
    for run in results.into_iter().flatten() {
        match run.record.status {
            Status::Success => merged(cx, &group.merge, progress, &run.record.task, run.output)?,
            status if breakpoints.contains(&status) => runs.push(run),
            _ => {}
        }
    }
    let not_started = steps[next..].iter().map(|s| s.name().to_owned()).collect();
    Ok((!runs.is_empty()).then_some(Halted {
        runs,
        collected: group.continue_on_failure,
        not_started,
    }))
}

/// Merges a step's output; a custom merge that panics fails the workflow
/// (the context may be half-merged). Only a custom merge is plug-in code
/// run under containment: the built-in ones do not panic.
fn merged(
    cx: &Cx,
    merge: &Merge,
    progress: &mut Progress,
    step: &str,
    output: Map<String, Value>,
) -> Result<(), Halt> {
    if !matches!(merge, Merge::Custom(_)) {
        progress.merge(merge, step, output);
        return Ok(());
    }
    let apply = || progress.merge(merge, step, output);
    contain(cx, Plugin::Merge, apply).map_err(|panicked| {
        let reason = format!(
            "merging the output of `{step}` panicked: {}",
            panicked.message
        );
        plugin_failure(reason, "merge_panicked", &panicked)
    })
}

/// Runs plug-in code (a condition, a merge) for the workflow's execution:
/// a panic is contained and reported.
fn contain<R>(cx: &Cx, plugin: Plugin, f: impl FnOnce() -> R) -> Result<R, Panicked> {
    let ids = (cx.chain_id(), cx.tid(), cx.index());
    cx.runtime()
        .config()
        .contain(plugin, cx.task_name(), ids, f)
}

/// The workflow's failure when one of its plug-ins panicked.
fn plugin_failure(reason: String, code: &str, panicked: &Panicked) -> Halt {
    Halt::fail(reason)
        .code(code)
        .caused_by(format!("panicked: {}", panicked.message))
}

/// `` `A`, `B` ``: the steps of a group, for a reason.
fn step_names(group: &Group) -> String {
    let names: Vec<String> = group
        .steps
        .iter()
        .map(|s| format!("`{}`", s.name()))
        .collect();
    names.join(", ")
}

/// Compensates the completed steps after a failure that is no step's
/// (a panicking condition or merge), noting failed compensations.
async fn compensated(failure: Halt, progress: &mut Progress) -> Halt {
    let failed = compensate::all(progress).await;
    let mut failure = failure;
    if !failed.is_empty() {
        failure
            .0
            .framework
            .insert(report::COMPENSATION_FAILURES.into(), to_value(failed));
    }
    failure
}

/// The workflow's halt: the first halting step's status, reason, code,
/// metadata, cause and origin, plus what the workflow knows about the
/// others (in `errors` and `framework`: the step's own metadata keys are
/// never overwritten). On a failure, completed steps are compensated first.
async fn halt(halted: Halted, progress: &mut Progress) -> Halt {
    let first = halted.runs[0].record.clone();
    let fault = halted.runs[0].fault.clone();
    let mut framework = first.framework.clone();
    let mut errors = Map::new();
    let considered = if halted.collected {
        &halted.runs[..]
    } else {
        &halted.runs[..1]
    };
    for run in considered {
        collect_errors(&run.record, halted.collected, &mut errors);
    }
    framework.insert(report::HALTED_BY.into(), to_value(StepReport::of(&first)));
    if halted.collected {
        let failures: Vec<StepReport> = halted
            .runs
            .iter()
            .map(|r| StepReport::of(&r.record))
            .collect();
        framework.insert(report::FAILURES.into(), to_value(failures));
    }
    if !halted.not_started.is_empty() {
        framework.insert(report::NOT_STARTED.into(), to_value(&halted.not_started));
    }
    if first.status != Status::Failed {
        // A halt that is not a failure (a skip breakpoint) undoes nothing.
        progress.forget_completed();
    } else {
        let failed = compensate::all(progress).await;
        if !failed.is_empty() {
            let mut all: Vec<CompensationFailure> = framework
                .get(report::COMPENSATION_FAILURES)
                .and_then(|inner| serde_json::from_value(inner.clone()).ok())
                .unwrap_or_default();
            all.extend(failed);
            framework.insert(report::COMPENSATION_FAILURES.into(), to_value(all));
        }
    }
    let mut halt = match first.status {
        Status::Skipped => Halt::skip(""),
        _ => Halt::fail(""),
    };
    halt.0.reason = first.reason.clone();
    halt.0.code = first.code.clone();
    halt.0.errors = (!errors.is_empty()).then_some(errors);
    halt.0.metadata = first.metadata.clone();
    halt.0.framework = framework;
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
    let field_errors = record.errors.as_ref();
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_workflows_engine_state_stays_under_a_kib() {
        // As a task's (`exec::size`): glibc serves up to 1,032 bytes from
        // its per-thread cache. The workflow's run is boxed apart, and so
        // is its compensation inside it (only a failure needs it).
        let unit = WorkflowUnit::new(Workflow::new("Flow"), Context::new());
        let state = size_of_val(&exec::inline(unit, Start::default()));
        assert!(state <= 1000, "a workflow's engine state is {state} bytes");
        let (workflow, input, cx) = (Workflow::new("Flow"), Context::new(), a_cx());
        let engine = Engine::default();
        let run = engine.run(&workflow, &input, &cx);
        assert!(
            size_of_val(&run) <= 600,
            "its run is {} bytes",
            size_of_val(&run)
        );
    }

    fn a_cx() -> Cx {
        let runtime = crate::Runtime::builder().build();
        let chain = crate::chain::scope::ChainState::started_by_root(uuid::Uuid::now_v7(), runtime);
        Cx::new(
            Arc::new(chain),
            "Flow".into(),
            (uuid::Uuid::now_v7(), 0),
            Context::new(),
        )
    }
}
