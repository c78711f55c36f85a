//! The ledger: exactly one line per execution — also for panics and
//! dropped futures — children before parents, secrets redacted.

use cmdx::prelude::*;
use cmdx::{Ledger, Runtime};
use cmdx_test::Capture;
use std::io::{self, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

#[derive(Debug, Serialize, Deserialize, Validate)]
struct Sleepy {
    #[garde(skip)]
    millis: u64,
}

impl Task for Sleepy {
    type Output = ();
    fn name() -> &'static str {
        "Sleepy"
    }
    async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
        tokio::time::sleep(Duration::from_millis(self.millis)).await;
        Ok(())
    }
}

#[derive(Debug, Serialize, Deserialize, Validate)]
struct Outer {
    #[garde(skip)]
    millis: u64,
}

#[derive(Debug, Default)]
struct RolledBack(AtomicBool);

impl Task for Outer {
    type Output = ();
    fn name() -> &'static str {
        "Outer"
    }
    async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
        let _ = Sleepy { millis: 1 }.execute().await;
        let _ = Sleepy {
            millis: self.millis,
        }
        .execute()
        .await;
        Ok(())
    }
    async fn rollback(&self, cx: &mut Cx) -> Result<(), cmdx::BoxError> {
        cx.resource::<Arc<RolledBack>>()?
            .0
            .store(true, Ordering::SeqCst);
        Ok(())
    }
}

#[derive(Debug, Serialize, Deserialize, Validate)]
struct Pay {
    #[garde(length(min = 1))]
    account: String,
    #[garde(skip)]
    card: Secret<String>,
    #[garde(range(min = 1))]
    cents: i64,
}

impl Task for Pay {
    type Output = ();
    fn name() -> &'static str {
        "Pay"
    }
    async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
        if self.card.expose().starts_with("0000") {
            fail!("Card declined");
        }
        Ok(())
    }
}

#[tokio::test(start_paused = true)]
async fn a_dropped_future_still_writes_one_cancelled_line_per_started_execution() {
    let rolled_back = Arc::new(RolledBack::default());
    let capture = Capture::with(|b| b.resource(rolled_back.clone()));
    let run = capture.run(Outer { millis: 60_000 }.execute());
    // The caller gives up (a client disconnect, a losing select! branch).
    assert!(
        tokio::time::timeout(Duration::from_millis(100), run)
            .await
            .is_err()
    );

    capture.assert_one_line_per_execution();
    let lines = capture.values();
    let summary: Vec<(String, String, String)> = lines
        .iter()
        .map(|l| {
            (
                l["task"].as_str().unwrap().into(),
                l["status"].as_str().unwrap().into(),
                l["reason"].as_str().unwrap_or("").into(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            ("Sleepy".into(), "success".into(), "".into()),
            ("Sleepy".into(), "failed".into(), "cancelled".into()),
            ("Outer".into(), "failed".into(), "cancelled".into()),
        ],
        "children's lines come first"
    );
    assert!(lines[2]["state"] == "interrupted" && lines[2]["rolled_back"] == false);
    assert!(
        !rolled_back.0.load(Ordering::SeqCst),
        "no rollback runs from Drop"
    );
}

#[tokio::test]
async fn a_panicking_task_writes_exactly_one_failed_line() {
    #[derive(Debug, Serialize, Deserialize, Validate)]
    struct Boom {}
    impl Task for Boom {
        type Output = ();
        fn name() -> &'static str {
            "Boom"
        }
        async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
            panic!("kaboom")
        }
    }
    let capture = Capture::new();
    let _ = capture.run(Boom {}.execute()).await;
    capture.assert_one_line_per_execution();
    let lines = capture.values();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["status"], "failed");
    assert_eq!(lines[0]["cause"], "panicked: kaboom");
}

#[tokio::test]
async fn children_are_written_before_their_parent() {
    let capture = Capture::new();
    let _ = capture.run(Outer { millis: 1 }.execute()).await;
    let indexes: Vec<u64> = capture
        .values()
        .iter()
        .map(|l| l["index"].as_u64().unwrap())
        .collect();
    assert_eq!(indexes, vec![1, 2, 0]);
}

#[tokio::test]
async fn a_secret_input_is_redacted_in_the_line_and_in_debug_output() {
    let capture = Capture::new();
    let task = Pay {
        account: "acc-1".into(),
        card: Secret::new("4242424242424242".into()),
        cents: 500,
    };
    assert!(!format!("{task:?}").contains("4242424242424242"));
    let _ = capture.run(task.execute()).await;
    let line = &capture.lines()[0];
    assert!(!line.contains("4242424242424242"), "{line}");
    let value: serde_json::Value = serde_json::from_str(line).unwrap();
    assert_eq!(value["input"]["card"], "[REDACTED]");
    assert_eq!(value["input"]["account"], "acc-1");
}

#[tokio::test]
async fn a_secret_stays_redacted_when_other_fields_are_invalid() {
    let capture = Capture::new();
    let input = serde_json::json!({"account": "", "card": "4242424242424242", "cents": 0});
    let outcome = capture.run(Pay::execute_json(input)).await;
    assert!(outcome.is_failed());
    let line = &capture.lines()[0];
    assert!(!line.contains("4242424242424242"), "{line}");
    let errors = outcome.field_errors().unwrap();
    assert!(
        errors.contains_key("account") && errors.contains_key("cents"),
        "{errors:?}"
    );
}

#[tokio::test]
async fn a_secret_never_reaches_a_fault_message() {
    let capture = Capture::new();
    let task = Pay {
        account: "acc-1".into(),
        card: Secret::new("0000111122223333".into()),
        cents: 5,
    };
    let fault = capture.run(task.execute_strict()).await.unwrap_err();
    assert!(!fault.to_string().contains("0000111122223333"));
    assert!(!format!("{fault:?}").contains("0000111122223333"));
}

#[tokio::test]
async fn with_the_ledger_off_nothing_is_written_and_inputs_are_not_serialized() {
    let runtime = Runtime::builder().ledger(Ledger::off()).build();
    let outcome = runtime.scope(Sleepy { millis: 0 }.execute()).await;
    assert!(outcome.is_success());
    assert!(outcome.record().input.is_none());
}

#[tokio::test]
async fn a_writer_that_fails_never_fails_the_task_nor_panics() {
    struct Closed;
    impl Write for Closed {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::Error::new(io::ErrorKind::BrokenPipe, "stdout closed"))
        }
        fn flush(&mut self) -> io::Result<()> {
            Err(io::Error::new(io::ErrorKind::BrokenPipe, "stdout closed"))
        }
    }
    let runtime = Runtime::builder().ledger(Ledger::writer(Closed)).build();
    let outcome = runtime.scope(Sleepy { millis: 0 }.execute()).await;
    assert!(outcome.is_success());
    runtime.ledger().flush().unwrap();
    let stats = runtime.ledger().stats().unwrap();
    assert_eq!((stats.written, stats.failed), (0, 1), "counted, not hidden");
}

#[tokio::test]
async fn a_writer_receives_one_complete_line_per_execution() {
    let out = cmdx_test::SharedWriter::new();
    let runtime = Runtime::builder()
        .ledger(Ledger::writer(out.clone()))
        .build();
    let _ = runtime.scope(Outer { millis: 0 }.execute()).await;
    runtime.ledger().flush().unwrap();
    let text = String::from_utf8(out.bytes()).unwrap();
    assert!(text.ends_with('\n'));
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3);
    for line in lines {
        let record: cmdx::Record = serde_json::from_str(line).unwrap();
        assert_eq!(record.v, cmdx::ledger::SCHEMA_VERSION);
    }
}
