//! `execute_json` on bodies of 1 K, 10 K and 100 K list elements, valid and
//! invalid in several shapes, against a strict `serde_json::from_value` of
//! the valid body (the baseline, measured in the same run). Cost must be
//! linear: time per element flat across sizes. Plus the 2 MB body of
//! elements that each lack a field (the denial of service this replaced).
//!
//! Run: `cargo bench -p cmdx-benches --bench coerce`.

use cmdx::prelude::*;
use cmdx::{Ledger, Runtime};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::hint::black_box;

#[derive(Debug, Serialize, Deserialize, Validate)]
struct Order {
    #[garde(dive)]
    items: Vec<Line>,
    #[garde(skip)]
    #[serde(default)]
    tags: BTreeMap<String, BTreeMap<String, i64>>,
}

#[derive(Debug, Serialize, Deserialize, Validate)]
struct Line {
    #[garde(length(min = 1))]
    sku: String,
    #[garde(range(min = 1))]
    quantity: i64,
    #[garde(skip)]
    ship_on: chrono::NaiveDate,
    #[garde(skip)]
    status: Kind,
}

#[derive(Debug, Serialize, Deserialize)]
enum Kind {
    Standard,
    Express,
}

impl Task for Order {
    type Output = usize;
    fn name() -> &'static str {
        "Order"
    }
    async fn work(&self, _: &mut Cx) -> Result<usize, Halt> {
        Ok(self.items.len())
    }
}

/// The shape of issue 11's report: a list of items with one field each.
#[derive(Debug, Serialize, Deserialize, Validate)]
struct Items {
    #[garde(dive)]
    items: Vec<Item>,
}

#[derive(Debug, Serialize, Deserialize, Validate)]
struct Item {
    #[garde(skip)]
    a: i64,
}

impl Task for Items {
    type Output = usize;
    fn name() -> &'static str {
        "Items"
    }
    async fn work(&self, _: &mut Cx) -> Result<usize, Halt> {
        Ok(self.items.len())
    }
}

fn valid_line(i: usize) -> Value {
    json!({"sku": format!("SKU-{i}"), "quantity": "2", "ship_on": "2026-12-01", "status": "Express"})
}

/// The bodies, by shape, for `n` elements.
fn bodies(n: usize) -> Vec<(&'static str, Value)> {
    let lines = |f: &dyn Fn(usize) -> Value| Value::Array((0..n).map(f).collect());
    vec![
        ("valid", json!({"items": lines(&valid_line)})),
        ("missing_fields", json!({"items": lines(&|_| json!({}))})),
        (
            "bad_dates",
            json!({"items": lines(&|i| {
                let mut line = valid_line(i);
                line["ship_on"] = json!("2026-13-45");
                line
            })}),
        ),
        (
            "bad_enums",
            json!({"items": lines(&|i| {
                let mut line = valid_line(i);
                line["status"] = json!("Overnight");
                line
            })}),
        ),
        (
            "bad_nested_maps",
            json!({
                "items": [valid_line(0)],
                "tags": (0..n).map(|i| (format!("k{i}"), json!({"a": "x", "b": 1}))).collect::<serde_json::Map<_, _>>(),
            }),
        ),
    ]
}

fn execute_json(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
    let runtime = Runtime::builder().ledger(Ledger::off()).build();
    let mut group = c.benchmark_group("execute_json");
    group.sample_size(10);
    for n in [1_000, 10_000, 100_000] {
        group.throughput(Throughput::Elements(n as u64));
        for (shape, body) in bodies(n) {
            if shape == "valid" {
                group.bench_with_input(
                    BenchmarkId::new("baseline_from_value", n),
                    &body,
                    |b, body| {
                        b.iter(|| serde_json::from_value::<Order>(black_box(body.clone())).is_ok())
                    },
                );
            }
            group.bench_with_input(BenchmarkId::new(shape, n), &body, |b, body| {
                b.iter(|| {
                    let outcome = rt.block_on(runtime.scope(Order::execute_json(body.clone())));
                    assert_eq!(outcome.is_success(), shape == "valid");
                    outcome.is_success()
                })
            });
        }
    }
    group.finish();

    // The body of issue 11: 600,000 elements lacking their only field, 1.8 MB
    // (`Items`); the same body against `Order`, whose elements lack four.
    let body = json!({"items": Value::Array(vec![json!({}); 600_000])});
    let text = body.to_string();
    assert!(text.len() > 1_700_000);
    let mut group = c.benchmark_group("execute_json_2mb");
    group.sample_size(10);
    group.bench_function("issue_body_600k", |b| {
        b.iter(|| {
            let outcome = rt.block_on(runtime.scope(Items::execute_json(body.clone())));
            assert!(outcome.is_failed());
        })
    });
    group.bench_function("issue_body_600k_from_text", |b| {
        b.iter(|| {
            let body: Value = serde_json::from_str(black_box(&text)).expect("JSON");
            let outcome = rt.block_on(runtime.scope(Items::execute_json(body)));
            assert!(outcome.is_failed());
        })
    });
    group.bench_function("missing_fields_600k", |b| {
        b.iter(|| {
            let outcome = rt.block_on(runtime.scope(Order::execute_json(body.clone())));
            assert!(outcome.is_failed());
        })
    });
    group.bench_function("baseline_clone", |b| b.iter(|| black_box(body.clone())));
    group.finish();
}

criterion_group!(benches, execute_json);
criterion_main!(benches);
