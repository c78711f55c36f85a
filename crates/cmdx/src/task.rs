//! [`Task`]: a business operation with typed inputs and an explicit outcome.

use crate::contain::{self, Panicked, Plugin};
use crate::exec::{self, Executable, Spec, Start};
use crate::input::{self, FieldErrors, Parsed};
use crate::middleware::Subject;
use crate::{BoxError, Context, Cx, Fault, Halt, Kind, Outcome, Settings};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::future::Future;
use std::sync::Arc;

/// A business operation: the struct's fields are its inputs, [`work`] does
/// it, [`rollback`] undoes it.
///
/// Inputs are validated with [`garde`] before `work` runs and serialized
/// into the ledger line (wrap sensitive ones in [`Secret`]). Every
/// execution — typed ([`execute`]), strict ([`execute_strict`]) or untyped
/// ([`execute_json`]) — ends in one [`Outcome`], one ledger line and one span.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use cmdx::prelude::*;
///
/// #[derive(Debug, Serialize, Deserialize, Validate)]
/// struct ReserveStock {
///     #[garde(length(min = 1))]
///     sku: String,
///     #[garde(range(min = 1))]
///     quantity: i64,
///     #[garde(skip)]
///     order_id: i64,
/// }
///
/// impl Task for ReserveStock {
///     type Output = ();
///     fn name() -> &'static str {
///         "Inventory::ReserveStock"
///     }
///     async fn work(&self, _cx: &mut Cx) -> Result<(), Halt> {
///         let available = 0;
///         if available < self.quantity {
///             fail!("Insufficient stock", code = "out_of_stock", available = available);
///         }
///         Ok(())
///     }
/// }
///
/// # cmdx::Runtime::builder().ledger(cmdx::Ledger::off()).build().scope(async {
/// let outcome = ReserveStock { sku: "SKU-1234".into(), quantity: 10, order_id: 204 }.execute().await;
/// assert!(outcome.is_failed());
/// assert_eq!(outcome.code(), Some("out_of_stock"));
///
/// let invalid = ReserveStock::execute_json(serde_json::json!({"sku": "", "quantity": "0", "order_id": 1})).await;
/// let errors = invalid.field_errors().unwrap();
/// assert!(errors.contains_key("sku") && errors.contains_key("quantity"));
/// # }).await;
/// # }
/// ```
///
/// [`work`]: Task::work
/// [`rollback`]: Task::rollback
/// [`execute`]: TaskExt::execute
/// [`execute_strict`]: TaskExt::execute_strict
/// [`execute_json`]: TaskExt::execute_json
/// [`Secret`]: crate::Secret
pub trait Task: Serialize + garde::Validate<Context = ()> + Send + Sync + Sized + 'static {
    /// What `work` produces on success. `Serialize`, so that the task can
    /// opt in to showing it on its ledger line
    /// ([`Settings::record_output`]); `()` is.
    type Output: Serialize + Send + 'static;

    /// Tags written on every line and span of this task.
    const TAGS: &'static [&'static str] = &[];

    /// The task's name in ledger lines and spans, e.g.
    /// `Inventory::ReserveStock`: the ledger's primary key, which every
    /// query of the ledger (`cmdx ledger … --task`) and every dashboard
    /// selects on.
    ///
    /// It is required, and written by hand, so that it is stable by
    /// construction: renaming or moving the type does not change it, and
    /// two types of the same name in different modules do not collide
    /// unless they say so. (A default derived from
    /// [`std::any::type_name`] would be neither: the compiler does not
    /// promise that text, and it drops the module path.) Keep it unique
    /// across the services that share a ledger; a namespace such as
    /// `Inventory::` helps.
    fn name() -> &'static str;

    /// Retry policy, timeout, ledger level, excluded inputs, deprecation,
    /// middleware and hooks of this task; unset ones fall back to the
    /// runtime's. Defaults to nothing set. See [`Settings`].
    fn settings() -> Settings {
        Settings::new()
    }

    /// Does the work. Return the output, or stop early with
    /// [`fail!`](crate::fail), [`skip!`](crate::skip),
    /// [`success!`](crate::success), or any error with `?`.
    fn work(&self, cx: &mut Cx) -> impl Future<Output = Result<Self::Output, Halt>> + Send;

    /// Undoes the work after this task failed (its own failure, a panic, or
    /// a propagated one); also called by workflows to compensate a
    /// completed step. Defaults to doing nothing.
    fn rollback(&self, cx: &mut Cx) -> impl Future<Output = Result<(), BoxError>> + Send {
        let _ = cx;
        async { Ok(()) }
    }
}

