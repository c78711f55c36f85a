//! The seal chain rules, one writer at a time.
//!
//! Per writer id (`wid`): `seq` goes 0, 1, 2, … with no gap and no repeat,
//! and each `hash` is `SHA-256(previous hash || L)` (32 zero bytes before
//! seq 0), `L` being the line without its seal. Only the last hash and the
//! next seq of each writer are kept, so memory grows with the number of
//! writers, never with the number of lines.

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::sealed;

/// What is wrong with a link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Broken {
    /// The line carries no seal.
    Unsealed,
    /// The seal is not `{"wid":…,"seq":…,"hash":…}`.
    BadSeal(String),
    /// A seq was skipped: the line of seq `expected` is missing.
    Missing {
        /// The writer.
        wid: String,
        /// The seq that should have come.
        expected: u64,
        /// The seq found instead.
        found: u64,
    },
    /// A seq came again, or out of order.
    Repeated {
        /// The writer.
        wid: String,
        /// The seq found.
        seq: u64,
        /// The seq that should have come.
        expected: u64,
    },
    /// The hash does not match the line and the writer's previous hash.
    HashMismatch {
        /// The writer.
        wid: String,
        /// The line's seq.
        seq: u64,
    },
}

impl fmt::Display for Broken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unsealed => f.write_str(
                "unsealed line (no trailing \"seal\" key: not written by a sealing writer, \
                 or its seal was removed)",
            ),
            Self::BadSeal(why) => write!(f, "malformed seal: {why}"),
            Self::Missing {
                wid,
                expected,
                found,
            } => write!(
                f,
                "writer {wid}: seq {expected} missing (found seq {found}): a line was deleted \
                 or moved"
            ),
            Self::Repeated { wid, seq, expected } => write!(
                f,
                "writer {wid}: seq {seq} repeated or out of order (expected seq {expected}): a \
                 line was copied or moved"
            ),
            Self::HashMismatch { wid, seq } => write!(
                f,
                "writer {wid}: seq {seq}: hash mismatch: the line was changed after it was sealed"
            ),
        }
    }
}

/// A seal as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Seal<'a> {
    /// The writer id.
    #[serde(borrow)]
    pub(crate) wid: &'a str,
    /// The line's place in the writer's sequence.
    pub(crate) seq: u64,
    /// `SHA-256(prev || L)`, 64 lowercase hex digits.
    #[serde(borrow)]
    pub(crate) hash: &'a str,
}

/// One writer's place in its chain.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Writer {
    /// The seq the next line must carry (also: lines seen).
    pub(crate) next: u64,
    prev: [u8; 32],
}

/// The state of every writer's chain.
#[derive(Debug, Default)]
pub(crate) struct Chains {
    writers: BTreeMap<String, Writer>,
    lines: u64,
}

impl Chains {
    /// Checks the next line (without its newline) and moves its writer on.
    ///
    /// # Errors
    /// The broken link, when the line does not continue its writer's chain.
    pub(crate) fn push(&mut self, line: &[u8]) -> Result<(), Broken> {
        let parts = sealed::split(line).ok_or(Broken::Unsealed)?;
        let seal: Seal<'_> =
            serde_json::from_slice(parts.seal).map_err(|e| Broken::BadSeal(e.to_string()))?;
        let writer = self.writers.get(seal.wid).copied().unwrap_or(Writer {
            next: 0,
            prev: [0; 32],
        });
        let wid = || seal.wid.to_owned();
        if seal.seq > writer.next {
            return Err(Broken::Missing {
                wid: wid(),
                expected: writer.next,
                found: seal.seq,
            });
        }
        if seal.seq < writer.next {
            return Err(Broken::Repeated {
                wid: wid(),
                seq: seal.seq,
                expected: writer.next,
            });
        }
        let hash = link_hash(&writer.prev, parts.head);
        if hex(&hash) != seal.hash {
            return Err(Broken::HashMismatch {
                wid: wid(),
                seq: seal.seq,
            });
        }
        self.writers.insert(
            wid(),
            Writer {
                next: seal.seq + 1,
                prev: hash,
            },
        );
        self.lines += 1;
        Ok(())
    }

