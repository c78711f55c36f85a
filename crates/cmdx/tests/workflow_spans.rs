//! A compensation's span: a child of the workflow's span, linked to the
//! span of the execution it undoes. (Its own test binary: it installs a
//! `tracing` subscriber, which must not race other tests' callsites.)

use cmdx::prelude::*;
use cmdx::{Record, TraceBridge, TraceIds};
use cmdx_test::{Capture, Journal, Probe, context};
use serde_json::json;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tracing::span::{Attributes, Id};
use tracing_subscriber::layer::{Context as LayerContext, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;

/// Hands out span ids from `tracing`'s ids and remembers every link.
#[derive(Default, Clone)]
struct LinkRecorder(Arc<Mutex<Vec<(String, String)>>>);

fn hex(id: &Id) -> String {
    format!("{:016x}", id.into_u64())
}

impl TraceBridge for LinkRecorder {
    fn trace_ids(&self, span: &tracing::Span) -> Option<TraceIds> {
        Some(TraceIds::new(format!("{:032x}", 1), hex(&span.id()?)))
    }

    fn link(&self, span: &tracing::Span, undone: &TraceIds) {
        let from = span.id().map(|id| hex(&id)).unwrap_or_default();
        self.0.lock().unwrap().push((from, undone.span_id.clone()));
    }
}

/// Remembers each span's parent, by span id.
#[derive(Default, Clone)]
struct Parents(Arc<Mutex<HashMap<String, Option<String>>>>);

impl<S> tracing_subscriber::Layer<S> for Parents
where
    S: tracing::Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, _: &Attributes<'_>, id: &Id, ctx: LayerContext<'_, S>) {
        let parent = ctx
            .span(id)
            .and_then(|span| span.parent())
            .map(|p| hex(&p.id()));
        self.0.lock().unwrap().insert(hex(id), parent);
    }
}

#[tokio::test]
async fn a_compensation_span_is_a_child_of_the_workflow_span_linked_to_the_undone_span() {
    let parents = Parents::default();
    let subscriber = tracing_subscriber::registry().with(parents.clone());
    let _guard = tracing::subscriber::set_default(subscriber);
    let links = LinkRecorder::default();
    let journal = Journal::new();
    let capture = Capture::with(|b| b.resource(journal.clone()).trace_bridge(links.clone()));
    let workflow = Workflow::new("Checkout")
        .step::<Probe<'A'>>()
        .step::<Probe<'B'>>();
    let plan = json!({"plan": {"B": {"fail": "declined"}}});

    let _ = capture.run(workflow.execute(context(plan))).await;

    let records: Vec<Record> = capture.records();
    let find = |pred: &dyn Fn(&Record) -> bool| records.iter().find(|r| pred(r)).unwrap().clone();
    let undone = find(&|r| r.task == "Probe::A" && r.compensates.is_none());
    let undo = find(&|r| r.task == "Probe::A" && r.compensates.is_some());
    let workflow = find(&|r| r.task == "Checkout");
    let undo_span = undo
        .span_id
        .clone()
        .expect("the tracer gave the compensation a span id");
    let parent = parents.0.lock().unwrap().get(&undo_span).cloned().flatten();
    assert_eq!(parent, workflow.span_id);
    let links = links.0.lock().unwrap().clone();
    assert_eq!(links, [(undo_span, undone.span_id.unwrap())]);
}
