//! Breakpoints: which step statuses halt a workflow, and what the
//! workflow's outcome then says (status, reason, origin, halting step).

use cmdx::prelude::*;
use cmdx_test::{Capture, Probe, context};
use serde_json::json;

type A = Probe<'A'>;
type B = Probe<'B'>;
type C = Probe<'C'>;

fn three() -> Workflow {
    Workflow::new("Demo").step::<A>().step::<B>().step::<C>()
}

#[tokio::test]
async fn by_default_a_failed_step_halts_the_workflow_which_copies_its_failure() {
    let (capture, journal) = Capture::with_journal();
    let plan = json!({"plan": {"B": {"fail": "card declined"}}});

    let outcome = capture.run(three().execute(context(plan))).await;

    assert!(outcome.is_failed() && outcome.is_interrupted());
    assert_eq!(outcome.reason(), Some("card declined"));
    assert_eq!(journal.of(" work"), ["A", "B"]);
    let failed = &capture.lines_for_task("Probe::B")[0];
    assert_eq!(
        outcome.record().origin.map(|o| o.to_string()),
        failed["tid"].as_str().map(str::to_owned)
    );
    assert_eq!(outcome.threw_failure().unwrap().task, "Probe::B");
    assert_eq!(outcome.caused_failure().unwrap().task, "Probe::B");
}

#[tokio::test]
async fn by_default_a_skipped_step_does_not_halt() {
    let (capture, journal) = Capture::with_journal();
    let plan = json!({"plan": {"B": {"skip": "nothing to do"}}});

    let outcome = capture.run(three().execute(context(plan))).await;

    assert!(outcome.is_success());
    assert_eq!(journal.of(" work"), ["A", "B", "C"]);
}

#[tokio::test]
async fn with_skipped_as_a_breakpoint_a_skip_halts_and_the_workflow_is_skipped() {
    let (capture, journal) = Capture::with_journal();
    let workflow = three().breakpoints([Status::Skipped, Status::Failed]);
    let plan = json!({"plan": {"B": {"skip": "nothing to do"}}});

    let outcome = capture.run(workflow.execute(context(plan))).await;

    assert!(outcome.is_skipped());
    assert_eq!(outcome.reason(), Some("nothing to do"));
    assert_eq!(outcome.halted_by().unwrap().task, "Probe::B");
    assert!(outcome.threw_failure().is_none());
    assert_eq!(journal.of(" work"), ["A", "B"]);
    assert!(
        journal.of(" rollback compensating").is_empty(),
        "a skip compensates nothing"
    );
}

#[tokio::test]
async fn with_no_breakpoints_a_failed_step_does_not_halt() {
    let (capture, journal) = Capture::with_journal();
    let workflow = three().breakpoints([]);
    let plan = json!({"plan": {"B": {"fail": "card declined"}}});

    let outcome = capture.run(workflow.execute(context(plan))).await;

    assert!(outcome.is_success());
    assert_eq!(journal.of(" work"), ["A", "B", "C"]);
    assert!(journal.of(" rollback compensating").is_empty());
}

#[tokio::test]
async fn a_group_overrides_the_workflow_breakpoints() {
    let (capture, journal) = Capture::with_journal();
    let workflow = Workflow::new("Demo")
        .group(Group::new().task::<A>().breakpoints([]))
        .step::<B>()
        .step::<C>();
    let plan = json!({"plan": {"A": {"fail": "optional"}, "B": {"fail": "required"}}});

    let outcome = capture.run(workflow.execute(context(plan))).await;

    assert!(outcome.is_failed());
    assert_eq!(outcome.reason(), Some("required"));
    assert_eq!(journal.of(" work"), ["A", "B"]);
}

#[tokio::test]
async fn a_nested_workflow_failure_keeps_the_deepest_origin() {
    let (capture, _) = Capture::with_journal();
    let inner = Workflow::new("Inner").step::<B>().step::<C>();
    let outer = Workflow::new("Outer").step::<A>().workflow(inner);
    let plan = json!({"plan": {"C": {"fail": "warehouse closed"}}});

    let outcome = capture.run(outer.execute(context(plan))).await;

    assert!(outcome.is_failed());
    assert_eq!(outcome.reason(), Some("warehouse closed"));
    let caused = outcome.caused_failure().expect("a cause");
    assert_eq!(caused.task, "Probe::C");
    assert_eq!(outcome.threw_failure().unwrap().task, "Inner");
    let inner_line = &capture.lines_for_task("Inner")[0];
    assert_eq!(inner_line["kind"], "workflow");
    assert_eq!(inner_line["origin"], caused.tid.to_string());
    assert_eq!(
        capture.lines_for_task("Outer")[0]["origin"],
        caused.tid.to_string()
    );
}

#[tokio::test]
async fn a_panicking_step_fails_the_workflow_with_the_panic_as_cause() {
    let (capture, journal) = Capture::with_journal();
    let plan = json!({"plan": {"A": {"panic": "index out of bounds"}}});

    let outcome = capture.run(three().execute(context(plan))).await;

    assert!(outcome.is_failed());
    assert_eq!(outcome.cause(), Some("panicked: index out of bounds"));
    assert_eq!(journal.of(" work"), ["A"]);
    capture.assert_one_line_per_execution();
}
