//! The steps of a workflow, type-erased: a task read from the context, or a
//! nested workflow. A completed step keeps what it needs to be undone.

use super::progress::Progress;
use super::run::{Engine, WorkflowUnit};
use super::showing::Showing;
use super::{Workflow, compensate, merge};
use crate::chain::shared::SharedRecord;
use crate::contain::{self, Plugin};
use crate::exec::{self, Ending, Executable, Spec, Start};
use crate::input::{self, FieldErrors, Parsed};
use crate::ledger::Record;
use crate::middleware::Subject;
use crate::task::TaskUnit;
use crate::{BoxError, Context, Cx, Fault, Halt, Runtime, Settings, Status, Task};
use futures::future::BoxFuture;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use std::any::Any;
use std::borrow::Cow;
use std::marker::PhantomData;
use std::sync::{Arc, Mutex};

/// One step of a group.
pub(super) trait Step: Send + Sync {
    fn name(&self) -> &str;

    /// Executes the step with its inputs read from `context`.
    fn run<'a>(&'a self, context: &'a Context) -> BoxFuture<'a, StepRun>;

    /// Writes the `skipped` line of a step whose group's condition was false.
    fn skip(&self, context: &Context, reason: &str) -> SharedRecord;

    /// Shows `context` in the workflow's view as this step's line would:
    /// its inputs as its task reads them (coerced,
    /// [`Secret`](crate::Secret) fields redacted), and the keys its task
    /// leaves out of its line.
    fn show(&self, context: &Value, showing: &mut Showing);
}

/// What one executed step left: its record, what it adds to the context,
/// when it failed its [`Fault`] (origin and typed error, for the workflow's
/// own failure), and — when it completed — how to undo it.
pub(super) struct StepRun {
    pub(super) record: SharedRecord,
    pub(super) output: Map<String, Value>,
    pub(super) fault: Option<Fault>,
    pub(super) completed: Option<Completed>,
}

/// A completed step, kept until the workflow ends so it can be compensated
/// (with the context it read: see [`Progress`]).
pub(super) struct Completed {
    pub(super) record: SharedRecord,
    pub(super) tags: &'static [&'static str],
    /// A task step's is the task it executed (no allocation of its own).
    pub(super) undo: Arc<dyn Undo>,
}

/// Undoes one completed step; consumed, so it runs at most once.
pub(super) trait Undo: Send + Sync {
    fn undo(self: Arc<Self>, cx: &mut Cx) -> BoxFuture<'_, Result<(), BoxError>>;

    /// The undone task's settings (its rollback's time limit), or `None`
    /// when the undo is not bounded as a whole (a nested workflow: each of
    /// its steps' compensations is).
    fn settings(&self) -> Option<fn() -> Settings>;
}

/// A task step: `T` built from the context for every execution.
pub(super) struct TaskStep<T>(PhantomData<fn() -> T>);

impl<T> TaskStep<T> {
    pub(super) fn new() -> Self {
        Self(PhantomData)
    }
}

impl<T> Step for TaskStep<T>
where
    T: Task + DeserializeOwned,
    T::Output: Serialize,
{
    fn name(&self) -> &str {
        crate::task::name_of::<T>().0
    }

    fn run<'a>(&'a self, context: &'a Context) -> BoxFuture<'a, StepRun> {
        Box::pin(async move {
            let task = match input::parse::<T>(Cow::Borrowed(context.as_value())) {
                Parsed::Valid(task) => task,
                Parsed::Invalid { errors, input } => {
                    let start = Start::invalid(errors, input);
                    let outcome = exec::execute(TaskUnit::<T>(None), start).await;
                    let fault = outcome.fault();
                    let (record, _) = outcome.into_record_and_value();
                    return StepRun {
                        record,
                        output: Map::new(),
                        fault,
                        completed: None,
                    };
                }
            };
            let start = Start {
                context: context.clone(),
                ..Start::default()
            };
            // Shared (not moved) with the step's middleware: the workflow
            // keeps the task for compensation.
            let task = Arc::new(task);
            // This future is boxed (`BoxFuture`): the engine's state can
            // live in that box instead of one of its own.
            let outcome = exec::inline(Borrowed(&task), start).await;
            let fault = outcome.fault();
            let (record, value) = outcome.into_record_and_value();
            let output = value.map_or_else(Map::new, |value| output_of(&record, value));
            let completed = (record.status == Status::Success).then(|| Completed {
                record: record.clone(),
                tags: T::TAGS,
                undo: task,
            });
            StepRun {
                record,
                output,
                fault,
                completed,
            }
        })
    }

    fn skip(&self, context: &Context, reason: &str) -> SharedRecord {
        // The task's settings hold for its skipped line too: exclusions,
        // ledger level.
        let settings = contain::catch(Plugin::Settings, T::settings);
        skipped_line(
            TaskUnit::<T>(None).spec(),
            settings.as_ref(),
            || input::to_raw(&input::view::<T>(context.as_value())?),
            reason,
        )
    }

    fn show(&self, context: &Value, showing: &mut Showing) {
        let excluded = contain::catch(Plugin::Settings, T::settings)
            .map(|settings| settings.exclude)
            .ok();
        showing.task::<T>(context, excluded);
    }
}

