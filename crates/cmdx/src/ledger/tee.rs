//! [`Ledger::tee`](super::Ledger::tee): every line to two ledgers.

use super::{FlushError, Ledger, LedgerSink, Record, WriterStats};
use crate::contain::panic_message;
use std::io::Write;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// Two ledgers that each get every line. A half that panics is contained
/// on its own: the other half still gets the line, the panic is counted
/// (as a failed line of the tee's [`stats`](Ledger::stats)) and reported on
/// stderr once per half. A half's own failures (a database that refuses a
/// batch) are counted by that half's writer, as always.
pub(super) struct Tee {
    halves: [Ledger; 2],
    panics: [AtomicU64; 2],
    noted: [AtomicBool; 2],
}

impl Tee {
    pub(super) fn new(a: Ledger, b: Ledger) -> Self {
        Self {
            halves: [a, b],
            panics: [AtomicU64::new(0), AtomicU64::new(0)],
            noted: [AtomicBool::new(false), AtomicBool::new(false)],
        }
    }

    pub(super) fn halves(&self) -> &[Ledger; 2] {
        &self.halves
    }

    /// Runs `f` on each half, containing its panic.
    fn each<R>(&self, what: &str, f: impl Fn(&Ledger) -> R) -> [Option<R>; 2] {
        [0, 1].map(|i| {
            catch_unwind(AssertUnwindSafe(|| f(&self.halves[i])))
                .map_err(|panic| self.panicked(i, what, &panic_message(&*panic)))
                .ok()
        })
    }

    fn panicked(&self, half: usize, what: &str, message: &str) {
        self.panics[half].fetch_add(1, Ordering::Relaxed);
        if !self.noted[half].swap(true, Ordering::Relaxed) {
            let _ = writeln!(
                std::io::stderr().lock(),
                "cmdx: ledger tee: half {} ({:?}) panicked in {what}: {message}. The other half \
                 still gets every line; this half's lost lines are counted in Ledger::stats().failed \
                 (this note is printed once per half)",
                half + 1,
                self.halves[half],
            );
        }
    }

    /// Both halves' counters added up; a panic counts as a failed line.
    pub(super) fn stats(&self) -> Option<WriterStats> {
        let [a, b] = [&self.halves[0], &self.halves[1]].map(Ledger::stats);
        let panics: u64 = self.panics.iter().map(|n| n.load(Ordering::Relaxed)).sum();
        if a.is_none() && b.is_none() && panics == 0 {
            return None;
        }
        let mut total = WriterStats::default();
        for stats in [a, b].into_iter().flatten() {
            total.written += stats.written;
            total.dropped += stats.dropped;
            total.failed += stats.failed;
            total.queued += stats.queued;
            total.queued_bytes += stats.queued_bytes;
        }
        total.failed += panics;
        Some(total)
    }
}

impl LedgerSink for Tee {
    fn write(&self, line: &[u8], record: &Record) {
        self.each("write", |half| half.write_line(line, record));
    }

    fn write_log(&self, line: &[u8]) {
        self.each("write_log", |half| half.write_log(line));
    }

    fn flush(&self) -> Result<(), FlushError> {
        let [a, b] = self.each("flush", Ledger::flush);
        a.unwrap_or(Ok(())).and(b.unwrap_or(Ok(())))
    }
}
