//! A finished execution's record, shared by its outcome, its fault, its
//! chain and a workflow's compensation.

use super::scope::ChainState;
use crate::ledger::Record;
use std::ops::Deref;
use std::sync::Arc;

/// A finished execution's record, shared. A root's record lives in its
/// chain's state, which it outlives with anyway (its outcome holds both):
/// one allocation for the two. Every other record has its own `Arc`.
#[derive(Clone)]
pub(crate) struct SharedRecord(Shared);

#[derive(Clone)]
enum Shared {
    Own(Arc<Record>),
    /// Only made by [`SharedRecord::root`], once the chain holds the record.
    Root(Arc<ChainState>),
}

impl SharedRecord {
    /// Shares the record of `chain`'s root, kept in the chain's state.
    #[inline]
    pub(crate) fn root(record: Record, chain: Arc<ChainState>) -> Self {
        match chain.set_root(record) {
            None => Self(Shared::Root(chain)),
            // A chain hands out index 0 once, so it has one root: this is
            // unreachable, and harmless if not (the record gets an
            // allocation of its own, its outcome no chain).
            Some(record) => Self::own(record),
        }
    }

    /// A record with an allocation of its own.
    pub(crate) fn own(record: Record) -> Self {
        Self(Shared::Own(Arc::new(record)))
    }

    /// The chain this record is the root of.
    pub(crate) fn chain_of_root(&self) -> Option<&Arc<ChainState>> {
        match &self.0 {
            Shared::Own(_) => None,
            Shared::Root(chain) => Some(chain),
        }
    }
}

impl Deref for SharedRecord {
    type Target = Record;

    fn deref(&self) -> &Record {
        match &self.0 {
            Shared::Own(record) => record,
            Shared::Root(chain) => chain
                .root()
                .expect("a root's shared record is made only once the chain holds it"),
        }
    }
}

impl std::fmt::Debug for SharedRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        Record::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::retained::tests::a_record;
    use crate::{Ledger, Runtime};

    fn chain() -> Arc<ChainState> {
        let runtime = Runtime::builder().ledger(Ledger::off()).build();
        Arc::new(ChainState::started_by_root(uuid::Uuid::now_v7(), runtime))
    }

    #[test]
    fn a_roots_record_is_kept_in_its_chains_state() {
        let chain = chain();
        let shared = SharedRecord::root(a_record(0), chain.clone());
        let held = shared.chain_of_root().expect("a root holds its chain");
        assert!(Arc::ptr_eq(held, &chain));
        assert!(std::ptr::eq(&*shared, chain.root().expect("kept")));
        assert_eq!(shared.clone().index, 0);
    }

    #[test]
    fn a_second_root_of_one_chain_keeps_its_own_record_and_no_chain() {
        let chain = chain();
        let first = SharedRecord::root(a_record(0), chain.clone());
        let second = SharedRecord::root(a_record(7), chain.clone());
        assert_eq!((first.index, second.index), (0, 7));
        assert!(second.chain_of_root().is_none());
        assert_eq!(chain.root().map(|r| r.index), Some(0));
    }

    #[test]
    fn a_shared_record_debugs_as_its_record() {
        let shared = SharedRecord::root(a_record(0), chain());
        assert_eq!(format!("{shared:?}"), format!("{:?}", a_record(0)));
        let own = SharedRecord::own(a_record(3));
        assert_eq!(format!("{own:?}"), format!("{:?}", a_record(3)));
    }

    #[test]
    fn any_other_record_has_no_chain() {
        let own = SharedRecord::own(a_record(3));
        assert!(own.chain_of_root().is_none());
        assert_eq!(own.index, 3);
    }
}
