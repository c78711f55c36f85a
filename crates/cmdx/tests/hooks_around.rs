//! Around hooks (`around_execution`), hooks that skip or succeed, and
//! conditional hooks (`When`): the order they run in, what each halt does,
//! and that every broken hook still ends in one outcome and one line.

use cmdx::prelude::*;
use cmdx::{
    Around, BoxError, Hook, HookCx, Hooks, MemoryLedger, Plugin, Proceed, Proceeded, Runtime,
};
use serde_json::Value;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What ran, in order; shared by hooks and tasks.
#[derive(Clone, Default)]
struct Notes(Arc<Mutex<Vec<String>>>);

impl Notes {
    fn push(&self, note: impl Into<String>) {
        self.0.lock().unwrap().push(note.into());
    }
    fn all(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }
}

/// Notes every `Hooks` point it sees.
struct Every(Notes);

impl Every {
    fn note(&self, cx: &HookCx<'_>) -> Result<(), Halt> {
        self.0.push(cx.hook().as_str());
        Ok(())
    }
}

impl Hooks for Every {
    fn before_execution(&self, cx: &HookCx<'_>) -> Result<(), Halt> {
        self.note(cx)
    }
    fn before_validation(&self, cx: &HookCx<'_>) -> Result<(), Halt> {
        self.note(cx)
    }
    fn after_execution(&self, cx: &HookCx<'_>) -> Result<(), Halt> {
        self.note(cx)
    }
    fn on_complete(&self, cx: &HookCx<'_>) -> Result<(), Halt> {
        self.note(cx)
    }
    fn on_interrupted(&self, cx: &HookCx<'_>) -> Result<(), Halt> {
        self.note(cx)
    }
    fn on_success(&self, cx: &HookCx<'_>) -> Result<(), Halt> {
        self.note(cx)
    }
    fn on_skipped(&self, cx: &HookCx<'_>) -> Result<(), Halt> {
        self.note(cx)
    }
    fn on_failed(&self, cx: &HookCx<'_>) -> Result<(), Halt> {
        self.note(cx)
    }
    fn on_ok(&self, cx: &HookCx<'_>) -> Result<(), Halt> {
        self.note(cx)
    }
    fn on_ko(&self, cx: &HookCx<'_>) -> Result<(), Halt> {
        self.note(cx)
    }
}

/// What an around hook does besides running its continuation.
#[derive(Clone, Copy, PartialEq)]
enum Wrap {
    /// Notes `<name>:begin`, runs the continuation, notes `<name>:end <status> r<retries>`.
    Plain,
    /// Returns `Err(skip)` without running the continuation.
    Refuse,
    /// Panics before running the continuation.
    PanicBefore,
    /// Runs the continuation, then panics.
    PanicAfter,
    /// Runs the continuation, then skips.
    SkipAfter,
    /// Runs the continuation, then fails with its own code.
    FailAfter,
    /// Drops the continuation after 10 ms and fails.
    Abandon,
}

