//! Inputs: all-fields validation, coercion of untyped JSON, and the
//! guarantee that bad input never reaches `work`.

use cmdx::prelude::*;
use cmdx_test::Capture;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

#[derive(Debug, Serialize, Deserialize, Validate)]
struct Order {
    #[garde(length(min = 1))]
    sku: String,
    #[garde(range(min = 1))]
    quantity: i64,
    #[garde(skip)]
    price: Decimal,
    #[garde(skip)]
    weight_kg: f64,
    #[garde(skip)]
    gift: bool,
    #[garde(skip)]
    ship_on: chrono::NaiveDate,
    #[garde(skip)]
    note: Option<String>,
}

#[derive(Debug, Default)]
struct Worked(AtomicU32);

impl Task for Order {
    type Output = Value;
    fn name() -> &'static str {
        "Order"
    }
    async fn work(&self, cx: &mut Cx) -> Result<Value, Halt> {
        cx.resource::<Arc<Worked>>()?
            .0
            .fetch_add(1, Ordering::SeqCst);
        Ok(json!({
            "quantity": self.quantity, "price": self.price.to_string(), "weight_kg": self.weight_kg,
            "gift": self.gift, "ship_on": self.ship_on.to_string(), "note": self.note,
        }))
    }
}

async fn run(input: Value) -> (Outcome<Value>, u32, Capture) {
    let worked = Arc::new(Worked::default());
    let capture = Capture::with(|b| b.resource(worked.clone()));
    let outcome = capture.run(Order::execute_json(input)).await;
    (outcome, worked.0.load(Ordering::SeqCst), capture)
}

fn valid() -> Value {
    json!({"sku": "SKU-1", "quantity": 2, "price": "9.99", "weight_kg": 1.5, "gift": false, "ship_on": "2026-12-01"})
}

#[tokio::test]
async fn typed_calls_report_every_invalid_field_at_once() {
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
            panic!("invalid input must never reach work")
        }
    }
    let capture = Capture::new();
    let outcome = capture
        .run(
            Reserve {
                sku: String::new(),
                quantity: 0,
            }
            .execute(),
        )
        .await;
    assert!(outcome.is_failed());
    assert_eq!(outcome.code(), Some("invalid_input"));
    let errors = outcome.field_errors().unwrap();
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(errors["sku"][0].as_str().unwrap().contains("length"));
    assert!(
        errors["quantity"][0]
            .as_str()
            .unwrap()
            .contains("lower than 1")
    );
    assert!(outcome.reason().unwrap().starts_with("Invalid input"));
    assert_eq!(capture.values()[0]["errors"], Value::Object(errors.clone()));
}

#[tokio::test]
async fn strings_are_coerced_to_integers_floats_decimals_booleans_and_dates() {
    let input = json!({"sku": "SKU-1", "quantity": " 3 ", "price": "19.90", "weight_kg": "2.5",
                       "gift": "yes", "ship_on": "2026-12-24", "note": null});
    let (outcome, worked, _) = run(input).await;
    assert!(outcome.is_success(), "{outcome:?}");
    assert_eq!(worked, 1);
    let value = outcome.value().unwrap();
    assert_eq!(value["quantity"], 3);
    assert_eq!(value["price"], "19.90");
    assert_eq!(value["weight_kg"], 2.5);
    assert_eq!(value["gift"], true);
    assert_eq!(value["ship_on"], "2026-12-24");
}

#[tokio::test]
async fn boolean_words_coerce_both_ways() {
    for (word, expected) in [
        ("true", true),
        ("on", true),
        ("1", true),
        ("no", false),
        ("off", false),
        ("0", false),
    ] {
        let mut input = valid();
        input["gift"] = json!(word);
        let (outcome, _, _) = run(input).await;
        assert_eq!(
            outcome.value().map(|v| v["gift"].clone()),
            Some(json!(expected)),
            "{word}"
        );
    }
}

#[tokio::test]
async fn untyped_calls_report_missing_mistyped_and_invalid_fields_together() {
    let input = json!({"sku": "", "quantity": "lots", "weight_kg": "heavy", "gift": "maybe", "ship_on": "2026-12-01"});
    let (outcome, worked, capture) = run(input).await;
    assert_eq!(worked, 0, "bad input never reaches work");
    assert!(outcome.is_failed());
    let errors = outcome.field_errors().unwrap();
    let fields: Vec<&str> = errors.keys().map(String::as_str).collect();
    assert_eq!(
        fields,
        vec!["gift", "price", "quantity", "sku", "weight_kg"],
        "{errors:?}"
    );
    assert!(errors["price"][0].as_str().unwrap().contains("required"));
    assert!(errors["quantity"][0].as_str().unwrap().contains("integer"));
    let line = &capture.values()[0];
    assert_eq!(line["errors"], Value::Object(errors.clone()));
    assert_eq!(
        line["input"]["quantity"], "lots",
        "the line shows what was given"
    );
}

