//! Retries: [`RetryPolicy`] decides which failures of `work` run it again,
//! how often, and how long to wait ([`Backoff`]).

mod backoff;

pub use backoff::Backoff;

use crate::{Halt, Status};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

type Matcher = dyn Fn(&Halt, u32) -> bool + Send + Sync;

/// Which failures of `work` are retried, how many times, and how long to
/// wait in between.
///
/// Only `work` runs again: inputs are validated once, hooks and middleware
/// run once. A failure is retried when any of the policy's matchers accepts
/// it — an error type ([`on`](Self::on)) or a predicate over the failure and
/// the attempt ([`when`](Self::when)) — and fewer than
/// [`limit`](Self::limit) retries have run. Skips, successes and panics are
/// never retried. A matcher or a [`Backoff::custom`] function that panics
/// leaves that failure unretried (it becomes the outcome); the panic is
/// contained and reported (see [`Plugin::RetryPolicy`](crate::Plugin::RetryPolicy)). Each retry is a `tracing` event in the execution's span,
/// a [`Retried`](crate::EventKind::Retried) event, and counts in the
/// outcome's and the line's `retries`.
///
/// Defaults: `limit(3)`, `delay(500ms)`, no `max_delay`, [`Backoff::constant`].
///
/// ```
/// use cmdx::{Backoff, RetryPolicy};
/// use std::time::Duration;
///
/// let policy = RetryPolicy::on::<std::io::Error>()
///     .or_when(|halt, _attempt| halt.code_text() == Some("rate_limited"))
///     .limit(5)
///     .delay(Duration::from_millis(100))
///     .max_delay(Duration::from_secs(2))
///     .backoff(Backoff::decorrelated_jitter());
/// # let _ = policy;
/// ```
#[derive(Clone)]
#[must_use]
pub struct RetryPolicy {
    matchers: Vec<Arc<Matcher>>,
    limit: u32,
    delay: Duration,
    max_delay: Option<Duration>,
    backoff: Backoff,
}

impl RetryPolicy {
    /// A policy that retries nothing (use it to turn off a runtime-wide
    /// default retry policy for one task).
    pub fn none() -> Self {
        Self {
            matchers: Vec::new(),
            limit: 3,
            delay: Duration::from_millis(500),
            max_delay: None,
            backoff: Backoff::constant(),
        }
    }

    /// Retries failures caused by an error of type `E` — the error returned
    /// with `?` in `work`, or any error in its `source()` chain.
    pub fn on<E: std::error::Error + 'static>() -> Self {
        Self::none().or_on::<E>()
    }

    /// Retries failures `predicate(failure, attempt)` accepts; `attempt` is
    /// the zero-based attempt that just failed.
    pub fn when(predicate: impl Fn(&Halt, u32) -> bool + Send + Sync + 'static) -> Self {
        Self::none().or_when(predicate)
    }

    /// Retries every failure of `work` (not skips, not panics).
    pub fn any_failure() -> Self {
        Self::when(|_, _| true)
    }

    /// Also retries failures caused by an error of type `E`.
    pub fn or_on<E: std::error::Error + 'static>(self) -> Self {
        self.or_when(|halt, _| caused_by::<E>(halt))
    }

    /// Also retries failures `predicate` accepts.
    pub fn or_when(
        mut self,
        predicate: impl Fn(&Halt, u32) -> bool + Send + Sync + 'static,
    ) -> Self {
        self.matchers.push(Arc::new(predicate));
        self
    }

    /// How many retries after the first attempt (`0` turns retries off).
    pub fn limit(mut self, retries: u32) -> Self {
        self.limit = retries;
        self
    }

    /// The base delay the [`Backoff`] strategy starts from.
    pub fn delay(mut self, base: Duration) -> Self {
        self.delay = base;
        self
    }

    /// The longest wait between two attempts, whatever the strategy says.
    pub fn max_delay(mut self, max: Duration) -> Self {
        self.max_delay = Some(max);
        self
    }

    /// How the wait grows (or wiggles) from one retry to the next.
    pub fn backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = backoff;
        self
    }

    /// The wait before retry `attempt + 1`, capped by `max_delay`.
    pub fn wait(&self, attempt: u32, previous: Option<Duration>) -> Duration {
        let wait = self.backoff.delay(attempt, self.delay, previous);
        self.max_delay.map_or(wait, |max| wait.min(max))
    }

    /// Whether `failure` of attempt `attempt` (zero-based) is retried.
    pub fn retries(&self, failure: &Halt, attempt: u32) -> bool {
        failure.status() == Status::Failed
            && attempt < self.limit
            && self
                .matchers
                .iter()
                .any(|matches| matches(failure, attempt))
    }
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self::none()
    }
}

impl fmt::Debug for RetryPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RetryPolicy")
            .field("matchers", &self.matchers.len())
            .field("limit", &self.limit)
            .field("delay", &self.delay)
            .field("max_delay", &self.max_delay)
            .field("backoff", &self.backoff)
            .finish()
    }
}

/// Whether the failure's error, or an error in its source chain, is an `E`.
fn caused_by<E: std::error::Error + 'static>(halt: &Halt) -> bool {
    let mut error: Option<&(dyn std::error::Error + 'static)> = match halt.source_error() {
        Some(error) => Some(error),
        None => return false,
    };
    while let Some(current) = error {
        if current.is::<E>() {
            return true;
        }
        error = current.source();
    }
    false
}
