//! [`NonBlocking`]: ledger lines written by a thread of their own, the
//! default for stdout and for any writer.

mod block;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod database;
mod destination;
mod exit;
mod queue;
mod report;
mod sealed;
mod worker;

#[cfg(test)]
mod tests;

use super::{LedgerSink, Record};
use cmdx_store::seal::Sealer;
use destination::{Destination, Stdout, Stream};
use queue::Queue;
use sealed::Sealed;
use std::fmt;
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

/// Ledger lines handed to a writer thread through a bounded queue: the
/// task that finishes only copies its line into memory, and one thread does
/// the I/O, writing everything queued so far in one `write_all`.
///
/// This is what [`Ledger::stdout`](super::Ledger::stdout) (the default) and
/// [`Ledger::writer`](super::Ledger::writer) build; use the
/// [builder](Self::builder) to change the capacity or the full-queue policy.
///
/// ```
/// use cmdx::ledger::{FullQueue, NonBlocking};
/// use cmdx::{Ledger, Runtime};
///
/// let writer = NonBlocking::builder()
///     .capacity(256 * 1024)
///     .full_queue(FullQueue::DropNewest)
///     .stdout();
/// let runtime = Runtime::builder().ledger(writer.clone()).build();
/// // … executions …
/// writer.flush().expect("stdout is being read");
/// assert_eq!(writer.stats().dropped, 0);
/// # drop(runtime);
/// ```
///
/// What holds:
///
/// * **Order.** Lines are written in the order executions finished (FIFO),
///   so a chain's children come before their parent.
/// * **Bounded memory.** At most [`capacity`](NonBlockingBuilder::capacity)
///   bytes of lines are queued or being written (a single line larger than
///   the capacity is still accepted when the queue is empty).
/// * **Nothing lost silently.** With [`FullQueue::Block`] (the default) a
///   full queue makes the finishing task wait; with
///   [`FullQueue::DropNewest`] the line is dropped and counted. Lines the
///   destination refuses (a closed pipe, a full disk, a panicking writer)
///   are counted as failed. Every loss is in [`stats`](Self::stats) and in a
///   note on stderr (the first at once, then at most one every 10 s, and a
///   last one at exit).
/// * **I/O errors.** `Interrupted` is retried at once; `WouldBlock` (a
///   descriptor set non-blocking by someone else) is retried after a short
///   sleep, never dropped; any other error fails the batch's remaining
///   lines and the writer carries on with the next batch.
/// * **Flushed** by [`flush`](Self::flush), when the last clone is dropped,
///   and when a thread that queued lines exits (see below).
///
/// Flushing at exit: every thread that queues a line flushes the queue when
/// it exits. Tokio's worker threads exit when their runtime is dropped —
/// `#[tokio::main]` does it as `main` returns — and on Linux with glibc the
/// main thread's exit (returning from `main`, or `std::process::exit`
/// called on the main thread) flushes too. Not covered: `process::exit`
/// called on another thread, `abort` and `panic = "abort"`, signals that
/// kill the process, a runtime ended with `shutdown_background` or leaked,
/// and platforms whose main thread does not destroy its thread-locals at
/// exit. There, call [`flush`](Self::flush) (or
/// [`Ledger::flush`](super::Ledger::flush)) before exiting; the
/// `cmdx-telemetry` guard does it on drop and on `shutdown()`. Every flush
/// waits at most [`flush_timeout`](NonBlockingBuilder::flush_timeout)
/// without progress, then gives up and says so on stderr.
#[derive(Clone)]
pub struct NonBlocking {
    handle: Arc<Handle>,
}

/// Closes the queue when the last clone is dropped.
struct Handle {
    queue: Arc<Queue>,
    /// The writer id of a sealing writer.
    wid: Option<Uuid>,
}

impl Drop for Handle {
    fn drop(&mut self) {
        self.queue.close();
    }
}

impl NonBlocking {
    /// The default capacity: 1 MiB of lines (about 2,000 lines of 500 bytes).
    pub const DEFAULT_CAPACITY: usize = 1 << 20;

    /// The default time a flush waits while the destination accepts nothing.
    pub const DEFAULT_FLUSH_TIMEOUT: Duration = Duration::from_secs(5);

