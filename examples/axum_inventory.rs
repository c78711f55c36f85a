//! The inventory over HTTP with axum: `POST /stock/receive`, `POST /orders`,
//! `GET /products/{sku}` on SQLite, one chain per request, ledger on stdout.
//!
//! `CMDX_ADDR=127.0.0.1:3000 cargo run -q --example axum_inventory > ledger.ndjson`
//! then, in another shell, the curl calls of `crates/cmdx-axum/README.md`.
//! Stops on Ctrl-C. With `OTEL_EXPORTER_OTLP_ENDPOINT` set, spans are
//! exported (see `examples/jaeger/README.md`), and a request carrying a
//! `traceparent` header continues the caller's trace.

use cmdx_examples::{http, inventory::Inventory};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr = std::env::var("CMDX_ADDR").unwrap_or_else(|_| "127.0.0.1:3000".to_owned());
    let telemetry = cmdx_telemetry::init()?;
    let inventory = Inventory::in_memory().await?;
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
    axum::serve(listener, http::router(runtime, inventory))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    telemetry.shutdown().await?;
    Ok(())
}
