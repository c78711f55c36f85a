//! The checkout tasks: each does one thing and knows how to undo it.

use super::Payments;
use crate::inventory::Inventory;
use cmdx::BoxError;
use cmdx::prelude::*;

/// Reserves stock for the order; its compensation releases it.
#[derive(Debug, Clone, Serialize, Deserialize, Validate)]
pub struct ReserveInventory {
    /// The product.
    #[garde(length(min = 1))]
    pub sku: String,
    /// Units ordered.
    #[garde(range(min = 1))]
    pub quantity: i64,
    /// The order.
    #[garde(range(min = 1))]
    pub order_id: i64,
}

impl Task for ReserveInventory {
    type Output = ();

    fn name() -> &'static str {
        "Checkout::ReserveInventory"
    }

    async fn work(&self, cx: &mut Cx) -> Result<(), Halt> {
        if !cx
            .resource::<Inventory>()?
            .reserve(&self.sku, self.quantity)
            .await?
        {
            fail!("Insufficient stock", code = "out_of_stock", sku = self.sku);
        }
        Ok(())
    }

    async fn rollback(&self, cx: &mut Cx) -> Result<(), BoxError> {
        // A failed reservation changed nothing; a completed one is released.
        if cx.is_compensating() {
            cx.resource::<Inventory>()?
                .release(&self.sku, self.quantity)
                .await?;
        }
        Ok(())
    }
}

/// What a charge leaves in the workflow's context.
#[derive(Debug, Clone, Serialize)]
pub struct Charged {
    /// The charge, for the confirmation and the refund.
    pub charge_id: i64,
}

/// Charges the customer's account; its compensation refunds the order.
#[derive(Debug, Clone, Serialize, Deserialize, Validate)]
pub struct ChargeCard {
    /// The paying account.
    #[garde(range(min = 1))]
    pub account_id: i64,
    /// The amount, in cents.
    #[garde(range(min = 1))]
    pub amount_cents: i64,
    /// The order.
    #[garde(range(min = 1))]
    pub order_id: i64,
}

impl Task for ChargeCard {
    type Output = Charged;

    fn name() -> &'static str {
        "Checkout::ChargeCard"
    }

    async fn work(&self, cx: &mut Cx) -> Result<Charged, Halt> {
        let payments = cx.resource::<Payments>()?;
        match payments
            .charge(self.account_id, self.order_id, self.amount_cents)
            .await?
        {
            Some(charge_id) => Ok(Charged { charge_id }),
            None => fail!(
                "Insufficient funds",
                code = "insufficient_funds",
                account_id = self.account_id
            ),
        }
    }

    async fn rollback(&self, cx: &mut Cx) -> Result<(), BoxError> {
        if cx.is_compensating() {
            cx.resource::<Payments>()?
                .refund_order(self.order_id)
                .await?;
        }
        Ok(())
    }
}

/// Emails the order confirmation; fails with code `email_bounced` for a
/// mailbox at `bounce.example` (the demo's unreachable mail server).
#[derive(Debug, Clone, Serialize, Deserialize, Validate)]
pub struct SendConfirmation {
    /// Where to send it.
    #[garde(length(min = 3))]
    pub email: String,
    /// The order.
    #[garde(range(min = 1))]
    pub order_id: i64,
    /// The charge, written by `Checkout::ChargeCard`.
    #[garde(range(min = 1))]
    pub charge_id: i64,
}

impl Task for SendConfirmation {
    type Output = ();

    fn name() -> &'static str {
        "Checkout::SendConfirmation"
    }

    async fn work(&self, cx: &mut Cx) -> Result<(), Halt> {
        if self.email.ends_with("@bounce.example") {
            fail!(
                "Mailbox unavailable",
                code = "email_bounced",
                email = self.email
            );
        }
        cx.resource::<Payments>()?
            .enqueue("email", &self.email, self.order_id)
            .await?;
        Ok(())
    }
}

/// Emails a receipt; its compensation takes it out of the outbox.
#[derive(Debug, Clone, Serialize, Deserialize, Validate)]
pub struct EmailReceipt {
    /// Where to send it.
    #[garde(length(min = 3))]
    pub email: String,
    /// The order.
    #[garde(range(min = 1))]
    pub order_id: i64,
}

impl Task for EmailReceipt {
    type Output = ();

    fn name() -> &'static str {
        "Checkout::EmailReceipt"
    }

    async fn work(&self, cx: &mut Cx) -> Result<(), Halt> {
        cx.resource::<Payments>()?
            .enqueue("email", &self.email, self.order_id)
            .await?;
        Ok(())
    }

    async fn rollback(&self, cx: &mut Cx) -> Result<(), BoxError> {
        if cx.is_compensating() {
            cx.resource::<Payments>()?
                .dequeue("email", self.order_id)
                .await?;
        }
        Ok(())
    }
}

/// Texts a receipt; needs a phone number of at least 7 characters.
#[derive(Debug, Clone, Serialize, Deserialize, Validate)]
pub struct TextReceipt {
    /// Where to send it.
    #[garde(length(min = 7))]
    pub phone: String,
    /// The order.
    #[garde(range(min = 1))]
    pub order_id: i64,
}

impl Task for TextReceipt {
    type Output = ();

    fn name() -> &'static str {
        "Checkout::TextReceipt"
    }

    async fn work(&self, cx: &mut Cx) -> Result<(), Halt> {
        cx.resource::<Payments>()?
            .enqueue("sms", &self.phone, self.order_id)
            .await?;
        Ok(())
    }

    async fn rollback(&self, cx: &mut Cx) -> Result<(), BoxError> {
        if cx.is_compensating() {
            cx.resource::<Payments>()?
                .dequeue("sms", self.order_id)
                .await?;
        }
        Ok(())
    }
}

/// Tells the warehouse to pick the order; its compensation takes the
/// notice out of the outbox.
#[derive(Debug, Clone, Serialize, Deserialize, Validate)]
pub struct NotifyWarehouse {
    /// The product.
    #[garde(length(min = 1))]
    pub sku: String,
    /// The order.
    #[garde(range(min = 1))]
    pub order_id: i64,
}

impl Task for NotifyWarehouse {
    type Output = ();

    fn name() -> &'static str {
        "Checkout::NotifyWarehouse"
    }

    async fn work(&self, cx: &mut Cx) -> Result<(), Halt> {
        cx.resource::<Payments>()?
            .enqueue("warehouse", &self.sku, self.order_id)
            .await?;
        Ok(())
    }

    async fn rollback(&self, cx: &mut Cx) -> Result<(), BoxError> {
        if cx.is_compensating() {
            cx.resource::<Payments>()?
                .dequeue("warehouse", self.order_id)
                .await?;
        }
        Ok(())
    }
}
