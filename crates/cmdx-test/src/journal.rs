//! [`Journal`]: an append-only list of strings shared between a test and
//! the tasks, hooks, middleware or subscribers it installs.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

/// Records what happened, in order; clones share the same entries.
///
/// ```
/// use cmdx_test::Journal;
///
/// let journal = Journal::new();
/// let writer = journal.clone();
/// writer.push("before");
/// writer.push(format!("after {}", 1));
/// assert_eq!(journal.entries(), ["before", "after 1"]);
/// ```
#[derive(Debug, Clone, Default)]
pub struct Journal {
    entries: Arc<Mutex<Vec<String>>>,
    in_flight: Arc<AtomicUsize>,
    max_in_flight: Arc<AtomicUsize>,
}

impl Journal {
    /// An empty journal.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends an entry.
    pub fn push(&self, entry: impl Into<String>) {
        self.guard().push(entry.into());
    }

    /// Every entry so far.
    pub fn entries(&self) -> Vec<String> {
        self.guard().clone()
    }

    /// How many entries equal `entry`.
    pub fn count(&self, entry: &str) -> usize {
        self.guard().iter().filter(|e| *e == entry).count()
    }

    /// The entries ending with `suffix` (e.g. `" work"`), without it.
    pub fn of(&self, suffix: &str) -> Vec<String> {
        self.guard()
            .iter()
            .filter_map(|e| e.strip_suffix(suffix).map(str::to_owned))
            .collect()
    }

    /// Notes that one more task is running (see [`Journal::max_in_flight`]).
    pub fn enter(&self) {
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_in_flight.fetch_max(now, Ordering::SeqCst);
    }

    /// Notes that a task [`enter`](Journal::enter)ed before finished.
    pub fn leave(&self) {
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
    }

    /// The most tasks that were running at the same time.
    pub fn max_in_flight(&self) -> usize {
        self.max_in_flight.load(Ordering::SeqCst)
    }

    fn guard(&self) -> MutexGuard<'_, Vec<String>> {
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
