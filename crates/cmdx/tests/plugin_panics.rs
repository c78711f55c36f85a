//! Plug-ins cannot break the contract (invariant 11): a panic in a sink, a
//! trace bridge, a hook, a middleware, a subscriber, a task's settings or
//! name, a `Serialize` impl, a workflow condition or merge, or a retry
//! policy never reaches the caller of `execute()`. Each execution still
//! ends with exactly one line, and the panic is reported: counted per
//! runtime, announced to subscribers, and noticed once on stderr.

use cmdx::middleware::{self, Call, Done, Middleware, Next};
use cmdx::prelude::*;
use cmdx::{BoxError, Condition, HookCx, Hooks, Merge, Plugin, Record, Runtime, RuntimeBuilder};
use cmdx_test::{
    BridgeCall, Capture, Journal, PanicEvents, PanickingBridge, PanickingSink, Probe, context,
};
use serde_json::json;
use std::future::Future;
use std::pin::pin;
use std::task::{Context as TaskContext, Waker};
use std::time::Duration;

#[derive(Debug, Serialize, Deserialize, Validate)]
struct Ping {}

impl Task for Ping {
    type Output = ();
    async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
        Ok(())
    }
}

#[derive(Debug, Serialize, Deserialize, Validate)]
struct Pong {}

impl Task for Pong {
    type Output = ();
    async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
        Ok(())
    }
}

/// Never finishes: its callers drop it.
#[derive(Debug, Serialize, Deserialize, Validate)]
struct Stuck {}

impl Task for Stuck {
    type Output = ();
    async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
        std::future::pending().await
    }
}

fn ping_pong() -> Workflow {
    Workflow::new("PingPong").step::<Ping>().step::<Pong>()
}

/// How every kind of execution ended, as its caller saw it.
#[derive(Debug)]
struct Ended {
    typed: Record,
    untyped: Record,
    workflow: Record,
    /// Whether the dropped execution's caller got control back.
    dropped: bool,
}

/// Runs one execution of each kind under `capture`: a typed task, an
/// untyped one, a two-step workflow, and a task whose future is dropped
/// (cancelled). Six lines when every execution writes one.
async fn every_kind_of_execution(capture: &Capture) -> Ended {
    capture
        .run(async {
            let typed = Ping {}.execute().await.record().clone();
            let untyped = Ping::execute_json(json!({})).await.record().clone();
            let workflow = ping_pong().execute(Context::new()).await.record().clone();
            let dropped = tokio::time::timeout(Duration::from_millis(10), Stuck {}.execute()).await;
            Ended {
                typed,
                untyped,
                workflow,
                dropped: dropped.is_err(),
            }
        })
        .await
}

fn with_events(panics: &PanicEvents) -> impl FnOnce(RuntimeBuilder) -> RuntimeBuilder {
    let subscriber = panics.subscriber();
    move |builder| builder.subscribe(subscriber)
}

fn statuses(ended: &Ended) -> [Status; 3] {
    [
        ended.typed.status,
        ended.untyped.status,
        ended.workflow.status,
    ]
}

#[tokio::test(start_paused = true)]
async fn a_panicking_ledger_sink_never_reaches_the_caller_of_any_kind_of_execution() {
    let panics = PanicEvents::new();
    let capture = Capture::with_sink(PanickingSink::always(), with_events(&panics));

    let ended = every_kind_of_execution(&capture).await;

    assert_eq!(statuses(&ended), [Status::Success; 3]);
    assert!(ended.dropped);
    capture.assert_one_line_per_execution();
    assert_eq!(capture.lines().len(), 6);
    assert_eq!(capture.lines_for_task("Stuck")[0]["reason"], "cancelled");
    let counted = capture.runtime().contained_panics();
    assert_eq!(counted.get(Plugin::LedgerSink), 6);
    assert_eq!(counted.total(), 6);
    let reported = panics.of(Plugin::LedgerSink);
    assert_eq!(reported.len(), 6);
    assert!(reported.iter().all(|r| r.message == "sink bug"));
}

