//! Application logs under hostile conditions: secrets, huge values,
//! panicking `Debug` impls and tasks, floods of events, sinks that log, and
//! the same event through `tracing-subscriber`'s JSON formatter.

use cmdx::logs::{MAX_FIELD_BYTES, TRUNCATED};
use cmdx::prelude::*;
use cmdx::{Ledger, LedgerSink, MemoryLedger, Plugin, Record, Runtime};
use serde_json::{Value, json};
use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use tracing_subscriber::layer::SubscriberExt;

fn logs_on() -> tracing::subscriber::DefaultGuard {
    tracing::subscriber::set_default(tracing_subscriber::registry().with(cmdx::logs::layer()))
}

/// Runs one task whose `work` is `f`, on a memory ledger.
async fn run<F>(f: F) -> (MemoryLedger, Runtime, cmdx::Outcome<()>)
where
    F: Fn() -> Result<(), Halt> + Send + Sync + 'static,
{
    struct Work(Box<dyn Fn() -> Result<(), Halt> + Send + Sync>);
    impl fmt::Debug for Work {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("Work")
        }
    }
    impl Serialize for Work {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            s.serialize_unit()
        }
    }
    impl Validate for Work {
        type Context = ();
        fn validate_into(&self, _: &(), _: &mut dyn FnMut() -> garde::Path, _: &mut garde::Report) {
        }
    }
    impl Task for Work {
        type Output = ();
        fn name() -> &'static str {
            "Hostile"
        }
        async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
            (self.0)()
        }
    }
    let memory = MemoryLedger::new();
    let runtime = Runtime::builder().ledger(memory.clone()).build();
    let outcome = runtime.scope(Work(Box::new(f)).execute()).await;
    (memory, runtime, outcome)
}

#[derive(Debug)]
#[expect(dead_code, reason = "only printed")]
struct Card {
    number: Secret<String>,
    holder: &'static str,
}

#[tokio::test]
async fn secrets_in_event_fields_and_messages_are_redacted() {
    let _logs = logs_on();
    let (memory, _, _) = run(|| {
        let token = Secret::new("tok-1234".to_owned());
        let card = Card {
            number: Secret::new("4242 4242 4242 4242".into()),
            holder: "Ada",
        };
        tracing::info!(debug = ?token, display = %token, card = ?card, "paid with {token} / {token:?}");
        Ok(())
    })
    .await;
    let logs = memory.logs();
    assert_eq!(logs.len(), 1);
    assert!(
        !logs[0].contains("tok-1234") && !logs[0].contains("4242 4242 4242 4242"),
        "{}",
        logs[0]
    );
    let log: Value = serde_json::from_str(&logs[0]).unwrap();
    assert_eq!(log["message"], "paid with [REDACTED] / [REDACTED]");
    assert_eq!(log["fields"]["debug"], "[REDACTED]");
    assert_eq!(log["fields"]["display"], "[REDACTED]");
    assert_eq!(
        log["fields"]["card"],
        r#"Card { number: [REDACTED], holder: "Ada" }"#
    );
}

/// Writes `len` bytes one at a time, counting the writes it got to make.
struct Huge {
    len: usize,
    writes: Arc<AtomicUsize>,
}

impl fmt::Debug for Huge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for _ in 0..self.len {
            self.writes.fetch_add(1, Ordering::Relaxed);
            f.write_str("x")?;
        }
        Ok(())
    }
}

#[tokio::test]
async fn a_10_mb_value_is_cut_at_the_bound_and_its_formatting_stops_there() {
    let _logs = logs_on();
    let writes = Arc::new(AtomicUsize::new(0));
    let counted = writes.clone();
    let (memory, _, outcome) = run(move || {
        let big = "é".repeat(5 * 1024 * 1024); // 10 MB, two bytes a character
        let huge = Huge {
            len: 10 * 1024 * 1024,
            writes: counted.clone(),
        };
        tracing::info!(as_str = big.as_str(), as_display = %big, as_debug = ?huge, "{big}");
        Ok(())
    })
    .await;
    assert!(outcome.is_success());
    assert_eq!(memory.len(), 1, "the ledger line is there");
    // The Debug impl was stopped right after the bound, not run to 10 MB.
    assert_eq!(writes.load(Ordering::Relaxed), MAX_FIELD_BYTES + 1);
    let line = &memory.logs()[0];
    assert!(
        line.len() < 5 * (MAX_FIELD_BYTES + 64),
        "{} bytes",
        line.len()
    );
    let log: Value = serde_json::from_str(line).unwrap();
    for value in [
        &log["message"],
        &log["fields"]["as_str"],
        &log["fields"]["as_display"],
        &log["fields"]["as_debug"],
    ] {
        let text = value.as_str().unwrap();
        let kept = text.strip_suffix(TRUNCATED).expect("marked as cut");
        assert!(kept.len() <= MAX_FIELD_BYTES && kept.len() > MAX_FIELD_BYTES - 4);
    }
    let bytes = vec![7_u8; 1 << 20];
    let (memory, _, _) = run(move || {
        tracing::info!(bytes = bytes.as_slice());
        Ok(())
    })
    .await;
    // Bytes are written as the JSON formatter writes them: `[07 07 …]`.
    let log = &memory.log_values()[0];
    let text = log["fields"]["bytes"].as_str().unwrap();
    assert!(
        text.starts_with("[07 07 ") && text.ends_with(TRUNCATED),
        "{text:.40}"
    );
    assert_eq!(text.len(), MAX_FIELD_BYTES + TRUNCATED.len());
}

