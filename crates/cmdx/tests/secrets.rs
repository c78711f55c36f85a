//! A value in a `Secret` never shows: not in a ledger line, a span, an
//! event, an error text or `Debug` output, for valid and invalid input,
//! typed and untyped calls, tasks and workflows. Every test plants one
//! marker in every secret and sweeps everything the execution produced.

use cmdx::prelude::*;
use cmdx::{Fault, Group, Settings, Workflow};
use cmdx_test::{Capture, Traces};
use serde_json::{Value, json};

const MARKER: &str = "MARKER-7f3a-0c91";

#[derive(Debug, Serialize, Deserialize, Validate)]
struct Card {
    #[garde(skip)]
    number: Secret<String>,
    #[garde(range(min = 100, max = 9999))]
    cvv: u16,
}

#[derive(Debug, Serialize, Deserialize, Validate)]
struct Pay {
    #[garde(range(min = 1))]
    cents: i64,
    #[garde(dive)]
    card: Card,
    #[garde(skip)]
    pins: Vec<Secret<String>>,
    #[garde(skip)]
    token: Secret<String>,
    #[garde(skip)]
    pin: Option<Secret<u32>>,
}

impl Task for Pay {
    type Output = ();
    fn name() -> &'static str {
        "Payments::Pay"
    }
    async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
        Ok(())
    }
}

/// A body whose every secret holds the marker.
fn valid() -> Value {
    json!({
        "cents": 250,
        "card": {"number": MARKER, "cvv": 123},
        "pins": [MARKER, MARKER],
        "token": MARKER,
    })
}

/// Panics if `text` shows the marker.
fn assert_hidden(text: &str, place: &str) {
    assert!(
        !text.contains(MARKER),
        "the secret shows in {place}: {text}"
    );
}

/// Everything an outcome exposes as text.
fn sweep_outcome<T: std::fmt::Debug>(outcome: &Outcome<T>) {
    assert_hidden(&format!("{outcome:?}"), "the outcome's Debug");
    assert_hidden(&format!("{:?}", outcome.record()), "the record's Debug");
    assert_hidden(
        &outcome.record().to_line().escape_ascii().to_string(),
        "the line",
    );
    if let Some(fault) = outcome.fault() {
        sweep_fault(&fault);
    }
}

fn sweep_fault(fault: &Fault) {
    assert_hidden(&fault.to_string(), "the fault's Display");
    assert_hidden(&format!("{fault:?}"), "the fault's Debug");
}

/// Everything a capture and a trace collected.
fn sweep(capture: &Capture, traces: &Traces) {
    let lines = capture.lines();
    assert!(!lines.is_empty(), "the sweep needs lines to look at");
    for line in &lines {
        assert_hidden(line, "a ledger line");
    }
    let spans = traces.spans();
    assert!(!spans.is_empty(), "the sweep needs spans to look at");
    for span in spans {
        assert_hidden(&format!("{:?}", span.fields), "a span");
    }
    for event in traces.events() {
        assert_hidden(&format!("{:?}", event.fields), "an event");
    }
}

/// Runs `Pay` from `body` under a capture and a trace, sweeping both.
async fn pay_json(body: Value) -> Outcome<()> {
    let (capture, traces) = (Capture::new(), Traces::new());
    let _guard = traces.install();
    let outcome = capture.run(Pay::execute_json(body.clone())).await;
    sweep_outcome(&outcome);
    sweep(&capture, &traces);
    assert_hidden(
        &cmdx::redacted_input::<Pay>(&body).to_string(),
        "redacted_input",
    );
    outcome
}

#[tokio::test(flavor = "current_thread")]
async fn valid_untyped_input_shows_no_secret() {
    let outcome = pay_json(valid()).await;
    assert!(outcome.is_success(), "{outcome:?}");
    let line = outcome.record().input_value();
    assert_eq!(line["card"]["number"], cmdx::REDACTED);
    assert_eq!(line["pins"], json!([cmdx::REDACTED, cmdx::REDACTED]));
    let shown = cmdx::redacted_input::<Pay>(&valid());
    assert_eq!(shown, line, "redacted_input shows a body as the line does");
}