    /// Lines verified so far.
    pub(crate) fn lines(&self) -> u64 {
        self.lines
    }

    /// Every writer seen, by id.
    pub(crate) fn writers(&self) -> &BTreeMap<String, Writer> {
        &self.writers
    }
}

/// `SHA-256(prev || head || "}")`: the hash of `L` (`head` is `L` without
/// its final `}`) chained to `prev`.
fn link_hash(prev: &[u8; 32], head: &[u8]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(prev);
    hasher.update(head);
    hasher.update(b"}");
    hasher.finalize().into()
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Seals `lines` as writer `wid` would, by the spec's rule.
    pub(crate) fn seal_all(wid: &str, lines: &[&str]) -> Vec<String> {
        let mut prev = [0u8; 32];
        lines
            .iter()
            .enumerate()
            .map(|(seq, l)| {
                let head = l.strip_suffix('}').expect("a JSON object");
                prev = link_hash(&prev, head.as_bytes());
                format!(
                    r#"{head},"seal":{{"wid":"{wid}","seq":{seq},"hash":"{}"}}}}"#,
                    hex(&prev)
                )
            })
            .collect()
    }

    fn verify(lines: &[String]) -> Result<u64, Broken> {
        let mut chains = Chains::default();
        for line in lines {
            chains.push(line.as_bytes())?;
        }
        Ok(chains.lines())
    }

    const A: &str = r#"{"v":1,"n":0}"#;
    const B: &str = r#"{"v":1,"n":1}"#;
    const C: &str = r#"{"v":1,"n":2}"#;

    #[test]
    fn interleaved_intact_writers_pass() {
        let one = seal_all("w1", &[A, B, C]);
        let two = seal_all("w2", &[C, A]);
        let mixed = vec![
            one[0].clone(),
            two[0].clone(),
            one[1].clone(),
            two[1].clone(),
            one[2].clone(),
        ];
        assert_eq!(verify(&mixed), Ok(5));
    }

    #[test]
    fn an_edited_line_is_a_hash_mismatch_at_its_seq() {
        let mut lines = seal_all("w", &[A, B, C]);
        lines[1] = lines[1].replace(r#""n":1"#, r#""n":7"#);
        assert_eq!(
            verify(&lines),
            Err(Broken::HashMismatch {
                wid: "w".into(),
                seq: 1
            })
        );
    }

    #[test]
    fn a_deleted_line_is_a_missing_seq_and_a_swap_is_caught() {
        let lines = seal_all("w", &[A, B, C]);
        let deleted = vec![lines[0].clone(), lines[2].clone()];
        assert_eq!(
            verify(&deleted),
            Err(Broken::Missing {
                wid: "w".into(),
                expected: 1,
                found: 2
            })
        );
        let repeated = vec![lines[0].clone(), lines[1].clone(), lines[1].clone()];
        assert_eq!(
            verify(&repeated),
            Err(Broken::Repeated {
                wid: "w".into(),
                seq: 1,
                expected: 2
            })
        );
    }

    #[test]
    fn a_line_without_a_seal_or_with_a_bad_one_is_reported() {
        assert_eq!(verify(&[A.to_owned()]), Err(Broken::Unsealed));
        let bad = r#"{"v":1,"seal":{"wid":"w","seq":"0","hash":""}}"#.to_owned();
        assert!(matches!(verify(&[bad]), Err(Broken::BadSeal(_))));
    }

    #[test]
    fn an_uppercase_hash_is_not_the_lowercase_one() {
        let mut lines = seal_all("w", &[A]);
        let at = lines[0].find("\"hash\":\"").unwrap() + 8;
        let upper = lines[0][at..at + 64].to_uppercase();
        lines[0].replace_range(at..at + 64, &upper);
        assert!(matches!(verify(&lines), Err(Broken::HashMismatch { .. })));
    }
}
