//! Parallel groups: a concurrency bound, merges in declaration order,
//! cancellation of steps not yet started, `continue_on_failure`, and chain
//! positions of concurrent steps.

use cmdx::prelude::*;
use cmdx::{Merge, Record};
use cmdx_test::{Capture, Probe, context};
use serde_json::{Value, json};
use std::collections::HashSet;

type A = Probe<'A'>;
type B = Probe<'B'>;
type C = Probe<'C'>;
type D = Probe<'D'>;
type E = Probe<'E'>;
type F = Probe<'F'>;

fn six(concurrency: usize) -> Workflow {
    Workflow::new("Fan").group(
        Group::new()
            .task::<A>()
            .task::<B>()
            .task::<C>()
            .task::<D>()
            .task::<E>()
            .task::<F>()
            .parallel(concurrency),
    )
}

fn all_delayed(ms: u64) -> Value {
    let plan: serde_json::Map<String, Value> = ["A", "B", "C", "D", "E", "F"]
        .iter()
        .map(|letter| (letter.to_string(), json!({"delay_ms": ms})))
        .collect();
    json!({ "plan": plan })
}

#[tokio::test(start_paused = true)]
async fn no_more_steps_run_at_once_than_the_bound() {
    let (capture, journal) = Capture::with_journal();

    let outcome = capture.run(six(2).execute(context(all_delayed(10)))).await;

    assert!(outcome.is_success());
    assert_eq!(journal.max_in_flight(), 2);
    assert_eq!(journal.of(" work").len(), 6);
}

#[tokio::test(start_paused = true)]
async fn without_a_tighter_bound_every_step_runs_at_once() {
    let (capture, journal) = Capture::with_journal();

    let outcome = capture.run(six(6).execute(context(all_delayed(10)))).await;

    assert!(outcome.is_success());
    assert_eq!(journal.max_in_flight(), 6);
}

/// A small deterministic generator, so each seed shuffles delays differently.
fn delays(mut seed: u64) -> Vec<u64> {
    (0..4)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            1 + seed % 50
        })
        .collect()
}

#[tokio::test(start_paused = true)]
async fn outputs_merge_in_declaration_order_whatever_order_steps_finish_in() {
    let workflow = Workflow::new("Race").group(
        Group::new()
            .task::<A>()
            .task::<B>()
            .task::<C>()
            .task::<D>()
            .parallel(4),
    );
    let mut completion_orders = HashSet::new();
    for seed in 1..=24 {
        let (capture, _) = Capture::with_journal();
        let plan: serde_json::Map<String, Value> = ["A", "B", "C", "D"]
            .iter()
            .zip(delays(seed))
            .map(|(letter, ms)| {
                let output = json!({"winner": letter, (*letter): ms});
                (
                    letter.to_string(),
                    json!({"delay_ms": ms, "output": output}),
                )
            })
            .collect();

        let outcome = capture
            .run(workflow.execute(context(json!({"plan": plan}))))
            .await;

        let context = outcome.value().expect("the workflow succeeded");
        assert_eq!(
            context.get::<String>("winner").as_deref(),
            Some("D"),
            "seed {seed}"
        );
        assert!(["A", "B", "C", "D"].iter().all(|l| context.contains(l)));
        let finished: Vec<String> = capture
            .lines_of_kind("task")
            .iter()
            .map(|l| l["task"].as_str().unwrap().to_owned())
            .collect();
        completion_orders.insert(finished);
    }
    assert!(
        completion_orders.len() > 1,
        "the delays varied the completion order"
    );
}

fn metrics() -> Value {
    json!({"plan": {
        "A": {"delay_ms": 20, "output": {"metrics": {"revenue": 10}}},
        "B": {"delay_ms": 10, "output": {"metrics": {"visitors": 3}}},
    }})
}

#[tokio::test(start_paused = true)]
async fn a_deep_merge_combines_nested_objects() {
    let (capture, _) = Capture::with_journal();
    let workflow = Workflow::new("Dashboard").group(
        Group::new()
            .task::<A>()
            .task::<B>()
            .parallel(2)
            .merge(Merge::Deep),
    );

    let outcome = capture.run(workflow.execute(context(metrics()))).await;

    let context = outcome.value().unwrap();
    assert_eq!(
        context.value("metrics"),
        Some(&json!({"revenue": 10, "visitors": 3}))
    );
}

#[tokio::test(start_paused = true)]
async fn last_write_wins_keeps_the_last_declared_value() {
    let (capture, _) = Capture::with_journal();
    let workflow =
        Workflow::new("Dashboard").group(Group::new().task::<A>().task::<B>().parallel(2));

    let outcome = capture.run(workflow.execute(context(metrics()))).await;

    assert_eq!(
        outcome.value().unwrap().value("metrics"),
        Some(&json!({"visitors": 3}))
    );
}

#[tokio::test(start_paused = true)]
async fn no_merge_leaves_the_context_alone() {
    let (capture, _) = Capture::with_journal();
    let workflow = Workflow::new("Dashboard").group(
        Group::new()
            .task::<A>()
            .task::<B>()
            .parallel(2)
            .merge(Merge::None),
    );

    let outcome = capture.run(workflow.execute(context(metrics()))).await;

    assert!(!outcome.value().unwrap().contains("metrics"));
}

