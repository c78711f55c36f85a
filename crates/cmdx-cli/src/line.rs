//! One ledger line, schema v1: the borrowed, zero-copy view the scan filters on.
//!
//! Strings borrow from the input line when they contain no escapes; `input`,
//! `metadata` and `tags` stay raw JSON until a filter asks for them.

use std::borrow::Cow;
use std::fmt;
use std::ops::Deref;

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};
use serde_json::error::Category;
use serde_json::value::RawValue;

/// The ledger schema version this parser understands (`"v":1`).
pub const SCHEMA_VERSION: u64 = 1;

/// A JSON string that borrows from the line when it holds no escape sequence.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Text<'a>(Cow<'a, str>);

impl<'a> Text<'a> {
    /// The text as a `&str`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The text, owned.
    pub fn into_owned(self) -> String {
        self.0.into_owned()
    }
}

impl Deref for Text<'_> {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Text<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

struct TextVisitor;

impl<'de> Visitor<'de> for TextVisitor {
    type Value = Text<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Text(Cow::Borrowed(v)))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Text(Cow::Owned(v.to_owned())))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Text(Cow::Owned(v)))
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(TextVisitor)
    }
}

macro_rules! word_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, serde::Serialize, clap::ValueEnum)]
        #[serde(rename_all = "lowercase")]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            /// The word as written in the ledger.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $text),+
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

word_enum! {
    /// What kind of execution wrote the line.
    Kind {
        /// A plain task.
        Task => "task",
        /// A workflow (a task that runs steps).
        Workflow => "workflow",
        /// A compensation undoing an earlier execution (see `compensates`).
        Rollback => "rollback",
    }
}

word_enum! {
    /// Whether the execution ran to its end.
    State {
        /// The execution ran to its end.
        Complete => "complete",
        /// The execution was halted (skip or failure).
        Interrupted => "interrupted",
    }
}

word_enum! {
    /// The outcome of the execution.
    Status {
        /// It succeeded.
        Success => "success",
        /// It was skipped.
        Skipped => "skipped",
        /// It failed.
        Failed => "failed",
    }
}

/// One parsed ledger line (schema v1). Field names and meanings follow
/// `docs/ledger-schema.md`; nullable fields may also be absent.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LedgerLine<'a> {
    /// Schema version, always [`SCHEMA_VERSION`] after a successful parse.
    pub v: u64,
    /// RFC 3339 UTC time the execution ended.
    #[serde(borrow)]
    pub ts: Text<'a>,
    /// Chain id.
    #[serde(borrow)]
    pub cid: Text<'a>,
    /// External correlation id.
    #[serde(borrow, default)]
    pub xid: Option<Text<'a>>,
    /// This execution's id.
    #[serde(borrow)]
    pub tid: Text<'a>,
    /// Place in the chain, root 0.
    pub index: u64,
    /// The parent execution's `tid` (none for the root).
    #[serde(borrow, default)]
    pub parent: Option<Text<'a>>,
    /// True only at index 0.
    #[serde(default)]
    pub root: bool,
    /// Task name, e.g. `Inventory::ReserveStock`.
    #[serde(borrow)]
    pub task: Text<'a>,
    /// Task, workflow or rollback.
    pub kind: Kind,
    /// Complete or interrupted.
    pub state: State,
    /// Success, skipped or failed.
    pub status: Status,
    /// Why it skipped or failed.
    #[serde(borrow, default)]
    pub reason: Option<Text<'a>>,
    /// Structured metadata object, raw.
    #[serde(borrow, default)]
    pub metadata: Option<&'a RawValue>,
    /// The task's inputs, raw.
    #[serde(borrow, default)]
    pub input: Option<&'a RawValue>,
    /// Duration in milliseconds.
    #[serde(default)]
    pub duration_ms: f64,
    /// Number of retries.
    #[serde(default)]
    pub retries: u64,
    /// Whether the execution was rolled back.
    #[serde(default)]
    pub rolled_back: bool,
    /// Error chain text for errors and panics.
    #[serde(borrow, default)]
    pub cause: Option<Text<'a>>,
    /// The execution that caused this failure.
    #[serde(borrow, default)]
    pub origin: Option<Text<'a>>,
    /// Rollback lines only: the `tid` of the execution this one undoes.
    #[serde(borrow, default)]
    pub compensates: Option<Text<'a>>,
    /// Trace id (hex) when a tracer was installed.
    #[serde(borrow, default)]
    pub trace_id: Option<Text<'a>>,
    /// Span id (hex) when a tracer was installed.
    #[serde(borrow, default)]
    pub span_id: Option<Text<'a>>,
    /// Tags, raw JSON array.
    #[serde(borrow, default)]
    pub tags: Option<&'a RawValue>,
    /// The writer's seal (`{"wid","seq","hash"}`), raw: tamper-evidence
    /// metadata a sealing writer appends as the last key, not a field of the
    /// record. Commands print lines without it; `cmdx ledger verify` checks it.
    #[serde(borrow, default)]
    pub seal: Option<&'a RawValue>,
}

