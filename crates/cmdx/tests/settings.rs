//! Settings: tags, excluded inputs, ledger levels, deprecation.

use cmdx::prelude::*;
use cmdx::{Deprecation, LedgerLevel};
use cmdx_test::Capture;

#[derive(Debug, Serialize, Deserialize, Validate)]
struct Import {
    #[garde(skip)]
    source: String,
    #[garde(skip)]
    payload: String,
    #[garde(skip)]
    checksum: String,
}

impl Task for Import {
    type Output = ();
    fn name() -> &'static str {
        "Import"
    }
    const TAGS: &'static [&'static str] = &["catalog"];
    fn settings() -> Settings {
        Settings::new().exclude_input(["payload"])
    }
    async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
        Ok(())
    }
}

fn import() -> Import {
    Import {
        source: "s3://bucket/catalog.csv".into(),
        payload: "x".repeat(10_000),
        checksum: "abc".into(),
    }
}

#[tokio::test]
async fn runtime_tags_come_before_task_tags_on_the_line() {
    let capture = Capture::with(|b| b.tags(["svc:inventory"]));
    let outcome = capture.run(import().execute()).await;
    assert_eq!(
        capture.values()[0]["tags"],
        serde_json::json!(["svc:inventory", "catalog"])
    );
    assert_eq!(
        outcome.tags().collect::<Vec<_>>(),
        ["svc:inventory", "catalog"]
    );
}

#[tokio::test]
async fn excluded_input_fields_are_left_out_of_the_line() {
    let capture = Capture::with(|b| b.exclude_input(["checksum"]));
    let _ = capture.run(import().execute()).await;
    assert_eq!(
        capture.values()[0]["input"],
        serde_json::json!({"source": "s3://bucket/catalog.csv"})
    );
}

#[derive(Debug, Serialize, Deserialize, Validate)]
struct Noisy {
    #[garde(skip)]
    fail: bool,
}

impl Task for Noisy {
    type Output = ();
    fn name() -> &'static str {
        "Noisy"
    }
    fn settings() -> Settings {
        Settings::new().ledger(LedgerLevel::Failed)
    }
    async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
        if self.fail {
            fail!("broken");
        }
        Ok(())
    }
}

#[tokio::test]
async fn a_task_at_ledger_level_failed_writes_only_its_failures() {
    let capture = Capture::new();
    let ok = capture.run(Noisy { fail: false }.execute()).await;
    let ko = capture.run(Noisy { fail: true }.execute()).await;
    let lines = capture.values();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["tid"], ko.tid().to_string());
    assert!(ok.is_success());
}

#[tokio::test]
async fn the_runtime_ledger_level_applies_to_tasks_without_their_own() {
    let capture = Capture::with(|b| b.ledger_level(LedgerLevel::Off));
    let _ = capture.run(import().execute()).await;
    let _ = capture.run(Noisy { fail: true }.execute()).await;
    assert_eq!(capture.lines().len(), 1, "Noisy's own level (failed) wins");
}

#[derive(Debug, Serialize, Deserialize, Validate)]
struct Retired {}

impl Task for Retired {
    type Output = ();
    fn name() -> &'static str {
        "Retired"
    }
    fn settings() -> Settings {
        Settings::new().deprecated(Deprecation::fail("use ImportV2"))
    }
    async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
        unreachable!("a retired task never runs")
    }
}

#[tokio::test]
async fn a_deprecated_task_set_to_fail_refuses_to_run_with_a_clear_reason() {
    let capture = Capture::new();
    let outcome = capture.run(Retired {}.execute()).await;
    assert!(outcome.is_failed());
    assert_eq!(
        outcome.reason(),
        Some("task `Retired` is deprecated: use ImportV2")
    );
    assert_eq!(outcome.code(), Some("deprecated"));
    assert_eq!(capture.lines().len(), 1);
}

#[tokio::test]
async fn tags_are_recorded_on_the_span_too() {
    let traces = cmdx_test::Traces::new();
    let _guard = traces.install();
    let capture = Capture::with(|b| b.tags(["svc:inventory"]));
    let _ = capture.run(import().execute()).await;
    let spans = traces.spans();
    assert_eq!(spans.len(), 1);
    assert_eq!(spans[0].fields["cmdx.tags"], "svc:inventory,catalog");
}
