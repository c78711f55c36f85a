//! What happens to a task when its client disconnects: a write (`POST`)
//! runs to completion by default, a read (`GET`) or an explicitly
//! cancellable execution is cancelled.

use axum::Router;
use axum::extract::State;
use axum::routing::post;
use cmdx::BoxError;
use cmdx::prelude::*;
use cmdx_axum::{ChainLayer, JsonTask, Problem, Reply};
use cmdx_test::{AxumServer, Capture};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::sync::{Notify, Semaphore};

const WAIT: Duration = Duration::from_secs(5);

/// Lets a test hold a task inside `work` until it says so.
struct Gate {
    entered: Semaphore,
    release: Notify,
    rolled_back: AtomicBool,
}

impl Gate {
    fn new() -> Self {
        Self {
            entered: Semaphore::new(0),
            release: Notify::new(),
            rolled_back: AtomicBool::new(false),
        }
    }
}

/// Waits at the gate inside `work`.
#[derive(Debug, Serialize, Deserialize, Validate)]
struct WaitAtGate {
    #[garde(range(min = 1))]
    order_id: i64,
}

impl Task for WaitAtGate {
    type Output = i64;
    fn name() -> &'static str {
        "WaitAtGate"
    }

    async fn work(&self, cx: &mut Cx) -> Result<i64, Halt> {
        let gate = cx.resource::<Arc<Gate>>()?;
        gate.entered.add_permits(1);
        gate.release.notified().await;
        Ok(self.order_id)
    }
}

/// Awaits [`WaitAtGate`], so a cancellation drops a parent and its child.
#[derive(Debug, Serialize, Deserialize, Validate)]
struct PlaceOrder {
    #[garde(range(min = 1))]
    order_id: i64,
}

impl Task for PlaceOrder {
    type Output = i64;
    fn name() -> &'static str {
        "PlaceOrder"
    }

    async fn work(&self, _: &mut Cx) -> Result<i64, Halt> {
        let waited = WaitAtGate {
            order_id: self.order_id,
        }
        .execute_strict()
        .await?;
        Ok(waited)
    }

    async fn rollback(&self, cx: &mut Cx) -> Result<(), BoxError> {
        cx.resource::<Arc<Gate>>()?
            .rolled_back
            .store(true, Ordering::SeqCst);
        Ok(())
    }
}

/// Signals when the handler's future is dropped (or returns).
struct OnDrop(Arc<Notify>);

impl Drop for OnDrop {
    fn drop(&mut self) {
        self.0.notify_one();
    }
}

async fn place_cancellable(task: JsonTask<PlaceOrder>) -> Reply<i64> {
    task.execute_cancellable().await
}

async fn place(State(handler_done): State<Arc<Notify>>, task: JsonTask<PlaceOrder>) -> Reply<i64> {
    let _signal = OnDrop(handler_done);
    task.execute().await
}

async fn place_to_completion(
    State(handler_done): State<Arc<Notify>>,
    task: JsonTask<PlaceOrder>,
) -> Result<Reply<i64>, Problem> {
    let _signal = OnDrop(handler_done);
    task.execute_to_completion().await
}

struct Setup {
    capture: Capture,
    gate: Arc<Gate>,
    handler_done: Arc<Notify>,
    server: AxumServer,
}

async fn serve() -> Setup {
    let gate = Arc::new(Gate::new());
    let capture = Capture::with(|runtime| runtime.resource(gate.clone()));
    let handler_done = Arc::new(Notify::new());
    let app = Router::new()
        .route("/place", post(place_cancellable))
        .route("/place-default", post(place).get(place))
        .route("/place-to-completion", post(place_to_completion))
        .with_state(handler_done.clone())
        .layer(ChainLayer::new().runtime(capture.runtime().clone()));
    let server = AxumServer::start(app).await;
    Setup {
        capture,
        gate,
        handler_done,
        server,
    }
}

/// Sends the request, waits until the task is inside `work`, then drops the
/// request: the client closes its connection mid-task.
async fn disconnect_mid_task(setup: &Setup, path: &str, request_id: &str) {
    disconnect_mid(setup, reqwest::Method::POST, path, request_id).await;
}

async fn disconnect_mid(setup: &Setup, method: reqwest::Method, path: &str, request_id: &str) {
    let request = reqwest::Client::new()
        .request(method, setup.server.url(path))
        .header("x-request-id", request_id)
        .json(&json!({"order_id": 42}))
        .send();
    let client = tokio::spawn(request);
    let entered = tokio::time::timeout(WAIT, setup.gate.entered.acquire()).await;
    entered.expect("the task reached work").unwrap().forget();
    client.abort();
    let _ = client.await;
}

