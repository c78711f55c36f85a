//! [`Fault`]: the error of the strict call.

use crate::chain::shared::SharedRecord;
use crate::ledger::Record;
use crate::{Chain, Status};
use std::error::Error;
use std::fmt;
use std::sync::Arc;
use uuid::Uuid;

/// The typed error behind a failure, shared by its [`Outcome`] and every
/// [`Fault`] made from it (a `Fault` is `Clone`).
///
/// [`Outcome`]: crate::Outcome
pub(crate) type SharedError = Arc<dyn Error + Send + Sync + 'static>;

/// An execution that did not give its value, as the `Err` of
/// [`execute_strict`](crate::TaskExt::execute_strict): it failed (most
/// often), was skipped, or was ended by `success!` without a value —
/// [`Fault::status`] tells which.
///
/// It carries the failed execution's record, the record of the execution
/// that caused the failure (its *origin*: itself, or a nested execution
/// whose failure was propagated with `?`), for roots the chain, and the
/// typed error behind the failure, if `work` returned one: it is the
/// fault's [`source`](Error::source), so `anyhow`/`eyre` reports show the
/// cause and callers can downcast it. Returned with `?` from another task's
/// `work`, it fails that task too, keeps the origin, and becomes that
/// task's error (so the sources read parent → child → the child's error).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use cmdx::prelude::*;
/// use cmdx::{Fault, Ledger, Runtime};
/// use std::error::Error as _;
///
/// #[derive(Debug, Serialize, Deserialize, Validate)]
/// struct LoadStock {}
/// impl Task for LoadStock {
///     type Output = ();
///     fn name() -> &'static str {
///         "LoadStock"
///     }
///     async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
///         Err(std::io::Error::other("disk on fire"))?
///     }
/// }
///
/// let runtime = Runtime::builder().ledger(Ledger::off()).build();
/// let fault: Fault = runtime.scope(LoadStock {}.execute_strict()).await.unwrap_err();
/// assert_eq!(fault.status(), Status::Failed);
/// let io = fault.source().and_then(|e| e.downcast_ref::<std::io::Error>());
/// assert_eq!(io.map(ToString::to_string).as_deref(), Some("disk on fire"));
/// # }
/// ```
#[derive(Clone)]
pub struct Fault {
    record: SharedRecord,
    origin: SharedRecord,
    chain: Option<Chain>,
    error: Option<SharedError>,
}

/// What a failed execution hands its outcome besides the record: the origin's
/// record and the typed error. Boxed behind one pointer in the outcome, so
/// successes carry 8 bytes of `None`.
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) origin: SharedRecord,
    pub(crate) error: Option<SharedError>,
}

impl Fault {
    pub(crate) fn new(
        record: SharedRecord,
        origin: SharedRecord,
        chain: Option<Chain>,
        error: Option<SharedError>,
    ) -> Self {
        Self {
            record,
            origin,
            chain,
            error,
        }
    }

    /// The origin's record, shared (a propagated failure carries it up).
    pub(crate) fn origin_record(&self) -> &SharedRecord {
        &self.origin
    }

    /// The failed execution.
    pub fn record(&self) -> &Record {
        &self.record
    }

    /// The execution that caused the failure (may be [`Fault::record`] itself).
    pub fn origin(&self) -> &Record {
        &self.origin
    }

    /// The chain, when the failed execution was a root.
    pub fn chain(&self) -> Option<&Chain> {
        self.chain.as_ref()
    }

    /// The chain id.
    pub fn chain_id(&self) -> Uuid {
        self.record.cid
    }

    /// How the execution ended: [`Status::Failed`], or — when it gave no
    /// value without failing — [`Status::Skipped`] or [`Status::Success`]
    /// (ended by `success!`).
    pub fn status(&self) -> Status {
        self.record.status
    }

    /// The task's name.
    pub fn task(&self) -> &str {
        &self.record.task
    }

    /// The reason it failed (or skipped).
    pub fn reason(&self) -> Option<&str> {
        self.record.reason.as_deref()
    }

    /// The typed error behind the failure (also [`Error::source`]): what
    /// `work` returned with `?`, or — for a failure propagated from a child
    /// — the child's `Fault`. `None` for `fail!`, invalid input, panics and
    /// timeouts. See [`Outcome::error`](crate::Outcome::error).
    pub fn error(&self) -> Option<&(dyn Error + Send + Sync + 'static)> {
        self.error.as_deref()
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let reason = self.reason().unwrap_or("no reason given");
        let ended = match self.record.status {
            Status::Failed => "failed",
            Status::Skipped => "was skipped",
            Status::Success => "ended without a value",
        };
        write!(f, "task `{}` {ended}: {reason}", self.record.task)?;
        if self.origin.tid != self.record.tid {
            write!(
                f,
                " (caused by `{}`, index {})",
                self.origin.task, self.origin.index
            )?;
        }
        write!(f, " [chain {}]", self.record.cid)
    }
}

impl fmt::Debug for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Fault")
            .field("task", &self.record.task)
            .field("index", &self.record.index)
            .field("reason", &self.record.reason)
            .field("origin", &(&self.origin.task, self.origin.index))
            .field("cid", &self.record.cid)
            .field("error", &self.error)
            .finish()
    }
}

/// The source is the typed error behind the failure ([`Fault::error`]).
/// The fault's own message already names the reason (which is the error's
/// message), so a report repeats it once: the message is meant to stand on
/// its own where only `Display` is printed.
impl Error for Fault {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        self.error
            .as_deref()
            .map(|error| error as &(dyn Error + 'static))
    }
}
