//! [`Workflow`]: tasks composed into one execution over a shared [`Context`],
//! with breakpoints, conditions, parallel groups and saga compensation.
//!
//! The pieces:
//! * this file: the builder and the ways to execute.
//! * `flow`: [`Flow`], a workflow over a typed, validated input, and its
//!   entry points ([`FlowExt`]).
//! * `group`: [`Group`], the unit of declaration (one or more steps sharing
//!   options), and [`Merge`], how parallel results fold back.
//! * `step`: the private, type-erased steps (a task, a nested workflow).
//! * `showing`: how a workflow's line shows its context, step by step.
//! * `run`: the engine — the workflow as an executable, groups in order.
//! * `compensate`: undoing completed steps, one `rollback` line each.
//! * `saga`: holding completed steps, compensating them even when the
//!   workflow's future is dropped.
//! * `report`: what a workflow's outcome says about its steps
//!   ([`WorkflowOutcomeExt`]).

mod compensate;
mod flow;
mod group;
mod merge;
mod progress;
mod report;
mod run;
mod saga;
mod showing;
mod step;

pub use flow::{Flow, FlowExt};
pub use group::{Condition, Group, Merge};
pub use report::{CompensationFailure, StepReport, WorkflowOutcomeExt};

use crate::exec::Start;
use crate::{Context, Fault, Outcome, Settings, Status, Task};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::borrow::Cow;
use std::fmt;
use std::future::Future;
use std::sync::Arc;

/// Tasks composed into one execution: steps run in declaration order over
/// one shared [`Context`], and a failure compensates every completed step
/// in reverse completion order.
///
/// A workflow is task-like: executing it writes its own ledger line
/// (`"kind":"workflow"`) and span, and its steps' lines join its chain as its
/// children. It nests inside other workflows ([`Workflow::workflow`]) and
/// inside a plain task's `work` (await [`Workflow::execute`] there).
///
/// Each step reads its inputs from the context, with the coercion and
/// all-fields validation of [`TaskExt::execute_json`](crate::TaskExt::execute_json); a successful step's
/// output is merged back: an output that serializes to an object has its
/// keys merged, `()` (null) adds nothing, any other value is stored under
/// the step's task name.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use cmdx::prelude::*;
/// use cmdx::{Ledger, Runtime, Workflow};
///
/// #[derive(Debug, Serialize, Deserialize, Validate)]
/// struct Reserve {
///     #[garde(length(min = 1))]
///     sku: String,
///     #[garde(range(min = 1))]
///     quantity: i64,
/// }
///
/// #[derive(Serialize)]
/// struct Reservation {
///     reservation_id: i64,
/// }
///
/// impl Task for Reserve {
///     type Output = Reservation;
///     fn name() -> &'static str {
///         "Reserve"
///     }
///     async fn work(&self, _: &mut Cx) -> Result<Reservation, Halt> {
///         Ok(Reservation { reservation_id: 7 })
///     }
/// }
///
/// #[derive(Debug, Serialize, Deserialize, Validate)]
/// struct Ship {
///     #[garde(range(min = 1))]
///     reservation_id: i64,
/// }
///
/// impl Task for Ship {
///     type Output = ();
///     fn name() -> &'static str {
///         "Ship"
///     }
///     async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
///         Ok(())
///     }
/// }
///
/// let process_order = Workflow::new("Inventory::ProcessOrder")
///     .step::<Reserve>()
///     .step::<Ship>();
///
/// let mut context = Context::new();
/// context.insert("sku", "SKU-1234");
/// context.insert("quantity", 5);
/// # Runtime::builder().ledger(Ledger::off()).build().scope(async {
/// let outcome = process_order.execute(context).await;
/// assert!(outcome.is_success());
/// assert_eq!(outcome.value().unwrap().get::<i64>("reservation_id"), Some(7));
/// # }).await;
/// # }
/// ```
///
/// Cloning is cheap (the declaration is shared), and [`execute`] borrows
/// nothing from the workflow: its future is `'static`, so it can be
/// spawned or raced without keeping the workflow alive.
///
/// [`execute`]: Workflow::execute
#[derive(Clone)]
#[must_use]
pub struct Workflow {
    inner: Arc<Declaration>,
}

/// What a workflow is made of, shared by its clones.
#[derive(Clone)]
struct Declaration {
    name: Cow<'static, str>,
    tags: &'static [&'static str],
    groups: Vec<Group>,
    breakpoints: Vec<Status>,
    settings: Settings,
}

impl Workflow {
    /// An empty workflow named `name` (the `task` of its ledger line).
    /// Breakpoints default to `[failed]`.
    pub fn new(name: impl Into<Cow<'static, str>>) -> Self {
        Self {
            inner: Arc::new(Declaration {
                name: name.into(),
                tags: &[],
                groups: Vec::new(),
                breakpoints: vec![Status::Failed],
                settings: Settings::new(),
            }),
        }
    }

    /// The declaration, to change it (copied first if a clone shares it).
    fn declaration(&mut self) -> &mut Declaration {
        Arc::make_mut(&mut self.inner)
    }

    /// Adds a step running task `T`, its inputs read from the context.
    pub fn step<T>(self) -> Self
    where
        T: Task + DeserializeOwned,
        T::Output: Serialize,
    {
        self.group(Group::new().task::<T>())
    }