#[tokio::test(start_paused = true)]
async fn a_sink_panicking_for_one_task_leaves_the_other_lines_and_the_chain_intact() {
    let sink = PanickingSink::when(|record| record.task == "Ping");
    let capture = Capture::with_sink(sink, |b| b);

    let outcome = capture.run(ping_pong().execute(Context::new())).await;

    assert!(outcome.is_success());
    assert_eq!(
        capture.summary(),
        [
            ("task".into(), "Ping".into(), "success".into()),
            ("task".into(), "Pong".into(), "success".into()),
            ("workflow".into(), "PingPong".into(), "success".into()),
        ]
    );
    assert_eq!(capture.parent_indexes(outcome.record().cid).len(), 3);
    assert_eq!(
        capture.runtime().contained_panics().get(Plugin::LedgerSink),
        1
    );
}

#[tokio::test(start_paused = true)]
async fn a_trace_bridge_panicking_in_finish_keeps_every_outcome_and_the_trace_ids() {
    let panics = PanicEvents::new();
    let capture = Capture::with(|b| {
        with_events(&panics)(b).trace_bridge(PanickingBridge::panics_in(BridgeCall::Finish))
    });

    let ended = every_kind_of_execution(&capture).await;

    assert_eq!(statuses(&ended), [Status::Success; 3]);
    assert!(ended.dropped);
    capture.assert_one_line_per_execution();
    assert_eq!(capture.lines().len(), 6);
    for line in capture.values() {
        assert_eq!(line["trace_id"], PanickingBridge::TRACE_ID);
    }
    assert_eq!(
        capture
            .runtime()
            .contained_panics()
            .get(Plugin::TraceBridge),
        6
    );
    assert_eq!(panics.of(Plugin::TraceBridge).len(), 6);
}

#[tokio::test(start_paused = true)]
async fn a_trace_bridge_panicking_for_trace_ids_leaves_the_ids_null() {
    let panics = PanicEvents::new();
    let capture = Capture::with(|b| {
        with_events(&panics)(b).trace_bridge(PanickingBridge::panics_in(BridgeCall::TraceIds))
    });

    let ended = every_kind_of_execution(&capture).await;

    assert_eq!(statuses(&ended), [Status::Success; 3]);
    assert!(ended.dropped);
    assert_eq!(ended.typed.trace_id, None);
    capture.assert_one_line_per_execution();
    for line in capture.values() {
        assert!(line["trace_id"].is_null() && line["span_id"].is_null());
    }
    assert_eq!(panics.of(Plugin::TraceBridge).len(), 6);
}

#[tokio::test]
async fn a_trace_bridge_panicking_in_link_still_compensates_and_keeps_the_failure() {
    let (panics, journal) = (PanicEvents::new(), Journal::new());
    let capture = Capture::with(|b| {
        with_events(&panics)(b)
            .resource(journal.clone())
            .trace_bridge(PanickingBridge::panics_in(BridgeCall::Link))
    });
    let workflow = Workflow::new("Checkout")
        .step::<Probe<'A'>>()
        .step::<Probe<'B'>>();

    let plan = json!({"plan": {"B": {"fail": "card declined"}}});
    let outcome = capture.run(workflow.execute(context(plan))).await;

    assert_eq!(outcome.reason(), Some("card declined"));
    assert_eq!(journal.count("A rollback compensating"), 1);
    let rollbacks = capture.lines_of_kind("rollback");
    assert_eq!(rollbacks.len(), 1);
    assert_eq!(rollbacks[0]["status"], "success");
    let linked = panics.of(Plugin::TraceBridge);
    assert_eq!(linked.len(), 1);
    assert_eq!(linked[0].tid.to_string(), rollbacks[0]["tid"]);
}

