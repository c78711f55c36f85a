//! Tamper evidence: each line a sealing writer writes carries a hash over
//! the previous line's hash and its own text, so that editing, removing or
//! reordering a stored line breaks the chain at that line.
//!
//! For a line `L` (compact JSON, without its `\n`) written by writer `wid`
//! as its `seq`-th line: `hash = SHA-256(prev || L)`, where `prev` is the
//! 32-byte hash of the writer's previous line (32 zero bytes for `seq` 0).
//! The sealed line is `L` with its final `}` replaced by
//! `,"seal":{"wid":"<uuid>","seq":<n>,"hash":"<64 lowercase hex>"}}`:
//! `seal` is always the last key, so [`unseal`] gets `L` back by cutting at
//! the last `,"seal":` and appending `}`.
//!
//! ```
//! use cmdx_store::seal::{Sealer, Verifier, unseal};
//!
//! let mut sealer = Sealer::new(uuid::Uuid::now_v7());
//! let first = sealer.seal(r#"{"v":1,"task":"A"}"#).unwrap();
//! let second = sealer.seal(r#"{"v":1,"task":"B"}"#).unwrap();
//! assert!(first.ends_with("}}") && first.contains(r#","seal":{"wid":"#));
//!
//! let unsealed = unseal(&second).unwrap();
//! assert_eq!(unsealed.line(), r#"{"v":1,"task":"B"}"#);
//! assert_eq!(unsealed.seal().seq, 1);
//!
//! let mut verifier = Verifier::new();
//! verifier.check(&first).unwrap();
//! verifier.check(&second).unwrap();
//! // Edited in place: the hash no longer matches.
//! let edited = second.replace(r#""B""#, r#""C""#);
//! let mut verifier = Verifier::new();
//! verifier.check(&first).unwrap();
//! assert!(verifier.check(&edited).unwrap_err().to_string().contains("hash mismatch"));
//! ```

mod verify;

pub use verify::{Broken, Verifier};

use sha2::{Digest, Sha256};
use std::fmt;
use uuid::Uuid;

/// The key that introduces a line's seal: everything from its last
/// occurrence to the end is the seal.
pub const SEAL_KEY: &str = r#","seal":"#;

/// A line's seal: which writer wrote it, its place in that writer's
/// sequence, and the chained hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Seal {
    /// The writer's id (a UUIDv7 made when the writer was built).
    pub wid: Uuid,
    /// The line's place in the writer's sequence, from 0.
    pub seq: u64,
    /// `SHA-256(previous hash || line)`.
    pub hash: [u8; 32],
}

impl Seal {
    /// The hash as 64 lowercase hex digits, as it is written in lines.
    pub fn hash_hex(&self) -> String {
        hex(&self.hash)
    }

