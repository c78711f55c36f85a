//! The inventory API served on a loopback port, its ledger kept in memory.

use cmdx_examples::http::router;
use cmdx_examples::inventory::Inventory;
use cmdx_test::{AxumServer, Capture};
use serde_json::{Value, json};

pub(crate) struct InventoryApi {
    pub(crate) server: AxumServer,
    pub(crate) capture: Capture,
    pub(crate) inventory: Inventory,
    pub(crate) client: reqwest::Client,
}

impl InventoryApi {
    /// A fresh database holding `stock` units of each of `skus`.
    pub(crate) async fn start(stock: &[(&str, i64)]) -> Self {
        let inventory = Inventory::in_memory().await.expect("an in-memory database");
        let capture = Capture::with(|runtime| runtime.resource(inventory.clone()));
        let server = AxumServer::start(router(capture.runtime().clone(), inventory.clone())).await;
        let api = Self {
            server,
            capture,
            inventory,
            client: reqwest::Client::new(),
        };
        for (sku, quantity) in stock {
            let response = api
                .post(
                    "/stock/receive",
                    json!({"sku": sku, "quantity": quantity, "warehouse_id": 1}),
                )
                .await;
            assert_eq!(response.status(), 200, "receiving {sku}");
        }
        api
    }

    pub(crate) async fn post(&self, path: &str, body: Value) -> reqwest::Response {
        self.client
            .post(self.server.url(path))
            .json(&body)
            .send()
            .await
            .expect("the server answers")
    }

    pub(crate) async fn order(&self, sku: &str, quantity: i64, order_id: i64) -> reqwest::Response {
        self.post(
            "/orders",
            json!({"sku": sku, "quantity": quantity, "order_id": order_id, "warehouse_id": 1}),
        )
        .await
    }
}

/// The response's header `name` as text.
pub(crate) fn header(response: &reqwest::Response, name: &str) -> String {
    response
        .headers()
        .get(name)
        .unwrap_or_else(|| panic!("no {name} header"))
        .to_str()
        .expect("a text header")
        .to_owned()
}
