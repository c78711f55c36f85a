//! Typed workflows answered over HTTP ([`JsonFlow`]) by a real axum server
//! on 127.0.0.1: the `StatusMap` on `ChainLayer` decides failure statuses.

use axum::Router;
use axum::routing::post;
use cmdx::prelude::*;
use cmdx_axum::{ChainLayer, JsonFlow, Reply, StatusMap};
use cmdx_test::{AxumServer, Capture};
use http::StatusCode;
use serde_json::{Value, json};

/// Books a carrier; the carrier `down` is unavailable.
#[derive(Debug, Serialize, Deserialize, Validate)]
struct Book {
    #[garde(length(min = 1))]
    carrier: String,
    #[garde(skip)]
    card: Secret<String>,
}

impl Task for Book {
    type Output = Value;
    fn name() -> &'static str {
        "Shipping::Book"
    }
    async fn work(&self, _: &mut Cx) -> Result<Value, Halt> {
        if self.carrier == "down" {
            fail!("The carrier is down", code = "carrier_down");
        }
        let card = self.card.expose();
        Ok(json!({"booking": format!("{}-{}", self.carrier, &card[card.len() - 2..])}))
    }
}

#[derive(Debug, Serialize, Deserialize, Validate)]
struct Ship {
    #[garde(length(min = 1))]
    carrier: String,
    #[garde(range(min = 1, max = 10))]
    parcels: i64,
    #[garde(skip)]
    card: Secret<String>,
}

impl Flow for Ship {
    fn name() -> &'static str {
        "Shipping::Ship"
    }
    fn workflow() -> Workflow {
        Workflow::new(Self::name()).step::<Book>()
    }
}

async fn ship(flow: JsonFlow<Ship>) -> Reply<Context> {
    flow.execute().await
}

struct Api {
    server: AxumServer,
    capture: Capture,
    client: reqwest::Client,
}

impl Api {
    async fn start() -> Self {
        let capture = Capture::new();
        let statuses = StatusMap::new().code("carrier_down", StatusCode::SERVICE_UNAVAILABLE);
        let app = Router::new().route("/ship", post(ship)).layer(
            ChainLayer::new()
                .runtime(capture.runtime().clone())
                .statuses(statuses),
        );
        Self {
            server: AxumServer::start(app).await,
            capture,
            client: reqwest::Client::new(),
        }
    }

    async fn post(&self, body: Value) -> reqwest::Response {
        self.client
            .post(self.server.url("/ship"))
            .json(&body)
            .send()
            .await
            .expect("the server answers")
    }

    /// The lines of the response's chain.
    fn chain_of(&self, response: &reqwest::Response) -> Vec<Value> {
        let cid = response.headers()["x-chain-id"].to_str().unwrap();
        self.capture.chain(cid.parse().unwrap())
    }
}

#[tokio::test]
async fn a_workflow_failing_with_a_mapped_code_answers_that_status() {
    let api = Api::start().await;

    let response = api
        .post(json!({"carrier": "down", "parcels": 2, "card": "4242"}))
        .await;

    assert_eq!(response.status(), 503, "carrier_down is mapped to 503");
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let lines = api.chain_of(&response);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "carrier_down");
    assert_eq!(body["type"], "urn:cmdx:failure:carrier_down");
    assert_eq!(body["detail"], "The carrier is down");
    let tasks: Vec<&str> = lines.iter().map(|l| l["task"].as_str().unwrap()).collect();
    assert_eq!(tasks, ["Shipping::Book", "Shipping::Ship"]);
    api.capture.assert_one_line_per_execution();
    api.server.stop().await;
}

#[tokio::test]
async fn a_successful_workflow_answers_its_context_with_secrets_hidden() {
    let api = Api::start().await;

    let response = api
        .post(json!({"carrier": "acme", "parcels": "3", "card": "4242424242424299"}))
        .await;

    assert_eq!(response.status(), 200);
    let lines = api.chain_of(&response);
    let text = response.text().await.unwrap();
    assert!(!text.contains("4242424242424299"), "{text}");
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        body,
        json!({"carrier": "acme", "parcels": 3, "card": "[REDACTED]", "booking": "acme-99"})
    );
    assert_eq!(lines.len(), 2);
    for line in &lines {
        assert!(!line.to_string().contains("4242424242424299"));
    }
    api.server.stop().await;
}

#[tokio::test]
async fn invalid_workflow_input_answers_422_with_every_field_and_runs_no_step() {
    let api = Api::start().await;

    let response = api
        .post(json!({"carrier": "", "parcels": 0, "card": "1"}))
        .await;

    assert_eq!(response.status(), 422);
    let lines = api.chain_of(&response);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "invalid_input");
    let fields = body["fields"].as_object().unwrap();
    assert!(fields.contains_key("carrier") && fields.contains_key("parcels"));
    assert_eq!(lines.len(), 1, "only the workflow's line: {lines:?}");
    assert_eq!(lines[0]["task"], "Shipping::Ship");
    assert_eq!(lines[0]["input"]["card"], "[REDACTED]");
    api.server.stop().await;
}

#[tokio::test]
async fn a_body_that_is_not_json_is_refused_before_any_execution() {
    let api = Api::start().await;

    let response = api
        .client
        .post(api.server.url("/ship"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "invalid_json");
    assert!(api.capture.values().is_empty());
    api.server.stop().await;
}
