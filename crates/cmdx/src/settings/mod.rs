//! [`Settings`]: per-task configuration, layered over the runtime's defaults.

mod deprecation;
mod global;

pub use deprecation::Deprecation;

pub(crate) use global::Global;

use crate::RetryPolicy;
use crate::hooks::{Around, DynAround, Hooks};
use crate::middleware::{DynMiddleware, Middleware};
use crate::{Status, input};
use serde_json::Value;
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// A task's configuration: what [`Task::settings`](crate::Task::settings)
/// returns. Anything left unset falls back to the runtime's default (see
/// [`RuntimeBuilder`](crate::RuntimeBuilder)); tags are the task's
/// [`Task::TAGS`](crate::Task::TAGS), added to the runtime's tags.
///
/// ```
/// use cmdx::prelude::*;
/// use cmdx::{Deprecation, LedgerLevel, RetryPolicy, Settings};
/// use std::time::Duration;
///
/// #[derive(Debug, Serialize, Deserialize, Validate)]
/// struct ImportCatalog {
///     #[garde(skip)]
///     url: String,
///     #[garde(skip)]
///     payload: String,
/// }
///
/// impl Task for ImportCatalog {
///     type Output = ();
///     fn name() -> &'static str {
///         "ImportCatalog"
///     }
///     const TAGS: &'static [&'static str] = &["catalog", "batch"];
///
///     fn settings() -> Settings {
///         Settings::new()
///             .retry(RetryPolicy::on::<std::io::Error>().limit(2))
///             .timeout(Duration::from_secs(30))
///             .rollback_timeout(Duration::from_secs(10))
///             .exclude_input(["payload"])
///             .ledger(LedgerLevel::All)
///             .deprecated(Deprecation::warn("use ImportCatalogV2"))
///     }
///
///     async fn work(&self, _: &mut Cx) -> Result<(), Halt> { Ok(()) }
/// }
/// ```
///
/// `settings()` runs once per execution. Building it is free when nothing
/// is set; a task whose settings hold closures can build them once in a
/// `static LazyLock<Settings>` and return a clone (clones share them).
#[derive(Clone, Default)]
#[must_use]
pub struct Settings {
    pub(crate) retry: Option<RetryPolicy>,
    pub(crate) timeout: Option<Option<Duration>>,
    pub(crate) rollback_timeout: Option<Duration>,
    pub(crate) ledger: Option<LedgerLevel>,
    pub(crate) exclude: Vec<Cow<'static, str>>,
    pub(crate) deprecation: Option<Deprecation>,
    pub(crate) record_output: bool,
    pub(crate) middleware: Vec<Arc<dyn DynMiddleware>>,
    pub(crate) hooks: Vec<Arc<dyn Hooks>>,
    pub(crate) arounds: Vec<Arc<dyn DynAround>>,
}

/// No settings, for tasks that set none.
pub(crate) static NONE: Settings = Settings::new();

impl Settings {
    /// Nothing set: every setting falls back to the runtime's default.
    pub const fn new() -> Self {
        Self {
            retry: None,
            timeout: None,
            rollback_timeout: None,
            ledger: None,
            exclude: Vec::new(),
            deprecation: None,
            record_output: false,
            middleware: Vec::new(),
            hooks: Vec::new(),
            arounds: Vec::new(),
        }
    }

    /// Whether nothing is set.
    pub(crate) fn is_empty(&self) -> bool {
        self.retry.is_none()
            && self.timeout.is_none()
            && self.rollback_timeout.is_none()
            && self.ledger.is_none()
            && self.exclude.is_empty()
            && self.deprecation.is_none()
            && !self.record_output
            && self.middleware.is_empty()
            && self.hooks.is_empty()
            && self.arounds.is_empty()
    }

