//! Workflows on embedded SQLite, as a ledger.
//!
//! `cargo run -q --example workflow > ledger.ndjson` — stdout carries only
//! ledger lines (one per execution, one per compensation); the narration
//! goes to stderr.
//!
//! 1. `Inventory::ProcessOrder` as a typed workflow (a [`Flow`] over a
//!    validated input struct) of ReserveStock + FulfillStock.
//! 2. `Checkout::PlaceOrder` where the confirmation bounces: ChargeCard then
//!    ReserveInventory are compensated, and stock and balance are restored.
//! 3. `Checkout::NotifyCustomer`: three notifications in parallel with
//!    `continue_on_failure`; one fails and is listed.
//!
//! With `OTEL_EXPORTER_OTLP_ENDPOINT` set, the spans go to Jaeger too
//! (`examples/jaeger/README.md`): the saga is one trace, its compensations
//! linked to the steps they undo.

use cmdx::WorkflowOutcomeExt;
use cmdx::prelude::*;
use cmdx_examples::checkout::{self, Payments};
use cmdx_examples::inventory::{self, Inventory, ReceiveStock};
use serde_json::json;

type Error = Box<dyn std::error::Error>;

/// The input of `Inventory::ProcessOrder`, validated before its first step;
/// its fields seed the context the steps read.
#[derive(Debug, Serialize, Deserialize, Validate)]
struct ProcessOrder {
    #[garde(length(min = 1))]
    sku: String,
    #[garde(range(min = 1))]
    quantity: i64,
    #[garde(range(min = 1))]
    order_id: i64,
    #[garde(range(min = 1))]
    warehouse_id: i64,
}

impl Flow for ProcessOrder {
    fn name() -> &'static str {
        "Inventory::ProcessOrder"
    }
    fn workflow() -> Workflow {
        inventory::process_order_workflow()
    }
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let telemetry = cmdx_telemetry::init()?;
    let inventory = Inventory::in_memory().await?;
    let payments = Payments::on(inventory.pool().clone()).await?;
    let runtime = telemetry
        .runtime()
        .with_resource(inventory.clone())
        .with_resource(payments.clone());
    runtime.scope(story(&inventory, &payments)).await?;
    telemetry.shutdown().await?;
    Ok(())
}

async fn story(inventory: &Inventory, payments: &Payments) -> Result<(), Error> {
    let sku = "SKU-5678";
    eprintln!("# A shipment of 40 {sku} arrives at warehouse 2");
    let received = ReceiveStock {
        sku: sku.into(),
        quantity: 40,
        warehouse_id: 2,
    }
    .execute()
    .await;
    report(&received);

    eprintln!("# (1) Inventory::ProcessOrder as a workflow: reserve 5, then fulfill");
    let order = ProcessOrder {
        sku: sku.into(),
        quantity: 5,
        order_id: 301,
        warehouse_id: 2,
    }
    .execute()
    .await;
    report(&order);
    print_chain(&order);

    payments
        .open_account(7, "ada@bounce.example", 10_000)
        .await?;
    let before = snapshot(inventory, payments, sku).await?;
    eprintln!(
        "# (2) Checkout::PlaceOrder for account 7 (balance {} cents, {sku} available {}); \
         the confirmation email bounces",
        before.1, before.0
    );
    // As an HTTP handler would: one chain for the request, its id as `xid`.
    let checkout = cmdx::ChainScope::new()
        .xid("req-checkout-401")
        .run(checkout::place_order().execute_json(json!({
            "sku": sku, "quantity": 3, "order_id": 401,
            "account_id": 7, "amount_cents": 4_500, "email": "ada@bounce.example",
        })))
        .await;
    report(&checkout);
    print_chain(&checkout);
    let after = snapshot(inventory, payments, sku).await?;
    eprintln!(
        "#   database after compensation: {sku} available {} (was {}), balance {} cents (was {})",
        after.0, before.0, after.1, before.1
    );
    if after != before {
        return Err("compensation did not restore stock and balance".into());
    }

    eprintln!(
        "# (3) Checkout::NotifyCustomer: email, SMS and warehouse at once; the phone is missing"
    );
    let notify = checkout::notify_customer()
        .execute_json(json!({"sku": sku, "order_id": 301, "email": "ada@example.com", "phone": ""}))
        .await;
    report(&notify);
    for failure in notify.failures() {
        eprintln!(
            "#   failed: {} (index {}): {}",
            failure.task,
            failure.index,
            failure.reason.as_deref().unwrap_or("no reason")
        );
    }
    if let Some(errors) = notify.field_errors() {
        eprintln!("#   errors {}", serde_json::Value::Object(errors.clone()));
    }
    eprintln!(
        "#   notifications queued for order 301 after compensation: {}",
        payments.outbox_count(301).await?
    );
    Ok(())
}

/// (available stock, account balance)
async fn snapshot(
    inventory: &Inventory,
    payments: &Payments,
    sku: &str,
) -> Result<(i64, i64), Error> {
    let product = inventory
        .product(sku)
        .await?
        .ok_or("the product disappeared")?;
    let balance = payments
        .balance(7)
        .await?
        .ok_or("the account disappeared")?;
    Ok((product.available_quantity, balance))
}

fn report<T>(outcome: &Outcome<T>) {
    let reason = outcome
        .reason()
        .map(|r| format!(": {r}"))
        .unwrap_or_default();
    eprintln!("#   -> {} {}{reason}", outcome.task(), outcome.status());
    if let Some(cause) = outcome.caused_failure() {
        eprintln!("#      caused by {} (index {})", cause.task, cause.index);
    }
    for failure in outcome.compensation_failures() {
        eprintln!(
            "#      compensation of {} failed: {:?}",
            failure.task, failure.reason
        );
    }
}

fn print_chain<T>(outcome: &Outcome<T>) {
    let Some(chain) = outcome.chain() else { return };
    for record in chain.records() {
        eprintln!(
            "#   index {} {:<8} {:<28} {}{}",
            record.index,
            record.kind,
            record.task,
            record.status,
            record
                .compensates
                .map(|tid| format!(" (compensates {tid})"))
                .unwrap_or_default()
        );
    }
}
