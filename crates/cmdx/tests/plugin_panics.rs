//! Plug-ins cannot break the contract (invariant 11): a panic in a ledger
//! sink, a trace bridge, a hook, a middleware or a subscriber never reaches
//! the caller of `execute()`, in any kind of execution (typed, untyped,
//! workflow, dropped). Each execution still ends with exactly one line, and
//! the panic is reported: counted per runtime, announced to subscribers,
//! noticed once on stderr. Tasks' and workflows' own plug-ins:
//! `task_plugin_panics.rs`, `workflow_plugin_panics.rs`.

use cmdx::middleware::{self, Call, Done, Middleware, Next};
use cmdx::prelude::*;
use cmdx::{HookCx, Hooks, Plugin, Record, Runtime};
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
    fn name() -> &'static str {
        "Ping"
    }
    async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
        Ok(())
    }
}

#[derive(Debug, Serialize, Deserialize, Validate)]
struct Pong {}

impl Task for Pong {
    type Output = ();
    fn name() -> &'static str {
        "Pong"
    }
    async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
        Ok(())
    }
}

/// Never finishes: its callers drop it.
#[derive(Debug, Serialize, Deserialize, Validate)]
struct Stuck {}

impl Task for Stuck {
    type Output = ();
    fn name() -> &'static str {
        "Stuck"
    }
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
    let capture = Capture::with_sink(PanickingSink::always(), |b| panics.subscribed(b));

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
        panics
            .subscribed(b)
            .trace_bridge(PanickingBridge::panics_in(BridgeCall::Finish))
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
        panics
            .subscribed(b)
            .trace_bridge(PanickingBridge::panics_in(BridgeCall::TraceIds))
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
        panics
            .subscribed(b)
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
    fn on_success(&self, _: &HookCx<'_>) -> Result<(), Halt> {
        panic!("hook bug")
    }
}

#[tokio::test(start_paused = true)]
async fn a_panicking_hook_fails_the_outcome_as_documented_and_is_reported() {
    let panics = PanicEvents::new();
    let capture = Capture::with(|b| panics.subscribed(b).hooks(BrokenHook));

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
    async fn call(&self, _: Call, _: Next) -> Result<Done, Halt> {
        panic!("middleware bug")
    }
}

#[tokio::test(start_paused = true)]
async fn a_panicking_middleware_fails_the_execution_naming_the_middleware_and_is_reported() {
    let panics = PanicEvents::new();
    let capture = Capture::with(|b| panics.subscribed(b).layer(BrokenLayer));

    let ended = every_kind_of_execution(&capture).await;

    assert_eq!(statuses(&ended), [Status::Failed; 3]);
    for record in [&ended.typed, &ended.untyped, &ended.workflow] {
        assert_eq!(
            record.reason.as_deref(),
            Some("middleware panicked: middleware bug")
        );
        assert_eq!(record.code.as_deref(), Some("middleware_panicked"));
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
        b.layer(middleware::Correlation::new(|_: &Call| -> Option<String> {
            panic!("no request id")
        }))
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
