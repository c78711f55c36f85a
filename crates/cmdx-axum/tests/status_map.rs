//! Every answer of a router honours the `StatusMap` set on its
//! `ChainLayer` — not only `JsonTask`'s: a handler that builds its own
//! `Reply::new(outcome)` (as a workflow handler does) and one that turns a
//! `Fault` into a `Problem` with `?`. Real axum server on 127.0.0.1.

use axum::Router;
use axum::routing::post;
use cmdx::prelude::*;
use cmdx_axum::{ChainLayer, Problem, Reply, StatusMap};
use cmdx_test::{AxumServer, Capture};
use http::StatusCode;
use serde_json::Value;

/// Fails with `carrier_down`, like a shipping step whose carrier is out.
#[derive(Debug, Serialize, Deserialize, Validate)]
struct Ship {}

impl Task for Ship {
    type Output = ();

    fn name() -> &'static str {
        "Shipping::Ship"
    }

    async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
        fail!("The carrier is down", code = "carrier_down");
    }
}

/// Builds its reply itself, without a map.
async fn by_reply() -> Reply<()> {
    Reply::new(Ship {}.execute().await)
}

/// Turns the fault into a problem (what `?` on a strict call does).
async fn by_fault() -> Result<(), Problem> {
    let outcome = Ship {}.execute().await;
    match outcome.fault() {
        Some(fault) => Err(fault.into()),
        None => Ok(()),
    }
}

/// A map chosen by the handler wins over the router's.
async fn by_own_map() -> Reply<()> {
    let own = StatusMap::new().code("carrier_down", StatusCode::BAD_GATEWAY);
    Reply::new(Ship {}.execute().await).statuses(&own)
}

async fn serve(statuses: Option<StatusMap>) -> (AxumServer, Capture) {
    let capture = Capture::new();
    let mut layer = ChainLayer::new().runtime(capture.runtime().clone());
    if let Some(statuses) = statuses {
        layer = layer.statuses(statuses);
    }
    let app = Router::new()
        .route("/reply", post(by_reply))
        .route("/fault", post(by_fault))
        .route("/own", post(by_own_map))
        .layer(layer);
    (AxumServer::start(app).await, capture)
}

async fn post_to(server: &AxumServer, path: &str) -> (u16, Option<String>, Value) {
    let response = reqwest::Client::new()
        .post(server.url(path))
        .send()
        .await
        .expect("the server answers");
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    let cid = response.headers()["x-chain-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["cid"], cid.as_str(), "{path}: {body}");
    (status, retry_after, body)
}

#[tokio::test]
async fn a_reply_built_in_the_handler_answers_with_the_layers_map() {
    let statuses = StatusMap::new().transient("carrier_down", 7);
    let (server, capture) = serve(Some(statuses)).await;
    for path in ["/reply", "/fault"] {
        let (status, retry_after, body) = post_to(&server, path).await;
        assert_eq!(status, 503, "{path}: {body}");
        assert_eq!(retry_after.as_deref(), Some("7"), "{path}");
        assert_eq!(body["code"], "carrier_down");
        assert_eq!(body["status"], 503);
        assert_eq!(body["detail"], "The carrier is down");
    }
    let (status, retry_after, _) = post_to(&server, "/own").await;
    assert_eq!(
        (status, retry_after),
        (502, None),
        "the handler's own map wins"
    );
    assert_eq!(capture.lines_for_task("Shipping::Ship").len(), 3);
    server.stop().await;
}

#[tokio::test]
async fn without_a_map_on_the_layer_an_unmapped_failure_answers_500() {
    let (server, _capture) = serve(None).await;
    for path in ["/reply", "/fault"] {
        let (status, retry_after, body) = post_to(&server, path).await;
        assert_eq!((status, retry_after), (500, None), "{path}: {body}");
        assert_eq!(body["code"], "carrier_down");
    }
    server.stop().await;
}
