//! [`Ending`]: how an execution ended, before it becomes a record.
//!
//! A leaf data type shared by the engine (`exec`) and the policies (hooks,
//! middleware, retries) that shape an ending: it depends on neither.

use crate::halt::{Stop, error_chain};
use crate::input::FieldErrors;
use crate::{Halt, Status};
use serde_json::{Map, Value};
use std::any::Any;
use std::sync::LazyLock;

use crate::contain::panic_message;

/// Everything about the end of an execution that is not its identity.
///
/// Small on purpose (it travels up through every layer of the lifecycle):
/// reason, metadata, cause and origin live behind one pointer, and a plain
/// success has none.
#[derive(Debug)]
pub(crate) struct Ending {
    pub(crate) status: Status,
    pub(crate) rolled_back: bool,
    pub(crate) retries: u32,
    detail: Option<Box<Stop>>,
}

/// The reason of an execution dropped at the shutdown deadline.
pub(crate) const INTERRUPTED_BY_SHUTDOWN: &str = "interrupted by shutdown";

static NO_METADATA: LazyLock<Map<String, Value>> = LazyLock::new(Map::new);

impl Ending {
    pub(crate) fn success() -> Self {
        Self::with_status(Status::Success, None)
    }

    pub(crate) fn with_status(status: Status, reason: Option<String>) -> Self {
        Self {
            status,
            rolled_back: false,
            retries: 0,
            detail: reason.map(|reason| {
                Box::new(Stop {
                    reason: Some(reason),
                    ..Stop::default()
                })
            }),
        }
    }

    pub(crate) fn from_halt(halt: Halt) -> Self {
        // The error served retry predicates and goes on to the outcome;
        // the record keeps only its text (`cause`).
        let stop = halt.0;
        Self {
            status: stop.status,
            rolled_back: false,
            retries: 0,
            detail: Some(stop),
        }
    }

    /// Why it was skipped or failed.
    pub(crate) fn reason(&self) -> Option<&str> {
        self.detail.as_ref()?.reason.as_deref()
    }

    /// The code, if any.
    pub(crate) fn code(&self) -> Option<&str> {
        self.detail.as_ref()?.code.as_deref()
    }

    /// The metadata (empty when none was given).
    pub(crate) fn metadata(&self) -> &Map<String, Value> {
        self.detail
            .as_ref()
            .map_or(&*NO_METADATA, |detail| &detail.metadata)
    }

    /// Reason, metadata, cause and origin, to change them.
    pub(crate) fn detail_mut(&mut self) -> &mut Stop {
        self.detail.get_or_insert_default()
    }

    /// Reason, metadata, cause and origin, for the record.
    pub(crate) fn into_detail(self) -> Stop {
        self.detail.map(|detail| *detail).unwrap_or_default()
    }

    pub(crate) fn invalid(errors: FieldErrors) -> Self {
        let mut ending = Self::with_status(Status::Failed, Some(invalid_reason(&errors)));
        let errors = errors
            .into_iter()
            .map(|(field, messages)| (field, Value::from(messages)))
            .collect();
        let detail = ending.detail_mut();
        detail.code = Some("invalid_input".into());
        detail.errors = Some(errors);
        ending
    }

    pub(crate) fn panicked(payload: &(dyn Any + Send)) -> Self {
        let message = panic_message(payload);
        let mut ending = Self::with_status(Status::Failed, Some(format!("panicked: {message}")));
        ending.detail_mut().cause = Some(format!("panicked: {message}"));
        ending
    }

    pub(crate) fn cancelled() -> Self {
        let mut ending = Self::with_status(Status::Failed, Some("cancelled".into()));
        ending.detail_mut().cause = Some(
            "the future executing this task was dropped before it finished \
             (client disconnect, select!, timeout or shutdown)"
                .into(),
        );
        ending
    }

    /// The future was dropped after the runtime's shutdown deadline
    /// ([`Runtime::shutdown_timeout`](crate::Runtime::shutdown_timeout)).
    pub(crate) fn interrupted_by_shutdown() -> Self {
        let mut ending = Self::with_status(Status::Failed, Some(INTERRUPTED_BY_SHUTDOWN.into()));
        let detail = ending.detail_mut();
        detail.code = Some("shutdown".into());
        detail.cause = Some(
            "the runtime shut down (Runtime::shutdown_timeout) before this execution finished, \
             and dropped it at the deadline: its outcome is unknown, the work may or may not \
             have taken effect; check before retrying it"
                .into(),
        );
        ending
    }

    /// The ending of an execution whose future was dropped: `cancelled`,
    /// or `interrupted by shutdown` past `runtime`'s shutdown deadline.
    pub(crate) fn dropped(runtime: &crate::Runtime) -> Self {
        if runtime.is_interrupting() {
            Self::interrupted_by_shutdown()
        } else {
            Self::cancelled()
        }
    }

    /// `work` ran out of time and was dropped.
    pub(crate) fn timed_out(limit: std::time::Duration) -> Self {
        let mut ending =
            Self::with_status(Status::Failed, Some(format!("timed out after {limit:?}")));
        let detail = ending.detail_mut();
        detail.code = Some("timeout".into());
        detail.cause = Some(format!(
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
        ending.detail_mut().code = Some("deprecated".into());
        ending
    }

    /// Notes a failed rollback without replacing the original failure.
    pub(crate) fn rollback_failed(&mut self, error: &(dyn std::error::Error + 'static)) {
        self.detail_mut()
            .framework
            .insert("rollback_error".into(), error_chain(error).into());
    }
}

fn invalid_reason(errors: &FieldErrors) -> String {
    let fields: Vec<&str> = errors.keys().map(String::as_str).collect();
    format!("Invalid input: {}", fields.join(", "))
}
