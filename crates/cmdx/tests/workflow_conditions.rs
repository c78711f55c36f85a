//! Conditions: `when`/`unless` over the context skip a whole group; each
//! skipped step still leaves a `skipped` line saying the condition was false.

use cmdx::prelude::*;
use cmdx_test::{Capture, Probe, context};
use serde_json::json;

type A = Probe<'A'>;
type B = Probe<'B'>;
type C = Probe<'C'>;

fn premium() -> Workflow {
    Workflow::new("Demo").step::<A>().group(
        Group::new()
            .task::<B>()
            .task::<C>()
            .when(|context| context.get::<bool>("premium") == Some(true)),
    )
}

#[tokio::test]
async fn a_group_whose_condition_is_false_does_not_run_and_logs_skipped_lines() {
    let (capture, journal) = Capture::with_journal();

    let outcome = capture
        .run(premium().execute(context(json!({"premium": false}))))
        .await;

    assert!(outcome.is_success());
    assert_eq!(journal.of(" work"), ["A"]);
    for task in ["Probe::B", "Probe::C"] {
        let line = &capture.lines_for_task(task)[0];
        assert_eq!(line["status"], "skipped");
        assert_eq!(line["state"], "interrupted");
        assert_eq!(line["reason"], "condition was false");
    }
}

#[tokio::test]
async fn a_group_whose_condition_holds_runs() {
    let (capture, journal) = Capture::with_journal();

    let outcome = capture
        .run(premium().execute(context(json!({"premium": true}))))
        .await;

    assert!(outcome.is_success());
    assert_eq!(journal.of(" work"), ["A", "B", "C"]);
}

#[tokio::test]
async fn unless_skips_when_the_condition_holds() {
    let (capture, journal) = Capture::with_journal();
    let workflow = Workflow::new("Demo").group(
        Group::new()
            .task::<A>()
            .unless(|context| context.contains("cached")),
    );

    let skipped = capture
        .run(workflow.execute(context(json!({"cached": 1}))))
        .await;
    let ran = capture.run(workflow.execute(Context::new())).await;

    assert!(skipped.is_success() && ran.is_success());
    assert_eq!(journal.of(" work"), ["A"]);
}

#[tokio::test]
async fn a_condition_sees_what_earlier_steps_output() {
    let (capture, journal) = Capture::with_journal();
    let workflow = Workflow::new("Demo").step::<A>().group(
        Group::new()
            .task::<B>()
            .when(|context| context.contains("A")),
    );

    let outcome = capture.run(workflow.execute(Context::new())).await;

    assert!(outcome.is_success());
    assert_eq!(journal.of(" work"), ["A", "B"]);
}

#[tokio::test]
async fn a_condition_skip_does_not_halt_even_when_skipped_is_a_breakpoint() {
    let (capture, journal) = Capture::with_journal();
    let workflow = Workflow::new("Demo")
        .breakpoints([Status::Skipped, Status::Failed])
        .group(Group::new().task::<A>().when(|_| false))
        .step::<B>();

    let outcome = capture.run(workflow.execute(Context::new())).await;

    assert!(outcome.is_success());
    assert_eq!(journal.of(" work"), ["B"]);
}

#[tokio::test]
async fn a_skipped_by_condition_step_is_never_compensated() {
    let (capture, journal) = Capture::with_journal();
    let workflow = Workflow::new("Demo")
        .step::<A>()
        .group(Group::new().task::<B>().when(|_| false))
        .step::<C>();
    let plan = json!({"plan": {"C": {"fail": "declined"}}});

    let outcome = capture.run(workflow.execute(context(plan))).await;

    assert!(outcome.is_failed());
    assert_eq!(journal.of(" rollback compensating"), ["A"]);
    assert_eq!(capture.lines_of_kind("rollback").len(), 1);
}

struct Opted(&'static str);

impl cmdx::Condition for Opted {
    fn holds(&self, context: &Context) -> bool {
        context
            .get::<Vec<String>>("channels")
            .is_some_and(|c| c.iter().any(|c| c == self.0))
    }
}

#[tokio::test]
async fn a_condition_can_be_a_type_of_its_own() {
    let (capture, journal) = Capture::with_journal();
    let workflow = Workflow::new("Demo")
        .group(Group::new().task::<A>().when_condition(Opted("email")))
        .group(Group::new().task::<B>().when_condition(Opted("sms")))
        .group(Group::new().task::<C>().unless_condition(Opted("email")));

    let outcome = capture
        .run(workflow.execute(context(json!({"channels": ["email"]}))))
        .await;

    assert!(outcome.is_success());
    assert_eq!(journal.of(" work"), ["A"]);
}
