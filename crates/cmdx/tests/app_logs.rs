//! Application logs: `tracing` events emitted inside executions become log
//! lines on the execution's ledger (see `cmdx::logs`).

use cmdx::prelude::*;
use cmdx::{HookCx, Hooks, Ledger, MemoryLedger, Runtime};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tracing_subscriber::Layer;
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::layer::SubscriberExt;

fn logs_on() -> tracing::subscriber::DefaultGuard {
    tracing::subscriber::set_default(tracing_subscriber::registry().with(cmdx::logs::layer()))
}

fn runtime(memory: &MemoryLedger) -> Runtime {
    Runtime::builder().ledger(memory.clone()).build()
}

#[derive(Debug, Serialize, Deserialize, Validate)]
struct Credit {
    #[garde(skip)]
    account: u64,
    #[garde(skip)]
    amount: i64,
}

impl Task for Credit {
    type Output = ();
    fn name() -> &'static str {
        "Accounts::Credit"
    }
    async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
        tracing::info!(
            target: "accounts",
            amount = self.amount,
            account = self.account,
            "Credited {} to account {}",
            self.amount,
            self.account
        );
        Ok(())
    }
}

#[tokio::test]
async fn an_event_inside_work_becomes_one_log_line_with_the_executions_ids() {
    let _logs = logs_on();
    let memory = MemoryLedger::new();
    let outcome = runtime(&memory)
        .scope(
            Credit {
                account: 42,
                amount: 100,
            }
            .execute(),
        )
        .await;
    assert!(outcome.is_success());
    let logs = memory.logs();
    assert_eq!(logs.len(), 1);
    let ledger = &memory.values()[0];
    let log: Value = serde_json::from_str(&logs[0]).unwrap();
    assert_eq!(log["cid"], ledger["cid"]);
    assert_eq!(log["tid"], ledger["tid"]);
    assert_eq!(log["task"], "Accounts::Credit");
    assert_eq!(log["level"], "INFO");
    assert_eq!(log["target"], "accounts");
    assert_eq!(log["message"], "Credited 100 to account 42");
    assert_eq!(log["fields"], json!({"amount": 100, "account": 42}));
    assert_eq!(
        (&log["trace_id"], &log["span_id"]),
        (&Value::Null, &Value::Null)
    );
    // The keys, in the order the schema fixes; the first tells the kind.
    let order: Vec<String> = serde_json::from_str::<serde_json::Map<String, Value>>(&logs[0])
        .unwrap()
        .keys()
        .cloned()
        .collect();
    let mut written: Vec<(usize, &str)> = order
        .iter()
        .map(|key| (logs[0].find(&format!("\"{key}\":")).unwrap(), key.as_str()))
        .collect();
    written.sort();
    let written: Vec<&str> = written.into_iter().map(|(_, key)| key).collect();
    assert_eq!(
        written,
        [
            "log", "ts", "level", "cid", "tid", "task", "trace_id", "span_id", "target", "message",
            "fields"
        ]
    );
    assert!(logs[0].starts_with(r#"{"log":1,"ts":""#), "{}", logs[0]);
    let ts = log["ts"].as_str().unwrap();
    assert_eq!(ts.len(), "2026-11-30T10:15:00.123Z".len(), "{ts}");
    assert!(ts.ends_with('Z') && ts <= ledger["ts"].as_str().unwrap());
}

#[derive(Debug, Serialize, Deserialize, Validate)]
struct Child {}

impl Task for Child {
    type Output = ();
    fn name() -> &'static str {
        "Child"
    }
    async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
        tracing::info!("child");
        Ok(())
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
        tracing::info!("parent before");
        let _ = Child {}.execute().await;
        tracing::info!("parent after");
        Ok(())
    }
}

/// `(kind, task, message or status)` of every line, in written order.
fn story(memory: &MemoryLedger) -> Vec<(String, String, String)> {
    memory
        .all_lines()
        .iter()
        .map(|line| {
            let value: Value = serde_json::from_str(line).unwrap();
            let task = value["task"].as_str().unwrap().to_owned();
            if value.get("log").is_some() {
                let message = value["message"].as_str().unwrap().to_owned();
                ("log".into(), task, message)
            } else {
                let status = value["status"].as_str().unwrap().to_owned();
                ("ledger".into(), task, status)
            }
        })
        .collect()
}

