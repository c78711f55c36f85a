//! [`Outcome`]: what one execution achieved.

use crate::chain::shared::SharedRecord;
use crate::fault::Failure;
use crate::ledger::Record;
use crate::{Chain, Fault, State, Status};
use serde_json::{Map, Value};
use std::fmt;
use std::time::Duration;
use uuid::Uuid;

/// The result of one execution: its status, reason, metadata, value and its
/// place in the chain. Never a panic, never a lost failure.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use cmdx::prelude::*;
/// use cmdx::{Ledger, Runtime};
///
/// #[derive(Debug, Serialize, Deserialize, Validate)]
/// struct Divide {
///     #[garde(skip)] a: i64,
///     #[garde(skip)] b: i64,
/// }
///
/// impl Task for Divide {
///     type Output = i64;
///     fn name() -> &'static str {
///         "Divide"
///     }
///     async fn work(&self, _: &mut Cx) -> Result<i64, Halt> {
///         if self.b == 0 {
///             fail!("Division by zero", code = "div_by_zero");
///         }
///         Ok(self.a / self.b)
///     }
/// }
///
/// Runtime::builder().ledger(Ledger::off()).build().scope(async {
///     let ok = Divide { a: 6, b: 3 }.execute().await;
///     assert!(ok.is_success() && ok.is_complete());
///     assert_eq!(ok.value(), Some(&2));
///
///     let ko = Divide { a: 1, b: 0 }.execute().await;
///     assert!(ko.is_failed() && ko.is_interrupted() && ko.is_ko());
///     assert_eq!(ko.reason(), Some("Division by zero"));
///     assert_eq!(ko.code(), Some("div_by_zero"));
/// }).await;
/// # }
/// ```
#[must_use = "an outcome may be a failure; check it, or use `execute_strict` and `?`"]
pub struct Outcome<T> {
    /// A root's holds its chain.
    record: SharedRecord,
    value: Option<T>,
    /// Origin and typed error, for failures only.
    failure: Option<Box<Failure>>,
}

/// What the engine hands over when an execution ends: its record (a
/// root's holds its chain), and for failures their origin and typed
/// error. An [`Outcome`] is this and the execution's value.
pub(crate) struct Finished {
    /// See [`SharedRecord::chain_of_root`].
    pub(crate) record: SharedRecord,
    pub(crate) failure: Option<Box<Failure>>,
}

impl<T> Outcome<T> {
    pub(crate) fn new(finished: Finished, value: Option<T>) -> Self {
        Self {
            record: finished.record,
            value,
            failure: finished.failure,
        }
    }

    /// The record and the value, for workflows that keep a step's record.
    pub(crate) fn into_record_and_value(self) -> (SharedRecord, Option<T>) {
        (self.record, self.value)
    }

    /// The execution's record: exactly what its ledger line says.
    pub fn record(&self) -> &Record {
        &self.record
    }

    /// Complete or interrupted.
    pub fn state(&self) -> State {
        self.record.state
    }

    /// Success, skipped or failed.
    pub fn status(&self) -> Status {
        self.record.status
    }

    /// Why it was skipped or failed.
    pub fn reason(&self) -> Option<&str> {
        self.record.reason.as_deref()
    }

    /// The failure or skip code: given to `fail!`/`skip!`
    /// (`code = "out_of_stock"`) or [`Halt::code`](crate::Halt::code), or
    /// the framework's own (`invalid_input`, `timeout`, `hook_failed`,
    /// `deprecated`, `shutdown`, `middleware_panicked`, …).
    pub fn code(&self) -> Option<&str> {
        self.record.code.as_deref()
    }

    /// The user's structured data: the values given to
    /// `fail!`/`skip!`/`success!`, [`Halt::with`](crate::Halt::with) and
    /// middleware. Never a key of the framework's (see
    /// [`code`](Self::code), [`field_errors`](Self::field_errors),
    /// [`framework`](Self::framework)).
    pub fn metadata(&self) -> &Map<String, Value> {
        &self.record.metadata
    }

    /// The framework's diagnostic data: `rollback_error` (a rollback that
    /// failed), `hook` (the hook that failed), and for workflows
    /// `halted_by`, `failures`, `compensation_failures`, `not_started`
    /// (read them typed with
    /// [`WorkflowOutcomeExt`](crate::WorkflowOutcomeExt)). Empty for most
    /// executions.
    pub fn framework(&self) -> &Map<String, Value> {
        &self.record.framework
    }

    /// The error chain as text, for errors returned with `?` and panics.
    pub fn cause(&self) -> Option<&str> {
        self.record.cause.as_deref()
    }

    /// The typed error behind a failure: the error `work` returned with `?`
    /// (or gave [`Halt::error`](crate::Halt::error)), kept after retry
    /// matching so you can downcast it. A failure propagated from a child
    /// (`?` on its [`Fault`], [`throw`](Self::throw), a workflow step) has
    /// the child's `Fault` here, whose [`source`](std::error::Error::source)
    /// is the child's error. `None` for success and skip, and for failures
    /// without one (`fail!`, invalid input, panics, timeouts, cancellation).
    ///
    /// The error lives on the outcome only; the ledger line keeps its text
    /// (`cause`).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use cmdx::prelude::*;
    /// use cmdx::{Ledger, Runtime};
    ///
    /// #[derive(Debug, Serialize, Deserialize, Validate)]
    /// struct ParseQuantity {
    ///     #[garde(skip)]
    ///     text: String,
    /// }
    /// impl Task for ParseQuantity {
    ///     type Output = i64;
    ///     fn name() -> &'static str {
    ///         "ParseQuantity"
    ///     }
    ///     async fn work(&self, _: &mut Cx) -> Result<i64, Halt> {
    ///         Ok(self.text.parse::<i64>()?)
    ///     }
    /// }
    ///
    /// let runtime = Runtime::builder().ledger(Ledger::off()).build();
    /// let outcome = runtime.scope(ParseQuantity { text: "ten".into() }.execute()).await;
    /// let parse = outcome.error().and_then(|e| e.downcast_ref::<std::num::ParseIntError>());
    /// assert!(parse.is_some());
    /// # }
    /// ```
    pub fn error(&self) -> Option<&(dyn std::error::Error + Send + Sync + 'static)> {
        self.failure.as_ref()?.error.as_deref()
    }

