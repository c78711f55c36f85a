//! Test-only additions to the HTTP examples, enabled by
//! `CMDX_TEST_ENDPOINTS=1` (never in production): a slow endpoint, and a
//! note on stderr for every execution that starts — so a test can drive
//! requests that are still running when a signal arrives, and count every
//! execution the server started against the ledger lines.
//!
//! `POST /test/sleep` `{"ms": 200, "detached": false}` runs
//! `Testing::Sleep` (it sleeps `ms` milliseconds, in two halves, each a
//! child `Testing::Nap`) in the request, or run to completion with
//! `"detached": true`; it answers `204`.

use cmdx::prelude::*;
use cmdx::{Event, EventKind, RuntimeBuilder};
use std::io::Write;
use std::time::Duration;

/// The variable that enables the test additions.
pub const ENABLE_VAR: &str = "CMDX_TEST_ENDPOINTS";

/// The prefix of the stderr note of each started execution:
/// `cmdx-started <tid>`.
pub const STARTED: &str = "cmdx-started ";

/// Whether [`ENABLE_VAR`] is `1`.
pub fn enabled() -> bool {
    std::env::var(ENABLE_VAR).is_ok_and(|value| value == "1")
}

/// Adds, when enabled, the subscriber that notes every started execution
/// on stderr.
pub fn observe(builder: RuntimeBuilder) -> RuntimeBuilder {
    if !enabled() {
        return builder;
    }
    builder.subscribe(|event: &Event<'_>| {
        if matches!(event.kind, EventKind::Started) {
            let _ = writeln!(std::io::stderr().lock(), "{STARTED}{}", event.tid);
        }
    })
}

/// Sleeps `ms` milliseconds, in two child naps.
#[derive(Debug, Serialize, Deserialize, Validate)]
pub struct Sleep {
    /// How long, in milliseconds.
    #[garde(range(max = 600_000))]
    pub ms: u64,
    /// Run to completion (detached) instead of in the request.
    #[garde(skip)]
    #[serde(default)]
    pub detached: bool,
}

impl Task for Sleep {
    type Output = ();

    fn name() -> &'static str {
        "Testing::Sleep"
    }

    async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
        for _ in 0..2 {
            Nap { ms: self.ms / 2 }.execute_strict().await?;
        }
        Ok(())
    }
}

/// Half of a [`Sleep`].
#[derive(Debug, Serialize, Deserialize, Validate)]
pub struct Nap {
    /// How long, in milliseconds.
    #[garde(skip)]
    pub ms: u64,
}

impl Task for Nap {
    type Output = ();

    fn name() -> &'static str {
        "Testing::Nap"
    }

    async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
        tokio::time::sleep(Duration::from_millis(self.ms)).await;
        Ok(())
    }
}

/// The `/test/sleep` route for axum, under its own chain layer (same
/// runtime), to merge into the app when [`enabled`].
pub fn axum_routes(runtime: cmdx::Runtime) -> axum::Router {
    use axum::routing::post;
    axum::Router::new()
        .route("/test/sleep", post(axum_sleep))
        .layer(cmdx_axum::ChainLayer::new().runtime(runtime))
}

async fn axum_sleep(
    axum::Json(sleep): axum::Json<Sleep>,
) -> Result<cmdx_axum::Reply<()>, cmdx_axum::Problem> {
    Ok(cmdx_axum::Reply::new(run(sleep).await?))
}

/// Runs the sleep in the request or to completion.
async fn run(sleep: Sleep) -> Result<cmdx::Outcome<()>, cmdx_axum::Problem> {
    if sleep.detached {
        cmdx_axum::to_completion(sleep.execute()).await
    } else {
        Ok(sleep.execute().await)
    }
}

/// The `/test/sleep` route for actix-web, when [`enabled`].
pub fn actix_routes(config: &mut actix_web::web::ServiceConfig) {
    use actix_web::web;
    if !enabled() {
        return;
    }
    async fn sleep(body: web::Json<Sleep>) -> Result<cmdx_actix::Reply<()>, cmdx_actix::Problem> {
        Ok(cmdx_actix::Reply::new(run(body.into_inner()).await?))
    }
    config.route("/test/sleep", web::post().to(sleep));
}
