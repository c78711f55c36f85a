//! Outcome pairs and halting: success / skip / fail / error / panic.

use cmdx::prelude::*;
use cmdx::{BoxError, State};
use cmdx_test::Capture;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
enum Mode {
    Succeed,
    Skip,
    Fail,
    Error,
    Panic,
    SuccessEarly,
}

#[derive(Debug, Serialize, Deserialize, Validate)]
struct Act {
    #[garde(skip)]
    mode: Mode,
}

#[derive(Debug)]
struct Reached(AtomicBool);

impl Task for Act {
    type Output = &'static str;
    fn name() -> &'static str {
        "Act"
    }

    async fn work(&self, cx: &mut Cx) -> Result<&'static str, Halt> {
        match self.mode {
            Mode::Succeed => {}
            Mode::Skip => skip!("Nothing to do", order_id = 7),
            Mode::Fail => fail!("Insufficient stock", code = "out_of_stock", available = 0),
            Mode::Error => {
                let n: i64 = "not a number".parse()?;
                return Ok(if n > 0 { "positive" } else { "other" });
            }
            Mode::Panic => panic!("boom"),
            Mode::SuccessEarly => success!("Already reserved"),
        }
        if let Ok(reached) = cx.resource::<Arc<Reached>>() {
            reached.0.store(true, Ordering::SeqCst);
        }
        Ok("done")
    }
}

async fn act(mode: Mode) -> Outcome<&'static str> {
    Capture::new().run(Act { mode }.execute()).await
}

#[tokio::test]
async fn success_is_complete_and_carries_the_value() {
    let reached = Arc::new(Reached(AtomicBool::new(false)));
    let capture = Capture::with(|b| b.resource(reached.clone()));
    let outcome = capture
        .run(
            Act {
                mode: Mode::Succeed,
            }
            .execute(),
        )
        .await;
    assert!(reached.0.load(Ordering::SeqCst));
    assert_eq!(
        (outcome.state(), outcome.status()),
        (State::Complete, Status::Success)
    );
    assert!(outcome.is_ok() && !outcome.is_ko());
    assert_eq!(outcome.value(), Some(&"done"));
    assert_eq!(outcome.reason(), None);
}

#[tokio::test]
async fn skip_is_interrupted_with_its_reason_and_metadata() {
    let outcome = act(Mode::Skip).await;
    assert_eq!(
        (outcome.state(), outcome.status()),
        (State::Interrupted, Status::Skipped)
    );
    assert!(outcome.is_ok() && outcome.is_ko());
    assert_eq!(outcome.reason(), Some("Nothing to do"));
    assert_eq!(outcome.metadata()["order_id"], 7);
    assert!(outcome.value().is_none());
}

#[tokio::test]
async fn fail_is_interrupted_with_reason_metadata_and_itself_as_origin() {
    let outcome = act(Mode::Fail).await;
    assert_eq!(
        (outcome.state(), outcome.status()),
        (State::Interrupted, Status::Failed)
    );
    assert_eq!(outcome.reason(), Some("Insufficient stock"));
    assert_eq!(outcome.code(), Some("out_of_stock"));
    assert_eq!(outcome.metadata()["available"], 0);
    assert_eq!(outcome.origin().map(|o| o.tid), Some(outcome.tid()));
    assert_eq!(outcome.cause(), None);
}

#[tokio::test]
async fn an_error_returned_with_question_mark_fails_with_its_cause() {
    let outcome = act(Mode::Error).await;
    assert!(outcome.is_failed() && outcome.is_interrupted());
    assert_eq!(outcome.reason(), Some("invalid digit found in string"));
    assert_eq!(outcome.cause(), Some("invalid digit found in string"));
}

#[tokio::test]
async fn a_panic_in_work_fails_with_a_panicked_cause_and_the_caller_keeps_running() {
    let outcome = act(Mode::Panic).await;
    assert!(outcome.is_failed());
    assert_eq!(outcome.cause(), Some("panicked: boom"));
    // still here: the caller's task was not unwound
    assert!(act(Mode::Succeed).await.is_success());
}

