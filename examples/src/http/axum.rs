//! The inventory API on axum.

use crate::inventory::{Inventory, ProcessOrder, Product, ReceiveStock};
use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use cmdx::Runtime;
use cmdx_axum::{ChainLayer, JsonTask, Problem, Reply, RequestChain};
use http::StatusCode;
use serde_json::Value;

/// The inventory API as an axum router: one chain per request (with
/// `x-request-id` as its `xid`, and the caller's `traceparent` as the
/// parent of the request's spans), tasks run under `runtime` (which must
/// hold `inventory` as a resource), products read from `inventory`.
pub fn router(runtime: Runtime, inventory: Inventory) -> Router {
    Router::new()
        .route("/stock/receive", post(receive_stock))
        .route("/orders", post(process_order))
        .route("/products/{sku}", get(product))
        .with_state(inventory)
        .layer(
            ChainLayer::new()
                .runtime(runtime)
                .statuses(super::statuses())
                .request_span(|parts: &http::request::Parts, _: &RequestChain| {
                    cmdx_telemetry::propagation::request_span(&parts.headers)
                }),
        )
}

async fn receive_stock(task: JsonTask<ReceiveStock>) -> Reply<Value> {
    let sku = task.body()["sku"].clone();
    task.execute()
        .await
        .map(|available| super::received(&sku, available))
}

/// Run to completion: a client that gives up must not leave an order
/// reserved and never fulfilled.
async fn process_order(task: JsonTask<ProcessOrder>) -> Result<Reply<()>, Problem> {
    task.execute_to_completion().await
}

async fn product(
    State(inventory): State<Inventory>,
    Path(sku): Path<String>,
    chain: RequestChain,
) -> Result<Json<Product>, Problem> {
    match inventory.product(&sku).await {
        Ok(Some(product)) => Ok(Json(product)),
        Ok(None) => Err(Problem::new(StatusCode::NOT_FOUND)
            .cid(chain.id())
            .detail(format!("No product has SKU `{sku}`."))),
        Err(error) => {
            tracing::error!(%error, sku, "reading a product failed");
            Err(Problem::new(StatusCode::INTERNAL_SERVER_ERROR)
                .cid(chain.id())
                .detail("The product could not be read."))
        }
    }
}
