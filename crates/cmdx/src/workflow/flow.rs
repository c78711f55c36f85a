//! [`Flow`]: a workflow declared over a typed, validated input — a workflow
//! that is a task — with its entry points in [`FlowExt`], and the step that
//! nests one in another workflow.

use super::Workflow;
use super::progress::Progress;
use super::run::{self, Engine};
use super::showing::{self, Showing};
use super::step::{Step, StepRun, nested_run, skipped_line};
use crate::chain::shared::SharedRecord;
use crate::contain::{self, Panicked, Plugin};
use crate::exec::{Executable, Spec, Start};
use crate::input::{self, FieldErrors, Parsed, ShownInput};
use crate::middleware::Subject;
use crate::{BoxError, Context, Cx, Fault, Halt, Outcome, Settings};
use futures::future::BoxFuture;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use serde_json::value::RawValue;
use std::any::Any;
use std::borrow::Cow;
use std::future::Future;
use std::marker::PhantomData;
use std::sync::{Arc, Mutex, OnceLock};

/// A workflow declared over a typed input: the struct's fields are the
/// workflow's input, validated with [`garde`] before the first step (like a
/// [`Task`](crate::Task)'s), and they seed the [`Context`] its steps read.
///
/// Implement it on the input struct, giving the workflow's stable
/// [`name`](Flow::name) and its [`workflow`](Flow::workflow) (steps,
/// groups, breakpoints, [settings](Workflow::settings), tags); execute it
/// with [`FlowExt`] (in the [prelude](crate::prelude)) like a task:
/// `ProcessOrder { .. }.execute().await`, or
/// `ProcessOrder::execute_json(body).await`. Nest it in another workflow
/// with [`Workflow::flow`].
///
/// Invalid input fails the workflow's line with code `invalid_input` and
/// every field's errors ([`Outcome::field_errors`]); no step runs. The
/// line's `input` is the struct as it serializes ([`Secret`](crate::Secret)
/// fields redacted); the steps read the values themselves.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use cmdx::prelude::*;
/// use cmdx::{Flow, FlowExt, Ledger, Runtime, Workflow};
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
///         "Inventory::Reserve"
///     }
///     async fn work(&self, _: &mut Cx) -> Result<Reservation, Halt> {
///         Ok(Reservation { reservation_id: 7 })
///     }
/// }
///
/// /// The workflow's input.
/// #[derive(Debug, Serialize, Deserialize, Validate)]
/// struct ProcessOrder {
///     #[garde(length(min = 1))]
///     sku: String,
///     #[garde(range(min = 1, max = 100))]
///     quantity: i64,
/// }
///
/// impl Flow for ProcessOrder {
///     fn name() -> &'static str {
///         "Inventory::ProcessOrder"
///     }
///     fn workflow() -> Workflow {
///         Workflow::new(Self::name()).step::<Reserve>()
///     }
/// }
///
/// # Runtime::builder().ledger(Ledger::off()).build().scope(async {
/// let outcome = ProcessOrder { sku: "SKU-1".into(), quantity: 5 }.execute().await;
/// assert!(outcome.is_success());
/// assert_eq!(outcome.value().unwrap().get::<i64>("reservation_id"), Some(7));
///
/// let invalid = ProcessOrder { sku: "".into(), quantity: 500 }.execute().await;
/// let errors = invalid.field_errors().unwrap();
/// assert!(errors.contains_key("sku") && errors.contains_key("quantity"));
/// # }).await;
/// # }
/// ```
pub trait Flow:
    Serialize + DeserializeOwned + garde::Validate<Context = ()> + Send + Sync + Sized + 'static
{
    /// The stable name on the workflow's ledger line and span, e.g.
    /// `Inventory::ProcessOrder`: it replaces the name given to
    /// [`Workflow::new`] in [`workflow`](Flow::workflow).
    fn name() -> &'static str;

    /// The steps, groups, breakpoints, [settings](Workflow::settings)
    /// (retry, timeout, middleware, hooks, ledger level, deprecation…) and
    /// tags. Called once per execution (a workflow whose construction is
    /// costly can be built once in a `static LazyLock<Workflow>` and
    /// cloned: clones are cheap). If it panics, the execution fails like a
    /// task whose settings panic (code `settings_panicked`), before any
    /// step.
    fn workflow() -> Workflow;
}

/// The entry points of a [`Flow`]: blanket-implemented for every flow, so
/// they cannot be overridden and every execution writes its ledger line.
/// Each future owns its input: it is `'static` and `Send` (hand it to
/// [`cmdx::spawn`](crate::spawn), race it in `tokio::select!`).
pub trait FlowExt: Flow {
    /// Executes the workflow with `self` as its input, in the current
    /// chain (or a new one). The value on success is the final context.
    fn execute(self) -> impl Future<Output = Outcome<Context>> + Send + 'static;