#[tokio::test]
async fn success_macro_stops_work_at_once_with_a_reason() {
    let reached = Arc::new(Reached(AtomicBool::new(false)));
    let capture = Capture::with(|b| b.resource(reached.clone()));
    let outcome = capture
        .run(
            Act {
                mode: Mode::SuccessEarly,
            }
            .execute(),
        )
        .await;
    assert!(outcome.is_success() && outcome.is_complete());
    assert_eq!(outcome.reason(), Some("Already reserved"));
    assert!(outcome.value().is_none());
    assert!(
        !reached.0.load(Ordering::SeqCst),
        "work went on after success!"
    );
}

#[tokio::test]
async fn a_missing_resource_fails_with_a_reason_that_says_how_to_add_it() {
    #[derive(Debug, Serialize, Deserialize, Validate)]
    struct NeedsPool {}
    #[derive(Debug)]
    struct Pool;
    impl Task for NeedsPool {
        type Output = ();
        fn name() -> &'static str {
            "NeedsPool"
        }
        async fn work(&self, cx: &mut Cx) -> Result<(), Halt> {
            cx.resource::<Pool>()?;
            Ok(())
        }
    }
    let outcome = Capture::new().run(NeedsPool {}.execute()).await;
    assert!(outcome.is_failed());
    let reason = outcome.reason().unwrap();
    assert!(
        reason.contains("Pool") && reason.contains("Runtime::builder().resource"),
        "{reason}"
    );
}

#[derive(Debug, Serialize, Deserialize, Validate)]
struct Undoable {
    #[garde(skip)]
    fail: bool,
    #[garde(skip)]
    rollback: RollbackMode,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
enum RollbackMode {
    Ok,
    Err,
    Panic,
}

#[derive(Debug, Default)]
struct Rollbacks(AtomicU32);

impl Task for Undoable {
    type Output = ();
    fn name() -> &'static str {
        "Undoable"
    }
    async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
        if self.fail {
            fail!("Card declined", code = "declined");
        }
        Ok(())
    }
    async fn rollback(&self, cx: &mut Cx) -> Result<(), BoxError> {
        cx.resource::<Arc<Rollbacks>>()?
            .0
            .fetch_add(1, Ordering::SeqCst);
        match self.rollback {
            RollbackMode::Ok => Ok(()),
            RollbackMode::Err => Err("refund service unavailable".into()),
            RollbackMode::Panic => panic!("rollback exploded"),
        }
    }
}

async fn undo(fail: bool, rollback: RollbackMode) -> (Outcome<()>, u32) {
    let counter = Arc::new(Rollbacks::default());
    let capture = Capture::with(|b| b.resource(counter.clone()));
    let outcome = capture.run(Undoable { fail, rollback }.execute()).await;
    (outcome, counter.0.load(Ordering::SeqCst))
}

#[tokio::test]
async fn a_failing_task_runs_its_own_rollback_once() {
    let (outcome, rollbacks) = undo(true, RollbackMode::Ok).await;
    assert!(outcome.is_failed() && outcome.record().rolled_back);
    assert_eq!(rollbacks, 1);
}

#[tokio::test]
async fn a_successful_task_does_not_roll_back() {
    let (outcome, rollbacks) = undo(false, RollbackMode::Ok).await;
    assert!(outcome.is_success() && !outcome.record().rolled_back);
    assert_eq!(rollbacks, 0);
}

#[tokio::test]
async fn a_rollback_error_is_recorded_without_replacing_the_failure() {
    let (outcome, _) = undo(true, RollbackMode::Err).await;
    assert_eq!(outcome.reason(), Some("Card declined"));
    assert_eq!(outcome.code(), Some("declined"));
    assert_eq!(
        outcome.framework()["rollback_error"],
        "refund service unavailable"
    );
}

#[tokio::test]
async fn a_panicking_rollback_is_recorded_without_replacing_the_failure() {
    let (outcome, _) = undo(true, RollbackMode::Panic).await;
    assert_eq!(outcome.reason(), Some("Card declined"));
    assert_eq!(
        outcome.framework()["rollback_error"],
        "rollback panicked: rollback exploded"
    );
}
