//! Typed workflows ([`Flow`]): an input struct validated before the first
//! step, seeding the context; entry points like a task's; nesting as a step.

use cmdx::prelude::*;
use cmdx_test::{Capture, Probe};
use serde_json::{Map, Value, json};

type A = Probe<'A'>;
type B = Probe<'B'>;
type C = Probe<'C'>;

/// A typed workflow: validated `sku` and `quantity`, and the probes' plan.
#[derive(Debug, Serialize, Deserialize, Validate)]
struct Order {
    #[garde(length(min = 1))]
    sku: String,
    #[garde(range(min = 1, max = 100))]
    quantity: i64,
    #[garde(skip)]
    #[serde(default)]
    plan: Map<String, Value>,
}

impl Flow for Order {
    fn name() -> &'static str {
        "Shop::Order"
    }
    fn workflow() -> Workflow {
        Workflow::new("ignored: Flow::name wins").step::<B>()
    }
}

fn order(quantity: i64) -> Order {
    Order {
        sku: "SKU-1".into(),
        quantity,
        plan: Map::new(),
    }
}

#[tokio::test]
async fn a_typed_workflow_seeds_its_context_and_writes_one_workflow_line() {
    let (capture, journal) = Capture::with_journal();

    let outcome = capture.run(order(3).execute()).await;

    assert!(outcome.is_success(), "{outcome:?}");
    let context = outcome.value().unwrap();
    assert_eq!(context.get::<String>("sku").as_deref(), Some("SKU-1"));
    assert_eq!(context.get::<i64>("quantity"), Some(3));
    assert_eq!(context.get::<String>("B").as_deref(), Some("done"));
    assert_eq!(journal.entries(), ["B work"]);
    let lines = capture.values();
    assert_eq!(lines.len(), 2, "one step line, one workflow line");
    let workflow = &lines[1];
    assert_eq!(workflow["task"], "Shop::Order");
    assert_eq!(workflow["kind"], "workflow");
    assert_eq!(
        workflow["input"],
        json!({"sku": "SKU-1", "quantity": 3, "plan": {}})
    );
    assert_eq!(lines[0]["parent"], workflow["tid"]);
    capture.assert_one_line_per_execution();
}

#[tokio::test]
async fn invalid_typed_input_fails_the_workflow_line_and_runs_no_step() {
    let (capture, journal) = Capture::with_journal();
    let invalid = Order {
        sku: String::new(),
        quantity: 0,
        plan: Map::new(),
    };

    let outcome = capture.run(invalid.execute()).await;

    assert!(outcome.is_failed());
    assert_eq!(outcome.code(), Some("invalid_input"));
    let errors = outcome.field_errors().unwrap();
    assert!(errors.contains_key("sku"), "{errors:?}");
    assert!(errors.contains_key("quantity"), "{errors:?}");
    assert!(journal.entries().is_empty(), "no step ran");
    let lines = capture.values();
    assert_eq!(lines.len(), 1, "only the workflow's line: {lines:?}");
    assert_eq!(lines[0]["task"], "Shop::Order");
    assert_eq!(lines[0]["status"], "failed");
    assert_eq!(lines[0]["code"], "invalid_input");
}

#[tokio::test]
async fn execute_json_coerces_the_input_and_reports_every_invalid_field() {
    let (capture, journal) = Capture::with_journal();

    let outcome = capture
        .run(Order::execute_json(json!({"sku": "S", "quantity": "4"})))
        .await;
    assert!(outcome.is_success(), "{outcome:?}");
    assert_eq!(outcome.value().unwrap().get::<i64>("quantity"), Some(4));

    let outcome = capture
        .run(Order::execute_json(json!({"sku": "", "quantity": "many"})))
        .await;
    assert!(outcome.is_failed());
    assert_eq!(outcome.code(), Some("invalid_input"));
    let errors = outcome.field_errors().unwrap();
    assert!(errors.contains_key("sku") && errors.contains_key("quantity"));
    assert_eq!(journal.entries(), ["B work"], "the invalid one ran no step");
    let invalid = capture.values().pop().unwrap();
    assert_eq!(
        invalid["input"],
        json!({"sku": "", "quantity": "many", "plan": {}})
    );
    capture.assert_one_line_per_execution();
}

#[tokio::test]
async fn the_strict_entry_point_gives_the_failure_as_a_fault() {
    let capture = Capture::with_journal().0;
    let mut failing = order(1);
    failing.plan = Map::from_iter([("B".into(), json!({"fail": "out of boxes"}))]);

    let fault = capture.run(failing.execute_strict()).await.unwrap_err();

    assert_eq!(fault.reason(), Some("out of boxes"));
    assert_eq!(fault.origin().task, "Probe::B");
}

/// Charges a card it reads from the context, noting its last digits.
#[derive(Debug, Serialize, Deserialize, Validate)]
struct Charge {
    #[garde(skip)]
    card: Secret<String>,
}

impl Task for Charge {
    type Output = Value;
    fn name() -> &'static str {
        "Shop::Charge"
    }
    async fn work(&self, _: &mut Cx) -> Result<Value, Halt> {
        let card = self.card.expose();
        Ok(json!({"last4": &card[card.len() - 4..]}))
    }
}

