//! Where ledger lines go: [`Ledger`] sinks and the [`Record`] they receive.
//!
//! Every execution ends in exactly one call to its runtime's ledger. The
//! task that finishes encodes its line; for stdout and writers
//! ([`NonBlocking`]) it only copies the line into a bounded queue, and a
//! writer thread does the I/O in batches, so a slow or stuck reader never
//! stalls the tokio workers and never loses a line silently. Write errors
//! (a closed stdout, a full disk) never panic the program and never turn a
//! successful execution into a failure: they are counted and reported on
//! stderr.

mod line;
mod memory;
mod record;
mod writer;

pub use memory::MemoryLedger;
pub use record::{Record, SCHEMA_VERSION};
pub use writer::{FlushError, FullQueue, NonBlocking, NonBlockingBuilder, WriterStats};

use std::fmt;
use std::io::Write;
use std::sync::Arc;

/// A destination for ledger lines; implement it to ship lines elsewhere.
///
/// `line` is the complete NDJSON line (ending in `\n`); `record` is the same
/// data, typed. `write` is called by the task that finishes, on its thread
/// (a tokio worker): implementations must not block for long. To do I/O,
/// hand the line to a thread of your own, the way [`NonBlocking`] does. A
/// sink that panics is contained: the execution keeps its outcome (its line
/// is lost for this sink), and the panic is reported — see
/// [`Plugin::LedgerSink`](crate::Plugin::LedgerSink).
pub trait LedgerSink: Send + Sync + 'static {
    /// Receives one finished execution.
    fn write(&self, line: &[u8], record: &Record);

    /// Receives one application log line (an event emitted inside an
    /// execution, see `docs/durable-ledger.md`): complete NDJSON, ending in
    /// `\n`, recognisable by its leading `"log"` key. Same rules as
    /// [`write`](Self::write): called on the emitting thread, must not block
    /// for long. The default ignores it.
    fn write_log(&self, line: &[u8]) {
        let _ = line;
    }

    /// Blocks until the lines received so far are written
    /// ([`Ledger::flush`]). The default does nothing: for sinks that write
    /// synchronously.
    fn flush(&self) -> Result<(), FlushError> {
        Ok(())
    }
}

/// Where a [`Runtime`](crate::Runtime) writes its ledger lines.
///
/// ```
/// use cmdx::{Ledger, MemoryLedger};
///
/// let stdout = Ledger::stdout(); // the default: a NonBlocking writer
/// let off = Ledger::off();
/// let file = Ledger::writer(std::io::sink());
/// let memory = MemoryLedger::new();
/// let captured = Ledger::from(memory.clone());
/// assert!(!off.is_enabled() && captured.is_enabled());
/// stdout.flush().expect("nothing queued");
/// # let _ = file;
/// ```
#[derive(Clone)]
pub struct Ledger {
    sink: Sink,
}

#[derive(Clone)]
enum Sink {
    Off,
    Background(NonBlocking),
    Custom(Arc<dyn LedgerSink>),
}

impl Ledger {
    /// Lines go to the process's stdout (the default) through a
    /// [`NonBlocking`] writer with the default settings: 1 MiB queue,
    /// [`FullQueue::Block`]. For other settings:
    /// `Ledger::from(NonBlocking::builder().capacity(…).stdout())`.
    pub fn stdout() -> Self {
        NonBlocking::stdout().into()
    }

    /// No lines are written, and inputs are not serialized.
    pub fn off() -> Self {
        Self { sink: Sink::Off }
    }