#[tokio::test(flavor = "current_thread")]
async fn a_secret_beside_an_invalid_nested_field_stays_hidden() {
    let mut body = valid();
    body["card"]["cvv"] = json!(5);
    let outcome = pay_json(body).await;
    assert!(outcome.field_errors().unwrap().contains_key("card.cvv"));
    let line = outcome.record().input_value();
    assert_eq!(line["card"]["number"], cmdx::REDACTED);
    assert_eq!(line["card"]["cvv"], 5, "a plain invalid value is shown");
}

#[tokio::test(flavor = "current_thread")]
async fn an_invalid_element_in_a_list_of_secrets_stays_hidden() {
    let mut body = valid();
    body["pins"] = json!([MARKER, {"nested": MARKER}, [MARKER]]);
    let outcome = pay_json(body).await;
    let errors = outcome.field_errors().unwrap();
    assert!(
        errors.contains_key("pins[1]") && errors.contains_key("pins[2]"),
        "{errors:?}"
    );
}

#[tokio::test(flavor = "current_thread")]
async fn a_wrongly_shaped_struct_holding_a_secret_stays_hidden() {
    let mut body = valid();
    body["card"] = json!(MARKER);
    let outcome = pay_json(body).await;
    assert_eq!(
        outcome.field_errors().unwrap()["card"][0],
        "must be an object"
    );
    assert_eq!(outcome.record().input_value()["card"], cmdx::REDACTED);
}

#[tokio::test(flavor = "current_thread")]
async fn an_invalid_secret_itself_stays_hidden() {
    let mut body = valid();
    body["token"] = json!({"nested": MARKER});
    body["pin"] = json!(MARKER);
    let outcome = pay_json(body).await;
    let errors = outcome.field_errors().unwrap();
    assert!(
        errors.contains_key("token") && errors.contains_key("pin"),
        "{errors:?}"
    );
}

#[tokio::test(flavor = "current_thread")]
async fn secrets_stay_hidden_beside_missing_and_mistyped_fields() {
    let mut body = valid();
    body["cents"] = json!("lots");
    body.as_object_mut().unwrap().remove("card");
    let outcome = pay_json(body).await;
    let line = outcome.record().input_value();
    assert_eq!(
        line["cents"], "lots",
        "a mistyped plain value is shown as given"
    );
    assert!(
        line.get("card").is_none(),
        "a missing field is not invented"
    );
}

#[tokio::test(flavor = "current_thread")]
async fn secrets_stay_hidden_when_too_many_fields_fail_to_list() {
    let mut body = valid();
    body["pins"] = Value::Array(vec![json!({"nested": MARKER}); 300]);
    let outcome = pay_json(body).await;
    let errors = outcome.field_errors().unwrap();
    assert_eq!(errors.len(), 101, "the first 100 fields and a count");
    assert_eq!(outcome.record().input_value()["cents"], cmdx::REDACTED);
}

#[tokio::test(flavor = "current_thread")]
async fn invalid_typed_input_shows_no_secret() {
    let (capture, traces) = (Capture::new(), Traces::new());
    let _guard = traces.install();
    let task = Pay {
        cents: 0,
        card: Card {
            number: Secret::new(MARKER.into()),
            cvv: 5,
        },
        pins: vec![Secret::new(MARKER.into())],
        token: Secret::new(MARKER.into()),
        pin: Some(Secret::new(7)),
    };
    assert_hidden(&format!("{task:?}"), "the task's Debug");
    let outcome = capture.run(task.execute()).await;
    assert!(outcome.is_failed());
    sweep_outcome(&outcome);
    sweep(&capture, &traces);
}

#[derive(Debug, Serialize, Deserialize, Validate)]
struct Reserve {
    #[garde(length(min = 1))]
    sku: String,
    #[garde(skip)]
    payload: String,
}