    /// Executes the workflow; a failure is `Err(Fault)`, keeping the
    /// failure's origin (the deepest failing step).
    fn execute_strict(
        self,
    ) -> impl Future<Output = Result<Outcome<Context>, Fault>> + Send + 'static;

    /// Executes the workflow from untyped JSON, coerced and validated like
    /// [`TaskExt::execute_json`](crate::TaskExt::execute_json): every invalid or
    /// missing field is reported at once, and no step runs.
    fn execute_json(input: Value) -> impl Future<Output = Outcome<Context>> + Send + 'static;
}

impl<F: Flow> FlowExt for F {
    fn execute(self) -> impl Future<Output = Outcome<Context>> + Send + 'static {
        let (unit, start) = FlowUnit::prepared(self, Engine::default());
        unit.execute(start)
    }

    fn execute_strict(
        self,
    ) -> impl Future<Output = Result<Outcome<Context>, Fault>> + Send + 'static {
        let execution = self.execute();
        async move { execution.await.into_strict() }
    }

    async fn execute_json(input: Value) -> Outcome<Context> {
        match input::parse::<F>(Cow::Owned(input)) {
            Parsed::Valid(flow) => flow.execute().await,
            Parsed::Invalid { errors, input } => {
                FlowUnit::<F>::absent(Engine::default())
                    .execute(Start::invalid(errors, input))
                    .await
            }
        }
    }
}

/// `F::name()`; if it panics, the type's name and the panic, for the
/// execution to report.
fn name_of<F: Flow>() -> (&'static str, Option<Panicked>) {
    match contain::catch(Plugin::TaskName, F::name) {
        Ok(name) => (name, None),
        Err(panicked) => (std::any::type_name::<F>(), Some(panicked)),
    }
}

/// The context a flow's steps read: its input serialized with
/// [`Secret`](crate::Secret)s as themselves. `Err`: the input is not an
/// object (a newtype or an enum) or its `Serialize` failed or panicked.
fn seed<F: Flow>(flow: &F) -> Result<Context, FieldErrors> {
    let serialized = contain::catch(Plugin::Serialize, || {
        input::revealed(|| serde_json::to_value(flow))
    });
    let message = match serialized {
        Ok(Ok(Value::Object(map))) => return Ok(Context::from(map)),
        Ok(Ok(other)) => format!(
            "a workflow's input must serialize to a JSON object, got {}",
            super::json_kind(&other)
        ),
        Ok(Err(error)) => format!("could not be serialized: {error}"),
        Err(panicked) => format!("could not be serialized: it panicked: {}", panicked.message),
    };
    Err(FieldErrors::from([("input".to_owned(), vec![message])]))
}

/// A flow's input, shared with its middleware's `Call` (for `Call::task`).
struct FlowInput<F>(F);

impl<F: Flow> Subject for FlowInput<F> {
    fn task(&self) -> &(dyn Any + Send + Sync) {
        &self.0
    }

    fn input(&self) -> Option<Box<RawValue>> {
        input::to_raw(&self.0)
    }
}

/// One execution of a typed workflow.
pub(super) struct FlowUnit<F> {
    /// The input; `None` when it could not be built from untyped JSON.
    flow: Option<Arc<FlowInput<F>>>,
    /// The context seeded from the input.
    input: Context,
    /// `F::workflow()`, built when the engine first asks for the settings
    /// (so a panic there is contained like a task's `settings()`).
    declared: Arc<OnceLock<Workflow>>,
    engine: Engine,
}

impl<F: Flow> FlowUnit<F> {
    /// The unit for `flow` and how it starts: normally, or invalid when its
    /// input does not make a context.
    fn prepared(flow: F, engine: Engine) -> (Self, Start) {
        let (input, start) = match seed(&flow) {
            Ok(context) => (context, Start::default()),
            Err(errors) => {
                let shown = contain::catch(Plugin::Serialize, || input::to_raw(&flow));
                let start = Start::invalid(errors, ShownInput::ready(shown.ok().flatten()));
                (Context::new(), start)
            }
        };
        let unit = Self {
            flow: Some(Arc::new(FlowInput(flow))),
            input,
            declared: Arc::default(),
            engine,
        };
        (unit, start)
    }

    /// The unit of an input that could not be built.
    fn absent(engine: Engine) -> Self {
        Self {
            flow: None,
            input: Context::new(),
            declared: Arc::default(),
            engine,
        }
    }

