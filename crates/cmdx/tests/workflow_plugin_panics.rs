//! Plug-ins of a workflow (conditions, custom merges, step inputs' and
//! outputs' `Serialize`) that panic: contained, reported; a broken
//! decision fails the workflow, which compensates its completed steps.

use cmdx::prelude::*;
use cmdx::{Condition, Merge, Plugin, Settings};
use cmdx_test::{Capture, Journal, PanicEvents, PanicsWhenSerialized, Probe, context};
use serde_json::json;

#[derive(Debug, Serialize, Deserialize, Validate)]
struct Ping {}

impl Task for Ping {
    type Output = ();
    fn name() -> &'static str {
        "Ping"
    }
    async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
        Ok(())
    }
}

/// Succeeds with an output whose `Serialize` impl panics.
#[derive(Debug, Serialize, Deserialize, Validate)]
struct Producer {}

impl Task for Producer {
    type Output = PanicsWhenSerialized;
    fn name() -> &'static str {
        "Producer"
    }
    async fn work(&self, _: &mut Cx) -> Result<PanicsWhenSerialized, Halt> {
        Ok(PanicsWhenSerialized)
    }
}

#[tokio::test]
async fn a_step_whose_output_panics_when_serialized_merges_nothing_and_the_workflow_goes_on() {
    let panics = PanicEvents::new();
    let capture = Capture::with(|b| panics.subscribed(b));
    let workflow = Workflow::new("Produce").step::<Producer>().step::<Ping>();

    let outcome = capture
        .run(workflow.execute(context(json!({"kept": 1}))))
        .await;

    assert!(outcome.is_success());
    assert_eq!(outcome.value().unwrap().to_value(), json!({"kept": 1}));
    assert_eq!(capture.lines().len(), 3);
    let reported = panics.of(Plugin::Serialize);
    assert_eq!(reported.len(), 1);
    assert_eq!(reported[0].task, "Producer");
}

/// Reads a value whose `Serialize` panics beside a secret.
#[derive(Debug, Serialize, Deserialize, Validate)]
struct Opaque {
    #[garde(skip)]
    blob: PanicsWhenSerialized,
    #[garde(skip)]
    token: Secret<String>,
}

impl Task for Opaque {
    type Output = ();
    fn name() -> &'static str {
        "Opaque"
    }
    async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
        Ok(())
    }
}

#[tokio::test]
async fn a_step_whose_input_panics_when_serialized_leaves_each_workflow_line_without_input() {
    let panics = PanicEvents::new();
    let capture = Capture::with(|b| panics.subscribed(b));
    let inner = Workflow::new("Inner").step::<Opaque>();
    let workflow = Workflow::new("Outer")
        .workflow(inner)
        .step::<Ping>()
        .settings(Settings::new().record_output(true));
    let input = json!({"blob": null, "token": "hunter2", "kept": 1});

    let outcome = capture.run(workflow.execute(context(input))).await;

    // The workflow runs on: showing its input is not part of its work.
    assert!(outcome.is_success(), "{outcome:?}");
    capture.assert_one_line_per_execution();
    for task in ["Outer", "Inner", "Opaque"] {
        let line = &capture.lines_for_task(task)[0];
        assert!(line["input"].is_null(), "{task}: {line}");
    }
    assert!(capture.lines_for_task("Outer")[0]["output"].is_null());
    assert!(capture.lines_for_task("Ping")[0]["input"].is_object());
    for line in capture.lines() {
        assert!(!line.to_string().contains("hunter2"), "{line}");
    }
    // Reported about each execution whose line it served: the step's
    // input, each workflow's input, the outer workflow's output.
    let mut reported: Vec<String> = panics
        .of(Plugin::Serialize)
        .into_iter()
        .map(|reported| reported.task)
        .collect();
    reported.sort();
    assert_eq!(reported, ["Inner", "Opaque", "Outer", "Outer"]);
}

/// A condition that panics.
struct Undecidable;

impl Condition for Undecidable {
    fn holds(&self, _: &Context) -> bool {
        panic!("condition bug")
    }
}

#[tokio::test]
async fn a_panicking_condition_fails_the_workflow_and_compensates_its_completed_steps() {
    let (panics, journal) = (PanicEvents::new(), Journal::new());
    let capture = Capture::with(|b| panics.subscribed(b).resource(journal.clone()));
    let workflow = Workflow::new("Flow").step::<Probe<'A'>>().group(
        Group::new()
            .task::<Probe<'B'>>()
            .when_condition(Undecidable),
    );

    let outcome = capture.run(workflow.execute(Context::new())).await;

    assert_eq!(
        outcome.reason(),
        Some("a condition of the group of `Probe::B` panicked: condition bug")
    );
    assert_eq!(outcome.code(), Some("condition_panicked"));
    assert_eq!(outcome.record().origin, Some(outcome.record().tid));
    assert_eq!(journal.entries(), ["A work", "A rollback compensating"]);
    assert!(capture.lines_for_task("Probe::B").is_empty());
    capture.assert_one_line_per_execution();
    assert_eq!(panics.of(Plugin::Condition)[0].task, "Flow");
}

#[tokio::test]
async fn a_panicking_custom_merge_fails_the_workflow_and_compensates_the_step_it_merged() {
    let (panics, journal) = (PanicEvents::new(), Journal::new());
    let capture = Capture::with(|b| panics.subscribed(b).resource(journal.clone()));
    let broken = Merge::custom(|_, _, _| panic!("merge bug"));
    let workflow = Workflow::new("Flow")
        .group(Group::new().task::<Probe<'A'>>().merge(broken))
        .step::<Probe<'B'>>();

    let outcome = capture.run(workflow.execute(Context::new())).await;

    assert_eq!(
        outcome.reason(),
        Some("merging the output of `Probe::A` panicked: merge bug")
    );
    assert_eq!(outcome.code(), Some("merge_panicked"));
    assert_eq!(journal.entries(), ["A work", "A rollback compensating"]);
    assert_eq!(panics.of(Plugin::Merge).len(), 1);
}

#[tokio::test]
async fn a_panicking_merge_in_a_parallel_group_fails_the_workflow_and_compensates_the_group() {
    let journal = Journal::new();
    let capture = Capture::with(|b| b.resource(journal.clone()));
    let broken = Merge::custom(|_, _, _| panic!("merge bug"));
    let group = Group::new()
        .task::<Probe<'A'>>()
        .task::<Probe<'B'>>()
        .parallel(2)
        .merge(broken);
    let workflow = Workflow::new("Flow").group(group);

    let outcome = capture.run(workflow.execute(Context::new())).await;

    assert_eq!(outcome.code(), Some("merge_panicked"));
    assert_eq!(capture.lines_of_kind("rollback").len(), 2);
    assert_eq!(capture.runtime().contained_panics().get(Plugin::Merge), 1);
}