impl Task for Reserve {
    type Output = ();
    fn name() -> &'static str {
        "Reserve"
    }
    fn settings() -> Settings {
        Settings::new().exclude_input(["payload"])
    }
    async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
        Ok(())
    }
}

#[derive(Debug, Serialize, Deserialize, Validate)]
struct Ship {
    #[garde(length(min = 1))]
    sku: String,
}

impl Task for Ship {
    type Output = ();
    fn name() -> &'static str {
        "Ship"
    }
    async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
        fail!("carrier down", code = "carrier_down")
    }
}

/// Reserve, Pay, then a failing Ship: Pay is compensated.
fn checkout() -> Workflow {
    Workflow::new("Checkout")
        .step::<Reserve>()
        .step::<Pay>()
        .group(
            Group::new()
                .task::<Ship>()
                .when(|c: &Context| c.contains("sku")),
        )
        .workflow(Workflow::new("Inner").step::<Pay>())
}

async fn run_checkout(input: Value) -> (Outcome<Context>, Capture) {
    let (capture, traces) = (Capture::new(), Traces::new());
    let _guard = traces.install();
    let outcome = capture
        .run(checkout().execute(cmdx_test::context(input)))
        .await;
    sweep_outcome(&outcome);
    sweep(&capture, &traces);
    (outcome, capture)
}

fn checkout_input() -> Value {
    let mut input = valid();
    input["sku"] = json!("SKU-1");
    input["payload"] = json!(MARKER);
    input
}

#[tokio::test(flavor = "current_thread")]
async fn a_workflow_line_hides_every_steps_secrets_and_exclusions() {
    let (outcome, capture) = run_checkout(checkout_input()).await;
    assert!(outcome.is_failed(), "Ship fails: {outcome:?}");
    let workflow = &capture.lines_of_kind("workflow")[0];
    assert_eq!(workflow["input"]["token"], cmdx::REDACTED);
    assert_eq!(workflow["input"]["card"]["number"], cmdx::REDACTED);
    assert_eq!(workflow["input"]["sku"], "SKU-1", "plain keys are shown");
    assert!(
        workflow["input"].get("payload").is_none(),
        "a key a step excludes is left out of the workflow's line too"
    );
    assert_eq!(
        capture.lines_of_kind("rollback").len(),
        2,
        "Pay and Reserve compensated"
    );
}

#[tokio::test(flavor = "current_thread")]
async fn a_workflow_whose_step_input_is_invalid_hides_its_secrets() {
    let mut input = checkout_input();
    input["card"]["cvv"] = json!(5);
    let (outcome, capture) = run_checkout(input).await;
    assert!(outcome.is_failed());
    let pay = &capture.lines_for_task("Payments::Pay")[0];
    assert_eq!(pay["code"], "invalid_input");
}

#[tokio::test(flavor = "current_thread")]
async fn a_skipped_step_and_a_workflow_from_untyped_input_hide_secrets() {
    let (capture, traces) = (Capture::new(), Traces::new());
    let _guard = traces.install();
    let workflow = Workflow::new("Skips")
        .group(Group::new().task::<Pay>().when(|_: &Context| false))
        .group(
            Group::new()
                .workflow(Workflow::new("Inner").step::<Pay>())
                .when(|_: &Context| false),
        );
    let outcome = capture.run(workflow.execute_json(valid())).await;
    assert!(outcome.is_success());
    sweep_outcome(&outcome);
    let not_an_object = capture.run(workflow.execute_json(json!(MARKER))).await;
    assert!(not_an_object.is_failed());
    sweep_outcome(&not_an_object);
    sweep(&capture, &traces);
    assert_eq!(
        capture.summary().len(),
        4,
        "two skipped steps and two workflows"
    );
}

/// A field whose `Serialize` always fails.
#[derive(Debug, Deserialize)]
struct Unshowable(#[allow(dead_code)] u8);

impl Serialize for Unshowable {
    fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
        Err(serde::ser::Error::custom("cannot be shown"))
    }
}

