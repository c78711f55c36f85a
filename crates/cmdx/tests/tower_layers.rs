//! Tower layers as cmdx middleware (`middleware::from_layer`): limits that
//! are measured (concurrency inside `work`, starts per period), tower's
//! timeout and load shedding as failure codes, and a tower service that
//! errors or panics — each execution still one ledger line. On tokio's
//! paused clock: nothing really sleeps.

use cmdx::middleware::{self, Call, Done};
use cmdx::prelude::*;
use cmdx::{BoxError, RuntimeBuilder};
use cmdx_test::{Capture, Journal};
use futures::future::{BoxFuture, join_all};
use std::sync::LazyLock;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::time::Instant;
use tower::limit::{ConcurrencyLimitLayer, RateLimitLayer};
use tower::timeout::TimeoutLayer;
use tower::{Layer, Service, ServiceBuilder};

/// Holds a slot in the journal's in-flight count for a second of (paused)
/// time, then notes `done`.
#[derive(Debug, Serialize, Deserialize, Validate)]
struct Hold {}

impl Task for Hold {
    type Output = ();
    fn name() -> &'static str {
        "Tower::Hold"
    }
    async fn work(&self, cx: &mut Cx) -> Result<(), Halt> {
        let journal = cx.resource::<Journal>()?;
        journal.enter();
        tokio::time::sleep(Duration::from_secs(1)).await;
        journal.leave();
        journal.push("done");
        Ok(())
    }
}

/// [`Hold`] with its own limit of two, in its settings.
#[derive(Debug, Serialize, Deserialize, Validate)]
struct LimitedHold {}

impl Task for LimitedHold {
    type Output = ();
    fn name() -> &'static str {
        "Tower::LimitedHold"
    }
    fn settings() -> Settings {
        // `settings()` runs per execution: one layer, built once, shared.
        static SETTINGS: LazyLock<Settings> = LazyLock::new(|| {
            Settings::new().layer(middleware::from_layer(ConcurrencyLimitLayer::new(2)))
        });
        SETTINGS.clone()
    }
    async fn work(&self, cx: &mut Cx) -> Result<(), Halt> {
        Hold {}.work(cx).await
    }
}

/// Notes the (paused) time it started at, in whole seconds since `epoch`.
#[derive(Debug, Serialize, Deserialize, Validate)]
struct Stamp {}

#[derive(Clone, Copy)]
struct Epoch(Instant);

impl Task for Stamp {
    type Output = ();
    fn name() -> &'static str {
        "Tower::Stamp"
    }
    async fn work(&self, cx: &mut Cx) -> Result<(), Halt> {
        let Epoch(epoch) = *cx.resource::<Epoch>()?;
        let second = epoch.elapsed().as_secs();
        cx.resource::<Journal>()?
            .push(format!("started at {second}s"));
        Ok(())
    }
}

fn capture(journal: &Journal, configure: impl FnOnce(RuntimeBuilder) -> RuntimeBuilder) -> Capture {
    let journal = journal.clone();
    Capture::with(move |b| configure(b.resource(journal)))
}

/// Runs `n` executions of `T` at once; returns their outcomes.
async fn at_once<T: Task<Output = ()>>(
    capture: &Capture,
    n: usize,
    task: fn() -> T,
) -> Vec<Outcome<()>> {
    capture
        .run(join_all((0..n).map(|_| task().execute())))
        .await
}

#[tokio::test(start_paused = true)]
async fn without_a_limit_every_execution_runs_at_once() {
    let journal = Journal::new();
    let capture = capture(&journal, |b| b);

    let outcomes = at_once(&capture, 12, || Hold {}).await;

    assert!(outcomes.iter().all(Outcome::is_success));
    assert_eq!(
        journal.max_in_flight(),
        12,
        "the measure can see concurrency"
    );
}