struct Wrapper(&'static str, Wrap, Notes);

impl Around for Wrapper {
    async fn around<'a>(&'a self, next: Proceed<'a>) -> Result<Proceeded<'a>, Halt> {
        let Wrapper(name, wrap, notes) = self;
        notes.push(format!("{name}:begin"));
        match wrap {
            Wrap::Refuse => skip!("not today"),
            Wrap::PanicBefore => panic!("around bug before"),
            Wrap::Abandon => {
                tokio::select! {
                    done = next.run() => return Ok(done),
                    () = tokio::time::sleep(Duration::from_millis(10)) => fail!("gave up waiting"),
                }
            }
            _ => {}
        }
        let done = next.run().await;
        notes.push(format!(
            "{name}:end {:?} r{}",
            done.status(),
            done.retries()
        ));
        match wrap {
            Wrap::PanicAfter => panic!("around bug after"),
            Wrap::SkipAfter => skip!("after all, no"),
            Wrap::FailAfter => Err(Halt::fail("ledger closed").code("books_closed")),
            _ => Ok(done),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
enum Mode {
    Succeed,
    /// Fails twice with a retried error, then succeeds.
    Flaky,
    Fail,
    /// Never finishes.
    Hang,
}

#[derive(Debug, Serialize, Deserialize, Validate)]
struct Act {
    #[garde(skip)]
    mode: Mode,
    #[garde(range(min = 0))]
    amount: i64,
}

fn act(mode: Mode) -> Act {
    Act { mode, amount: 1 }
}

#[derive(Debug)]
struct Flake;
impl std::fmt::Display for Flake {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("flake")
    }
}
impl std::error::Error for Flake {}

impl Task for Act {
    type Output = u32;
    fn name() -> &'static str {
        "Hooks::Act"
    }
    fn settings() -> Settings {
        Settings::new().retry(RetryPolicy::on::<Flake>().limit(3).delay(Duration::ZERO))
    }
    async fn work(&self, cx: &mut Cx) -> Result<u32, Halt> {
        let notes = cx.resource::<Notes>()?;
        notes.push(format!("work {}", cx.attempt()));
        match self.mode {
            Mode::Succeed => Ok(7),
            Mode::Flaky if cx.attempt() < 2 => Err(Flake.into()),
            Mode::Flaky => Ok(7),
            Mode::Fail => fail!("broken"),
            Mode::Hang => std::future::pending().await,
        }
    }
    async fn rollback(&self, cx: &mut Cx) -> Result<(), BoxError> {
        cx.resource::<Notes>()?.push("rollback");
        Ok(())
    }
}

/// A runtime writing to memory, with `notes` as a resource.
fn runtime(
    notes: &Notes,
    memory: &MemoryLedger,
    configure: impl FnOnce(cmdx::RuntimeBuilder) -> cmdx::RuntimeBuilder,
) -> Runtime {
    configure(
        Runtime::builder()
            .ledger(memory.clone())
            .resource(notes.clone()),
    )
    .build()
}

/// The only line written, which the test asserts is the only one.
fn only_line(memory: &MemoryLedger) -> Value {
    let values = memory.values();
    assert_eq!(values.len(), 1, "exactly one ledger line: {values:#?}");
    values.into_iter().next().unwrap()
}

#[tokio::test]
async fn around_wraps_every_retry_and_sits_between_before_and_after_hooks() {
    let (notes, memory) = (Notes::default(), MemoryLedger::new());
    let rt = runtime(&notes, &memory, |b| {
        b.hooks(Every(notes.clone()))
            .around(Wrapper("tx", Wrap::Plain, notes.clone()))
    });
    let outcome = rt.scope(act(Mode::Flaky).execute()).await;
    assert!(outcome.is_success(), "{outcome:?}");
    assert_eq!(outcome.value(), Some(&7));
    assert_eq!(outcome.retries(), 2);
    assert_eq!(
        notes.all(),
        [
            "before_execution",
            "before_validation",
            "tx:begin",
            "work 0",
            "work 1",
            "work 2",
            "tx:end Success r2",
            "after_execution",
            "on_complete",
            "on_success",
            "on_ok",
        ]
    );
    assert_eq!(only_line(&memory)["retries"], 2);
}

#[tokio::test]
async fn around_wraps_the_rollback_too() {
    let (notes, memory) = (Notes::default(), MemoryLedger::new());
    let rt = runtime(&notes, &memory, |b| {
        b.around(Wrapper("tx", Wrap::Plain, notes.clone()))
    });
    let outcome = rt.scope(act(Mode::Fail).execute()).await;
    assert!(outcome.is_failed());
    assert_eq!(outcome.reason(), Some("broken"));
    assert_eq!(
        notes.all(),
        ["tx:begin", "work 0", "rollback", "tx:end Failed r0"]
    );
    assert_eq!(only_line(&memory)["rolled_back"], true);
}

/// The task's own around hooks, for the nesting test.
#[derive(Debug, Serialize, Deserialize, Validate)]
struct Nested {}

static NESTED: std::sync::OnceLock<Notes> = std::sync::OnceLock::new();

impl Task for Nested {
    type Output = ();
    fn name() -> &'static str {
        "Hooks::Nested"
    }
    fn settings() -> Settings {
        let notes = NESTED.get_or_init(Notes::default).clone();
        Settings::new()
            .around(Wrapper("task1", Wrap::Plain, notes.clone()))
            .around(Wrapper("task2", Wrap::Plain, notes))
    }
    async fn work(&self, cx: &mut Cx) -> Result<(), Halt> {
        cx.resource::<Notes>()?.push("work");
        Ok(())
    }
}

#[tokio::test]
async fn arounds_nest_runtime_outside_task_first_registered_outermost() {
    let notes = NESTED.get_or_init(Notes::default).clone();
    let memory = MemoryLedger::new();
    let rt = runtime(&notes, &memory, |b| {
        b.around(Wrapper("rt1", Wrap::Plain, notes.clone()))
            .around(Wrapper("rt2", Wrap::Plain, notes.clone()))
    });
    let outcome = rt.scope(Nested {}.execute()).await;
    assert!(outcome.is_success());
    let begins: Vec<String> = notes
        .all()
        .into_iter()
        .map(|n| n.replace(" Success r0", ""))
        .collect();
    assert_eq!(
        begins,
        [
            "rt1:begin",
            "rt2:begin",
            "task1:begin",
            "task2:begin",
            "work",
            "task2:end",
            "task1:end",
            "rt2:end",
            "rt1:end",
        ]
    );
    only_line(&memory);
}

#[tokio::test]
async fn an_around_that_does_not_run_its_continuation_fails_without_running_work() {
    let (notes, memory) = (Notes::default(), MemoryLedger::new());
    let rt = runtime(&notes, &memory, |b| {
        b.hooks(Every(notes.clone()))
            .around(Wrapper("tx", Wrap::Refuse, notes.clone()))
    });
    let outcome = rt.scope(act(Mode::Succeed).execute()).await;
    assert!(outcome.is_failed());
    assert_eq!(outcome.code(), Some("around_not_continued"));
    assert_eq!(outcome.framework()["hook"], "around_execution");
    let reason = outcome.reason().unwrap();
    assert!(
        reason.starts_with(
            "hook `around_execution` of `Hooks::Act` returned without running its continuation (not today)"
        ),
        "{reason}"
    );
    assert!(reason.contains("exactly once"), "{reason}");
    assert!(
        !outcome.record().rolled_back,
        "work never ran: nothing to roll back"
    );
    assert_eq!(
        notes.all(),
        [
            "before_execution",
            "before_validation",
            "tx:begin",
            "after_execution",
            "on_interrupted",
            "on_failed",
            "on_ko",
        ]
    );
    assert_eq!(only_line(&memory)["code"], "around_not_continued");
}

#[tokio::test(start_paused = true)]
async fn an_around_that_drops_its_continuation_half_way_fails_and_rolls_back() {
    let (notes, memory) = (Notes::default(), MemoryLedger::new());
    let rt = runtime(&notes, &memory, |b| {
        b.around(Wrapper("tx", Wrap::Abandon, notes.clone()))
    });
    let outcome = rt.scope(act(Mode::Hang).execute()).await;
    assert!(outcome.is_failed());
    assert_eq!(outcome.code(), Some("around_not_continued"));
    assert!(outcome.reason().unwrap().contains("(gave up waiting)"));
    // `work` had started: the engine runs the rollback it was owed.
    assert!(outcome.record().rolled_back);
    assert_eq!(notes.all(), ["tx:begin", "work 0", "rollback"]);
    only_line(&memory);
}

#[tokio::test]
async fn an_around_panicking_before_its_continuation_fails_contained_with_one_line() {
    let (notes, memory) = (Notes::default(), MemoryLedger::new());
    let rt = runtime(&notes, &memory, |b| {
        b.around(Wrapper("tx", Wrap::PanicBefore, notes.clone()))
    });
    let outcome = rt.scope(act(Mode::Succeed).execute()).await;
    assert!(outcome.is_failed());
    assert_eq!(
        outcome.reason(),
        Some("hook `around_execution` of `Hooks::Act` failed: panicked: around bug before")
    );
    assert_eq!(outcome.code(), Some("hook_failed"));
    assert_eq!(notes.all(), ["tx:begin"], "work did not run");
    assert!(!outcome.record().rolled_back);
    assert_eq!(rt.contained_panics().get(Plugin::Hook), 1);
    only_line(&memory);
}

#[tokio::test]
async fn an_around_panicking_after_its_continuation_fails_keeps_retries_and_rolls_back() {
    let (notes, memory) = (Notes::default(), MemoryLedger::new());
    let rt = runtime(&notes, &memory, |b| {
        b.around(Wrapper("tx", Wrap::PanicAfter, notes.clone()))
    });
    let outcome = rt.scope(act(Mode::Flaky).execute()).await;
    assert!(outcome.is_failed());
    assert_eq!(outcome.value(), None);
    assert_eq!(
        outcome.reason(),
        Some("hook `around_execution` of `Hooks::Act` failed: panicked: around bug after")
    );
    assert_eq!(outcome.retries(), 2, "the retries that ran are kept");
    assert!(
        outcome.record().rolled_back,
        "a success turned failure is rolled back"
    );
    assert_eq!(
        notes.all(),
        [
            "tx:begin",
            "work 0",
            "work 1",
            "work 2",
            "tx:end Success r2",
            "rollback"
        ]
    );
    assert_eq!(rt.contained_panics().get(Plugin::Hook), 1);
    let line = only_line(&memory);
    assert_eq!(line["retries"], 2);
    assert_eq!(line["status"], "failed");
}

#[tokio::test]
async fn an_around_may_skip_or_fail_after_its_continuation() {
    let (notes, memory) = (Notes::default(), MemoryLedger::new());
    let rt = runtime(&notes, &memory, |b| {
        b.around(Wrapper("tx", Wrap::SkipAfter, notes.clone()))
    });
    let outcome = rt.scope(act(Mode::Succeed).execute()).await;
    assert!(outcome.is_skipped());
    assert_eq!(outcome.reason(), Some("after all, no"));
    assert_eq!(outcome.framework()["hook"], "around_execution");
    assert_eq!(outcome.value(), None, "a skipped outcome has no value");
    only_line(&memory);

    let (notes, memory) = (Notes::default(), MemoryLedger::new());
    let rt = runtime(&notes, &memory, |b| {
        b.around(Wrapper("tx", Wrap::FailAfter, notes.clone()))
    });
    let outcome = rt.scope(act(Mode::Succeed).execute()).await;
    assert!(outcome.is_failed());
    assert_eq!(
        outcome.reason(),
        Some("hook `around_execution` of `Hooks::Act` failed: ledger closed")
    );
    assert_eq!(
        outcome.code(),
        Some("books_closed"),
        "the halt's own code is kept"
    );
    assert!(outcome.record().rolled_back);
    only_line(&memory);
}

/// Halts at one point with one status.
struct HaltAt(Hook, Status);

impl HaltAt {
    fn check(&self, cx: &HookCx<'_>) -> Result<(), Halt> {
        if cx.hook() != self.0 {
            return Ok(());
        }
        match self.1 {
            Status::Skipped => skip!("closed for inventory", code = "inventory"),
            Status::Success => success!("already done", order = 204),
            Status::Failed => fail!("audit down"),
        }
    }
}

impl Hooks for HaltAt {
    fn before_execution(&self, cx: &HookCx<'_>) -> Result<(), Halt> {
        self.check(cx)
    }
    fn before_validation(&self, cx: &HookCx<'_>) -> Result<(), Halt> {
        self.check(cx)
    }
    fn after_execution(&self, cx: &HookCx<'_>) -> Result<(), Halt> {
        self.check(cx)
    }
    fn on_success(&self, cx: &HookCx<'_>) -> Result<(), Halt> {
        self.check(cx)
    }
}

#[tokio::test]
async fn a_before_hook_skip_skips_the_execution_without_work_or_around() {
    let (notes, memory) = (Notes::default(), MemoryLedger::new());
    let rt = runtime(&notes, &memory, |b| {
        b.hooks(HaltAt(Hook::BeforeExecution, Status::Skipped))
            .hooks(Every(notes.clone()))
            .around(Wrapper("tx", Wrap::Plain, notes.clone()))
    });
    let outcome = rt.scope(act(Mode::Succeed).execute()).await;
    assert!(outcome.is_skipped());
    assert_eq!(outcome.reason(), Some("closed for inventory"));
    assert_eq!(outcome.code(), Some("inventory"));
    assert_eq!(outcome.framework()["hook"], "before_execution");
    assert_eq!(outcome.value(), None);
    // The later hooks of that point, validation, around, work and
    // after_execution do not run; the outcome hooks fire for `skipped`.
    assert_eq!(
        notes.all(),
        ["on_interrupted", "on_skipped", "on_ok", "on_ko"]
    );
    let line = only_line(&memory);
    assert_eq!(line["status"], "skipped");
}

#[tokio::test]
async fn a_before_validation_success_succeeds_without_validating_or_working() {
    let (notes, memory) = (Notes::default(), MemoryLedger::new());
    let rt = runtime(&notes, &memory, |b| {
        b.hooks(HaltAt(Hook::BeforeValidation, Status::Success))
            .hooks(Every(notes.clone()))
    });
    // Invalid input: validation would fail it, had it run.
    let invalid = Act {
        mode: Mode::Succeed,
        amount: -5,
    };
    let outcome = rt.scope(invalid.execute()).await;
    assert!(outcome.is_success(), "{outcome:?}");
    assert_eq!(outcome.reason(), Some("already done"));
    assert_eq!(outcome.metadata()["order"], 204);
    assert_eq!(outcome.framework()["hook"], "before_validation");
    assert_eq!(outcome.value(), None, "work did not run: no value");
    assert_eq!(
        notes.all(),
        ["before_execution", "on_complete", "on_success", "on_ok"]
    );
    assert_eq!(only_line(&memory)["status"], "success");
}

#[tokio::test]
async fn a_before_hook_failure_keeps_its_code_or_gets_hook_failed() {
    let (notes, memory) = (Notes::default(), MemoryLedger::new());
    let rt = runtime(&notes, &memory, |b| {
        b.hooks(HaltAt(Hook::BeforeExecution, Status::Failed))
    });
    let outcome = rt.scope(act(Mode::Succeed).execute()).await;
    assert!(outcome.is_failed());
    assert_eq!(
        outcome.reason(),
        Some("hook `before_execution` of `Hooks::Act` failed: audit down")
    );
    assert_eq!(outcome.code(), Some("hook_failed"));
    assert!(notes.all().is_empty(), "work did not run");
    only_line(&memory);
}

#[tokio::test]
async fn after_hooks_cannot_skip_or_succeed_they_fail_saying_why() {
    for (hook, status, word) in [
        (Hook::AfterExecution, Status::Skipped, "skip"),
        (Hook::OnSuccess, Status::Skipped, "skip"),
        (Hook::AfterExecution, Status::Success, "success"),
    ] {
        let (notes, memory) = (Notes::default(), MemoryLedger::new());
        let rt = runtime(&notes, &memory, |b| b.hooks(HaltAt(hook, status)));
        let outcome = rt.scope(act(Mode::Succeed).execute()).await;
        assert!(outcome.is_failed(), "{hook} {status:?}");
        let reason = outcome.reason().unwrap();
        assert!(
            reason.starts_with(&format!(
                "hook `{hook}` of `Hooks::Act` failed: returned a {word} halt, but only"
            )),
            "{reason}"
        );
        assert_eq!(outcome.code(), Some("hook_failed"));
        assert_eq!(outcome.framework()["hook"], hook.as_str());
        assert!(
            outcome.record().rolled_back,
            "work ran and succeeded: rolled back"
        );
        assert_eq!(outcome.value(), None);
        only_line(&memory);
    }
}

#[test]
fn only_the_points_before_the_outcome_may_skip_or_succeed() {
    let may: Vec<Hook> = [
        Hook::BeforeExecution,
        Hook::BeforeValidation,
        Hook::AroundExecution,
        Hook::AfterExecution,
        Hook::OnComplete,
        Hook::OnInterrupted,
        Hook::OnSuccess,
        Hook::OnSkipped,
        Hook::OnFailed,
        Hook::OnOk,
        Hook::OnKo,
    ]
    .into_iter()
    .filter(|hook| hook.may_skip_or_succeed())
    .collect();
    assert_eq!(
        may,
        [
            Hook::BeforeExecution,
            Hook::BeforeValidation,
            Hook::AroundExecution
        ]
    );
    assert_eq!(Hook::AroundExecution.to_string(), "around_execution");
}

/// A second task, to tell conditions apart by name.
#[derive(Debug, Serialize, Deserialize, Validate)]
struct Other {}

impl Task for Other {
    type Output = ();
    fn name() -> &'static str {
        "Other::Thing"
    }
    async fn work(&self, cx: &mut Cx) -> Result<(), Halt> {
        cx.resource::<Notes>()?.push("other work");
        Ok(())
    }
}

