//! What a new user writes first: a task without inputs, fields without
//! per-field validation attributes, the prelude's names, the short macros.

use cmdx::prelude::*;
use cmdx_test::Capture;

/// A task without inputs: an empty struct with braces (garde's derive
/// does not take unit structs; braces also keep the input an object).
#[derive(Debug, Serialize, Deserialize, Validate)]
struct Ping {}

impl Task for Ping {
    type Output = &'static str;
    fn name() -> &'static str {
        "Health::Ping"
    }
    async fn work(&self, _: &mut Cx) -> Result<&'static str, Halt> {
        Ok("pong")
    }
}

/// Fields without `#[garde(..)]` each: `allow_unvalidated` on the struct.
#[derive(Debug, Serialize, Deserialize, Validate)]
#[garde(allow_unvalidated)]
struct Note {
    author: String,
    #[garde(length(min = 1))]
    text: String,
}

impl Task for Note {
    type Output = ();
    fn name() -> &'static str {
        "Notes::Add"
    }
    async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
        if self.text == "skip" {
            skip!();
        }
        if self.text == "fail" {
            fail!(code = "rejected");
        }
        Ok(())
    }
}

#[tokio::test]
async fn an_empty_task_runs_typed_and_untyped() {
    let capture = Capture::new();
    assert_eq!(
        capture.run(Ping {}.execute()).await.into_value(),
        Some("pong")
    );
    let outcome = capture.run(Ping::execute_json(serde_json::json!({}))).await;
    assert!(outcome.is_success(), "{outcome:?}");
    // Input is an object, even an empty one: `null` is a clear error.
    let outcome = capture
        .run(Ping::execute_json(serde_json::Value::Null))
        .await;
    assert_eq!(
        outcome.field_errors().unwrap()["input"],
        serde_json::json!(["must be an object"])
    );
    let lines = capture.values();
    assert_eq!(lines.len(), 3);
    assert!(lines.iter().all(|line| line["task"] == "Health::Ping"));
    assert_eq!(lines[1]["input"], serde_json::json!({}));
}

#[tokio::test]
async fn allow_unvalidated_fields_and_reasonless_halts() {
    let capture = Capture::new();
    let ok = capture
        .run(Note::execute_json(
            serde_json::json!({"author": "ada", "text": "hi"}),
        ))
        .await;
    assert!(ok.is_success(), "{ok:?}");
    let invalid = capture
        .run(Note::execute_json(
            serde_json::json!({"author": "ada", "text": ""}),
        ))
        .await;
    assert_eq!(
        invalid.field_errors().unwrap().keys().collect::<Vec<_>>(),
        ["text"],
        "the validated field is still validated, the other is not"
    );
    let skipped = capture
        .run(
            Note {
                author: "a".into(),
                text: "skip".into(),
            }
            .execute(),
        )
        .await;
    assert!(skipped.is_skipped() && skipped.reason().is_none());
    let failed = capture
        .run(
            Note {
                author: "a".into(),
                text: "fail".into(),
            }
            .execute(),
        )
        .await;
    assert!(failed.is_failed() && failed.reason().is_none());
    assert_eq!(failed.code(), Some("rejected"));
    let lines = capture.values();
    assert_eq!(lines[2]["reason"], serde_json::Value::Null);
    assert_eq!(lines[3]["reason"], serde_json::Value::Null);
    assert_eq!(lines[3]["status"], "failed");
}

/// `BoxError` and `LedgerLevel` come with the prelude.
#[test]
fn the_prelude_names_what_settings_and_rollbacks_use() {
    let error: BoxError = "disk full".into();
    let settings = Settings::new().ledger(LedgerLevel::Off);
    assert_eq!(error.to_string(), "disk full");
    assert!(format!("{settings:?}").contains("Off"), "{settings:?}");
}
