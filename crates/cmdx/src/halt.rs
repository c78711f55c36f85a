//! [`Halt`]: how `work` stops early, and the `fail!` / `skip!` / `success!` macros.

use crate::Status;
use crate::chain::shared::SharedRecord;
use crate::fault::Fault;
use serde::Serialize;
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::fmt;

/// A boxed error, for errors that belong to the user (rollbacks, sinks).
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Why `work` stopped before returning its output.
///
/// Build one with [`fail!`](crate::fail), [`skip!`](crate::skip) or
/// [`success!`](crate::success), or let `?` convert any error: the task then
/// fails with the error's message as reason and its source chain as cause.
/// A [`Fault`] from a nested strict call keeps its origin, so the outcome
/// records which execution caused the failure.
///
/// `Halt` deliberately does not implement `std::error::Error`, so that every
/// error type converts into it with `?`. It is one pointer wide, so a
/// `Result<T, Halt>` stays small as it travels up from `work`.
pub struct Halt(pub(crate) Box<Stop>);

/// What a [`Halt`] carries; an [`Ending`](crate::ending::Ending) takes it over
/// (and keeps its own status: `status` is the halt's).
#[derive(Debug)]
pub(crate) struct Stop {
    pub(crate) status: Status,
    pub(crate) reason: Option<String>,
    /// The line's `code`.
    pub(crate) code: Option<Cow<'static, str>>,
    /// The line's `errors`: field → messages, for invalid input.
    pub(crate) errors: Option<Map<String, Value>>,
    /// The user's keys (the line's `metadata`).
    pub(crate) metadata: Map<String, Value>,
    /// The framework's keys (the line's `framework`).
    pub(crate) framework: Map<String, Value>,
    pub(crate) cause: Option<String>,
    /// The record of the execution that caused a propagated failure (from
    /// the child's [`Fault`]), so no execution has to look it up.
    pub(crate) origin: Option<SharedRecord>,
    /// The typed error: read by retry predicates, then kept on the outcome.
    pub(crate) error: Option<crate::BoxError>,
}

impl Default for Stop {
    fn default() -> Self {
        Self {
            status: Status::Failed,
            reason: None,
            code: None,
            errors: None,
            metadata: Map::new(),
            framework: Map::new(),
            cause: None,
            origin: None,
            error: None,
        }
    }
}

impl Halt {
    fn new(status: Status, reason: Option<String>) -> Self {
        Self(Box::new(Stop {
            status,
            reason,
            ..Stop::default()
        }))
    }

    /// Fails the task with `reason`.
    pub fn fail(reason: impl Into<String>) -> Self {
        Self::new(Status::Failed, Some(reason.into()))
    }

    /// Skips the task with `reason`.
    pub fn skip(reason: impl Into<String>) -> Self {
        Self::new(Status::Skipped, Some(reason.into()))
    }

    /// Ends the task successfully, now, with `reason`. The outcome has no
    /// value ([`Outcome::value`](crate::Outcome::value) is `None`).
    pub fn success(reason: impl Into<String>) -> Self {
        Self::new(Status::Success, Some(reason.into()))
    }

    /// A halt with `status` and no reason (the line's `reason` is null):
    /// what `fail!()` and `skip!()` without a reason make.
    pub fn without_reason(status: Status) -> Self {
        Self::new(status, None)
    }

    /// Fails the task with an error: its message becomes the reason, its
    /// source chain the cause.
    pub fn error(error: impl Into<crate::BoxError>) -> Self {
        let error: crate::BoxError = error.into();
        let error = match error.downcast::<Fault>() {
            Ok(fault) => return Self::from_fault(*fault),
            Err(error) => error,
        };
        let mut halt = Self::new(Status::Failed, Some(error.to_string()));
        halt.0.cause = Some(error_chain(&*error));
        halt.0.error = Some(error);
        halt
    }

