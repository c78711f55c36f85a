//! The inventory API on axum.

use super::Limits;
use crate::inventory::{Inventory, ProcessOrder, Product, ReceiveStock};
use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Path, Request, State};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use cmdx::Runtime;
use cmdx_axum::{ChainLayer, JsonTask, Problem, Reply, RequestChain};
use http::StatusCode;
use serde_json::Value;
use std::time::Duration;

/// The inventory API as an axum router with the default [`Limits`]: see
/// [`router_with`].
pub fn router(runtime: Runtime, inventory: Inventory) -> Router {
    router_with(runtime, inventory, Limits::default())
}

/// The inventory API as an axum router: one chain per request (with
/// `x-request-id` as its `xid`, and the caller's `traceparent` as the
/// parent of the request's spans), tasks run under `runtime` (which must
/// hold `inventory` as a resource) and to completion, products read from
/// `inventory`. A request body must arrive within `limits.body_timeout`
/// (`408` otherwise); serve it with [`serve`](super::serve) for the other
/// limits.
pub fn router_with(runtime: Runtime, inventory: Inventory, limits: Limits) -> Router {
    Router::new()
        .route("/stock/receive", post(receive_stock))
        .route("/orders", post(process_order))
        .route("/products/{sku}", get(product))
        .with_state(inventory)
        .layer(from_fn_with_state(limits.body_timeout, read_body))
        .layer(
            ChainLayer::new()
                .runtime(runtime)
                .statuses(super::statuses())
                .request_span(|parts: &http::request::Parts, _: &RequestChain| {
                    cmdx_telemetry::propagation::request_span(&parts.headers)
                }),
        )
}

/// Reads the whole body (up to axum's body limit) within `timeout`, before
/// the handler: a client that stalls mid-body is answered `408` and its
/// connection closed, instead of holding a task forever.
async fn read_body(State(timeout): State<Duration>, request: Request, next: Next) -> Response {
    let cid = request
        .extensions()
        .get::<RequestChain>()
        .map(RequestChain::id);
    let (parts, body) = request.into_parts();
    let reading = Bytes::from_request(Request::from_parts(parts.clone(), body), &());
    match tokio::time::timeout(timeout, reading).await {
        Ok(Ok(bytes)) => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        Ok(Err(rejection)) => super::unreadable_body(rejection.status(), cid).into_response(),
        Err(_) => super::body_timeout(cid).into_response(),
    }
}

/// A write: `JsonTask::execute` runs it to completion (a `POST`).
async fn receive_stock(task: JsonTask<ReceiveStock>) -> Reply<Value> {
    let sku = task.body()["sku"].clone();
    task.execute()
        .await
        .map(|available| super::received(&sku, available))
}

/// A write, run to completion: a client that gives up must not leave an
/// order reserved and never fulfilled.
async fn process_order(task: JsonTask<ProcessOrder>) -> Reply<()> {
    task.execute().await
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