    /// Starts configuring a writer.
    pub fn builder() -> NonBlockingBuilder {
        NonBlockingBuilder {
            capacity: Self::DEFAULT_CAPACITY,
            policy: FullQueue::default(),
            flush_timeout: Self::DEFAULT_FLUSH_TIMEOUT,
            spawn_fails: false,
            sealed: false,
        }
    }

    /// Lines go to the process's stdout, with the default settings.
    pub fn stdout() -> Self {
        Self::builder().stdout()
    }

    /// Lines go to `writer`, with the default settings.
    pub fn writer<W: Write + Send + 'static>(writer: W) -> Self {
        Self::builder().writer(writer)
    }

    /// Blocks until every line queued before the call has been written (or
    /// given up as failed). Gives up when the destination accepted nothing
    /// for the flush timeout; the lines stay queued.
    ///
    /// Blocking: from async code, call it where blocking is fine (at
    /// shutdown, or in `spawn_blocking`). Called by the writer itself (a
    /// writer that executes tasks), it returns at once.
    pub fn flush(&self) -> Result<(), FlushError> {
        self.handle.queue.flush()
    }

    /// What was written, dropped and failed so far, and what is queued.
    pub fn stats(&self) -> WriterStats {
        self.handle.queue.stats()
    }

    /// The capacity in bytes.
    pub fn capacity(&self) -> usize {
        self.handle.queue.capacity()
    }

    /// What a full queue does.
    pub fn full_queue(&self) -> FullQueue {
        self.handle.queue.policy()
    }

    /// The writer id (`seal.wid` of its lines) of a sealing writer (a
    /// database, or [`sealed`](NonBlockingBuilder::sealed) NDJSON); `None`
    /// for plain NDJSON.
    ///
    /// ```
    /// use cmdx::ledger::NonBlocking;
    ///
    /// assert!(NonBlocking::writer(std::io::sink()).wid().is_none());
    /// let sealed = NonBlocking::builder().sealed(true).writer(std::io::sink());
    /// assert_eq!(sealed.wid().unwrap().get_version_num(), 7);
    /// ```
    pub fn wid(&self) -> Option<Uuid> {
        self.handle.wid
    }

    pub(crate) fn push(&self, line: &[u8]) {
        self.handle.queue.push(line);
    }

    #[cfg(test)]
    fn queue(&self) -> &Queue {
        &self.handle.queue
    }
}

impl LedgerSink for NonBlocking {
    fn write(&self, line: &[u8], _: &Record) {
        self.push(line);
    }

    fn write_log(&self, line: &[u8]) {
        self.push(line);
    }

    fn flush(&self) -> Result<(), FlushError> {
        NonBlocking::flush(self)
    }
}

impl fmt::Debug for NonBlocking {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NonBlocking")
            .field("destination", &self.handle.queue.name)
            .field("capacity", &self.capacity())
            .field("full_queue", &self.full_queue())
            .field("stats", &self.stats())
            .finish()
    }
}

/// Settings for a [`NonBlocking`] writer; start with
/// [`NonBlocking::builder`], end with [`stdout`](Self::stdout) or
/// [`writer`](Self::writer).
#[derive(Debug, Clone)]
#[must_use]
pub struct NonBlockingBuilder {
    capacity: usize,
    policy: FullQueue,
    flush_timeout: Duration,
    spawn_fails: bool,
    sealed: bool,
}

impl NonBlockingBuilder {
    /// How many bytes of lines may be queued or being written (default
    /// [`NonBlocking::DEFAULT_CAPACITY`], 1 MiB); at least one line is
    /// always accepted into an empty queue, whatever its size. Up to twice
    /// this is allocated (the queue and the batch being written).
    pub fn capacity(mut self, bytes: usize) -> Self {
        self.capacity = bytes;
        self
    }

    /// What happens when a line does not fit (default [`FullQueue::Block`]).
    pub fn full_queue(mut self, policy: FullQueue) -> Self {
        self.policy = policy;
        self
    }

    /// How long a flush (explicit, on drop, at thread exit) waits while the
    /// destination accepts nothing before giving up (default 5 s). A slow
    /// reader that keeps reading is waited for.
    pub fn flush_timeout(mut self, timeout: Duration) -> Self {
        self.flush_timeout = timeout;
        self
    }

    #[cfg(test)]
    fn spawn_fails(mut self) -> Self {
        self.spawn_fails = true;
        self
    }

