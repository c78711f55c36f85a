//! Notes on stderr about lines that were not written: the first loss at
//! once, then at most one note every [`INTERVAL`] while losses continue,
//! and a last one when the writer closes or the process exits. Every lost
//! line is in some note; the counters are in
//! [`WriterStats`](super::WriterStats).

use std::io::Write;
use std::time::{Duration, Instant};

/// The shortest time between two notes.
pub(super) const INTERVAL: Duration = Duration::from_secs(10);

/// What has been reported so far.
#[derive(Debug, Default)]
pub(super) struct Notes {
    dropped: u64,
    failed: u64,
    last: Option<Instant>,
    /// The last write error (or panic).
    reason: Option<String>,
}

/// The loss counters a note is about.
#[derive(Debug, Clone, Copy)]
pub(super) struct Losses {
    pub(super) dropped: u64,
    pub(super) failed: u64,
}

impl Notes {
    /// Keeps the latest reason lines failed, for the next note.
    pub(super) fn failed_because(&mut self, reason: String) {
        self.reason = Some(reason);
    }

    /// The note to print now, if any: something was lost since the last one
    /// and (`force`, or the first note, or [`INTERVAL`] elapsed).
    pub(super) fn take(&mut self, name: &str, total: Losses, force: bool) -> Option<String> {
        let dropped = total.dropped - self.dropped;
        let failed = total.failed - self.failed;
        if dropped == 0 && failed == 0 {
            return None;
        }
        let now = Instant::now();
        if !force && self.last.is_some_and(|last| now - last < INTERVAL) {
            return None;
        }
        self.last = Some(now);
        self.dropped = total.dropped;
        self.failed = total.failed;
        let mut note = format!(
            "cmdx: ledger writer ({name}): {} lost since the last note",
            lines(dropped + failed)
        );
        if dropped > 0 {
            note.push_str(&format!(
                "; {dropped} dropped because the queue was full (raise the capacity, or use \
                 FullQueue::Block to wait instead of dropping)"
            ));
        }
        if failed > 0 {
            let reason = self.reason.as_deref().unwrap_or("unknown");
            note.push_str(&format!("; {failed} not written: {reason}"));
        }
        note.push_str(&format!(
            ". Totals: {} dropped, {} failed.",
            total.dropped, total.failed
        ));
        Some(note)
    }
}

fn lines(n: u64) -> String {
    if n == 1 {
        "1 line".to_owned()
    } else {
        format!("{n} lines")
    }
}

/// Prints `note` on stderr. Never panics (unlike `eprintln!`), also when
/// stderr is closed.
pub(super) fn print(note: Option<String>) {
    if let Some(note) = note {
        let _ = writeln!(std::io::stderr().lock(), "{note}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn losses(dropped: u64, failed: u64) -> Losses {
        Losses { dropped, failed }
    }

    #[test]
    fn the_first_loss_is_noted_at_once_and_later_ones_wait_for_the_interval() {
        let mut notes = Notes::default();
        assert!(notes.take("stdout", losses(0, 0), false).is_none());
        let first = notes.take("stdout", losses(3, 0), false).unwrap();
        assert!(first.contains("3 lines lost"), "{first}");
        assert!(first.contains("3 dropped"), "{first}");
        assert!(notes.take("stdout", losses(5, 0), false).is_none());
        let last = notes.take("stdout", losses(5, 0), true).unwrap();
        assert!(last.contains("2 lines lost"), "{last}");
        assert!(last.contains("Totals: 5 dropped, 0 failed"), "{last}");
        assert!(notes.take("stdout", losses(5, 0), true).is_none());
    }

    #[test]
    fn a_failure_note_says_why() {
        let mut notes = Notes::default();
        notes.failed_because("Broken pipe (os error 32)".into());
        let note = notes.take("stdout", losses(0, 2), false).unwrap();
        assert!(
            note.contains("2 not written: Broken pipe (os error 32)"),
            "{note}"
        );
        assert!(!note.contains("dropped because"), "{note}");
    }
}
