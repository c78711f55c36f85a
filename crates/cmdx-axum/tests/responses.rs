//! Outcomes answered over HTTP by the inventory API on a real axum server.

mod support;

use serde_json::{Value, json};
use support::{InventoryApi, header};

#[tokio::test]
async fn receiving_stock_answers_200_with_the_new_available_quantity() {
    let api = InventoryApi::start(&[("SKU-1", 10)]).await;
    let response = api
        .post(
            "/stock/receive",
            json!({"sku": "SKU-1", "quantity": 5, "warehouse_id": 2}),
        )
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "content-type"), "application/json");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body, json!({"sku": "SKU-1", "available_quantity": 15}));
}

#[tokio::test]
async fn a_processed_order_answers_204_and_ships_the_stock() {
    let api = InventoryApi::start(&[("SKU-1", 10)]).await;
    let response = api.order("SKU-1", 4, 201).await;
    assert_eq!(response.status(), 204);
    assert!(response.bytes().await.unwrap().is_empty());
    let product = api.inventory.product("SKU-1").await.unwrap().unwrap();
    assert_eq!(
        (product.available_quantity, product.reserved_quantity),
        (6, 0)
    );
}

#[tokio::test]
async fn an_order_with_invalid_fields_answers_422_with_every_field() {
    let api = InventoryApi::start(&[]).await;
    let response = api
        .post(
            "/orders",
            json!({"sku": "", "quantity": 0, "order_id": 0, "warehouse_id": 0}),
        )
        .await;
    assert_eq!(response.status(), 422);
    assert_eq!(
        header(&response, "content-type"),
        "application/problem+json"
    );
    let cid = header(&response, "x-chain-id");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid input");
    assert_eq!(body["status"], 422);
    assert_eq!(body["cid"], cid.as_str());
    let fields = body["fields"].as_object().expect("fields is an object");
    let mut names: Vec<&str> = fields.keys().map(String::as_str).collect();
    names.sort_unstable();
    assert_eq!(names, ["order_id", "quantity", "sku", "warehouse_id"]);
    assert!(
        fields
            .values()
            .all(|messages| !messages.as_array().unwrap().is_empty())
    );
    let lines = api.capture.chain(cid.parse().unwrap());
    assert_eq!(
        lines.len(),
        1,
        "invalid input writes one line and never reaches work"
    );
    assert_eq!(lines[0]["code"], "invalid_input");
}

#[tokio::test]
async fn an_order_beyond_the_available_stock_answers_409_through_the_mapping() {
    let api = InventoryApi::start(&[("SKU-1", 3)]).await;
    let response = api.order("SKU-1", 5, 202).await;
    assert_eq!(response.status(), 409);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["type"], "urn:cmdx:failure:out_of_stock");
    assert_eq!(body["title"], "Out of stock");
    assert_eq!(body["status"], 409);
    assert_eq!(body["detail"], "Insufficient stock");
    assert_eq!(body["code"], "out_of_stock");
    let product = api.inventory.product("SKU-1").await.unwrap().unwrap();
    assert_eq!(
        (product.available_quantity, product.reserved_quantity),
        (3, 0)
    );
}

#[tokio::test]
async fn an_order_for_an_unknown_sku_answers_404_through_the_mapping() {
    let api = InventoryApi::start(&[]).await;
    let response = api.order("SKU-404", 1, 203).await;
    assert_eq!(response.status(), 404);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "not_found");
    assert_eq!(body["detail"], "Unknown SKU");
}

#[tokio::test]
async fn problem_bodies_show_neither_inputs_nor_metadata_beyond_the_code() {
    let api = InventoryApi::start(&[("SKU-SECRET-77", 1)]).await;
    let response = api.order("SKU-SECRET-77", 9, 204).await;
    let text = response.text().await.unwrap();
    let body: Value = serde_json::from_str(&text).unwrap();
    let mut keys: Vec<&str> = body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(keys, ["cid", "code", "detail", "status", "title", "type"]);
    assert!(
        !text.contains("SKU-SECRET-77") && !text.contains("requested"),
        "{text}"
    );
}

#[tokio::test]
async fn reading_a_product_answers_its_quantities_and_404_when_unknown() {
    let api = InventoryApi::start(&[("SKU-1", 10)]).await;
    let _ = api.order("SKU-1", 4, 201).await;
    let found = api
        .client
        .get(api.server.url("/products/SKU-1"))
        .send()
        .await
        .unwrap();
    assert_eq!(found.status(), 200);
    let body: Value = found.json().await.unwrap();
    assert_eq!(
        body,
        json!({"sku": "SKU-1", "available_quantity": 6, "reserved_quantity": 0})
    );
    let missing = api
        .client
        .get(api.server.url("/products/NOPE"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    assert_eq!(header(&missing, "content-type"), "application/problem+json");
}

#[tokio::test]
async fn a_body_that_is_not_json_answers_a_problem_and_writes_no_line() {
    let api = InventoryApi::start(&[]).await;
    let response = api
        .client
        .post(api.server.url("/orders"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let cid = header(&response, "x-chain-id");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], 400);
    assert_eq!(body["code"], "invalid_json");
    assert_eq!(body["cid"], cid.as_str());
    let untyped = api
        .client
        .post(api.server.url("/orders"))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(untyped.status(), 415);
    let body: Value = untyped.json().await.unwrap();
    assert_eq!(body["code"], "unsupported_media_type");
    let huge = api
        .client
        .post(api.server.url("/orders"))
        .header("content-type", "application/json")
        .body(vec![b' '; 3 * 1024 * 1024])
        .send()
        .await
        .unwrap();
    assert_eq!(huge.status(), 413);
    let body: Value = huge.json().await.unwrap();
    assert_eq!(body["code"], "body_too_large");
    assert!(
        api.capture
            .lines_for_task("Inventory::ProcessOrder")
            .is_empty()
    );
}

/// Without the example's body middleware, `JsonTask` itself refuses a body
/// over axum's limit: `413` with a code.
#[tokio::test]
async fn json_task_refuses_a_body_over_the_limit_with_413_and_a_code() {
    use cmdx_examples::inventory::ReceiveStock;
    async fn receive(task: cmdx_axum::JsonTask<ReceiveStock>) -> cmdx_axum::Reply<i64> {
        task.execute().await
    }
    let app = axum::Router::new()
        .route("/receive", axum::routing::post(receive))
        .layer(cmdx_axum::ChainLayer::new());
    let server = cmdx_test::AxumServer::start(app).await;
    let response = reqwest::Client::new()
        .post(server.url("/receive"))
        .header("content-type", "application/json")
        .body(vec![b' '; 3 * 1024 * 1024])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
    let cid = header(&response, "x-chain-id");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "body_too_large");
    assert_eq!(body["cid"], cid.as_str());
    server.stop().await;
}
