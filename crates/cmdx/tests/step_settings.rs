//! A task's settings hold wherever it runs: each test runs one task alone
//! and as a workflow step (sequential and parallel) and expects the same.
//! Workflows take no retry and no time limit from the runtime's task
//! defaults. On tokio's paused clock: nothing really sleeps.

use cmdx::middleware::{Call, Done, Middleware, Next};
use cmdx::prelude::*;
use cmdx::{Deprecation, Group, HookCx, Hooks, LedgerLevel, RetryPolicy, Workflow};
use cmdx_test::{Capture, Journal, context};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use std::time::Duration;

/// Where a task runs in these tests.
#[derive(Debug, Clone, Copy)]
enum Place {
    Alone,
    Step,
    ParallelStep,
}

const PLACES: [Place; 3] = [Place::Alone, Place::Step, Place::ParallelStep];

/// Runs `T` from `input` at `place`, under a capture holding a journal;
/// returns the task's own outcome status (from its line or record).
async fn run<T>(place: Place, input: Value) -> (Capture, Journal)
where
    T: Task + DeserializeOwned,
    T::Output: Serialize,
{
    let (capture, journal) = Capture::with_journal();
    match place {
        Place::Alone => {
            let _ = capture.run(T::execute_json(input)).await;
        }
        Place::Step => {
            let workflow = Workflow::new("W").step::<T>();
            let _ = capture.run(workflow.execute(context(input))).await;
        }
        Place::ParallelStep => {
            let workflow = Workflow::new("W").group(Group::new().task::<T>().parallel(2));
            let _ = capture.run(workflow.execute(context(input))).await;
        }
    }
    (capture, journal)
}

#[derive(Debug, Serialize, Deserialize, Validate)]
struct Sleepy {}

impl Task for Sleepy {
    type Output = ();
    fn name() -> &'static str {
        "Sleepy"
    }
    fn settings() -> Settings {
        Settings::new().timeout(Duration::from_millis(200))
    }
    async fn work(&self, cx: &mut Cx) -> Result<(), Halt> {
        tokio::time::sleep(Duration::from_secs(3)).await;
        cx.resource::<Journal>()?.push("slept");
        Ok(())
    }
}

#[tokio::test(start_paused = true)]
async fn a_timeout_fires_alone_and_as_a_step() {
    for place in PLACES {
        let start = tokio::time::Instant::now();
        let (capture, journal) = run::<Sleepy>(place, json!({})).await;
        let line = &capture.lines_for_task("Sleepy")[0];
        assert_eq!(line["reason"], "timed out after 200ms", "{place:?}");
        assert_eq!(journal.count("slept"), 0, "{place:?}");
        assert!(start.elapsed() < Duration::from_secs(1), "{place:?}");
    }
}

#[derive(Debug, Serialize, Deserialize, Validate)]
struct Upload {
    #[garde(skip)]
    name: String,
    #[garde(skip)]
    payload: String,
}

impl Task for Upload {
    type Output = ();
    fn name() -> &'static str {
        "Upload"
    }
    fn settings() -> Settings {
        Settings::new().exclude_input(["payload"])
    }
    async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
        Ok(())
    }
}

#[tokio::test]
async fn excluded_inputs_are_left_out_alone_and_as_a_step() {
    for place in PLACES {
        let (capture, _) = run::<Upload>(place, json!({"name": "a", "payload": "big"})).await;
        for line in capture.values() {
            assert!(line["input"].get("payload").is_none(), "{place:?}: {line}");
        }
        assert_eq!(capture.lines_for_task("Upload")[0]["input"]["name"], "a");
    }
}

#[derive(Debug, Serialize, Deserialize, Validate)]
struct Quiet {}

impl Task for Quiet {
    type Output = ();
    fn name() -> &'static str {
        "Quiet"
    }
    fn settings() -> Settings {
        Settings::new().ledger(LedgerLevel::Failed)
    }
    async fn work(&self, cx: &mut Cx) -> Result<(), Halt> {
        cx.resource::<Journal>()?.push("worked");
        Ok(())
    }
}

