//! Saga compensation: when a workflow fails, the failing step's own
//! rollback runs, then every completed step's rollback in reverse
//! completion order, each as a new `rollback` line.

use cmdx::Merge;
use cmdx::prelude::*;
use cmdx_test::{Capture, Probe, context};
use serde_json::json;
use std::sync::Mutex;

type A = Probe<'A'>;
type B = Probe<'B'>;
type C = Probe<'C'>;
type D = Probe<'D'>;

fn three() -> Workflow {
    Workflow::new("Checkout")
        .step::<A>()
        .step::<B>()
        .step::<C>()
}

fn c_fails() -> serde_json::Value {
    json!({"plan": {"C": {"fail": "email bounced"}}})
}

#[tokio::test]
async fn completed_steps_roll_back_in_reverse_order_after_the_failing_step() {
    let (capture, journal) = Capture::with_journal();

    let outcome = capture.run(three().execute(context(c_fails()))).await;

    assert!(outcome.is_failed());
    assert_eq!(
        journal.entries(),
        [
            "A work",
            "B work",
            "C work",
            "C rollback",
            "B rollback compensating",
            "A rollback compensating"
        ]
    );
    let rollbacks: Vec<String> = capture
        .lines_of_kind("rollback")
        .iter()
        .map(|l| l["task"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(rollbacks, ["Probe::B", "Probe::A"]);
}

#[tokio::test]
async fn a_rollback_line_points_at_the_execution_it_undoes() {
    let (capture, _) = Capture::with_journal();

    let outcome = capture.run(three().execute(context(c_fails()))).await;

    let undone = &capture.lines_for_task("Probe::A")[0];
    let workflow = &capture.lines_for_task("Checkout")[0];
    let line = capture
        .lines_of_kind("rollback")
        .into_iter()
        .find(|l| l["task"] == "Probe::A")
        .unwrap();
    assert_eq!(undone["kind"], "task");
    assert_eq!(line["compensates"], undone["tid"]);
    assert_eq!(line["parent"], workflow["tid"]);
    assert_eq!(line["cid"], workflow["cid"]);
    assert_eq!(line["status"], "success");
    assert_eq!(line["input"], undone["input"]);
    assert_ne!(line["tid"], undone["tid"]);
    let indexes: Vec<u32> = outcome
        .chain()
        .unwrap()
        .records()
        .map(|r| r.index)
        .collect();
    assert_eq!(
        indexes,
        [0, 1, 2, 3, 4, 5],
        "each compensation has its own index"
    );
}

#[tokio::test]
async fn every_execution_has_one_line_and_every_compensation_one_more() {
    let (capture, _) = Capture::with_journal();

    let outcome = capture.run(three().execute(context(c_fails()))).await;

    capture.assert_one_line_per_execution();
    assert_eq!(capture.lines_of_kind("workflow").len(), 1);
    assert_eq!(capture.lines_of_kind("task").len(), 3);
    assert_eq!(capture.lines_of_kind("rollback").len(), 2);
    assert_eq!(outcome.chain().unwrap().len(), 6);
    assert_eq!(
        capture.values().last().unwrap()["task"],
        "Checkout",
        "the workflow's line comes last"
    );
}

#[tokio::test]
async fn a_failing_rollback_is_recorded_without_masking_the_failure_or_stopping_the_others() {
    let (capture, journal) = Capture::with_journal();
    let plan =
        json!({"plan": {"B": {"rollback_error": "void refused"}, "C": {"fail": "email bounced"}}});

    let outcome = capture.run(three().execute(context(plan))).await;

    assert!(outcome.is_failed());
    assert_eq!(outcome.reason(), Some("email bounced"));
    assert_eq!(journal.of(" rollback compensating"), ["B", "A"]);
    let failures = outcome.compensation_failures();
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0].task, "Probe::B");
    assert_eq!(failures[0].reason.as_deref(), Some("void refused"));
    let line = capture
        .lines_of_kind("rollback")
        .into_iter()
        .find(|l| l["task"] == "Probe::B")
        .unwrap();
    assert_eq!(line["status"], "failed");
    assert_eq!(line["cause"], "void refused");
    assert_eq!(line["tid"], failures[0].tid.to_string());
}

