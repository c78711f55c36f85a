//! The three small enums every outcome and ledger line carries.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Whether an execution ran to its end.
///
/// `Complete` pairs with [`Status::Success`]; `Interrupted` with
/// [`Status::Skipped`] or [`Status::Failed`] (design invariant 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    /// `work` returned normally (status `success`).
    Complete,
    /// `work` was halted: skipped, failed, panicked, timed out or cancelled.
    Interrupted,
}

/// What an execution achieved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// The task did its work.
    Success,
    /// The task decided there was nothing to do (`skip!`).
    Skipped,
    /// The task could not do its work: `fail!`, an error, a panic, invalid
    /// input, a timeout or cancellation.
    Failed,
}

/// What kind of execution a ledger line records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A plain [`Task`](crate::Task).
    Task,
    /// A workflow: a task made of steps.
    Workflow,
    /// A compensation that undoes an earlier execution (`compensates`).
    Rollback,
}

impl State {
    /// The state that pairs with `status`.
    pub fn of(status: Status) -> Self {
        match status {
            Status::Success => State::Complete,
            Status::Skipped | Status::Failed => State::Interrupted,
        }
    }

    /// The lowercase name used in ledger lines and span attributes.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Complete => "complete",
            State::Interrupted => "interrupted",
        }
    }
}

impl Status {
    /// The lowercase name used in ledger lines and span attributes.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Success => "success",
            Status::Skipped => "skipped",
            Status::Failed => "failed",
        }
    }
}

impl Kind {
    /// The lowercase name used in ledger lines and span attributes.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Task => "task",
            Kind::Workflow => "workflow",
            Kind::Rollback => "rollback",
        }
    }
}

macro_rules! display_as_str {
    ($($t:ty),*) => {$(
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    )*};
}
display_as_str!(State, Status, Kind);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn success_pairs_with_complete_and_the_rest_with_interrupted() {
        assert_eq!(State::of(Status::Success), State::Complete);
        assert_eq!(State::of(Status::Skipped), State::Interrupted);
        assert_eq!(State::of(Status::Failed), State::Interrupted);
    }

    #[test]
    fn names_serialize_lowercase() {
        assert_eq!(
            serde_json::to_string(&Status::Skipped).unwrap(),
            "\"skipped\""
        );
        assert_eq!(
            serde_json::to_string(&Kind::Rollback).unwrap(),
            "\"rollback\""
        );
        assert_eq!(State::Interrupted.to_string(), "interrupted");
    }
}
