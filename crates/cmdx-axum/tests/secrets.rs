//! A value in a `Secret` never shows over HTTP: not in a response body, not
//! in the span `#[tracing::instrument]` records for a handler taking a
//! `JsonTask`, not in a ledger line — for valid and invalid bodies.

use axum::Router;
use axum::routing::post;
use cmdx::prelude::*;
use cmdx_axum::{ChainLayer, JsonTask, Reply};
use cmdx_test::{AxumServer, Capture, Traces};
use serde_json::{Value, json};

const MARKER: &str = "MARKER-51c2-aa07";

#[derive(Debug, Serialize, Deserialize, Validate)]
struct Card {
    #[garde(skip)]
    number: Secret<String>,
    #[garde(range(min = 100, max = 9999))]
    cvv: u16,
}

#[derive(Debug, Serialize, Deserialize, Validate)]
struct Pay {
    #[garde(range(min = 1))]
    cents: i64,
    #[garde(dive)]
    card: Card,
    #[garde(skip)]
    pins: Vec<Secret<String>>,
}

impl Task for Pay {
    type Output = i64;
    fn name() -> &'static str {
        "Pay"
    }
    async fn work(&self, _: &mut Cx) -> Result<i64, Halt> {
        Ok(self.cents)
    }
}

#[tracing::instrument]
async fn pay(task: JsonTask<Pay>) -> Reply<i64> {
    task.execute().await
}

fn bodies() -> Vec<Value> {
    let valid = json!({"cents": 250, "card": {"number": MARKER, "cvv": 123}, "pins": [MARKER]});
    let mut bad_cvv = valid.clone();
    bad_cvv["card"]["cvv"] = json!(5);
    let mut bad_pins = valid.clone();
    bad_pins["pins"] = json!([MARKER, {"nested": MARKER}]);
    let mut card_as_text = valid.clone();
    card_as_text["card"] = json!(MARKER);
    vec![valid, bad_cvv, bad_pins, card_as_text]
}

#[tokio::test(flavor = "current_thread")]
async fn secrets_never_reach_a_response_a_handler_span_or_a_line() {
    let (capture, traces) = (Capture::new(), Traces::new());
    let _guard = traces.install();
    let app = Router::new()
        .route("/pay", post(pay))
        .layer(ChainLayer::new().runtime(capture.runtime().clone()));
    let server = AxumServer::start(app).await;
    let client = reqwest::Client::new();
    let mut statuses = Vec::new();
    for body in bodies() {
        let response = client
            .post(server.url("/pay"))
            .json(&body)
            .send()
            .await
            .unwrap();
        statuses.push(response.status().as_u16());
        let text = response.text().await.unwrap();
        assert!(
            !text.contains(MARKER),
            "a response shows the secret: {text}"
        );
    }
    server.stop().await;
    assert_eq!(statuses, [200, 422, 422, 422]);
    let spans = traces.spans();
    let handler_spans: Vec<_> = spans.iter().filter(|s| s.name == "pay").collect();
    assert_eq!(handler_spans.len(), 4, "one instrumented span per request");
    for span in &spans {
        let fields = format!("{:?}", span.fields);
        assert!(
            !fields.contains(MARKER),
            "a span shows the secret: {fields}"
        );
    }
    assert!(
        handler_spans[0].fields["task"].contains("[REDACTED]"),
        "the handler's span shows the redacted body: {:?}",
        handler_spans[0].fields
    );
    let lines = capture.lines();
    assert_eq!(lines.len(), 4);
    for line in lines {
        assert!(!line.contains(MARKER), "a line shows the secret: {line}");
    }
}