struct Panics;

impl fmt::Debug for Panics {
    fn fmt(&self, _: &mut fmt::Formatter<'_>) -> fmt::Result {
        panic!("Debug bug")
    }
}

impl fmt::Display for Panics {
    fn fmt(&self, _: &mut fmt::Formatter<'_>) -> fmt::Result {
        panic!("Display bug")
    }
}

#[tokio::test]
async fn a_panicking_debug_costs_its_value_not_the_line_nor_the_execution() {
    let _logs = logs_on();
    let (memory, runtime, outcome) = run(|| {
        tracing::info!(bad = ?Panics, good = 1, "still here");
        tracing::info!("{}", Panics);
        Ok(())
    })
    .await;
    assert!(outcome.is_success());
    assert_eq!(memory.len(), 1);
    let logs = memory.log_values();
    assert_eq!(logs.len(), 2);
    assert_eq!(logs[0]["message"], "still here");
    assert_eq!(
        logs[0]["fields"],
        json!({"bad": "[panicked: Debug bug]", "good": 1})
    );
    assert_eq!(logs[1]["message"], "[panicked: Display bug]");
    assert_eq!(runtime.contained_panics().get(Plugin::EventField), 2);
}

#[tokio::test]
async fn events_before_a_panic_in_work_are_written_before_its_failed_line() {
    let _logs = logs_on();
    let (memory, _, outcome) = run(|| {
        tracing::warn!(step = 1, "about to fail");
        panic!("work bug");
    })
    .await;
    assert!(outcome.is_failed());
    let all = memory.all_lines();
    assert_eq!(all.len(), 2);
    let log: Value = serde_json::from_str(&all[0]).unwrap();
    let ledger: Value = serde_json::from_str(&all[1]).unwrap();
    assert_eq!(log["message"], "about to fail");
    assert_eq!(ledger["status"], "failed");
    assert_eq!(log["tid"], ledger["tid"]);
}

#[tokio::test]
async fn thousands_of_events_are_all_written_in_order_before_the_ledger_line() {
    const EVENTS: usize = 5_000;
    let _logs = logs_on();
    let (memory, _, _) = run(|| {
        for n in 0..EVENTS {
            tracing::info!(n, "event");
        }
        Ok(())
    })
    .await;
    let all = memory.all_lines();
    assert_eq!(all.len(), EVENTS + 1);
    for (n, line) in all[..EVENTS].iter().enumerate() {
        assert!(
            line.contains(&format!(r#""fields":{{"n":{n}}}}}"#)),
            "{line}"
        );
    }
    assert!(all[EVENTS].starts_with(r#"{"v":2,"#));
    // Same shape, same size: the cost per event does not grow with the count.
    let sizes: std::collections::BTreeSet<usize> = all[..EVENTS]
        .iter()
        .map(|l| l.len() - l.rfind(':').unwrap())
        .collect();
    assert!(sizes.len() <= 5, "{sizes:?}");
}

/// A sink that logs from inside `write` and `write_log`, and keeps lines.
#[derive(Clone, Default)]
struct Chatty {
    memory: MemoryLedger,
    calls: Arc<Mutex<Vec<&'static str>>>,
}

impl LedgerSink for Chatty {
    fn write(&self, line: &[u8], record: &Record) {
        tracing::info!("sink wrote a ledger line");
        self.calls.lock().unwrap().push("write");
        self.memory.write(line, record);
    }

    fn write_log(&self, line: &[u8]) {
        tracing::info!("sink wrote a log line");
        self.calls.lock().unwrap().push("write_log");
        self.memory.write_log(line);
    }
}

#[tokio::test]
async fn events_emitted_by_a_sink_never_recurse_into_the_ledger() {
    let _logs = logs_on();
    let sink = Chatty::default();
    let runtime = Runtime::builder()
        .ledger(Ledger::custom(sink.clone()))
        .build();

    #[derive(Debug, Serialize, Deserialize, Validate)]
    struct Outer {}
    impl Task for Outer {
        type Output = ();
        fn name() -> &'static str {
            "Outer"
        }
        async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
            tracing::info!("outer");
            // The child's line is written while `Outer` is current.
            let _ = Inner {}.execute().await;
            Ok(())
        }
    }
    #[derive(Debug, Serialize, Deserialize, Validate)]
    struct Inner {}
    impl Task for Inner {
        type Output = ();
        fn name() -> &'static str {
            "Inner"
        }
        async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
            Ok(())
        }
    }

    let _ = runtime.scope(Outer {}.execute()).await;
    assert_eq!(
        *sink.calls.lock().unwrap(),
        ["write_log", "write", "write"],
        "one log line (`outer`), two ledger lines, none of the sink's own events"
    );
    let messages: Vec<Value> = sink
        .memory
        .log_values()
        .iter()
        .map(|l| l["message"].clone())
        .collect();
    assert_eq!(messages, [json!("outer")]);
}

