//! An in-memory ledger for tests and benchmarks.

use super::{LedgerSink, Record};
use serde_json::Value;
use std::sync::{Arc, Mutex, MutexGuard};

/// Keeps every line in memory; clones share the same lines.
///
/// Ledger lines (one per execution) and [log lines](crate::logs) (events
/// emitted inside executions) are kept in the order they were written:
/// [`lines`](Self::lines), [`values`](Self::values),
/// [`records`](Self::records) and [`len`](Self::len) see the ledger lines,
/// [`logs`](Self::logs) and [`log_values`](Self::log_values) the log lines,
/// and [`all_lines`](Self::all_lines) both, interleaved.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use cmdx::prelude::*;
/// use cmdx::{Ledger, MemoryLedger, Runtime};
///
/// #[derive(Debug, Serialize, Deserialize, Validate)]
/// struct Ping {}
/// impl Task for Ping {
///     type Output = ();
///     fn name() -> &'static str {
///         "Ping"
///     }
///     async fn work(&self, _: &mut Cx) -> Result<(), Halt> { Ok(()) }
/// }
///
/// let memory = MemoryLedger::new();
/// let runtime = Runtime::builder().ledger(memory.clone()).build();
/// let _ = runtime.scope(Ping {}.execute()).await;
/// assert_eq!(memory.lines().len(), 1);
/// assert_eq!(memory.values()[0]["task"], "Ping");
/// # }
/// ```
#[derive(Debug, Clone, Default)]
pub struct MemoryLedger {
    lines: Arc<Mutex<Vec<Line>>>,
}

/// One line, and whether it is a log line.
#[derive(Debug, Clone)]
struct Line {
    log: bool,
    text: String,
}

impl MemoryLedger {
    /// An empty ledger.
    pub fn new() -> Self {
        Self::default()
    }

    /// Every ledger line written so far (without the trailing newline).
    pub fn lines(&self) -> Vec<String> {
        self.texts(false)
    }

    /// Every ledger line parsed as JSON.
    pub fn values(&self) -> Vec<Value> {
        parse(self.texts(false))
    }

    /// Every ledger line parsed back into a [`Record`]; lines that do not parse are left out.
    pub fn records(&self) -> Vec<Record> {
        self.texts(false)
            .iter()
            .filter_map(|line| serde_json::from_str(line).ok())
            .collect()
    }

    /// Every log line written so far (without the trailing newline): the
    /// events emitted inside executions, see [`cmdx::logs`](crate::logs).
    ///
    /// ```
    /// let memory = cmdx::MemoryLedger::new();
    /// assert!(memory.logs().is_empty());
    /// ```
    pub fn logs(&self) -> Vec<String> {
        self.texts(true)
    }

    /// Every log line parsed as JSON.
    ///
    /// ```
    /// let memory = cmdx::MemoryLedger::new();
    /// assert!(memory.log_values().is_empty());
    /// ```
    pub fn log_values(&self) -> Vec<Value> {
        parse(self.texts(true))
    }

    /// Every line, ledger and log lines interleaved, in the order they
    /// were written (without the trailing newline).
    ///
    /// ```
    /// let memory = cmdx::MemoryLedger::new();
    /// assert_eq!(memory.all_lines().len(), memory.lines().len() + memory.logs().len());
    /// ```
    pub fn all_lines(&self) -> Vec<String> {
        self.guard().iter().map(|line| line.text.clone()).collect()
    }

    /// How many ledger lines were written (and not taken).
    pub fn len(&self) -> usize {
        self.guard().iter().filter(|line| !line.log).count()
    }

    /// Whether no ledger line was written (or all were taken).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Removes every line written so far (log lines too), and returns the
    /// ledger lines.
    pub fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.guard())
            .into_iter()
            .filter(|line| !line.log)
            .map(|line| line.text)
            .collect()
    }

    fn texts(&self, log: bool) -> Vec<String> {
        self.guard()
            .iter()
            .filter(|line| line.log == log)
            .map(|line| line.text.clone())
            .collect()
    }

    fn push(&self, log: bool, line: &[u8]) {
        let line = line.strip_suffix(b"\n").unwrap_or(line);
        let text = match std::str::from_utf8(line) {
            Ok(text) => text.to_owned(),
            Err(_) => String::from_utf8_lossy(line).into_owned(),
        };
        self.guard().push(Line { log, text });
    }

    fn guard(&self) -> MutexGuard<'_, Vec<Line>> {
        self.lines
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn parse(lines: Vec<String>) -> Vec<Value> {
    lines
        .iter()
        .map(|line| serde_json::from_str(line).unwrap_or(Value::Null))
        .collect()
}

impl LedgerSink for MemoryLedger {
    fn write(&self, line: &[u8], _: &Record) {
        self.push(false, line);
    }

    fn write_log(&self, line: &[u8]) {
        self.push(true, line);
    }
}