#[derive(Debug, Serialize, Deserialize, Validate)]
struct Checkout {
    #[garde(skip)]
    card: Secret<String>,
}

impl Flow for Checkout {
    fn name() -> &'static str {
        "Shop::Checkout"
    }
    fn workflow() -> Workflow {
        Workflow::new(Self::name()).step::<Charge>()
    }
}

#[tokio::test]
async fn a_secret_input_reaches_the_steps_but_no_line() {
    let capture = Capture::new();
    let checkout = Checkout {
        card: Secret::new("4242424242429876".into()),
    };

    let outcome = capture.run(checkout.execute()).await;

    assert!(outcome.is_success(), "{outcome:?}");
    assert_eq!(
        outcome.value().unwrap().get::<String>("last4").as_deref(),
        Some("9876")
    );
    for line in capture.lines() {
        assert!(!line.contains("4242424242429876"), "{line}");
    }
    assert_eq!(
        capture.lines_for_task("Shop::Checkout")[0]["input"],
        json!({"card": "[REDACTED]"})
    );
    // Outside the seeding, a secret still serializes redacted.
    let card = Secret::new("4242".to_owned());
    assert_eq!(serde_json::to_value(&card).unwrap(), "[REDACTED]");
}

#[tokio::test]
async fn a_typed_workflow_nests_as_a_step_and_is_compensated_with_the_outer_one() {
    let (capture, journal) = Capture::with_journal();
    let outer = Workflow::new("Shop::Outer")
        .step::<A>()
        .flow::<Order>()
        .step::<C>();
    let input = json!({
        "sku": "SKU-9", "quantity": "2",
        "plan": {"C": {"fail": "carrier down"}},
    });

    let outcome = capture.run(outer.execute_json(input)).await;

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
    let outer_line = &capture.lines_for_task("Shop::Outer")[0];
    let nested = &capture.lines_for_task("Shop::Order")[0];
    assert_eq!(nested["kind"], "workflow");
    assert_eq!(nested["parent"], outer_line["tid"]);
    assert_eq!(nested["input"]["quantity"], 2, "coerced like a task step");
    let b = &capture.lines_for_task("Probe::B")[0];
    assert_eq!(b["parent"], nested["tid"]);
    capture.assert_one_line_per_execution();
}

#[tokio::test]
async fn a_nested_typed_workflow_merges_what_it_added() {
    let (capture, _) = Capture::with_journal();
    let outer = Workflow::new("Shop::Outer").flow::<Order>().step::<A>();
    let input = json!({"sku": "SKU-9", "quantity": 2, "other": true});

    let outcome = capture.run(outer.execute_json(input)).await;

    let context = outcome.value().expect("success");
    assert_eq!(context.get::<String>("B").as_deref(), Some("done"));
    assert_eq!(context.get::<bool>("other"), Some(true));
    assert_eq!(context.get::<String>("A").as_deref(), Some("done"));
}

#[tokio::test]
async fn invalid_input_of_a_nested_typed_workflow_fails_the_outer_one_before_its_steps() {
    let (capture, journal) = Capture::with_journal();
    let outer = Workflow::new("Shop::Outer").step::<A>().flow::<Order>();

    let outcome = capture
        .run(outer.execute_json(json!({"sku": "", "quantity": 1})))
        .await;

    assert!(outcome.is_failed());
    assert_eq!(outcome.code(), Some("invalid_input"));
    assert!(outcome.field_errors().unwrap().contains_key("sku"));
    assert_eq!(journal.entries(), ["A work", "A rollback compensating"]);
    let nested = &capture.lines_for_task("Shop::Order")[0];
    assert_eq!(nested["code"], "invalid_input");
    capture.assert_one_line_per_execution();
}

#[tokio::test]
async fn a_condition_skipped_typed_workflow_writes_its_skipped_line() {
    let (capture, journal) = Capture::with_journal();
    let never = |_: &Context| false;
    let outer = Workflow::new("Shop::Outer").group(Group::new().flow::<Order>().when(never));

    let outcome = capture
        .run(outer.execute_json(json!({"sku": "S", "quantity": 1})))
        .await;

    assert!(outcome.is_success());
    assert!(journal.entries().is_empty());
    let nested = &capture.lines_for_task("Shop::Order")[0];
    assert_eq!(nested["status"], "skipped");
    assert_eq!(nested["kind"], "workflow");
    assert_eq!(
        nested["input"],
        json!({"sku": "S", "quantity": 1, "plan": {}})
    );
}

/// A flow whose `workflow()` panics.
#[derive(Debug, Serialize, Deserialize, Validate)]
struct Broken {}

impl Flow for Broken {
    fn name() -> &'static str {
        "Shop::Broken"
    }
    fn workflow() -> Workflow {
        panic!("no steps today")
    }
}

#[tokio::test]
async fn a_panicking_workflow_declaration_fails_the_execution_like_panicking_settings() {
    let capture = Capture::new();

    let outcome = capture.run(Broken {}.execute()).await;

    assert!(outcome.is_failed());
    assert_eq!(outcome.code(), Some("settings_panicked"));
    assert!(outcome.reason().unwrap().contains("no steps today"));
    assert_eq!(capture.values().len(), 1);
}
