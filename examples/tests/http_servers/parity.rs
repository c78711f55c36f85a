//! The same requests to both servers get the same answers: statuses,
//! media types, problem documents with the chain id, success bodies.

use crate::support::{ExampleServer, SERVERS, header};
use serde_json::{Value, json};

/// One request: method, path, content type, body.
type Request = (&'static str, &'static str, Option<&'static str>, String);

fn requests() -> Vec<Request> {
    let json = Some("application/json");
    let order = |sku: &str, quantity: i64, order_id: i64| {
        json!({"sku": sku, "quantity": quantity, "order_id": order_id, "warehouse_id": 1})
            .to_string()
    };
    vec![
        (
            "POST",
            "/stock/receive",
            json,
            json!({"sku": "SKU-P", "quantity": 10, "warehouse_id": 1}).to_string(),
        ),
        ("POST", "/orders", json, order("SKU-P", 3, 1)),
        ("POST", "/orders", json, order("SKU-P", 50, 2)),
        ("POST", "/orders", json, order("SKU-NONE", 1, 3)),
        (
            "POST",
            "/orders",
            json,
            json!({"sku": "", "quantity": "0", "order_id": 4}).to_string(),
        ),
        ("POST", "/stock/receive", json, "{not json".to_owned()),
        (
            "POST",
            "/stock/receive",
            None,
            json!({"sku": "SKU-P", "quantity": 1, "warehouse_id": 1}).to_string(),
        ),
        (
            "POST",
            "/stock/receive",
            Some("text/plain"),
            "{}".to_owned(),
        ),
        (
            "POST",
            "/stock/receive",
            Some("text/plain"),
            "x".repeat(2 * 1024 * 1024 + 1),
        ),
        ("GET", "/products/SKU-P", None, String::new()),
        ("GET", "/products/SKU-NONE", None, String::new()),
        ("GET", "/stock/receive", None, String::new()),
        ("GET", "/nowhere", None, String::new()),
    ]
}

/// What must be equal between the servers: status, media type, body
/// (without its `cid`, which is checked against `x-chain-id` instead).
async fn answer(
    client: &reqwest::Client,
    server: &ExampleServer,
    request: &Request,
) -> (u16, String, Value) {
    let (method, path, content_type, body) = request;
    let mut builder = client
        .request(method.parse().unwrap(), server.url(path))
        .header("x-request-id", "parity-1");
    if let Some(content_type) = content_type {
        builder = builder.header("content-type", *content_type);
    }
    if !body.is_empty() {
        builder = builder.body(body.clone());
    }
    let response = builder.send().await.expect("the server answers");
    let status = response.status().as_u16();
    let media = header(&response, "content-type");
    let cid = header(&response, "x-chain-id");
    assert_eq!(
        header(&response, "x-request-id"),
        "parity-1",
        "{}: {request:?}",
        server.example
    );
    let mut body: Value = match response.text().await.unwrap() {
        text if text.is_empty() => Value::Null,
        text => serde_json::from_str(&text).unwrap_or(Value::String(text)),
    };
    if media == "application/problem+json" {
        assert_eq!(
            body["cid"],
            cid.as_str(),
            "{}: the chain id in {body}",
            server.example
        );
        body.as_object_mut().unwrap().remove("cid");
    }
    (status, media, body)
}

#[tokio::test]
async fn axum_and_actix_answer_the_same_requests_the_same_way() {
    let axum = ExampleServer::start(SERVERS[0], &[]);
    let actix = ExampleServer::start(SERVERS[1], &[]);
    let client = reqwest::Client::new();
    let mut statuses = Vec::new();
    for request in requests() {
        let on_axum = answer(&client, &axum, &request).await;
        let on_actix = answer(&client, &actix, &request).await;
        assert_eq!(
            on_axum,
            on_actix,
            "axum vs actix for {} {} ({} bytes)",
            request.0,
            request.1,
            request.3.len()
        );
        statuses.push(on_axum.0);
    }
    assert_eq!(
        statuses,
        [
            200, 204, 409, 404, 422, 400, 415, 415, 413, 200, 404, 405, 404
        ]
    );
}
