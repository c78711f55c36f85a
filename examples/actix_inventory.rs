//! The inventory over HTTP with actix-web: the same endpoints and answers
//! as `axum_inventory`, one chain per request, ledger on stdout. Each actix
//! worker runs its own current-thread tokio runtime; chains and spans work
//! there too (the chain rides on each request's future).
//!
//! `CMDX_ADDR=127.0.0.1:3001 cargo run -q --example actix_inventory > ledger.ndjson`
//! Stops gracefully on SIGTERM or SIGINT (Ctrl-C) within
//! `CMDX_SHUTDOWN_TIMEOUT_MS` (5000 by default): see
//! `cmdx_examples::http::shutdown`. With `OTEL_EXPORTER_OTLP_ENDPOINT` set,
//! spans are exported. The database and the limits on slow clients are set
//! by the same environment variables as `axum_inventory`.

use cmdx_examples::http::{self, shutdown::Shutdown, testing};
use cmdx_examples::inventory::Inventory;

#[actix_web::main]
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
    let (server, addrs) =
        http::actix::server_with(runtime, inventory, &addr, 2, limits).map_err(|error| {
            format!("cannot listen on {addr} ({error}); set CMDX_ADDR to a free address")
        })?;
    eprintln!("# inventory API (actix-web) on http://{}", addrs[0]);
    let handle = server.handle();
    actix_web::rt::spawn(async move {
        stop.await;
        handle.stop(true).await;
    });
    if let Some(served) = shutdown.bounded(server).await {
        served?;
    }
    shutdown.finish(telemetry).await?;
    Ok(())
}
