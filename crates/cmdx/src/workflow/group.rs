//! [`Group`]: one or more steps sharing options; [`Merge`]: how their
//! outputs fold back into the workflow's context.

use super::Workflow;
use super::flow::{Flow, FlowStep};
use super::step::{Step, TaskStep, WorkflowStep};
use crate::{Context, Status, Task};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use std::fmt;
use std::sync::Arc;

/// Decides from the context whether a group runs: any
/// `Fn(&Context) -> bool` closure, or a type of your own.
///
/// A condition that panics fails the workflow (whether the group should
/// run is unknown): reason `` a condition of the group of `Step` panicked: … ``,
/// code `condition_panicked`; the completed steps are compensated and the
/// panic is reported (see [`Plugin::Condition`](crate::Plugin::Condition)).
///
/// ```
/// use cmdx::{Condition, Context};
///
/// struct EmailConfigured;
///
/// impl Condition for EmailConfigured {
///     fn holds(&self, context: &Context) -> bool {
///         context.get::<String>("email").is_some_and(|email| email.contains('@'))
///     }
/// }
///
/// let mut context = Context::new();
/// context.insert("email", "ada@example.com");
/// assert!(EmailConfigured.holds(&context));
/// assert!(!(|c: &Context| c.contains("phone")).holds(&context));
/// ```
pub trait Condition: Send + Sync + 'static {
    /// Whether the condition holds for `context`.
    fn holds(&self, context: &Context) -> bool;
}

impl<F> Condition for F
where
    F: Fn(&Context) -> bool + Send + Sync + 'static,
{
    fn holds(&self, context: &Context) -> bool {
        self(context)
    }
}
type MergeFn = Arc<dyn Fn(&mut Context, &str, &Map<String, Value>) + Send + Sync>;

/// One or more steps declared together, sharing a condition, breakpoints,
/// a strategy (sequential by default, or parallel with a concurrency bound),
/// a merge strategy and `continue_on_failure`.
///
/// ```
/// use cmdx::prelude::*;
/// use cmdx::{Group, Merge, Workflow};
///
/// #[derive(Debug, Serialize, Deserialize, Validate)]
/// struct SendEmail {}
/// impl Task for SendEmail {
///     type Output = ();
///     fn name() -> &'static str {
///         "SendEmail"
///     }
///     async fn work(&self, _: &mut Cx) -> Result<(), Halt> { Ok(()) }
/// }
///
/// #[derive(Debug, Serialize, Deserialize, Validate)]
/// struct SendSms {}
/// impl Task for SendSms {
///     type Output = ();
///     fn name() -> &'static str {
///         "SendSms"
///     }
///     async fn work(&self, _: &mut Cx) -> Result<(), Halt> { Ok(()) }
/// }
///
/// let notify = Workflow::new("Notify").group(
///     Group::new()
///         .task::<SendEmail>()
///         .task::<SendSms>()
///         .parallel(2)
///         .merge(Merge::Deep)
///         .when(|context| context.get::<bool>("opted_in") == Some(true)),
/// );
/// # let _ = notify;
/// ```
#[derive(Clone, Default)]
#[must_use]
pub struct Group {
    pub(super) steps: Vec<Arc<dyn Step>>,
    pub(super) conditions: Vec<(bool, Arc<dyn Condition>)>,
    pub(super) breakpoints: Option<Vec<Status>>,
    pub(super) concurrency: Option<usize>,
    pub(super) merge: Merge,
    pub(super) continue_on_failure: bool,
}

impl Group {
    /// An empty, sequential group.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds task `T`: its inputs are read from the context, its output
    /// merged back.
    pub fn task<T>(mut self) -> Self
    where
        T: Task + DeserializeOwned,
        T::Output: Serialize,
    {
        self.steps.push(Arc::new(TaskStep::<T>::new()));
        self
    }

    /// Adds a nested workflow as one step.
    pub fn workflow(mut self, inner: Workflow) -> Self {
        self.steps.push(Arc::new(WorkflowStep::new(inner)));
        self
    }

    /// Adds a typed workflow as one step (see [`Workflow::flow`]).
    pub fn flow<F: Flow>(mut self) -> Self {
        self.steps.push(Arc::new(FlowStep::<F>::new()));
        self
    }

