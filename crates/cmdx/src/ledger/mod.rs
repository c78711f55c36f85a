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
mod tee;
mod writer;

pub use cmdx_store::{ErrorKind as StoreErrorKind, StoreError};
pub(crate) use line::timestamp as line_timestamp;
pub use memory::MemoryLedger;
pub use record::{Record, SCHEMA_VERSION, V1_FRAMEWORK_KEYS};
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
    /// execution, see [`cmdx::logs`](crate::logs) and `docs/application-logs.md`): complete NDJSON, ending in
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
    Tee(Arc<tee::Tee>),
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

    /// Lines go to the SQLite file at `path` (created if missing; its
    /// directory must exist): the embedded durable ledger, nothing to
    /// install or start. WAL mode, every line sealed, one transaction per
    /// batch, written by a [`NonBlocking`] writer's thread with the default
    /// settings (1 MiB queue, [`FullQueue::Block`]); for others, see
    /// [`NonBlockingBuilder::sqlite`]. Errors at once when the file cannot
    /// be opened and written (see `docs/durable-ledger.md`).
    ///
    /// ```
    /// use cmdx::{Ledger, Runtime};
    ///
    /// let path = std::env::temp_dir().join(format!("cmdx-doc-ledger-{}.db", std::process::id()));
    /// let ledger = Ledger::sqlite(&path).expect("a writable file");
    /// let runtime = Runtime::builder().ledger(ledger.clone()).build();
    /// // … executions …
    /// ledger.flush().expect("stored");
    /// assert!(Ledger::sqlite("/no/such/dir/ledger.db").is_err());
    /// # drop((runtime, ledger));
    /// # for end in ["", "-wal", "-shm"] { let _ = std::fs::remove_file(format!("{}{end}", path.display())); }
    /// ```
    #[cfg(feature = "sqlite")]
    pub fn sqlite(path: impl AsRef<std::path::Path>) -> Result<Self, StoreError> {
        NonBlocking::builder().sqlite(path).map(Self::from)
    }

    /// Lines go to the PostgreSQL database at `url`
    /// (`postgres://user:password@host:port/database`), for several
    /// processes or machines writing one ledger. Same behaviour as
    /// [`sqlite`](Self::sqlite); for other settings, see
    /// [`NonBlockingBuilder::postgres`]. Errors at once when the server
    /// cannot be reached or refuses the login; once open, an outage is
    /// ridden out by retrying (nothing lost with [`FullQueue::Block`]).
    ///
    /// ```no_run
    /// let ledger = cmdx::Ledger::postgres(&std::env::var("DATABASE_URL").unwrap())?;
    /// # Ok::<(), cmdx::ledger::StoreError>(())
    /// ```
    #[cfg(feature = "postgres")]
    pub fn postgres(url: &str) -> Result<Self, StoreError> {
        NonBlocking::builder().postgres(url).map(Self::from)
    }

    /// Lines go to the store `url` names (`sqlite:PATH` or
    /// `postgres://…`), e.g. from an environment variable.
    ///
    /// ```
    /// let error = cmdx::Ledger::database("ledger.db").unwrap_err();
    /// assert_eq!(error.kind(), cmdx::ledger::StoreErrorKind::Url);
    /// ```
    #[cfg(any(feature = "sqlite", feature = "postgres"))]
    pub fn database(url: &str) -> Result<Self, StoreError> {
        NonBlocking::builder().database(url).map(Self::from)
    }

    /// Every line (ledger and log lines) goes to both `a` and `b`: stdout
    /// and a database at once, say. [`flush`](Self::flush) flushes both;
    /// [`stats`](Self::stats) adds both up. A half that fails counts its
    /// failures in its own writer's stats (and says so on stderr); a half
    /// that panics is contained on its own — the other half still gets the
    /// line — counted as a failed line and reported on stderr.
    ///
    /// ```
    /// use cmdx::{Ledger, MemoryLedger};
    ///
    /// let memory = MemoryLedger::new();
    /// let ledger = Ledger::tee(Ledger::stdout(), memory.clone());
    /// assert!(ledger.is_enabled());
    /// ledger.flush().unwrap();
    /// ```
    pub fn tee(a: impl Into<Ledger>, b: impl Into<Ledger>) -> Self {
        Self {
            sink: Sink::Tee(Arc::new(tee::Tee::new(a.into(), b.into()))),
        }
    }

    /// Lines go to a sink of your own.
    pub fn custom<S: LedgerSink>(sink: S) -> Self {
        Self {
            sink: Sink::Custom(Arc::new(sink)),
        }
    }

    /// Whether lines are written at all.
    pub fn is_enabled(&self) -> bool {
        match &self.sink {
            Sink::Off => false,
            Sink::Tee(tee) => tee.halves().iter().any(Ledger::is_enabled),
            Sink::Background(_) | Sink::Custom(_) => true,
        }
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
            Sink::Tee(tee) => tee.flush(),
        }
    }

    /// The writer's counters (written, dropped, failed, queued), for a
    /// [`NonBlocking`] ledger; for a [`tee`](Self::tee), both halves added
    /// up (a half's panic counts as a failed line); `None` for other sinks.
    pub fn stats(&self) -> Option<WriterStats> {
        match &self.sink {
            Sink::Background(writer) => Some(writer.stats()),
            Sink::Tee(tee) => tee.stats(),
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
            Sink::Tee(tee) => tee.write_log(line),
        }
    }

    pub(crate) fn write(&self, record: &Record) {
        match &self.sink {
            Sink::Off => {}
            Sink::Background(writer) => with_line(record, |line| writer.push(line)),
            // A sink's own events are not attributed to the execution whose
            // line it writes (see `writing`).
            Sink::Custom(sink) => writing(|| {
                with_line(record, |line| sink.write(line, record));
            }),
            Sink::Tee(tee) => with_line(record, |line| tee.write(line, record)),
        }
    }

    /// Writes `record`, already encoded as `line` (a tee's halves).
    fn write_line(&self, line: &[u8], record: &Record) {
        match &self.sink {
            Sink::Off => {}
            Sink::Background(writer) => writer.push(line),
            Sink::Custom(sink) => writing(|| sink.write(line, record)),
            Sink::Tee(tee) => tee.write(line, record),
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
    /// Set while this thread writes to a ledger on an execution's behalf:
    /// a log line ([`crate::logs`]), or a custom sink's `write`. Events
    /// emitted then (by a sink, or a field's `Debug`) do not become log
    /// lines, so writing never recurses.
    static WRITING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f` with this thread marked as writing (see [`WRITING`]); the mark
/// is restored even when `f` panics.
pub(crate) fn writing<R>(f: impl FnOnce() -> R) -> R {
    /// Restores what it found, when dropped.
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            WRITING.with(|writing| writing.set(self.0));
        }
    }
    let _restore = Restore(WRITING.with(|writing| writing.replace(true)));
    f()
}

/// Whether this thread is writing to a ledger (see [`WRITING`]).
pub(crate) fn is_writing() -> bool {
    WRITING.with(std::cell::Cell::get)
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
            Sink::Tee(tee) => debug.field("tee", tee.halves()),
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
