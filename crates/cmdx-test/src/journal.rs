//! [`Journal`]: an append-only list of strings shared between a test and
//! the hooks, middleware or subscribers it installs.

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

    fn guard(&self) -> MutexGuard<'_, Vec<String>> {
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