    /// Writes `,"seal":{…}}` (the end of a sealed line) into `out`.
    fn write_suffix(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(SEAL_KEY.as_bytes());
        out.extend_from_slice(br#"{"wid":""#);
        let mut wid = Uuid::encode_buffer();
        out.extend_from_slice(self.wid.hyphenated().encode_lower(&mut wid).as_bytes());
        out.extend_from_slice(br#"","seq":"#);
        out.extend_from_slice(self.seq.to_string().as_bytes());
        out.extend_from_slice(br#","hash":""#);
        out.extend_from_slice(hex(&self.hash).as_bytes());
        out.extend_from_slice(br#""}}"#);
    }
}

/// The hash that chains `line` (without its seal and without `\n`) to the
/// line before it: `SHA-256(prev || line)`.
///
/// ```
/// let first = cmdx_store::seal::hash(&[0; 32], br#"{"v":1}"#);
/// let second = cmdx_store::seal::hash(&first, br#"{"v":1}"#);
/// assert_ne!(first, second, "the same text at another place hashes differently");
/// ```
pub fn hash(prev: &[u8; 32], line: &[u8]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(prev);
    hasher.update(line);
    hasher.finalize().into()
}

/// `line` with `seal` appended as its last key (the text [`Sealer::seal`]
/// produces); fails if `line` is not a JSON object (does not end in `}`).
///
/// ```
/// use cmdx_store::seal::{Seal, seal};
///
/// let s = Seal { wid: uuid::Uuid::nil(), seq: 0, hash: [0xab; 32] };
/// let sealed = seal(r#"{"v":1}"#, &s).unwrap();
/// assert!(sealed.starts_with(r#"{"v":1,"seal":{"wid":"00000000-0000-0000-0000-000000000000","seq":0,"hash":"abab"#));
/// ```
pub fn seal(line: &str, seal: &Seal) -> Result<String, SealError> {
    let mut out = Vec::with_capacity(line.len() + 128);
    append_sealed(line.as_bytes(), seal, &mut out)?;
    Ok(String::from_utf8(out).expect("a str with ASCII appended"))
}

/// Appends `line` sealed with `seal` to `out` (no `\n`).
fn append_sealed(line: &[u8], seal: &Seal, out: &mut Vec<u8>) -> Result<(), SealError> {
    let body = object_body(line)?;
    out.extend_from_slice(body);
    seal.write_suffix(out);
    Ok(())
}

/// `line` without its final `}`; an error if it is not an object.
fn object_body(line: &[u8]) -> Result<&[u8], SealError> {
    match line.strip_suffix(b"}") {
        Some(body) if line.starts_with(b"{") => Ok(body),
        _ => Err(SealError::NotAnObject),
    }
}

/// Seals the lines of one writer: keeps its id, the next sequence number
/// and the previous hash. Not thread-safe by design: one writer thread owns
/// it.
///
/// ```
/// use cmdx_store::seal::Sealer;
///
/// let mut sealer = Sealer::new(uuid::Uuid::now_v7());
/// let mut out = Vec::new();
/// let seal = sealer.seal_into(br#"{"v":1}"#, &mut out).unwrap();
/// assert_eq!((seal.seq, sealer.next_seq()), (0, 1));
/// assert!(out.ends_with(b"\"}}"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sealer {
    wid: Uuid,
    seq: u64,
    prev: [u8; 32],
}

impl Sealer {
    /// A writer's first line is `seq` 0, chained to 32 zero bytes.
    pub fn new(wid: Uuid) -> Self {
        Self {
            wid,
            seq: 0,
            prev: [0; 32],
        }
    }

    /// Carries on a chain: the next line gets `next_seq` and is chained to
    /// `prev` (the hash of line `next_seq - 1`).
    ///
    /// ```
    /// use cmdx_store::seal::Sealer;
    ///
    /// let mut a = Sealer::new(uuid::Uuid::nil());
    /// a.seal("{}").unwrap();
    /// let mut b = Sealer::resume(a.wid(), a.next_seq(), a.prev_hash());
    /// assert_eq!(a.seal("{}").unwrap(), b.seal("{}").unwrap());
    /// ```
    pub fn resume(wid: Uuid, next_seq: u64, prev: [u8; 32]) -> Self {
        Self {
            wid,
            seq: next_seq,
            prev,
        }
    }

    /// The hash of the last line sealed (32 zero bytes before the first).
    pub fn prev_hash(&self) -> [u8; 32] {
        self.prev
    }

    /// The writer id.
    pub fn wid(&self) -> Uuid {
        self.wid
    }

    /// The `seq` the next line gets.
    pub fn next_seq(&self) -> u64 {
        self.seq
    }

    /// Seals `line` (a JSON object, without `\n`) and gives back the sealed
    /// line. The sealer moves on only when it succeeds.
    pub fn seal(&mut self, line: &str) -> Result<String, SealError> {
        let mut out = Vec::with_capacity(line.len() + 128);
        self.seal_into(line.as_bytes(), &mut out)?;
        Ok(String::from_utf8(out).expect("a str with ASCII appended"))
    }

    /// Appends `line` sealed to `out` (no `\n`) and gives back its seal.
    /// The sealer moves on only when it succeeds.
    pub fn seal_into(&mut self, line: &[u8], out: &mut Vec<u8>) -> Result<Seal, SealError> {
        object_body(line)?;
        let seal = Seal {
            wid: self.wid,
            seq: self.seq,
            hash: hash(&self.prev, line),
        };
        append_sealed(line, &seal, out)?;
        self.seq += 1;
        self.prev = seal.hash;
        Ok(seal)
    }
}

/// A sealed line taken apart: the original line and its seal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsealed<'a> {
    body: &'a str,
    seal: Seal,
}

impl<'a> Unsealed<'a> {
    /// The original line `L`, as it was hashed.
    pub fn line(&self) -> String {
        let mut line = String::with_capacity(self.body.len() + 1);
        line.push_str(self.body);
        line.push('}');
        line
    }

    /// The original line without its final `}` (no allocation).
    pub fn body(&self) -> &'a str {
        self.body
    }

    /// The seal.
    pub fn seal(&self) -> &Seal {
        &self.seal
    }

    /// The hash the line should carry if `prev` is the hash of the line
    /// before it: `SHA-256(prev || L)`.
    pub fn expected_hash(&self, prev: &[u8; 32]) -> [u8; 32] {
        let mut hasher = Sha256::new();
        hasher.update(prev);
        hasher.update(self.body.as_bytes());
        hasher.update(b"}");
        hasher.finalize().into()
    }
}

/// Takes a sealed line (with or without a trailing `\n`) apart. Checks the
/// seal's shape, not its hash (see [`Verifier`]).
///
/// ```
/// use cmdx_store::seal::{SealError, Sealer, unseal};
///
/// let sealed = Sealer::new(uuid::Uuid::nil()).seal(r#"{"v":1}"#).unwrap();
/// let unsealed = unseal(&sealed).unwrap();
/// assert_eq!((unsealed.line().as_str(), unsealed.body()), (r#"{"v":1}"#, r#"{"v":1"#));
/// assert_eq!(unsealed.expected_hash(&[0; 32]), unsealed.seal().hash);
/// assert_eq!(unseal(r#"{"v":1}"#), Err(SealError::Unsealed));
/// ```
pub fn unseal(sealed: &str) -> Result<Unsealed<'_>, SealError> {
    let sealed = sealed.strip_suffix('\n').unwrap_or(sealed);
    let sealed = sealed.strip_suffix('\r').unwrap_or(sealed);
    let at = sealed.rfind(SEAL_KEY).ok_or(SealError::Unsealed)?;
    let body = &sealed[..at];
    if !body.starts_with('{') {
        return Err(SealError::Malformed("the line is not a JSON object".into()));
    }
    let rest = &sealed[at + SEAL_KEY.len()..];
    let object = rest
        .strip_suffix('}')
        .ok_or_else(|| SealError::Malformed("the seal is not the last key".into()))?;
    let seal = parse_seal(object)?;
    Ok(Unsealed { body, seal })
}

