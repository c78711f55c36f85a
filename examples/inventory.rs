//! The article's inventory story on embedded SQLite, as a ledger.
//!
//! `cargo run -q --example inventory > ledger.ndjson` — stdout carries only
//! ledger lines (one per execution); the narration goes to stderr.

use cmdx::Runtime;
use cmdx_examples::inventory::{Inventory, story};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let inventory = Inventory::in_memory().await?;
    let runtime = Runtime::builder().resource(inventory.clone()).build();
    runtime.scope(story(&inventory)).await
}
