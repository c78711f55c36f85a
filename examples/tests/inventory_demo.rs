//! The inventory demo writes the article's ledger.

use cmdx_examples::inventory::{Inventory, story};
use cmdx_test::Capture;
use serde_json::Value;

async fn demo_ledger() -> (Vec<Value>, Inventory) {
    let inventory = Inventory::in_memory().await.expect("an in-memory database");
    let capture = Capture::with(|b| b.resource(inventory.clone()));
    capture
        .run(story(&inventory))
        .await
        .expect("the story runs");
    capture.assert_one_line_per_execution();
    (capture.values(), inventory)
}

fn summary(line: &Value) -> (String, String, i64, i64) {
    let input = &line["input"];
    let key = input
        .get("order_id")
        .or(input.get("warehouse_id"))
        .and_then(Value::as_i64)
        .unwrap_or(-1);
    (
        line["task"].as_str().unwrap().to_owned(),
        line["status"].as_str().unwrap().to_owned(),
        input["quantity"].as_i64().unwrap_or(-1),
        key,
    )
}

#[tokio::test]
async fn the_sku_1234_story_reads_like_the_article() {
    let (lines, inventory) = demo_ledger().await;
    let sku_lines: Vec<_> = lines
        .iter()
        .filter(|l| l["input"]["sku"] == "SKU-1234")
        .map(summary)
        .collect();
    let expected = [
        ("Inventory::ReceiveStock", "success", 100, 1),
        ("Inventory::ReserveStock", "success", 50, 201),
        ("Inventory::ReserveStock", "success", 30, 202),
        ("Inventory::ReserveStock", "success", 20, 203),
        ("Inventory::FulfillStock", "success", 50, 201),
        ("Inventory::ReserveStock", "failed", 10, 204),
    ];
    let expected: Vec<_> = expected
        .iter()
        .map(|(t, s, q, k)| (t.to_string(), s.to_string(), *q, *k))
        .collect();
    assert_eq!(sku_lines, expected);

    let failed = lines
        .iter()
        .find(|l| l["status"] == "failed" && l["input"]["order_id"] == 204)
        .unwrap();
    assert_eq!(failed["reason"], "Insufficient stock");
    assert_eq!(failed["code"], "out_of_stock");
    assert_eq!(failed["metadata"]["available"], 0);
    assert_eq!(failed["metadata"]["requested"], 10);

    let product = inventory.product("SKU-1234").await.unwrap().unwrap();
    assert_eq!(
        (product.available_quantity, product.reserved_quantity),
        (0, 50)
    );
}

#[tokio::test]
async fn process_order_writes_one_chain_of_three_lines_children_first() {
    let (lines, _) = demo_ledger().await;
    let root = lines
        .iter()
        .position(|l| l["task"] == "Inventory::ProcessOrder")
        .unwrap();
    let chain: Vec<&Value> = lines
        .iter()
        .filter(|l| l["cid"] == lines[root]["cid"])
        .collect();
    let order: Vec<(u64, &str)> = chain
        .iter()
        .map(|l| (l["index"].as_u64().unwrap(), l["task"].as_str().unwrap()))
        .collect();
    assert_eq!(
        order,
        vec![
            (1, "Inventory::ReserveStock"),
            (2, "Inventory::FulfillStock"),
            (0, "Inventory::ProcessOrder")
        ]
    );
    assert!(
        chain[..2]
            .iter()
            .all(|l| l["parent"] == chain[2]["tid"] && l["root"] == false)
    );
    assert_eq!(chain[2]["root"], true);
}

#[tokio::test]
async fn the_invalid_call_reports_both_field_errors() {
    let (lines, _) = demo_ledger().await;
    let invalid = lines.iter().find(|l| l["code"] == "invalid_input").unwrap();
    let errors = invalid["errors"].as_object().unwrap();
    assert_eq!(errors.keys().collect::<Vec<_>>(), vec!["quantity", "sku"]);
    assert_eq!(invalid["status"], "failed");
}
