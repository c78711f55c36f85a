//! The inventory API on actix-web: the same endpoints and answers as the
//! axum [`router`](super::router), with the chain middleware and the
//! response helper written here (they are a page: no `cmdx-actix` crate).
//!
//! actix-web runs each worker on its own current-thread tokio runtime.
//! Chains are carried by a tokio task-local set around each request's
//! future, so they work there as on axum's multi-thread runtime; spans are
//! entered by that same future (`tracing` follows the future, not the
//! thread).
//!
//! Parity with axum: writes run to completion through
//! [`cmdx_axum::to_completion`]; a body that is not JSON, too large or too
//! slow answers the same problem documents (with the chain id) as the axum
//! router; a wrong method answers `405`.

use super::Limits;
use crate::inventory::{Inventory, ProcessOrder, ReceiveStock};
use actix_web::body::MessageBody;
use actix_web::dev::{Server, ServiceRequest, ServiceResponse};
use actix_web::http::KeepAlive;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::{Next, from_fn};
use actix_web::{App, Error, HttpRequest, HttpResponse, HttpServer, web};
use cmdx::{ChainScope, Interrupted, Runtime, TaskExt};
use cmdx_axum::{Problem, Rendered, Reply};
use serde_json::Value;
use std::net::SocketAddr;

const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
const X_CHAIN_ID: HeaderName = HeaderName::from_static("x-chain-id");

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
/// for idle connections), a body within `body_timeout` (`408`); each
/// worker serves at most `max_connections / workers` connections (rounded
/// up) and stops accepting while it does.
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
            .app_data(web::Data::new(runtime.clone()))
            .app_data(web::Data::new(inventory.clone()))
            .app_data(web::Data::new(limits))
            .wrap(from_fn(chain_per_request))
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
    if let Some(seconds) = rendered.retry_after() {
        response.insert_header((header::RETRY_AFTER, seconds));
    }
    response.body(rendered.into_body())
}

/// The JSON body, read as the axum router reads it: whole (up to the same
/// limit) within `body_timeout`, then `Content-Type` checked, then parsed;
/// the same problem documents when one step fails.
async fn read_json(
    request: &HttpRequest,
    payload: web::Payload,
    limits: &Limits,
) -> Result<Value, Problem> {
    let cid = cmdx::current_chain_id();
    let reading = payload.to_bytes_limited(super::BODY_LIMIT);
    let bytes = match tokio::time::timeout(limits.body_timeout, reading).await {
        Err(_) => return Err(super::body_timeout(cid)),
        Ok(Err(_too_large)) => {
            return Err(super::unreadable_body(
                http::StatusCode::PAYLOAD_TOO_LARGE,
                cid,
            ));
        }
        Ok(Ok(Err(_broken))) => {
            return Err(super::unreadable_body(http::StatusCode::BAD_REQUEST, cid));
        }
        Ok(Ok(Ok(bytes))) => bytes,
    };
    if !json_content_type(request) {
        return Err(super::with_cid(
            Problem::new(http::StatusCode::UNSUPPORTED_MEDIA_TYPE)
                .code("unsupported_media_type")
                .detail("Expected request with `Content-Type: application/json`"),
            cid,
        ));
    }
    serde_json::from_slice(&bytes).map_err(|error| {
        super::with_cid(
            Problem::new(http::StatusCode::BAD_REQUEST)
                .code("invalid_json")
                .detail(format!("Failed to parse the request body as JSON: {error}")),
            cid,
        )
    })
}

/// `application/json` or `application/…+json`, as axum's `Json` accepts.
fn json_content_type(request: &HttpRequest) -> bool {
    let Some(value) = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
    else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match essence.strip_prefix("application/") {
        Some(subtype) => subtype == "json" || subtype.ends_with("+json"),
        None => false,
    }
}

/// A write, run to completion: a client that hangs up never stops it.
async fn receive_stock(
    request: HttpRequest,
    payload: web::Payload,
    limits: web::Data<Limits>,
) -> HttpResponse {
    let body = match read_json(&request, payload, &limits).await {
        Ok(body) => body,
        Err(problem) => return respond(problem.render()),
    };
    let sku = body["sku"].clone();
    let reply = match cmdx_axum::to_completion(ReceiveStock::execute_json(body)).await {
        Ok(outcome) => Reply::new(outcome).statuses(&super::statuses()),
        Err(problem) => Reply::from(problem),
    };
    respond(
        reply
            .map(|available| super::received(&sku, available))
            .render(),
    )
}

/// A write, run to completion: a client that gives up must not leave an
/// order reserved and never fulfilled.
async fn process_order(
    request: HttpRequest,
    payload: web::Payload,
    limits: web::Data<Limits>,
) -> HttpResponse {
    let body = match read_json(&request, payload, &limits).await {
        Ok(body) => body,
        Err(problem) => return respond(problem.render()),
    };
    match cmdx_axum::to_completion(ProcessOrder::execute_json(body)).await {
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
