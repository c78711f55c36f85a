//! Real ledger lines validate against `docs/ledger.schema.json`.

use cmdx::prelude::*;
use cmdx_test::Capture;
use serde_json::{Value, json};

#[derive(Debug, Serialize, Deserialize, Validate)]
struct Step {
    #[garde(length(min = 1))]
    sku: String,
    #[garde(range(min = 1))]
    quantity: i64,
    #[garde(skip)]
    card: Secret<String>,
}

impl Task for Step {
    type Output = ();
    fn name() -> &'static str {
        "Step"
    }
    async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
        match self.quantity {
            1 => Ok(()),
            2 => skip!("Nothing to do"),
            3 => fail!(
                "Insufficient stock",
                code = "out_of_stock",
                available = 0,
                requested = 3
            ),
            4 => Err(std::io::Error::other("disk full").into()),
            _ => panic!("unexpected quantity"),
        }
    }
}

#[derive(Debug, Serialize, Deserialize, Validate)]
struct Parent {}

impl Task for Parent {
    type Output = ();
    fn name() -> &'static str {
        "Parent"
    }
    async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
        for quantity in 1..=5 {
            let _ = Step {
                sku: "SKU-1".into(),
                quantity,
                card: Secret::new("4242".into()),
            }
            .execute()
            .await;
        }
        let _ = Step::execute_json(json!({"sku": "", "quantity": 0, "card": "x"})).await;
        Ok(())
    }
}

fn schema() -> jsonschema::Validator {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/ledger.schema.json");
    let text = std::fs::read_to_string(path).expect("docs/ledger.schema.json exists");
    let schema: Value = serde_json::from_str(&text).expect("the schema is JSON");
    jsonschema::validator_for(&schema).expect("the schema is a valid JSON Schema")
}

#[tokio::test]
async fn every_kind_of_real_line_validates_against_the_schema() {
    let capture = Capture::new();
    let _ = capture.run(Parent {}.execute()).await;
    let lines = capture.values();
    let statuses: std::collections::BTreeSet<&str> = lines
        .iter()
        .map(|l| l["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses,
        ["failed", "skipped", "success"].into_iter().collect()
    );
    assert_eq!(lines.len(), 7);
    let validator = schema();
    for line in &lines {
        let errors: Vec<String> = validator
            .iter_errors(line)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{line}\n{errors:#?}");
    }
}

#[test]
fn the_schema_rejects_a_line_that_breaks_the_contract() {
    let validator = schema();
    let line = json!({"v": 1, "ts": "2026-11-26T10:15:00.123Z", "cid": "019ac1b0-0000-7000-8000-000000000001",
        "xid": null, "tid": "019ac1b0-0000-7000-8000-000000000002", "index": 0, "parent": null, "root": true,
        "task": "X", "kind": "task", "state": "complete", "status": "failed", "reason": null, "metadata": {},
        "input": {}, "duration_ms": 0.1, "retries": 0, "rolled_back": false, "cause": null, "origin": null,
        "trace_id": null, "span_id": null, "tags": []});
    assert!(
        !validator.is_valid(&line),
        "complete + failed breaks the outcome pairs"
    );
    let mut fixed = line.clone();
    fixed["status"] = json!("success");
    assert!(validator.is_valid(&fixed));
}

#[test]
fn a_sealed_line_validates_and_a_malformed_seal_does_not() {
    let validator = schema();
    let mut line = json!({"v": 1, "ts": "2026-11-26T10:15:00.123Z", "cid": "019ac1b0-0000-7000-8000-000000000001",
        "xid": null, "tid": "019ac1b0-0000-7000-8000-000000000002", "index": 0, "parent": null, "root": true,
        "task": "X", "kind": "task", "state": "complete", "status": "success", "reason": null, "metadata": {},
        "input": {}, "duration_ms": 0.1, "retries": 0, "rolled_back": false, "cause": null, "origin": null,
        "trace_id": null, "span_id": null, "tags": []});
    line["seal"] =
        json!({"wid": "019ac1b0-0000-7000-8000-000000000003", "seq": 0, "hash": "ab".repeat(32)});
    assert!(validator.is_valid(&line), "a sealed line is a v1 line");
    line["seal"]["hash"] = json!("not hex");
    assert!(
        !validator.is_valid(&line),
        "the hash is 64 lowercase hex digits"
    );
    line["seal"] = json!({"wid": "019ac1b0-0000-7000-8000-000000000003", "seq": 0});
    assert!(!validator.is_valid(&line), "a seal has wid, seq and hash");
}