    fn execute(self, start: Start) -> impl Future<Output = Outcome<Context>> + Send + 'static {
        let leftover = self.engine.leftover.clone();
        run::execute(self, leftover, start)
    }

    fn declared(&self) -> &Workflow {
        self.declared.get_or_init(F::workflow)
    }
}

impl<F: Flow> Executable for FlowUnit<F> {
    type Output = Context;

    fn spec(&self) -> Spec {
        let (name, panicked) = name_of::<F>();
        let tags = self.declared.get().map_or(&[][..], |w| w.inner.tags);
        let mut spec = run::spec(Cow::Borrowed(name), tags);
        spec.panicked = panicked.map(Box::new);
        spec
    }

    fn input_json(&self) -> Option<Box<RawValue>> {
        self.flow.as_ref().and_then(|flow| input::to_raw(&flow.0))
    }

    /// The final context as the flow's input type and then its steps'
    /// lines would show it: the flow's own `Secret` fields stay redacted
    /// when no step reads them.
    fn output_json(&self, output: &Context) -> Option<Box<RawValue>> {
        let (declared, context) = (self.declared(), output.as_value());
        let mut showing = declared.showing(showing::given(context));
        showing.task::<F>(context, Some(Vec::new()));
        declared.show_steps(context, &mut showing);
        input::to_raw(&showing.finish().view)
    }

    fn settings(&self) -> Settings {
        self.declared().inner.settings.clone()
    }

    fn share(&mut self) -> Option<Arc<dyn Subject>> {
        self.flow.clone().map(|flow| flow as Arc<dyn Subject>)
    }

    fn task_any(&self) -> Option<&(dyn Any + Send + Sync)> {
        self.flow.as_ref().map(|flow| &flow.0 as _)
    }

    fn validate(&self) -> Result<(), FieldErrors> {
        self.flow
            .as_ref()
            .map_or(Ok(()), |flow| input::validate(&flow.0))
    }

    async fn work(&self, cx: &mut Cx) -> Result<Context, Halt> {
        match &self.flow {
            Some(_) => self.engine.run(self.declared(), &self.input, cx).await,
            None => Err(Halt::fail("workflow input was not available")),
        }
    }

    /// Compensation happens in `work` (see the untyped workflow's).
    async fn rollback(&self, _: &mut Cx) -> Result<(), BoxError> {
        Ok(())
    }
}

/// A typed workflow as a step: its input read from the context (coerced
/// and validated like a task step's), its changes merged back.
pub(super) struct FlowStep<F>(PhantomData<fn() -> F>);

impl<F> FlowStep<F> {
    pub(super) fn new() -> Self {
        Self(PhantomData)
    }
}

impl<F: Flow> Step for FlowStep<F> {
    fn name(&self) -> &str {
        name_of::<F>().0
    }

    fn run<'a>(&'a self, context: &'a Context) -> BoxFuture<'a, StepRun> {
        Box::pin(async move {
            let inner = Arc::new(Mutex::new(Progress::default()));
            let engine = Engine::handing_progress_to(inner.clone());
            let (unit, start) = match input::parse::<F>(Cow::Borrowed(context.as_value())) {
                Parsed::Valid(flow) => FlowUnit::prepared(flow, engine),
                Parsed::Invalid { errors, input } => {
                    (FlowUnit::absent(engine), Start::invalid(errors, input))
                }
            };
            let seeded = unit.input.clone();
            let declared = unit.declared.clone();
            let outcome = unit.execute(start).await;
            let tags = declared.get().map_or(&[][..], |w| w.inner.tags);
            nested_run(outcome, &seeded, tags, &inner)
        })
    }

    fn skip(&self, context: &Context, reason: &str) -> SharedRecord {
        let declared = contain::catch(Plugin::Settings, F::workflow);
        let (settings, tags) = match &declared {
            Ok(workflow) => (&workflow.inner.settings, workflow.inner.tags),
            Err(_) => (&crate::settings::NONE, &[][..]),
        };
        let (name, panicked) = name_of::<F>();
        let mut spec = run::spec(Cow::Borrowed(name), tags);
        spec.panicked = panicked.map(Box::new);
        let settings = declared.as_ref().map(|_| settings);
        skipped_line(
            spec,
            settings,
            || input::to_raw(&input::view::<F>(context.as_value())?),
            reason,
        )
    }

    fn show(&self, context: &Value, showing: &mut Showing) {
        let excluded = contain::catch(Plugin::Settings, F::workflow)
            .map(|workflow| workflow.inner.settings.exclude.clone())
            .ok();
        showing.task::<F>(context, excluded);
    }
}