fn row(kind: &str, task: &str, what: &str) -> (String, String, String) {
    (kind.into(), task.into(), what.into())
}

#[tokio::test]
async fn each_log_line_belongs_to_the_innermost_execution_and_precedes_its_ledger_line() {
    let _logs = logs_on();
    let memory = MemoryLedger::new();
    let _ = runtime(&memory).scope(Parent {}.execute()).await;
    assert_eq!(
        story(&memory),
        [
            row("log", "Parent", "parent before"),
            row("log", "Child", "child"),
            row("ledger", "Child", "success"),
            row("log", "Parent", "parent after"),
            row("ledger", "Parent", "success"),
        ]
    );
    let records = memory.records();
    let tid_of = |task: &str| {
        records
            .iter()
            .find(|r| r.task == task)
            .map(|r| r.tid.to_string())
            .unwrap()
    };
    for log in memory.log_values() {
        assert_eq!(log["tid"], tid_of(log["task"].as_str().unwrap()), "{log}");
        assert_eq!(log["cid"], records[0].cid.to_string());
    }
}

/// Counts every event it sees: what other layers get.
#[derive(Clone, Default)]
struct Counting(Arc<AtomicUsize>);

impl<S: tracing::Subscriber> Layer<S> for Counting {
    fn on_event(&self, _: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

#[tokio::test]
async fn events_outside_executions_write_nothing_and_other_layers_still_see_every_event() {
    let counting = Counting::default();
    let subscriber = tracing_subscriber::registry()
        .with(cmdx::logs::layer())
        .with(counting.clone());
    let _default = tracing::subscriber::set_default(subscriber);
    let memory = MemoryLedger::new();
    let runtime = runtime(&memory);
    tracing::info!("before any runtime");
    assert!(!cmdx::logs::in_execution());
    runtime
        .scope(async {
            tracing::info!("in the runtime, outside executions");
            let _ = Credit {
                account: 1,
                amount: 2,
            }
            .execute()
            .await;
            tracing::info!("after the execution");
        })
        .await;
    assert_eq!(memory.logs().len(), 1);
    assert_eq!(memory.log_values()[0]["message"], "Credited 2 to account 1");
    assert_eq!(counting.0.load(Ordering::Relaxed), 4);
}

#[tokio::test]
async fn without_a_log_layer_nothing_is_written_and_with_the_ledger_off_neither() {
    let memory = MemoryLedger::new();
    let counting = Counting::default();
    let subscriber = tracing_subscriber::registry().with(counting.clone());
    {
        let _default = tracing::subscriber::set_default(subscriber);
        let _ = runtime(&memory)
            .scope(
                Credit {
                    account: 1,
                    amount: 2,
                }
                .execute(),
            )
            .await;
    }
    assert_eq!(counting.0.load(Ordering::Relaxed), 1);
    assert!(memory.logs().is_empty());
    let _logs = logs_on();
    let off = Runtime::builder().ledger(Ledger::off()).build();
    let outcome = off
        .scope(async {
            Credit {
                account: 1,
                amount: 2,
            }
            .execute()
            .await
        })
        .await;
    assert!(outcome.is_success());
}

#[tokio::test]
async fn a_standard_level_filter_decides_which_events_become_lines() {
    let subscriber =
        tracing_subscriber::registry().with(cmdx::logs::layer().with_filter(LevelFilter::WARN));
    let _default = tracing::subscriber::set_default(subscriber);
    let memory = MemoryLedger::new();

    #[derive(Debug, Serialize, Deserialize, Validate)]
    struct Noisy {}
    impl Task for Noisy {
        type Output = ();
        fn name() -> &'static str {
            "Noisy"
        }
        async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
            tracing::trace!("t");
            tracing::debug!("d");
            tracing::info!("i");
            tracing::warn!("w");
            tracing::error!("e");
            Ok(())
        }
    }

    let _ = runtime(&memory).scope(Noisy {}.execute()).await;
    let levels: Vec<Value> = memory
        .log_values()
        .iter()
        .map(|l| l["level"].clone())
        .collect();
    assert_eq!(levels, [json!("WARN"), json!("ERROR")]);
}

