//! Owned middleware: `from_fn` with a plain `async fn`, a `Next` that
//! outlives its caller's frame (spawned), middleware that enrich the
//! outcome's metadata, the task downcast alone and as a workflow step, and
//! a middleware that never runs `next`.

use cmdx::middleware::{self, Call, Done, Middleware, Next};
use cmdx::prelude::*;
use cmdx::{MemoryLedger, RetryPolicy, Runtime, Workflow};
use cmdx_test::{Capture, Journal, context};
use serde_json::json;
use std::time::Duration;

#[derive(Debug, Serialize, Deserialize, Validate)]
struct Order {
    #[garde(skip)]
    id: i64,
    #[garde(skip)]
    fail: bool,
}

impl Task for Order {
    type Output = i64;
    fn name() -> &'static str {
        "Owned::Order"
    }
    async fn work(&self, cx: &mut Cx) -> Result<i64, Halt> {
        if let Ok(journal) = cx.resource::<Journal>() {
            journal.push(format!("work {}", self.id));
        }
        if self.fail {
            fail!("card declined", code = "declined", attempt = 1);
        }
        Ok(self.id * 10)
    }
}

/// A plain `async fn`, no boxing at the call site.
async fn stamp_region(call: Call, next: Next) -> Result<Done, Halt> {
    let order = call.task::<Order>().map(|order| order.id);
    let mut done = next.run(call).await;
    done.metadata_mut()
        .insert("region".into(), json!("eu-west-1"));
    Ok(done.with("seen_order", order))
}

#[tokio::test]
async fn a_middleware_adds_metadata_to_a_success_on_the_outcome_and_the_line() {
    let memory = MemoryLedger::new();
    let runtime = Runtime::builder()
        .ledger(memory.clone())
        .layer(middleware::from_fn(stamp_region))
        .build();

    let outcome = runtime.scope(Order { id: 7, fail: false }.execute()).await;

    assert!(outcome.is_success());
    assert_eq!(outcome.value(), Some(&70));
    assert_eq!(outcome.metadata()["region"], "eu-west-1");
    assert_eq!(outcome.metadata()["seen_order"], 7);
    let lines = memory.values();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["metadata"]["region"], "eu-west-1");
    assert_eq!(lines[0]["metadata"]["seen_order"], 7);
}

#[tokio::test]
async fn a_middleware_adds_metadata_to_a_failure_beside_the_tasks_own() {
    let memory = MemoryLedger::new();
    let runtime = Runtime::builder()
        .ledger(memory.clone())
        .layer(middleware::from_fn(stamp_region))
        .build();

    let outcome = runtime.scope(Order { id: 8, fail: true }.execute()).await;

    assert!(outcome.is_failed());
    assert_eq!(outcome.reason(), Some("card declined"));
    let line = &memory.values()[0];
    assert_eq!(line["code"], "declined");
    let metadata = &line["metadata"];
    assert_eq!(metadata["attempt"], 1);
    assert_eq!(metadata["region"], "eu-west-1");
    assert_eq!(metadata["seen_order"], 8);
}

#[tokio::test]
async fn an_outer_middleware_enriches_the_outcome_of_an_inner_halt() {
    let capture = Capture::with(|b| {
        b.layer(middleware::from_fn(stamp_region))
            .layer(middleware::from_fn(|_: Call, _: Next| async {
                Err::<Done, _>(Halt::skip("maintenance window").code("maintenance"))
            }))
    });

    let outcome = capture.run(Order { id: 1, fail: false }.execute()).await;

    assert!(outcome.is_skipped());
    assert_eq!(outcome.code(), Some("maintenance"));
    assert_eq!(outcome.metadata()["region"], "eu-west-1");
}

/// Runs the rest of the onion on another tokio task: `Call` and `Next`
/// are `'static`.
async fn on_another_task(call: Call, next: Next) -> Result<Done, Halt> {
    let handle = tokio::spawn(next.run(call));
    handle.await.map_err(|error| Halt::fail(error.to_string()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn next_can_run_on_a_spawned_task_and_the_execution_keeps_its_chain() {
    let journal = Journal::new();
    let capture = Capture::with(|b| {
        b.resource(journal.clone())
            .layer(middleware::from_fn(on_another_task))
    });

    let outcome = capture.run(Parent {}.execute()).await;

    assert!(outcome.is_success(), "{outcome:?}");
    assert_eq!(journal.entries(), ["work 3"]);
    let lines = capture.values();
    assert_eq!(lines.len(), 2, "the parent and its child");
    assert_eq!(lines[0]["cid"], lines[1]["cid"]);
    assert_eq!(lines[0]["task"], "Owned::Order");
    assert_eq!(lines[0]["parent"], lines[1]["tid"]);
    capture.assert_one_line_per_execution();
}

/// Runs an [`Order`] as its child.
#[derive(Debug, Serialize, Deserialize, Validate)]
struct Parent {}

impl Task for Parent {
    type Output = ();
    fn name() -> &'static str {
        "Owned::Parent"
    }
    async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
        let child = Order { id: 3, fail: false }.execute().await;
        assert!(child.is_success());
        Ok(())
    }
}

/// Drops `next` without running it, and halts.
struct Refuse;

impl Middleware for Refuse {
    async fn call(&self, call: Call, next: Next) -> Result<Done, Halt> {
        drop(next);
        Err(Halt::fail(format!("{} is not allowed here", call.task_name())).code("forbidden"))
    }
}

#[tokio::test]
async fn a_middleware_that_never_runs_next_ends_with_one_line_and_no_work() {
    let journal = Journal::new();
    let capture = Capture::with(|b| b.resource(journal.clone()).layer(Refuse));

    let outcome = capture.run(Order { id: 2, fail: false }.execute()).await;

    assert!(outcome.is_failed());
    assert_eq!(outcome.reason(), Some("Owned::Order is not allowed here"));
    assert_eq!(outcome.code(), Some("forbidden"));
    assert!(journal.entries().is_empty());
    assert_eq!(capture.lines().len(), 1);
}

/// Abandons `next` after it started: the task's run is dropped with it.
async fn impatient(call: Call, next: Next) -> Result<Done, Halt> {
    match tokio::time::timeout(Duration::from_millis(50), next.run(call)).await {
        Ok(done) => Ok(done),
        Err(_) => {
            // Still here long after the task would have finished.
            tokio::time::sleep(Duration::from_secs(30)).await;
            Err(Halt::fail("gave up").code("impatient"))
        }
    }
}

#[derive(Debug, Serialize, Deserialize, Validate)]
struct Slow {}

impl Task for Slow {
    type Output = ();
    fn name() -> &'static str {
        "Owned::Slow"
    }
    async fn work(&self, cx: &mut Cx) -> Result<(), Halt> {
        tokio::time::sleep(Duration::from_secs(10)).await;
        cx.resource::<Journal>()?.push("finished");
        Ok(())
    }
}

