//! The bounded queue between the threads that finish executions and the
//! writer thread: one mutex-protected buffer of whole lines, swapped out
//! whole by the writer (one batch, one `write_all`).
//!
//! Lock order: `output` before `state`, never the reverse. The hot path
//! ([`Queue::push`]) takes `state` only; the writer takes `output` for the
//! whole batch and `state` twice, briefly (to take the batch, to count it).

use super::destination::{Batch, Destination};
use super::report::{self, Losses, Notes};
use super::{FlushError, FullQueue, WriterStats, block, exit, worker};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How often a waiting flush looks at the writer's progress.
const SLICE: Duration = Duration::from_millis(50);

/// The smallest buffer allocated for queued lines.
const MIN_BUFFER: usize = 4096;

pub(super) struct Queue {
    id: u64,
    pub(super) name: &'static str,
    capacity: usize,
    policy: FullQueue,
    flush_timeout: Duration,
    state: Mutex<State>,
    /// The writer thread waits here for lines.
    work: Condvar,
    /// Blocked producers, flushes and `close` wait here for lines to be done.
    room: Condvar,
    output: Mutex<Output>,
    thread: Mutex<Option<JoinHandle<()>>>,
    /// Bytes the destination accepted, bumped during long writes.
    progress: AtomicU64,
    spawn_fails: bool,
}

/// What only the thread writing a batch touches.
struct Output {
    destination: Box<dyn Destination>,
    /// The previous batch's buffer, cleared, for the next swap.
    spare: Vec<u8>,
}

/// Who writes the queued lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Writer {
    /// No line yet: the first push starts the thread.
    NotStarted,
    /// Writing, or lingering after a batch: pushes do not wake it.
    Running,
    /// Waiting for a push to wake it.
    Asleep,
    /// No thread could be started: the pushing threads write.
    Inline,
    /// The thread ended (closed, or crashed: then every line is failed).
    Stopped,
}

struct State {
    queued: Vec<u8>,
    queued_lines: u64,
    in_flight_bytes: usize,
    in_flight_lines: u64,
    /// Lines accepted since the start.
    accepted: u64,
    /// Lines written, failed or given up since the start.
    done: u64,
    written: u64,
    dropped: u64,
    failed: u64,
    writer: Writer,
    closing: bool,
    /// Threads waiting on `room`.
    waiters: usize,
    notes: Notes,
    /// Times a push woke the writer (a syscall on the hot path).
    wakes: u64,
}

impl State {
    fn has_room(&self, len: usize, capacity: usize) -> bool {
        let pending = self.queued.len() + self.in_flight_bytes;
        pending == 0 || pending + len <= capacity
    }

    fn append(&mut self, line: &[u8], capacity: usize) {
        let needed = self.queued.len() + line.len();
        if needed > self.queued.capacity() {
            let target = needed
                .max(self.queued.capacity() * 2)
                .max(MIN_BUFFER)
                .min(capacity.max(needed));
            self.queued.reserve_exact(target - self.queued.len());
        }
        self.queued.extend_from_slice(line);
        self.queued_lines += 1;
        self.accepted += 1;
    }

    fn note(&mut self, name: &str, force: bool) -> Option<String> {
        let losses = Losses {
            dropped: self.dropped,
            failed: self.failed,
        };
        self.notes.take(name, losses, force)
    }
}

/// What a push does when the queue is full.
enum Full {
    Drop,
    DrainHere,
    Wait,
}

pub(super) struct Settings {
    pub(super) name: &'static str,
    pub(super) capacity: usize,
    pub(super) policy: FullQueue,
    pub(super) flush_timeout: Duration,
    pub(super) spawn_fails: bool,
}

impl Queue {
    pub(super) fn new(settings: Settings, destination: Box<dyn Destination>) -> Self {
        static IDS: AtomicU64 = AtomicU64::new(1);
        Self {
            id: IDS.fetch_add(1, Ordering::Relaxed),
            name: settings.name,
            capacity: settings.capacity,
            policy: settings.policy,
            flush_timeout: settings.flush_timeout,
            state: Mutex::new(State {
                queued: Vec::new(),
                queued_lines: 0,
                in_flight_bytes: 0,
                in_flight_lines: 0,
                accepted: 0,
                done: 0,
                written: 0,
                dropped: 0,
                failed: 0,
                writer: Writer::NotStarted,
                closing: false,
                waiters: 0,
                notes: Notes::default(),
                wakes: 0,
            }),
            work: Condvar::new(),
            room: Condvar::new(),
            output: Mutex::new(Output {
                destination,
                spare: Vec::new(),
            }),
            thread: Mutex::new(None),
            progress: AtomicU64::new(0),
            spawn_fails: settings.spawn_fails,
        }
    }