fn lines_of(capture: &Capture, request_id: &str) -> Vec<Value> {
    capture
        .values()
        .into_iter()
        .filter(|l| l["xid"] == request_id)
        .collect()
}

#[tokio::test]
async fn a_client_that_disconnects_mid_task_leaves_cancelled_lines_and_runs_no_rollback() {
    let setup = serve().await;
    disconnect_mid_task(&setup, "/place", "req-gone").await;

    let root = setup
        .capture
        .wait_for(
            |l| l["xid"] == "req-gone" && l["task"] == "PlaceOrder",
            WAIT,
        )
        .await
        .expect("the dropped root writes its line");
    let lines = lines_of(&setup.capture, "req-gone");
    let tasks: Vec<&str> = lines.iter().map(|l| l["task"].as_str().unwrap()).collect();
    assert_eq!(
        tasks,
        ["WaitAtGate", "PlaceOrder"],
        "children first, one line each"
    );
    for line in &lines {
        assert_eq!(line["status"], "failed");
        assert_eq!(line["state"], "interrupted");
        assert_eq!(line["reason"], "cancelled");
        assert_eq!(line["rolled_back"], false);
        assert_eq!(line["cid"], root["cid"]);
    }
    assert!(
        !setup.gate.rolled_back.load(Ordering::SeqCst),
        "no rollback runs from Drop"
    );
    setup.capture.assert_one_line_per_execution();
}

#[tokio::test]
async fn in_run_to_completion_mode_the_task_finishes_after_the_client_disconnects() {
    let setup = serve().await;
    let handler_dropped = setup.handler_done.notified();
    disconnect_mid_task(&setup, "/place-to-completion", "req-kept").await;
    tokio::time::timeout(WAIT, handler_dropped)
        .await
        .expect("axum drops the handler when the client leaves");
    assert!(
        lines_of(&setup.capture, "req-kept").is_empty(),
        "still running"
    );

    setup.gate.release.notify_one();
    let root = setup
        .capture
        .wait_for(
            |l| l["xid"] == "req-kept" && l["task"] == "PlaceOrder",
            WAIT,
        )
        .await
        .expect("the detached task finishes and writes its line");
    assert_eq!(root["status"], "success");
    assert_eq!(root["root"], true);
    let lines = lines_of(&setup.capture, "req-kept");
    assert_eq!(lines.len(), 2);
    assert!(
        lines
            .iter()
            .all(|l| l["status"] == "success" && l["cid"] == root["cid"])
    );
}

#[tokio::test]
async fn run_to_completion_answers_like_a_direct_execution_when_the_client_waits() {
    let setup = serve().await;
    setup.gate.release.notify_one(); // a stored permit: the task passes the gate at once
    let response = reqwest::Client::new()
        .post(setup.server.url("/place-to-completion"))
        .json(&json!({"order_id": 7}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.json::<Value>().await.unwrap(), json!(7));
}

#[tokio::test]
async fn by_default_a_post_runs_to_completion_after_the_client_disconnects() {
    let setup = serve().await;
    let handler_dropped = setup.handler_done.notified();
    disconnect_mid_task(&setup, "/place-default", "req-post").await;
    tokio::time::timeout(WAIT, handler_dropped)
        .await
        .expect("axum drops the handler when the client leaves");
    // The client is gone; the task still waits at the gate, not cancelled.
    assert!(
        lines_of(&setup.capture, "req-post").is_empty(),
        "still running"
    );
    setup.gate.release.notify_one();
    let root = setup
        .capture
        .wait_for(
            |l| l["xid"] == "req-post" && l["task"] == "PlaceOrder",
            WAIT,
        )
        .await
        .expect("the write finishes and writes its line");
    assert_eq!(root["status"], "success");
    let lines = lines_of(&setup.capture, "req-post");
    assert_eq!(lines.len(), 2);
    assert!(lines.iter().all(|l| l["status"] == "success"));
}

#[tokio::test]
async fn by_default_a_get_is_cancelled_when_the_client_disconnects() {
    let setup = serve().await;
    disconnect_mid(&setup, reqwest::Method::GET, "/place-default", "req-get").await;
    let root = setup
        .capture
        .wait_for(|l| l["xid"] == "req-get" && l["task"] == "PlaceOrder", WAIT)
        .await
        .expect("the dropped read writes its line");
    assert_eq!(root["reason"], "cancelled");
    assert_eq!(root["state"], "interrupted");
}
