//! Lifecycle hooks: which fire for which status, in which order, and what a
//! failing hook does.

use cmdx::prelude::*;
use cmdx::{BoxError, Hook, HookCx, Hooks};
use cmdx_test::{Capture, Journal};

/// Notes every hook it sees, with the task's `mode` when it is an `Act`.
struct Every(Journal);

fn note(journal: &Journal, cx: &HookCx<'_>) -> Result<(), Halt> {
    journal.push(cx.hook().as_str());
    Ok(())
}

impl Hooks for Every {
    fn before_execution(&self, cx: &HookCx<'_>) -> Result<(), Halt> {
        note(&self.0, cx)
    }
    fn before_validation(&self, cx: &HookCx<'_>) -> Result<(), Halt> {
        note(&self.0, cx)
    }
    fn after_execution(&self, cx: &HookCx<'_>) -> Result<(), Halt> {
        note(&self.0, cx)
    }
    fn on_complete(&self, cx: &HookCx<'_>) -> Result<(), Halt> {
        note(&self.0, cx)
    }
    fn on_interrupted(&self, cx: &HookCx<'_>) -> Result<(), Halt> {
        note(&self.0, cx)
    }
    fn on_success(&self, cx: &HookCx<'_>) -> Result<(), Halt> {
        note(&self.0, cx)
    }
    fn on_skipped(&self, cx: &HookCx<'_>) -> Result<(), Halt> {
        note(&self.0, cx)
    }
    fn on_failed(&self, cx: &HookCx<'_>) -> Result<(), Halt> {
        note(&self.0, cx)
    }
    fn on_ok(&self, cx: &HookCx<'_>) -> Result<(), Halt> {
        note(&self.0, cx)
    }
    fn on_ko(&self, cx: &HookCx<'_>) -> Result<(), Halt> {
        note(&self.0, cx)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
enum Mode {
    Succeed,
    Skip,
    Fail,
}

#[derive(Debug, Serialize, Deserialize, Validate)]
struct Act {
    #[garde(skip)]
    mode: Mode,
}

impl Task for Act {
    type Output = ();
    fn name() -> &'static str {
        "Act"
    }
    async fn work(&self, cx: &mut Cx) -> Result<(), Halt> {
        if let Ok(journal) = cx.resource::<Journal>() {
            journal.push("work");
        }
        match self.mode {
            Mode::Succeed => Ok(()),
            Mode::Skip => skip!("nothing to do"),
            Mode::Fail => fail!("broken"),
        }
    }
    async fn rollback(&self, cx: &mut Cx) -> Result<(), BoxError> {
        cx.resource::<Journal>()?.push("rollback");
        Ok(())
    }
}

async fn fired(mode: Mode) -> Vec<String> {
    let journal = Journal::new();
    let capture = Capture::with(|b| b.resource(journal.clone()).hooks(Every(journal.clone())));
    let _ = capture.run(Act { mode }.execute()).await;
    journal.entries()
}

const BEFORE: [&str; 2] = ["before_execution", "before_validation"];

#[tokio::test]
async fn success_fires_complete_success_and_ok() {
    let expected = [
        &BEFORE[..],
        &[
            "work",
            "after_execution",
            "on_complete",
            "on_success",
            "on_ok",
        ],
    ]
    .concat();
    assert_eq!(fired(Mode::Succeed).await, expected);
}

#[tokio::test]
async fn skipped_fires_interrupted_skipped_ok_and_ko() {
    let expected = [
        &BEFORE[..],
        &[
            "work",
            "after_execution",
            "on_interrupted",
            "on_skipped",
            "on_ok",
            "on_ko",
        ],
    ]
    .concat();
    assert_eq!(fired(Mode::Skip).await, expected);
}

#[tokio::test]
async fn failed_fires_interrupted_failed_and_ko_after_the_rollback() {
    let expected = [
        &BEFORE[..],
        &[
            "work",
            "rollback",
            "after_execution",
            "on_interrupted",
            "on_failed",
            "on_ko",
        ],
    ]
    .concat();
    assert_eq!(fired(Mode::Fail).await, expected);
}

#[test]
fn the_outcome_hooks_match_the_status_table() {
    assert_eq!(
        Hook::for_status(Status::Success),
        [Hook::OnComplete, Hook::OnSuccess, Hook::OnOk]
    );
    assert_eq!(
        Hook::for_status(Status::Skipped),
        [Hook::OnInterrupted, Hook::OnSkipped, Hook::OnOk, Hook::OnKo]
    );
    assert_eq!(
        Hook::for_status(Status::Failed),
        [Hook::OnInterrupted, Hook::OnFailed, Hook::OnKo]
    );
}

/// Fails at one hook point, by error or by panic.
struct FailAt(Hook, bool);

impl FailAt {
    fn check(&self, cx: &HookCx<'_>) -> Result<(), Halt> {
        match (cx.hook() == self.0, self.1) {
            (false, _) => Ok(()),
            (true, false) => Err(Halt::fail("audit log unavailable")),
            (true, true) => panic!("hook bug"),
        }
    }
}

impl Hooks for FailAt {
    fn before_execution(&self, cx: &HookCx<'_>) -> Result<(), Halt> {
        self.check(cx)
    }
    fn on_success(&self, cx: &HookCx<'_>) -> Result<(), Halt> {
        self.check(cx)
    }
}

#[tokio::test]
async fn a_failing_outcome_hook_turns_success_into_failure_and_rolls_back() {
    let journal = Journal::new();
    let capture = Capture::with(|b| {
        b.resource(journal.clone())
            .hooks(FailAt(Hook::OnSuccess, false))
    });
    let outcome = capture
        .run(
            Act {
                mode: Mode::Succeed,
            }
            .execute(),
        )
        .await;
    assert!(outcome.is_failed());
    assert_eq!(
        outcome.reason(),
        Some("hook `on_success` of `Act` failed: audit log unavailable")
    );
    assert_eq!(outcome.code(), Some("hook_failed"));
    assert!(outcome.record().rolled_back);
    assert_eq!(journal.entries(), ["work", "rollback"]);
    assert_eq!(capture.lines().len(), 1);
}

#[tokio::test]
async fn a_failing_before_hook_stops_the_task_before_work() {
    let journal = Journal::new();
    let capture = Capture::with(|b| {
        b.resource(journal.clone())
            .hooks(FailAt(Hook::BeforeExecution, false))
            .hooks(Every(journal.clone()))
    });
    let outcome = capture
        .run(
            Act {
                mode: Mode::Succeed,
            }
            .execute(),
        )
        .await;
    assert!(outcome.is_failed());
    assert_eq!(journal.entries(), ["on_interrupted", "on_failed", "on_ko"]);
}

#[tokio::test]
async fn a_panicking_hook_fails_the_task_without_panicking_the_caller() {
    let capture = Capture::with(|b| b.hooks(FailAt(Hook::OnSuccess, true)));
    let outcome = capture
        .run(
            Act {
                mode: Mode::Succeed,
            }
            .execute(),
        )
        .await;
    assert!(outcome.is_failed());
    assert_eq!(
        outcome.reason(),
        Some("hook `on_success` of `Act` failed: panicked: hook bug")
    );
}

/// Task-level hooks see the task itself.
#[derive(Debug, Serialize, Deserialize, Validate)]
struct Audited {
    #[garde(skip)]
    order_id: i64,
}

struct AuditOrder(Journal);

impl Hooks for AuditOrder {
    fn on_success(&self, cx: &HookCx<'_>) -> Result<(), Halt> {
        let task = cx
            .task::<Audited>()
            .ok_or_else(|| Halt::fail("not an Audited"))?;
        self.0.push(format!("task hook: order {}", task.order_id));
        Ok(())
    }
}

struct Global(Journal);

impl Hooks for Global {
    fn on_success(&self, cx: &HookCx<'_>) -> Result<(), Halt> {
        self.0.push(format!("global hook: {}", cx.task_name()));
        Ok(())
    }
}

static AUDIT: std::sync::OnceLock<Journal> = std::sync::OnceLock::new();

impl Task for Audited {
    type Output = ();
    fn name() -> &'static str {
        "Audited"
    }
    fn settings() -> Settings {
        Settings::new().hooks(AuditOrder(AUDIT.get_or_init(Journal::new).clone()))
    }
    async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
        Ok(())
    }
}

#[tokio::test]
async fn runtime_hooks_run_before_task_hooks_and_task_hooks_see_the_task() {
    let journal = AUDIT.get_or_init(Journal::new).clone();
    let capture = Capture::with(|b| b.hooks(Global(journal.clone())));
    let outcome = capture.run(Audited { order_id: 204 }.execute()).await;
    assert!(outcome.is_success());
    assert_eq!(
        journal.entries(),
        ["global hook: Audited", "task hook: order 204"]
    );
}
