//! Workflows: steps in declaration order over one shared context, each a
//! child of the workflow in its chain; workflows inside tasks and `throw`.

use cmdx::prelude::*;
use cmdx_test::{Capture, Probe, context};
use serde_json::json;

type A = Probe<'A'>;
type B = Probe<'B'>;
type C = Probe<'C'>;

#[tokio::test]
async fn steps_run_in_declaration_order_as_children_of_the_workflow() {
    let (capture, journal) = Capture::with_journal();
    let workflow = Workflow::new("Demo").step::<C>().step::<A>().step::<B>();

    let outcome = capture.run(workflow.execute(Context::new())).await;

    assert!(outcome.is_success(), "{outcome:?}");
    assert_eq!(journal.of(" work"), ["C", "A", "B"]);
    let lines = capture.values();
    let tasks: Vec<_> = lines.iter().map(|l| l["task"].as_str().unwrap()).collect();
    assert_eq!(tasks, ["Probe::C", "Probe::A", "Probe::B", "Demo"]);
    let workflow_line = &lines[3];
    assert_eq!(workflow_line["kind"], "workflow");
    assert_eq!(workflow_line["index"], 0);
    for (step, index) in lines[..3].iter().zip(1..) {
        assert_eq!(step["kind"], "task");
        assert_eq!(step["index"], index);
        assert_eq!(step["parent"], workflow_line["tid"]);
        assert_eq!(step["cid"], workflow_line["cid"]);
    }
}

#[tokio::test]
async fn a_step_reads_what_an_earlier_step_output() {
    #[derive(Debug, Serialize, Deserialize, Validate)]
    struct Ship {
        #[garde(range(min = 1))]
        reservation_id: i64,
    }
    impl Task for Ship {
        type Output = String;
        fn name() -> &'static str {
            "Ship"
        }
        async fn work(&self, _: &mut Cx) -> Result<String, Halt> {
            Ok(format!("shipped {}", self.reservation_id))
        }
    }

    let (capture, _) = Capture::with_journal();
    let workflow = Workflow::new("Demo").step::<A>().step::<Ship>();
    let plan = json!({"plan": {"A": {"output": {"reservation_id": 42}}}});

    let outcome = capture.run(workflow.execute(context(plan))).await;

    let context = outcome.value().expect("the workflow succeeded");
    assert_eq!(context.get::<i64>("reservation_id"), Some(42));
    assert_eq!(context.get::<String>("Ship").as_deref(), Some("shipped 42"));
    assert_eq!(
        capture.lines_for_task("Ship")[0]["input"],
        json!({"reservation_id": 42})
    );
}

#[tokio::test]
async fn a_step_with_invalid_inputs_fails_the_workflow_with_errors_naming_the_step() {
    #[derive(Debug, Serialize, Deserialize, Validate)]
    struct Reserve {
        #[garde(length(min = 1))]
        sku: String,
        #[garde(range(min = 1))]
        quantity: i64,
    }
    impl Task for Reserve {
        type Output = ();
        fn name() -> &'static str {
            "Inventory::ReserveStock"
        }
        async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
            Ok(())
        }
    }

    let (capture, journal) = Capture::with_journal();
    let workflow = Workflow::new("Demo").step::<Reserve>().step::<A>();

    let outcome = capture
        .run(workflow.execute(context(json!({"sku": "", "quantity": 0}))))
        .await;

    assert!(outcome.is_failed());
    let errors = outcome.field_errors().expect("field errors");
    assert!(
        errors.contains_key("Inventory::ReserveStock.sku"),
        "{errors:?}"
    );
    assert!(
        errors.contains_key("Inventory::ReserveStock.quantity"),
        "{errors:?}"
    );
    let step = &capture.lines_for_task("Inventory::ReserveStock")[0];
    assert_eq!(step["status"], "failed");
    assert!(step["errors"]["sku"].is_array());
    assert!(journal.entries().is_empty(), "no later step ran");
}

#[tokio::test]
async fn resources_reach_every_step() {
    let (capture, journal) = Capture::with_journal();
    let workflow = Workflow::new("Demo").step::<A>().step::<B>();

    let outcome = capture.run(workflow.execute(Context::new())).await;

    assert!(outcome.is_success());
    assert_eq!(journal.of(" work"), ["A", "B"]);
}

#[derive(Debug, Serialize, Deserialize, Validate)]
struct PlaceOrder {
    #[garde(skip)]
    fail_in: Option<char>,
}

impl Task for PlaceOrder {
    type Output = i64;
    fn name() -> &'static str {
        "PlaceOrder"
    }
    async fn work(&self, _: &mut Cx) -> Result<i64, Halt> {
        let workflow = Workflow::new("Inner").step::<A>().step::<B>();
        let plan = match self.fail_in {
            Some(letter) => json!({"plan": {letter.to_string(): {"fail": "declined"}}}),
            None => json!({}),
        };
        let outcome = workflow.execute(context(plan)).await;
        outcome.throw()?;
        Ok(outcome.value().map_or(0, |c| c.as_map().len() as i64))
    }
}

#[tokio::test]
async fn a_workflow_awaited_in_a_task_joins_its_chain() {
    let (capture, _) = Capture::with_journal();

    let outcome = capture.run(PlaceOrder { fail_in: None }.execute()).await;

    assert_eq!(outcome.value(), Some(&2));
    let parents = capture.parent_indexes(outcome.chain_id());
    assert_eq!(
        parents.into_iter().collect::<Vec<_>>(),
        [(0, None), (1, Some(0)), (2, Some(1)), (3, Some(1))]
    );
}