    /// Runs the group's steps concurrently, at most `concurrency` at a time
    /// (0 counts as 1). Each step reads its own copy of the context as it
    /// was when the group started; successful outputs merge back in
    /// declaration order. All steps stay in the workflow's tokio task, so
    /// they join its chain and span.
    pub fn parallel(mut self, concurrency: usize) -> Self {
        self.concurrency = Some(concurrency.max(1));
        self
    }

    /// How outputs fold back into the context (default
    /// [`Merge::LastWriteWins`]).
    pub fn merge(mut self, merge: Merge) -> Self {
        self.merge = merge;
        self
    }

    /// Runs every step of the group even when one hits a breakpoint, and
    /// collects every failure (per task, per field) on the workflow's
    /// outcome; the workflow still halts after the group.
    pub fn continue_on_failure(mut self) -> Self {
        self.continue_on_failure = true;
        self
    }

    /// Runs the group only when `condition` holds for the context;
    /// otherwise each of its steps writes a `skipped` line ("condition was
    /// false").
    pub fn when(self, condition: impl Fn(&Context) -> bool + Send + Sync + 'static) -> Self {
        self.when_condition(condition)
    }

    /// Skips the group when `condition` holds for the context.
    pub fn unless(self, condition: impl Fn(&Context) -> bool + Send + Sync + 'static) -> Self {
        self.unless_condition(condition)
    }

    /// Like [`when`](Self::when), with a [`Condition`] type of your own.
    pub fn when_condition(mut self, condition: impl Condition) -> Self {
        self.conditions.push((true, Arc::new(condition)));
        self
    }

    /// Like [`unless`](Self::unless), with a [`Condition`] type of your own.
    pub fn unless_condition(mut self, condition: impl Condition) -> Self {
        self.conditions.push((false, Arc::new(condition)));
        self
    }

    /// Which step statuses halt the workflow, for this group only.
    pub fn breakpoints(mut self, statuses: impl IntoIterator<Item = Status>) -> Self {
        self.breakpoints = Some(statuses.into_iter().collect());
        self
    }

    pub(super) fn condition_holds(&self, context: &Context) -> bool {
        self.conditions
            .iter()
            .all(|(expected, condition)| condition.holds(context) == *expected)
    }
}

impl fmt::Debug for Group {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let steps: Vec<_> = self.steps.iter().map(|s| s.name()).collect();
        f.debug_struct("Group")
            .field("steps", &steps)
            .field("conditions", &self.conditions.len())
            .field("breakpoints", &self.breakpoints)
            .field("concurrency", &self.concurrency)
            .field("merge", &self.merge)
            .field("continue_on_failure", &self.continue_on_failure)
            .finish()
    }
}

/// How a successful step's output folds back into the workflow's context.
/// Outputs always merge in declaration order, whatever order parallel
/// steps finished in.
#[derive(Clone, Default)]
#[non_exhaustive]
pub enum Merge {
    /// Each output key replaces the context's (shallow; later steps win).
    #[default]
    LastWriteWins,
    /// Nested objects combine recursively; anything else replaces.
    Deep,
    /// Outputs are not merged; the context stays as it was.
    None,
    /// Your function: `(context, step name, output object)`. If it panics
    /// (the context may be half-merged), the workflow fails — reason
    /// `` merging the output of `Step` panicked: … ``, code
    /// `merge_panicked` — and compensates its completed steps, that one
    /// included; the panic is reported (see [`Plugin::Merge`](crate::Plugin::Merge)).
    Custom(MergeFn),
}

impl Merge {
    /// A custom merge function: `(context, step name, output object)`.
    pub fn custom(
        merge: impl Fn(&mut Context, &str, &Map<String, Value>) + Send + Sync + 'static,
    ) -> Self {
        Merge::Custom(Arc::new(merge))
    }
}

impl fmt::Debug for Merge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Merge::LastWriteWins => "LastWriteWins",
            Merge::Deep => "Deep",
            Merge::None => "None",
            Merge::Custom(_) => "Custom",
        })
    }
}
