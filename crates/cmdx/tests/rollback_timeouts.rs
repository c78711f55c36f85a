//! Rollbacks and compensations are bounded (30 s by default, or the task's
//! / the runtime's `rollback_timeout`): one that never returns is dropped,
//! and the outcome keeps its original reason. On tokio's paused clock:
//! nothing really waits.

use cmdx::BoxError;
use cmdx::prelude::*;
use cmdx_test::{Capture, Journal, Probe, context};
use serde_json::json;
use std::time::Duration;
use tokio::time::Instant;

/// Fails for lack of stock; its rollback never returns.
#[derive(Debug, Serialize, Deserialize, Validate)]
struct Reserve {}

impl Task for Reserve {
    type Output = ();
    fn name() -> &'static str {
        "Reserve"
    }
    async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
        fail!("Insufficient stock", code = "out_of_stock")
    }
    async fn rollback(&self, cx: &mut Cx) -> Result<(), BoxError> {
        cx.resource::<Journal>()?.push("rollback started");
        std::future::pending().await
    }
}

/// [`Reserve`] with its own rollback limit of 2 s.
#[derive(Debug, Serialize, Deserialize, Validate)]
struct ReserveQuickly {}

impl Task for ReserveQuickly {
    type Output = ();
    fn name() -> &'static str {
        "ReserveQuickly"
    }
    fn settings() -> Settings {
        Settings::new().rollback_timeout(Duration::from_secs(2))
    }
    async fn work(&self, cx: &mut Cx) -> Result<(), Halt> {
        Reserve {}.work(cx).await
    }
    async fn rollback(&self, cx: &mut Cx) -> Result<(), BoxError> {
        Reserve {}.rollback(cx).await
    }
}

fn journaled() -> (Capture, Journal) {
    Capture::with_journal()
}

#[tokio::test(start_paused = true)]
async fn a_rollback_that_never_returns_is_dropped_after_30_seconds_and_the_failure_is_kept() {
    let (capture, journal) = journaled();
    let started = Instant::now();

    let outcome = capture.run(Reserve {}.execute()).await;

    assert_eq!(started.elapsed(), Duration::from_secs(30));
    assert_eq!(journal.entries(), ["rollback started"]);
    assert!(outcome.is_failed());
    assert_eq!(outcome.reason(), Some("Insufficient stock"));
    assert_eq!(outcome.code(), Some("out_of_stock"));
    assert!(outcome.record().rolled_back);
    let error = outcome.framework()["rollback_error"].as_str().unwrap();
    assert!(
        error.starts_with("rollback timed out after 30s and was dropped"),
        "{error}"
    );
    let lines = capture.values();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["reason"], "Insufficient stock");
    assert_eq!(lines[0]["rolled_back"], true);
    assert_eq!(lines[0]["framework"]["rollback_error"], error);
}

#[tokio::test(start_paused = true)]
async fn the_runtime_rollback_timeout_applies_to_tasks_without_their_own() {
    let journal = Journal::new();
    let capture = Capture::with(|b| {
        b.resource(journal.clone())
            .rollback_timeout(Duration::from_secs(5))
    });
    let started = Instant::now();

    let outcome = capture.run(Reserve {}.execute()).await;

    assert_eq!(started.elapsed(), Duration::from_secs(5));
    assert_eq!(outcome.reason(), Some("Insufficient stock"));
    let error = outcome.framework()["rollback_error"].as_str().unwrap();
    assert!(error.starts_with("rollback timed out after 5s"), "{error}");
}

#[tokio::test(start_paused = true)]
async fn a_task_rollback_timeout_overrides_the_runtime_default() {
    let journal = Journal::new();
    let capture = Capture::with(|b| {
        b.resource(journal.clone())
            .rollback_timeout(Duration::from_secs(10))
    });
    let started = Instant::now();

    let outcome = capture.run(ReserveQuickly {}.execute()).await;

    assert_eq!(started.elapsed(), Duration::from_secs(2));
    let error = outcome.framework()["rollback_error"].as_str().unwrap();
    assert!(error.starts_with("rollback timed out after 2s"), "{error}");
}

#[tokio::test(start_paused = true)]
async fn a_rollback_that_finishes_within_its_limit_is_not_cut_short() {
    #[derive(Debug, Serialize, Deserialize, Validate)]
    struct SlowUndo {}
    impl Task for SlowUndo {
        type Output = ();
        fn name() -> &'static str {
            "SlowUndo"
        }
        async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
            fail!("declined")
        }
        async fn rollback(&self, cx: &mut Cx) -> Result<(), BoxError> {
            tokio::time::sleep(Duration::from_secs(29)).await;
            cx.resource::<Journal>()?.push("released");
            Ok(())
        }
    }
    let (capture, journal) = journaled();

    let outcome = capture.run(SlowUndo {}.execute()).await;

    assert_eq!(journal.entries(), ["released"]);
    assert!(outcome.record().rolled_back);
    assert!(outcome.framework().get("rollback_error").is_none());
}

type A = Probe<'A'>;
type B = Probe<'B'>;
type C = Probe<'C'>;