#[derive(Debug, Serialize, Deserialize, Validate)]
struct Odd {
    #[garde(skip)]
    token: Secret<String>,
    #[garde(skip)]
    odd: Unshowable,
    #[garde(skip)]
    big: u128,
}

impl Task for Odd {
    type Output = ();
    fn name() -> &'static str {
        "Odd"
    }
    async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
        Ok(())
    }
}

#[derive(Debug, Serialize, Deserialize, Validate)]
struct Huge {
    #[garde(skip)]
    token: Secret<String>,
    #[garde(skip)]
    big: u128,
}

impl Task for Huge {
    type Output = ();
    fn name() -> &'static str {
        "Huge"
    }
    async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
        Ok(())
    }
}

#[test]
fn an_input_that_does_not_serialize_shows_every_value_redacted() {
    let body = json!({"token": MARKER, "odd": 1, "big": 2});
    let shown = cmdx::redacted_input::<Odd>(&body);
    assert_eq!(
        shown,
        json!({"token": cmdx::REDACTED, "odd": cmdx::REDACTED, "big": cmdx::REDACTED})
    );
}

#[tokio::test(flavor = "current_thread")]
async fn a_workflow_line_hides_the_secret_of_a_step_whose_view_cannot_be_a_json_value() {
    // u64::MAX + 1: a `Value` cannot hold it, JSON text can.
    let big = u128::from(u64::MAX) + 1;
    let mut context = Context::new();
    context.insert("token", MARKER);
    context.insert("big", big.to_string());
    let workflow = Workflow::new("Huge").step::<Huge>();
    let capture = Capture::new();
    let outcome = capture.run(workflow.execute(context)).await;
    for line in capture.lines() {
        assert_hidden(&line.to_string(), "a workflow's lines");
    }
    let input = outcome.record().input_value();
    assert_eq!(input["token"], cmdx::REDACTED);
    // Shown through JSON text (as a float): not hidden with the secret.
    assert_eq!(input["big"], json!(big as f64));
}

/// Reads `token` as plain text, before a step that keeps it secret.
#[derive(Debug, Serialize, Deserialize, Validate)]
struct ReadsTokenPlainly {
    #[garde(skip)]
    token: String,
}

impl Task for ReadsTokenPlainly {
    type Output = ();
    fn name() -> &'static str {
        "ReadsTokenPlainly"
    }
    async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
        Ok(())
    }
}

/// Keeps `token` secret.
#[derive(Debug, Serialize, Deserialize, Validate)]
struct KeepsTokenSecret {
    #[garde(skip)]
    token: Secret<String>,
}

impl Task for KeepsTokenSecret {
    type Output = ();
    fn name() -> &'static str {
        "KeepsTokenSecret"
    }
    async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
        Ok(())
    }
}

#[tokio::test(flavor = "current_thread")]
async fn a_key_an_earlier_step_reads_plainly_stays_hidden_when_a_later_step_keeps_it_secret() {
    let mut context = Context::new();
    context.insert("token", MARKER);
    let workflow = Workflow::new("PlainThenSecret")
        .step::<ReadsTokenPlainly>()
        .step::<KeepsTokenSecret>();
    let capture = Capture::new();
    let outcome = capture.run(workflow.execute(context)).await;
    assert!(outcome.is_success(), "{outcome:?}");
    let line = &capture.lines_of_kind("workflow")[0];
    assert_eq!(line["input"]["token"], cmdx::REDACTED);
    assert_hidden(&line.to_string(), "the workflow's line");
    // The plain step's own line shows what it read: the secret is the
    // other step's, and the workflow's line is where both meet.
    let plain = capture.lines_for_task("ReadsTokenPlainly");
    assert_eq!(plain[0]["input"]["token"], MARKER);
}

/// A typed workflow whose input holds a secret, nested as a step.
#[derive(Debug, Serialize, Deserialize, Validate)]
struct Refund {
    #[garde(range(min = 1))]
    refund_cents: i64,
    #[garde(skip)]
    refund_token: Secret<String>,
}

