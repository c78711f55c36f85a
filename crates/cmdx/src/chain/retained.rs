//! The records a chain keeps in memory for [`Outcome::chain`]: a bounded
//! window (the first and the last to finish), so a chain's memory stays flat
//! whatever its length. The ledger has every line.
//!
//! [`Outcome::chain`]: crate::Outcome::chain

use super::shared::SharedRecord;
use std::collections::VecDeque;

/// How many records of a chain are kept in memory: the first `first` and the
/// last `last` to finish (the root's record is kept apart, in the chain's
/// state).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Retention {
    pub(crate) first: usize,
    pub(crate) last: usize,
}

impl Default for Retention {
    /// The first 500 and the last 500: ~1,000 records of a few hundred bytes
    /// each (plus their inputs), whatever the chain's length.
    fn default() -> Self {
        Self {
            first: 500,
            last: 500,
        }
    }
}

/// The window itself. Nothing is allocated until a record arrives.
#[derive(Debug, Default)]
pub(crate) struct Retained {
    first: Vec<SharedRecord>,
    last: VecDeque<SharedRecord>,
    omitted: u64,
}

/// What a chain holds when it is read: the records kept, sorted by index,
/// and how many were left out.
#[derive(Debug, Default, Clone)]
pub(crate) struct Snapshot {
    pub(crate) records: Vec<SharedRecord>,
    pub(crate) omitted: u64,
}

impl Retained {
    /// Keeps `record` if it is among the first or (for now) the last to
    /// finish; returns the record it pushed out of the window, if any, for
    /// the caller to drop outside its lock.
    pub(crate) fn push(
        &mut self,
        record: SharedRecord,
        retention: Retention,
    ) -> Option<SharedRecord> {
        if self.first.len() < retention.first {
            self.first.push(record);
            return None;
        }
        if retention.last == 0 {
            self.omitted += 1;
            return Some(record);
        }
        let evicted = if self.last.len() >= retention.last {
            self.omitted += 1;
            self.last.pop_front()
        } else {
            None
        };
        self.last.push_back(record);
        evicted
    }

    /// The records kept, sorted by index (a compensation after the execution
    /// it undoes: it starts later), and how many were left out.
    pub(crate) fn snapshot(&self) -> Snapshot {
        let mut records: Vec<SharedRecord> = self.first.iter().chain(&self.last).cloned().collect();
        records.sort_by_key(|record| record.index);
        Snapshot {
            records,
            omitted: self.omitted,
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::ledger::Record;
    use crate::{Kind, State, Status};

    fn record(index: u32) -> SharedRecord {
        SharedRecord::own(a_record(index))
    }

    /// A record at `index`, for the chain's unit tests.
    pub(crate) fn a_record(index: u32) -> Record {
        Record {
            v: 2,
            ts: chrono::DateTime::default(),
            cid: uuid::Uuid::nil(),
            xid: None,
            tid: uuid::Uuid::nil(),
            index,
            parent: None,
            root: false,
            task: "T".into(),
            kind: Kind::Task,
            state: State::Complete,
            status: Status::Success,
            reason: None,
            code: None,
            errors: None,
            metadata: serde_json::Map::new(),
            framework: serde_json::Map::new(),
            input: None,
            output: None,
            duration_ms: 0.0,
            retries: 0,
            rolled_back: false,
            strict: false,
            deprecated: false,
            cause: None,
            origin: None,
            compensates: None,
            trace_id: None,
            span_id: None,
            tags: Vec::new(),
        }
    }

    fn indexes(retained: &Retained) -> Vec<u32> {
        retained
            .snapshot()
            .records
            .iter()
            .map(|r| r.index)
            .collect()
    }

    #[test]
    fn keeps_the_first_and_the_last_to_finish_and_counts_the_rest() {
        let retention = Retention { first: 2, last: 3 };
        let mut retained = Retained::default();
        let mut evicted = Vec::new();
        for index in 1..=10 {
            evicted.extend(retained.push(record(index), retention).map(|r| r.index));
        }
        assert_eq!(indexes(&retained), [1, 2, 8, 9, 10]);
        assert_eq!(retained.snapshot().omitted, 5);
        assert_eq!(evicted, [3, 4, 5, 6, 7]);
    }

    #[test]
    fn a_short_chain_is_kept_whole_and_sorted_by_index() {
        let mut retained = Retained::default();
        for index in [3, 1, 2] {
            assert!(retained.push(record(index), Retention::default()).is_none());
        }
        assert_eq!(indexes(&retained), [1, 2, 3]);
        assert_eq!(retained.snapshot().omitted, 0);
    }

    #[test]
    fn no_window_keeps_nothing() {
        let retention = Retention { first: 0, last: 0 };
        let mut retained = Retained::default();
        assert!(retained.push(record(1), retention).is_some());
        assert!(indexes(&retained).is_empty());
        assert_eq!(retained.snapshot().omitted, 1);
    }

    #[test]
    fn only_a_tail_keeps_the_latest() {
        let retention = Retention { first: 0, last: 2 };
        let mut retained = Retained::default();
        for index in 1..=4 {
            let _ = retained.push(record(index), retention);
        }
        assert_eq!(indexes(&retained), [3, 4]);
        assert_eq!(retained.snapshot().omitted, 2);
    }
}