#[tokio::test(start_paused = true)]
async fn a_runtime_concurrency_limit_layer_runs_at_most_n_executions_at_a_time() {
    let journal = Journal::new();
    let capture = capture(&journal, |b| {
        b.layer(middleware::from_layer(ConcurrencyLimitLayer::new(3)))
    });

    let outcomes = at_once(&capture, 12, || Hold {}).await;

    assert!(outcomes.iter().all(Outcome::is_success));
    assert_eq!(journal.count("done"), 12, "every execution ran, in turn");
    assert_eq!(journal.max_in_flight(), 3);
    assert_eq!(capture.lines().len(), 12);
    capture.assert_one_line_per_execution();
}

#[tokio::test(start_paused = true)]
async fn a_task_concurrency_limit_layer_is_one_limit_for_all_its_executions() {
    let journal = Journal::new();
    let capture = capture(&journal, |b| b);

    let started = Instant::now();
    let outcomes = at_once(&capture, 8, || LimitedHold {}).await;

    assert!(outcomes.iter().all(Outcome::is_success));
    assert_eq!(journal.max_in_flight(), 2);
    // Two at a time, a second each: four rounds.
    assert_eq!(started.elapsed().as_secs(), 4);
    assert_eq!(capture.lines().len(), 8);
}

#[tokio::test(start_paused = true)]
async fn a_concurrency_limit_holds_across_spawned_executions() {
    let journal = Journal::new();
    let capture = capture(&journal, |b| b);

    let handles: Vec<_> = (0..10)
        .map(|_| tokio::spawn(capture.run(LimitedHold {}.execute())))
        .collect();
    for handle in handles {
        assert!(handle.await.expect("no panic").is_success());
    }

    assert_eq!(journal.max_in_flight(), 2);
    assert_eq!(capture.lines().len(), 10);
}

#[tokio::test(start_paused = true)]
async fn without_a_rate_limit_every_execution_starts_at_once() {
    let journal = Journal::new();
    let capture = capture(&journal, |b| b.resource(Epoch(Instant::now())));

    at_once(&capture, 6, || Stamp {}).await;

    assert_eq!(journal.count("started at 0s"), 6);
}

#[tokio::test(start_paused = true)]
async fn a_rate_limit_layer_starts_at_most_n_executions_per_period() {
    let journal = Journal::new();
    let capture = capture(&journal, |b| {
        b.resource(Epoch(Instant::now()))
            .layer(middleware::from_layer(RateLimitLayer::new(
                2,
                Duration::from_secs(1),
            )))
    });

    let outcomes = at_once(&capture, 7, || Stamp {}).await;

    assert!(outcomes.iter().all(Outcome::is_success));
    let per_second: Vec<usize> = (0..5)
        .map(|s| journal.count(&format!("started at {s}s")))
        .collect();
    assert_eq!(per_second, [2, 2, 2, 1, 0]);
    assert_eq!(capture.lines().len(), 7);
}

#[tokio::test(start_paused = true)]
async fn a_tower_timeout_fails_the_execution_with_code_timeout_and_drops_its_work() {
    let journal = Journal::new();
    let capture = capture(&journal, |b| {
        b.layer(middleware::from_layer(TimeoutLayer::new(
            Duration::from_millis(250),
        )))
    });

    let outcome = capture.run(Hold {}.execute()).await;
    // Long after the limit: the dropped work never finishes in the background.
    tokio::time::sleep(Duration::from_secs(5)).await;

    assert!(outcome.is_failed());
    assert_eq!(outcome.code(), Some("timeout"));
    assert!(outcome.reason().unwrap().starts_with("timed out"));
    assert_eq!(journal.count("done"), 0);
    let lines = capture.values();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["status"], "failed");
    assert_eq!(lines[0]["code"], "timeout");
}