    /// Retries `work` under `policy` (instead of the runtime's default
    /// policy; [`RetryPolicy::none`] turns retries off).
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = Some(policy);
        self
    }

    /// Fails the task if `work` (every attempt and retry wait) takes longer
    /// than `limit`: `work` is dropped, the outcome is failed with the reason
    /// `timed out after …`, and the task's rollback runs.
    pub fn timeout(mut self, limit: Duration) -> Self {
        self.timeout = Some(Some(limit));
        self
    }

    /// No time limit, whatever the runtime's default.
    pub fn no_timeout(mut self) -> Self {
        self.timeout = Some(None);
        self
    }

    /// Limits this task's `rollback` to `limit` (instead of the runtime's
    /// [`rollback_timeout`](crate::RuntimeBuilder::rollback_timeout),
    /// 30 s by default) — after its own failure, and when a workflow
    /// compensates it as a completed step. A rollback still running then
    /// is dropped: the outcome keeps its status and reason, `rolled_back`
    /// is true (it ran, without finishing) and `framework.rollback_error`
    /// says it timed out; a compensation's `rollback` line is failed
    /// `timed out after …`. Rollbacks are always bounded: give a long
    /// limit to one that legitimately takes long.
    pub fn rollback_timeout(mut self, limit: Duration) -> Self {
        self.rollback_timeout = Some(limit);
        self
    }

    /// Which executions of this task write a ledger line.
    pub fn ledger(mut self, level: LedgerLevel) -> Self {
        self.ledger = Some(level);
        self
    }

    /// Leaves these input fields out of the line's `input` (a large payload,
    /// say), on top of the runtime's exclusions. Fields that must never be
    /// shown belong in [`Secret`](crate::Secret) instead.
    pub fn exclude_input<I, S>(mut self, fields: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<Cow<'static, str>>,
    {
        self.exclude.extend(fields.into_iter().map(Into::into));
        self
    }

    /// Writes the output on the line's `output` (`null` otherwise, the
    /// default): a task's output value when it succeeds, a workflow's final
    /// context. Redacted like the input: a [`Secret`](crate::Secret) shows
    /// as `"[REDACTED]"` (for a workflow, every context key a step reads as
    /// a secret), and the [excluded](Self::exclude_input) top-level keys
    /// are left out. Serialized only when a line can show it.
    pub fn record_output(mut self, on: bool) -> Self {
        self.record_output = on;
        self
    }

    /// Marks the task deprecated: warn on every use, or refuse to run.
    pub fn deprecated(mut self, deprecation: Deprecation) -> Self {
        self.deprecation = Some(deprecation);
        self
    }

    /// Wraps this task's executions in `middleware`, inside the runtime's
    /// middleware (see [`middleware`](crate::middleware) for the order).
    pub fn layer(mut self, middleware: impl Middleware) -> Self {
        self.middleware.push(Arc::new(middleware));
        self
    }

    /// Runs `hooks` at this task's lifecycle points, after the runtime's.
    /// For hooks that apply only sometimes, register
    /// `hooks.when(|cx| …)` (see [`When`](crate::When)).
    pub fn hooks(mut self, hooks: impl Hooks) -> Self {
        self.hooks.push(Arc::new(hooks));
        self
    }

    /// Wraps this task's `work` and rollback in `around`, inside the
    /// runtime's around hooks (see [`Around`]).
    pub fn around(mut self, around: impl Around) -> Self {
        self.arounds.push(Arc::new(around));
        self
    }
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settings")
            .field("retry", &self.retry)
            .field("timeout", &self.timeout)
            .field("rollback_timeout", &self.rollback_timeout)
            .field("ledger", &self.ledger)
            .field("exclude", &self.exclude)
            .field("deprecation", &self.deprecation)
            .field("record_output", &self.record_output)
            .field("middleware", &self.middleware.len())
            .field("hooks", &self.hooks.len())
            .field("arounds", &self.arounds.len())
            .finish()
    }
}

/// Which executions write a ledger line. Executions that write none still
/// have a record (in their outcome and their chain) and a span.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum LedgerLevel {
    /// Every execution (the default).
    #[default]
    All,
    /// Only skipped and failed executions.
    Interrupted,
    /// Only failed executions.
    Failed,
    /// None (inputs are not serialized either).
    Off,
}

impl LedgerLevel {
    /// Whether an execution ending with `status` writes its line.
    pub fn admits(self, status: Status) -> bool {
        match self {
            LedgerLevel::All => true,
            LedgerLevel::Interrupted => status != Status::Success,
            LedgerLevel::Failed => status == Status::Failed,
            LedgerLevel::Off => false,
        }
    }
}

/// Removes the excluded top-level fields from a serialized input.
pub(crate) fn exclude(
    input: Option<Box<RawValue>>,
    global: &[Cow<'static, str>],
    local: &[Cow<'static, str>],
) -> Option<Box<RawValue>> {
    if global.is_empty() && local.is_empty() {
        return input;
    }
    let raw = input?;
    match serde_json::from_str::<Value>(raw.get()) {
        Ok(Value::Object(mut fields)) => {
            for field in global.iter().chain(local) {
                fields.remove(field.as_ref());
            }
            input::to_raw(&fields)
        }
        _ => Some(raw),
    }
}
