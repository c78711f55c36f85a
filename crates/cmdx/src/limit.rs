//! A time limit on futures that must not hang: rollbacks and compensations.

use futures::future::{Either, select};
use std::future::Future;
use std::pin::pin;
use std::time::Duration;

/// Runs `fut` for at most `limit`: its output, or `None` when the limit
/// passed first (then `fut` is dropped). Uses tokio's timer (so a paused
/// test clock applies); where there is none — no tokio runtime, or one
/// built without `enable_time` — `fut` runs without a limit.
pub(crate) async fn at_most<F: Future>(limit: Duration, fut: F) -> Option<F::Output> {
    let Some(timer) = timer(limit) else {
        return Some(fut.await);
    };
    match select(pin!(fut), pin!(timer)).await {
        Either::Left((output, _)) => Some(output),
        Either::Right(((), _)) => None,
    }
}

/// A tokio timer for `limit`, if this thread can have one. Tokio panics
/// when a runtime has no time driver; that panic is caught here (the
/// default panic hook still prints tokio's advice to `enable_time`).
fn timer(limit: Duration) -> Option<tokio::time::Sleep> {
    tokio::runtime::Handle::try_current().ok()?;
    std::panic::catch_unwind(|| tokio::time::sleep(limit)).ok()
}

#[cfg(test)]
mod tests {
    use super::at_most;
    use std::time::Duration;

    #[tokio::test(start_paused = true)]
    async fn a_future_within_its_limit_gives_its_output() {
        let quick = async {
            tokio::time::sleep(Duration::from_secs(1)).await;
            7
        };
        assert_eq!(at_most(Duration::from_secs(2), quick).await, Some(7));
    }

    #[tokio::test(start_paused = true)]
    async fn a_future_past_its_limit_is_dropped() {
        let started = tokio::time::Instant::now();
        let never = std::future::pending::<()>();
        assert_eq!(at_most(Duration::from_secs(30), never).await, None);
        assert!(started.elapsed() >= Duration::from_secs(30));
    }

    #[test]
    fn without_a_tokio_runtime_the_future_runs_unbounded() {
        let output = futures::executor::block_on(at_most(Duration::ZERO, async { 7 }));
        assert_eq!(output, Some(7));
    }

    #[test]
    fn a_runtime_without_timers_runs_the_future_unbounded() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a runtime without drivers builds");
        let output = runtime.block_on(at_most(Duration::ZERO, async { 7 }));
        assert_eq!(output, Some(7));
    }
}
