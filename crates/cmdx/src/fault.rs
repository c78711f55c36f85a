//! [`Fault`]: the error of the strict call.

use crate::Chain;
use crate::ledger::Record;
use std::fmt;
use std::sync::Arc;
use uuid::Uuid;

/// A failed execution, as the `Err` of
/// [`execute_strict`](crate::Task::execute_strict).
///
/// It carries the failed execution's record, the record of the execution
/// that caused the failure (its *origin*: itself, or a nested execution
/// whose failure was propagated with `?`), and, for roots, the whole chain.
/// Returned with `?` from another task's `work`, it fails that task too and
/// keeps the origin.
#[derive(Clone)]
pub struct Fault {
    record: Arc<Record>,
    origin: Arc<Record>,
    chain: Option<Chain>,
}

impl Fault {
    pub(crate) fn new(record: Arc<Record>, origin: Arc<Record>, chain: Option<Chain>) -> Self {
        Self {
            record,
            origin,
            chain,
        }
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

    /// The failed task's name.
    pub fn task(&self) -> &str {
        &self.record.task
    }

    /// The reason of the failure.
    pub fn reason(&self) -> Option<&str> {
        self.record.reason.as_deref()
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let reason = self.reason().unwrap_or("no reason given");
        write!(f, "task `{}` failed: {reason}", self.record.task)?;
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
            .finish()
    }
}

impl std::error::Error for Fault {}
