//! Ledger line v2: the framework's data (`code`, `errors`, `framework`)
//! apart from the user's (`metadata`); the opt-in `output`; the `strict`
//! and `deprecated` flags.

use cmdx::prelude::*;
use cmdx::{Deprecation, Settings, Workflow, WorkflowOutcomeExt};
use cmdx_test::Capture;
use serde_json::json;

const CARD: &str = "4242-4242-4242-4242";

/// Fails with a user `errors` key, or with invalid input.
#[derive(Debug, Serialize, Deserialize, Validate)]
struct Charge {
    #[garde(range(min = 1))]
    amount: i64,
}

impl Task for Charge {
    type Output = ();
    fn name() -> &'static str {
        "Billing::Charge"
    }
    async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
        fail!(
            "Card declined",
            code = "card_declined",
            errors = json!({"issuer": ["do not honour"]}),
            halted_by = "the bank"
        );
    }
}

#[tokio::test]
async fn a_users_errors_key_is_metadata_and_never_field_errors() {
    let capture = Capture::new();
    let outcome = capture.run(Charge { amount: 5 }.execute()).await;
    assert_eq!(outcome.code(), Some("card_declined"));
    assert!(outcome.field_errors().is_none(), "{outcome:?}");
    assert_eq!(outcome.metadata()["errors"]["issuer"][0], "do not honour");
    assert_eq!(outcome.metadata()["halted_by"], "the bank");
    assert!(!outcome.metadata().contains_key("code"));
    assert!(outcome.framework().is_empty());
    let line = &capture.values()[0];
    assert_eq!(line["code"], "card_declined");
    assert_eq!(line["errors"], json!(null));
    assert_eq!(
        line["metadata"],
        json!({"errors": {"issuer": ["do not honour"]}, "halted_by": "the bank"})
    );
    assert_eq!(line["framework"], json!({}));
}

#[tokio::test]
async fn invalid_input_fills_errors_and_code_and_leaves_metadata_empty() {
    let capture = Capture::new();
    let outcome = capture
        .run(Charge::execute_json(json!({"amount": 0})))
        .await;
    assert_eq!(outcome.code(), Some("invalid_input"));
    assert!(outcome.field_errors().unwrap()["amount"].is_array());
    assert!(outcome.metadata().is_empty());
    let line = &capture.values()[0];
    assert!(line["errors"]["amount"].is_array());
    assert_eq!(line["metadata"], json!({}));
}

#[tokio::test]
async fn a_workflow_halt_keeps_the_steps_own_keys_and_adds_its_own_apart() {
    let capture = Capture::new();
    let workflow = Workflow::new("Billing::Checkout").step::<Charge>();
    let outcome = capture
        .run(workflow.execute(cmdx_test::context(json!({"amount": 5}))))
        .await;
    assert!(outcome.is_failed());
    assert_eq!(outcome.code(), Some("card_declined"));
    // The step's own `errors` and `halted_by` are its metadata, untouched.
    assert_eq!(outcome.metadata()["errors"]["issuer"][0], "do not honour");
    assert_eq!(outcome.metadata()["halted_by"], "the bank");
    // The workflow's own report is in `framework`.
    assert_eq!(outcome.halted_by().unwrap().task, "Billing::Charge");
    assert_eq!(outcome.framework()["halted_by"]["task"], "Billing::Charge");
    assert!(outcome.field_errors().is_none());
    let line = &capture.lines_for_task("Billing::Checkout")[0];
    assert_eq!(line["metadata"]["halted_by"], "the bank");
    assert_eq!(line["framework"]["halted_by"]["task"], "Billing::Charge");

    // A step's invalid input: the workflow's `errors`, keyed by the step.
    let invalid = capture
        .run(workflow.execute(cmdx_test::context(json!({"amount": 0}))))
        .await;
    assert_eq!(invalid.code(), Some("invalid_input"));
    assert!(invalid.field_errors().unwrap()["Billing::Charge.amount"].is_array());
    assert!(invalid.metadata().is_empty());
}

#[derive(Debug, Serialize, Deserialize, Validate)]
struct OpenAccount {
    #[garde(skip)]
    owner: String,
    #[garde(skip)]
    card: Secret<String>,
}

#[derive(Debug, Serialize)]
struct Opened {
    account_id: i64,
    card: Secret<String>,
    statement: String,
}

impl Task for OpenAccount {
    type Output = Opened;
    fn name() -> &'static str {
        "Accounts::Open"
    }
    fn settings() -> Settings {
        Settings::new()
            .record_output(true)
            .exclude_input(["statement"])
    }
    async fn work(&self, _: &mut Cx) -> Result<Opened, Halt> {
        Ok(Opened {
            account_id: 77,
            card: self.card.clone(),
            statement: "a very long statement".into(),
        })
    }
}