#[tokio::test]
async fn an_execution_dropped_while_its_caller_unwinds_writes_its_line_despite_a_panicking_sink_and_bridge()
 {
    // A panic escaping `Pending`'s drop during unwinding aborts the
    // process: this test would take the whole test binary down.
    let capture = Capture::with_sink(PanickingSink::always(), |b| {
        b.trace_bridge(PanickingBridge::panics_in(BridgeCall::Finish))
    });
    let runtime = capture.runtime().clone();

    let unwound = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
        let mut execution = pin!(runtime.scope(Stuck {}.execute()));
        let mut cx = TaskContext::from_waker(Waker::noop());
        assert!(execution.as_mut().poll(&mut cx).is_pending());
        panic!("the caller panicked");
    }));

    assert!(unwound.is_err());
    let lines = capture.lines_for_task("Stuck");
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["reason"], "cancelled");
    let counted = capture.runtime().contained_panics();
    assert_eq!(counted.get(Plugin::LedgerSink), 1);
    assert_eq!(counted.get(Plugin::TraceBridge), 1);
}

/// Panics in `on_success`.
struct BrokenHook;

impl Hooks for BrokenHook {
    fn on_success(&self, _: &HookCx<'_>) -> Result<(), BoxError> {
        panic!("hook bug")
    }
}

#[tokio::test(start_paused = true)]
async fn a_panicking_hook_fails_the_outcome_as_documented_and_is_reported() {
    let panics = PanicEvents::new();
    let capture = Capture::with(|b| with_events(&panics)(b).hooks(BrokenHook));

    let ended = every_kind_of_execution(&capture).await;

    assert_eq!(statuses(&ended), [Status::Failed; 3]);
    assert_eq!(
        ended.typed.reason.as_deref(),
        Some("hook `on_success` of `Ping` failed: panicked: hook bug")
    );
    assert_eq!(ended.workflow.reason, ended.typed.reason);
    capture.assert_one_line_per_execution();
    // Typed, untyped, and the workflow's first step: the workflow halted
    // there, and its own failure fires `on_failed`, not `on_success`.
    let reported = panics.of(Plugin::Hook);
    assert_eq!(reported.len(), 3);
    assert!(reported.iter().all(|r| r.task == "Ping"));
    assert_eq!(capture.runtime().contained_panics().get(Plugin::Hook), 3);
}

/// Panics before calling `next`.
struct BrokenLayer;

impl Middleware for BrokenLayer {
    async fn call(&self, _: Call<'_>, _: Next<'_>) -> Result<Done, Halt> {
        panic!("middleware bug")
    }
}

#[tokio::test(start_paused = true)]
async fn a_panicking_middleware_fails_the_execution_naming_the_middleware_and_is_reported() {
    let panics = PanicEvents::new();
    let capture = Capture::with(|b| with_events(&panics)(b).layer(BrokenLayer));

    let ended = every_kind_of_execution(&capture).await;

    assert_eq!(statuses(&ended), [Status::Failed; 3]);
    for record in [&ended.typed, &ended.untyped, &ended.workflow] {
        assert_eq!(
            record.reason.as_deref(),
            Some("middleware panicked: middleware bug")
        );
        assert_eq!(record.metadata["code"], "middleware_panicked");
    }
    // The "dropped" task's middleware panicked before it could hang.
    assert!(!ended.dropped);
    capture.assert_one_line_per_execution();
    // Typed, untyped, the workflow (which fails before any step), and the
    // would-be dropped task.
    assert_eq!(panics.of(Plugin::Middleware).len(), 4);
    assert_eq!(
        capture.runtime().contained_panics().get(Plugin::Middleware),
        4
    );
}

#[tokio::test]
async fn a_panicking_correlation_closure_is_a_panicking_middleware() {
    let capture = Capture::with(|b| {
        b.layer(middleware::Correlation::new(
            |_: &Call<'_>| -> Option<String> { panic!("no request id") },
        ))
    });

    let outcome = capture.run(Ping {}.execute()).await;

    assert_eq!(outcome.reason(), Some("middleware panicked: no request id"));
    assert_eq!(
        capture.runtime().contained_panics().get(Plugin::Middleware),
        1
    );
}

