//! Retries, timeouts, middleware and hooks, on in-process services.
//!
//! `cargo run --example resilience`: stdout carries the ledger lines only;
//! the failure count (from a global hook) and notes go to stderr.

use cmdx::middleware::{Call, Done, Middleware, Next};
use cmdx::prelude::*;
use cmdx::{Backoff, BoxError, HookCx, Hooks, Runtime};
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

/// A payment gateway that fails its first two calls, then works.
#[derive(Debug, Default)]
struct FlakyGateway {
    calls: AtomicU32,
}

impl FlakyGateway {
    async fn charge(&self, idempotency_key: &str, cents: i64) -> Result<String, GatewayError> {
        tokio::time::sleep(Duration::from_millis(5)).await;
        match self.calls.fetch_add(1, Ordering::SeqCst) {
            0 | 1 => Err(GatewayError::Unavailable),
            _ => Ok(format!("charged {cents} cents (key {idempotency_key})")),
        }
    }
}

/// The gateway's transient failure.
#[derive(Debug)]
enum GatewayError {
    Unavailable,
}

impl fmt::Display for GatewayError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("payment gateway unavailable (503)")
    }
}

impl std::error::Error for GatewayError {}

/// Charges a card through the flaky gateway: retried on `GatewayError`.
#[derive(Debug, Serialize, Deserialize, Validate)]
struct ChargeCard {
    #[garde(range(min = 1))]
    order_id: i64,
    #[garde(range(min = 1))]
    cents: i64,
    #[garde(skip)]
    card: Secret<String>,
}

impl Task for ChargeCard {
    type Output = String;
    const TAGS: &'static [&'static str] = &["payments"];

    fn name() -> &'static str {
        "Payments::ChargeCard"
    }

    fn settings() -> Settings {
        Settings::new().retry(
            RetryPolicy::on::<GatewayError>()
                .limit(3)
                .delay(Duration::from_millis(20))
                .backoff(Backoff::exponential()),
        )
    }

    async fn work(&self, cx: &mut Cx) -> Result<String, Halt> {
        let gateway = cx.resource::<Arc<FlakyGateway>>()?;
        // The same key on every attempt: the gateway can deduplicate.
        Ok(gateway.charge(&cx.idempotency_key(), self.cents).await?)
    }
}

/// Syncs the catalog from a service that is down for good: exhausts its
/// retries and fails, keeping the error chain as cause.
#[derive(Debug, Serialize, Deserialize, Validate)]
struct SyncCatalog {
    #[garde(length(min = 1))]
    source: String,
}

impl Task for SyncCatalog {
    type Output = ();

    fn name() -> &'static str {
        "Catalog::Sync"
    }

    fn settings() -> Settings {
        Settings::new().retry(
            RetryPolicy::on::<std::io::Error>()
                .limit(2)
                .delay(Duration::from_millis(10))
                .backoff(Backoff::half_random()),
        )
    }

    async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
        let refused =
            std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "connection refused");
        Err(CatalogDown(refused))?
    }
}

#[derive(Debug)]
struct CatalogDown(std::io::Error);

impl fmt::Display for CatalogDown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("catalog service unreachable")
    }
}

impl std::error::Error for CatalogDown {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

/// Builds a report too slowly for its 250ms limit: dropped, failed, rolled back.
#[derive(Debug, Serialize, Deserialize, Validate)]
struct BuildReport {
    #[garde(range(min = 1))]
    month: u32,
}

impl Task for BuildReport {
    type Output = ();

    fn name() -> &'static str {
        "Reports::Build"
    }

    fn settings() -> Settings {
        Settings::new().timeout(Duration::from_millis(250))
    }

    async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
        tokio::time::sleep(Duration::from_secs(5)).await;
        Ok(())
    }

    async fn rollback(&self, _: &mut Cx) -> Result<(), BoxError> {
        eprintln!(
            "rollback: removed the partial report for month {}",
            self.month
        );
        Ok(())
    }
}

/// An export nobody should run any more: tagged `disabled`.
#[derive(Debug, Serialize, Deserialize, Validate)]
struct LegacyExport {}

impl Task for LegacyExport {
    type Output = ();
    const TAGS: &'static [&'static str] = &["disabled"];

    fn name() -> &'static str {
        "Exports::Legacy"
    }

    async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
        unreachable!("the middleware skips disabled tasks")
    }
}

/// Skips every task tagged `disabled`, before anything of it runs.
struct SkipDisabled;

impl Middleware for SkipDisabled {
    async fn call(&self, call: Call, next: Next) -> Result<Done, Halt> {
        if call.tags().any(|tag| tag == "disabled") {
            return Err(Halt::skip("task is disabled").code("disabled"));
        }
        Ok(next.run(call).await)
    }
}

/// Counts failed executions, runtime-wide.
struct CountFailures(Arc<AtomicU32>);

impl Hooks for CountFailures {
    fn on_failed(&self, _: &HookCx<'_>) -> Result<(), Halt> {
        self.0.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
}

#[tokio::main]
async fn main() {
    let failures = Arc::new(AtomicU32::new(0));
    let runtime = Runtime::builder()
        .resource(Arc::new(FlakyGateway::default()))
        .layer(SkipDisabled)
        .hooks(CountFailures(failures.clone()))
        .build();

    runtime
        .scope(async {
            let card = Secret::new("4242 4242 4242 4242".to_owned());
            let charged = ChargeCard {
                order_id: 201,
                cents: 4_999,
                card,
            }
            .execute()
            .await;
            eprintln!(
                "charge: {:?} after {} retries",
                charged.value(),
                charged.retries()
            );

            let synced = SyncCatalog {
                source: "https://catalog.internal".into(),
            }
            .execute()
            .await;
            eprintln!(
                "sync: {} ({})",
                synced.status(),
                synced.cause().unwrap_or("")
            );

            let report = BuildReport { month: 11 }.execute().await;
            eprintln!(
                "report: {} ({})",
                report.status(),
                report.reason().unwrap_or("")
            );

            let export = LegacyExport {}.execute().await;
            eprintln!(
                "export: {} ({})",
                export.status(),
                export.reason().unwrap_or("")
            );
        })
        .await;

    eprintln!(
        "failures counted by the global hook: {}",
        failures.load(Ordering::Relaxed)
    );
}