impl Flow for Refund {
    fn name() -> &'static str {
        "Payments::Refund"
    }
    fn workflow() -> Workflow {
        Workflow::new(Self::name())
    }
}

#[tokio::test(flavor = "current_thread")]
async fn a_workflow_line_shows_the_context_as_its_nested_workflows_and_flows_read_it() {
    let (capture, traces) = (Capture::new(), Traces::new());
    let _guard = traces.install();
    // No step of the outer workflow's own reads these keys: only the
    // nested workflow's `Pay` and the nested flow's input do.
    let inner = Workflow::new("Inner")
        .step::<Pay>()
        .step::<Touch>()
        .settings(Settings::new().record_output(true));
    let outer = Workflow::new("Outer").workflow(inner).flow::<Refund>();
    let mut input = valid();
    input["cents"] = json!("250");
    input["refund_cents"] = json!("5");
    // `Inner` does not read it: its line must not show it (the sweep).
    input["refund_token"] = json!(MARKER);
    let outcome = capture.run(outer.execute(cmdx_test::context(input))).await;
    assert!(outcome.is_success(), "{outcome:?}");
    sweep(&capture, &traces);
    let lines = capture.lines_for_task("Outer");
    let shown = &lines[0]["input"];
    assert_eq!(shown["token"], cmdx::REDACTED, "{shown}");
    assert_eq!(shown["card"]["number"], cmdx::REDACTED);
    assert_eq!(shown["cents"], 250, "coerced as the nested step reads it");
    assert_eq!(shown["refund_token"], cmdx::REDACTED, "{shown}");
    assert_eq!(shown["refund_cents"], 5, "coerced as the flow reads it");
    // A nested workflow's line shows the keys its steps read (and, as
    // output, the keys it changed); the enclosing line shows the rest.
    let inner = &capture.lines_for_task("Inner")[0];
    let keys: Vec<&String> = inner["input"].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["card", "cents", "pin", "pins", "token"]);
    assert_eq!(inner["input"]["cents"], 250);
    let keys: Vec<&String> = inner["output"].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["card", "cents", "pin", "pins", "token", "touched"]);
}

#[derive(Debug, Serialize, Deserialize, Validate)]
struct Vault {
    #[garde(skip)]
    vault_token: Secret<String>,
}

/// Reads nothing: no step of `Vault`'s holds its token.
#[derive(Debug, Serialize, Deserialize, Validate)]
struct Touch {}

impl Task for Touch {
    type Output = Value;
    fn name() -> &'static str {
        "Touch"
    }
    async fn work(&self, _: &mut Cx) -> Result<Value, Halt> {
        Ok(json!({"touched": true}))
    }
}

impl Flow for Vault {
    fn name() -> &'static str {
        "Vault"
    }
    fn workflow() -> Workflow {
        Workflow::new(Self::name())
            .step::<Touch>()
            .settings(Settings::new().record_output(true))
    }
}

#[tokio::test(flavor = "current_thread")]
async fn a_flows_output_line_hides_its_secret_fields_when_no_step_reads_them() {
    let (capture, traces) = (Capture::new(), Traces::new());
    let _guard = traces.install();
    let vault = Vault {
        vault_token: Secret::new(MARKER.to_owned()),
    };
    let outcome = capture.run(vault.execute()).await;
    assert!(outcome.is_success(), "{outcome:?}");
    // Nested, with the output of the enclosing line recorded too.
    let outer = Workflow::new("Vaults")
        .flow::<Vault>()
        .settings(Settings::new().record_output(true));
    let outcome = capture
        .run(outer.execute(cmdx_test::context(json!({"vault_token": MARKER}))))
        .await;
    assert!(outcome.is_success(), "{outcome:?}");
    sweep(&capture, &traces);
    let lines = capture.lines_for_task("Vault");
    assert_eq!(lines.len(), 2);
    for line in &lines {
        assert_eq!(line["output"]["vault_token"], cmdx::REDACTED, "{line}");
        assert_eq!(line["output"]["touched"], true);
    }
}
