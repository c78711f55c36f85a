//! Timeouts: `work` is dropped, the outcome is failed, the rollback runs,
//! exactly one line. On tokio's paused clock: nothing really sleeps.

use cmdx::BoxError;
use cmdx::middleware::Timeout;
use cmdx::prelude::*;
use cmdx_test::{Capture, Journal};
use std::time::Duration;

/// Sleeps `ms` milliseconds, noting what ran in the journal resource.
#[derive(Debug, Serialize, Deserialize, Validate)]
struct Slow {
    #[garde(skip)]
    ms: u64,
}

impl Task for Slow {
    type Output = ();
    fn name() -> &'static str {
        "Slow"
    }
    fn settings() -> Settings {
        Settings::new().timeout(Duration::from_millis(250))
    }
    async fn work(&self, cx: &mut Cx) -> Result<(), Halt> {
        tokio::time::sleep(Duration::from_millis(self.ms)).await;
        if let Ok(journal) = cx.resource::<Journal>() {
            journal.push("work finished");
        }
        Ok(())
    }
    async fn rollback(&self, cx: &mut Cx) -> Result<(), BoxError> {
        cx.resource::<Journal>()?.push("rolled back");
        Ok(())
    }
}

#[tokio::test(start_paused = true)]
async fn work_past_its_timeout_is_dropped_failed_rolled_back_with_one_line() {
    let journal = Journal::new();
    let capture = Capture::with(|b| b.resource(journal.clone()));
    let outcome = capture.run(Slow { ms: 10_000 }.execute()).await;
    assert!(outcome.is_failed());
    assert_eq!(outcome.reason(), Some("timed out after 250ms"));
    assert_eq!(outcome.code(), Some("timeout"));
    assert_eq!(journal.entries(), ["rolled back"]);
    let lines = capture.values();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["rolled_back"], true);
    assert_eq!(lines[0]["reason"], "timed out after 250ms");
    capture.assert_one_line_per_execution();
}

#[tokio::test(start_paused = true)]
async fn work_within_its_timeout_succeeds() {
    let outcome = Capture::new().run(Slow { ms: 200 }.execute()).await;
    assert!(outcome.is_success());
}

#[tokio::test(start_paused = true)]
async fn the_timeout_middleware_tightens_a_longer_task_timeout() {
    let journal = Journal::new();
    let capture = Capture::with(|b| {
        b.resource(journal.clone())
            .layer(Timeout::new(Duration::from_millis(100)))
    });
    let outcome = capture.run(Slow { ms: 200 }.execute()).await;
    assert_eq!(outcome.reason(), Some("timed out after 100ms"));
    assert_eq!(journal.entries(), ["rolled back"]);
    assert_eq!(capture.lines().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn the_runtime_default_timeout_applies_to_tasks_without_their_own() {
    #[derive(Debug, Serialize, Deserialize, Validate)]
    struct Sleepy {}
    impl Task for Sleepy {
        type Output = ();
        fn name() -> &'static str {
            "Sleepy"
        }
        async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
            tokio::time::sleep(Duration::from_secs(60)).await;
            Ok(())
        }
    }
    let capture = Capture::with(|b| b.timeout(Duration::from_secs(2)));
    let outcome = capture.run(Sleepy {}.execute()).await;
    assert_eq!(outcome.reason(), Some("timed out after 2s"));
}

#[tokio::test(start_paused = true)]
async fn the_timeout_covers_retries_and_their_waits() {
    #[derive(Debug, Serialize, Deserialize, Validate)]
    struct Flapping {}
    impl Task for Flapping {
        type Output = ();
        fn name() -> &'static str {
            "Flapping"
        }
        fn settings() -> Settings {
            Settings::new().timeout(Duration::from_millis(250)).retry(
                RetryPolicy::any_failure()
                    .limit(10)
                    .delay(Duration::from_millis(100)),
            )
        }
        async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
            fail!("down")
        }
    }
    let outcome = Capture::new().run(Flapping {}.execute()).await;
    assert_eq!(outcome.reason(), Some("timed out after 250ms"));
    assert_eq!(outcome.retries(), 3);
}
