//! The inventory over HTTP with axum: `POST /stock/receive`, `POST /orders`,
//! `GET /products/{sku}` on SQLite, one chain per request, ledger on stdout.
//!
//! `CMDX_ADDR=127.0.0.1:3000 cargo run -q --example axum_inventory > ledger.ndjson`
//! then, in another shell, the curl calls of `crates/cmdx-axum/README.md`.
//! With `OTEL_EXPORTER_OTLP_ENDPOINT` set, spans are exported (see
//! `examples/jaeger/README.md`), and a request carrying a `traceparent`
//! header continues the caller's trace.
//!
//! The database is a SQLite file: `CMDX_DB` names it (kept), else a
//! temporary one; `CMDX_DB_BUSY_TIMEOUT_MS` bounds the wait for its write
//! lock. Slow clients are bounded by `CMDX_HEADER_TIMEOUT_MS`,
//! `CMDX_BODY_TIMEOUT_MS` and `CMDX_MAX_CONNECTIONS` (see
//! `cmdx_examples::http::Limits`).
//!
//! SIGTERM or SIGINT (Ctrl-C) shut it down gracefully within
//! `CMDX_SHUTDOWN_TIMEOUT_MS` (5000 by default): see
//! `cmdx_examples::http::shutdown`.

use cmdx_examples::http::{self, shutdown::Shutdown, testing};
use cmdx_examples::inventory::Inventory;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr = std::env::var("CMDX_ADDR").unwrap_or_else(|_| "127.0.0.1:3000".to_owned());
    let timeout = http::shutdown::timeout_from_env()?;
    let limits = http::Limits::from_env()?;
    let telemetry = cmdx_telemetry::Telemetry::builder()
        .runtime(testing::observe)
        .shutdown_timeout(http::shutdown::flush_timeout(timeout))
        .init()?;
    let inventory = Inventory::from_env().await?;
    let runtime = telemetry.runtime().with_resource(inventory.clone());
    let shutdown = Shutdown::new(runtime.clone(), timeout);
    let stop = shutdown.signal();
    let listener = tokio::net::TcpListener::bind(&addr)
        .await
        .map_err(|error| {
            format!("cannot listen on {addr} ({error}); set CMDX_ADDR to a free address")
        })?;
    let mut app = http::router_with(runtime.clone(), inventory, limits);
    if testing::enabled() {
        app = app.merge(testing::axum_routes(runtime));
    }
    eprintln!(
        "# inventory API (axum) on http://{}",
        listener.local_addr()?
    );
    // `serve` drains connections without a bound; `bounded` adds it.
    let _ = shutdown
        .bounded(http::serve(listener, app, limits, stop))
        .await;
    shutdown.finish(telemetry).await?;
    Ok(())
}
