//! Middleware: the onion's order, halting, what a layer sees, built-ins.

use cmdx::middleware::{self, Call, Correlation, Done, Middleware, Next};
use cmdx::prelude::*;
use cmdx::{BoxError, ChainScope};
use cmdx_test::{Capture, Journal};

/// Notes `name:in` and `name:out` around the rest of the onion.
struct Mark(&'static str, Journal);

impl Middleware for Mark {
    async fn call(&self, call: Call, next: Next) -> Result<Done, Halt> {
        self.1.push(format!("{}:in", self.0));
        let done = next.run(call).await;
        self.1.push(format!("{}:out", self.0));
        Ok(done)
    }
}

#[derive(Debug, Serialize, Deserialize, Validate)]
struct Ping {
    #[garde(skip)]
    token: Secret<String>,
    #[garde(skip)]
    n: i64,
}

fn ping() -> Ping {
    Ping {
        token: Secret::new("s3cr3t".into()),
        n: 7,
    }
}

impl Task for Ping {
    type Output = ();
    fn name() -> &'static str {
        "Ping"
    }
    const TAGS: &'static [&'static str] = &["ping"];
    fn settings() -> Settings {
        Settings::new().layer(middleware::from_fn(|call, next| async move {
            if let Ok(journal) = call.cx().resource::<Journal>() {
                journal.push("task layer:in");
            }
            Ok(next.run(call).await)
        }))
    }
    async fn work(&self, cx: &mut Cx) -> Result<(), Halt> {
        if let Ok(journal) = cx.resource::<Journal>() {
            journal.push("work");
        }
        Ok(())
    }
}

#[tokio::test]
async fn runtime_layers_wrap_task_layers_and_the_first_added_is_outermost() {
    let journal = Journal::new();
    let capture = Capture::with(|b| {
        b.resource(journal.clone())
            .layer(Mark("a", journal.clone()))
            .layer(Mark("b", journal.clone()))
    });
    let outcome = capture.run(ping().execute()).await;
    assert!(outcome.is_success());
    assert_eq!(
        journal.entries(),
        ["a:in", "b:in", "task layer:in", "work", "b:out", "a:out"]
    );
}

/// Skips tasks tagged `ping` before they run.
struct SkipPings;

impl Middleware for SkipPings {
    async fn call(&self, call: Call, next: Next) -> Result<Done, Halt> {
        if call.tags().any(|tag| tag == "ping") {
            return Err(Halt::skip("pings are paused").code("paused"));
        }
        Ok(next.run(call).await)
    }
}

#[tokio::test]
async fn a_middleware_that_halts_skips_the_task_and_the_line_says_why() {
    let journal = Journal::new();
    let capture = Capture::with(|b| b.resource(journal.clone()).layer(SkipPings));
    let outcome = capture.run(ping().execute()).await;
    assert!(outcome.is_skipped());
    assert_eq!(outcome.reason(), Some("pings are paused"));
    assert!(journal.entries().is_empty(), "{:?}", journal.entries());
    let line = &capture.values()[0];
    assert_eq!(
        (line["status"].as_str(), line["code"].as_str()),
        (Some("skipped"), Some("paused"))
    );
}

#[tokio::test]
async fn a_halt_after_next_replaces_the_outcome() {
    let capture = Capture::with(|b| {
        b.layer(middleware::from_fn(|call, next| async move {
            let done = next.run(call).await;
            if done.is_success() {
                return Err(Halt::fail("commit failed").code("commit_failed"));
            }
            Ok(done)
        }))
    });
    let outcome = capture.run(ping().execute()).await;
    assert!(outcome.is_failed());
    assert_eq!(outcome.reason(), Some("commit failed"));
    assert_eq!(capture.lines().len(), 1);
}