fn open() -> OpenAccount {
    OpenAccount {
        owner: "ada".into(),
        card: Secret::new(CARD.into()),
    }
}

#[tokio::test]
async fn an_opted_in_output_is_on_the_line_redacted_and_without_excluded_keys() {
    let capture = Capture::new();
    let outcome = capture.run(open().execute()).await;
    assert!(outcome.is_success());
    let line = &capture.values()[0];
    assert_eq!(
        line["output"],
        json!({"account_id": 77, "card": "[REDACTED]"})
    );
    assert_eq!(outcome.record().output_value(), line["output"]);
    assert!(!capture.lines()[0].contains(CARD));
}

#[tokio::test]
async fn the_output_is_null_unless_opted_in_and_on_failure() {
    #[derive(Debug, Serialize, Deserialize, Validate)]
    struct Quiet {}
    impl Task for Quiet {
        type Output = i64;
        fn name() -> &'static str {
            "Accounts::Quiet"
        }
        async fn work(&self, _: &mut Cx) -> Result<i64, Halt> {
            Ok(5)
        }
    }
    #[derive(Debug, Serialize, Deserialize, Validate)]
    struct Broken {}
    impl Task for Broken {
        type Output = i64;
        fn name() -> &'static str {
            "Accounts::Broken"
        }
        fn settings() -> Settings {
            Settings::new().record_output(true)
        }
        async fn work(&self, _: &mut Cx) -> Result<i64, Halt> {
            fail!("broken")
        }
    }
    let capture = Capture::new();
    let _ = capture.run(Quiet {}.execute()).await;
    let _ = capture.run(Broken {}.execute()).await;
    for line in capture.values() {
        assert_eq!(line["output"], json!(null), "{line}");
    }
}

#[tokio::test]
async fn a_workflows_output_is_its_final_context_with_secrets_redacted() {
    let capture = Capture::new();
    let workflow = Workflow::new("Accounts::Onboard")
        .settings(Settings::new().record_output(true).exclude_input(["note"]))
        .step::<OpenAccount>();
    let outcome = capture
        .run(workflow.execute(cmdx_test::context(
            json!({"owner": "ada", "card": CARD, "note": "internal"}),
        )))
        .await;
    assert!(outcome.is_success(), "{outcome:?}");
    let line = &capture.lines_for_task("Accounts::Onboard")[0];
    // The final context: the input (the card a step reads as a secret,
    // the excluded note left out) and what the step added.
    assert_eq!(line["output"]["owner"], "ada");
    assert_eq!(line["output"]["card"], "[REDACTED]");
    assert_eq!(line["output"]["account_id"], 77);
    assert!(line["output"].get("note").is_none(), "{line}");
    for text in capture.lines() {
        assert!(!text.contains(CARD), "{text}");
    }
}

#[tokio::test]
async fn strict_and_deprecated_are_flagged() {
    #[derive(Debug, Serialize, Deserialize, Validate)]
    struct Legacy {}
    impl Task for Legacy {
        type Output = ();
        fn name() -> &'static str {
            "Accounts::Legacy"
        }
        fn settings() -> Settings {
            Settings::new().deprecated(Deprecation::warn("use Accounts::Open"))
        }
        async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
            Ok(())
        }
    }
    let capture = Capture::new();
    let _ = capture.run(Legacy {}.execute()).await;
    let _ = capture.run(Legacy {}.execute_strict()).await;
    let _ = capture.run(open().execute_strict()).await;
    let flags: Vec<(bool, bool)> = capture
        .values()
        .iter()
        .map(|l| (l["strict"] == true, l["deprecated"] == true))
        .collect();
    assert_eq!(flags, [(false, true), (true, true), (true, false)]);
    assert!(capture.records()[1].strict);
}

#[tokio::test]
async fn a_workflow_executed_strictly_is_flagged_strict() {
    let capture = Capture::new();
    let workflow = Workflow::new("Accounts::Onboard").step::<OpenAccount>();
    let context = || cmdx_test::context(json!({"owner": "ada", "card": CARD}));
    let _ = capture.run(workflow.execute(context())).await;
    let _ = capture.run(workflow.execute_strict(context())).await;
    let flags: Vec<bool> = capture
        .lines_for_task("Accounts::Onboard")
        .iter()
        .map(|l| l["strict"] == true)
        .collect();
    assert_eq!(flags, [false, true]);
}
