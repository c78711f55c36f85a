//! An in-memory ledger for tests and benchmarks.

use super::{LedgerSink, Record};
use serde_json::Value;
use std::sync::{Arc, Mutex, MutexGuard};

/// Keeps every ledger line in memory; clones share the same lines.
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
    lines: Arc<Mutex<Vec<String>>>,
}

impl MemoryLedger {
    /// An empty ledger.
    pub fn new() -> Self {
        Self::default()
    }

    /// Every line written so far (without the trailing newline).
    pub fn lines(&self) -> Vec<String> {
        self.guard().clone()
    }

    /// Every line parsed as JSON.
    pub fn values(&self) -> Vec<Value> {
        self.guard()
            .iter()
            .map(|line| serde_json::from_str(line).unwrap_or(Value::Null))
            .collect()
    }

    /// Every line parsed back into a [`Record`]; lines that do not parse are left out.
    pub fn records(&self) -> Vec<Record> {
        self.guard()
            .iter()
            .filter_map(|line| serde_json::from_str(line).ok())
            .collect()
    }

    /// How many lines were written (and not taken).
    pub fn len(&self) -> usize {
        self.guard().len()
    }

    /// Whether no line was written (or all were taken).
    pub fn is_empty(&self) -> bool {
        self.guard().is_empty()
    }

    /// Removes and returns every line written so far.
    pub fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.guard())
    }

    fn guard(&self) -> MutexGuard<'_, Vec<String>> {
        self.lines
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl LedgerSink for MemoryLedger {
    fn write(&self, line: &[u8], _: &Record) {
        let line = line.strip_suffix(b"\n").unwrap_or(line);
        let text = match std::str::from_utf8(line) {
            Ok(text) => text.to_owned(),
            Err(_) => String::from_utf8_lossy(line).into_owned(),
        };
        self.guard().push(text);
    }
}