/// How tasks are executed: `execute`, `execute_strict`, `execute_json` and
/// `execute_context`, for every [`Task`].
///
/// These are the only entry points, and they live here, not on [`Task`], so
/// that no implementation can override them and skip the ledger line, the
/// span or the chain: the blanket implementation below is the only one
/// there can be (like tower's `ServiceExt`). The trait is in
/// [`cmdx::prelude`](crate::prelude), so `ReserveStock { .. }.execute()` and
/// `ReserveStock::execute_json(body)` work with `use cmdx::prelude::*`.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use cmdx::prelude::*;
///
/// #[derive(Debug, Serialize, Deserialize, Validate)]
/// struct Double {
///     #[garde(range(min = 1))]
///     n: i64,
/// }
///
/// impl Task for Double {
///     type Output = i64;
///     fn name() -> &'static str {
///         "Math::Double"
///     }
///     async fn work(&self, _: &mut Cx) -> Result<i64, Halt> {
///         Ok(self.n * 2)
///     }
/// }
///
/// # cmdx::Runtime::builder().ledger(cmdx::Ledger::off()).build().scope(async {
/// // The outcome: status, reason, metadata, value.
/// let outcome = Double { n: 21 }.execute().await;
/// assert_eq!(outcome.value(), Some(&42));
///
/// // The value, or the failure as an error for `?`.
/// let doubled: Result<i64, Fault> = Double { n: 2 }.execute_strict().await;
/// assert_eq!(doubled.unwrap(), 4);
///
/// // Untyped input, coerced and validated field by field.
/// let outcome = Double::execute_json(serde_json::json!({"n": "5"})).await;
/// assert_eq!(outcome.into_value(), Some(10));
/// let invalid = Double::execute_json(serde_json::json!({"n": 0})).await;
/// assert!(invalid.field_errors().unwrap().contains_key("n"));
///
/// // Inputs read from a context.
/// let mut context = Context::new();
/// context.insert("n", 4);
/// assert_eq!(Double::execute_context(&context).await.into_value(), Some(8));
/// # }).await;
/// # }
/// ```
///
/// A task cannot replace them: `execute` is not a method of [`Task`]…
///
/// ```compile_fail,E0407
/// use cmdx::prelude::*;
///
/// #[derive(Debug, Serialize, Deserialize, Validate)]
/// struct Sneaky {}
///
/// impl Task for Sneaky {
///     type Output = ();
///     fn name() -> &'static str {
///         "Sneaky"
///     }
///     async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
///         Ok(())
///     }
///     async fn execute(self) -> Outcome<()> {
///         unimplemented!("no ledger line")
///     }
/// }
/// ```
///
/// …and `TaskExt` has its one implementation already:
///
/// ```compile_fail,E0119
/// use cmdx::prelude::*;
///
/// #[derive(Debug, Serialize, Deserialize, Validate)]
/// struct Sneaky {}
///
/// impl Task for Sneaky {
///     type Output = ();
///     fn name() -> &'static str {
///         "Sneaky"
///     }
///     async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
///         Ok(())
///     }
/// }
///
/// impl TaskExt for Sneaky {}
/// ```
pub trait TaskExt: Task {
    /// Executes the task in the current chain (or a new one).
    fn execute(self) -> impl Future<Output = Outcome<Self::Output>> + Send {
        exec::execute(TaskUnit(Some(Held::Owned(self))), Start::default())
    }

    /// Executes the task and returns its value; anything else is an
    /// `Err(Fault)`, which keeps the execution's record, origin and chain
    /// and propagates with `?` from another task's `work`:
    ///
    /// | the execution | `execute_strict` | `?` in a caller's `work` |
    /// |---|---|---|
    /// | succeeded with its value | `Ok(value)` | — |
    /// | failed | `Err(fault)`, [`Fault::status`] failed | the caller fails, same reason and origin |
    /// | skipped | `Err(fault)`, status skipped | the caller is skipped, same reason |
    /// | ended by [`success!`](crate::success) (no value) | `Err(fault)`, status success | the caller fails: it asked for a value there is none of |
    ///
    /// Use [`execute`](TaskExt::execute) to look at the [`Outcome`]
    /// instead.
    fn execute_strict(self) -> impl Future<Output = Result<Self::Output, Fault>> + Send {
        async move {
            exec::execute(TaskUnit(Some(Held::Owned(self))), Start::default().strict())
                .await
                .into_result()
        }
    }

    /// Executes the task from untyped JSON (an HTTP body, a CLI argument, a
    /// replayed ledger line): scalars are coerced from strings, and every
    /// invalid or missing field is reported at once in `errors`
    /// (the first 100 fields; a note under `input` counts the rest).
    /// Invalid input never reaches `work`, and the line shows it with every
    /// [`Secret`](crate::Secret) redacted. Cost is linear in the input's
    /// size, for valid and invalid input of any shape.
    fn execute_json(input: Value) -> impl Future<Output = Outcome<Self::Output>> + Send
    where
        Self: DeserializeOwned,
    {
        async move {
            match input::parse::<Self>(Cow::Owned(input)) {
                Parsed::Valid(task) => task.execute().await,
                Parsed::Invalid { errors, input } => {
                    let start = Start::invalid(errors, input);
                    exec::execute(TaskUnit::<Self>(None), start).await
                }
            }
        }
    }

