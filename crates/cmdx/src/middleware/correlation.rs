//! [`Correlation`]: the chain's external id from a closure.

use super::{Call, Done, Middleware, Next};
use crate::Halt;
use std::fmt;

/// Sets the chain's external correlation id (`xid`) from a closure, once
/// per chain: the first execution of a chain without an `xid` calls it;
/// nested executions, and chains opened with an `xid`
/// ([`ChainScope::xid`](crate::ChainScope::xid)), keep theirs. `None` leaves
/// the `xid` unset.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use cmdx::prelude::*;
/// use cmdx::middleware::Correlation;
/// use cmdx::{Ledger, Runtime};
///
/// #[derive(Debug, Serialize, Deserialize, Validate)]
/// struct Ping {}
/// impl Task for Ping {
///     type Output = ();
///     fn name() -> &'static str {
///         "Ping"
///     }
///     async fn work(&self, _: &mut Cx) -> Result<(), Halt> { Ok(()) }
/// }
///
/// let runtime = Runtime::builder()
///     .ledger(Ledger::off())
///     .layer(Correlation::new(|_call| Some("req-7".to_owned())))
///     .build();
/// let outcome = runtime.scope(Ping {}.execute()).await;
/// assert_eq!(outcome.record().xid.as_deref(), Some("req-7"));
/// # }
/// ```
pub struct Correlation<F> {
    xid: F,
}

impl<F> Correlation<F>
where
    F: Fn(&Call) -> Option<String> + Send + Sync + 'static,
{
    /// Takes the `xid` from `xid(call)`.
    pub fn new(xid: F) -> Self {
        Self { xid }
    }
}

impl<F> Middleware for Correlation<F>
where
    F: Fn(&Call) -> Option<String> + Send + Sync + 'static,
{
    async fn call(&self, mut call: Call, next: Next) -> Result<Done, Halt> {
        if call.xid().is_none()
            && let Some(xid) = (self.xid)(&call)
        {
            call.set_xid(xid);
        }
        Ok(next.run(call).await)
    }
}

impl<F> fmt::Debug for Correlation<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Correlation")
    }
}
