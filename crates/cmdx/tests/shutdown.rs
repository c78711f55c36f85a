//! `Runtime::shutdown_timeout`: tracked work (spawned tasks, tracked
//! futures, a dropped workflow's compensation) is drained until the
//! deadline, then dropped, and every execution it started ends with exactly
//! one line — `interrupted by shutdown` for the dropped ones.
#![expect(
    clippy::async_yields_async,
    reason = "tasks are spawned under a runtime's scope, and their handles awaited later"
)]

use cmdx::prelude::*;
use cmdx_test::{Capture, Probe, context};
use serde_json::{Value, json};
use std::time::Duration;

type A = Probe<'A'>;
type B = Probe<'B'>;
type C = Probe<'C'>;

/// A task that runs two `Probe::A` children one after the other.
#[derive(Debug, Serialize, Deserialize, Validate)]
struct Parent {
    #[garde(skip)]
    delay_ms: u64,
}

impl Task for Parent {
    type Output = ();
    fn name() -> &'static str {
        "Parent"
    }
    async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
        let plan = json!({"A": {"delay_ms": self.delay_ms}});
        for _ in 0..2 {
            let _ = A::execute_json(json!({ "plan": plan })).await;
        }
        Ok(())
    }
}

fn assert_interrupted_by_shutdown(line: &Value) {
    assert_eq!(line["state"], "interrupted", "{line}");
    assert_eq!(line["status"], "failed", "{line}");
    assert_eq!(line["reason"], "interrupted by shutdown", "{line}");
    assert_eq!(line["code"], "shutdown", "{line}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spawned_work_that_ends_before_the_deadline_is_drained() {
    let (capture, _journal) = Capture::with_journal();
    let handle = capture
        .run(async { cmdx::spawn(Parent { delay_ms: 20 }.execute()) })
        .await;

    let report = capture
        .runtime()
        .shutdown_timeout(Duration::from_secs(30))
        .await;

    assert_eq!(
        (report.under_way, report.finished, report.interrupted),
        (1, 1, 0)
    );
    assert!(report.is_complete());
    assert!(report.elapsed < Duration::from_secs(30), "{report}");
    assert!(handle.await.expect("it finished").is_success());
    assert_eq!(capture.summary().len(), 3);
    assert!(capture.values().iter().all(|l| l["status"] == "success"));
    capture.assert_one_line_per_execution();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spawned_work_past_the_deadline_is_dropped_and_each_execution_says_so() {
    let (capture, _journal) = Capture::with_journal();
    let handles: Vec<_> = capture
        .run(async {
            (0..3)
                .map(|_| cmdx::spawn(Parent { delay_ms: 60_000 }.execute()))
                .collect()
        })
        .await;
    while capture.runtime().tracked() < 3 {
        tokio::task::yield_now().await;
    }
    tokio::time::sleep(Duration::from_millis(20)).await;

    let report = capture
        .runtime()
        .shutdown_timeout(Duration::from_millis(50))
        .await;

    assert_eq!(
        (report.under_way, report.finished, report.interrupted),
        (3, 0, 3)
    );
    assert_eq!(report.not_dropped, 0);
    // The lines are written by the time the shutdown returns.
    let lines = capture.values();
    assert_eq!(lines.len(), 6, "3 parents and their first child: {lines:?}");
    lines.iter().for_each(assert_interrupted_by_shutdown);
    capture.assert_one_line_per_execution();
    for handle in handles {
        assert!(handle.await.unwrap_err().is_cancelled());
    }
    assert_eq!(capture.runtime().tracked(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn work_spawned_during_the_drain_is_waited_for_and_after_the_deadline_never_runs() {
    let (capture, _journal) = Capture::with_journal();
    let runtime = capture.runtime().clone();
    // A request in flight: it starts a write during the drain.
    let in_flight = runtime.track(async {
        tokio::time::sleep(Duration::from_millis(30)).await;
        cmdx::spawn(A::execute_json(json!({"plan": {"A": {"delay_ms": 30}}}))).await
    });
    let in_flight = tokio::spawn(capture.run(in_flight));
    tokio::task::yield_now().await;

    let report = runtime.shutdown_timeout(Duration::from_secs(30)).await;

    assert_eq!(
        (report.under_way, report.finished, report.interrupted),
        (1, 2, 0)
    );
    let spawned = in_flight.await.unwrap().expect("not interrupted");
    assert!(spawned.expect("it ran").is_success());

    // A second shutdown with nothing tracked passes its deadline at once…
    let blocker = capture
        .run(async { cmdx::spawn(std::future::pending::<()>()) })
        .await;
    let report = runtime.shutdown_timeout(Duration::from_millis(10)).await;
    // Counts are this shutdown's own (the first one's 2 are not counted).
    assert_eq!(
        (report.under_way, report.finished, report.interrupted),
        (1, 0, 1)
    );
    assert!(blocker.await.unwrap_err().is_cancelled());
    // …and work spawned after the deadline is dropped before it runs: no
    // execution started, no line.
    let late = capture
        .run(async { cmdx::spawn(A::execute_json(json!({}))) })
        .await;
    assert!(late.await.unwrap_err().is_cancelled());
    assert_eq!(capture.lines_for_task("Probe::A").len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tracked_future_is_dropped_at_the_deadline_and_answers_interrupted() {
    let (capture, _journal) = Capture::with_journal();
    let tracked = capture
        .runtime()
        .track(capture.run(Parent { delay_ms: 60_000 }.execute()));
    let request = tokio::spawn(tracked);
    while capture.summary().is_empty() && capture.runtime().tracked() == 1 {
        tokio::time::sleep(Duration::from_millis(5)).await;
        if capture.runtime().tracked() == 1 {
            break;
        }
    }
    tokio::time::sleep(Duration::from_millis(20)).await;

    let report = capture
        .runtime()
        .shutdown_timeout(Duration::from_millis(30))
        .await;

    assert_eq!(report.interrupted, 1);
    assert_eq!(request.await.unwrap().unwrap_err(), cmdx::Interrupted);
    let lines = capture.values();
    assert_eq!(lines.len(), 2, "{lines:?}");
    lines.iter().for_each(assert_interrupted_by_shutdown);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn executions_dropped_before_the_deadline_still_say_cancelled() {
    let (capture, _journal) = Capture::with_journal();
    let dropped = tokio::time::timeout(
        Duration::from_millis(20),
        capture.run(A::execute_json(
            json!({"plan": {"A": {"delay_ms": 60_000}}}),
        )),
    )
    .await;
    assert!(dropped.is_err());
    let report = capture
        .runtime()
        .shutdown_timeout(Duration::from_millis(10))
        .await;
    assert_eq!(report.under_way, 0);
    assert_eq!(capture.values()[0]["reason"], "cancelled");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finished_work_leaves_the_tracked_set() {
    let (capture, _journal) = Capture::with_journal();
    let handles: Vec<_> = capture
        .run(async {
            (0..500)
                .map(|_| cmdx::spawn(A::execute_json(json!({}))))
                .collect()
        })
        .await;
    for handle in handles {
        assert!(handle.await.unwrap().is_success());
    }
    // A registration leaves the set as its task ends, before the handle
    // answers? Not necessarily: wait for the set to drain, bounded.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while capture.runtime().tracked() > 0 && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    assert_eq!(capture.runtime().tracked(), 0);
    let report = capture
        .runtime()
        .shutdown_timeout(Duration::from_millis(10))
        .await;
    assert_eq!((report.under_way, report.interrupted), (0, 0));
}

/// A workflow with completed steps A and B, dropped while C runs: its
/// compensation runs in the background, tracked; here B's rollback hangs,
/// so the shutdown drops it at the deadline, and A's compensation never
/// starts — each gets a `rollback` line saying so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_workflows_compensation_is_drained_and_what_did_not_run_says_so() {
    let (capture, journal) = Capture::with_journal();
    let workflow = Workflow::new("Checkout")
        .step::<A>()
        .step::<B>()
        .step::<C>();
    let plan = json!({"plan": {"B": {"rollback_hangs": true}, "C": {"delay_ms": 60_000}}});

    let dropped = tokio::time::timeout(
        Duration::from_millis(50),
        capture.run(workflow.execute(context(plan))),
    )
    .await;
    assert!(dropped.is_err());
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while journal.of(" rollback compensating").is_empty() && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    assert_eq!(
        capture.runtime().tracked(),
        1,
        "the compensation is tracked"
    );

    let report = capture
        .runtime()
        .shutdown_timeout(Duration::from_millis(50))
        .await;

    assert_eq!(report.interrupted, 1);
    let rollbacks = capture.lines_of_kind("rollback");
    let tasks: Vec<&str> = rollbacks
        .iter()
        .map(|l| l["task"].as_str().unwrap())
        .collect();
    assert_eq!(tasks, ["Probe::B", "Probe::A"]);
    rollbacks.iter().for_each(assert_interrupted_by_shutdown);
    assert_eq!(journal.of(" rollback compensating"), ["B"], "A's never ran");
    let workflow = &capture.lines_for_task("Checkout")[0];
    assert_eq!(workflow["reason"], "cancelled");
    assert!(rollbacks.iter().all(|l| l["parent"] == workflow["tid"]));
    capture.assert_one_line_per_execution();
}

/// The order the docs promise: a workflow dropped mid-run writes its own
/// `cancelled` line before the lines of its compensations, also when the
/// compensation task starts on another worker at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_workflow_writes_its_line_before_its_compensations() {
    let runs = std::env::var("CMDX_DROP_ORDER_RUNS")
        .ok()
        .and_then(|runs| runs.parse().ok())
        .unwrap_or(60);
    for run in 0..runs {
        let (capture, _journal) = Capture::with_journal();
        let workflow = Workflow::new("Checkout")
            .step::<A>()
            .step::<B>()
            .step::<C>();
        let plan = json!({"plan": {"C": {"delay_ms": 60_000}}});
        let dropped = tokio::time::timeout(
            Duration::from_millis(5),
            capture.run(workflow.execute(context(plan))),
        )
        .await;
        assert!(dropped.is_err());
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while capture.lines_of_kind("rollback").len() < 2 && std::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        let order: Vec<String> = capture
            .values()
            .iter()
            .map(|l| {
                format!(
                    "{} {}",
                    l["kind"].as_str().unwrap(),
                    l["task"].as_str().unwrap()
                )
            })
            .collect();
        assert_eq!(
            order,
            [
                "task Probe::A",
                "task Probe::B",
                "task Probe::C",
                "workflow Checkout",
                "rollback Probe::B",
                "rollback Probe::A"
            ],
            "run {run}"
        );
    }
}

/// `Runtime::scope` and `Capture::run` borrow nothing from their receiver:
/// for a `'static` input their futures are `'static` and can be spawned
/// after the receiver is gone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scoped_futures_can_be_spawned() {
    let (capture, _journal) = Capture::with_journal();
    let runtime = capture.runtime().clone();
    let scoped = runtime.scope(A::execute_json(json!({})));
    drop(runtime);
    let run = capture.run(B::execute_json(json!({})));
    let lines = capture.clone();
    drop(capture);
    assert!(tokio::spawn(scoped).await.unwrap().is_success());
    assert!(tokio::spawn(run).await.unwrap().is_success());
    assert_eq!(lines.summary().len(), 2);
}

#[test]
fn the_report_says_what_happened() {
    let (capture, _journal) = Capture::with_journal();
    let tokio = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let report = tokio.block_on(async {
        let _stuck = capture
            .run(async { cmdx::spawn(std::future::pending::<()>()) })
            .await;
        capture
            .runtime()
            .shutdown_timeout(Duration::from_millis(5))
            .await
    });
    let text = report.to_string();
    assert!(
        text.starts_with(
            "1 tracked piece(s) of work under way, 0 finished, 1 interrupted by shutdown"
        ),
        "{text}"
    );
    assert!(!report.is_complete());
}
