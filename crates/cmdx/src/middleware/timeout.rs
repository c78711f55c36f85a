//! [`Timeout`]: a time limit on `work`.

use super::{Call, Done, Middleware, Next};
use crate::Halt;
use std::time::Duration;

/// Limits `work` — every attempt and every retry wait — to a duration
/// counted from when this layer runs. When it passes, `work` is dropped,
/// the outcome is failed with the reason `timed out after 250ms` and
/// `code = "timeout"`, the task's rollback runs, and the execution
/// writes exactly one line.
///
/// The limit is handed inward rather than enforced around `next`, so that
/// the rollback and the hooks still run after it expires; the tightest of
/// several limits (this layer's, another `Timeout`, the task's
/// [`Settings::timeout`](crate::Settings::timeout), the runtime's default)
/// wins. A hand-written `tokio::time::timeout(d, next.run(call))` also
/// works, but drops the rollback and hooks with the task.
///
/// ```
/// use cmdx::middleware::Timeout;
/// use std::time::Duration;
///
/// let runtime = cmdx::Runtime::builder().layer(Timeout::new(Duration::from_secs(5))).build();
/// # let _ = runtime;
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Timeout {
    limit: Duration,
}

impl Timeout {
    /// A limit of `limit`.
    pub fn new(limit: Duration) -> Self {
        Self { limit }
    }
}

impl Middleware for Timeout {
    async fn call(&self, mut call: Call, next: Next) -> Result<Done, Halt> {
        call.set_timeout(self.limit);
        Ok(next.run(call).await)
    }
}
