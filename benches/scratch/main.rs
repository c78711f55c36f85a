use cmdx::prelude::*;
use serde_json::{Value, json};
use std::time::Instant;

#[derive(Debug, Serialize, Deserialize, Validate)]
struct Order {
    #[garde(dive)]
    items: Vec<Line>,
    #[garde(skip)]
    #[serde(default)]
    tags: std::collections::BTreeMap<String, std::collections::BTreeMap<String, i64>>,
}
#[derive(Debug, Serialize, Deserialize, Validate)]
struct Line {
    #[garde(length(min = 1))] sku: String,
    #[garde(range(min = 1))] quantity: i64,
    #[garde(skip)] ship_on: chrono::NaiveDate,
    #[garde(skip)] status: Kind,
}
#[derive(Debug, Serialize, Deserialize)]
enum Kind { Standard, Express }
impl Task for Order {
    type Output = usize;
    async fn work(&self, _: &mut Cx) -> Result<usize, Halt> { Ok(self.items.len()) }
}
fn valid_line(i: usize) -> Value { json!({"sku": format!("SKU-{i}"), "quantity": "2", "ship_on": "2026-12-01", "status": "Express"}) }

#[derive(Debug, Serialize, Deserialize, Validate)]
struct Small { #[garde(dive)] items: Vec<Item> }
#[derive(Debug, Serialize, Deserialize, Validate)]
struct Item { #[garde(skip)] a: i64 }
impl Task for Small {
    type Output = ();
    async fn work(&self, _: &mut Cx) -> Result<(), Halt> { Ok(()) }
}

fn main() {
    if std::env::args().nth(1).as_deref() == Some("issue") {
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let runtime = cmdx::Runtime::builder().ledger(cmdx::Ledger::off()).build();
        for n in [2_000usize, 8_000, 100_000, 600_000] {
            let body = json!({"items": Value::Array(vec![json!({}); n])});
            let len = body.to_string().len();
            let t = Instant::now();
            let o = rt.block_on(runtime.scope(Small::execute_json(body)));
            println!("issue n={n} ({len} bytes): {:?} {:?} {}", t.elapsed(), o.status(), o.field_errors().unwrap()["input"]);
        }
        return;
    }
    let which = std::env::args().nth(1).unwrap_or_default();
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let runtime = cmdx::Runtime::builder().ledger(cmdx::Ledger::off()).build();
    let ns: Vec<usize> = match std::env::args().nth(2) { Some(n) => vec![n.parse().unwrap()], None => vec![1_000, 10_000, 100_000, 600_000] };
    for n in ns {
        let lines = |f: &dyn Fn(usize) -> Value| Value::Array((0..n).map(f).collect());
        let body = match which.as_str() {
            "valid" => json!({"items": lines(&valid_line)}),
            "missing" => json!({"items": lines(&|_| json!({}))}),
            "dates" => json!({"items": lines(&|i| { let mut l = valid_line(i); l["ship_on"] = json!("2026-13-45"); l })}),
            "enums" => json!({"items": lines(&|i| { let mut l = valid_line(i); l["status"] = json!("Overnight"); l })}),
            "ints" => json!({"items": lines(&|i| { let mut l = valid_line(i); l["quantity"] = json!("lots"); l })}),
            "maps" => json!({"items": [valid_line(0)], "tags": (0..n).map(|i| (format!("k{i}"), json!({"a": "x", "b": 1}))).collect::<serde_json::Map<_, _>>()}),
            _ => panic!("shape?"),
        };
        let t = Instant::now();
        let reps = if std::env::args().nth(2).is_some() { 1 } else { (1_000_000 / n).max(1) };
        let mut last = None;
        for _ in 0..reps {
            last = Some(rt.block_on(runtime.scope(Order::execute_json(body.clone()))));
        }
        let per = t.elapsed() / reps as u32;
        let o = last.unwrap();
        println!("{which} n={n}: {per:?} total, {:.0} ns/elem, status {:?}, {} errors, reason {:.80}", per.as_nanos() as f64 / n as f64, o.status(), o.field_errors().map_or(0, |e| e.len()), o.reason().unwrap_or(""));
    }
}