    /// A child's [`Fault`] propagated with `?`: a failure fails the caller
    /// (keeping the origin), a skip skips it, and a child ended by
    /// `success!` without the value the caller asked for fails it.
    fn from_fault(fault: Fault) -> Self {
        let record = fault.record();
        match record.status {
            Status::Failed => {}
            Status::Skipped => {
                let mut halt = Self::new(Status::Skipped, record.reason.clone());
                halt.0.code = record.code.clone();
                halt.0.metadata = record.metadata.clone();
                return halt;
            }
            Status::Success => {
                let reason = format!(
                    "`{}` ended without a value ({})",
                    record.task,
                    record.reason.as_deref().unwrap_or("no reason given")
                );
                let mut halt = Self::new(Status::Failed, Some(reason)).code("no_value");
                halt.0.origin = Some(fault.origin_record().clone());
                return halt;
            }
        }
        let mut halt = Self::new(Status::Failed, record.reason.clone());
        halt.0.code = record.code.clone();
        halt.0.errors = record.errors.clone();
        halt.0.metadata = record.metadata.clone();
        halt.0.framework = record.framework.clone();
        halt.0.cause = record.cause.clone();
        halt.0.origin = Some(fault.origin_record().clone());
        halt.0.error = Some(Box::new(fault));
        halt
    }

    /// Adds `key = value` to the outcome's metadata — except the key
    /// `code`, which sets the [code](Self::code) (the line's `code`, not a
    /// metadata key): `fail!("…", code = "out_of_stock")` is
    /// `Halt::fail("…").code("out_of_stock")`. A code that is not a string
    /// is kept as its JSON text.
    pub fn with(mut self, key: impl Into<String>, value: impl Serialize) -> Self {
        let key = key.into();
        let value = serde_json::to_value(value).unwrap_or(Value::Null);
        if key == "code" {
            self.0.code = Some(Cow::Owned(match value {
                Value::String(code) => code,
                other => other.to_string(),
            }));
        } else {
            self.0.metadata.insert(key, value);
        }
        self
    }

    /// Sets the failure (or skip) code, e.g. `"out_of_stock"`: the line's
    /// `code`, [`Outcome::code`](crate::Outcome::code), what HTTP status
    /// maps read.
    pub fn code(mut self, code: impl Into<String>) -> Self {
        self.0.code = Some(Cow::Owned(code.into()));
        self
    }

    /// Sets the cause text shown in the outcome and the ledger line.
    pub fn caused_by(mut self, cause: impl Into<String>) -> Self {
        self.0.cause = Some(cause.into());
        self
    }

    /// The status the task ends with.
    pub fn status(&self) -> Status {
        self.0.status
    }

    /// The reason given.
    pub fn reason(&self) -> Option<&str> {
        self.0.reason.as_deref()
    }

    /// The code given ([`code`](Self::code), or `code = …` in the macros).
    pub fn code_text(&self) -> Option<&str> {
        self.0.code.as_deref()
    }

    /// The metadata given (the user's keys; never the code).
    pub fn metadata(&self) -> &Map<String, Value> {
        &self.0.metadata
    }

    /// The error this halt was made from, if any (for retry predicates).
    pub fn source_error(&self) -> Option<&(dyn std::error::Error + Send + Sync + 'static)> {
        self.0.error.as_deref()
    }
}

impl<E: std::error::Error + Send + Sync + 'static> From<E> for Halt {
    fn from(error: E) -> Self {
        Halt::error(error)
    }
}

impl fmt::Debug for Halt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Halt")
            .field("status", &self.0.status)
            .field("reason", &self.0.reason)
            .field("code", &self.0.code)
            .field("metadata", &self.0.metadata)
            .field("cause", &self.0.cause)
            .finish_non_exhaustive()
    }
}

/// `error: source: source of source …`
pub(crate) fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(inner) = source {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        source = inner.source();
    }
    text
}