    /// Adds a nested workflow as one step: it runs over a copy of this
    /// context, and what it changed is merged back.
    pub fn workflow(self, inner: Workflow) -> Self {
        self.group(Group::new().workflow(inner))
    }

    /// Adds a typed workflow ([`Flow`]) as one step: its input is read
    /// from this context (coerced and validated like a task step's; invalid
    /// input fails the step with code `invalid_input`), and what it added
    /// or changed is merged back.
    pub fn flow<F: Flow>(self) -> Self {
        self.group(Group::new().flow::<F>())
    }

    /// Adds a group: one or more steps sharing a condition, breakpoints, a
    /// strategy (sequential or parallel) and a merge strategy.
    pub fn group(mut self, group: Group) -> Self {
        self.declaration().groups.push(group);
        self
    }

    /// Which step statuses halt the workflow (default `[failed]`; `[]`
    /// never halts). A group may override them with [`Group::breakpoints`].
    pub fn breakpoints(mut self, statuses: impl IntoIterator<Item = Status>) -> Self {
        self.declaration().breakpoints = statuses.into_iter().collect();
        self
    }

    /// The workflow's own settings: middleware, hooks, ledger level,
    /// excluded inputs, deprecation, a retry policy and a time limit.
    ///
    /// Unlike a task, a workflow does not fall back to the runtime's retry
    /// policy or time limit: retrying a workflow re-runs every step (after
    /// compensating the completed ones), and a runtime limit meant for one
    /// task would cap the sum of all steps. It gets them only when asked
    /// for here. Each step runs with its own task's settings, as it would
    /// alone.
    pub fn settings(mut self, settings: Settings) -> Self {
        self.declaration().settings = settings;
        self
    }

    /// Tags written on the workflow's line and span.
    pub fn tags(mut self, tags: &'static [&'static str]) -> Self {
        self.declaration().tags = tags;
        self
    }

    /// The workflow's name.
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// Executes the workflow with `context` as its input, in the current
    /// chain (or a new one). The value on success is the final context.
    ///
    /// The future owns what it needs (a clone of the workflow, which is
    /// cheap): it is `'static` and `Send`, so it can be handed to
    /// [`cmdx::spawn`](crate::spawn) or raced in `tokio::select!` directly.
    pub fn execute<C: Into<Context>>(
        &self,
        context: C,
    ) -> impl Future<Output = Outcome<Context>> + Send + use<C> {
        run::WorkflowUnit::new(self.clone(), context.into()).execute(Start::default())
    }

    /// Executes the workflow; a failure is `Err(Fault)`, keeping the
    /// failure's origin (the deepest failing step).
    pub fn execute_strict<C: Into<Context>>(
        &self,
        context: C,
    ) -> impl Future<Output = Result<Outcome<Context>, Fault>> + Send + use<C> {
        let execution =
            run::WorkflowUnit::new(self.clone(), context.into()).execute(Start::default().strict());
        async move { execution.await.into_strict() }
    }

    /// Executes the workflow from untyped JSON. Its input must be an
    /// object; anything else fails the workflow as invalid input, before
    /// any step runs.
    pub fn execute_json(
        &self,
        input: Value,
    ) -> impl Future<Output = Outcome<Context>> + Send + use<> {
        let (context, start) = match Context::try_from(input) {
            Ok(context) => (context, Start::default()),
            Err(other) => {
                let message = format!(
                    "a workflow's input must be a JSON object, got {}",
                    json_kind(&other)
                );
                let start = Start::invalid(
                    [("input".to_owned(), vec![message])].into(),
                    // Not an object: nothing tells which values are secret.
                    crate::input::ShownInput::ready(crate::input::to_raw(&Value::Null)),
                );
                (Context::new(), start)
            }
        };
        run::WorkflowUnit::new(self.clone(), context).execute(start)
    }
}

impl Workflow {
    /// Every step, group by group.
    fn steps(&self) -> impl Iterator<Item = &Arc<dyn step::Step>> {
        self.inner
            .groups
            .iter()
            .flat_map(|group| group.steps.iter())
    }

    /// How this workflow's line shows `context`, starting from `start`:
    /// each key a step reads in the form that step's line shows it, a key
    /// any step marks [`Secret`](crate::Secret) redacted, a key any step
    /// (or the workflow) excludes left out. A root workflow starts from the
    /// context as given ([`showing::given`]): keys no step reads show as
    /// given. A nested one starts from nothing (its input) or from the
    /// keys it changed (its output): the enclosing workflow's line shows
    /// the rest, and a sibling step may hold one of them secret.
    fn shows(&self, context: &Value, start: serde_json::Map<String, Value>) -> showing::Shown {
        let mut showing = self.showing(start);
        self.show_steps(context, &mut showing);
        showing.finish()
    }

    /// A view of this workflow's context starting from `start`, under its
    /// own exclusions.
    fn showing(&self, start: serde_json::Map<String, Value>) -> showing::Showing {
        showing::Showing::new(start, self.inner.settings.exclude.clone())
    }

    /// Each step shows `context` as it reads it.
    fn show_steps(&self, context: &Value, showing: &mut showing::Showing) {
        for step in self.steps() {
            step.show(context, showing);
        }
    }
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

impl fmt::Debug for Workflow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &self.inner;
        f.debug_struct("Workflow")
            .field("name", &inner.name)
            .field("groups", &inner.groups)
            .field("breakpoints", &inner.breakpoints)
            .field("settings", &inner.settings)
            .finish()
    }
}
