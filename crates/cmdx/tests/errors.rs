//! The typed error behind a failure: kept on the outcome after retry
//! matching (downcastable), the `source()` of the `Fault`, and chained
//! parent → child → cause when a failure is propagated.

use cmdx::prelude::*;
use cmdx::{Fault, Workflow, WorkflowOutcomeExt};
use cmdx_test::Capture;
use std::error::Error as _;
use std::fmt;
use std::time::Duration;

/// A typed error a caller wants back, with the attempt that raised it.
#[derive(Debug)]
struct GatewayDown {
    attempt: u32,
}

impl fmt::Display for GatewayDown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "gateway down (attempt {})", self.attempt)
    }
}

impl std::error::Error for GatewayDown {}

#[derive(Debug, Serialize, Deserialize, Validate)]
struct Charge {}

impl Task for Charge {
    type Output = ();
    fn name() -> &'static str {
        "Billing::Charge"
    }
    async fn work(&self, cx: &mut Cx) -> Result<(), Halt> {
        Err(GatewayDown {
            attempt: cx.attempt(),
        })?
    }
}

/// Propagates `Charge`'s failure with `?` on its `Fault`.
#[derive(Debug, Serialize, Deserialize, Validate)]
struct Checkout {}

impl Task for Checkout {
    type Output = ();
    fn name() -> &'static str {
        "Checkout"
    }
    async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
        Charge {}.execute_strict().await?;
        Ok(())
    }
}

fn gateway<'a>(
    error: Option<&'a (dyn std::error::Error + Send + Sync + 'static)>,
) -> &'a GatewayDown {
    error
        .and_then(|e| e.downcast_ref::<GatewayDown>())
        .expect("a GatewayDown")
}

#[tokio::test]
async fn the_error_returned_with_question_mark_is_on_the_outcome_to_downcast() {
    let outcome = Capture::new().run(Charge {}.execute()).await;
    assert!(outcome.is_failed());
    assert_eq!(gateway(outcome.error()).attempt, 0);
    assert_eq!(outcome.cause(), Some("gateway down (attempt 0)"));
}

#[tokio::test(start_paused = true)]
async fn after_retries_the_outcome_keeps_the_last_attempts_error() {
    let policy = RetryPolicy::on::<GatewayDown>()
        .limit(2)
        .delay(Duration::from_millis(5));
    let outcome = Capture::with(|b| b.retry(policy))
        .run(Charge {}.execute())
        .await;
    assert_eq!(outcome.retries(), 2);
    assert_eq!(gateway(outcome.error()).attempt, 2);
}

#[tokio::test]
async fn a_fault_s_source_is_the_error_so_anyhow_reports_show_the_cause() {
    let fault = Capture::new()
        .run(Charge {}.execute_strict())
        .await
        .unwrap_err();
    assert_eq!(gateway(fault.error()).attempt, 0);
    let debug = format!("{fault:?}");
    assert!(debug.contains("Billing::Charge") && debug.contains("GatewayDown"));
    let source = fault.source().expect("the fault has a source");
    assert!(source.downcast_ref::<GatewayDown>().is_some());

    let report = anyhow::Error::from(fault);
    let text = format!("{report:#}");
    assert!(text.starts_with("task `Billing::Charge` failed"), "{text}");
    assert!(text.ends_with(": gateway down (attempt 0)"), "{text}");
    assert_eq!(report.chain().count(), 2);
    assert!(report.root_cause().downcast_ref::<GatewayDown>().is_some());
}

#[tokio::test]
async fn a_failure_propagated_from_a_child_chains_parent_child_and_cause() {
    let capture = Capture::new();
    let outcome = capture.run(Checkout {}.execute()).await;
    assert!(outcome.is_failed());
    let child = outcome
        .error()
        .and_then(|e| e.downcast_ref::<Fault>())
        .expect("the parent's error is the child's fault");
    assert_eq!(child.task(), "Billing::Charge");
    assert_eq!(gateway(child.error()).attempt, 0);
    assert_eq!(outcome.origin().map(|o| o.tid), Some(child.record().tid));

    let report = anyhow::Error::from(outcome.fault().expect("failed"));
    let tasks: Vec<String> = report.chain().map(ToString::to_string).collect();
    assert_eq!(tasks.len(), 3, "{tasks:?}");
    assert!(tasks[0].starts_with("task `Checkout` failed"), "{tasks:?}");
    assert!(tasks[1].starts_with("task `Billing::Charge` failed"));
    assert_eq!(tasks[2], "gateway down (attempt 0)");
}

#[tokio::test]
async fn throw_keeps_the_child_s_error_too() {
    #[derive(Debug, Serialize, Deserialize, Validate)]
    struct Thrower {}
    impl Task for Thrower {
        type Output = ();
        fn name() -> &'static str {
            "Thrower"
        }
        async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
            Charge {}.execute().await.throw()
        }
    }
    let outcome = Capture::new().run(Thrower {}.execute()).await;
    let child = outcome.error().and_then(|e| e.downcast_ref::<Fault>());
    assert_eq!(child.map(Fault::task), Some("Billing::Charge"));
}

#[tokio::test]
async fn a_workflow_failing_on_a_step_has_the_step_s_fault_as_its_error() {
    let workflow = Workflow::new("Billing::Run").step::<Charge>();
    let outcome = Capture::new().run(workflow.execute(Context::new())).await;
    assert!(outcome.is_failed());
    let step = outcome
        .error()
        .and_then(|e| e.downcast_ref::<Fault>())
        .expect("the step's fault");
    assert_eq!(step.task(), "Billing::Charge");
    assert_eq!(gateway(step.error()).attempt, 0);
    let origin = outcome.caused_failure().expect("an origin");
    assert_eq!(origin.tid, step.record().tid);
}

#[tokio::test]
async fn failures_without_a_typed_error_and_successes_have_none() {
    #[derive(Debug, Serialize, Deserialize, Validate)]
    struct Refuse {}
    impl Task for Refuse {
        type Output = ();
        fn name() -> &'static str {
            "Refuse"
        }
        async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
            fail!("refused", code = "refused")
        }
    }
    #[derive(Debug, Serialize, Deserialize, Validate)]
    struct Explode {}
    impl Task for Explode {
        type Output = ();
        fn name() -> &'static str {
            "Explode"
        }
        async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
            panic!("boom")
        }
    }
    #[derive(Debug, Serialize, Deserialize, Validate)]
    struct Fine {}
    impl Task for Fine {
        type Output = ();
        fn name() -> &'static str {
            "Fine"
        }
        async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
            Ok(())
        }
    }
    let capture = Capture::new();
    let refused = capture.run(Refuse {}.execute()).await;
    assert!(refused.is_failed() && refused.error().is_none());
    let fault = refused.fault().expect("failed");
    assert!(fault.source().is_none());
    let exploded = capture.run(Explode {}.execute()).await;
    assert!(exploded.is_failed() && exploded.error().is_none());
    let fine = capture.run(Fine {}.execute()).await;
    assert!(fine.is_success() && fine.error().is_none());
}