fn parse_seal(object: &str) -> Result<Seal, SealError> {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Raw<'a> {
        wid: &'a str,
        seq: u64,
        hash: &'a str,
    }
    let raw: Raw<'_> = serde_json::from_str(object).map_err(|error| {
        SealError::Malformed(format!("the seal is not {{wid, seq, hash}}: {error}"))
    })?;
    let wid = Uuid::parse_str(raw.wid).map_err(|error| {
        SealError::Malformed(format!("wid `{}` is not a UUID: {error}", raw.wid))
    })?;
    let hash = unhex(raw.hash).ok_or_else(|| {
        SealError::Malformed(format!(
            "hash `{}` is not 64 lowercase hex digits",
            raw.hash
        ))
    })?;
    Ok(Seal {
        wid,
        seq: raw.seq,
        hash,
    })
}

/// 32 bytes as 64 lowercase hex digits.
///
/// ```
/// assert_eq!(cmdx_store::seal::hex(&[0xab; 32]), "ab".repeat(32));
/// ```
pub fn hex(bytes: &[u8; 32]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(64);
    for &b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 15)] as char);
    }
    out
}

/// 64 lowercase hex digits as 32 bytes.
fn unhex(text: &str) -> Option<[u8; 32]> {
    fn digit(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            _ => None,
        }
    }
    let bytes = text.as_bytes();
    if bytes.len() != 64 {
        return None;
    }
    let mut out = [0; 32];
    for (i, pair) in bytes.chunks_exact(2).enumerate() {
        out[i] = digit(pair[0])? << 4 | digit(pair[1])?;
    }
    Some(out)
}

/// A line could not be sealed or unsealed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SealError {
    /// Only JSON objects (`{…}`) can be sealed.
    NotAnObject,
    /// The line has no `,"seal":` key.
    Unsealed,
    /// The seal is there but not in the expected shape.
    Malformed(String),
}

impl fmt::Display for SealError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotAnObject => f.write_str("not a JSON object: only `{…}` lines can be sealed"),
            Self::Unsealed => f.write_str("unsealed line (no trailing \"seal\" key)"),
            Self::Malformed(what) => write!(f, "malformed seal: {what}"),
        }
    }
}

impl std::error::Error for SealError {}

#[cfg(test)]
mod tests;
