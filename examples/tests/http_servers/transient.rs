//! A locked database answers `503` with `Retry-After` and a code; a
//! receipt overflowing the stock total answers `409` with a code; the
//! ledger keeps the cause of both.

use crate::support::{ExampleServer, SERVERS, available, header, receive};
use serde_json::Value;
use sqlx::Connection;
use sqlx::sqlite::SqliteConnection;

async fn a_locked_database_answers_503(example: &'static str) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("inventory.db");
    let server = ExampleServer::start(
        example,
        &[
            ("CMDX_DB", db.display().to_string()),
            ("CMDX_DB_BUSY_TIMEOUT_MS", "100".to_owned()),
        ],
    );
    let client = reqwest::Client::new();
    assert_eq!(receive(&client, &server, "SKU-L", 3).await.status(), 200);

    // Another writer holds the write lock past the server's busy timeout.
    let mut other = SqliteConnection::connect(&format!("sqlite://{}", db.display()))
        .await
        .expect("a second connection to the file");
    sqlx::query("BEGIN IMMEDIATE")
        .execute(&mut other)
        .await
        .unwrap();

    let response = receive(&client, &server, "SKU-L", 4).await;
    assert_eq!(response.status(), 503, "{example}");
    assert_eq!(header(&response, "retry-after"), "1", "{example}");
    assert_eq!(
        header(&response, "content-type"),
        "application/problem+json"
    );
    let cid = header(&response, "x-chain-id");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "database_busy", "{example}: {body}");
    assert_eq!(body["cid"], cid.as_str());
    let line = server.wait_line(&cid, "Inventory::ReceiveStock").await;
    assert_eq!(line["status"], "failed");
    assert_eq!(line["code"], "database_busy");
    assert!(
        line["cause"].as_str().unwrap_or("").contains("locked"),
        "{example}: the ledger keeps the cause: {line}"
    );

    // A nested task's busy database answers the same through its parent.
    let order = client
        .post(server.url("/orders"))
        .json(&serde_json::json!({"sku": "SKU-L", "quantity": 1, "order_id": 1, "warehouse_id": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(order.status(), 503, "{example}");
    assert_eq!(header(&order, "retry-after"), "1", "{example}");
    let body: Value = order.json().await.unwrap();
    assert_eq!(body["code"], "database_busy", "{example}: {body}");

    // Reads still work (WAL), and writes again once the lock is gone.
    assert_eq!(available(&client, &server, "SKU-L").await, Some(3));
    sqlx::query("ROLLBACK").execute(&mut other).await.unwrap();
    let response = receive(&client, &server, "SKU-L", 4).await;
    assert_eq!(response.status(), 200, "{example}");
    assert_eq!(available(&client, &server, "SKU-L").await, Some(7));
}

async fn an_overflowing_receipt_answers_409(example: &'static str) {
    let server = ExampleServer::start(example, &[]);
    let client = reqwest::Client::new();
    assert_eq!(
        receive(&client, &server, "SKU-MAX", i64::MAX)
            .await
            .status(),
        200
    );

    let response = receive(&client, &server, "SKU-MAX", i64::MAX).await;
    assert_eq!(response.status(), 409, "{example}");
    let cid = header(&response, "x-chain-id");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "stock_overflow", "{example}: {body}");
    assert_eq!(body["cid"], cid.as_str());
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("nothing was received")
    );
    let line = server.wait_line(&cid, "Inventory::ReceiveStock").await;
    assert_eq!(line["status"], "failed");
    assert_eq!(line["code"], "stock_overflow");
    assert_eq!(line["metadata"]["available"], i64::MAX);
    assert_eq!(line["metadata"]["received"], i64::MAX);

    // Nothing changed; even one more unit is refused.
    assert_eq!(available(&client, &server, "SKU-MAX").await, Some(i64::MAX));
    assert_eq!(receive(&client, &server, "SKU-MAX", 1).await.status(), 409);
    assert_eq!(available(&client, &server, "SKU-MAX").await, Some(i64::MAX));
}

#[tokio::test]
async fn a_locked_database_answers_503_with_retry_after_on_axum() {
    a_locked_database_answers_503(SERVERS[0]).await;
}

#[tokio::test]
async fn a_locked_database_answers_503_with_retry_after_on_actix() {
    a_locked_database_answers_503(SERVERS[1]).await;
}

#[tokio::test]
async fn an_overflowing_receipt_answers_409_with_a_code_on_axum() {
    an_overflowing_receipt_answers_409(SERVERS[0]).await;
}

#[tokio::test]
async fn an_overflowing_receipt_answers_409_with_a_code_on_actix() {
    an_overflowing_receipt_answers_409(SERVERS[1]).await;
}