#[tokio::test(start_paused = true)]
async fn a_compensation_that_never_returns_fails_its_line_and_the_workflow_keeps_its_reason() {
    let (capture, journal) = journaled();
    let workflow = Workflow::new("Checkout")
        .step::<A>()
        .step::<B>()
        .step::<C>();
    let plan = json!({"plan": {"B": {"rollback_hangs": true}, "C": {"fail": "email bounced"}}});
    let started = Instant::now();

    let outcome = capture.run(workflow.execute(context(plan))).await;

    assert_eq!(started.elapsed(), Duration::from_secs(30));
    assert_eq!(outcome.reason(), Some("email bounced"));
    // The later compensation (A's) still ran.
    assert_eq!(
        journal.of(" rollback compensating"),
        ["B", "A"],
        "{:?}",
        journal.entries()
    );
    let rollbacks = capture.lines_of_kind("rollback");
    assert_eq!(rollbacks.len(), 2);
    assert_eq!(rollbacks[0]["task"], "Probe::B");
    assert_eq!(rollbacks[0]["status"], "failed");
    assert_eq!(rollbacks[0]["reason"], "timed out after 30s");
    assert_eq!(rollbacks[0]["code"], "timeout");
    assert_eq!(rollbacks[1]["task"], "Probe::A");
    assert_eq!(rollbacks[1]["status"], "success");
    let failures = outcome.compensation_failures();
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0].task, "Probe::B");
    assert_eq!(failures[0].reason.as_deref(), Some("timed out after 30s"));
    capture.assert_one_line_per_execution();
}

/// A step whose rollback never returns, with its own limit of 3 s.
#[derive(Debug, Serialize, Deserialize, Validate)]
struct Hold {}

impl Task for Hold {
    type Output = ();
    fn name() -> &'static str {
        "Hold"
    }
    fn settings() -> Settings {
        Settings::new().rollback_timeout(Duration::from_secs(3))
    }
    async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
        Ok(())
    }
    async fn rollback(&self, _: &mut Cx) -> Result<(), BoxError> {
        std::future::pending().await
    }
}

#[tokio::test(start_paused = true)]
async fn a_steps_own_rollback_timeout_bounds_its_compensation() {
    let (capture, _) = journaled();
    let workflow = Workflow::new("Checkout").step::<Hold>().step::<C>();
    let plan = json!({"plan": {"C": {"fail": "email bounced"}}});
    let started = Instant::now();

    let outcome = capture.run(workflow.execute(context(plan))).await;

    assert_eq!(started.elapsed(), Duration::from_secs(3));
    assert_eq!(outcome.reason(), Some("email bounced"));
    assert_eq!(
        capture.lines_of_kind("rollback")[0]["reason"],
        "timed out after 3s"
    );
}

#[tokio::test(start_paused = true)]
async fn a_dropped_workflows_background_compensation_is_bounded_too() {
    let (capture, journal) = journaled();
    let workflow = Workflow::new("Checkout").step::<A>().step::<B>();
    let plan = json!({"plan": {"A": {"rollback_hangs": true}, "B": {"delay_ms": 60_000}}});

    let gave_up = capture
        .run(tokio::time::timeout(
            Duration::from_secs(1),
            workflow.execute(context(plan)),
        ))
        .await;
    assert!(gave_up.is_err());
    // The spawned compensation starts, hangs, and is dropped at 30 s.
    tokio::time::sleep(Duration::from_secs(31)).await;

    assert_eq!(journal.of(" rollback compensating"), ["A"]);
    let rollbacks = capture.lines_of_kind("rollback");
    assert_eq!(rollbacks.len(), 1);
    assert_eq!(rollbacks[0]["task"], "Probe::A");
    assert_eq!(rollbacks[0]["status"], "failed");
    assert_eq!(rollbacks[0]["reason"], "timed out after 30s");
    assert_eq!(capture.lines_for_task("Checkout")[0]["reason"], "cancelled");
    capture.assert_one_line_per_execution();
}

/// Completes; its rollback takes 20 s (within the default 30 s).
#[derive(Debug, Serialize, Deserialize, Validate)]
struct SlowRelease {}

impl Task for SlowRelease {
    type Output = ();
    fn name() -> &'static str {
        "SlowRelease"
    }
    async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
        Ok(())
    }
    async fn rollback(&self, _: &mut Cx) -> Result<(), BoxError> {
        tokio::time::sleep(Duration::from_secs(20)).await;
        Ok(())
    }
}

#[tokio::test(start_paused = true)]
async fn a_nested_workflows_compensation_is_bounded_per_step_not_as_a_whole() {
    let (capture, _) = journaled();
    let inner = Workflow::new("Reserve")
        .step::<SlowRelease>()
        .step::<SlowRelease>();
    let outer = Workflow::new("Order").workflow(inner).step::<C>();
    let plan = json!({"plan": {"C": {"fail": "card declined"}}});
    let started = Instant::now();

    let outcome = capture.run(outer.execute(context(plan))).await;

    // Two 20 s compensations, one after the other: 40 s, more than one bound.
    assert_eq!(started.elapsed(), Duration::from_secs(40));
    assert_eq!(outcome.reason(), Some("card declined"));
    assert!(outcome.compensation_failures().is_empty());
    let statuses: Vec<_> = capture
        .lines_of_kind("rollback")
        .iter()
        .map(|line| (line["task"].clone(), line["status"].clone()))
        .collect();
    assert_eq!(
        statuses,
        [
            (json!("SlowRelease"), json!("success")),
            (json!("SlowRelease"), json!("success")),
            (json!("Reserve"), json!("success")),
        ]
    );
}