    pub(super) fn id(&self) -> u64 {
        self.id
    }

    pub(super) fn capacity(&self) -> usize {
        self.capacity
    }

    pub(super) fn policy(&self) -> FullQueue {
        self.policy
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }

    /// The hot path: copies `line` into the queue. No syscall, unless the
    /// writer is asleep (the first line after a quiet spell) or the queue
    /// is full.
    pub(super) fn push(self: &Arc<Self>, line: &[u8]) {
        let mut state = self.lock();
        loop {
            if state.writer == Writer::Stopped {
                // Also when the thread stopped while this push waited.
                state.failed += 1;
                state.done += 1;
                state.accepted += 1;
                let note = state.note(self.name, false);
                drop(state);
                report::print(note);
                return;
            }
            if state.has_room(line.len(), self.capacity) {
                break;
            }
            match self.when_full(&state) {
                Full::Drop => {
                    state.dropped += 1;
                    return;
                }
                Full::DrainHere => {
                    drop(state);
                    self.drain_inline();
                    state = self.lock();
                }
                Full::Wait => state = self.wait_for_room(state, line.len()),
            }
        }
        state.append(line, self.capacity);
        let writer = state.writer;
        match writer {
            Writer::Asleep => {
                state.writer = Writer::Running;
                state.wakes += 1;
            }
            Writer::NotStarted => state.writer = Writer::Running,
            Writer::Running | Writer::Inline | Writer::Stopped => {}
        }
        drop(state);
        exit::register(self);
        match writer {
            Writer::Asleep => self.work.notify_one(),
            Writer::NotStarted => self.start(),
            Writer::Inline => self.drain_inline(),
            Writer::Running | Writer::Stopped => {}
        }
    }

    fn when_full(&self, state: &State) -> Full {
        if self.policy == FullQueue::DropNewest || writing::is(self.id) {
            // A writer that executes tasks must not wait for itself.
            Full::Drop
        } else if state.writer == Writer::Inline {
            Full::DrainHere
        } else {
            Full::Wait
        }
    }