#[tokio::test(start_paused = true)]
async fn load_shedding_fails_what_the_limit_cannot_take_with_code_overloaded() {
    let journal = Journal::new();
    let capture = capture(&journal, |b| {
        b.layer(middleware::from_layer(
            ServiceBuilder::new().load_shed().concurrency_limit(2),
        ))
    });

    let outcomes = at_once(&capture, 5, || Hold {}).await;

    let succeeded = outcomes.iter().filter(|o| o.is_success()).count();
    let overloaded: Vec<_> = outcomes.iter().filter(|o| o.is_failed()).collect();
    assert_eq!(succeeded, 2);
    assert_eq!(overloaded.len(), 3);
    for outcome in overloaded {
        assert_eq!(outcome.code(), Some("overloaded"));
        assert!(outcome.reason().unwrap().starts_with("overloaded"));
    }
    assert_eq!(journal.count("done"), 2, "shed executions never ran work");
    assert_eq!(journal.max_in_flight(), 2);
    let lines = capture.values();
    assert_eq!(lines.len(), 5);
    let codes = lines.iter().filter(|l| l["code"] == "overloaded").count();
    assert_eq!(codes, 3);
}

/// A tower layer whose service fails every call, or panics: `mode`.
#[derive(Clone, Copy)]
enum Broken {
    Errors,
    PanicsInCall,
    PanicsInFuture,
}

struct BrokenService<S> {
    inner: S,
    mode: Broken,
}

impl<S> Layer<S> for Broken {
    type Service = BrokenService<S>;
    fn layer(&self, inner: S) -> Self::Service {
        BrokenService { inner, mode: *self }
    }
}

impl<S> Service<Call> for BrokenService<S>
where
    S: Service<Call, Response = Done, Error = BoxError>,
    S::Future: Send + 'static,
{
    type Response = Done;
    type Error = BoxError;
    type Future = BoxFuture<'static, Result<Done, BoxError>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, call: Call) -> Self::Future {
        match self.mode {
            Broken::Errors => {
                let error = std::io::Error::other("quota service unreachable");
                Box::pin(async move { Err(BoxError::from(error)) })
            }
            Broken::PanicsInCall => panic!("broken tower service"),
            Broken::PanicsInFuture => {
                let inner = self.inner.call(call);
                Box::pin(async move {
                    let _ = inner.await;
                    panic!("broken tower future")
                })
            }
        }
    }
}

#[tokio::test]
async fn a_tower_service_error_fails_the_execution_with_the_error_as_reason_and_cause() {
    let journal = Journal::new();
    let capture = capture(&journal, |b| {
        b.layer(middleware::from_layer(Broken::Errors))
    });

    let outcome = capture.run(Stamp {}.execute()).await;

    assert!(outcome.is_failed());
    assert_eq!(outcome.reason(), Some("quota service unreachable"));
    assert_eq!(outcome.cause(), Some("quota service unreachable"));
    assert!(outcome.metadata().get("code").is_none());
    assert_eq!(journal.entries().len(), 0, "work never ran");
    assert_eq!(capture.lines().len(), 1);
}

#[tokio::test]
async fn a_panicking_tower_service_fails_the_execution_and_the_next_one_still_runs() {
    for (mode, message) in [
        (Broken::PanicsInCall, "broken tower service"),
        (Broken::PanicsInFuture, "broken tower future"),
    ] {
        let journal = Journal::new();
        let capture = capture(&journal, |b| {
            b.resource(Epoch(Instant::now()))
                .layer(middleware::from_layer(
                    ServiceBuilder::new().concurrency_limit(1).layer(mode),
                ))
        });

        let first = capture.run(Stamp {}.execute()).await;
        let second = capture.run(Stamp {}.execute()).await;

        assert!(first.is_failed());
        assert_eq!(
            first.reason(),
            Some(format!("middleware panicked: {message}").as_str())
        );
        assert_eq!(first.code(), Some("middleware_panicked"));
        // The lock around the service is released by the panic, and the
        // concurrency permit with it.
        assert!(second.is_failed(), "the service still panics");
        assert_eq!(second.code(), Some("middleware_panicked"));
        assert_eq!(capture.lines().len(), 2);
        let ran = journal.count("started at 0s");
        match mode {
            Broken::PanicsInCall => assert_eq!(ran, 0),
            _ => assert_eq!(ran, 2, "the task ran before the future panicked"),
        }
    }
}