#[tokio::test(start_paused = true)]
async fn a_panicking_subscriber_is_counted_but_announces_nothing() {
    let panics = PanicEvents::new();
    let capture = Capture::with(|b| {
        b.subscribe(|_: &cmdx::Event<'_>| panic!("subscriber bug"))
            .subscribe(panics.subscriber())
    });

    let ended = every_kind_of_execution(&capture).await;

    assert_eq!(statuses(&ended), [Status::Success; 3]);
    assert!(ended.dropped);
    capture.assert_one_line_per_execution();
    assert_eq!(capture.lines().len(), 6);
    assert!(panics.all().is_empty());
    // `started` and `executed` of each of the six executions.
    assert_eq!(
        capture.runtime().contained_panics().get(Plugin::Subscriber),
        12
    );
}

/// Its settings panic.
#[derive(Debug, Serialize, Deserialize, Validate)]
struct Misconfigured {}

impl Task for Misconfigured {
    type Output = ();
    fn settings() -> Settings {
        panic!("settings bug")
    }
    async fn work(&self, cx: &mut Cx) -> Result<(), Halt> {
        cx.resource::<Journal>()?.push("work");
        Ok(())
    }
}

#[tokio::test]
async fn a_task_whose_settings_panic_fails_with_one_line_and_never_runs() {
    let (panics, journal) = (PanicEvents::new(), Journal::new());
    let capture = Capture::with(|b| with_events(&panics)(b).resource(journal.clone()));

    let (typed, untyped) = capture
        .run(async {
            let typed = Misconfigured {}.execute().await;
            (typed, Misconfigured::execute_json(json!({})).await)
        })
        .await;

    for outcome in [&typed, &untyped] {
        assert_eq!(
            outcome.reason(),
            Some("settings of `Misconfigured` panicked: settings bug")
        );
        assert_eq!(outcome.metadata()["code"], "settings_panicked");
        assert_eq!(outcome.cause(), Some("panicked: settings bug"));
    }
    assert!(journal.entries().is_empty());
    capture.assert_one_line_per_execution();
    assert_eq!(capture.lines_for_task("Misconfigured").len(), 2);
    assert_eq!(panics.of(Plugin::Settings).len(), 2);
}

/// Its name panics.
#[derive(Debug, Serialize, Deserialize, Validate)]
struct Nameless {}

impl Task for Nameless {
    type Output = ();
    fn name() -> &'static str {
        panic!("name bug")
    }
    async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
        Ok(())
    }
}

#[tokio::test]
async fn a_task_whose_name_panics_runs_under_its_type_name() {
    let panics = PanicEvents::new();
    let capture = Capture::with(with_events(&panics));

    let outcome = capture.run(Nameless {}.execute()).await;

    assert!(outcome.is_success());
    assert_eq!(outcome.record().task, "Nameless");
    assert_eq!(capture.lines_for_task("Nameless").len(), 1);
    let reported = panics.of(Plugin::TaskName);
    assert_eq!(reported.len(), 1);
    assert_eq!(reported[0].tid, outcome.record().tid);
}

/// A value whose `Serialize` impl panics.
#[derive(Debug, Deserialize)]
struct Unserializable;

impl Serialize for Unserializable {
    fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
        panic!("serialize bug")
    }
}

#[derive(Debug, Serialize, Deserialize, Validate)]
struct Opaque {
    #[garde(skip)]
    blob: Unserializable,
}

impl Task for Opaque {
    type Output = ();
    async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
        Ok(())
    }
}

#[tokio::test]
async fn a_task_whose_input_panics_when_serialized_keeps_its_outcome_with_a_null_input() {
    let panics = PanicEvents::new();
    let seen = Journal::new();
    let reader = seen.clone();
    let capture = Capture::with(|b| {
        with_events(&panics)(b).layer(middleware::from_fn(move |call, next| {
            reader.push(call.input().to_string());
            Box::pin(async move { Ok(next.run(call).await) })
        }))
    });

    let outcome = capture
        .run(
            Opaque {
                blob: Unserializable,
            }
            .execute(),
        )
        .await;

    assert!(outcome.is_success());
    assert!(capture.values()[0]["input"].is_null());
    assert_eq!(seen.entries(), ["null"]);
    // Once for the line, once for the middleware's `call.input()`.
    assert_eq!(panics.of(Plugin::Serialize).len(), 2);
}

