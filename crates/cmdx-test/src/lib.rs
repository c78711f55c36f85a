//! Test kit for `cmdx`: run a future under a runtime whose ledger is kept in
//! memory, then assert on the lines it wrote.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! use cmdx::prelude::*;
//! use cmdx_test::Capture;
//!
//! #[derive(Debug, Serialize, Deserialize, Validate)]
//! struct Ping {}
//! impl Task for Ping {
//!     type Output = ();
//!     fn name() -> &'static str {
//!         "Ping"
//!     }
//!     async fn work(&self, _: &mut Cx) -> Result<(), Halt> { Ok(()) }
//! }
//!
//! let capture = Capture::new();
//! let outcome = capture.run(Ping {}.execute()).await;
//! assert!(outcome.is_success());
//! capture.assert_one_line_per_execution();
//! assert_eq!(capture.lines_for_task("Ping").len(), 1);
//! # }
//! ```

#[cfg(feature = "axum")]
mod http;
mod wait;

#[cfg(feature = "axum")]
pub use http::AxumServer;
mod probe;

pub use probe::{Probe, Script};
mod journal;
mod plugins;
mod traces;

pub use journal::Journal;
pub use plugins::{
    BridgeCall, PanicEvents, PanickingBridge, PanickingSink, PanicsWhenSerialized, ReportedPanic,
};
pub use traces::{ClosedSpan, Fields, TracedEvent, Traces, TracesGuard};

mod cargo;
#[cfg(feature = "otlp")]
pub mod otlp;
#[cfg(unix)]
pub mod pipe;
#[cfg(unix)]
pub mod postgres;
mod writer;

pub use cargo::build_example;
pub use writer::SharedWriter;

use cmdx::{Ledger, LedgerSink, MemoryLedger, Record, Runtime, RuntimeBuilder};
use serde_json::Value;
use std::collections::{BTreeMap, HashSet};
use std::future::Future;
use uuid::Uuid;

/// A runtime whose ledger lines are kept in memory.
#[derive(Debug, Clone)]
pub struct Capture {
    memory: MemoryLedger,
    runtime: Runtime,
}

impl Capture {
    /// A capture with no resources.
    pub fn new() -> Self {
        Self::with(|builder| builder)
    }

    /// A capture whose runtime is configured by `configure` (add resources,
    /// trace-id readers…); the ledger is always the in-memory one.
    pub fn with(configure: impl FnOnce(RuntimeBuilder) -> RuntimeBuilder) -> Self {
        let memory = MemoryLedger::new();
        let runtime = configure(Runtime::builder())
            .ledger(Ledger::from(memory.clone()))
            .build();
        Self { memory, runtime }
    }

    /// A capture whose ledger hands every line to memory, then to `sink`
    /// (a [`PanickingSink`], say): the lines stay assertable whatever
    /// `sink` does. `configure` as in [`with`](Self::with).
    pub fn with_sink(
        sink: impl LedgerSink,
        configure: impl FnOnce(RuntimeBuilder) -> RuntimeBuilder,
    ) -> Self {
        let memory = MemoryLedger::new();
        let tee = Tee {
            memory: memory.clone(),
            then: sink,
        };
        let runtime = configure(Runtime::builder())
            .ledger(Ledger::custom(tee))
            .build();
        Self { memory, runtime }
    }

    /// A capture whose runtime holds a fresh [`Journal`] (for [`Probe`] tasks).
    pub fn with_journal() -> (Self, Journal) {
        let journal = Journal::new();
        let capture = Self::with(|builder| builder.resource(journal.clone()));
        (capture, journal)
    }

    /// The runtime; use it with `runtime.scope(fut)`.
    pub fn runtime(&self) -> &Runtime {
        &self.runtime
    }

    /// Runs `fut` under the capturing runtime. The future borrows nothing
    /// from `self` (`'static` for a `'static` `fut`): it can be spawned.
    pub fn run<F: Future>(&self, fut: F) -> impl Future<Output = F::Output> + use<F> {
        self.runtime.scope(fut)
    }

