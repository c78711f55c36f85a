//! Checkout as a saga: `Checkout::PlaceOrder` reserves stock, charges the
//! customer and sends a confirmation; when a step fails, the completed ones
//! are compensated in reverse order. `Checkout::NotifyCustomer` sends three
//! notifications in parallel and reports every one that failed.

mod db;
mod tasks;

pub use db::Payments;
pub use tasks::{
    ChargeCard, Charged, EmailReceipt, NotifyWarehouse, ReserveInventory, SendConfirmation,
    TextReceipt,
};

use cmdx::{Group, Workflow};

/// `Checkout::PlaceOrder`: reserve, charge, confirm. Reads `sku`,
/// `quantity`, `order_id`, `account_id`, `amount_cents` and `email` from its
/// context; `ChargeCard` adds `charge_id`, which `SendConfirmation` reads.
pub fn place_order() -> Workflow {
    Workflow::new("Checkout::PlaceOrder")
        .step::<ReserveInventory>()
        .step::<ChargeCard>()
        .step::<SendConfirmation>()
}

/// `Checkout::NotifyCustomer`: email, text and warehouse notifications, all
/// three at once; every failure is collected instead of stopping the others.
pub fn notify_customer() -> Workflow {
    Workflow::new("Checkout::NotifyCustomer").group(
        Group::new()
            .task::<EmailReceipt>()
            .task::<TextReceipt>()
            .task::<NotifyWarehouse>()
            .parallel(3)
            .continue_on_failure(),
    )
}
