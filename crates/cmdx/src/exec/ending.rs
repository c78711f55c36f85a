//! [`Ending`]: how an execution ended, before it becomes a record.

use crate::halt::error_chain;
use crate::input::FieldErrors;
use crate::{Halt, Status};
use serde_json::{Map, Value};
use std::any::Any;
use uuid::Uuid;

/// Everything about the end of an execution that is not its identity.
#[derive(Debug)]
pub(crate) struct Ending {
    pub(crate) status: Status,
    pub(crate) reason: Option<String>,
    pub(crate) metadata: Map<String, Value>,
    pub(crate) cause: Option<String>,
    /// For propagated failures, the execution that caused it.
    pub(crate) origin: Option<Uuid>,
    pub(crate) rolled_back: bool,
    pub(crate) retries: u32,
}

impl Ending {
    pub(crate) fn success() -> Self {
        Self::with_status(Status::Success, None)
    }

    pub(crate) fn with_status(status: Status, reason: Option<String>) -> Self {
        Self {
            status,
            reason,
            metadata: Map::new(),
            cause: None,
            origin: None,
            rolled_back: false,
            retries: 0,
        }
    }

    pub(crate) fn from_halt(halt: Halt) -> Self {
        Self {
            status: halt.status,
            reason: halt.reason,
            metadata: halt.metadata,
            cause: halt.cause,
            origin: halt.origin,
            rolled_back: false,
            retries: 0,
        }
    }

    pub(crate) fn invalid(errors: FieldErrors) -> Self {
        let mut ending = Self::with_status(Status::Failed, Some(invalid_reason(&errors)));
        ending
            .metadata
            .insert("code".into(), "invalid_input".into());
        let errors = errors
            .into_iter()
            .map(|(field, messages)| (field, Value::from(messages)))
            .collect();
        ending
            .metadata
            .insert("errors".into(), Value::Object(errors));
        ending
    }

    pub(crate) fn panicked(payload: &(dyn Any + Send)) -> Self {
        let message = panic_message(payload);
        let mut ending = Self::with_status(Status::Failed, Some(format!("panicked: {message}")));
        ending.cause = Some(format!("panicked: {message}"));
        ending
    }

    pub(crate) fn cancelled() -> Self {
        let mut ending = Self::with_status(Status::Failed, Some("cancelled".into()));
        ending.cause = Some(
            "the future executing this task was dropped before it finished \
             (client disconnect, select!, timeout or shutdown)"
                .into(),
        );
        ending
    }

    /// `work` ran out of time and was dropped.
    pub(crate) fn timed_out(limit: std::time::Duration) -> Self {
        let mut ending =
            Self::with_status(Status::Failed, Some(format!("timed out after {limit:?}")));
        ending.metadata.insert("code".into(), "timeout".into());
        ending.cause = Some(format!(
            "work did not finish within its time limit of {limit:?} and was dropped; \
             raise the limit (Settings::timeout, middleware::Timeout) or make work faster"
        ));
        ending
    }

    /// A deprecated task refused to run.
    pub(crate) fn deprecated(task: &str, note: &str) -> Self {
        let mut ending = Self::with_status(
            Status::Failed,
            Some(format!("task `{task}` is deprecated: {note}")),
        );
        ending.metadata.insert("code".into(), "deprecated".into());
        ending
    }

    /// Notes a failed rollback without replacing the original failure.
    pub(crate) fn rollback_failed(&mut self, error: &(dyn std::error::Error + 'static)) {
        self.metadata
            .insert("rollback_error".into(), error_chain(error).into());
    }
}

fn invalid_reason(errors: &FieldErrors) -> String {
    let fields: Vec<&str> = errors.keys().map(String::as_str).collect();
    format!("Invalid input: {}", fields.join(", "))
}

pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        (*text).to_owned()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "a non-string panic payload".to_owned()
    }
}