#[tokio::test]
async fn a_panicking_rollback_is_recorded_and_the_others_still_run() {
    let (capture, journal) = Capture::with_journal();
    let plan = json!({"plan": {"B": {"rollback_panic": "gateway exploded"}, "C": {"fail": "email bounced"}}});

    let outcome = capture.run(three().execute(context(plan))).await;

    assert_eq!(outcome.reason(), Some("email bounced"));
    assert_eq!(journal.of(" rollback compensating"), ["B", "A"]);
    let failures = outcome.compensation_failures();
    assert_eq!(
        failures[0].reason.as_deref(),
        Some("panicked: gateway exploded")
    );
    capture.assert_one_line_per_execution();
}

#[tokio::test(start_paused = true)]
async fn completed_parallel_steps_roll_back_in_reverse_completion_order() {
    let (capture, journal) = Capture::with_journal();
    let workflow = Workflow::new("Checkout")
        .step::<A>()
        .group(Group::new().task::<B>().task::<C>().parallel(2))
        .step::<D>();
    let plan = json!({"plan": {
        "B": {"delay_ms": 30}, "C": {"delay_ms": 10}, "D": {"fail": "declined"},
    }});

    let outcome = capture.run(workflow.execute(context(plan))).await;

    assert!(outcome.is_failed());
    // C finished first, so B (finished last) is undone first.
    assert_eq!(journal.of(" rollback compensating"), ["B", "C", "A"]);
}

#[tokio::test]
async fn a_completed_nested_workflow_compensates_its_own_steps() {
    let (capture, journal) = Capture::with_journal();
    let inner = Workflow::new("Reserve").step::<B>().step::<C>();
    let outer = Workflow::new("Order")
        .step::<A>()
        .workflow(inner)
        .step::<D>();
    let plan = json!({"plan": {"D": {"fail": "declined"}}});

    let outcome = capture.run(outer.execute(context(plan))).await;

    assert!(outcome.is_failed());
    assert_eq!(journal.of(" rollback compensating"), ["C", "B", "A"]);
    let rollbacks = capture.lines_of_kind("rollback");
    let inner_undo = rollbacks
        .iter()
        .find(|l| l["task"] == "Reserve")
        .expect("the nested workflow is compensated");
    let order = &capture.lines_for_task("Order")[0];
    assert_eq!(inner_undo["parent"], order["tid"]);
    assert_eq!(
        inner_undo["compensates"],
        capture.lines_for_task("Reserve")[0]["tid"]
    );
    for task in ["Probe::B", "Probe::C"] {
        let line = rollbacks.iter().find(|l| l["task"] == task).unwrap();
        assert_eq!(
            line["parent"], inner_undo["tid"],
            "{task} is undone inside the nested compensation"
        );
    }
    capture.assert_one_line_per_execution();
}

#[tokio::test]
async fn a_failing_nested_workflow_compensates_itself_then_the_outer_steps() {
    let (capture, journal) = Capture::with_journal();
    let inner = Workflow::new("Reserve").step::<B>().step::<C>();
    let outer = Workflow::new("Order").step::<A>().workflow(inner);
    let plan = json!({"plan": {"C": {"fail": "out of stock"}}});

    let outcome = capture.run(outer.execute(context(plan))).await;

    assert!(outcome.is_failed());
    assert_eq!(
        journal.entries()[3..],
        [
            "C rollback",
            "B rollback compensating",
            "A rollback compensating"
        ]
    );
    let b_undo = capture
        .lines_of_kind("rollback")
        .into_iter()
        .find(|l| l["task"] == "Probe::B")
        .unwrap();
    assert_eq!(
        b_undo["parent"],
        capture.lines_for_task("Reserve")[0]["tid"]
    );
    assert_eq!(
        capture.lines_of_kind("rollback").len(),
        2,
        "the failed nested workflow is not undone twice"
    );
}

