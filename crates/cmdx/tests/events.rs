//! Telemetry events: what a subscriber receives, in which order.

use cmdx::prelude::*;
use cmdx::{BoxError, Deprecation, Event, EventKind};
use cmdx_test::{Capture, Journal};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Notes `name` (and `name:attempt` for retries) of every event.
fn recorder(journal: Journal) -> impl Fn(&Event<'_>) + Send + Sync + 'static {
    move |event: &Event<'_>| match event.kind {
        EventKind::Retried { attempt, .. } => journal.push(format!("retried:{attempt}")),
        EventKind::Executed { record } => journal.push(format!("executed:{}", record.status)),
        kind => journal.push(kind.name()),
    }
}

#[derive(Debug, Serialize, Deserialize, Validate)]
struct Unreachable {}

impl Task for Unreachable {
    type Output = ();
    fn name() -> &'static str {
        "Unreachable"
    }
    fn settings() -> Settings {
        Settings::new().retry(
            RetryPolicy::any_failure()
                .limit(2)
                .delay(Duration::from_millis(5)),
        )
    }
    async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
        fail!("host unreachable")
    }
    async fn rollback(&self, _: &mut Cx) -> Result<(), BoxError> {
        Ok(())
    }
}

#[tokio::test(start_paused = true)]
async fn a_failing_task_emits_started_retries_rolled_back_then_executed() {
    let journal = Journal::new();
    let capture = Capture::with(|b| b.subscribe(recorder(journal.clone())));
    let _ = capture.run(Unreachable {}.execute()).await;
    assert_eq!(
        journal.entries(),
        [
            "started",
            "retried:1",
            "retried:2",
            "rolled_back",
            "executed:failed"
        ]
    );
}

#[derive(Debug, Serialize, Deserialize, Validate)]
struct Fine {}

impl Task for Fine {
    type Output = ();
    fn name() -> &'static str {
        "Fine"
    }
    async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
        Ok(())
    }
}

#[tokio::test]
async fn the_executed_event_carries_the_record_of_the_line() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    let capture = Capture::with(|b| {
        b.subscribe(move |event: &Event<'_>| {
            if let EventKind::Executed { record } = event.kind {
                sink.lock()
                    .unwrap()
                    .push((event.tid, String::from_utf8(record.to_line()).unwrap()));
            }
        })
    });
    let outcome = capture.run(Fine {}.execute()).await;
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].0, outcome.tid());
    assert_eq!(seen[0].1.trim_end(), capture.lines()[0]);
}

#[tokio::test]
async fn a_deprecated_task_that_warns_emits_a_deprecated_event_and_runs() {
    #[derive(Debug, Serialize, Deserialize, Validate)]
    struct Old {}
    impl Task for Old {
        type Output = ();
        fn name() -> &'static str {
            "Old"
        }
        fn settings() -> Settings {
            Settings::new().deprecated(Deprecation::warn("use New"))
        }
        async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
            Ok(())
        }
    }
    let journal = Journal::new();
    let capture = Capture::with(|b| b.subscribe(recorder(journal.clone())));
    let outcome = capture.run(Old {}.execute()).await;
    assert!(outcome.is_success());
    assert_eq!(
        journal.entries(),
        ["started", "deprecated", "executed:success"]
    );
}

#[tokio::test]
async fn a_panicking_subscriber_does_not_disturb_the_execution() {
    let capture = Capture::with(|b| b.subscribe(|_: &Event<'_>| panic!("subscriber bug")));
    let outcome = capture.run(Fine {}.execute()).await;
    assert!(outcome.is_success());
    assert_eq!(capture.lines().len(), 1);
}
