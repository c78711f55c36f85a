//! The inventory over HTTP with axum: `POST /stock/receive`, `POST /orders`,
//! `GET /products/{sku}` on SQLite, one chain per request, ledger on stdout.
//!
//! `CMDX_ADDR=127.0.0.1:3000 cargo run -q --example axum_inventory > ledger.ndjson`
//! then, in another shell, the curl calls of `crates/cmdx-axum/README.md`.
//! Stops on Ctrl-C. With `OTEL_EXPORTER_OTLP_ENDPOINT` set, spans are
//! exported (see `examples/jaeger/README.md`), and a request carrying a
//! `traceparent` header continues the caller's trace.
//!
//! The database is a SQLite file: `CMDX_DB` names it (kept), else a
//! temporary one; `CMDX_DB_BUSY_TIMEOUT_MS` bounds the wait for its write
//! lock. Slow clients are bounded by `CMDX_HEADER_TIMEOUT_MS`,
//! `CMDX_BODY_TIMEOUT_MS` and `CMDX_MAX_CONNECTIONS` (see
//! `cmdx_examples::http::Limits`).

use cmdx_examples::{http, inventory::Inventory};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr = std::env::var("CMDX_ADDR").unwrap_or_else(|_| "127.0.0.1:3000".to_owned());
    let limits = http::Limits::from_env()?;
    let telemetry = cmdx_telemetry::init()?;
    let inventory = Inventory::from_env().await?;
    let runtime = telemetry.runtime().with_resource(inventory.clone());
    let listener = tokio::net::TcpListener::bind(&addr)
        .await
        .map_err(|error| {
            format!("cannot listen on {addr} ({error}); set CMDX_ADDR to a free address")
        })?;
    eprintln!(
        "# inventory API (axum) on http://{}",
        listener.local_addr()?
    );
    let app = http::router_with(runtime, inventory, limits);
    http::serve(listener, app, limits, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await;
    telemetry.shutdown().await?;
    Ok(())
}
