//! A workflow's own settings (retry, timeout, middleware, hooks, ledger
//! level, deprecation) apply to its execution, typed or not; its execute
//! future owns what it needs (spawn, select).

use cmdx::middleware::{Call, Done, Middleware, Next};
use cmdx::prelude::*;
use cmdx::{Deprecation, HookCx, Hooks, LedgerLevel};
use cmdx_test::{Capture, Journal, Probe, context};
use serde_json::{Map, Value, json};
use std::time::Duration;

type A = Probe<'A'>;
type B = Probe<'B'>;

/// A typed workflow whose settings each test picks; the plan scripts its
/// probes.
#[derive(Debug, Serialize, Deserialize, Validate)]
struct Ship {
    #[garde(range(min = 1))]
    parcels: i64,
    #[garde(skip)]
    #[serde(default)]
    plan: Map<String, Value>,
}

fn ship(plan: Value) -> Ship {
    Ship {
        parcels: 2,
        plan: plan.as_object().cloned().unwrap_or_default(),
    }
}

/// Each test declares its own flow over the same input, with its settings.
macro_rules! flow {
    ($name:ident, $settings:expr) => {
        #[derive(Debug, Serialize, Deserialize, Validate)]
        #[garde(transparent)]
        struct $name(#[garde(dive)] Ship);

        impl Flow for $name {
            fn name() -> &'static str {
                concat!("Ship::", stringify!($name))
            }
            fn workflow() -> Workflow {
                Workflow::new(Self::name())
                    .step::<A>()
                    .step::<B>()
                    .settings($settings)
            }
        }
    };
}

#[tokio::test]
async fn a_workflow_retry_policy_re_runs_every_step_after_compensating() {
    flow!(
        Retried,
        Settings::new().retry(RetryPolicy::any_failure().limit(1))
    );
    let (capture, journal) = Capture::with_journal();

    let outcome = capture
        .run(Retried(ship(json!({"B": {"fail": "carrier down"}}))).execute())
        .await;

    assert!(outcome.is_failed());
    assert_eq!(outcome.retries(), 1);
    assert_eq!(
        journal.entries(),
        [
            "A work",
            "B work",
            "B rollback",
            "A rollback compensating",
            "A work",
            "B work",
            "B rollback",
            "A rollback compensating"
        ]
    );
    let line = &capture.lines_for_task("Ship::Retried")[0];
    assert_eq!(line["retries"], 1);
    assert_eq!(capture.lines_for_task("Ship::Retried").len(), 1);
    capture.assert_one_line_per_execution();
}

#[tokio::test(start_paused = true)]
async fn a_workflow_time_limit_bounds_all_of_its_steps() {
    flow!(Limited, Settings::new().timeout(Duration::from_secs(1)));
    let (capture, journal) = Capture::with_journal();
    let plan = json!({"A": {"delay_ms": 600}, "B": {"delay_ms": 600}});

    let outcome = capture.run(Limited(ship(plan)).execute()).await;

    assert!(outcome.is_failed());
    assert_eq!(outcome.reason(), Some("timed out after 1s"));
    assert_eq!(outcome.code(), Some("timeout"));
    assert_eq!(journal.of(" work"), ["A", "B"]);
    assert_eq!(capture.lines_for_task("Probe::B")[0]["reason"], "cancelled");
    // Dropped at its limit, the workflow compensates in the background.
    assert!(compensated(&journal, "A").await, "{:?}", journal.entries());
}