/// Why a line is not a usable ledger line.
#[derive(Debug)]
#[non_exhaustive]
pub enum LineError {
    /// The line is not a JSON object: another program's log, or garbage.
    Foreign,
    /// A JSON object without a `v` field: another program's JSON log.
    NoVersion,
    /// The line ends in the middle of a JSON value.
    Truncated,
    /// A ledger line of a schema version this build does not know.
    UnknownVersion(String),
    /// A v1 line that breaks the schema (unknown field, wrong type, bad JSON).
    Invalid(serde_json::Error),
}

impl fmt::Display for LineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Foreign => f.write_str("not a JSON object (another program's log line?)"),
            Self::NoVersion => {
                f.write_str("JSON without a schema version `v`: not a cmdx ledger line")
            }
            Self::Truncated => f.write_str("truncated line (the JSON ends early)"),
            Self::UnknownVersion(v) => write!(
                f,
                "unknown schema version v={v} (this cmdx reads v{SCHEMA_VERSION}; upgrade cmdx)"
            ),
            Self::Invalid(e) => write!(f, "invalid ledger line: {e}"),
        }
    }
}

impl std::error::Error for LineError {}

#[derive(Deserialize)]
struct VersionProbe<'a> {
    #[serde(borrow, default)]
    v: Option<&'a RawValue>,
}

/// Parses one line (without its newline) into a [`LedgerLine`].
///
/// Never panics, whatever the bytes.
///
/// # Errors
/// A [`LineError`] saying why the line is not a v1 ledger line.
pub fn parse_line(line: &[u8]) -> Result<LedgerLine<'_>, LineError> {
    let first = line.iter().find(|b| !b.is_ascii_whitespace());
    if first != Some(&b'{') {
        return Err(LineError::Foreign);
    }
    match serde_json::from_slice::<LedgerLine<'_>>(line) {
        Ok(parsed) if parsed.v == SCHEMA_VERSION => Ok(parsed),
        Ok(parsed) => Err(LineError::UnknownVersion(parsed.v.to_string())),
        Err(e) => Err(classify(line, e)),
    }
}

fn classify(line: &[u8], err: serde_json::Error) -> LineError {
    if err.classify() == Category::Eof {
        return LineError::Truncated;
    }
    match serde_json::from_slice::<VersionProbe<'_>>(line) {
        Ok(VersionProbe { v: None }) => LineError::NoVersion,
        Ok(VersionProbe { v: Some(v) }) if v.get().trim() != "1" => {
            LineError::UnknownVersion(v.get().trim().to_owned())
        }
        Ok(_) => LineError::Invalid(err),
        Err(probe) if probe.classify() == Category::Eof => LineError::Truncated,
        Err(_) => LineError::Invalid(err),
    }
}

/// A cheap check that a line looks like a well-formed v1 line: it starts
/// with `{"v":1,` and ends with `}`. Used for lines the literal pre-filter
/// already ruled out, so they are not fully parsed.
pub fn looks_like_v1(line: &[u8]) -> bool {
    line.starts_with(br#"{"v":1,"#) && line.ends_with(b"}")
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINE: &str = r#"{"v":1,"ts":"2026-11-26T10:00:00.120Z","cid":"c","xid":null,"tid":"t","index":0,"parent":null,"root":true,"task":"Inventory::ReceiveStock","kind":"task","state":"complete","status":"success","reason":null,"metadata":{},"input":{"sku":"SKU-1234"},"duration_ms":0.82,"retries":0,"rolled_back":false,"cause":null,"origin":null,"trace_id":null,"span_id":null,"tags":[]}"#;

    #[test]
    fn a_draft_line_parses_with_borrowed_strings() {
        let line = parse_line(LINE.as_bytes()).unwrap();
        assert_eq!(line.task.as_str(), "Inventory::ReceiveStock");
        assert!(matches!(line.task.0, Cow::Borrowed(_)));
        assert_eq!(line.status, Status::Success);
        assert_eq!(line.input.unwrap().get(), r#"{"sku":"SKU-1234"}"#);
    }

    #[test]
    fn a_cut_line_is_truncated() {
        let err = parse_line(&LINE.as_bytes()[..100]).unwrap_err();
        assert!(matches!(err, LineError::Truncated), "{err}");
    }

    #[test]
    fn version_two_is_unknown() {
        let line = LINE.replacen(r#""v":1"#, r#""v":2"#, 1);
        let err = parse_line(line.as_bytes()).unwrap_err();
        assert!(
            matches!(err, LineError::UnknownVersion(ref v) if v == "2"),
            "{err}"
        );
    }
}
