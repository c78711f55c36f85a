//! Checking chains of sealed lines: per writer, `seq` 0, 1, 2, … with no
//! gap or repeat, and every hash recomputed.

use super::{Seal, SealError, unseal};
use std::collections::HashMap;
use std::fmt;
use uuid::Uuid;

/// Checks sealed lines in the order they were stored, one writer chain per
/// `wid` (lines of several writers may be interleaved).
///
/// After a broken link the verifier carries on from the line it was given
/// (so each later break is reported once). A truncated tail (the last lines
/// of a chain removed) cannot be detected from the lines alone: the chain
/// that remains is valid.
///
/// ```
/// use cmdx_store::seal::{Sealer, Verifier};
///
/// let mut sealer = Sealer::new(uuid::Uuid::now_v7());
/// let lines: Vec<String> = (0..3).map(|i| sealer.seal(&format!("{{\"n\":{i}}}")).unwrap()).collect();
/// let mut verifier = Verifier::new();
/// verifier.check(&lines[0]).unwrap();
/// let broken = verifier.check(&lines[2]).unwrap_err(); // line 1 removed
/// assert_eq!(broken.to_string(), format!("writer {}: seq 1 missing (found seq 2)", sealer.wid()));
/// ```
#[derive(Debug, Default, Clone)]
pub struct Verifier {
    chains: HashMap<Uuid, Chain>,
}

#[derive(Debug, Clone, Copy)]
struct Chain {
    next_seq: u64,
    prev: [u8; 32],
}

impl Verifier {
    /// No chain seen yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Checks the next stored line; gives back its seal when it links.
    pub fn check(&mut self, sealed: &str) -> Result<Seal, Broken> {
        let unsealed = unseal(sealed).map_err(Broken::Unsealed)?;
        let seal = *unsealed.seal();
        let chain = self.chains.entry(seal.wid).or_insert(Chain {
            next_seq: 0,
            prev: [0; 32],
        });
        let expected = *chain;
        *chain = Chain {
            next_seq: seal.seq + 1,
            prev: seal.hash,
        };
        if seal.seq > expected.next_seq {
            return Err(Broken::Missing {
                wid: seal.wid,
                missing: expected.next_seq,
                found: seal.seq,
            });
        }
        if seal.seq < expected.next_seq {
            return Err(Broken::Repeated {
                wid: seal.wid,
                seq: seal.seq,
                expected: expected.next_seq,
            });
        }
        if unsealed.expected_hash(&expected.prev) != seal.hash {
            return Err(Broken::HashMismatch {
                wid: seal.wid,
                seq: seal.seq,
            });
        }
        Ok(seal)
    }

    /// The writers seen so far, with how many lines each chain has.
    pub fn writers(&self) -> impl Iterator<Item = (Uuid, u64)> + '_ {
        self.chains
            .iter()
            .map(|(wid, chain)| (*wid, chain.next_seq))
    }
}

/// Why a line does not link to its chain.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Broken {
    /// The line carries no seal, or a malformed one.
    Unsealed(SealError),
    /// The writer's line `missing` is not there: the next one found is `found`.
    Missing {
        /// The writer.
        wid: Uuid,
        /// The first `seq` missing.
        missing: u64,
        /// The `seq` found instead.
        found: u64,
    },
    /// A `seq` seen already, or out of order.
    Repeated {
        /// The writer.
        wid: Uuid,
        /// The `seq` found.
        seq: u64,
        /// The `seq` expected.
        expected: u64,
    },
    /// The line's text (or the line before it) is not what was sealed.
    HashMismatch {
        /// The writer.
        wid: Uuid,
        /// The line's `seq`.
        seq: u64,
    },
}

impl fmt::Display for Broken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unsealed(SealError::Unsealed) => f.write_str("unsealed line"),
            Self::Unsealed(error) => write!(f, "unsealed line: {error}"),
            Self::Missing {
                wid,
                missing,
                found,
            } => write!(f, "writer {wid}: seq {missing} missing (found seq {found})"),
            Self::Repeated { wid, seq, expected } => write!(
                f,
                "writer {wid}: seq {seq} repeated or out of order (expected seq {expected})"
            ),
            Self::HashMismatch { wid, seq } => write!(
                f,
                "writer {wid}: hash mismatch at seq {seq} (the line, or the one before it, was changed)"
            ),
        }
    }
}

impl std::error::Error for Broken {}
