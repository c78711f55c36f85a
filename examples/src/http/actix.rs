//! The inventory API on actix-web: the same endpoints and answers as the
//! axum [`router`](super::router), with the chain middleware and the
//! response helper written here (they are a page: no `cmdx-actix` crate).
//!
//! actix-web runs each worker on its own current-thread tokio runtime.
//! Chains are carried by a tokio task-local set around each request's
//! future, so they work there as on axum's multi-thread runtime; spans are
//! entered by that same future (`tracing` follows the future, not the
//! thread).

use crate::inventory::{Inventory, ProcessOrder, ReceiveStock};
use actix_web::body::MessageBody;
use actix_web::dev::{Server, ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::{Next, from_fn};
use actix_web::{App, Error, HttpResponse, HttpServer, web};
use cmdx::{ChainScope, Interrupted, Runtime, Task};
use cmdx_axum::{Problem, Rendered, Reply};
use serde_json::Value;
use std::net::SocketAddr;

const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
const X_CHAIN_ID: HeaderName = HeaderName::from_static("x-chain-id");

/// An actix-web server for the inventory API on `addr` (port 0 picks a
/// free one) with `workers` workers, and the addresses it bound. Await the
/// server (inside an actix `System`) to run it; stop it with
/// `server.handle().stop(true)`. Signals are left to the caller.
pub fn server(
    runtime: Runtime,
    inventory: Inventory,
    addr: &str,
    workers: usize,
) -> std::io::Result<(Server, Vec<SocketAddr>)> {
    let server = HttpServer::new(move || {
        App::new()
            .app_data(web::Data::new(runtime.clone()))
            .app_data(web::Data::new(inventory.clone()))
            .wrap(from_fn(chain_per_request))
            .route("/stock/receive", web::post().to(receive_stock))
            .route("/orders", web::post().to(process_order))
            .route("/products/{sku}", web::get().to(product))
            .configure(super::testing::actix_routes)
    })
    .workers(workers)
    .disable_signals()
    .bind(addr)?;
    let addrs = server.addrs();
    Ok((server.run(), addrs))
}

/// The middleware: one chain per request, `xid` from `x-request-id`
/// (accepted like `cmdx_axum::ChainLayer` does), both ids on the response.
async fn chain_per_request(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let header = request
        .headers()
        .get(X_REQUEST_ID)
        .map(HeaderValue::as_bytes);
    let xid = cmdx_axum::accept_request_id(header);
    let scope = ChainScope::new().xid(xid.as_str());
    let cid = scope.id().to_string();
    let runtime = request
        .app_data::<web::Data<Runtime>>()
        .map_or_else(Runtime::current, |runtime| runtime.get_ref().clone());
    let in_chain = scope.run(next.call(request));
    // Tracked, so a graceful shutdown waits for the request and, at its
    // deadline, drops it (its executions say so in their lines).
    let mut response = match runtime.track(runtime.scope(in_chain)).await {
        Ok(response) => response?,
        Err(Interrupted) => return Err(interrupted(xid, cid)),
    };
    let headers = response.headers_mut();
    for (name, value) in [(X_REQUEST_ID, xid), (X_CHAIN_ID, cid)] {
        if let Ok(value) = HeaderValue::try_from(value) {
            headers.insert(name, value);
        }
    }
    Ok(response)
}

/// The answer to a request dropped at the shutdown deadline: `503`, its
/// outcome unknown; the ledger says which executions were interrupted.
fn interrupted(xid: String, cid: String) -> Error {
    let mut response = HttpResponse::ServiceUnavailable();
    for (name, value) in [(X_REQUEST_ID, xid), (X_CHAIN_ID, cid)] {
        if let Ok(value) = HeaderValue::try_from(value) {
            response.insert_header((name, value));
        }
    }
    actix_web::error::InternalError::from_response(cmdx::Interrupted, response.finish()).into()
}

/// The response helper: a rendered [`Reply`] or [`Problem`] as an actix answer.
fn respond(rendered: Rendered) -> HttpResponse {
    let status = StatusCode::from_u16(rendered.status().as_u16())
        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = HttpResponse::build(status);
    if let Some(content_type) = rendered.content_type() {
        response.content_type(content_type);
    }
    response.body(rendered.into_body())
}

async fn receive_stock(body: web::Json<Value>) -> HttpResponse {
    let body = body.into_inner();
    let sku = body["sku"].clone();
    let outcome = ReceiveStock::execute_json(body).await;
    let reply = Reply::new(outcome).statuses(&super::statuses());
    respond(
        reply
            .map(|available| super::received(&sku, available))
            .render(),
    )
}

async fn process_order(body: web::Json<Value>) -> HttpResponse {
    match cmdx_axum::to_completion(ProcessOrder::execute_json(body.into_inner())).await {
        Ok(outcome) => respond(Reply::new(outcome).statuses(&super::statuses()).render()),
        Err(problem) => respond(problem.render()),
    }
}

async fn product(inventory: web::Data<Inventory>, sku: web::Path<String>) -> HttpResponse {
    let problem = |status, detail: String| {
        let problem = Problem::new(status).detail(detail);
        let problem = match cmdx::current_chain_id() {
            Some(cid) => problem.cid(cid),
            None => problem,
        };
        respond(problem.render())
    };
    match inventory.product(&sku).await {
        Ok(Some(product)) => HttpResponse::Ok().json(product),
        Ok(None) => problem(
            http::StatusCode::NOT_FOUND,
            format!("No product has SKU `{sku}`."),
        ),
        Err(error) => {
            tracing::error!(%error, sku = sku.as_str(), "reading a product failed");
            problem(
                http::StatusCode::INTERNAL_SERVER_ERROR,
                "The product could not be read.".to_owned(),
            )
        }
    }
}
