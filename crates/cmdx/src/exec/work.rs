//! Runs `work`: attempt after attempt under a [`RetryPolicy`] (which
//! decides, the engine runs), all within an optional deadline.

use super::{Ending, Executable, Execution, within};
use crate::contain::Plugin;
use crate::events::EventKind;
use crate::middleware::Deadline;
use crate::{Cx, Halt, RetryPolicy};
use futures::FutureExt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::time::Duration;

/// Runs `work` until it succeeds, stops for good, or the deadline passes
/// (then `work` is dropped and the ending says it timed out). The ending
/// carries how many retries ran. Without a policy or a deadline, one
/// [`attempt`] is all there is to run.
pub(crate) async fn run_work<E: Executable>(
    unit: &E,
    cx: &mut Cx,
    execution: &Execution,
    policy: Option<&RetryPolicy>,
    deadline: Option<Deadline>,
) -> (Option<E::Output>, Ending) {
    let mut retries = 0;
    let (value, mut ending) = match deadline {
        None => attempts(unit, cx, execution, policy, &mut retries).await,
        Some(deadline) => {
            let work = attempts(unit, cx, execution, policy, &mut retries);
            match tokio::time::timeout_at(deadline.at, work).await {
                Ok(done) => done,
                Err(_) => (None, Ending::timed_out(deadline.limit)),
            }
        }
    };
    ending.retries = retries;
    (value, ending)
}

/// What one attempt of `work` returned, or its panic.
pub(crate) type Worked<T> = std::thread::Result<Result<T, Halt>>;

/// One attempt of `work`: inside the execution's span and chain frame,
/// panics caught.
pub(crate) fn attempt<'a, E: Executable>(
    unit: &'a E,
    cx: &'a mut Cx,
    execution: &'a Execution,
) -> impl Future<Output = Worked<E::Output>> + Send + 'a {
    within(execution, AssertUnwindSafe(unit.work(cx)).catch_unwind())
}

/// How an execution ends after its last attempt.
pub(crate) fn settle<T>(worked: Worked<T>) -> (Option<T>, Ending) {
    match worked {
        Ok(Ok(value)) => (Some(value), Ending::success()),
        Ok(Err(halt)) => (None, Ending::from_halt(halt)),
        Err(payload) => (None, Ending::panicked(&*payload)),
    }
}

async fn attempts<E: Executable>(
    unit: &E,
    cx: &mut Cx,
    execution: &Execution,
    policy: Option<&RetryPolicy>,
    retries: &mut u32,
) -> (Option<E::Output>, Ending) {
    let mut previous = None;
    loop {
        cx.attempt = *retries;
        let halt = match attempt(unit, cx, execution).await {
            Ok(Err(halt)) => halt,
            worked => return settle(worked),
        };
        // The policy's predicates and backoff are plug-ins: if one
        // panics, the failure is not retried.
        let attempt = *retries;
        let retry = policy.and_then(|policy| {
            let plan = || {
                let retried = policy.retries(&halt, attempt);
                retried.then(|| policy.wait(attempt, previous))
            };
            execution.contain(Plugin::RetryPolicy, plan).ok().flatten()
        });
        match retry {
            Some(wait) => {
                *retries += 1;
                announce(execution, *retries, wait, &halt);
                previous = Some(wait);
                if !wait.is_zero() {
                    // Boxed: a timer is large, and most attempts never wait.
                    Box::pin(tokio::time::sleep(wait)).await;
                }
            }
            None => return (None, Ending::from_halt(halt)),
        }
    }
}

/// The retry as a `tracing` event in the execution's span and a telemetry event.
fn announce(execution: &Execution, attempt: u32, wait: Duration, halt: &Halt) {
    let error = halt.reason().unwrap_or("failed");
    tracing::warn!(
        target: "cmdx",
        parent: &execution.span,
        attempt = attempt,
        error = error,
        delay_ms = wait.as_secs_f64() * 1000.0,
        "retrying `{}` (attempt {attempt}) in {wait:?}: {error}",
        execution.spec.task,
    );
    execution.emit(EventKind::Retried {
        attempt,
        delay: wait,
        error,
    });
}