    /// Whether NDJSON lines ([`stdout`](Self::stdout),
    /// [`writer`](Self::writer)) are sealed (default `false`): each line
    /// gets a trailing `"seal"` key — this writer's id, the line's sequence
    /// number and a SHA-256 chained to the previous line — computed on the
    /// writer thread, so that `cmdx ledger verify` finds an edited, removed
    /// or reordered line. Database sinks always seal.
    ///
    /// ```
    /// use cmdx::ledger::NonBlocking;
    ///
    /// let writer = NonBlocking::builder().sealed(true).writer(std::io::sink());
    /// assert!(writer.wid().is_some());
    /// ```
    pub fn sealed(mut self, sealed: bool) -> Self {
        self.sealed = sealed;
        self
    }

    /// Lines go to the process's stdout.
    pub fn stdout(self) -> NonBlocking {
        self.stream("stdout", Stdout::new())
    }

    /// Lines go to `writer` (a file, a socket, a pipe): one `write_all` per
    /// batch, then `flush`.
    pub fn writer<W: Write + Send + 'static>(self, writer: W) -> NonBlocking {
        self.stream("writer", Stream::new(writer))
    }

    fn stream(self, name: &'static str, stream: impl Destination) -> NonBlocking {
        if self.sealed {
            let wid = crate::id::uuid_v7_now();
            let sealed = Sealed::new(stream, Sealer::new(wid));
            self.destination(name, Box::new(sealed), Some(wid))
        } else {
            self.destination(name, Box::new(stream), None)
        }
    }

    /// Lines go to any destination: the piece database sinks plug into.
    fn destination(
        self,
        name: &'static str,
        destination: Box<dyn Destination>,
        wid: Option<Uuid>,
    ) -> NonBlocking {
        let settings = queue::Settings {
            name,
            capacity: self.capacity,
            policy: self.policy,
            flush_timeout: self.flush_timeout,
            spawn_fails: self.spawn_fails,
        };
        NonBlocking {
            handle: Arc::new(Handle {
                queue: Arc::new(Queue::new(settings, destination)),
                wid,
            }),
        }
    }
}

/// What a [`NonBlocking`] writer does with a line that does not fit in its
/// queue (the destination is slower than the executions, or stuck).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum FullQueue {
    /// The finishing task waits until the writer has made room: nothing is
    /// lost, and executions slow down to the destination's pace. Only
    /// executions that write a line wait, and only while the queue is full.
    /// On a multi-thread tokio runtime the wait goes through
    /// `block_in_place`, so the worker's other tasks keep running; on a
    /// `current_thread` runtime the whole runtime waits. A destination that
    /// fails (a closed pipe) never makes anyone wait: its lines are counted
    /// as failed.
    #[default]
    Block,
    /// The new line is dropped, counted in [`WriterStats::dropped`] and
    /// reported on stderr; executions never wait.
    DropNewest,
}

/// Counters of a [`NonBlocking`] writer, since it was created.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct WriterStats {
    /// Lines the destination accepted.
    pub written: u64,
    /// Lines dropped because the queue was full ([`FullQueue::DropNewest`]).
    pub dropped: u64,
    /// Lines the destination refused (an I/O error, a panicking writer), or
    /// that could not be written because the writer thread stopped. A batch
    /// whose final `flush` fails counts as failed, though some of it may
    /// have reached the destination.
    pub failed: u64,
    /// Lines queued or being written.
    pub queued: u64,
    /// Bytes queued or being written (at most the capacity, or one line).
    pub queued_bytes: usize,
}

impl WriterStats {
    /// Lines that will never be written: dropped plus failed.
    pub fn lost(&self) -> u64 {
        self.dropped + self.failed
    }
}

/// A flush gave up: the destination accepted nothing for the flush timeout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlushError {
    pending: u64,
    waited: Duration,
}

impl FlushError {
    /// `pending` lines were still queued after `waited` without progress.
    pub fn new(pending: u64, waited: Duration) -> Self {
        Self { pending, waited }
    }

    /// How many lines were still queued.
    pub fn pending(&self) -> u64 {
        self.pending
    }

    /// How long the flush waited without progress.
    pub fn waited(&self) -> Duration {
        self.waited
    }
}

impl fmt::Display for FlushError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ledger lines still queued: the destination accepted nothing for {:.1?} \
             (is the reader of the pipe stuck?); they are written if it resumes",
            self.pending, self.waited
        )
    }
}

impl std::error::Error for FlushError {}