    /// Executes the task with its inputs read from a [`Context`], like
    /// [`execute_json`](TaskExt::execute_json).
    fn execute_context(context: &Context) -> impl Future<Output = Outcome<Self::Output>> + Send
    where
        Self: DeserializeOwned,
    {
        Self::execute_json(context.to_value())
    }
}

impl<T: Task> TaskExt for T {}

/// `my_crate::inventory::ReserveStock<my_crate::Sku>` → `ReserveStock<my_crate::Sku>`.
fn short_type_name(full: &'static str) -> &'static str {
    let bytes = full.as_bytes();
    // Only generic names end in `>`; the others need no forward scan.
    let base_end = if bytes.last() == Some(&b'>') {
        bytes.iter().position(|&b| b == b'<').unwrap_or(bytes.len())
    } else {
        bytes.len()
    };
    let start = bytes[..base_end]
        .iter()
        .rposition(|&b| b == b':')
        .map_or(0, |colon| colon + 1);
    &full[start..]
}

/// `T::name()`; if it panics, the type's short name (the default name)
/// and the panic, for the execution to report.
pub(crate) fn name_of<T: Task>() -> (&'static str, Option<Panicked>) {
    match contain::catch(Plugin::TaskName, T::name) {
        Ok(name) => (name, None),
        Err(panicked) => (short_type_name(std::any::type_name::<T>()), Some(panicked)),
    }
}

/// A task, or the absence of one when its input was invalid.
pub(crate) struct TaskUnit<T>(pub(crate) Option<Held<T>>);

/// What a middleware's [`Call`](crate::middleware::Call) reads of a task:
/// the value to downcast, and its inputs as the line shows them.
impl<T: Task> Subject for T {
    fn task(&self) -> &(dyn std::any::Any + Send + Sync) {
        self
    }

    fn input(&self) -> Option<Box<RawValue>> {
        input::to_raw(self)
    }
}

/// A task owned by its execution, or shared with its middleware's
/// [`Call`](crate::middleware::Call) (moved behind an `Arc` only then).
pub(crate) enum Held<T> {
    Owned(T),
    Shared(Arc<T>),
}

impl<T> std::ops::Deref for Held<T> {
    type Target = T;

    fn deref(&self) -> &T {
        match self {
            Held::Owned(task) => task,
            Held::Shared(task) => task,
        }
    }
}

impl<T: Task> Executable for TaskUnit<T> {
    type Output = T::Output;

    fn spec(&self) -> Spec {
        let (name, panicked) = name_of::<T>();
        Spec {
            task: Cow::Borrowed(name),
            kind: Kind::Task,
            tags: T::TAGS,
            compensates: None,
            link: None,
            panicked: panicked.map(Box::new),
        }
    }

    fn input_json(&self) -> Option<Box<RawValue>> {
        self.0.as_deref().and_then(input::to_raw)
    }

    fn output_json(&self, output: &T::Output) -> Option<Box<RawValue>> {
        input::to_raw(output)
    }

    fn settings(&self) -> Settings {
        T::settings()
    }

    fn task_any(&self) -> Option<&(dyn std::any::Any + Send + Sync)> {
        self.0.as_deref().map(|task| task as _)
    }

    fn share(&mut self) -> Option<Arc<dyn Subject>> {
        let task = match self.0.take()? {
            Held::Owned(task) => Arc::new(task),
            Held::Shared(task) => task,
        };
        self.0 = Some(Held::Shared(task.clone()));
        Some(task as Arc<dyn Subject>)
    }

    fn validate(&self) -> Result<(), FieldErrors> {
        self.0.as_deref().map_or(Ok(()), input::validate)
    }

    async fn work(&self, cx: &mut Cx) -> Result<T::Output, Halt> {
        match self.0.as_deref() {
            Some(task) => task.work(cx).await,
            None => Err(Halt::fail("task input was not available")),
        }
    }

    async fn rollback(&self, cx: &mut Cx) -> Result<(), BoxError> {
        match self.0.as_deref() {
            Some(task) => task.rollback(cx).await,
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::short_type_name;

    #[test]
    fn the_default_name_drops_the_module_path() {
        assert_eq!(
            short_type_name("app::inventory::ReserveStock"),
            "ReserveStock"
        );
        assert_eq!(short_type_name("Plain"), "Plain");
        assert_eq!(short_type_name("app::Wrap<app::Sku>"), "Wrap<app::Sku>");
    }
}
