//! The trailing `seal` key of a sealed line: splitting it off, and printing
//! lines without it (it is writer metadata, not part of the record).
//!
//! A sealed line is the line `L` as produced with its final `}` replaced by
//! `,"seal":{"wid":…,"seq":…,"hash":…}}` (see `docs/durable-ledger.md`); the
//! text before the last `,"seal":` followed by `}` gives `L` back.

use std::borrow::Cow;

use memchr::memmem;

use crate::line::LedgerLine;

/// What separates a line's record from its seal.
const SEAL_KEY: &[u8] = b",\"seal\":";

/// A sealed line cut in two: the record without its closing `}`, and the
/// seal object's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Split<'l> {
    /// `L` without its final `}`: hash `head` then `}` to get `L`'s hash.
    pub(crate) head: &'l [u8],
    /// The seal object, `{…}`, as written.
    pub(crate) seal: &'l [u8],
}

/// Cuts `line` at its last `,"seal":`; `None` when there is none or the
/// line does not end with `}` after it.
pub(crate) fn split(line: &[u8]) -> Option<Split<'_>> {
    let at = memmem::rfind(line, SEAL_KEY)?;
    let seal = line.get(at + SEAL_KEY.len()..line.len().checked_sub(1)?)?;
    (line.last() == Some(&b'}')).then_some(Split {
        head: &line[..at],
        seal,
    })
}

/// The line as the runtime produced it: `raw` when `parsed` has no seal,
/// otherwise `raw` with its trailing seal key removed.
pub(crate) fn record<'r>(parsed: &LedgerLine<'_>, raw: &'r [u8]) -> Cow<'r, [u8]> {
    let Some(seal) = parsed.seal else {
        return Cow::Borrowed(raw);
    };
    match split(raw) {
        // Only the top-level seal, written last, is removed.
        Some(parts) if parts.seal == seal.get().as_bytes() => {
            let mut line = Vec::with_capacity(parts.head.len() + 1);
            line.extend_from_slice(parts.head);
            line.push(b'}');
            Cow::Owned(line)
        }
        _ => Cow::Borrowed(raw),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::line::parse_line;

    const SEALED: &str = r#"{"v":1,"ts":"2026-11-26T10:00:00.120Z","cid":"c","tid":"t","index":0,"root":true,"task":"T","kind":"task","state":"complete","status":"success","input":{"seal":1},"seal":{"wid":"w","seq":0,"hash":"00"}}"#;

    #[test]
    fn the_last_seal_key_is_split_off() {
        let parts = split(SEALED.as_bytes()).unwrap();
        assert_eq!(parts.seal, br#"{"wid":"w","seq":0,"hash":"00"}"#);
        assert!(parts.head.ends_with(br#""input":{"seal":1}"#));
    }

    #[test]
    fn a_record_is_printed_without_its_seal_and_an_unsealed_one_unchanged() {
        let parsed = parse_line(SEALED.as_bytes()).unwrap();
        let record = record(&parsed, SEALED.as_bytes());
        assert!(record.ends_with(br#""input":{"seal":1}}"#), "{record:?}");
        let plain = br#"{"v":1,"ts":"x","cid":"c","tid":"t","index":0,"task":"T","kind":"task","state":"complete","status":"success","input":{"a":1,"seal":2}}"#;
        let parsed = parse_line(plain).unwrap();
        assert!(matches!(super::record(&parsed, plain), Cow::Borrowed(b) if b == plain));
    }

    #[test]
    fn a_line_without_a_seal_key_does_not_split() {
        assert_eq!(split(b"{\"v\":1}"), None);
        assert_eq!(split(b",\"seal\":"), None);
    }
}