#[tokio::test]
async fn a_non_object_input_fails_cleanly() {
    for input in [json!([1, 2]), json!("SKU-1"), json!(null), json!(42)] {
        let (outcome, worked, _) = run(input.clone()).await;
        assert!(outcome.is_failed(), "{input}");
        assert_eq!(worked, 0);
        assert!(
            outcome.field_errors().is_some_and(|e| !e.is_empty()),
            "{input}"
        );
    }
}

#[tokio::test]
async fn execute_context_reads_inputs_from_a_context() {
    let mut context = Context::new();
    for (key, value) in valid().as_object().unwrap() {
        context.insert(key.clone(), value);
    }
    let worked = Arc::new(Worked::default());
    let capture = Capture::with(|b| b.resource(worked.clone()));
    let outcome = capture.run(Order::execute_context(&context)).await;
    assert!(outcome.is_success(), "{outcome:?}");
    assert_eq!(worked.0.load(Ordering::SeqCst), 1);
}

/// A field type whose own `Deserialize` panics.
#[derive(Debug, Serialize)]
struct Explosive;

impl<'de> Deserialize<'de> for Explosive {
    fn deserialize<D: serde::Deserializer<'de>>(_: D) -> Result<Self, D::Error> {
        panic!("boom in deserialize")
    }
}

#[derive(Debug, Serialize, Deserialize, Validate)]
struct Fragile {
    #[garde(skip)]
    part: Explosive,
}

impl Task for Fragile {
    type Output = ();
    fn name() -> &'static str {
        "Fragile"
    }
    async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
        panic!("invalid input must never reach work")
    }
}

fn refuse_loudly(_: &i64, _: &()) -> garde::Result {
    panic!("boom in validate")
}

#[derive(Debug, Serialize, Deserialize, Validate)]
struct Touchy {
    #[garde(custom(refuse_loudly))]
    n: i64,
}

impl Task for Touchy {
    type Output = ();
    fn name() -> &'static str {
        "Touchy"
    }
    async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
        panic!("invalid input must never reach work")
    }
}

#[tokio::test]
async fn an_input_type_that_panics_is_invalid_input_not_a_panic() {
    let capture = Capture::new();
    let read = capture
        .run(Fragile::execute_json(json!({"part": "x"})))
        .await;
    assert_eq!(read.code(), Some("invalid_input"));
    let message = read.field_errors().unwrap()["input"][0]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(message.contains("panicked while reading"), "{message}");
    assert_eq!(
        read.record().input_value(),
        json!({"part": "[REDACTED]"}),
        "nothing tells which values are secret"
    );
    let validated = capture.run(Touchy::execute_json(json!({"n": 1}))).await;
    let message = validated.field_errors().unwrap()["input"][0]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(message.contains("panicked while validating"), "{message}");
    capture.assert_one_line_per_execution();
    assert_eq!(capture.lines().len(), 2);
}

#[tokio::test]
async fn a_body_of_twenty_thousand_elements_each_lacking_a_field_is_checked_whole() {
    #[derive(Debug, Serialize, Deserialize, Validate)]
    struct Item {
        #[garde(skip)]
        a: i64,
    }
    #[derive(Debug, Serialize, Deserialize, Validate)]
    struct Bulk {
        #[garde(dive)]
        items: Vec<Item>,
    }
    impl Task for Bulk {
        type Output = ();
        fn name() -> &'static str {
            "Bulk"
        }
        async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
            Ok(())
        }
    }
    // Before coercion was linear, this took minutes (one pass per element).
    let body = json!({"items": vec![json!({}); 20_000]});
    let capture = Capture::new();
    let outcome = capture.run(Bulk::execute_json(body)).await;
    let errors = outcome.field_errors().unwrap();
    assert_eq!(errors.len(), 101);
    assert_eq!(errors["items[0].a"], json!(["is required"]));
    assert_eq!(
        errors["input"],
        json!(["19900 more invalid field(s) not listed: only the first 100 are"])
    );
}
