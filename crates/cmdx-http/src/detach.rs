//! [`to_completion`]: run-to-completion mode for work a client may abandon.

use crate::problem::Problem;
use http::StatusCode;
use std::future::Future;

/// Runs `work` (typically `task.execute()`) in a detached tokio task through
/// [`cmdx::spawn`] — which keeps the current chain, runtime and span — and
/// awaits it.
///
/// If the client disconnects, the server (axum, actix-web) drops the
/// handler's future, and with it
/// only the wait: `work` goes on, finishes, and writes its normal ledger
/// line (in the request's chain, with its `xid`). Use it for work that must
/// not stop half-way, where the default (the execution is dropped at its
/// current `.await` and recorded as `cancelled`) is wrong.
///
/// `Err` only when the detached task did not finish: `503` when the tokio
/// runtime shut down, `500` when `work` panicked (an execution catches its
/// own panics, so this only happens for other futures).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use cmdx::prelude::*;
/// use cmdx_http::{Problem, Reply};
///
/// #[derive(Debug, Serialize, Deserialize, Validate)]
/// struct ChargeCard {
///     #[garde(range(min = 1))]
///     cents: i64,
/// }
/// impl Task for ChargeCard {
///     type Output = ();
///     fn name() -> &'static str { "Billing::ChargeCard" }
///     async fn work(&self, _: &mut Cx) -> Result<(), Halt> { Ok(()) }
/// }
///
/// async fn charge() -> Result<Reply<()>, Problem> {
///     let outcome = cmdx_http::to_completion(ChargeCard { cents: 500 }.execute()).await?;
///     Ok(Reply::new(outcome))
/// }
/// # cmdx::Runtime::builder().ledger(cmdx::Ledger::off()).build().scope(async {
/// assert_eq!(charge().await.unwrap().render().status(), http::StatusCode::NO_CONTENT);
/// # }).await;
/// # }
/// ```
pub async fn to_completion<F>(work: F) -> Result<F::Output, Problem>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let cid = cmdx::current_chain_id();
    let problem = |status: StatusCode, detail: &str| {
        let problem = Problem::new(status).detail(detail);
        match cid {
            Some(cid) => problem.cid(cid),
            None => problem,
        }
    };
    match cmdx::spawn(work).await {
        Ok(output) => Ok(output),
        Err(error) if error.is_panic() => {
            tracing::error!(%error, "work run to completion panicked");
            Err(problem(
                StatusCode::INTERNAL_SERVER_ERROR,
                "The request could not be completed.",
            ))
        }
        Err(_) => Err(problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "The server is shutting down; retry the request.",
        )),
    }
}
