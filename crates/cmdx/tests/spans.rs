//! One `tracing` span per execution; the span tree mirrors the chain.

use cmdx::prelude::*;
use cmdx_test::{Capture, Traces};
use tracing::Instrument;

#[derive(Debug, Serialize, Deserialize, Validate)]
struct Leaf {
    #[garde(skip)]
    fail: bool,
}

impl Task for Leaf {
    type Output = ();
    fn name() -> &'static str {
        "Demo::Leaf"
    }
    async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
        if self.fail {
            fail!("Leaf failed on purpose");
        }
        Ok(())
    }
}

#[derive(Debug, Serialize, Deserialize, Validate)]
struct Root {}

impl Task for Root {
    type Output = ();
    fn name() -> &'static str {
        "Demo::Root"
    }
    async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
        let _ = Leaf { fail: false }.execute().await;
        let _ = cmdx::spawn(Leaf { fail: true }.execute()).await?;
        Ok(())
    }
}

#[tokio::test(flavor = "current_thread")]
async fn every_execution_has_one_span_parented_like_its_chain() {
    let traces = Traces::new();
    let _guard = traces.install();
    let capture = Capture::new();
    let outcome = capture
        .run(Root {}.execute())
        .instrument(tracing::info_span!("request"))
        .await;
    // Only closed spans are captured: every execution's span was closed.
    let spans = traces.spans();
    let executions: Vec<_> = spans.iter().filter(|s| s.target == "cmdx").collect();
    assert_eq!(executions.len(), 3, "one span per execution");
    assert_eq!(capture.values().len(), 3);

    let by_tid = |tid: &str| {
        *executions
            .iter()
            .find(|s| s.field("cmdx.tid") == Some(tid))
            .unwrap()
    };
    let root = by_tid(&outcome.tid().to_string());
    assert_eq!(root.field("otel.name"), Some("Demo::Root"));
    let request = spans
        .iter()
        .find(|s| s.name == "request")
        .expect("the caller's span");
    assert_eq!(
        root.parent,
        Some(request.seq),
        "the root's span is a child of the caller's span"
    );

    for line in capture.values().iter().filter(|l| l["index"] != 0) {
        let span = by_tid(line["tid"].as_str().unwrap());
        assert_eq!(
            span.parent,
            Some(root.seq),
            "child span under the root span"
        );
        assert_eq!(
            span.field("cmdx.index"),
            Some(line["index"].to_string().as_str())
        );
        assert_eq!(
            span.field("cmdx.cid"),
            Some(outcome.chain_id().to_string().as_str())
        );
        assert_eq!(span.field("cmdx.status"), line["status"].as_str());
        assert_eq!(span.field("cmdx.state"), line["state"].as_str());
    }
    let failed = executions
        .iter()
        .find(|s| s.field("cmdx.status") == Some("failed"))
        .unwrap();
    assert_eq!(failed.field("cmdx.reason"), Some("Leaf failed on purpose"));
    assert_eq!(failed.field("otel.status_code"), Some("ERROR"));
}
