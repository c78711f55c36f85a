//! Where ledger lines go: [`Ledger`] sinks and the [`Record`] they receive.
//!
//! Every execution ends in exactly one call to its runtime's ledger. Lines are
//! written synchronously by the task that finished, so nothing is buffered
//! in memory waiting for a background writer, and a process that exits right
//! after its last `execute().await` loses nothing. Write errors (a closed
//! stdout, a full disk) are swallowed: the ledger never panics the program
//! and never turns a successful execution into a failure.

mod line;
mod memory;
mod record;

pub use memory::MemoryLedger;
pub use record::{Record, SCHEMA_VERSION};

use std::fmt;
use std::io::Write;
use std::sync::{Arc, Mutex};

/// A destination for ledger lines; implement it to ship lines elsewhere.
///
/// `line` is the complete NDJSON line (ending in `\n`); `record` is the same
/// data, typed. Implementations must not block for long. A sink that panics
/// is contained: the execution keeps its outcome (its line is lost for this
/// sink), and the panic is reported — see
/// [`Plugin::LedgerSink`](crate::Plugin::LedgerSink).
pub trait LedgerSink: Send + Sync + 'static {
    /// Receives one finished execution.
    fn write(&self, line: &[u8], record: &Record);
}

/// Where a [`Runtime`](crate::Runtime) writes its ledger lines.
///
/// ```
/// use cmdx::{Ledger, MemoryLedger};
///
/// let stdout = Ledger::stdout(); // the default
/// let off = Ledger::off();
/// let file = Ledger::writer(std::io::sink());
/// let memory = MemoryLedger::new();
/// let captured = Ledger::from(memory.clone());
/// assert!(!off.is_enabled() && captured.is_enabled());
/// # let _ = (stdout, file);
/// ```
#[derive(Clone)]
pub struct Ledger {
    sink: Option<Arc<dyn LedgerSink>>,
}

impl Ledger {
    /// Lines go to the process's stdout (the default).
    pub fn stdout() -> Self {
        Self::custom(Stdout)
    }

    /// No lines are written, and inputs are not serialized.
    pub fn off() -> Self {
        Self { sink: None }
    }

    /// Lines go to any writer (a file, a socket, a `Vec<u8>`), one
    /// `write_all` per line behind a mutex.
    pub fn writer<W: Write + Send + 'static>(writer: W) -> Self {
        Self::custom(Writer(Mutex::new(Box::new(writer))))
    }

    /// Lines go to a sink of your own.
    pub fn custom<S: LedgerSink>(sink: S) -> Self {
        Self {
            sink: Some(Arc::new(sink)),
        }
    }

    /// Whether lines are written at all.
    pub fn is_enabled(&self) -> bool {
        self.sink.is_some()
    }

    pub(crate) fn write(&self, record: &Record) {
        if let Some(sink) = &self.sink {
            LINE.with(|buf| {
                // Reuse one buffer per thread; a re-entrant sink gets a fresh one.
                match buf.try_borrow_mut() {
                    Ok(mut line) => {
                        line.clear();
                        record.write_line(&mut line);
                        sink.write(&line, record);
                    }
                    Err(_) => sink.write(&record.to_line(), record),
                }
            });
        }
    }
}

thread_local! {
    static LINE: std::cell::RefCell<Vec<u8>> = std::cell::RefCell::new(Vec::with_capacity(1024));
}

impl Default for Ledger {
    fn default() -> Self {
        Self::stdout()
    }
}

impl fmt::Debug for Ledger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ledger")
            .field("enabled", &self.is_enabled())
            .finish()
    }
}

impl From<MemoryLedger> for Ledger {
    fn from(memory: MemoryLedger) -> Self {
        Self::custom(memory)
    }
}

struct Stdout;

impl LedgerSink for Stdout {
    fn write(&self, line: &[u8], _: &Record) {
        // `Stdout` is line-buffered: one line, one write. A closed pipe
        // returns an error (Rust ignores SIGPIPE), which we drop.
        let _ = std::io::stdout().lock().write_all(line);
    }
}

struct Writer(Mutex<Box<dyn Write + Send>>);

impl LedgerSink for Writer {
    fn write(&self, line: &[u8], _: &Record) {
        let mut writer = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let _ = writer.write_all(line).and_then(|()| writer.flush());
    }
}