/// The line of a step skipped by its condition, under the step's settings
/// (exclusions, ledger level); settings that panicked are reported on it.
pub(super) fn skipped_line(
    spec: Spec,
    settings: Result<&Settings, &crate::contain::Panicked>,
    input: impl FnOnce() -> Option<Box<RawValue>>,
    reason: &str,
) -> SharedRecord {
    let pending = exec::begin_with(spec, settings.unwrap_or(&crate::settings::NONE), input);
    if let Err(panicked) = settings {
        pending.get().report(panicked);
    }
    pending
        .finish(Ending::with_status(
            Status::Skipped,
            Some(reason.to_owned()),
        ))
        .record
}

/// What a successful step's output adds to the context. An output that is
/// JSON already (a `serde_json::Value` or `Map`) is moved in as it is;
/// any other is serialized, and its `Serialize` impl is a plug-in: if it
/// fails or panics, nothing is merged (a panic is reported about the
/// step's execution).
fn output_of<O: Serialize + 'static>(record: &Record, value: O) -> Map<String, Value> {
    let mut value = Some(value);
    let any: &mut dyn Any = &mut value;
    if let Some(json) = any.downcast_mut::<Option<Value>>() {
        return merge::output_map(&record.task, json.take().unwrap_or_default());
    }
    if let Some(map) = any.downcast_mut::<Option<Map<String, Value>>>() {
        return map.take().unwrap_or_default();
    }
    let ids = (record.cid, record.tid, record.index);
    // `Some(output)` serializes as the output itself.
    let serialize = || serde_json::to_value(value);
    let global = Runtime::current();
    match global
        .config()
        .contain(Plugin::Serialize, &record.task, ids, serialize)
    {
        Ok(Ok(output)) => merge::output_map(&record.task, output),
        _ => Map::new(),
    }
}

/// A task executed by reference, so the workflow keeps it for compensation.
struct Borrowed<'t, T>(&'t Arc<T>);

impl<T: Task> Executable for Borrowed<'_, T> {
    type Output = T::Output;

    fn spec(&self) -> Spec {
        TaskUnit::<T>(None).spec()
    }

    fn input_json(&self) -> Option<Box<RawValue>> {
        input::to_raw(&**self.0)
    }

    fn output_json(&self, output: &T::Output) -> Option<Box<RawValue>> {
        input::to_raw(output)
    }

    /// The task's own settings: a step runs like the task alone.
    fn settings(&self) -> Settings {
        T::settings()
    }

    fn task_any(&self) -> Option<&(dyn Any + Send + Sync)> {
        Some(&**self.0)
    }

    fn share(&mut self) -> Option<Arc<dyn Subject>> {
        Some(self.0.clone() as Arc<dyn Subject>)
    }

    fn validate(&self) -> Result<(), FieldErrors> {
        // `input::parse` validated it already, on the way in.
        Ok(())
    }

    async fn work(&self, cx: &mut Cx) -> Result<T::Output, Halt> {
        self.0.work(cx).await
    }

    async fn rollback(&self, cx: &mut Cx) -> Result<(), BoxError> {
        self.0.rollback(cx).await
    }
}

/// A completed task step is undone by its task's `rollback`.
impl<T: Task> Undo for T {
    fn undo(self: Arc<Self>, cx: &mut Cx) -> BoxFuture<'_, Result<(), BoxError>> {
        Box::pin(async move { self.rollback(cx).await })
    }

    fn settings(&self) -> Option<fn() -> Settings> {
        Some(T::settings)
    }
}

/// A nested workflow as one step.
pub(super) struct WorkflowStep(Workflow);

impl WorkflowStep {
    pub(super) fn new(inner: Workflow) -> Self {
        Self(inner)
    }
}

impl Step for WorkflowStep {
    fn name(&self) -> &str {
        self.0.name()
    }

    fn run<'a>(&'a self, context: &'a Context) -> BoxFuture<'a, StepRun> {
        Box::pin(async move {
            let inner = Arc::new(Mutex::new(Progress::default()));
            let engine = Engine::handing_progress_to(inner.clone());
            let unit = WorkflowUnit::with_engine(self.0.clone(), context.clone(), engine);
            let outcome = unit.execute(Start::default()).await;
            nested_run(outcome, context, self.0.inner.tags, &inner)
        })
    }

