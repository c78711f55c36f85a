//! The article's inventory story on embedded SQLite, as a ledger.
//!
//! `cargo run -q --example inventory > ledger.ndjson` — stdout carries only
//! ledger lines (one per execution); the narration goes to stderr.
//!
//! `--ledger-db PATH` also writes every line to a SQLite ledger at `PATH`
//! (created if missing, appended to otherwise), sealed for tamper
//! evidence; then ask it the article's support question:
//! `cargo run -q -p cmdx-cli -- ledger timeline --db sqlite:PATH --where sku=SKU-1234`.
//! `CMDX_LEDGER_DB=sqlite:PATH` (or `postgres://…`) does the same, and the
//! `cmdx` CLI reads the same variable when given no file
//! (see `docs/durable-ledger.md`).
//!
//! With `OTEL_EXPORTER_OTLP_ENDPOINT` set, every execution is also exported
//! as a span and a log record, and each ledger line carries its `trace_id` /
//! `span_id` (see `examples/jaeger/README.md`).

use cmdx::Ledger;
use cmdx_examples::inventory::{Inventory, story};
use std::path::PathBuf;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let ledger = match ledger_db()? {
        Some(Db::Path(path)) => Ledger::tee(Ledger::stdout(), Ledger::sqlite(&path)?),
        Some(Db::Url(url)) => Ledger::tee(Ledger::stdout(), Ledger::database(&url)?),
        None => Ledger::stdout(),
    };
    let telemetry = cmdx_telemetry::Telemetry::builder().ledger(ledger).init()?;
    let inventory = Inventory::in_memory().await?;
    let runtime = telemetry.runtime().with_resource(inventory.clone());
    runtime.scope(story(&inventory)).await?;
    telemetry.shutdown().await?;
    Ok(())
}

/// Where the ledger is also stored.
enum Db {
    /// `--ledger-db PATH`: a SQLite file.
    Path(PathBuf),
    /// `CMDX_LEDGER_DB`: `sqlite:PATH` or `postgres://…`.
    Url(String),
}

/// `--ledger-db PATH`, else `CMDX_LEDGER_DB`; any other argument is an error.
fn ledger_db() -> Result<Option<Db>, String> {
    let mut args = std::env::args().skip(1);
    match (args.next().as_deref(), args.next(), args.next()) {
        (None, ..) => Ok(std::env::var("CMDX_LEDGER_DB").ok().map(Db::Url)),
        (Some("--ledger-db"), Some(path), None) => Ok(Some(Db::Path(PathBuf::from(path)))),
        _ => Err("usage: inventory [--ledger-db PATH]  (or CMDX_LEDGER_DB=sqlite:PATH)".into()),
    }
}