    /// Policy `Block`: waits (off the tokio worker when there is one) until
    /// the writer has made room, or stopped.
    fn wait_for_room<'a>(
        &'a self,
        mut state: MutexGuard<'a, State>,
        len: usize,
    ) -> MutexGuard<'a, State> {
        state.waiters += 1;
        self.wake_writer(&mut state);
        drop(state);
        let mut state = block::blocking(|| {
            let mut state = self.lock();
            while !state.has_room(len, self.capacity)
                && matches!(state.writer, Writer::Running | Writer::Asleep)
            {
                state = self.room.wait(state).unwrap_or_else(|p| p.into_inner());
            }
            state
        });
        state.waiters -= 1;
        state
    }

    fn wake_writer(&self, state: &mut State) {
        if state.writer == Writer::Asleep {
            state.writer = Writer::Running;
        }
        self.work.notify_one();
    }

    fn start(self: &Arc<Self>) {
        let queue = Arc::clone(self);
        let spawned = if self.spawn_fails {
            Err(std::io::Error::other("thread creation disabled for a test"))
        } else {
            std::thread::Builder::new()
                .name("cmdx-ledger".into())
                .spawn(move || worker::run(queue))
        };
        match spawned {
            Ok(thread) => *lock(&self.thread) = Some(thread),
            Err(error) => {
                self.lock().writer = Writer::Inline;
                self.room.notify_all();
                report::print(Some(format!(
                    "cmdx: ledger writer ({}): no writer thread could be started ({error}); \
                     lines are written by the threads that finish executions instead",
                    self.name
                )));
                self.drain_inline();
            }
        }
    }

    /// The writer thread: blocks until lines are queued; false once the
    /// queue is closing and empty. After a batch it lingers for `linger`
    /// (pushes do not wake it meanwhile), then sleeps until woken.
    pub(super) fn wait_for_lines(&self, linger: Duration) -> bool {
        let mut state = self.lock();
        let mut lingered = false;
        loop {
            if state.queued_lines > 0 {
                state.writer = Writer::Running;
                return true;
            }
            if state.closing {
                return false;
            }
            if lingered || linger.is_zero() {
                state.writer = Writer::Asleep;
                state = self.work.wait(state).unwrap_or_else(|p| p.into_inner());
                lingered = false;
            } else {
                state.writer = Writer::Running;
                state = self
                    .work
                    .wait_timeout(state, linger)
                    .unwrap_or_else(|p| p.into_inner())
                    .0;
                lingered = true;
            }
        }
    }

    /// Writes everything queued as one batch; false if nothing was queued.
    pub(super) fn drain_once(&self) -> bool {
        let mut output = lock(&self.output);
        let (mut batch, lines) = {
            let mut state = self.lock();
            if state.queued_lines == 0 {
                return false;
            }
            let spare = std::mem::take(&mut output.spare);
            let batch = std::mem::replace(&mut state.queued, spare);
            let lines = std::mem::take(&mut state.queued_lines);
            state.in_flight_bytes = batch.len();
            state.in_flight_lines = lines;
            (batch, lines)
        };
        let destination = &mut output.destination;
        let result = writing::scope(self.id, || {
            catch_unwind(AssertUnwindSafe(|| {
                destination.write(&Batch::new(&batch, lines, &self.progress))
            }))
        });
        let (written, reason) = match result {
            Ok(Ok(())) => (lines, None),
            Ok(Err(failure)) => (failure.written.min(lines), Some(failure.reason)),
            Err(panic) => (
                0,
                Some(format!("the writer panicked: {}", message(&*panic))),
            ),
        };
        let note = {
            let mut state = self.lock();
            state.in_flight_bytes = 0;
            state.in_flight_lines = 0;
            state.done += lines;
            state.written += written;
            state.failed += lines - written;
            if let Some(reason) = reason {
                state.notes.failed_because(reason);
            }
            if state.waiters > 0 {
                self.room.notify_all();
            }
            state.note(self.name, false)
        };
        batch.clear();
        if batch.capacity() > self.capacity.max(MIN_BUFFER) {
            batch = Vec::new();
        }
        output.spare = batch;
        drop(output);
        report::print(note);
        true
    }

    /// The writer thread ends normally: the destination says goodbye (a
    /// database connection is closed cleanly). A panic there is ignored.
    pub(super) fn close_destination(&self) {
        let mut output = lock(&self.output);
        let _ = catch_unwind(AssertUnwindSafe(|| output.destination.close()));
    }

    /// Without a writer thread: the calling thread writes what is queued
    /// (unless it is already writing for this queue: the outer call will).
    fn drain_inline(&self) {
        if !writing::is(self.id) {
            while self.drain_once() {}
        }
    }

    /// The writer thread ended: normally (closed, nothing left), or by a
    /// panic, after which nothing queued can be written.
    pub(super) fn stopped(&self, panic: Option<String>) {
        let note = {
            let mut state = self.lock();
            state.writer = Writer::Stopped;
            let stranded = state.queued_lines + state.in_flight_lines;
            if let Some(panic) = panic {
                state.notes.failed_because(format!(
                    "the ledger writer thread stopped ({panic}); later lines are not written"
                ));
            }
            state.failed += stranded;
            state.done += stranded;
            state.queued.clear();
            state.queued_lines = 0;
            state.in_flight_bytes = 0;
            state.in_flight_lines = 0;
            state.note(self.name, true)
        };
        self.room.notify_all();
        report::print(note);
    }

    /// Blocks until every line accepted before the call is done, or until
    /// the destination made no progress for the flush timeout.
    pub(super) fn flush(&self) -> Result<(), FlushError> {
        if writing::is(self.id) {
            return Ok(());
        }
        let state = self.lock();
        let target = state.accepted;
        if state.writer == Writer::Inline {
            drop(state);
            self.drain_inline();
            return Ok(());
        }
        let (state, waited) = self.wait_until(state, |state| state.done >= target);
        if state.done >= target {
            Ok(())
        } else {
            Err(FlushError::new(target - state.done, waited))
        }
    }

    /// Waits on `room` until `ready`, or until nothing moved for the flush
    /// timeout; gives back how long it waited without progress.
    fn wait_until<'a>(
        &'a self,
        mut state: MutexGuard<'a, State>,
        ready: impl Fn(&State) -> bool,
    ) -> (MutexGuard<'a, State>, Duration) {
        if ready(&state) {
            return (state, Duration::ZERO);
        }
        state.waiters += 1;
        self.wake_writer(&mut state);
        let mut seen = (state.done, self.progress.load(Ordering::Relaxed));
        let mut since = Instant::now();
        while !ready(&state) && state.writer != Writer::Stopped {
            let timeout = SLICE.min(self.flush_timeout);
            state = self
                .room
                .wait_timeout(state, timeout)
                .unwrap_or_else(|p| p.into_inner())
                .0;
            let now = (state.done, self.progress.load(Ordering::Relaxed));
            if now != seen {
                seen = now;
                since = Instant::now();
            } else if since.elapsed() >= self.flush_timeout {
                break;
            }
        }
        state.waiters -= 1;
        (state, since.elapsed())
    }

    /// The last handle is gone: writes what is queued (waiting as a flush
    /// does), stops the thread, and prints a last note if lines were lost.
    pub(super) fn close(&self) {
        let mut state = self.lock();
        state.closing = true;
        match state.writer {
            Writer::Running | Writer::Asleep if !writing::is(self.id) => {
                let (state, waited) =
                    self.wait_until(state, |state| state.writer == Writer::Stopped);
                let stopped = state.writer == Writer::Stopped;
                let pending = state.accepted.saturating_sub(state.done);
                drop(state);
                if stopped {
                    if let Some(thread) = lock(&self.thread).take() {
                        let _ = thread.join();
                    }
                } else {
                    report::print(Some(format!(
                        "cmdx: ledger writer ({}): closed with {}",
                        self.name,
                        FlushError::new(pending, waited)
                    )));
                }
            }
            Writer::Running | Writer::Asleep => {
                drop(state);
                self.work.notify_one();
            }
            Writer::Inline => {
                drop(state);
                self.drain_inline();
            }
            Writer::NotStarted | Writer::Stopped => drop(state),
        }
        self.print_losses();
    }

    /// A thread that queued lines exits: flush, and report what was lost.
    pub(super) fn flush_at_exit(&self) {
        if let Err(error) = self.flush() {
            report::print(Some(format!(
                "cmdx: ledger writer ({}): at thread exit, {error}",
                self.name
            )));
        }
        self.print_losses();
    }

    /// Prints the losses not yet reported, whatever the interval.
    pub(super) fn print_losses(&self) {
        let note = self.lock().note(self.name, true);
        report::print(note);
    }

    pub(super) fn stats(&self) -> WriterStats {
        let state = self.lock();
        WriterStats {
            written: state.written,
            dropped: state.dropped,
            failed: state.failed,
            queued: state.queued_lines + state.in_flight_lines,
            queued_bytes: state.queued.len() + state.in_flight_bytes,
        }
    }

    #[cfg(test)]
    pub(super) fn wakes(&self) -> u64 {
        self.lock().wakes
    }

    /// The capacity of the buffer kept for the next batch.
    #[cfg(test)]
    pub(super) fn spare_capacity(&self) -> usize {
        lock(&self.output).spare.capacity()
    }

    #[cfg(test)]
    pub(super) fn writer(&self) -> Writer {
        self.lock().writer
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The text of a panic payload.
pub(super) fn message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a non-string payload".to_owned())
}

/// Which queue, if any, the current thread is writing for: such a thread
/// must never wait for that queue (it would wait for itself).
mod writing {
    use std::cell::Cell;

    thread_local! {
        static QUEUE: Cell<u64> = const { Cell::new(0) };
    }

    pub(super) fn is(id: u64) -> bool {
        QUEUE.try_with(Cell::get).is_ok_and(|current| current == id)
    }

    pub(super) fn scope<R>(id: u64, f: impl FnOnce() -> R) -> R {
        let previous = QUEUE.try_with(|current| current.replace(id)).unwrap_or(0);
        let result = f();
        let _ = QUEUE.try_with(|current| current.set(previous));
        result
    }
}
