//! The checkout saga on SQLite: a failed confirmation compensates the
//! charge and the reservation, and the database is as before.

use cmdx::prelude::*;
use cmdx_examples::checkout::{self, Payments};
use cmdx_examples::inventory::{self, Inventory, ReceiveStock};
use cmdx_test::Capture;
use serde_json::json;

async fn shop() -> (Capture, Inventory, Payments) {
    let inventory = Inventory::in_memory().await.unwrap();
    let payments = Payments::on(inventory.pool().clone()).await.unwrap();
    payments
        .open_account(7, "ada@example.com", 10_000)
        .await
        .unwrap();
    let capture = Capture::with(|b| b.resource(inventory.clone()).resource(payments.clone()));
    let received = capture
        .run(
            ReceiveStock {
                sku: "SKU-1".into(),
                quantity: 10,
                warehouse_id: 1,
            }
            .execute(),
        )
        .await;
    assert!(received.is_success());
    (capture, inventory, payments)
}

fn order(email: &str) -> serde_json::Value {
    json!({"sku": "SKU-1", "quantity": 3, "order_id": 9, "account_id": 7,
           "amount_cents": 4_500, "email": email})
}

#[tokio::test]
async fn a_bounced_confirmation_refunds_the_charge_and_releases_the_stock() {
    let (capture, inventory, payments) = shop().await;

    let outcome = capture
        .run(checkout::place_order().execute_json(order("ada@bounce.example")))
        .await;

    assert!(outcome.is_failed());
    assert_eq!(outcome.code(), Some("email_bounced"));
    let rollbacks: Vec<String> = capture
        .lines_of_kind("rollback")
        .iter()
        .map(|l| l["task"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        rollbacks,
        ["Checkout::ChargeCard", "Checkout::ReserveInventory"]
    );
    assert!(
        capture
            .lines_of_kind("rollback")
            .iter()
            .all(|l| l["status"] == "success")
    );
    let product = inventory.product("SKU-1").await.unwrap().unwrap();
    assert_eq!(
        (product.available_quantity, product.reserved_quantity),
        (10, 0)
    );
    assert_eq!(payments.balance(7).await.unwrap(), Some(10_000));
}

#[tokio::test]
async fn a_confirmed_order_keeps_the_charge_and_the_reservation() {
    let (capture, inventory, payments) = shop().await;

    let outcome = capture
        .run(checkout::place_order().execute_json(order("ada@example.com")))
        .await;

    assert!(outcome.is_success(), "{outcome:?}");
    assert!(outcome.value().unwrap().contains("charge_id"));
    let product = inventory.product("SKU-1").await.unwrap().unwrap();
    assert_eq!(
        (product.available_quantity, product.reserved_quantity),
        (7, 3)
    );
    assert_eq!(payments.balance(7).await.unwrap(), Some(5_500));
    assert_eq!(payments.outbox_count(9).await.unwrap(), 1);
}

#[tokio::test]
async fn the_process_order_workflow_has_the_shape_of_the_task_in_task_version() {
    let (capture, _, _) = shop().await;
    let input = json!({"sku": "SKU-1", "quantity": 2, "order_id": 5, "warehouse_id": 1});

    let outcome = capture
        .run(inventory::process_order_workflow().execute_json(input))
        .await;

    assert!(outcome.is_success());
    let parents: Vec<_> = capture
        .parent_indexes(outcome.chain_id())
        .into_iter()
        .collect();
    assert_eq!(parents, [(0, None), (1, Some(0)), (2, Some(0))]);
    let chain = outcome.chain().unwrap();
    let tasks: Vec<&str> = chain.records().map(|r| &*r.task).collect();
    assert_eq!(
        tasks,
        [
            "Inventory::ProcessOrder",
            "Inventory::ReserveStock",
            "Inventory::FulfillStock"
        ]
    );
}

#[tokio::test]
async fn notifying_collects_the_failed_channel_and_unqueues_the_others() {
    let (capture, _, payments) = shop().await;
    let input = json!({"sku": "SKU-1", "order_id": 9, "email": "ada@example.com", "phone": ""});

    let outcome = capture
        .run(checkout::notify_customer().execute_json(input))
        .await;

    assert!(outcome.is_failed());
    let failed: Vec<String> = outcome.failures().into_iter().map(|f| f.task).collect();
    assert_eq!(failed, ["Checkout::TextReceipt"]);
    assert!(
        outcome
            .field_errors()
            .unwrap()
            .contains_key("Checkout::TextReceipt.phone")
    );
    let notified = capture.lines_of_kind("task").into_iter();
    let notified = notified.filter(|l| l["parent"] == outcome.tid().to_string());
    assert_eq!(notified.count(), 3, "all three ran");
    assert_eq!(capture.lines_of_kind("rollback").len(), 2);
    assert_eq!(payments.outbox_count(9).await.unwrap(), 0);
}
