//! [`spawn`]: `tokio::spawn` that keeps the chain and the span.

use crate::Runtime;
use crate::chain::scope;
use crate::shutdown::Abort;
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
///     fn name() -> &'static str {
///         "Child"
///     }
///     async fn work(&self, _: &mut Cx) -> Result<(), Halt> { Ok(()) }
/// }
///
/// #[derive(Debug, Serialize, Deserialize, Validate)]
/// struct Parent {}
/// impl Task for Parent {
///     type Output = uuid::Uuid;
///     fn name() -> &'static str {
///         "Parent"
///     }
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
/// The task is tracked by the runtime in effect (the chain's, else the
/// current one): [`Runtime::shutdown_timeout`] waits for it and, at its
/// deadline, aborts it — its executions then write `interrupted by
/// shutdown`, and the handle answers a cancelled `JoinError`. Spawned after
/// that deadline, the task is aborted before it runs.
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
    let scope = scope::current();
    let runtime = scope
        .as_ref()
        .map_or_else(Runtime::current, |scope| scope.runtime().clone());
    let registration = runtime.register(Abort::NotYet);
    let id = registration.clone_handle();
    // The registration leaves the set after `fut` is dropped (its lines
    // written): it is declared first.
    let tracked = async move {
        let _registration = registration;
        if runtime.is_interrupting() {
            // Past the shutdown deadline: never run (the task is aborted).
            std::future::pending::<()>().await;
        }
        fut.await
    };
    // Events of the spawned work belong to the execution that spawned it.
    let tracked = crate::logs::scope::carry(tracked);
    let handle = match scope {
        Some(scope) => tokio::spawn(scope::enter(scope, tracked).instrument(span)),
        None => tokio::spawn(tracked.instrument(span)),
    };
    id.arm(Abort::Task(handle.abort_handle()));
    handle
}
