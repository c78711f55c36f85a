//! Where the HTTP answers read a failed record: its failure code and its
//! invalid fields. The only two places that know the ledger's layout.

use cmdx::Record;
use serde_json::{Map, Value};

/// The failure (or skip) code of `record`: what a [`StatusMap`] maps to a
/// status, `code` in a [`Problem`]. `fail!(.., code = "out_of_stock")`,
/// `Halt::code`, and the framework's own codes (`invalid_input`,
/// `timeout`, …).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use cmdx::prelude::*;
///
/// #[derive(Debug, Serialize, Deserialize, Validate)]
/// struct Reserve {}
/// impl Task for Reserve {
///     type Output = ();
///     fn name() -> &'static str { "Inventory::Reserve" }
///     async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
///         fail!("Insufficient stock", code = "out_of_stock");
///     }
/// }
///
/// # cmdx::Runtime::builder().ledger(cmdx::Ledger::off()).build().scope(async {
/// let outcome = Reserve {}.execute().await;
/// assert_eq!(cmdx_http::failure_code(outcome.record()), Some("out_of_stock"));
/// # }).await;
/// # }
/// ```
///
/// [`StatusMap`]: crate::StatusMap
/// [`Problem`]: crate::Problem
pub fn failure_code(record: &Record) -> Option<&str> {
    record.code.as_deref()
}

/// The invalid fields of a record that failed with `invalid_input`: field
/// → messages (`fields` in a `422` [`Problem`](crate::Problem)).
pub(crate) fn field_errors(record: &Record) -> Option<&Map<String, Value>> {
    record.errors.as_ref()
}