#[tokio::test]
async fn a_nested_compensation_failure_is_reported_by_the_outer_workflow() {
    let (capture, _) = Capture::with_journal();
    let inner = Workflow::new("Reserve").step::<B>();
    let outer = Workflow::new("Order").workflow(inner).step::<D>();
    let plan = json!({"plan": {"B": {"rollback_error": "lock lost"}, "D": {"fail": "declined"}}});

    let outcome = capture.run(outer.execute(context(plan))).await;

    assert_eq!(outcome.reason(), Some("declined"));
    let failed: Vec<String> = outcome
        .compensation_failures()
        .into_iter()
        .map(|f| f.task)
        .collect();
    assert_eq!(failed, ["Probe::B", "Reserve"]);
}

#[tokio::test]
async fn a_rollback_knows_it_is_compensating_and_sees_the_context_its_step_read() {
    #[derive(Debug, Serialize, Deserialize, Validate)]
    struct Hold {
        #[garde(skip)]
        sku: String,
    }
    impl Task for Hold {
        type Output = ();
        fn name() -> &'static str {
            "Hold"
        }
        async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
            Ok(())
        }
        async fn rollback(&self, cx: &mut Cx) -> Result<(), cmdx::BoxError> {
            let seen = format!(
                "{} {} {:?}",
                self.sku,
                cx.is_compensating(),
                cx.context().get::<String>("sku")
            );
            SEEN.lock().unwrap().push(seen);
            Ok(())
        }
    }
    static SEEN: Mutex<Vec<String>> = Mutex::new(Vec::new());

    let (capture, _) = Capture::with_journal();
    let workflow = Workflow::new("Demo").step::<Hold>().step::<A>();
    let plan = json!({"sku": "SKU-1", "plan": {"A": {"fail": "no"}}});

    let _ = capture.run(workflow.execute(context(plan))).await;

    assert_eq!(*SEEN.lock().unwrap(), ["SKU-1 true Some(\"SKU-1\")"]);
}

#[tokio::test(start_paused = true)]
async fn a_dropped_workflow_still_compensates_its_completed_steps() {
    let (capture, journal) = Capture::with_journal();
    let plan = json!({"plan": {"B": {"delay_ms": 1_000}}});

    let timed_out = capture
        .run(tokio::time::timeout(
            std::time::Duration::from_millis(50),
            three().execute(context(plan)),
        ))
        .await;
    tokio::task::yield_now().await;
    tokio::time::sleep(std::time::Duration::from_millis(1)).await;

    assert!(timed_out.is_err(), "the caller gave up");
    assert_eq!(journal.of(" rollback compensating"), ["A"]);
    assert_eq!(capture.lines_for_task("Probe::B")[0]["reason"], "cancelled");
    let workflow = &capture.lines_for_task("Checkout")[0];
    assert_eq!(workflow["reason"], "cancelled");
    let undo = &capture.lines_of_kind("rollback")[0];
    assert_eq!(undo["task"], "Probe::A");
    assert_eq!(undo["parent"], workflow["tid"]);
    assert_eq!(
        undo["compensates"],
        capture.lines_for_task("Probe::A")[0]["tid"]
    );
    capture.assert_one_line_per_execution();
}