#[tokio::test]
async fn conditional_hooks_apply_only_where_the_condition_holds() {
    let (notes, memory) = (Notes::default(), MemoryLedger::new());
    let rt = runtime(&notes, &memory, |b| {
        b.hooks(Every(notes.clone()).when(|cx| cx.task_name().starts_with("Hooks::")))
            // A condition over the task's input.
            .hooks(
                HaltAt(Hook::BeforeExecution, Status::Skipped)
                    .when(|cx| cx.task::<Act>().is_some_and(|act| act.amount > 100)),
            )
            .around(
                Wrapper("tx", Wrap::Plain, notes.clone())
                    .when(|cx| cx.task_name() == "Other::Thing"),
            )
    });
    rt.scope(async {
        assert!(act(Mode::Succeed).execute().await.is_success());
        assert!(Other {}.execute().await.is_success());
        let big = Act {
            mode: Mode::Succeed,
            amount: 500,
        };
        assert!(big.execute().await.is_skipped());
    })
    .await;
    assert_eq!(
        notes.all(),
        [
            // Act: every hook, no around.
            "before_execution",
            "before_validation",
            "work 0",
            "after_execution",
            "on_complete",
            "on_success",
            "on_ok",
            // Other: the around, no hooks.
            "tx:begin",
            "other work",
            "tx:end Success r0",
            // The big Act: `Every` (registered first) notes the point, the
            // conditional hook skips: no validation, no work.
            "before_execution",
            "on_interrupted",
            "on_skipped",
            "on_ok",
            "on_ko",
        ]
    );
    assert_eq!(memory.len(), 3);
}

