//! [`spawn`]: `tokio::spawn` that keeps the chain and the span.

use super::scope;
use std::future::Future;
use tokio::task::JoinHandle;
use tracing::Instrument;

/// Spawns `fut` on the current tokio runtime, carrying the current chain
/// (and runtime) and the current `tracing` span into it — what
/// `tokio::spawn` does not do for task-locals.
///
/// Executions inside the spawned task join the chain of the execution that
/// called `spawn`, as its children, even if that execution has finished by
/// the time they start.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use cmdx::prelude::*;
/// use cmdx::{Ledger, Runtime};
///
/// #[derive(Debug, Serialize, Deserialize, Validate)]
/// struct Child {}
/// impl Task for Child {
///     type Output = ();
///     async fn work(&self, _: &mut Cx) -> Result<(), Halt> { Ok(()) }
/// }
///
/// #[derive(Debug, Serialize, Deserialize, Validate)]
/// struct Parent {}
/// impl Task for Parent {
///     type Output = uuid::Uuid;
///     async fn work(&self, _: &mut Cx) -> Result<uuid::Uuid, Halt> {
///         let child = cmdx::spawn(Child {}.execute()).await?;
///         Ok(child.chain_id())
///     }
/// }
///
/// let runtime = Runtime::builder().ledger(Ledger::off()).build();
/// let parent = runtime.scope(Parent {}.execute()).await;
/// assert_eq!(parent.value(), Some(&parent.chain_id()));
/// # }
/// ```
///
/// # Panics
///
/// Like `tokio::spawn`, when called outside a tokio runtime.
pub fn spawn<F>(fut: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let span = tracing::Span::current();
    match scope::current() {
        Some(scope) => tokio::spawn(scope::enter(scope, fut).instrument(span)),
        None => tokio::spawn(fut.instrument(span)),
    }
}