/// Succeeds with an output whose `Serialize` impl panics.
#[derive(Debug, Serialize, Deserialize, Validate)]
struct Producer {}

impl Task for Producer {
    type Output = Unserializable;
    async fn work(&self, _: &mut Cx) -> Result<Unserializable, Halt> {
        Ok(Unserializable)
    }
}

#[tokio::test]
async fn a_step_whose_output_panics_when_serialized_merges_nothing_and_the_workflow_goes_on() {
    let panics = PanicEvents::new();
    let capture = Capture::with(with_events(&panics));
    let workflow = Workflow::new("Produce").step::<Producer>().step::<Ping>();

    let outcome = capture
        .run(workflow.execute(context(json!({"kept": 1}))))
        .await;

    assert!(outcome.is_success());
    assert_eq!(outcome.value().unwrap().to_value(), json!({"kept": 1}));
    assert_eq!(capture.lines().len(), 3);
    let reported = panics.of(Plugin::Serialize);
    assert_eq!(reported.len(), 1);
    assert_eq!(reported[0].task, "Producer");
}

/// A condition that panics.
struct Undecidable;

impl Condition for Undecidable {
    fn holds(&self, _: &Context) -> bool {
        panic!("condition bug")
    }
}

#[tokio::test]
async fn a_panicking_condition_fails_the_workflow_and_compensates_its_completed_steps() {
    let (panics, journal) = (PanicEvents::new(), Journal::new());
    let capture = Capture::with(|b| with_events(&panics)(b).resource(journal.clone()));
    let workflow = Workflow::new("Flow").step::<Probe<'A'>>().group(
        Group::new()
            .task::<Probe<'B'>>()
            .when_condition(Undecidable),
    );

    let outcome = capture.run(workflow.execute(Context::new())).await;

    assert_eq!(
        outcome.reason(),
        Some("a condition of the group of `Probe::B` panicked: condition bug")
    );
    assert_eq!(outcome.metadata()["code"], "condition_panicked");
    assert_eq!(outcome.record().origin, Some(outcome.record().tid));
    assert_eq!(journal.entries(), ["A work", "A rollback compensating"]);
    assert!(capture.lines_for_task("Probe::B").is_empty());
    capture.assert_one_line_per_execution();
    assert_eq!(panics.of(Plugin::Condition)[0].task, "Flow");
}

#[tokio::test]
async fn a_panicking_custom_merge_fails_the_workflow_and_compensates_the_step_it_merged() {
    let (panics, journal) = (PanicEvents::new(), Journal::new());
    let capture = Capture::with(|b| with_events(&panics)(b).resource(journal.clone()));
    let broken = Merge::custom(|_, _, _| panic!("merge bug"));
    let workflow = Workflow::new("Flow")
        .group(Group::new().task::<Probe<'A'>>().merge(broken))
        .step::<Probe<'B'>>();

    let outcome = capture.run(workflow.execute(Context::new())).await;

    assert_eq!(
        outcome.reason(),
        Some("merging the output of `Probe::A` panicked: merge bug")
    );
    assert_eq!(outcome.metadata()["code"], "merge_panicked");
    assert_eq!(journal.entries(), ["A work", "A rollback compensating"]);
    assert_eq!(panics.of(Plugin::Merge).len(), 1);
}

#[tokio::test]
async fn a_panicking_merge_in_a_parallel_group_fails_the_workflow_and_compensates_the_group() {
    let journal = Journal::new();
    let capture = Capture::with(|b| b.resource(journal.clone()));
    let broken = Merge::custom(|_, _, _| panic!("merge bug"));
    let group = Group::new()
        .task::<Probe<'A'>>()
        .task::<Probe<'B'>>()
        .parallel(2)
        .merge(broken);
    let workflow = Workflow::new("Flow").group(group);

    let outcome = capture.run(workflow.execute(Context::new())).await;

    assert_eq!(outcome.metadata()["code"], "merge_panicked");
    assert_eq!(capture.lines_of_kind("rollback").len(), 2);
    assert_eq!(capture.runtime().contained_panics().get(Plugin::Merge), 1);
}