#[tokio::test]
async fn a_panicking_condition_fails_the_execution_contained_with_one_line() {
    let (notes, memory) = (Notes::default(), MemoryLedger::new());
    let rt = runtime(&notes, &memory, |b| {
        b.hooks(Every(notes.clone()).when(|cx| {
            assert!(cx.hook() != Hook::OnSuccess, "condition bug");
            true
        }))
    });
    let outcome = rt.scope(act(Mode::Succeed).execute()).await;
    assert!(outcome.is_failed());
    let reason = outcome.reason().unwrap();
    assert!(
        reason.starts_with("hook `on_success` of `Hooks::Act` failed: panicked: condition bug"),
        "{reason}"
    );
    assert_eq!(rt.contained_panics().get(Plugin::Hook), 1);
    only_line(&memory);

    // An around's condition that panics is the around's panic.
    let (notes, memory) = (Notes::default(), MemoryLedger::new());
    let rt = runtime(&notes, &memory, |b| {
        b.around(Wrapper("tx", Wrap::Plain, notes.clone()).when(|_| panic!("around condition bug")))
    });
    let outcome = rt.scope(act(Mode::Succeed).execute()).await;
    assert!(outcome.is_failed());
    assert_eq!(
        outcome.reason(),
        Some("hook `around_execution` of `Hooks::Act` failed: panicked: around condition bug")
    );
    assert!(notes.all().is_empty(), "neither the around nor work ran");
    assert_eq!(rt.contained_panics().get(Plugin::Hook), 1);
    only_line(&memory);
}