#[tokio::test]
async fn throw_fails_the_task_with_the_workflow_failure_keeping_its_origin() {
    let (capture, _) = Capture::with_journal();

    let outcome = capture
        .run(PlaceOrder { fail_in: Some('B') }.execute())
        .await;

    assert!(outcome.is_failed());
    assert_eq!(outcome.reason(), Some("declined"));
    let origin = outcome.origin().expect("an origin");
    assert_eq!(origin.task, "Probe::B");
    assert_eq!(
        capture.lines_for_task("PlaceOrder")[0]["origin"],
        origin.tid.to_string()
    );
}

#[tokio::test]
async fn throw_does_nothing_when_the_workflow_did_not_fail() {
    let (capture, _) = Capture::with_journal();
    let workflow = Workflow::new("Demo").step::<A>();

    let outcome = capture.run(workflow.execute(Context::new())).await;

    assert!(outcome.throw().is_ok());
}

#[tokio::test]
async fn a_workflow_given_json_that_is_not_an_object_fails_before_any_step() {
    let (capture, journal) = Capture::with_journal();
    let workflow = Workflow::new("Demo").step::<A>();

    let outcome = capture.run(workflow.execute_json(json!([1, 2]))).await;

    assert!(outcome.is_failed());
    assert!(
        outcome.field_errors().unwrap()["input"][0]
            .as_str()
            .unwrap()
            .contains("must be a JSON object")
    );
    assert!(journal.entries().is_empty());
    assert_eq!(capture.lines().len(), 1);
}

#[tokio::test]
async fn a_workflow_is_reusable_and_each_execution_is_its_own_chain() {
    let (capture, _) = Capture::with_journal();
    let workflow = Workflow::new("Demo").step::<A>().step::<C>();

    let first = capture.run(workflow.execute(Context::new())).await;
    let second = capture.run(workflow.execute(Context::new())).await;

    assert!(first.is_success() && second.is_success());
    assert_ne!(first.chain_id(), second.chain_id());
    assert_eq!(first.chain().map(|c| c.len()), Some(3));
    capture.assert_one_line_per_execution();
}

#[tokio::test]
async fn a_workflow_execution_can_be_spawned_and_keeps_the_chain() {
    let (capture, journal) = Capture::with_journal();
    let workflow = Workflow::new("Demo").step::<A>().step::<B>();

    let outcome = capture
        .run(
            async move { cmdx::spawn(async move { workflow.execute(Context::new()).await }).await },
        )
        .await
        .expect("the spawned workflow ran");

    assert!(outcome.is_success());
    assert_eq!(journal.of(" work"), ["A", "B"]);
    assert_eq!(capture.chain(outcome.chain_id()).len(), 3);
}

/// Reads `qty` as a number (coerced from text).
#[derive(Debug, Serialize, Deserialize, Validate)]
struct QtyAsNumber {
    #[garde(skip)]
    qty: i64,
}

impl Task for QtyAsNumber {
    type Output = ();
    fn name() -> &'static str {
        "QtyAsNumber"
    }
    async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
        Ok(())
    }
}

/// Reads `qty` as text.
#[derive(Debug, Serialize, Deserialize, Validate)]
struct QtyAsText {
    #[garde(skip)]
    qty: String,
}

impl Task for QtyAsText {
    type Output = ();
    fn name() -> &'static str {
        "QtyAsText"
    }
    async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
        Ok(())
    }
}

#[tokio::test]
async fn the_workflows_line_shows_a_key_in_the_form_of_the_first_step_that_reads_it() {
    for (workflow, shown) in [
        (
            Workflow::new("NumberFirst")
                .step::<QtyAsNumber>()
                .step::<QtyAsText>(),
            json!(5),
        ),
        (
            Workflow::new("TextFirst")
                .step::<QtyAsText>()
                .step::<QtyAsNumber>(),
            json!("5"),
        ),
    ] {
        let capture = Capture::new();
        let outcome = capture
            .run(workflow.execute(context(json!({"qty": "5", "note": "as given"}))))
            .await;
        assert!(outcome.is_success(), "{outcome:?}");
        let line = &capture.lines_of_kind("workflow")[0];
        assert_eq!(line["input"]["qty"], shown, "{}", line["task"]);
        assert_eq!(line["input"]["note"], "as given", "a key no step reads");
    }
}

#[tokio::test]
async fn a_steps_cx_context_is_the_workflows_context_as_the_step_read_it() {
    /// Reads a key it has no field for, through its `Cx`.
    #[derive(Debug, Serialize, Deserialize, Validate)]
    struct Peek {}

    impl Task for Peek {
        type Output = serde_json::Value;
        fn name() -> &'static str {
            "Peek"
        }
        async fn work(&self, cx: &mut Cx) -> Result<serde_json::Value, Halt> {
            let note = cx.context().get::<String>("note");
            let keys = cx.context().as_map().len();
            Ok(json!({"seen": note, "keys_seen": keys}))
        }
    }

    let (capture, _journal) = Capture::with_journal();
    let workflow = Workflow::new("Peeks").step::<A>().step::<Peek>();

    let outcome = capture
        .run(workflow.execute(context(json!({"note": "from the caller"}))))
        .await;

    assert!(outcome.is_success(), "{outcome:?}");
    let context = outcome.value().unwrap();
    assert_eq!(
        context.get::<String>("seen").as_deref(),
        Some("from the caller")
    );
    // The caller's key and what `A` merged before `Peek` ran.
    assert_eq!(context.get::<i64>("keys_seen"), Some(2));
}
