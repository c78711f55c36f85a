//! Real ledger lines validate against `docs/ledger.v2.schema.json` (what is
//! written); `docs/ledger.schema.json` stays the v1 contract, for lines
//! written by earlier versions.

use cmdx::prelude::*;
use cmdx::{BoxError, Deprecation, Settings, Workflow};
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
        "Schema::Step"
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
    async fn rollback(&self, _: &mut Cx) -> Result<(), BoxError> {
        Err("rollback refused".into())
    }
}

/// Records its output (a secret inside), is deprecated, and runs strict.
#[derive(Debug, Serialize, Deserialize, Validate)]
struct Issue {
    #[garde(skip)]
    order_id: i64,
}

#[derive(Debug, Serialize)]
struct Issued {
    order_id: i64,
    token: Secret<String>,
}

impl Task for Issue {
    type Output = Issued;
    fn name() -> &'static str {
        "Schema::Issue"
    }
    fn settings() -> Settings {
        Settings::new()
            .record_output(true)
            .deprecated(Deprecation::warn("use IssueV2"))
    }
    async fn work(&self, _: &mut Cx) -> Result<Issued, Halt> {
        Ok(Issued {
            order_id: self.order_id,
            token: Secret::new("tok-9f8e7d".into()),
        })
    }
}

#[derive(Debug, Serialize, Deserialize, Validate)]
struct Parent {}

impl Task for Parent {
    type Output = ();
    fn name() -> &'static str {
        "Schema::Parent"
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
        let _ = Issue { order_id: 7 }.execute_strict().await;
        let mut context = Context::new();
        context.insert("sku", "SKU-1");
        context.insert("quantity", 3);
        context.insert("card", "4242");
        let _ = Workflow::new("Schema::Flow")
            .settings(Settings::new().record_output(true))
            .step::<Step>()
            .execute(context)
            .await;
        Ok(())
    }
}