#[tokio::test]
async fn a_ledger_level_holds_alone_and_as_a_step() {
    for place in PLACES {
        let (capture, journal) = run::<Quiet>(place, json!({})).await;
        assert_eq!(journal.count("worked"), 1, "{place:?}");
        assert!(capture.lines_for_task("Quiet").is_empty(), "{place:?}");
    }
}

/// An authorization gate: refuses every execution.
struct Gate;

impl Middleware for Gate {
    async fn call(&self, _: Call, _: Next) -> Result<Done, Halt> {
        Err(Halt::fail("not authorized").code("forbidden"))
    }
}

#[derive(Debug, Serialize, Deserialize, Validate)]
struct Guarded {}

impl Task for Guarded {
    type Output = ();
    fn name() -> &'static str {
        "Guarded"
    }
    fn settings() -> Settings {
        Settings::new().layer(Gate)
    }
    async fn work(&self, cx: &mut Cx) -> Result<(), Halt> {
        cx.resource::<Journal>()?.push("worked");
        Ok(())
    }
}

#[tokio::test]
async fn a_refusing_middleware_refuses_alone_and_as_a_step() {
    for place in PLACES {
        let (capture, journal) = run::<Guarded>(place, json!({})).await;
        assert_eq!(journal.count("worked"), 0, "{place:?}: the work never runs");
        let line = &capture.lines_for_task("Guarded")[0];
        assert_eq!(line["code"], "forbidden", "{place:?}");
    }
}

struct NoteStart;

impl Hooks for NoteStart {
    fn before_execution(&self, cx: &HookCx<'_>) -> Result<(), Halt> {
        cx.cx().resource::<Journal>()?.push("before");
        Ok(())
    }
}

#[derive(Debug, Serialize, Deserialize, Validate)]
struct Hooked {}

impl Task for Hooked {
    type Output = ();
    fn name() -> &'static str {
        "Hooked"
    }
    fn settings() -> Settings {
        Settings::new().hooks(NoteStart)
    }
    async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
        Ok(())
    }
}

#[tokio::test]
async fn hooks_fire_alone_and_as_a_step() {
    for place in PLACES {
        let (_, journal) = run::<Hooked>(place, json!({})).await;
        assert_eq!(journal.count("before"), 1, "{place:?}");
    }
}

#[derive(Debug, Serialize, Deserialize, Validate)]
struct Retired {}

impl Task for Retired {
    type Output = ();
    fn name() -> &'static str {
        "Retired"
    }
    fn settings() -> Settings {
        Settings::new().deprecated(Deprecation::fail("use Current"))
    }
    async fn work(&self, cx: &mut Cx) -> Result<(), Halt> {
        cx.resource::<Journal>()?.push("worked");
        Ok(())
    }
}

#[tokio::test]
async fn a_deprecated_task_refuses_alone_and_as_a_step() {
    for place in PLACES {
        let (capture, journal) = run::<Retired>(place, json!({})).await;
        assert_eq!(journal.count("worked"), 0, "{place:?}");
        assert_eq!(capture.lines_for_task("Retired")[0]["code"], "deprecated");
    }
}

#[derive(Debug, Serialize, Deserialize, Validate)]
struct Flaky {}

impl Task for Flaky {
    type Output = ();
    fn name() -> &'static str {
        "Flaky"
    }
    fn settings() -> Settings {
        Settings::new().retry(RetryPolicy::any_failure().limit(2))
    }
    async fn work(&self, cx: &mut Cx) -> Result<(), Halt> {
        cx.resource::<Journal>()?.push("attempt");
        fail!("down")
    }
}

#[tokio::test(start_paused = true)]
async fn retries_hold_alone_and_as_a_step() {
    for place in PLACES {
        let (capture, journal) = run::<Flaky>(place, json!({})).await;
        assert_eq!(journal.count("attempt"), 3, "{place:?}");
        assert_eq!(
            capture.lines_for_task("Flaky")[0]["retries"],
            2,
            "{place:?}"
        );
    }
}