    fn skip(&self, context: &Context, reason: &str) -> SharedRecord {
        let unit = WorkflowUnit::new(self.0.clone(), Context::new());
        let pending = exec::begin_with(unit.spec(), &self.0.inner.settings, || {
            input::to_raw(&self.0.shows(context.as_value(), Map::new()).view)
        });
        pending
            .finish(Ending::with_status(
                Status::Skipped,
                Some(reason.to_owned()),
            ))
            .record
    }

    fn show(&self, context: &Value, showing: &mut Showing) {
        showing.step(self.0.shows(context, Map::new()));
    }
}

/// What a nested workflow's execution leaves as a step: what it changed
/// since `before` (the context it started from), and on success its own
/// progress (taken from `inner`: its completed steps) to undo later.
pub(super) fn nested_run(
    outcome: crate::Outcome<Context>,
    before: &Context,
    tags: &'static [&'static str],
    inner: &Mutex<Progress>,
) -> StepRun {
    let fault = outcome.fault();
    let (record, value) = outcome.into_record_and_value();
    let output = value.map_or_else(Map::new, |after| merge::changes(before, &after));
    let completed = (record.status == Status::Success).then(|| {
        let progress = std::mem::take(
            &mut *inner
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner()),
        );
        Completed {
            record: record.clone(),
            tags,
            undo: Arc::new(NestedUndo(Mutex::new(progress))),
        }
    });
    StepRun {
        record,
        output,
        fault,
        completed,
    }
}

/// Undoing a completed nested workflow: its own completed steps, in
/// reverse completion order, as children of its compensation (each with
/// the nested workflow's context it read).
struct NestedUndo(Mutex<Progress>);

impl Undo for NestedUndo {
    fn undo(self: Arc<Self>, _: &mut Cx) -> BoxFuture<'_, Result<(), BoxError>> {
        let mut progress = std::mem::take(&mut *self.0.lock().unwrap_or_else(|p| p.into_inner()));
        Box::pin(async move {
            let failures = compensate::all(&mut progress).await;
            if failures.is_empty() {
                Ok(())
            } else {
                Err(Box::new(compensate::NestedFailures(failures)) as BoxError)
            }
        })
    }

    fn settings(&self) -> Option<fn() -> Settings> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::a_record;
    use crate::workflow::merge::tests::object;
    use serde_json::json;

    #[derive(Serialize)]
    struct Typed {
        sku: &'static str,
    }

    struct Refuses;

    impl Serialize for Refuses {
        fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
            Err(serde::ser::Error::custom("no"))
        }
    }

    #[derive(Debug, Serialize, serde::Deserialize, garde::Validate)]
    struct Plain {
        #[garde(skip)]
        n: i64,
    }

    impl Task for Plain {
        type Output = ();
        fn name() -> &'static str {
            "Plain"
        }
        async fn work(&self, _: &mut Cx) -> Result<(), crate::Halt> {
            Ok(())
        }
    }

    #[test]
    fn a_steps_future_holds_its_executions_state_in_one_allocation_under_a_kib() {
        // The engine's state lives in the step's own box (`exec::inline`),
        // which glibc serves from its per-thread cache up to 1,032 bytes.
        let (step, context) = (TaskStep::<Plain>::new(), Context::new());
        let future = step.run(&context);
        let size = size_of_val(&*future);
        // Boxed apart, the engine's state would leave the step's future
        // about a hundred bytes.
        assert!(
            (500..=1000).contains(&size),
            "a step's future is {size} bytes"
        );
    }

    #[test]
    fn json_outputs_merge_as_they_are_and_others_as_they_serialize() {
        let record = a_record(0);
        let merged = |map: Map<String, Value>| Value::Object(map);
        assert_eq!(merged(output_of(&record, json!({"a": 1}))), json!({"a": 1}));
        assert_eq!(merged(output_of(&record, json!(7))), json!({"T": 7}));
        assert_eq!(merged(output_of(&record, Value::Null)), json!({}));
        let map = object(json!({"b": [1, 2]}));
        assert_eq!(merged(output_of(&record, map)), json!({"b": [1, 2]}));
        let typed = Typed { sku: "SKU-1" };
        assert_eq!(merged(output_of(&record, typed)), json!({"sku": "SKU-1"}));
        assert_eq!(merged(output_of(&record, Some(3))), json!({"T": 3}));
        assert_eq!(merged(output_of(&record, ())), json!({}));
        assert_eq!(merged(output_of(&record, Refuses)), json!({}));
    }
}
