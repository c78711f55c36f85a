//! Inputs that come from the path, not the body: `with_field` on
//! [`JsonTask`] and [`JsonFlow`] sets them in an object body, and leaves a
//! body that is not an object as it is (the execution then refuses it as
//! invalid input); `body` and `into_body` give the body to change by hand,
//! and `Debug` shows it as the ledger line would, secrets redacted. A real
//! axum server on 127.0.0.1.

use axum::Router;
use axum::extract::Path;
use axum::routing::post;
use cmdx::prelude::*;
use cmdx_axum::{ChainLayer, JsonFlow, JsonTask, Reply};
use cmdx_test::{AxumServer, Capture};
use serde_json::{Value, json};

#[derive(Debug, Serialize, Deserialize, Validate)]
struct Receive {
    #[garde(length(min = 1))]
    sku: String,
    #[garde(range(min = 1))]
    quantity: i64,
}

impl Task for Receive {
    type Output = String;
    fn name() -> &'static str {
        "Stock::Receive"
    }
    async fn work(&self, _: &mut Cx) -> Result<String, Halt> {
        Ok(format!("{}x{}", self.quantity, self.sku))
    }
}

#[derive(Debug, Serialize, Deserialize, Validate)]
struct Restock {
    #[garde(length(min = 1))]
    sku: String,
    #[garde(range(min = 1))]
    quantity: i64,
    #[garde(skip)]
    token: Option<Secret<String>>,
}

impl Flow for Restock {
    fn name() -> &'static str {
        "Stock::Restock"
    }
    fn workflow() -> Workflow {
        Workflow::new(Self::name()).step::<Receive>()
    }
}

async fn receive(Path(sku): Path<String>, task: JsonTask<Receive>) -> Reply<String> {
    task.with_field("sku", sku).execute().await
}

/// Answers the body as the extractor holds it after `with_field`, through
/// `body` and `into_body`.
async fn echo(Path(sku): Path<String>, task: JsonTask<Receive>) -> axum::Json<Value> {
    let task = task.with_field("sku", sku);
    let seen = task.body()["sku"].clone();
    axum::Json(json!({"seen": seen, "body": task.into_body()}))
}

/// Answers what the flow's extractor holds after `with_field`, through
/// `body` and `Debug`.
async fn flow_echo(Path(sku): Path<String>, flow: JsonFlow<Restock>) -> axum::Json<Value> {
    let flow = flow.with_field("sku", sku);
    axum::Json(json!({"seen": flow.body()["sku"], "debug": format!("{flow:?}")}))
}

async fn restock(Path(sku): Path<String>, flow: JsonFlow<Restock>) -> Reply<Context> {
    flow.with_field("sku", sku).execute().await
}

struct Api {
    server: AxumServer,
    capture: Capture,
    client: reqwest::Client,
}

impl Api {
    async fn start() -> Self {
        let capture = Capture::new();
        let app = Router::new()
            .route("/stock/{sku}/receive", post(receive))
            .route("/stock/{sku}/restock", post(restock))
            .route("/stock/{sku}/echo", post(echo))
            .route("/stock/{sku}/flow-echo", post(flow_echo))
            .layer(ChainLayer::new().runtime(capture.runtime().clone()));
        Self {
            server: AxumServer::start(app).await,
            capture,
            client: reqwest::Client::new(),
        }
    }

    async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let response = self
            .client
            .post(self.server.url(path))
            .json(&body)
            .send()
            .await
            .expect("the server answers");
        let status = response.status().as_u16();
        (status, response.json().await.expect("a JSON answer"))
    }
}

#[tokio::test]
async fn a_path_parameter_becomes_a_task_input_and_shows_on_its_line() {
    let api = Api::start().await;

    let (status, body) = api
        .post("/stock/SKU-9/receive", json!({"quantity": 2}))
        .await;

    assert_eq!(status, 200, "{body}");
    assert_eq!(body, json!("2xSKU-9"));
    let line = &api.capture.lines_for_task("Stock::Receive")[0];
    assert_eq!(line["input"], json!({"sku": "SKU-9", "quantity": 2}));
    api.server.stop().await;
}

#[tokio::test]
async fn a_path_parameter_replaces_the_same_field_of_the_body() {
    let api = Api::start().await;

    let (status, body) = api
        .post(
            "/stock/SKU-9/receive",
            json!({"sku": "OTHER", "quantity": 1}),
        )
        .await;

    assert_eq!((status, body), (200, json!("1xSKU-9")));
    api.server.stop().await;
}

#[tokio::test]
async fn a_body_that_is_not_an_object_gets_no_field_and_is_invalid_input() {
    let api = Api::start().await;

    let (status, body) = api.post("/stock/SKU-9/receive", json!([1, 2])).await;

    assert_eq!(status, 422, "{body}");
    assert_eq!(body["code"], "invalid_input");
    // An input that is not the task's shape shows whole as redacted: it
    // cannot be told which of it is secret.
    let line = &api.capture.lines_for_task("Stock::Receive")[0];
    assert_eq!(line["input"], cmdx::REDACTED);
    api.capture.assert_one_line_per_execution();
    api.server.stop().await;
}

#[tokio::test]
async fn a_path_parameter_becomes_a_workflow_input() {
    let api = Api::start().await;

    let (status, body) = api
        .post("/stock/SKU-4/restock", json!({"quantity": "3"}))
        .await;

    assert_eq!(status, 200, "{body}");
    assert_eq!(body["sku"], "SKU-4");
    assert_eq!(body["quantity"], 3);
    let line = &api.capture.lines_for_task("Stock::Restock")[0];
    assert_eq!(line["input"]["sku"], "SKU-4");
    api.capture.assert_one_line_per_execution();
    api.server.stop().await;
}

#[tokio::test]
async fn into_body_gives_the_body_with_the_field_set_and_executes_nothing() {
    let api = Api::start().await;

    let (status, body) = api
        .post("/stock/SKU-2/echo", json!({"quantity": 5, "note": "x"}))
        .await;

    assert_eq!(status, 200, "{body}");
    assert_eq!(body["seen"], "SKU-2", "body() shows the field set");
    assert_eq!(
        body["body"],
        json!({"sku": "SKU-2", "quantity": 5, "note": "x"})
    );
    assert!(api.capture.values().is_empty(), "no execution, no line");
    api.server.stop().await;
}

#[tokio::test]
async fn a_flows_body_shows_the_field_set_and_its_debug_hides_the_secret() {
    let api = Api::start().await;

    let (status, body) = api
        .post(
            "/stock/SKU-7/flow-echo",
            json!({"quantity": 1, "token": "MARKER-51c2-b3e1"}),
        )
        .await;

    assert_eq!(status, 200, "{body}");
    assert_eq!(body["seen"], "SKU-7");
    let debug = body["debug"].as_str().unwrap();
    assert!(debug.starts_with("JsonFlow"), "{debug}");
    assert!(debug.contains("Stock::Restock"), "{debug}");
    assert!(debug.contains("SKU-7"), "{debug}");
    assert!(debug.contains("[REDACTED]"), "{debug}");
    assert!(!debug.contains("MARKER-51c2-b3e1"), "{debug}");
    assert!(api.capture.values().is_empty(), "no execution, no line");
    api.server.stop().await;
}
