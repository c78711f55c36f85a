//! One ledger line, schema v1 or v2: the borrowed, zero-copy view the scan
//! filters on (a v1 line's framework keys are read where v2 puts them, see
//! [`LedgerLine::code`] and [`crate::where_expr::LineFields`]);
//! and one log line (an application event, log-line schema v1), told apart
//! by its first key (`{"log":…` instead of `{"v":…`).
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

/// The newest ledger schema version this parser understands (`"v":2`);
/// it reads every version from [`OLDEST_SCHEMA_VERSION`] on.
pub const SCHEMA_VERSION: u64 = 2;

/// The oldest ledger schema version this parser understands (`"v":1`).
pub const OLDEST_SCHEMA_VERSION: u64 = 1;

/// The `metadata` keys where a v1 line kept the framework's data: `code`
/// and `errors` (their own keys in v2) and the keys v2 keeps in
/// `framework`.
pub use cmdx_store::V1_FRAMEWORK_KEYS;

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

/// One parsed ledger line (schema v1 or v2). Field names and meanings
/// follow `docs/ledger-schema.md`; nullable fields may also be absent (so
/// the fields v2 added are absent from a v1 line: read the code with
/// [`code`](Self::code), which looks in both places).
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
    /// v2: the failure or skip code (v1 kept it in `metadata.code`).
    #[serde(borrow, default)]
    pub code: Option<Text<'a>>,
    /// v2: field errors of invalid input, raw (v1: `metadata.errors`).
    #[serde(borrow, default)]
    pub errors: Option<&'a RawValue>,
    /// Structured metadata object, raw: v2, the user's keys only; v1, the
    /// framework's keys too.
    #[serde(borrow, default)]
    pub metadata: Option<&'a RawValue>,
    /// v2: the framework's diagnostic keys, raw (v1: in `metadata`).
    #[serde(borrow, default)]
    pub framework: Option<&'a RawValue>,
    /// The task's inputs, raw.
    #[serde(borrow, default)]
    pub input: Option<&'a RawValue>,
    /// v2: the recorded output, raw (`null` unless the task opted in).
    #[serde(borrow, default)]
    pub output: Option<&'a RawValue>,
    /// Duration in milliseconds.
    #[serde(default)]
    pub duration_ms: f64,
    /// Number of retries.
    #[serde(default)]
    pub retries: u64,
    /// Whether the execution was rolled back.
    #[serde(default)]
    pub rolled_back: bool,
    /// v2: executed through `execute_strict` (false on v1 lines).
    #[serde(default)]
    pub strict: bool,
    /// v2: the task's settings mark it deprecated (false on v1 lines).
    #[serde(default)]
    pub deprecated: bool,
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

impl LedgerLine<'_> {
    /// The failure or skip code, wherever the line's version keeps it:
    /// `code` (v2) or `metadata.code` (v1).
    ///
    /// ```
    /// use cmdx_cli::line::parse_line;
    ///
    /// let v1 = br#"{"v":1,"ts":"2026-11-26T10:00:00.120Z","cid":"c","tid":"t","index":0,"task":"T","kind":"task","state":"interrupted","status":"failed","metadata":{"code":"out_of_stock"}}"#;
    /// let v2 = br#"{"v":2,"ts":"2026-11-26T10:00:00.120Z","cid":"c","tid":"t","index":0,"task":"T","kind":"task","state":"interrupted","status":"failed","code":"out_of_stock","metadata":{"code":"mine"}}"#;
    /// assert_eq!(parse_line(v1).unwrap().code().as_deref(), Some("out_of_stock"));
    /// assert_eq!(parse_line(v2).unwrap().code().as_deref(), Some("out_of_stock"));
    /// ```
    pub fn code(&self) -> Option<Cow<'_, str>> {
        if self.v >= 2 {
            return self.code.as_ref().map(|code| Cow::Borrowed(code.as_str()));
        }
        #[derive(Deserialize)]
        struct CodeProbe<'a> {
            #[serde(borrow, default)]
            code: Option<Text<'a>>,
        }
        let probe: CodeProbe<'_> = serde_json::from_str(self.metadata?.get()).ok()?;
        probe.code.map(|code| Cow::Owned(code.into_owned()))
    }
}

/// The log-line schema version this parser understands (`"log":1`).
///
/// ```
/// assert_eq!(cmdx_cli::line::LOG_SCHEMA_VERSION, 1);
/// ```
pub const LOG_SCHEMA_VERSION: u64 = 1;