    /// Every line written so far, as text.
    pub fn lines(&self) -> Vec<String> {
        self.memory.lines()
    }

    /// Every line written so far, parsed as JSON.
    pub fn values(&self) -> Vec<Value> {
        self.memory.values()
    }

    /// Every line written so far, parsed into records.
    pub fn records(&self) -> Vec<Record> {
        self.memory.records()
    }

    /// The lines of one task, by name.
    pub fn lines_for_task(&self, task: &str) -> Vec<Value> {
        self.values()
            .into_iter()
            .filter(|line| line["task"] == task)
            .collect()
    }

    /// The lines of one kind (`"task"`, `"workflow"`, `"rollback"`), in
    /// the order written.
    pub fn lines_of_kind(&self, kind: &str) -> Vec<Value> {
        self.values()
            .into_iter()
            .filter(|line| line["kind"] == kind)
            .collect()
    }

    /// `(kind, task, status)` of every line, in the order written: a
    /// compact picture of what a workflow did.
    pub fn summary(&self) -> Vec<(String, String, String)> {
        let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
        self.values()
            .iter()
            .map(|l| (text(&l["kind"]), text(&l["task"]), text(&l["status"])))
            .collect()
    }

    /// The lines of one chain, in the order written.
    pub fn chain(&self, cid: Uuid) -> Vec<Value> {
        let cid = cid.to_string();
        self.values()
            .into_iter()
            .filter(|line| line["cid"] == cid.as_str())
            .collect()
    }

    /// Panics unless every line parses, and no execution (`tid`) has two lines.
    pub fn assert_one_line_per_execution(&self) {
        let lines = self.lines();
        let mut seen = HashSet::new();
        for line in &lines {
            let record: Record = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("ledger line does not parse ({e}): {line}"));
            assert!(
                seen.insert(record.tid),
                "two lines for execution {}:\n{}",
                record.tid,
                lines.join("\n")
            );
        }
    }

    /// The chain as `index → parent index` (the root maps to `None`).
    pub fn parent_indexes(&self, cid: Uuid) -> BTreeMap<u64, Option<u64>> {
        let lines = self.chain(cid);
        let index_of: BTreeMap<String, u64> = lines
            .iter()
            .filter(|l| l["kind"] != "rollback")
            .filter_map(|l| Some((l["tid"].as_str()?.to_owned(), l["index"].as_u64()?)))
            .collect();
        lines
            .iter()
            .filter(|l| l["kind"] != "rollback")
            .filter_map(|l| {
                let parent = l["parent"].as_str().and_then(|p| index_of.get(p).copied());
                Some((l["index"].as_u64()?, parent))
            })
            .collect()
    }
}

/// Memory first, then another sink.
struct Tee<S> {
    memory: MemoryLedger,
    then: S,
}

impl<S: LedgerSink> LedgerSink for Tee<S> {
    fn write(&self, line: &[u8], record: &Record) {
        self.memory.write(line, record);
        self.then.write(line, record);
    }
}

/// A [`Context`](cmdx::Context) from a JSON object literal.
///
/// # Panics
///
/// When `value` is not an object: a mistake in the test itself.
pub fn context(value: Value) -> cmdx::Context {
    cmdx::Context::try_from(value).expect("a context is built from a JSON object")
}

impl Default for Capture {
    fn default() -> Self {
        Self::new()
    }
}

/// The JSON lines of `output` (lines starting with `{`), parsed; filler and
/// other text are skipped.
///
/// # Panics
///
/// If a line starting with `{` is not JSON: a torn or interleaved line.
pub fn json_lines(output: &[u8]) -> Vec<Value> {
    output
        .split(|&b| b == b'\n')
        .filter(|line| line.first() == Some(&b'{'))
        .map(|line| {
            serde_json::from_slice(line).unwrap_or_else(|error| {
                panic!(
                    "not a JSON line ({error}): {}",
                    String::from_utf8_lossy(line)
                )
            })
        })
        .collect()
}