/// Fails twice, then succeeds — if retried. Its retry policy panics: in
/// its backoff when `BACKOFF`, else in its predicate.
#[derive(Debug, Serialize, Deserialize, Validate)]
struct Flaky<const BACKOFF: bool> {}

impl<const BACKOFF: bool> Task for Flaky<BACKOFF> {
    type Output = ();
    fn settings() -> Settings {
        let policy = if BACKOFF {
            let backoff = cmdx::Backoff::custom(|_, _, _| panic!("backoff bug"));
            RetryPolicy::any_failure().backoff(backoff)
        } else {
            RetryPolicy::when(|_, _| panic!("predicate bug"))
        };
        Settings::new().retry(policy)
    }
    async fn work(&self, cx: &mut Cx) -> Result<(), Halt> {
        if cx.attempt() < 2 {
            fail!("flaky")
        }
        Ok(())
    }
}

#[tokio::test(start_paused = true)]
async fn a_panicking_retry_predicate_leaves_the_failure_unretried() {
    let panics = PanicEvents::new();
    let capture = Capture::with(with_events(&panics));

    let outcome = capture.run(Flaky::<false> {}.execute()).await;

    assert_eq!(outcome.reason(), Some("flaky"));
    assert_eq!(outcome.retries(), 0);
    let reported = panics.of(Plugin::RetryPolicy);
    assert_eq!(reported.len(), 1);
    assert_eq!(reported[0].message, "predicate bug");
}

#[tokio::test(start_paused = true)]
async fn a_panicking_custom_backoff_leaves_the_failure_unretried() {
    let panics = PanicEvents::new();
    let capture = Capture::with(with_events(&panics));

    let outcome = capture.run(Flaky::<true> {}.execute()).await;

    assert_eq!(outcome.reason(), Some("flaky"));
    assert_eq!(outcome.retries(), 0);
    let reported = panics.of(Plugin::RetryPolicy);
    assert_eq!(reported.len(), 1);
    assert_eq!(reported[0].message, "backoff bug");
}

#[tokio::test]
async fn contained_panics_are_counted_per_runtime() {
    let broken = Capture::with_sink(PanickingSink::always(), |b| b);
    let healthy = Capture::new();

    let _ = broken.run(Ping {}.execute()).await;
    let _ = healthy.run(Ping {}.execute()).await;

    assert_eq!(broken.runtime().contained_panics().total(), 1);
    assert_eq!(healthy.runtime().contained_panics().total(), 0);
    let copy = broken.runtime().with_resource(7_u8);
    let _ = copy.scope(Ping {}.execute()).await;
    assert_eq!(broken.runtime().contained_panics().total(), 2);
}

/// Set in the child process of the stderr test.
const CHILD: &str = "CMDX_PLUGIN_PANICS_CHILD";

#[test]
fn the_stderr_notice_is_printed_once_per_kind_of_plugin_and_process() {
    if std::env::var_os(CHILD).is_some() {
        // The child: three sink panics and one bridge panic.
        let runtime = Runtime::builder()
            .ledger(cmdx::Ledger::custom(PanickingSink::always()))
            .trace_bridge(PanickingBridge::panics_in(BridgeCall::TraceIds))
            .build();
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        for _ in 0..3 {
            let _ = rt.block_on(runtime.scope(Ping {}.execute()));
        }
        assert_eq!(runtime.contained_panics().get(Plugin::LedgerSink), 3);
        return;
    }
    let output = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "the_stderr_notice_is_printed_once_per_kind_of_plugin_and_process",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD, "1")
        .output()
        .expect("the test binary runs as a child");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "child failed:\n{stderr}");
    let notices = |prefix: &str| stderr.lines().filter(|l| l.starts_with(prefix)).count();
    assert_eq!(
        notices("cmdx: a `LedgerSink` panicked: sink bug."),
        1,
        "{stderr}"
    );
    assert_eq!(
        notices("cmdx: a `TraceBridge` panicked: bridge bug."),
        1,
        "{stderr}"
    );
    assert!(stderr.contains("Runtime::contained_panics()"));
}
