//! What `cmdx-axum` adds to one request: the same handler (a trivial task
//! run from a JSON body, ledger off) through an axum `Router` without and
//! with `ChainLayer`, next to a handler that runs no task at all. Requests
//! go through `tower::ServiceExt::oneshot` (no sockets), so the numbers are
//! the glue's cost, not the network's.

use axum::Router;
use axum::body::Body;
use axum::routing::post;
use cmdx::prelude::*;
use cmdx::{Ledger, Runtime};
use cmdx_axum::{ChainLayer, JsonTask, Reply};
use criterion::{Criterion, criterion_group, criterion_main};
use http::Request;
use std::time::Duration;
use tower::ServiceExt;

#[derive(Debug, Serialize, Deserialize, Validate)]
struct Reserve {
    #[garde(length(min = 1))]
    sku: String,
    #[garde(range(min = 1))]
    quantity: i64,
}

impl Task for Reserve {
    type Output = ();
    fn name() -> &'static str {
        "Reserve"
    }
    async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
        Ok(())
    }
}

async fn with_task(task: JsonTask<Reserve>) -> Reply<()> {
    task.execute().await
}

async fn without_task(body: axum::Json<serde_json::Value>) -> http::StatusCode {
    let _ = body;
    http::StatusCode::NO_CONTENT
}

fn request() -> Request<Body> {
    Request::post("/")
        .header("content-type", "application/json")
        .header("x-request-id", "req-bench")
        .body(Body::from(r#"{"sku":"SKU-1","quantity":2}"#))
        .expect("a valid request")
}

fn http_layer(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a tokio runtime");
    let quiet = Runtime::builder().ledger(Ledger::off()).build();
    let baseline = Router::new().route("/", post(without_task));
    let bare = Router::new().route("/", post(with_task));
    let layered = Router::new()
        .route("/", post(with_task))
        .layer(ChainLayer::new().runtime(quiet.clone()));

    let mut group = c.benchmark_group("axum_request");
    group
        .sample_size(30)
        .measurement_time(Duration::from_secs(2))
        .warm_up_time(Duration::from_millis(500));
    group.bench_function("json_handler_no_task (baseline)", |b| {
        b.to_async(&rt).iter(|| baseline.clone().oneshot(request()))
    });
    group.bench_function("json_task_without_layer", |b| {
        b.to_async(&rt)
            .iter(|| quiet.scope(bare.clone().oneshot(request())))
    });
    group.bench_function("json_task_with_chain_layer", |b| {
        b.to_async(&rt).iter(|| layered.clone().oneshot(request()))
    });
    group.finish();
}

criterion_group!(benches, http_layer);
criterion_main!(benches);
