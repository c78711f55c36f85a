//! Plug-ins of a task (its settings, its name, its input's `Serialize`,
//! its retry policy) that panic: contained, reported, and the execution
//! ends as `cmdx::Plugin` documents — exactly one line, never a panic in
//! the caller.

use cmdx::Plugin;
use cmdx::middleware::{self, Call, Next};
use cmdx::prelude::*;
use cmdx_test::{Capture, Journal, PanicEvents, PanicsWhenSerialized};
use serde_json::json;

/// Its settings panic.
#[derive(Debug, Serialize, Deserialize, Validate)]
struct Misconfigured {}

impl Task for Misconfigured {
    type Output = ();
    fn name() -> &'static str {
        "Misconfigured"
    }
    fn settings() -> Settings {
        panic!("settings bug")
    }
    async fn work(&self, cx: &mut Cx) -> Result<(), Halt> {
        cx.resource::<Journal>()?.push("work");
        Ok(())
    }
}

#[tokio::test]
async fn a_task_whose_settings_panic_fails_with_one_line_and_never_runs() {
    let (panics, journal) = (PanicEvents::new(), Journal::new());
    let capture = Capture::with(|b| panics.subscribed(b).resource(journal.clone()));

    let (typed, untyped) = capture
        .run(async {
            let typed = Misconfigured {}.execute().await;
            (typed, Misconfigured::execute_json(json!({})).await)
        })
        .await;

    for outcome in [&typed, &untyped] {
        assert_eq!(
            outcome.reason(),
            Some("settings of `Misconfigured` panicked: settings bug")
        );
        assert_eq!(outcome.code(), Some("settings_panicked"));
        assert_eq!(outcome.cause(), Some("panicked: settings bug"));
    }
    assert!(journal.entries().is_empty());
    capture.assert_one_line_per_execution();
    assert_eq!(capture.lines_for_task("Misconfigured").len(), 2);
    assert_eq!(panics.of(Plugin::Settings).len(), 2);
}

/// Its name panics.
#[derive(Debug, Serialize, Deserialize, Validate)]
struct Nameless {}

impl Task for Nameless {
    type Output = ();
    fn name() -> &'static str {
        panic!("name bug")
    }
    async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
        Ok(())
    }
}

#[tokio::test]
async fn a_task_whose_name_panics_runs_under_its_type_name() {
    let panics = PanicEvents::new();
    let capture = Capture::with(|b| panics.subscribed(b));

    let outcome = capture.run(Nameless {}.execute()).await;

    assert!(outcome.is_success());
    assert_eq!(outcome.record().task, "Nameless");
    assert_eq!(capture.lines_for_task("Nameless").len(), 1);
    let reported = panics.of(Plugin::TaskName);
    assert_eq!(reported.len(), 1);
    assert_eq!(reported[0].tid, outcome.record().tid);
}

#[derive(Debug, Serialize, Deserialize, Validate)]
struct Opaque {
    #[garde(skip)]
    blob: PanicsWhenSerialized,
}

impl Task for Opaque {
    type Output = ();
    fn name() -> &'static str {
        "Opaque"
    }
    async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
        Ok(())
    }
}

#[tokio::test]
async fn a_task_whose_input_panics_when_serialized_keeps_its_outcome_with_a_null_input() {
    let panics = PanicEvents::new();
    let seen = Journal::new();
    let reader = seen.clone();
    let capture = Capture::with(|b| {
        panics
            .subscribed(b)
            .layer(middleware::from_fn(move |call: Call, next: Next| {
                reader.push(call.input().to_string());
                async move { Ok(next.run(call).await) }
            }))
    });

    let outcome = capture
        .run(
            Opaque {
                blob: PanicsWhenSerialized,
            }
            .execute(),
        )
        .await;

    assert!(outcome.is_success());
    assert!(capture.values()[0]["input"].is_null());
    assert_eq!(seen.entries(), ["null"]);
    // Once for the line, once for the middleware's `call.input()`.
    assert_eq!(panics.of(Plugin::Serialize).len(), 2);
}

/// Fails twice, then succeeds — if retried. Its retry policy panics: in
/// its backoff when `BACKOFF`, else in its predicate.
#[derive(Debug, Serialize, Deserialize, Validate)]
struct Flaky<const BACKOFF: bool> {}

impl<const BACKOFF: bool> Task for Flaky<BACKOFF> {
    type Output = ();
    fn name() -> &'static str {
        "Flaky"
    }
    fn settings() -> Settings {
        let policy = if BACKOFF {
            let backoff = cmdx::Backoff::custom(|_, _, _| panic!("backoff bug"));
            RetryPolicy::any_failure().backoff(backoff)
        } else {
            RetryPolicy::when(|_, _| panic!("predicate bug"))
        };
        Settings::new().retry(policy)
    }
    async fn work(&self, cx: &mut Cx) -> Result<(), Halt> {
        if cx.attempt() < 2 {
            fail!("flaky")
        }
        Ok(())
    }
}

#[tokio::test(start_paused = true)]
async fn a_panicking_retry_predicate_leaves_the_failure_unretried() {
    let panics = PanicEvents::new();
    let capture = Capture::with(|b| panics.subscribed(b));

    let outcome = capture.run(Flaky::<false> {}.execute()).await;

    assert_eq!(outcome.reason(), Some("flaky"));
    assert_eq!(outcome.retries(), 0);
    let reported = panics.of(Plugin::RetryPolicy);
    assert_eq!(reported.len(), 1);
    assert_eq!(reported[0].message, "predicate bug");
}

#[tokio::test(start_paused = true)]
async fn a_panicking_custom_backoff_leaves_the_failure_unretried() {
    let panics = PanicEvents::new();
    let capture = Capture::with(|b| panics.subscribed(b));

    let outcome = capture.run(Flaky::<true> {}.execute()).await;

    assert_eq!(outcome.reason(), Some("flaky"));
    assert_eq!(outcome.retries(), 0);
    let reported = panics.of(Plugin::RetryPolicy);
    assert_eq!(reported.len(), 1);
    assert_eq!(reported[0].message, "backoff bug");
}
