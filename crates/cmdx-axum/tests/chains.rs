//! One chain per request: request ids, chain ids and the ledger lines they
//! lead to.

mod support;

use cmdx_axum::{ChainLayer, JsonTask, Reply, RequestChain};
use cmdx_examples::inventory::ReceiveStock;
use serde_json::json;
use std::sync::{Arc, Mutex};
use support::{InventoryApi, header};
use uuid::Uuid;

#[tokio::test]
async fn the_request_id_is_echoed_and_is_the_xid_of_every_line_of_the_chain() {
    let api = InventoryApi::start(&[("SKU-1", 10)]).await;
    let response = api
        .client
        .post(api.server.url("/orders"))
        .header("x-request-id", "req-2024-abc")
        .json(&json!({"sku": "SKU-1", "quantity": 2, "order_id": 7, "warehouse_id": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    assert_eq!(header(&response, "x-request-id"), "req-2024-abc");
    let cid: Uuid = header(&response, "x-chain-id").parse().unwrap();

    let lines = api.capture.chain(cid);
    let tasks: Vec<&str> = lines.iter().map(|l| l["task"].as_str().unwrap()).collect();
    assert_eq!(
        tasks,
        [
            "Inventory::ReserveStock",
            "Inventory::FulfillStock",
            "Inventory::ProcessOrder"
        ]
    );
    assert!(lines.iter().all(|l| l["xid"] == "req-2024-abc"));
    assert_eq!(lines.iter().filter(|l| l["root"] == true).count(), 1);
    let product = api.inventory.product("SKU-1").await.unwrap().unwrap();
    assert_eq!(product.available_quantity, 8);
}

#[tokio::test]
async fn a_request_without_an_id_gets_a_fresh_uuid_v7_as_its_xid() {
    let api = InventoryApi::start(&[("SKU-1", 10)]).await;
    let response = api.order("SKU-1", 1, 8).await;
    let xid = header(&response, "x-request-id");
    assert_eq!(Uuid::parse_str(&xid).unwrap().get_version_num(), 7);
    let cid: Uuid = header(&response, "x-chain-id").parse().unwrap();
    assert!(
        api.capture
            .chain(cid)
            .iter()
            .all(|l| l["xid"] == xid.as_str())
    );
}

#[tokio::test]
async fn an_unusable_request_id_is_replaced_not_echoed() {
    let api = InventoryApi::start(&[("SKU-1", 10)]).await;
    let response = api
        .client
        .post(api.server.url("/orders"))
        .header("x-request-id", "has spaces; and more")
        .json(&json!({"sku": "SKU-1", "quantity": 1, "order_id": 9, "warehouse_id": 1}))
        .send()
        .await
        .unwrap();
    assert!(Uuid::parse_str(&header(&response, "x-request-id")).is_ok());
}

#[tokio::test]
async fn two_tasks_awaited_by_one_handler_share_the_request_chain() {
    let api = InventoryApi::start(&[]).await;
    let app = axum::Router::new()
        .route("/twice", axum::routing::post(receive_twice))
        .layer(ChainLayer::new().runtime(api.capture.runtime().clone()));
    let server = cmdx_test::AxumServer::start(app).await;
    let response = api
        .client
        .post(server.url("/twice"))
        .json(&json!({"sku": "SKU-2", "quantity": 1, "warehouse_id": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let cid: Uuid = header(&response, "x-chain-id").parse().unwrap();
    let lines = api.capture.chain(cid);
    let indexes: Vec<(u64, bool)> = lines
        .iter()
        .map(|l| (l["index"].as_u64().unwrap(), l["root"].as_bool().unwrap()))
        .collect();
    assert_eq!(indexes, [(0, true), (1, false)]);
}

async fn receive_twice(task: JsonTask<ReceiveStock>) -> Reply<i64> {
    let again = task.body().clone();
    let _first = task.execute().await;
    let outcome = <ReceiveStock as cmdx::TaskExt>::execute_json(again).await;
    Reply::new(outcome)
}

#[tokio::test]
async fn the_request_span_hook_sees_the_headers_and_the_chain_of_each_request() {
    let api = InventoryApi::start(&[("SKU-1", 10)]).await;
    let seen: Arc<Mutex<Vec<(String, Uuid)>>> = Arc::default();
    let hook_seen = seen.clone();
    let layer = ChainLayer::new()
        .runtime(api.capture.runtime().clone())
        .request_span(move |parts: &http::request::Parts, chain: &RequestChain| {
            let traceparent = parts
                .headers
                .get("traceparent")
                .map_or("", |v| v.to_str().unwrap_or(""));
            hook_seen
                .lock()
                .unwrap()
                .push((traceparent.to_owned(), chain.id()));
            tracing::info_span!("request")
        });
    let app = axum::Router::new()
        .route(
            "/ping",
            axum::routing::get(|chain: RequestChain| async move { chain.request_id().to_owned() }),
        )
        .layer(layer);
    let server = cmdx_test::AxumServer::start(app).await;
    let traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    let response = api
        .client
        .get(server.url("/ping"))
        .header("traceparent", traceparent)
        .header("x-request-id", "req-span")
        .send()
        .await
        .unwrap();
    let cid: Uuid = header(&response, "x-chain-id").parse().unwrap();
    assert_eq!(response.text().await.unwrap(), "req-span");
    assert_eq!(*seen.lock().unwrap(), [(traceparent.to_owned(), cid)]);
}
