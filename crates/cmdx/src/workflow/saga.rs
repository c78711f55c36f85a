//! [`Saga`]: the completed steps of a running workflow, compensated in the
//! background when the workflow's future is dropped before it ends (a
//! timeout, a client disconnect) — a saga must not leave a charge captured
//! because nobody awaited it to the end.

use super::compensate;
use super::step::Completed;
use crate::chain::scope::{self, Scope};
use tracing::Instrument;

/// Holds the completed steps until the workflow either succeeds (they are
/// handed on), fails (they are compensated, one by one, taken from here) or
/// is dropped (the rest are compensated by a spawned task).
pub(super) struct Saga {
    pub(super) completed: Vec<Completed>,
    /// The workflow's chain position and span, captured while it runs.
    scope: Option<Scope>,
    span: tracing::Span,
}

impl Saga {
    /// Call from inside the workflow's `work`, so the chain position is the
    /// workflow's.
    pub(super) fn new() -> Self {
        Self {
            completed: Vec::new(),
            scope: scope::current(),
            span: tracing::Span::current(),
        }
    }
}

impl Drop for Saga {
    fn drop(&mut self) {
        let mut completed = std::mem::take(&mut self.completed);
        if completed.is_empty() {
            return;
        }
        let (Ok(handle), Some(scope)) = (tokio::runtime::Handle::try_current(), self.scope.take())
        else {
            // No runtime left to run the compensations on (shutdown).
            return;
        };
        let compensations = async move {
            let _ = compensate::all(&mut completed).await;
        };
        drop(handle.spawn(scope::enter(scope, compensations).instrument(self.span.clone())));
    }
}
