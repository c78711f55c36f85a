//! The article's inventory story on embedded SQLite, as a ledger.
//!
//! `cargo run -q --example inventory > ledger.ndjson` — stdout carries only
//! ledger lines (one per execution); the narration goes to stderr.
//!
//! With `OTEL_EXPORTER_OTLP_ENDPOINT` set, every execution is also exported
//! as a span, and each ledger line carries its `trace_id` / `span_id`
//! (see `examples/jaeger/README.md`).

use cmdx_examples::inventory::{Inventory, story};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let telemetry = cmdx_telemetry::init()?;
    let inventory = Inventory::in_memory().await?;
    let runtime = telemetry.runtime().with_resource(inventory.clone());
    runtime.scope(story(&inventory)).await?;
    telemetry.shutdown().await?;
    Ok(())
}