    /// For invalid input: each field's messages (the line's `errors`). A
    /// user's `fail!("…", errors = …)` is metadata, never returned here.
    pub fn field_errors(&self) -> Option<&Map<String, Value>> {
        self.record.errors.as_ref()
    }

    /// The output of `work`, on success.
    pub fn value(&self) -> Option<&T> {
        self.value.as_ref()
    }

    /// Takes the output of `work`, on success.
    pub fn into_value(self) -> Option<T> {
        self.value
    }

    /// How long the execution took.
    pub fn duration(&self) -> Duration {
        Duration::from_secs_f64(self.record.duration_ms.max(0.0) / 1000.0)
    }

    /// How many times `work` was retried.
    pub fn retries(&self) -> u32 {
        self.record.retries
    }

    /// The task's name.
    pub fn task(&self) -> &str {
        &self.record.task
    }

    /// This execution's id.
    pub fn tid(&self) -> Uuid {
        self.record.tid
    }

    /// The chain id.
    pub fn chain_id(&self) -> Uuid {
        self.record.cid
    }

    /// The place in the chain (0 for the root).
    pub fn index(&self) -> u32 {
        self.record.index
    }

    /// The parent execution's id (`None` for the root).
    pub fn parent(&self) -> Option<Uuid> {
        self.record.parent
    }

    /// The task's tags.
    pub fn tags(&self) -> impl Iterator<Item = &str> {
        self.record.tags.iter().map(|tag| &**tag)
    }

    /// For a root: the whole chain, every record, index 0 first (collected
    /// when first read, so a root nobody asks about costs nothing).
    pub fn chain(&self) -> Option<Chain> {
        self.record
            .chain_of_root()
            .map(|_| Chain::new(self.record.clone()))
    }

    /// The execution that caused a failure: this one, or a nested one whose
    /// failure was propagated. `None` unless failed.
    pub fn origin(&self) -> Option<&Record> {
        self.failure.as_ref().map(|failure| &*failure.origin)
    }

    /// Whether the status is success.
    pub fn is_success(&self) -> bool {
        self.status() == Status::Success
    }

    /// Whether the status is skipped.
    pub fn is_skipped(&self) -> bool {
        self.status() == Status::Skipped
    }

    /// Whether the status is failed.
    pub fn is_failed(&self) -> bool {
        self.status() == Status::Failed
    }

    /// Whether the state is complete (⇔ success).
    pub fn is_complete(&self) -> bool {
        self.state() == State::Complete
    }

    /// Whether the state is interrupted (⇔ skipped or failed).
    pub fn is_interrupted(&self) -> bool {
        self.state() == State::Interrupted
    }

    /// Success or skipped: nothing went wrong.
    pub fn is_ok(&self) -> bool {
        !self.is_failed()
    }

    /// Skipped or failed: the work was not done.
    pub fn is_ko(&self) -> bool {
        !self.is_success()
    }

    /// `Err(Fault)` when failed, the outcome otherwise.
    pub fn into_strict(self) -> Result<Self, Fault> {
        match self.fault() {
            Some(fault) => Err(fault),
            None => Ok(self),
        }
    }

    /// The value, or the execution as an `Err(Fault)` when there is no
    /// value: it failed, it was skipped, or [`success!`](crate::success)
    /// ended it without one ([`Fault::status`] tells which). This is what
    /// [`execute_strict`](crate::TaskExt::execute_strict) returns.
    pub fn into_result(self) -> Result<T, Fault> {
        if let Some(fault) = self.fault() {
            return Err(fault);
        }
        let chain = self.chain();
        match self.value {
            Some(value) => Ok(value),
            None => Err(Fault::new(self.record.clone(), self.record, chain, None)),
        }
    }

    /// The failure as a [`Fault`], or `None` when not failed.
    pub fn fault(&self) -> Option<Fault> {
        self.is_failed().then(|| {
            let (origin, error) = match &self.failure {
                Some(failure) => (failure.origin.clone(), failure.error.clone()),
                None => (self.record.clone(), None),
            };
            Fault::new(self.record.clone(), origin, self.chain(), error)
        })
    }

    /// Propagates a failure from inside `work`: `child.throw()?` fails the
    /// calling task with the child's reason and metadata, keeping the origin;
    /// it does nothing when the child did not fail.
    pub fn throw(&self) -> Result<(), crate::Halt> {
        match self.fault() {
            Some(fault) => Err(crate::Halt::from(fault)),
            None => Ok(()),
        }
    }

    /// Maps the value, keeping everything else.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Outcome<U> {
        Outcome {
            record: self.record,
            value: self.value.map(f),
            failure: self.failure,
        }
    }
}

impl<T: fmt::Debug> fmt::Debug for Outcome<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Outcome")
            .field("task", &self.record.task)
            .field("status", &self.record.status)
            .field("reason", &self.record.reason)
            .field("code", &self.record.code)
            .field("metadata", &self.record.metadata)
            .field("cause", &self.record.cause)
            .field("value", &self.value)
            .field("cid", &self.record.cid)
            .field("index", &self.record.index)
            .finish_non_exhaustive()
    }
}