/// One parsed log line: an application event emitted inside an execution
/// (see `docs/ledger-schema.md`, "Log lines"). It is not an execution:
/// commands other than `timeline --with-logs` skip it. Made by
/// [`parse_log_line`].
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogLine<'a> {
    /// Log-line schema version, always [`LOG_SCHEMA_VERSION`] after a successful parse.
    pub log: u64,
    /// RFC 3339 UTC time the event was emitted.
    #[serde(borrow)]
    pub ts: Text<'a>,
    /// `TRACE`, `DEBUG`, `INFO`, `WARN` or `ERROR`.
    #[serde(borrow)]
    pub level: Text<'a>,
    /// Chain id of the execution the event was emitted in.
    #[serde(borrow)]
    pub cid: Text<'a>,
    /// That execution's `tid`.
    #[serde(borrow)]
    pub tid: Text<'a>,
    /// That execution's task name.
    #[serde(borrow)]
    pub task: Text<'a>,
    /// The execution's trace id.
    #[serde(borrow, default)]
    pub trace_id: Option<Text<'a>>,
    /// The execution's span id.
    #[serde(borrow, default)]
    pub span_id: Option<Text<'a>>,
    /// The event's `tracing` target.
    #[serde(borrow)]
    pub target: Text<'a>,
    /// The event's message (empty when it had none).
    #[serde(borrow)]
    pub message: Text<'a>,
    /// The event's other fields, raw JSON object.
    #[serde(borrow)]
    pub fields: &'a RawValue,
    /// Writer metadata of sealed lines (tamper evidence), raw.
    #[serde(borrow, default)]
    pub seal: Option<&'a RawValue>,
}

/// Whether `line` is a log line: it starts with `{"log":`, as the cmdx
/// writer puts it. A cheap check, made before any parsing.
///
/// ```
/// use cmdx_cli::line::is_log_line;
///
/// assert!(is_log_line(br#"{"log":1,"ts":"2026-11-26T10:00:00.100Z"}"#));
/// assert!(!is_log_line(br#"{"v":1,"ts":"2026-11-26T10:00:00.100Z"}"#));
/// ```
pub fn is_log_line(line: &[u8]) -> bool {
    line.starts_with(br#"{"log":"#)
}

/// Parses one log line (without its newline) into a [`LogLine`].
///
/// Never panics, whatever the bytes.
///
/// ```
/// use cmdx_cli::line::parse_log_line;
///
/// let line = br#"{"log":1,"ts":"2026-11-26T10:00:00.100Z","level":"INFO","cid":"c","tid":"t","task":"Inventory::ReceiveStock","trace_id":null,"span_id":null,"target":"inventory","message":"received","fields":{"units":100}}"#;
/// let log = parse_log_line(line).unwrap();
/// assert_eq!(log.message.as_str(), "received");
/// assert!(parse_log_line(br#"{"log":2}"#).is_err());
/// ```
///
/// # Errors
/// A [`LineError`] saying why the line is not a log line of schema v1.
pub fn parse_log_line(line: &[u8]) -> Result<LogLine<'_>, LineError> {
    match serde_json::from_slice::<LogLine<'_>>(line) {
        Ok(parsed) if parsed.log == LOG_SCHEMA_VERSION => Ok(parsed),
        Ok(parsed) => Err(LineError::UnknownLogVersion(parsed.log.to_string())),
        Err(e) if e.classify() == Category::Eof => Err(LineError::Truncated),
        Err(e) => match serde_json::from_slice::<LogProbe<'_>>(line) {
            Ok(LogProbe { log: Some(v) }) if v.get().trim() != "1" => {
                Err(LineError::UnknownLogVersion(v.get().trim().to_owned()))
            }
            _ => Err(LineError::InvalidLog(e)),
        },
    }
}

#[derive(Deserialize)]
struct LogProbe<'a> {
    #[serde(borrow, default)]
    log: Option<&'a RawValue>,
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
    /// A v1 or v2 line that breaks its schema (unknown field, wrong type,
    /// bad JSON).
    Invalid(serde_json::Error),
    /// A log line of a log-line schema version this build does not know.
    UnknownLogVersion(String),
    /// A log line (v1) that breaks its schema.
    InvalidLog(serde_json::Error),
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
                "unknown schema version v={v} (this cmdx reads v{OLDEST_SCHEMA_VERSION} to v{SCHEMA_VERSION}; upgrade cmdx)"
            ),
            Self::Invalid(e) => write!(f, "invalid ledger line: {e}"),
            Self::UnknownLogVersion(v) => write!(
                f,
                "unknown log-line schema version log={v} (this cmdx reads log={LOG_SCHEMA_VERSION}; upgrade cmdx)"
            ),
            Self::InvalidLog(e) => write!(f, "invalid log line: {e}"),
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
/// A [`LineError`] saying why the line is not a v1 or v2 ledger line.
pub fn parse_line(line: &[u8]) -> Result<LedgerLine<'_>, LineError> {
    let first = line.iter().find(|b| !b.is_ascii_whitespace());
    if first != Some(&b'{') {
        return Err(LineError::Foreign);
    }
    match serde_json::from_slice::<LedgerLine<'_>>(line) {
        Ok(parsed) if (OLDEST_SCHEMA_VERSION..=SCHEMA_VERSION).contains(&parsed.v) => Ok(parsed),
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
        Ok(VersionProbe { v: Some(v) }) if !matches!(v.get().trim(), "1" | "2") => {
            LineError::UnknownVersion(v.get().trim().to_owned())
        }
        Ok(_) => LineError::Invalid(err),
        Err(probe) if probe.classify() == Category::Eof => LineError::Truncated,
        Err(_) => LineError::Invalid(err),
    }
}

