//! The inventory demo's script (`cargo run --example inventory`).

use super::{FulfillStock, Inventory, ProcessOrder, ReceiveStock, ReserveStock};
use cmdx::prelude::*;
use serde_json::json;

/// Plays the article's support-ticket story for `SKU-1234`, then a
/// task-in-task `ProcessOrder` chain for `SKU-5678`, then one invalid call.
/// Every execution writes its line to the current runtime's ledger; the
/// narration goes to stderr.
pub async fn story(inventory: &Inventory) -> Result<(), Box<dyn std::error::Error>> {
    let sku = "SKU-1234";
    eprintln!("# A shipment of 100 {sku} arrives at warehouse 1");
    report(
        ReceiveStock {
            sku: sku.into(),
            quantity: 100,
            warehouse_id: 1,
        }
        .execute()
        .await,
    );

    for (quantity, order_id) in [(50, 201), (30, 202), (20, 203)] {
        eprintln!("# Order {order_id} reserves {quantity}");
        report(
            ReserveStock {
                sku: sku.into(),
                quantity,
                order_id,
            }
            .execute()
            .await,
        );
    }

    eprintln!("# Order 201 ships from warehouse 1");
    report(
        FulfillStock {
            sku: sku.into(),
            quantity: 50,
            order_id: 201,
            warehouse_id: 1,
        }
        .execute()
        .await,
    );

    eprintln!("# Order 204 tries to reserve 10");
    report(
        ReserveStock {
            sku: sku.into(),
            quantity: 10,
            order_id: 204,
        }
        .execute()
        .await,
    );

    let product = inventory
        .product(sku)
        .await?
        .ok_or("SKU-1234 disappeared")?;
    eprintln!(
        "# {sku}: available {}, reserved {} — `cmdx ledger timeline --where sku={sku}` says why",
        product.available_quantity, product.reserved_quantity
    );

    let other = "SKU-5678";
    eprintln!(
        "# {other}: receive 40, then ProcessOrder awaits ReserveStock and FulfillStock (one chain)"
    );
    report(
        ReceiveStock {
            sku: other.into(),
            quantity: 40,
            warehouse_id: 2,
        }
        .execute()
        .await,
    );
    let order = ProcessOrder {
        sku: other.into(),
        quantity: 5,
        order_id: 301,
        warehouse_id: 2,
    }
    .execute()
    .await;
    report_ref(&order);
    if let Some(chain) = order.chain() {
        for record in chain.records() {
            eprintln!(
                "#   index {} {} {} (parent {:?})",
                record.index,
                record.task,
                record.status,
                record.parent.map(|p| p.to_string())
            );
        }
    }

    eprintln!("# An HTTP body with an empty sku and quantity \"0\": every field error at once");
    report(ReserveStock::execute_json(json!({"sku": "", "quantity": "0", "order_id": 205})).await);
    Ok(())
}

fn report<T>(outcome: Outcome<T>) {
    report_ref(&outcome);
}

fn report_ref<T>(outcome: &Outcome<T>) {
    let reason = outcome
        .reason()
        .map(|r| format!(": {r}"))
        .unwrap_or_default();
    eprintln!("#   -> {} {}{reason}", outcome.task(), outcome.status());
    if let Some(errors) = outcome.field_errors() {
        eprintln!(
            "#      errors {}",
            serde_json::Value::Object(errors.clone())
        );
    }
}