#[derive(Debug, Serialize, Deserialize, Validate)]
struct Once {}

impl Task for Once {
    type Output = ();
    fn name() -> &'static str {
        "Once"
    }
    async fn work(&self, cx: &mut Cx) -> Result<(), Halt> {
        cx.resource::<Journal>()?.push("once");
        Ok(())
    }
}

#[derive(Debug, Serialize, Deserialize, Validate)]
struct Broken {}

impl Task for Broken {
    type Output = ();
    fn name() -> &'static str {
        "Broken"
    }
    async fn work(&self, cx: &mut Cx) -> Result<(), Halt> {
        cx.resource::<Journal>()?.push("broken");
        fail!("broken")
    }
}

#[tokio::test(start_paused = true)]
async fn a_runtime_retry_policy_retries_steps_but_never_the_whole_workflow() {
    let journal = Journal::new();
    let capture = Capture::with(|b| {
        b.resource(journal.clone())
            .retry(RetryPolicy::any_failure().limit(2))
    });
    let workflow = Workflow::new("W").step::<Once>().step::<Broken>();
    let outcome = capture.run(workflow.execute(Context::new())).await;
    assert!(outcome.is_failed());
    assert_eq!(outcome.retries(), 0, "the workflow itself is not retried");
    assert_eq!(
        journal.count("once"),
        1,
        "the completed step is not run again"
    );
    assert_eq!(
        journal.count("broken"),
        3,
        "the failing step takes the runtime's policy"
    );
    assert_eq!(
        capture.lines_of_kind("rollback").len(),
        1,
        "compensated once"
    );
}

#[derive(Debug, Serialize, Deserialize, Validate)]
struct Nap {}

impl Task for Nap {
    type Output = ();
    fn name() -> &'static str {
        "Nap"
    }
    async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
        tokio::time::sleep(Duration::from_millis(600)).await;
        Ok(())
    }
}

#[tokio::test(start_paused = true)]
async fn a_runtime_time_limit_applies_to_each_step_not_to_the_workflow() {
    let capture = Capture::with(|b| b.timeout(Duration::from_secs(1)));
    let workflow = Workflow::new("W").step::<Nap>().step::<Nap>().step::<Nap>();
    let outcome = capture.run(workflow.execute(Context::new())).await;
    assert!(
        outcome.is_success(),
        "three steps of 600 ms each fit: {outcome:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_workflow_gets_a_retry_policy_and_a_time_limit_when_it_asks() {
    let (capture, journal) = Capture::with_journal();
    let retried = Workflow::new("Retried")
        .step::<Broken>()
        .settings(Settings::new().retry(RetryPolicy::any_failure().limit(1)));
    let outcome = capture.run(retried.execute(Context::new())).await;
    assert_eq!((outcome.retries(), journal.count("broken")), (1, 2));
    let limited = Workflow::new("Limited")
        .step::<Nap>()
        .step::<Nap>()
        .settings(Settings::new().timeout(Duration::from_secs(1)));
    let outcome = capture.run(limited.execute(Context::new())).await;
    assert_eq!(outcome.reason(), Some("timed out after 1s"));
}

#[tokio::test]
async fn a_condition_skipped_step_honours_its_tasks_exclusions_and_ledger_level() {
    let (capture, _) = Capture::with_journal();
    let never = |_: &Context| false;
    let workflow = Workflow::new("W")
        .group(Group::new().task::<Upload>().when(never))
        .group(Group::new().task::<Quiet>().when(never));
    let input = context(json!({"name": "a", "payload": "big"}));
    let outcome = capture.run(workflow.execute(input)).await;
    assert!(outcome.is_success());
    let upload = &capture.lines_for_task("Upload")[0];
    assert_eq!(upload["status"], "skipped");
    assert_eq!(upload["input"], json!({"name": "a"}));
    assert!(
        capture.lines_for_task("Quiet").is_empty(),
        "a skip is below `failed`"
    );
}