/// A cheap check that a line looks like a well-formed ledger line of a
/// known version: it starts with `{"v":1,` or `{"v":2,` and ends with `}`.
/// Used for lines the literal pre-filter already ruled out, so they are not
/// fully parsed.
pub fn looks_like_ledger_line(line: &[u8]) -> bool {
    (line.starts_with(br#"{"v":1,"#) || line.starts_with(br#"{"v":2,"#)) && line.ends_with(b"}")
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

    const LOG: &str = r#"{"log":1,"ts":"2026-11-26T10:00:00.100Z","level":"INFO","cid":"c","tid":"t","task":"Inventory::ReceiveStock","trace_id":null,"span_id":null,"target":"inventory","message":"received","fields":{"units":100}}"#;

    #[test]
    fn a_log_line_is_told_apart_by_its_first_key_and_parses() {
        assert!(is_log_line(LOG.as_bytes()) && !is_log_line(LINE.as_bytes()));
        let log = parse_log_line(LOG.as_bytes()).unwrap();
        assert_eq!(
            (log.level.as_str(), log.message.as_str()),
            ("INFO", "received")
        );
        assert_eq!(log.fields.get(), r#"{"units":100}"#);
        assert!(matches!(
            parse_line(LOG.as_bytes()),
            Err(LineError::NoVersion)
        ));
    }

    #[test]
    fn a_bad_log_line_says_why() {
        let two = LOG.replacen(r#""log":1"#, r#""log":2"#, 1);
        let err = parse_log_line(two.as_bytes()).unwrap_err();
        assert!(
            matches!(err, LineError::UnknownLogVersion(ref v) if v == "2"),
            "{err}"
        );
        assert!(err.to_string().contains("upgrade cmdx"));
        let err = parse_log_line(&LOG.as_bytes()[..60]).unwrap_err();
        assert!(matches!(err, LineError::Truncated), "{err}");
        let extra = LOG.replacen(r#""fields""#, r#""extra":1,"fields""#, 1);
        assert!(matches!(
            parse_log_line(extra.as_bytes()),
            Err(LineError::InvalidLog(_))
        ));
    }

    #[test]
    fn a_cut_line_is_truncated() {
        let err = parse_line(&LINE.as_bytes()[..100]).unwrap_err();
        assert!(matches!(err, LineError::Truncated), "{err}");
    }

    #[test]
    fn version_three_is_unknown() {
        let line = LINE.replacen(r#""v":1"#, r#""v":3"#, 1);
        let err = parse_line(line.as_bytes()).unwrap_err();
        assert!(
            matches!(err, LineError::UnknownVersion(ref v) if v == "3"),
            "{err}"
        );
        assert!(err.to_string().contains("v1 to v2"), "{err}");
    }

    const V2: &str = r#"{"v":2,"ts":"2026-11-26T10:00:00.120Z","cid":"c","xid":null,"tid":"t","index":0,"parent":null,"root":true,"task":"Inventory::ReserveStock","kind":"task","state":"interrupted","status":"failed","reason":"Insufficient stock","code":"out_of_stock","errors":null,"metadata":{"available":0},"framework":{"rollback_error":"boom"},"input":{"sku":"SKU-1234"},"output":null,"duration_ms":0.82,"retries":0,"rolled_back":true,"strict":true,"deprecated":false,"cause":null,"origin":"t","trace_id":null,"span_id":null,"tags":[]}"#;

    #[test]
    fn a_v2_line_parses_and_its_code_is_read_from_its_own_key() {
        let line = parse_line(V2.as_bytes()).unwrap();
        assert_eq!(line.v, 2);
        assert_eq!(line.code().as_deref(), Some("out_of_stock"));
        assert!(line.strict && !line.deprecated);
        assert_eq!(
            line.framework.unwrap().get(),
            r#"{"rollback_error":"boom"}"#
        );
        assert!(looks_like_ledger_line(V2.as_bytes()) && looks_like_ledger_line(LINE.as_bytes()));
        let extra = V2.replacen(r#""strict""#, r#""extra":1,"strict""#, 1);
        assert!(matches!(
            parse_line(extra.as_bytes()),
            Err(LineError::Invalid(_))
        ));
    }
}