/// A sink whose first `write` panics; it keeps every line after that.
#[derive(Clone, Default)]
struct PanicsOnce {
    memory: MemoryLedger,
    writes: Arc<AtomicUsize>,
}

impl LedgerSink for PanicsOnce {
    fn write(&self, line: &[u8], record: &Record) {
        if self.writes.fetch_add(1, Ordering::SeqCst) == 0 {
            panic!("sink bug");
        }
        self.memory.write(line, record);
    }

    fn write_log(&self, line: &[u8]) {
        self.memory.write_log(line);
    }
}

#[tokio::test(flavor = "current_thread")]
async fn a_sink_that_panicked_leaves_the_thread_free_to_write_log_lines() {
    // While a sink writes, this thread's events are not turned into log
    // lines; a sink's panic must not leave the thread marked so.
    let _logs = logs_on();
    let sink = PanicsOnce::default();
    let runtime = Runtime::builder()
        .ledger(Ledger::custom(sink.clone()))
        .build();

    #[derive(Debug, Serialize, Deserialize, Validate)]
    struct Speak {
        #[garde(skip)]
        n: u32,
    }
    impl Task for Speak {
        type Output = ();
        fn name() -> &'static str {
            "Speak"
        }
        async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
            tracing::info!(n = self.n, "spoke");
            Ok(())
        }
    }

    for n in 0..2 {
        let outcome = runtime.scope(Speak { n }.execute()).await;
        assert!(outcome.is_success(), "{outcome:?}");
    }
    assert_eq!(runtime.contained_panics().get(Plugin::LedgerSink), 1);
    let logs = sink.memory.log_values();
    let spoke: Vec<&Value> = logs.iter().map(|l| &l["fields"]["n"]).collect();
    assert_eq!(
        spoke,
        [&json!(0), &json!(1)],
        "both events became log lines"
    );
    assert_eq!(sink.memory.values().len(), 1, "the second ledger line");
}

#[tokio::test]
async fn the_fields_equal_those_of_tracing_subscribers_json_formatter() {
    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);
    impl std::io::Write for Buffer {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let buffer = Buffer::default();
    let writer = buffer.clone();
    let json = tracing_subscriber::fmt::layer()
        .json()
        .with_writer(move || writer.clone());
    let subscriber = tracing_subscriber::registry()
        .with(cmdx::logs::layer())
        .with(json);
    let _default = tracing::subscriber::set_default(subscriber);
    let (memory, _, _) = run(|| {
        let error = std::io::Error::other("disk \"full\"");
        tracing::info!(
            int = -3_i64,
            unsigned = 7_u64,
            float = 1.5,
            nan = f64::NAN,
            flag = true,
            text = "a \"quoted\"\nline",
            debug = ?vec![1, 2],
            display = %"shown",
            bytes = &b"ab"[..],
            big = 1_u128 << 100,
            error = &error as &(dyn std::error::Error + 'static),
            r#type = "raw",
            "message {}",
            1
        );
        Ok(())
    })
    .await;
    let ours = &memory.log_values()[0];
    let formatted = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
    let theirs: Value = serde_json::from_str(formatted.lines().next().unwrap()).unwrap();
    let mut their_fields = theirs["fields"].clone();
    let message = their_fields
        .as_object_mut()
        .unwrap()
        .remove("message")
        .unwrap();
    assert_eq!(ours["message"], message);
    assert_eq!(ours["fields"], their_fields);
    assert_eq!(ours["level"], theirs["level"]);
    assert_eq!(ours["target"], theirs["target"]);
}