fn validator(file: &str) -> jsonschema::Validator {
    let path = format!("{}/../../docs/{file}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).expect("the schema exists");
    let schema: Value = serde_json::from_str(&text).expect("the schema is JSON");
    jsonschema::validator_for(&schema).expect("the schema is a valid JSON Schema")
}

fn v2() -> jsonschema::Validator {
    validator("ledger.v2.schema.json")
}

fn v1() -> jsonschema::Validator {
    validator("ledger.schema.json")
}

fn assert_valid(validator: &jsonschema::Validator, line: &Value) {
    let errors: Vec<String> = validator
        .iter_errors(line)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{line}\n{errors:#?}");
}

#[tokio::test]
async fn every_kind_of_real_line_validates_against_the_v2_schema() {
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
    let kinds: std::collections::BTreeSet<&str> =
        lines.iter().map(|l| l["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        ["task", "workflow"].into_iter().collect(),
        "{lines:#?}"
    );
    // Every v2 key is used by some line: codes, field errors, framework
    // keys, a recorded output, the strict and deprecated flags.
    assert!(lines.iter().any(|l| l["code"] == "out_of_stock"));
    assert!(lines.iter().any(|l| l["errors"]["sku"].is_array()));
    assert!(
        lines
            .iter()
            .any(|l| l["framework"]["rollback_error"].is_string())
    );
    assert!(
        lines
            .iter()
            .any(|l| l["framework"]["halted_by"].is_object())
    );
    assert!(lines.iter().any(|l| l["output"].is_object()));
    assert!(
        lines
            .iter()
            .any(|l| l["strict"] == true && l["deprecated"] == true)
    );
    let validator = v2();
    for line in &lines {
        assert_eq!(line["v"], 2);
        assert_valid(&validator, line);
        assert!(!v1().is_valid(line), "a v2 line is not a v1 line: {line}");
    }
}

#[tokio::test]
async fn the_v2_keys_are_written_in_the_documented_order() {
    let capture = Capture::new();
    let _ = capture.run(Parent {}.execute()).await;
    let order = [
        "v",
        "ts",
        "cid",
        "xid",
        "tid",
        "index",
        "parent",
        "root",
        "task",
        "kind",
        "state",
        "status",
        "reason",
        "code",
        "errors",
        "metadata",
        "framework",
        "input",
        "output",
        "duration_ms",
        "retries",
        "rolled_back",
        "strict",
        "deprecated",
        "cause",
        "origin",
        "compensates",
        "trace_id",
        "span_id",
        "tags",
    ];
    for line in capture.lines() {
        let mut at = 0;
        for key in order {
            let Some(found) = line.find(&format!("\"{key}\":")) else {
                assert_eq!(key, "compensates", "{line}");
                continue;
            };
            assert!(found >= at, "`{key}` out of order in {line}");
            at = found;
        }
    }
}

fn v1_line() -> Value {
    json!({"v": 1, "ts": "2026-11-26T10:15:00.123Z", "cid": "019ac1b0-0000-7000-8000-000000000001",
        "xid": null, "tid": "019ac1b0-0000-7000-8000-000000000002", "index": 0, "parent": null, "root": true,
        "task": "X", "kind": "task", "state": "interrupted", "status": "failed", "reason": "no",
        "metadata": {"code": "out_of_stock", "errors": {"sku": ["empty"]}, "rollback_error": "boom", "available": 0},
        "input": {}, "duration_ms": 0.1, "retries": 0, "rolled_back": true, "cause": null,
        "origin": "019ac1b0-0000-7000-8000-000000000002", "trace_id": null, "span_id": null, "tags": []})
}

fn v2_line() -> Value {
    json!({"v": 2, "ts": "2026-11-26T10:15:00.123Z", "cid": "019ac1b0-0000-7000-8000-000000000001",
        "xid": null, "tid": "019ac1b0-0000-7000-8000-000000000002", "index": 0, "parent": null, "root": true,
        "task": "X", "kind": "task", "state": "complete", "status": "failed", "reason": null,
        "code": null, "errors": null, "metadata": {}, "framework": {},
        "input": {}, "output": null, "duration_ms": 0.1, "retries": 0, "rolled_back": false,
        "strict": false, "deprecated": false, "cause": null, "origin": null,
        "trace_id": null, "span_id": null, "tags": []})
}

#[test]
fn the_v1_schema_still_describes_v1_lines() {
    assert_valid(&v1(), &v1_line());
    assert!(!v2().is_valid(&v1_line()), "a v1 line is not a v2 line");
}

#[test]
fn the_schema_rejects_a_line_that_breaks_the_contract() {
    let validator = v2();
    let line = v2_line();
    assert!(
        !validator.is_valid(&line),
        "complete + failed breaks the outcome pairs"
    );
    let mut fixed = line.clone();
    fixed["status"] = json!("success");
    assert_valid(&validator, &fixed);
    let mut unknown = fixed.clone();
    unknown["framework"]["mystery"] = json!(1);
    assert!(
        !validator.is_valid(&unknown),
        "framework keys are a closed set"
    );
    let mut missing = fixed.clone();
    missing.as_object_mut().unwrap().remove("strict");
    assert!(!validator.is_valid(&missing), "every v2 key is required");
    let mut bad_errors = fixed;
    bad_errors["errors"] = json!({"sku": "not a list"});
    assert!(!validator.is_valid(&bad_errors));
}

#[test]
fn a_sealed_line_validates_and_a_malformed_seal_does_not() {
    let validator = v2();
    let mut line = v2_line();
    line["status"] = json!("success");
    line["seal"] =
        json!({"wid": "019ac1b0-0000-7000-8000-000000000003", "seq": 0, "hash": "ab".repeat(32)});
    assert!(validator.is_valid(&line), "a sealed line is a v2 line");
    line["seal"]["hash"] = json!("not hex");
    assert!(
        !validator.is_valid(&line),
        "the hash is 64 lowercase hex digits"
    );
    line["seal"] = json!({"wid": "019ac1b0-0000-7000-8000-000000000003", "seq": 0});
    assert!(!validator.is_valid(&line), "a seal has wid, seq and hash");
}

#[test]
fn a_v1_line_reads_into_the_v2_shape() {
    let record = cmdx::Record::from_line(&v1_line().to_string()).unwrap();
    assert_eq!(record.code.as_deref(), Some("out_of_stock"));
    assert_eq!(record.errors.as_ref().unwrap()["sku"][0], "empty");
    assert_eq!(record.framework["rollback_error"], "boom");
    assert_eq!(
        Value::Object(record.metadata.clone()),
        json!({"available": 0})
    );
    assert!(record.output.is_none() && !record.strict && !record.deprecated);
    // A v2 line is read as written: a user's `errors` stays in metadata.
    let mut line = v2_line();
    line["status"] = json!("success");
    line["metadata"] = json!({"errors": ["mine"], "code": "user"});
    let record = cmdx::Record::from_line(&line.to_string()).unwrap();
    assert!(record.errors.is_none() && record.code.is_none());
    assert_eq!(record.metadata["errors"][0], "mine");
    // And writes back as a v2 line.
    let again: Value = serde_json::from_slice(&record.to_line()).unwrap();
    assert_valid(&v2(), &again);
}