#[tokio::test(start_paused = true)]
async fn a_custom_merge_decides_the_shape() {
    let (capture, _) = Capture::with_journal();
    let namespaced = Merge::custom(|context, step, output| {
        context.insert(step, output);
    });
    let workflow = Workflow::new("Dashboard").group(
        Group::new()
            .task::<A>()
            .task::<B>()
            .parallel(2)
            .merge(namespaced),
    );

    let outcome = capture.run(workflow.execute(context(metrics()))).await;

    let context = outcome.value().unwrap();
    assert_eq!(
        context.value("Probe::A"),
        Some(&json!({"metrics": {"revenue": 10}}))
    );
    assert_eq!(
        context.value("Probe::B"),
        Some(&json!({"metrics": {"visitors": 3}}))
    );
}

#[tokio::test(start_paused = true)]
async fn a_failure_cancels_steps_not_yet_started_and_lets_started_ones_finish() {
    let (capture, journal) = Capture::with_journal();
    let workflow = Workflow::new("Fan").group(
        Group::new()
            .task::<A>()
            .task::<B>()
            .task::<C>()
            .task::<D>()
            .parallel(2),
    );
    let plan = json!({"plan": {"A": {"fail": "declined"}, "B": {"delay_ms": 50}}});

    let outcome = capture.run(workflow.execute(context(plan))).await;

    assert!(outcome.is_failed());
    assert_eq!(journal.of(" work"), ["A", "B"]);
    assert_eq!(capture.lines_for_task("Probe::B")[0]["status"], "success");
    assert!(capture.lines_for_task("Probe::C").is_empty());
    assert_eq!(
        outcome.framework()["not_started"],
        json!(["Probe::C", "Probe::D"])
    );
    assert_eq!(
        journal.of(" rollback compensating"),
        ["B"],
        "B finished, so it is undone"
    );
}

#[derive(Debug, Serialize, Deserialize, Validate)]
struct Charge {
    #[garde(range(min = 1))]
    amount: i64,
}

impl Task for Charge {
    type Output = ();
    fn name() -> &'static str {
        "Charge"
    }
    async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
        Ok(())
    }
}

#[tokio::test(start_paused = true)]
async fn continue_on_failure_runs_every_step_and_collects_each_failure() {
    let (capture, journal) = Capture::with_journal();
    let workflow = Workflow::new("Batch")
        .group(
            Group::new()
                .task::<A>()
                .task::<B>()
                .task::<Charge>()
                .task::<C>()
                .parallel(1)
                .continue_on_failure(),
        )
        .step::<D>();
    let plan = json!({"amount": 0, "plan": {"A": {"fail": "card declined"}}});

    let outcome = capture.run(workflow.execute(context(plan))).await;

    assert!(outcome.is_failed());
    assert_eq!(
        outcome.reason(),
        Some("card declined"),
        "the first in declaration order"
    );
    assert_eq!(
        journal.of(" work"),
        ["A", "B", "C"],
        "all ran; D, after the group, did not"
    );
    let failed: Vec<String> = outcome.failures().into_iter().map(|f| f.task).collect();
    assert_eq!(failed, ["Probe::A", "Charge"]);
    let errors = outcome.field_errors().unwrap();
    assert_eq!(errors["Probe::A.failed"], json!(["card declined"]));
    assert!(errors["Charge.amount"].is_array(), "{errors:?}");
}

#[tokio::test]
async fn sequential_continue_on_failure_also_collects_every_failure() {
    let (capture, journal) = Capture::with_journal();
    let workflow = Workflow::new("Batch").group(
        Group::new()
            .task::<A>()
            .task::<B>()
            .task::<C>()
            .continue_on_failure(),
    );
    let plan = json!({"plan": {"A": {"fail": "one"}, "C": {"fail": "two"}}});

    let outcome = capture.run(workflow.execute(context(plan))).await;

    assert_eq!(journal.of(" work"), ["A", "B", "C"]);
    let failed: Vec<String> = outcome.failures().into_iter().map(|f| f.task).collect();
    assert_eq!(failed, ["Probe::A", "Probe::C"]);
}

#[tokio::test(start_paused = true)]
async fn parallel_steps_get_unique_indexes_and_the_workflow_as_parent() {
    let (capture, _) = Capture::with_journal();

    let outcome = capture.run(six(3).execute(context(all_delayed(5)))).await;

    let records: Vec<Record> = capture.records();
    let workflow = records.iter().find(|r| r.task == "Fan").unwrap();
    let steps: Vec<&Record> = records.iter().filter(|r| r.task != "Fan").collect();
    assert_eq!(steps.len(), 6);
    assert!(
        steps
            .iter()
            .all(|r| r.parent == Some(workflow.tid) && r.cid == outcome.chain_id())
    );
    let indexes: HashSet<u32> = records.iter().map(|r| r.index).collect();
    assert_eq!(indexes.len(), records.len());
}