struct Logging;

impl Hooks for Logging {
    fn before_execution(&self, _: &HookCx<'_>) -> Result<(), Halt> {
        tracing::info!("hook");
        Ok(())
    }
}

#[derive(Debug, Serialize, Deserialize, Validate)]
struct Failing {}

impl Task for Failing {
    type Output = ();
    fn name() -> &'static str {
        "Failing"
    }
    fn settings() -> Settings {
        Settings::new().hooks(Logging)
    }
    async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
        tracing::info!("work");
        fail!("no");
    }
    async fn rollback(&self, _: &mut Cx) -> Result<(), BoxError> {
        tracing::info!("rollback");
        Ok(())
    }
}

use cmdx::BoxError;

#[tokio::test]
async fn events_in_hooks_middleware_and_rollback_belong_to_their_execution() {
    let _logs = logs_on();
    let memory = MemoryLedger::new();
    let runtime = Runtime::builder()
        .ledger(memory.clone())
        .layer(cmdx::middleware::from_fn(
            |call: cmdx::Call, next: cmdx::Next| async move {
                tracing::info!("middleware");
                Ok(next.run(call).await)
            },
        ))
        .build();
    let outcome = runtime.scope(Failing {}.execute()).await;
    let tid = outcome.record().tid.to_string();
    let logs = memory.log_values();
    let messages: Vec<&str> = logs
        .iter()
        .map(|l| l["message"].as_str().unwrap())
        .collect();
    assert_eq!(messages.first(), Some(&"middleware"));
    for expected in ["hook", "work", "rollback"] {
        assert!(messages.contains(&expected), "{messages:?}");
    }
    assert!(logs.iter().all(|l| l["tid"] == tid.as_str()), "{logs:#?}");
    assert_eq!(story(&memory).last().unwrap().0, "ledger");
}

fn log_schema() -> jsonschema::Validator {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/log-line.schema.json"
    );
    let text = std::fs::read_to_string(path).expect("docs/log-line.schema.json exists");
    let schema: Value = serde_json::from_str(&text).expect("the schema is JSON");
    jsonschema::validator_for(&schema).expect("the schema is a valid JSON Schema")
}

#[tokio::test]
async fn real_log_lines_of_every_level_validate_against_the_schema() {
    let subscriber =
        tracing_subscriber::registry().with(cmdx::logs::layer().with_filter(LevelFilter::TRACE));
    let _default = tracing::subscriber::set_default(subscriber);
    let memory = MemoryLedger::new();

    #[derive(Debug, Serialize, Deserialize, Validate)]
    struct Everything {}
    impl Task for Everything {
        type Output = ();
        fn name() -> &'static str {
            "Everything"
        }
        async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
            tracing::trace!(n = 1, "t");
            tracing::debug!(f = 1.5, nan = f64::NAN);
            tracing::info!(flag = true, text = "x", debug = ?[1], "i");
            tracing::warn!(big = "y".repeat(20_000), "w");
            tracing::error!(secret = ?Secret::new(1), "e");
            Ok(())
        }
    }

    let _ = runtime(&memory).scope(Everything {}.execute()).await;
    let logs = memory.log_values();
    assert_eq!(logs.len(), 5);
    let validator = log_schema();
    for line in &logs {
        let errors: Vec<String> = validator
            .iter_errors(line)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{line}\n{errors:#?}");
    }
    assert_eq!(logs[1]["message"], "", "no message: an empty one");
    // A ledger line is not a log line, and a log line is not a ledger line.
    assert!(!validator.is_valid(&memory.values()[0]));
    let mut wrong = logs[0].clone();
    wrong["level"] = json!("NOTICE");
    assert!(!validator.is_valid(&wrong));
}

#[test]
fn the_cli_fixtures_log_lines_follow_the_schema() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../cmdx-cli/tests/fixtures/with_logs.ndjson"
    );
    let text = std::fs::read_to_string(path).expect("the fixture exists");
    let validator = log_schema();
    let logs: Vec<Value> = text
        .lines()
        .filter(|l| l.starts_with(r#"{"log":"#))
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(logs.len(), 6);
    for log in &logs {
        assert!(validator.is_valid(log), "{log}");
    }
}