#[tokio::test(start_paused = true)]
async fn a_middleware_that_abandons_next_drops_the_tasks_run() {
    let journal = Journal::new();
    let capture = Capture::with(|b| {
        b.resource(journal.clone())
            .layer(middleware::from_fn(impatient))
    });

    let outcome = capture.run(Slow {}.execute()).await;
    tokio::time::sleep(Duration::from_secs(60)).await;

    assert_eq!(outcome.code(), Some("impatient"));
    assert!(journal.entries().is_empty(), "{:?}", journal.entries());
    assert_eq!(capture.lines().len(), 1);
}

/// Notes what the call shows of the task: its downcast and its input.
fn seen_by(journal: Journal) -> impl Middleware {
    middleware::from_fn(move |call: Call, next: Next| {
        let journal = journal.clone();
        async move {
            let id = call.task::<Order>().map(|order| order.id);
            journal.push(format!("{} {:?} {}", call.task_name(), id, call.input()));
            Ok(next.run(call).await)
        }
    })
}

#[tokio::test]
async fn a_middleware_sees_the_task_alone_and_as_a_workflow_step() {
    let journal = Journal::new();
    let capture = Capture::with(|b| b.layer(seen_by(journal.clone())));

    let _ = capture.run(Order { id: 4, fail: false }.execute()).await;
    let workflow = Workflow::new("Owned::Flow").step::<Order>();
    let flow = capture
        .run(workflow.execute(context(json!({"id": 5, "fail": false}))))
        .await;

    assert!(flow.is_success(), "{flow:?}");
    assert_eq!(
        journal.entries(),
        [
            r#"Owned::Order Some(4) {"fail":false,"id":4}"#,
            r#"Owned::Flow None {"fail":false,"id":5}"#,
            r#"Owned::Order Some(5) {"fail":false,"id":5}"#,
        ]
    );
}

#[tokio::test]
async fn a_middleware_sees_no_task_when_the_input_was_invalid() {
    let journal = Journal::new();
    let capture = Capture::with(|b| b.layer(seen_by(journal.clone())));

    let outcome = capture
        .run(Order::execute_json(json!({"id": "x", "fail": false})))
        .await;

    assert!(outcome.is_failed());
    let entries = journal.entries();
    assert_eq!(entries.len(), 1);
    assert!(entries[0].starts_with("Owned::Order None "), "{entries:?}");
}

/// Fails its first two attempts.
#[derive(Debug, Serialize, Deserialize, Validate)]
struct Flaky {}

impl Task for Flaky {
    type Output = ();
    fn name() -> &'static str {
        "Owned::Flaky"
    }
    fn settings() -> Settings {
        Settings::new().retry(RetryPolicy::any_failure().limit(3).delay(Duration::ZERO))
    }
    async fn work(&self, cx: &mut Cx) -> Result<(), Halt> {
        if cx.attempt() < 2 {
            fail!("not yet");
        }
        Ok(())
    }
}

#[tokio::test]
async fn a_halt_after_next_keeps_the_retries_the_task_made() {
    let seen = Journal::new();
    let inner = seen.clone();
    let capture = Capture::with(|b| {
        b.layer(middleware::from_fn(move |call: Call, next: Next| {
            let seen = inner.clone();
            async move {
                let done = next.run(call).await;
                seen.push(format!("outer sees {} retries", done.retries()));
                Ok(done)
            }
        }))
        .layer(middleware::from_fn(|call: Call, next: Next| async move {
            let done = next.run(call).await;
            assert!(done.is_success());
            Err::<Done, _>(Halt::fail("commit failed").code("commit_failed"))
        }))
    });

    let outcome = capture.run(Flaky {}.execute()).await;

    assert_eq!(outcome.code(), Some("commit_failed"));
    assert_eq!(outcome.retries(), 2);
    assert_eq!(seen.entries(), ["outer sees 2 retries"]);
    assert_eq!(capture.values()[0]["retries"], 2);
}

#[test]
fn the_middleware_module_imports_nothing_from_the_engine() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/middleware");
    let mut files = 0;
    for entry in std::fs::read_dir(&dir).expect("src/middleware exists") {
        let path = entry.expect("a directory entry").path();
        let source = std::fs::read_to_string(&path).expect("a readable source file");
        for forbidden in ["crate::exec", "super::super::exec"] {
            assert!(
                !source.contains(forbidden),
                "{} names `{forbidden}`: the engine depends on middleware, not the reverse",
                path.display()
            );
        }
        files += 1;
    }
    assert!(files >= 5, "read {files} files in {}", dir.display());
}