    /// Lines go to any writer (a file, a socket, a pipe) through a
    /// [`NonBlocking`] writer with the default settings. Read what it wrote
    /// after [`flush`](Self::flush).
    pub fn writer<W: Write + Send + 'static>(writer: W) -> Self {
        NonBlocking::writer(writer).into()
    }

    /// Lines go to a sink of your own.
    pub fn custom<S: LedgerSink>(sink: S) -> Self {
        Self {
            sink: Sink::Custom(Arc::new(sink)),
        }
    }

    /// Whether lines are written at all.
    pub fn is_enabled(&self) -> bool {
        !matches!(self.sink, Sink::Off)
    }

    /// Blocks until every line written so far has reached its destination
    /// (see [`NonBlocking::flush`]); a custom sink's
    /// [`LedgerSink::flush`]. Call it before reading a writer's output, or
    /// before exiting in ways that skip thread exit (`process::exit` from
    /// another thread).
    pub fn flush(&self) -> Result<(), FlushError> {
        match &self.sink {
            Sink::Off => Ok(()),
            Sink::Background(writer) => writer.flush(),
            Sink::Custom(sink) => sink.flush(),
        }
    }

    /// The writer's counters (written, dropped, failed, queued), for a
    /// [`NonBlocking`] ledger; `None` for other sinks.
    pub fn stats(&self) -> Option<WriterStats> {
        match &self.sink {
            Sink::Background(writer) => Some(writer.stats()),
            Sink::Off | Sink::Custom(_) => None,
        }
    }

    /// Writes one application log line (complete NDJSON, ending in `\n`)
    /// to the same destination as the ledger lines, in order with them.
    pub(crate) fn write_log(&self, line: &[u8]) {
        match &self.sink {
            Sink::Off => {}
            Sink::Background(writer) => writer.push(line),
            Sink::Custom(sink) => sink.write_log(line),
        }
    }

    pub(crate) fn write(&self, record: &Record) {
        match &self.sink {
            Sink::Off => {}
            Sink::Background(writer) => with_line(record, |line| writer.push(line)),
            Sink::Custom(sink) => with_line(record, |line| sink.write(line, record)),
        }
    }
}

/// Encodes `record` into this thread's line buffer and hands it to `f`; a
/// re-entrant call (a sink that executes a task) gets a fresh buffer.
fn with_line(record: &Record, f: impl FnOnce(&[u8])) {
    LINE.with(|buf| match buf.try_borrow_mut() {
        Ok(mut line) => {
            line.clear();
            record.write_line(&mut line);
            f(&line);
        }
        Err(_) => f(&record.to_line()),
    });
}

thread_local! {
    static LINE: std::cell::RefCell<Vec<u8>> = std::cell::RefCell::new(Vec::with_capacity(1024));
}

/// A `Ledger` is itself a sink: a sink that forwards lines (a tee, an
/// exporter in front of the user's ledger) hands them on with it.
///
/// ```
/// use cmdx::{Ledger, LedgerSink, MemoryLedger};
///
/// struct Both(Ledger, Ledger);
/// impl LedgerSink for Both {
///     fn write(&self, line: &[u8], record: &cmdx::Record) {
///         LedgerSink::write(&self.0, line, record);
///         LedgerSink::write(&self.1, line, record);
///     }
/// }
///
/// let memory = MemoryLedger::new();
/// let both = Ledger::custom(Both(Ledger::from(memory.clone()), Ledger::off()));
/// LedgerSink::flush(&both).expect("nothing queued");
/// ```
impl LedgerSink for Ledger {
    fn write(&self, line: &[u8], record: &Record) {
        match &self.sink {
            Sink::Off => {}
            Sink::Background(writer) => writer.push(line),
            Sink::Custom(sink) => sink.write(line, record),
        }
    }

    fn write_log(&self, line: &[u8]) {
        Ledger::write_log(self, line);
    }

    fn flush(&self) -> Result<(), FlushError> {
        Ledger::flush(self)
    }
}

impl Default for Ledger {
    fn default() -> Self {
        Self::stdout()
    }
}

impl fmt::Debug for Ledger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("Ledger");
        match &self.sink {
            Sink::Off => debug.field("enabled", &false),
            Sink::Background(writer) => debug.field("writer", writer),
            Sink::Custom(_) => debug.field("sink", &"custom"),
        };
        debug.finish()
    }
}

impl From<NonBlocking> for Ledger {
    fn from(writer: NonBlocking) -> Self {
        Self {
            sink: Sink::Background(writer),
        }
    }
}

impl From<MemoryLedger> for Ledger {
    fn from(memory: MemoryLedger) -> Self {
        Self::custom(memory)
    }
}
