//! A workflow over a context of adversarial size (a 2 MB request body of
//! 20,000 keys its steps do not read): every line is written, the
//! workflow's line shows the context with the secret redacted, and the
//! bytes allocated grow linearly with the context (twice the keys, at most
//! a little over twice the bytes: a view rebuilt per step, or a lookup that
//! copies, would show as four times).
//!
//! Its own test binary with one test: the counting global allocator sees
//! nothing else.

use cap::Cap;
use cmdx::prelude::*;
use cmdx::{Settings, Workflow};
use cmdx_test::Capture;
use serde_json::{Map, Value, json};
use std::alloc::System;

#[global_allocator]
static ALLOCATOR: Cap<System> = Cap::new(System, usize::MAX);

const MARKER: &str = "MARKER-51c2-9e07";

#[derive(Debug, Serialize, Deserialize, Validate)]
struct ReadSku {
    #[garde(length(min = 1))]
    sku: String,
}

impl Task for ReadSku {
    type Output = Value;
    fn name() -> &'static str {
        "ReadSku"
    }
    async fn work(&self, _: &mut Cx) -> Result<Value, Halt> {
        Ok(json!({"reserved": self.sku.len()}))
    }
}

#[derive(Debug, Serialize, Deserialize, Validate)]
struct Charge {
    #[garde(skip)]
    token: Secret<String>,
    #[garde(range(min = 1))]
    reserved: usize,
}

impl Task for Charge {
    type Output = Value;
    fn name() -> &'static str {
        "Charge"
    }
    async fn work(&self, _: &mut Cx) -> Result<Value, Halt> {
        Ok(json!({"charged": self.reserved}))
    }
}

/// `keys` filler keys of 100 bytes each, beside what the steps read.
fn context(keys: usize) -> Context {
    let mut map = Map::new();
    for key in 0..keys {
        map.insert(format!("filler-{key:06}"), Value::String("x".repeat(100)));
    }
    map.insert("sku".into(), json!("SKU-1"));
    map.insert("token".into(), json!(MARKER));
    Context::from(map)
}

/// Runs the workflow over `keys` filler keys; the bytes it allocated.
async fn run(keys: usize) -> usize {
    let capture = Capture::new();
    let workflow = Workflow::new("Checkout")
        .step::<ReadSku>()
        .step::<Charge>()
        .settings(Settings::new().record_output(true));
    let input = context(keys);
    let before = ALLOCATOR.total_allocated();
    let outcome = capture.run(workflow.execute(input)).await;
    let allocated = ALLOCATOR.total_allocated() - before;

    assert!(outcome.is_success(), "{outcome:?}");
    assert_eq!(outcome.value().unwrap().value("charged"), Some(&json!(5)));
    capture.assert_one_line_per_execution();
    let lines = capture.lines();
    assert_eq!(lines.len(), 3);
    for line in &lines {
        assert!(!line.to_string().contains(MARKER), "the secret shows");
    }
    let line = &capture.lines_for_task("Checkout")[0];
    for field in ["input", "output"] {
        let shown = line[field].as_object().unwrap();
        assert_eq!(shown["token"], cmdx::REDACTED);
        assert_eq!(shown.len(), keys + 2 + 2 * usize::from(field == "output"));
    }
    allocated
}

#[tokio::test(flavor = "current_thread")]
async fn a_workflow_over_a_two_megabyte_context_costs_linear_bytes() {
    run(100).await; // one-time allocations (thread-locals, the writer)
    let small = run(10_000).await;
    let large = run(20_000).await;
    // The workflow's line shows the context twice (input and output):
    // at least that much is copied.
    assert!(small > 2 * 10_000 * 100, "{small} bytes for 10,000 keys");
    assert!(
        large * 10 <= small * 23,
        "twice the keys cost {large} bytes against {small}: not linear"
    );
}
