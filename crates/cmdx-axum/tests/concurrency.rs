//! Many concurrent requests: separate chains, one line per execution, and
//! the stock in SQLite matching the successful orders exactly.

mod support;

use futures::StreamExt;
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use support::{InventoryApi, header};
use uuid::Uuid;

const REQUESTS: i64 = 200;
const IN_FLIGHT: usize = 32;
const STOCK: i64 = 300;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_concurrent_orders_keep_chains_lines_and_stock_exact() {
    let api = InventoryApi::start(&[("SKU-1", STOCK)]).await;

    // Every fourth order is invalid (quantity 0); the valid ones ask for
    // more than the stock, so some run out of it while others succeed.
    let answers: Vec<(i64, i64, u16, String, Uuid)> = futures::stream::iter(1..=REQUESTS)
        .map(|order_id| {
            let api = &api;
            async move {
                let quantity = if order_id % 4 == 0 { 0 } else { order_id % 5 + 1 };
                let request_id = format!("req-{order_id}");
                let response = api
                    .client
                    .post(api.server.url("/orders"))
                    .header("x-request-id", &request_id)
                    .json(&json!({"sku": "SKU-1", "quantity": quantity, "order_id": order_id, "warehouse_id": 1}))
                    .send()
                    .await
                    .expect("the server answers");
                assert_eq!(header(&response, "x-request-id"), request_id);
                let cid = header(&response, "x-chain-id").parse().unwrap();
                (order_id, quantity, response.status().as_u16(), request_id, cid)
            }
        })
        .buffer_unordered(IN_FLIGHT)
        .collect()
        .await;

    let statuses: HashMap<u16, usize> = answers.iter().fold(HashMap::new(), |mut counts, a| {
        *counts.entry(a.2).or_default() += 1;
        counts
    });
    assert_eq!(statuses.get(&422), Some(&50), "{statuses:?}");
    assert!(statuses.get(&409).is_some_and(|n| *n > 0), "{statuses:?}");
    assert_eq!(statuses.values().sum::<usize>(), REQUESTS as usize);
    assert!(
        statuses.keys().all(|s| [204, 409, 422].contains(s)),
        "{statuses:?}"
    );

    // Every request had its own chain, with one root, all lines carrying its xid.
    let chains: HashSet<Uuid> = answers.iter().map(|a| a.4).collect();
    assert_eq!(chains.len(), REQUESTS as usize);
    api.capture.assert_one_line_per_execution();
    let values = api.capture.values();
    let mut by_chain: HashMap<&str, Vec<&Value>> = HashMap::new();
    for line in &values {
        by_chain
            .entry(line["cid"].as_str().unwrap())
            .or_default()
            .push(line);
    }
    let receive_chain = 1;
    assert_eq!(by_chain.len(), REQUESTS as usize + receive_chain);
    for (_, _, _, request_id, cid) in &answers {
        let lines = &by_chain[cid.to_string().as_str()];
        assert_eq!(
            lines.iter().filter(|l| l["root"] == true).count(),
            1,
            "{lines:?}"
        );
        assert!(lines.iter().all(|l| l["xid"] == request_id.as_str()));
    }

    // No lost or double update: the stock went down by exactly the orders answered 204.
    let shipped: i64 = answers.iter().filter(|a| a.2 == 204).map(|a| a.1).sum();
    let product = api.inventory.product("SKU-1").await.unwrap().unwrap();
    assert_eq!(product.available_quantity, STOCK - shipped);
    assert_eq!(product.reserved_quantity, 0);
    let outbound: i64 = sqlx::query_scalar(
        "SELECT COALESCE(SUM(quantity), 0) FROM stock_records WHERE direction = 'outbound'",
    )
    .fetch_one(api.inventory.pool())
    .await
    .unwrap();
    assert_eq!(outbound, shipped);
    assert_eq!(api.order("SKU-1", STOCK + 1, 999).await.status(), 409);
}
