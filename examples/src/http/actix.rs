//! The inventory API on actix-web with `cmdx-actix`: the same endpoints
//! and answers as the axum [`router`](super::router), behaviour for
//! behaviour — one chain per request (`x-request-id` → `xid`,
//! `x-chain-id` echoed), the caller's `traceparent` continued, tasks run
//! from JSON bodies, writes run to completion, the same problem documents
//! and status map.
//!
//! actix-web runs each worker on its own current-thread tokio runtime.
//! Chains are carried by a tokio task-local set around each request's
//! future, so they work there as on axum's multi-thread runtime; spans are
//! entered by that same future (`tracing` follows the future, not the
//! thread).

use super::Limits;
use crate::inventory::{Inventory, ProcessOrder, Product, ReceiveStock};
use actix_web::dev::Server;
use actix_web::http::KeepAlive;
use actix_web::{App, HttpServer, web};
use cmdx::Runtime;
use cmdx_actix::{ChainMiddleware, JsonTask, JsonTaskConfig, Problem, Reply, RequestChain};
use http::StatusCode;
use serde_json::Value;
use std::net::SocketAddr;

/// An actix-web server for the inventory API on `addr` (port 0 picks a
/// free one) with `workers` workers and the default [`Limits`]: see
/// [`server_with`].
pub fn server(
    runtime: Runtime,
    inventory: Inventory,
    addr: &str,
    workers: usize,
) -> std::io::Result<(Server, Vec<SocketAddr>)> {
    server_with(runtime, inventory, addr, workers, Limits::default())
}

/// An actix-web server for the inventory API on `addr` (port 0 picks a
/// free one) with `workers` workers, and the addresses it bound. Await the
/// server (inside an actix `System`) to run it; stop it with
/// `server.handle().stop(true)`. Signals are left to the caller.
///
/// `limits` as on axum: request headers must arrive within
/// `header_timeout` (actix's `client_request_timeout`, and its keep-alive
/// for idle connections), a body within `body_timeout` (`408`, through
/// [`JsonTaskConfig::timeout`]); each worker serves at most
/// `max_connections / workers` connections (rounded up) and stops
/// accepting while it does.
pub fn server_with(
    runtime: Runtime,
    inventory: Inventory,
    addr: &str,
    workers: usize,
    limits: Limits,
) -> std::io::Result<(Server, Vec<SocketAddr>)> {
    let workers = workers.max(1);
    let server = HttpServer::new(move || {
        App::new()
            .app_data(web::Data::new(inventory.clone()))
            .app_data(
                JsonTaskConfig::default()
                    .limit(super::BODY_LIMIT)
                    .timeout(limits.body_timeout),
            )
            .wrap(
                ChainMiddleware::new()
                    .runtime(runtime.clone())
                    .statuses(super::statuses())
                    .continue_traces(),
            )
            .service(web::resource("/stock/receive").route(web::post().to(receive_stock)))
            .service(web::resource("/orders").route(web::post().to(process_order)))
            .service(web::resource("/products/{sku}").route(web::get().to(product)))
            .configure(super::testing::actix_routes)
    })
    .workers(workers)
    .max_connections(limits.max_connections.div_ceil(workers))
    .client_request_timeout(limits.header_timeout)
    .keep_alive(KeepAlive::Timeout(limits.header_timeout))
    .disable_signals()
    .bind(addr)?;
    let addrs = server.addrs();
    Ok((server.run(), addrs))
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
    inventory: web::Data<Inventory>,
    sku: web::Path<String>,
    chain: RequestChain,
) -> Result<web::Json<Product>, Problem> {
    match inventory.product(&sku).await {
        Ok(Some(product)) => Ok(web::Json(product)),
        Ok(None) => Err(Problem::new(StatusCode::NOT_FOUND)
            .cid(chain.id())
            .detail(format!("No product has SKU `{sku}`."))),
        Err(error) => {
            tracing::error!(%error, sku = sku.as_str(), "reading a product failed");
            Err(Problem::new(StatusCode::INTERNAL_SERVER_ERROR)
                .cid(chain.id())
                .detail("The product could not be read."))
        }
    }
}
