//! [`Saga`]: the completed steps of a running workflow, compensated in the
//! background when the workflow's future is dropped before it ends (a
//! timeout, a client disconnect) — a saga must not leave a charge captured
//! because nobody awaited it to the end.
//!
//! The compensation starts only after the workflow's own line: the saga
//! (inside `work`) is dropped before the workflow's guard writes its
//! `cancelled` line, so it leaves its steps in a [`Leftover`] slot, and the
//! [`AfterLine`] guard — dropped after the guard — spawns their
//! compensation. The spawned task is tracked by the runtime
//! ([`Runtime::shutdown_timeout`](crate::Runtime::shutdown_timeout)); a step
//! whose compensation never ran gets a `rollback` line saying so.

use super::compensate;
use super::progress::Progress;
use crate::Runtime;
use crate::chain::scope::{self, Scope};
use crate::shutdown::Abort;
use std::sync::{Arc, Mutex};
use tracing::Instrument;

/// Holds the workflow's [`Progress`] until the workflow either succeeds
/// (its completed steps are handed on), fails (they are compensated, one by
/// one, taken from here) or is dropped (what is left goes to the
/// [`Leftover`] slot).
pub(super) struct Saga {
    pub(super) progress: Progress,
    /// The workflow's chain position and span, captured while it runs.
    scope: Option<Scope>,
    span: tracing::Span,
    leftover: Leftover,
}

impl Saga {
    /// Call from inside the workflow's `work`, so the chain position is the
    /// workflow's.
    pub(super) fn new(progress: Progress, leftover: Leftover) -> Self {
        Self {
            progress,
            scope: scope::current(),
            span: tracing::Span::current(),
            leftover,
        }
    }
}

impl Drop for Saga {
    fn drop(&mut self) {
        let progress = std::mem::take(&mut self.progress);
        let Some(scope) = self.scope.take() else {
            return;
        };
        if !progress.has_completed() {
            return;
        }
        let left = Left {
            progress,
            scope,
            span: self.span.clone(),
        };
        *self
            .leftover
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(left);
    }
}

/// Where a dropped workflow's completed steps wait for its line.
#[derive(Clone, Default)]
pub(super) struct Leftover(Arc<Mutex<Option<Left>>>);

pub(super) struct Left {
    progress: Progress,
    scope: Scope,
    span: tracing::Span,
}

/// Compensates what a dropped workflow left, once dropped itself: hold it
/// in the future that awaits the workflow's execution, declared before it.
pub(super) struct AfterLine(pub(super) Leftover);

impl Drop for AfterLine {
    fn drop(&mut self) {
        let left = self
            .0
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take();
        if let Some(left) = left {
            compensate_later(left);
        }
    }
}

/// Spawns the compensation of `left` as work tracked by its runtime.
fn compensate_later(left: Left) {
    let Left {
        progress,
        scope,
        span,
    } = left;
    let runtime = scope.runtime().clone();
    let Ok(handle) = tokio::runtime::Handle::try_current() else {
        // No tokio runtime left to run the compensations on: each step
        // gets a line saying its compensation did not run.
        scope::sync_enter(scope, || drop(NotRun(progress, runtime)));
        return;
    };
    let registration = runtime.register(Abort::NotYet);
    let arming = registration.clone_handle();
    let compensations = async move {
        // Dropped last: the set is left once every line is written.
        let _registration = registration;
        let mut remaining = NotRun(progress, runtime);
        let _ = compensate::all(&mut remaining.0).await;
    };
    let task = handle.spawn(scope::enter(scope, compensations).instrument(span));
    arming.arm(Abort::Task(task.abort_handle()));
}

/// Steps whose compensation has not run; dropped with some left (the
/// compensation task was aborted at the shutdown deadline), each gets a
/// `rollback` line saying its compensation did not run.
struct NotRun(Progress, Runtime);

impl Drop for NotRun {
    fn drop(&mut self) {
        while let Some((step, _)) = self.0.pop() {
            compensate::not_run(step, &self.1);
        }
    }
}
