//! Idempotency keys across services (design invariant 12): a chain that
//! crosses an HTTP hop restarts its indexes at 0 in the receiving service,
//! yet every execution's key is its own — the caller's, and each endpoint's
//! of the callee in the same chain — and stays the same across retries.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use cmdx::prelude::*;
use cmdx::{MemoryLedger, Runtime};
use cmdx_telemetry::propagation::{extract_headers, inject_headers};
use cmdx_test::{AxumServer, Journal};
use serde_json::Value;
use std::collections::BTreeMap;
use std::time::Duration;

/// Every task here fails its first attempt and retries once at once.
fn retry_once() -> Settings {
    Settings::new().retry(RetryPolicy::any_failure().limit(1).delay(Duration::ZERO))
}

/// Records `"<task> <key>"` for this attempt, then fails the first attempt.
fn attempt(cx: &Cx) -> Result<(), Halt> {
    let keys = cx.resource::<Journal>()?;
    keys.push(format!("{} {}", cx.task_name(), cx.idempotency_key()));
    if cx.attempt() == 0 {
        fail!("gateway timeout", code = "gateway_timeout");
    }
    Ok(())
}

/// Service B, endpoint `/charge`.
#[derive(Debug, Serialize, Deserialize, Validate)]
struct Charge {}

impl Task for Charge {
    type Output = ();
    fn name() -> &'static str {
        "Billing::Charge"
    }
    fn settings() -> Settings {
        retry_once()
    }
    async fn work(&self, cx: &mut Cx) -> Result<(), Halt> {
        attempt(cx)
    }
}

/// Service B, endpoint `/ship`.
#[derive(Debug, Serialize, Deserialize, Validate)]
struct Ship {}

impl Task for Ship {
    type Output = ();
    fn name() -> &'static str {
        "Shipping::Ship"
    }
    fn settings() -> Settings {
        retry_once()
    }
    async fn work(&self, cx: &mut Cx) -> Result<(), Halt> {
        attempt(cx)
    }
}

/// Service B's address, a resource of service A.
struct ServiceB(String);

/// Service A, endpoint `/checkout`: after its own failed first attempt,
/// calls both endpoints of B in its chain.
#[derive(Debug, Serialize, Deserialize, Validate)]
struct Checkout {}

impl Task for Checkout {
    type Output = ();
    fn name() -> &'static str {
        "Orders::Checkout"
    }
    fn settings() -> Settings {
        retry_once()
    }
    async fn work(&self, cx: &mut Cx) -> Result<(), Halt> {
        attempt(cx)?;
        let base = &cx.resource::<ServiceB>()?.0;
        for path in ["/charge", "/ship"] {
            let mut headers = HeaderMap::new();
            inject_headers(cx, &mut headers);
            let response = reqwest::Client::new()
                .post(format!("{base}{path}"))
                .headers(headers)
                .send()
                .await?;
            if response.status() != StatusCode::OK {
                fail!("service B refused", path = path);
            }
        }
        Ok(())
    }
}

fn answer<T>(outcome: &Outcome<T>) -> StatusCode {
    match outcome.is_success() {
        true => StatusCode::OK,
        false => StatusCode::CONFLICT,
    }
}

async fn charge(State(runtime): State<Runtime>, headers: HeaderMap) -> StatusCode {
    let incoming = extract_headers(&headers);
    answer(&runtime.scope(incoming.run(Charge {}.execute())).await)
}

async fn ship(State(runtime): State<Runtime>, headers: HeaderMap) -> StatusCode {
    let incoming = extract_headers(&headers);
    answer(&runtime.scope(incoming.run(Ship {}.execute())).await)
}

async fn checkout(State(runtime): State<Runtime>) -> StatusCode {
    answer(&runtime.scope(Checkout {}.execute()).await)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_differ_across_services_and_endpoints_and_hold_across_retries() {
    let keys = Journal::new();
    let (a_ledger, b_ledger) = (MemoryLedger::new(), MemoryLedger::new());
    let service_b = Runtime::builder()
        .ledger(b_ledger.clone())
        .resource(keys.clone())
        .build();
    let b = AxumServer::start(
        Router::new()
            .route("/charge", post(charge))
            .route("/ship", post(ship))
            .with_state(service_b),
    )
    .await;
    let service_a = Runtime::builder()
        .ledger(a_ledger.clone())
        .resource(keys.clone())
        .resource(ServiceB(b.url("")))
        .build();
    let a = AxumServer::start(
        Router::new()
            .route("/checkout", post(checkout))
            .with_state(service_a),
    )
    .await;
    let response = reqwest::Client::new()
        .post(a.url("/checkout"))
        .send()
        .await
        .expect("service A answered");
    assert_eq!(response.status(), StatusCode::OK);
    a.stop().await;
    b.stop().await;

    // One chain, and every execution is index 0 of its own process's
    // scope: `(cid, index)` would be the same key three times.
    let caller = &a_ledger.values()[0];
    let remote = b_ledger.values();
    assert_eq!(remote.len(), 2);
    for line in remote.iter().chain([caller]) {
        assert_eq!(line["cid"], caller["cid"]);
        assert_eq!(line["index"], 0);
        assert_eq!(line["retries"], 1, "{line}");
    }

    // Each task: one key, the same on both attempts, equal to its tid.
    let mut by_task: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for entry in keys.entries() {
        let (task, key) = entry.split_once(' ').expect("task and key");
        by_task
            .entry(task.to_owned())
            .or_default()
            .push(key.to_owned());
    }
    let tid_of = |task: &str| -> String {
        let line: &Value = remote
            .iter()
            .chain([caller])
            .find(|line| line["task"] == task)
            .expect("a line per task");
        line["tid"].as_str().expect("a tid").to_owned()
    };
    assert_eq!(by_task.len(), 3, "{by_task:?}");
    for (task, keys) in &by_task {
        assert_eq!(keys.len(), 2, "two attempts of {task}");
        assert_eq!(keys[0], keys[1], "{task}'s key changed on retry");
        assert_eq!(keys[0], tid_of(task));
    }
    let distinct: std::collections::BTreeSet<&String> =
        by_task.values().map(|keys| &keys[0]).collect();
    assert_eq!(distinct.len(), 3, "{by_task:?}");
}