/// Fails the task now: `fail!("Insufficient stock", code = "out_of_stock", available = n)`.
///
/// Expands to `return Err(Halt::fail(reason).with("key", value)…)`, so use it
/// directly in `work` (or any function returning `Result<_, Halt>`). Values
/// are anything `Serialize`.
///
/// ```
/// # use cmdx::prelude::*;
/// fn check(available: i64, requested: i64) -> Result<(), Halt> {
///     if available < requested {
///         fail!("Insufficient stock", code = "out_of_stock", available = available, requested = requested);
///     }
///     Ok(())
/// }
/// let halt = check(0, 10).unwrap_err();
/// assert_eq!(halt.reason(), Some("Insufficient stock"));
/// assert_eq!(halt.code_text(), Some("out_of_stock"));
/// assert_eq!(halt.metadata()["available"], 0);
///
/// // The reason is optional, as in CMDx: `fail!()`, `fail!(code = "gone")`.
/// fn gone() -> Result<(), Halt> {
///     fail!(code = "gone");
/// }
/// let halt = gone().unwrap_err();
/// assert_eq!((halt.status(), halt.reason()), (Status::Failed, None));
/// ```
#[macro_export]
macro_rules! fail {
    ($($key:ident = $value:expr),* $(,)?) => {
        return ::core::result::Result::Err(
            $crate::Halt::without_reason($crate::Status::Failed)
                $(.with(::core::stringify!($key), &$value))*
        )
    };
    ($reason:expr $(, $key:ident = $value:expr)* $(,)?) => {
        return ::core::result::Result::Err(
            $crate::Halt::fail($reason)$(.with(::core::stringify!($key), &$value))*
        )
    };
}

/// Skips the task now: `skip!("Nothing to do", order_id = id)`, or without a
/// reason: `skip!()`, `skip!(order_id = id)`. See [`fail!`].
#[macro_export]
macro_rules! skip {
    ($($key:ident = $value:expr),* $(,)?) => {
        return ::core::result::Result::Err(
            $crate::Halt::without_reason($crate::Status::Skipped)
                $(.with(::core::stringify!($key), &$value))*
        )
    };
    ($reason:expr $(, $key:ident = $value:expr)* $(,)?) => {
        return ::core::result::Result::Err(
            $crate::Halt::skip($reason)$(.with(::core::stringify!($key), &$value))*
        )
    };
}

/// Ends the task successfully now, with a reason: `success!("Already done")`.
/// The outcome then carries no value. See [`fail!`].
#[macro_export]
macro_rules! success {
    ($reason:expr $(, $key:ident = $value:expr)* $(,)?) => {
        return ::core::result::Result::Err(
            $crate::Halt::success($reason)$(.with(::core::stringify!($key), &$value))*
        )
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Outer(std::io::Error);
    impl fmt::Display for Outer {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("could not load stock")
        }
    }
    impl std::error::Error for Outer {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.0)
        }
    }

    #[test]
    fn an_error_fails_with_its_message_as_reason_and_its_chain_as_cause() {
        let halt = Halt::from(Outer(std::io::Error::other("disk on fire")));
        assert_eq!(halt.status(), Status::Failed);
        assert_eq!(halt.reason(), Some("could not load stock"));
        assert_eq!(
            halt.0.cause.as_deref(),
            Some("could not load stock: disk on fire")
        );
        assert!(halt.source_error().is_some());
    }

    #[test]
    fn a_halt_is_one_pointer_wide() {
        assert_eq!(size_of::<Halt>(), size_of::<usize>());
        assert_eq!(size_of::<Result<(), Halt>>(), size_of::<usize>());
    }

    #[test]
    fn macros_stop_with_their_status_and_metadata() {
        fn skipper() -> Result<(), Halt> {
            skip!("nothing to do", order = 7);
        }
        let halt = skipper().unwrap_err();
        assert_eq!(halt.status(), Status::Skipped);
        assert_eq!(halt.metadata()["order"], 7);
    }

    #[test]
    fn code_is_the_code_and_never_a_metadata_key() {
        fn failer() -> Result<(), Halt> {
            fail!("no stock", code = "out_of_stock", errors = ["mine"]);
        }
        let halt = failer().unwrap_err();
        assert_eq!(halt.code_text(), Some("out_of_stock"));
        assert!(!halt.metadata().contains_key("code"));
        // `errors` given to `fail!` is the user's.
        assert_eq!(halt.metadata()["errors"][0], "mine");
        assert!(halt.0.errors.is_none());
        let numeric = Halt::fail("x").with("code", 42);
        assert_eq!(numeric.code_text(), Some("42"));
        assert_eq!(Halt::skip("y").code("later").code_text(), Some("later"));
    }
}