#[tokio::test]
async fn a_middleware_reads_the_task_name_redacted_input_and_chain_position() {
    let journal = Journal::new();
    let seen = journal.clone();
    let capture = Capture::with(|b| {
        b.layer(middleware::from_fn(move |call, next| {
            let seen = seen.clone();
            async move {
                seen.push(format!(
                    "{} {} index={} root={}",
                    call.task_name(),
                    call.input(),
                    call.index(),
                    call.parent().is_none()
                ));
                Ok(next.run(call).await)
            }
        }))
    });
    let _ = capture.run(ping().execute()).await;
    assert_eq!(
        journal.entries(),
        [r#"Ping {"n":7,"token":"[REDACTED]"} index=0 root=true"#]
    );
}

#[derive(Debug, Serialize, Deserialize, Validate)]
struct Parent {}

impl Task for Parent {
    /// The child's `xid`.
    type Output = Option<String>;
    fn name() -> &'static str {
        "Parent"
    }
    async fn work(&self, _: &mut Cx) -> Result<Option<String>, Halt> {
        Ok(ping().execute().await.record().xid.clone())
    }
}

#[tokio::test]
async fn correlation_sets_the_xid_once_for_the_whole_chain() {
    let calls = Journal::new();
    let counter = calls.clone();
    let capture = Capture::with(|b| {
        b.layer(Correlation::new(move |_call| {
            counter.push("called");
            Some("req-42".to_owned())
        }))
    });
    let parent = capture.run(Parent {}.execute()).await;
    let child_xid = parent.value().expect("the child's xid");
    assert_eq!(parent.record().xid.as_deref(), Some("req-42"));
    assert_eq!(child_xid.as_deref(), Some("req-42"));
    assert_eq!(calls.count("called"), 1);
    assert!(capture.values().iter().all(|line| line["xid"] == "req-42"));
}

#[tokio::test]
async fn correlation_keeps_an_xid_the_chain_already_has() {
    let capture = Capture::with(|b| b.layer(Correlation::new(|_| Some("ignored".to_owned()))));
    let outcome = capture
        .run(ChainScope::new().xid("from-header").run(ping().execute()))
        .await;
    assert_eq!(outcome.record().xid.as_deref(), Some("from-header"));
}

#[tokio::test]
async fn a_panicking_middleware_fails_the_task_with_one_line() {
    let capture = Capture::with(|b| {
        b.layer(middleware::from_fn(|_call, _next| async move {
            panic!("middleware bug")
        }))
    });
    let outcome = capture.run(ping().execute()).await;
    assert!(outcome.is_failed());
    assert_eq!(
        outcome.reason(),
        Some("middleware panicked: middleware bug")
    );
    assert_eq!(outcome.code(), Some("middleware_panicked"));
    assert_eq!(outcome.cause(), Some("panicked: middleware bug"));
    assert_eq!(capture.lines().len(), 1);
}

/// A stand-in for a database transaction: `work` writes into it through
/// the context; the middleware commits on success only.
#[derive(Debug, Serialize, Deserialize, Validate)]
struct Write {
    #[garde(skip)]
    fail: bool,
}

impl Task for Write {
    type Output = ();
    fn name() -> &'static str {
        "Write"
    }
    async fn work(&self, cx: &mut Cx) -> Result<(), Halt> {
        cx.context_mut().insert("pending_write", "row 1");
        if self.fail {
            fail!("constraint violated");
        }
        Ok(())
    }
    async fn rollback(&self, _: &mut Cx) -> Result<(), BoxError> {
        Ok(())
    }
}

#[tokio::test]
async fn a_transaction_middleware_commits_only_successful_work() {
    let committed = Journal::new();
    let log = committed.clone();
    let capture = Capture::with(|b| {
        b.layer(middleware::from_fn(move |call, next| {
            let log = log.clone();
            async move {
                let done = next.run(call).await;
                log.push(if done.is_success() {
                    "commit"
                } else {
                    "rollback"
                });
                Ok(done)
            }
        }))
    });
    let _ = capture.run(Write { fail: false }.execute()).await;
    let _ = capture.run(Write { fail: true }.execute()).await;
    assert_eq!(committed.entries(), ["commit", "rollback"]);
}