/// Whether probe `id` gets compensated (in the background) within a
/// generous wait.
async fn compensated(journal: &Journal, id: &str) -> bool {
    let entry = format!("{id} rollback compensating");
    for _ in 0..500 {
        if journal.count(&entry) == 1 {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    false
}

/// Notes the typed input it sees around the rest of the onion.
struct Mark;

impl Middleware for Mark {
    async fn call(&self, call: Call, next: Next) -> Result<Done, Halt> {
        let journal = call.cx().resource::<Journal>().ok().cloned();
        let parcels = call.task::<Watched>().map(|flow| flow.0.parcels);
        if let Some(journal) = &journal {
            journal.push(format!("in {} parcels={parcels:?}", call.task_name()));
        }
        let done = next.run(call).await;
        if let Some(journal) = &journal {
            journal.push("out");
        }
        Ok(done)
    }
}

/// Notes every hook with the typed input's `parcels`.
struct Noted;

impl Hooks for Noted {
    fn before_execution(&self, cx: &HookCx<'_>) -> Result<(), Halt> {
        note(cx)
    }
    fn before_validation(&self, cx: &HookCx<'_>) -> Result<(), Halt> {
        note(cx)
    }
    fn on_success(&self, cx: &HookCx<'_>) -> Result<(), Halt> {
        note(cx)
    }
    fn on_complete(&self, cx: &HookCx<'_>) -> Result<(), Halt> {
        note(cx)
    }
}

fn note(cx: &HookCx<'_>) -> Result<(), Halt> {
    let parcels = cx.task::<Watched>().map(|flow| flow.0.parcels);
    cx.cx()
        .resource::<Journal>()?
        .push(format!("{} parcels={parcels:?}", cx.hook().as_str()));
    Ok(())
}

flow!(Watched, Settings::new().layer(Mark).hooks(Noted));

#[tokio::test]
async fn middleware_and_hooks_wrap_the_workflow_and_see_its_typed_input() {
    let (capture, journal) = Capture::with_journal();

    let outcome = capture.run(Watched(ship(json!({}))).execute()).await;

    assert!(outcome.is_success(), "{outcome:?}");
    assert_eq!(
        journal.entries(),
        [
            "in Ship::Watched parcels=Some(2)",
            "before_execution parcels=Some(2)",
            "before_validation parcels=Some(2)",
            "A work",
            "B work",
            "on_complete parcels=Some(2)",
            "on_success parcels=Some(2)",
            "out"
        ]
    );
}

#[tokio::test]
async fn a_workflow_at_ledger_level_off_writes_no_line_of_its_own() {
    flow!(Quiet, Settings::new().ledger(LedgerLevel::Off));
    let (capture, journal) = Capture::with_journal();

    let outcome = capture.run(Quiet(ship(json!({}))).execute()).await;

    assert!(outcome.is_success());
    assert_eq!(journal.of(" work"), ["A", "B"]);
    let tasks: Vec<_> = capture.values().iter().map(|l| l["task"].clone()).collect();
    assert_eq!(tasks, [json!("Probe::A"), json!("Probe::B")]);
}

#[tokio::test]
async fn a_workflow_at_ledger_level_failed_writes_its_line_only_when_it_fails() {
    flow!(Loud, Settings::new().ledger(LedgerLevel::Failed));
    let (capture, _) = Capture::with_journal();

    let passed = capture.run(Loud(ship(json!({}))).execute()).await;
    assert!(passed.is_success());
    assert!(capture.lines_for_task("Ship::Loud").is_empty());

    let failed = capture
        .run(Loud(ship(json!({"B": {"fail": "no"}}))).execute())
        .await;
    assert!(failed.is_failed());
    assert_eq!(capture.lines_for_task("Ship::Loud").len(), 1);
}

#[tokio::test]
async fn a_deprecated_workflow_set_to_fail_runs_no_step() {
    flow!(
        Retired,
        Settings::new().deprecated(Deprecation::fail("use Ship::V2"))
    );
    let (capture, journal) = Capture::with_journal();

    let outcome = capture.run(Retired(ship(json!({}))).execute()).await;

    assert!(outcome.is_failed());
    assert_eq!(outcome.code(), Some("deprecated"));
    assert!(outcome.reason().unwrap().contains("use Ship::V2"));
    assert!(journal.entries().is_empty());
    assert_eq!(capture.values().len(), 1);
}

#[tokio::test]
async fn a_deprecated_workflow_set_to_warn_still_runs() {
    flow!(
        Aging,
        Settings::new().deprecated(Deprecation::warn("use Ship::V2"))
    );
    let (capture, journal) = Capture::with_journal();

    let outcome = capture.run(Aging(ship(json!({}))).execute()).await;

    assert!(outcome.is_success());
    assert_eq!(journal.of(" work"), ["A", "B"]);
}

#[tokio::test]
async fn a_workflows_excluded_inputs_are_left_out_of_its_line() {
    flow!(Private, Settings::new().exclude_input(["plan"]));
    let (capture, _) = Capture::with_journal();

    let outcome = capture.run(Private(ship(json!({}))).execute()).await;

    assert!(outcome.is_success());
    let line = &capture.lines_for_task("Ship::Private")[0];
    assert_eq!(line["input"], json!({"parcels": 2}));
}

#[tokio::test]
async fn an_untyped_workflow_applies_the_same_settings() {
    let (capture, journal) = Capture::with_journal();
    let workflow = Workflow::new("Untyped").step::<B>().settings(
        Settings::new()
            .retry(RetryPolicy::any_failure().limit(2))
            .hooks(Noted),
    );

    let outcome = capture
        .run(workflow.execute(context(json!({"plan": {"B": {"fail": "no"}}}))))
        .await;

    assert_eq!(outcome.retries(), 2);
    assert_eq!(journal.count("B work"), 3);
    assert_eq!(
        journal.count("before_execution parcels=None"),
        1,
        "hooks run once around the retried work"
    );
}

#[tokio::test]
async fn an_executing_workflow_can_be_spawned_without_keeping_the_workflow() {
    let (capture, journal) = Capture::with_journal();
    let handles = capture
        .run(async {
            let workflow = Workflow::new("Spawned").step::<A>();
            let untyped = cmdx::spawn(workflow.execute(Context::new()));
            drop(workflow);
            let typed = cmdx::spawn(Watched(ship(json!({}))).execute());
            (untyped.await.unwrap(), typed.await.unwrap())
        })
        .await;

    assert!(handles.0.is_success() && handles.1.is_success());
    assert_eq!(journal.count("A work"), 2);
    capture.assert_one_line_per_execution();
}

#[tokio::test(start_paused = true)]
async fn a_workflow_raced_in_select_is_cancelled_and_compensated() {
    let (capture, journal) = Capture::with_journal();
    let workflow = Workflow::new("Raced").step::<A>().step::<B>();
    let plan = context(json!({"plan": {"B": {"delay_ms": 10_000}}}));

    let winner = capture
        .run(async move {
            tokio::select! {
                outcome = workflow.execute(plan) => Some(outcome),
                () = tokio::time::sleep(Duration::from_secs(1)) => None,
            }
        })
        .await;

    assert!(winner.is_none(), "the timer wins");
    // The compensation of A runs in the background, after the line.
    assert!(compensated(&journal, "A").await, "{:?}", journal.entries());
    let line = &capture.lines_for_task("Raced")[0];
    assert_eq!(
        (&line["status"], &line["reason"]),
        (&json!("failed"), &json!("cancelled"))
    );
    capture.assert_one_line_per_execution();
}

#[tokio::test]
async fn cloning_a_workflow_shares_it_and_changing_a_clone_leaves_the_original() {
    let (capture, journal) = Capture::with_journal();
    let base = Workflow::new("Base").step::<A>();
    let longer = base.clone().step::<B>();

    assert!(capture.run(base.execute(Context::new())).await.is_success());
    assert_eq!(journal.of(" work"), ["A"]);
    assert!(
        capture
            .run(longer.execute(Context::new()))
            .await
            .is_success()
    );
    assert_eq!(journal.of(" work"), ["A", "A", "B"]);
}