#[tokio::test]
async fn an_around_reads_and_writes_the_context_work_sees() {
    struct Tenant;
    impl Around for Tenant {
        async fn around<'a>(&'a self, mut next: Proceed<'a>) -> Result<Proceeded<'a>, Halt> {
            assert_eq!(next.task_name(), "Hooks::Ctx");
            assert!(next.task::<Ctx>().is_some());
            next.cx_mut().context_mut().insert("tenant", "acme");
            let done = next.run().await;
            assert_eq!(
                done.cx().context().get::<String>("seen").as_deref(),
                Some("acme")
            );
            Ok(done)
        }
    }
    #[derive(Debug, Serialize, Deserialize, Validate)]
    struct Ctx {}
    impl Task for Ctx {
        type Output = String;
        fn name() -> &'static str {
            "Hooks::Ctx"
        }
        async fn work(&self, cx: &mut Cx) -> Result<String, Halt> {
            let tenant: String = cx.context().get("tenant").unwrap_or_default();
            cx.context_mut().insert("seen", tenant.clone());
            Ok(tenant)
        }
    }
    let (notes, memory) = (Notes::default(), MemoryLedger::new());
    let rt = runtime(&notes, &memory, |b| b.around(Tenant));
    let outcome = rt.scope(Ctx {}.execute()).await;
    assert_eq!(outcome.value().map(String::as_str), Some("acme"));
    only_line(&memory);
}