/// A step that adds its letter under its own key, under `last`, and under
/// `nested` (an object other steps add to), and whose rollback notes the
/// whole context it sees (`"<letter> saw <context>"`), then changes it.
macro_rules! writer {
    ($name:ident, $letter:literal) => {
        #[derive(Debug, Serialize, Deserialize, Validate)]
        struct $name {}

        impl Task for $name {
            type Output = serde_json::Value;
            fn name() -> &'static str {
                $letter
            }
            async fn work(&self, _: &mut Cx) -> Result<serde_json::Value, Halt> {
                Ok(json!({ $letter: $letter, "last": $letter, "nested": { $letter: true } }))
            }
            async fn rollback(&self, cx: &mut Cx) -> Result<(), cmdx::BoxError> {
                let journal = cx.resource::<cmdx_test::Journal>()?.clone();
                journal.push(format!("{} saw {}", $letter, serde_json::to_string(cx.context())?));
                // Scribbles on its own context: the next rollback must not
                // see it.
                cx.context_mut().insert("scribbled", $letter);
                cx.context_mut().remove("last");
                Ok(())
            }
        }
    };
}

writer!(WriteA, "A");
writer!(WriteB, "B");
writer!(WriteC, "C");
writer!(WriteD, "D");
writer!(WriteE, "E");

/// What each writer's rollback saw, by letter.
fn seen(journal: &cmdx_test::Journal) -> std::collections::BTreeMap<String, serde_json::Value> {
    journal
        .entries()
        .iter()
        .filter_map(|entry| entry.split_once(" saw "))
        .map(|(letter, context)| (letter.to_owned(), serde_json::from_str(context).unwrap()))
        .collect()
}

#[tokio::test]
async fn every_rollback_sees_exactly_the_context_its_step_read_not_what_later_steps_merged() {
    let (capture, journal) = Capture::with_journal();
    let workflow = Workflow::new("Order")
        .step::<WriteA>()
        .group(
            Group::new()
                .task::<WriteB>()
                .task::<WriteC>()
                .parallel(2)
                .merge(Merge::Deep),
        )
        .workflow(Workflow::new("Inner").step::<WriteD>().step::<WriteE>())
        .step::<D>();
    let plan = json!({"plan": {"D": {"fail": "declined"}}});

    let outcome = capture.run(workflow.execute(context(plan.clone()))).await;

    assert_eq!(outcome.reason(), Some("declined"));
    let after_a = json!({"plan": plan["plan"], "A": "A", "last": "A", "nested": {"A": true}});
    let after_group = json!({
        "plan": plan["plan"], "A": "A", "B": "B", "C": "C", "last": "C",
        "nested": {"A": true, "B": true, "C": true},
    });
    let mut after_d = after_group.clone();
    after_d["D"] = json!("D");
    after_d["last"] = json!("D");
    after_d["nested"] = json!({"D": true});
    let expected = [
        ("A", plan.clone()),
        ("B", after_a.clone()),
        ("C", after_a),
        ("D", after_group),
        ("E", after_d),
    ];
    let expected = expected.map(|(letter, context)| (letter.to_owned(), context));
    assert_eq!(seen(&journal), expected.into());
    capture.assert_one_line_per_execution();
}

#[tokio::test(start_paused = true)]
async fn a_dropped_workflows_rollbacks_see_the_context_their_steps_read() {
    let (capture, journal) = Capture::with_journal();
    let workflow = Workflow::new("Order")
        .step::<WriteA>()
        .step::<WriteB>()
        .step::<D>();
    let plan = json!({"plan": {"D": {"delay_ms": 1_000}}});

    let timed_out = capture
        .run(tokio::time::timeout(
            std::time::Duration::from_millis(50),
            workflow.execute(context(plan.clone())),
        ))
        .await;
    tokio::task::yield_now().await;
    tokio::time::sleep(std::time::Duration::from_millis(1)).await;

    assert!(timed_out.is_err(), "the caller gave up");
    let after_a = json!({"plan": plan["plan"], "A": "A", "last": "A", "nested": {"A": true}});
    let expected = [("A".to_owned(), plan), ("B".to_owned(), after_a)];
    assert_eq!(seen(&journal), expected.into());
    capture.assert_one_line_per_execution();
}
