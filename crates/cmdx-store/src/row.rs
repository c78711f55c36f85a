//! The columns of one stored line, derived from its text: what the
//! database sinks insert, and what `cmdx ledger verify` re-derives to catch
//! a row whose columns were edited apart from its line.

use crate::seal::{self, SealError};
use serde::Deserialize;
use serde_json::value::RawValue;
use std::fmt;

/// The two kinds of lines one ledger stream carries, told apart by their
/// first key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LineKind {
    /// A ledger line (first key `"v"`): one per execution.
    Execution,
    /// An application log line (first key `"log"`): an event inside an
    /// execution.
    Log,
}

impl LineKind {
    /// The `line_kind` column's value: `execution` or `log`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Execution => "execution",
            Self::Log => "log",
        }
    }

    /// The kind of `line`, from its first key; `None` for anything else.
    ///
    /// ```
    /// use cmdx_store::LineKind;
    ///
    /// assert_eq!(LineKind::of(r#"{"v":1,"ts":"…"}"#), Some(LineKind::Execution));
    /// assert_eq!(LineKind::of(r#"{"log":1,"ts":"…"}"#).map(LineKind::as_str), Some("log"));
    /// assert_eq!(LineKind::of(r#"{"ts":"…","v":1}"#), None);
    /// ```
    pub fn of(line: &str) -> Option<Self> {
        if line.starts_with(r#"{"v":"#) {
            Some(Self::Execution)
        } else if line.starts_with(r#"{"log":"#) {
            Some(Self::Log)
        } else {
            None
        }
    }
}

/// One row of `cmdx_lines` (every column but `id`), as derived from a
/// sealed line. JSON columns hold the JSON text exactly as in the line.
///
/// ```
/// use cmdx_store::{LineKind, Row, seal::Sealer};
///
/// let mut sealer = Sealer::new(uuid::Uuid::now_v7());
/// let line = sealer.seal(r#"{"v":1,"ts":"2026-11-30T10:15:00.123Z","cid":"019ac1b0-0000-7000-8000-000000000001","xid":null,"tid":"019ac1b0-0000-7000-8000-000000000002","index":0,"parent":null,"root":true,"task":"Inventory::ReserveStock","kind":"task","state":"complete","status":"success","reason":null,"metadata":{},"input":{"sku":"SKU-1"},"duration_ms":0.5,"retries":0,"rolled_back":false,"cause":null,"origin":null,"trace_id":null,"span_id":null,"tags":[]}"#).unwrap();
/// let row = Row::from_line(&line).unwrap();
/// assert_eq!(row.line_kind, LineKind::Execution);
/// assert_eq!((row.seq, row.root, row.input.as_deref()), (0, Some(true), Some(r#"{"sku":"SKU-1"}"#)));
/// assert_eq!(row.line, line);
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Row {
    /// `seal.wid`, hyphenated lowercase.
    pub wid: String,
    /// `seal.seq`.
    pub seq: i64,
    /// `seal.hash`, 64 lowercase hex digits.
    pub hash: String,
    /// Ledger line or log line.
    pub line_kind: LineKind,
    /// The ledger schema version (`None` for log lines).
    pub v: Option<i64>,
    /// The line's `ts`, as written (RFC 3339, UTC, milliseconds).
    pub ts: String,
    /// Chain id.
    pub cid: Option<String>,
    /// External correlation id.
    pub xid: Option<String>,
    /// Execution id.
    pub tid: Option<String>,
    /// `index`: place in the chain.
    pub idx: Option<i64>,
    /// Parent execution id.
    pub parent: Option<String>,
    /// Whether the execution is its chain's root.
    pub root: Option<bool>,
    /// Task name.
    pub task: Option<String>,
    /// `task`, `workflow` or `rollback`.
    pub kind: Option<String>,
    /// `complete` or `interrupted`.
    pub state: Option<String>,
    /// `success`, `skipped` or `failed`.
    pub status: Option<String>,
    /// Why it skipped or failed.
    pub reason: Option<String>,
    /// The failure or skip code: a v2 line's `code`, a v1 line's
    /// `metadata.code` (one column for both versions).
    pub code: Option<String>,
    /// `metadata`, JSON text.
    pub metadata: Option<String>,
    /// `input`, JSON text (`None` when null).
    pub input: Option<String>,
    /// Wall time in milliseconds.
    pub duration_ms: Option<f64>,
    /// Retries of `work`.
    pub retries: Option<i64>,
    /// Whether its rollback ran.
    pub rolled_back: Option<bool>,
    /// The error chain as text.
    pub cause: Option<String>,
    /// The execution whose failure caused this one.
    pub origin: Option<String>,
    /// Rollback lines: the execution undone.
    pub compensates: Option<String>,
    /// OpenTelemetry trace id.
    pub trace_id: Option<String>,
    /// OpenTelemetry span id.
    pub span_id: Option<String>,
    /// `tags`, JSON text.
    pub tags: Option<String>,
    /// Log lines: `TRACE` … `ERROR`.
    pub level: Option<String>,
    /// Log lines: the event's target.
    pub target: Option<String>,
    /// Log lines: the message.
    pub message: Option<String>,
    /// Log lines: the other fields, JSON text.
    pub fields: Option<String>,
    /// The sealed line, exactly, without `\n`.
    pub line: String,
}

/// What a line may hold; unknown keys are ignored (a newer writer's
/// additions stay in `line`).
#[derive(Deserialize)]
struct Fields<'a> {
    v: Option<i64>,
    #[serde(borrow)]
    ts: Option<std::borrow::Cow<'a, str>>,
    cid: Option<String>,
    xid: Option<String>,
    tid: Option<String>,
    index: Option<i64>,
    parent: Option<String>,
    root: Option<bool>,
    task: Option<String>,
    kind: Option<String>,
    state: Option<String>,
    status: Option<String>,
    reason: Option<String>,
    code: Option<String>,
    #[serde(borrow)]
    metadata: Option<&'a RawValue>,
    #[serde(borrow)]
    input: Option<&'a RawValue>,
    duration_ms: Option<f64>,
    retries: Option<i64>,
    rolled_back: Option<bool>,
    cause: Option<String>,
    origin: Option<String>,
    compensates: Option<String>,
    trace_id: Option<String>,
    span_id: Option<String>,
    #[serde(borrow)]
    tags: Option<&'a RawValue>,
    level: Option<String>,
    target: Option<String>,
    message: Option<String>,
    #[serde(borrow)]
    fields: Option<&'a RawValue>,
}

/// JSON text, `None` for `null`.
fn json(raw: Option<&RawValue>) -> Option<String> {
    raw.map(RawValue::get)
        .filter(|text| *text != "null")
        .map(str::to_owned)
}

impl Row {
    /// The columns of a sealed line (ledger or log line, with or without a
    /// trailing `\n`).
    pub fn from_line(sealed: &str) -> Result<Self, RowError> {
        let sealed = sealed.strip_suffix('\n').unwrap_or(sealed);
        let unsealed = seal::unseal(sealed).map_err(RowError::Seal)?;
        let seal = *unsealed.seal();
        let line_kind = LineKind::of(sealed).ok_or(RowError::UnknownKind)?;
        let fields: Fields<'_> =
            serde_json::from_str(sealed).map_err(|error| RowError::Json(error.to_string()))?;
        let ts = fields.ts.ok_or(RowError::Missing("ts"))?.into_owned();
        if !is_timestamp(&ts) {
            return Err(RowError::Invalid("ts", ts));
        }
        for (name, value) in [
            ("cid", &fields.cid),
            ("tid", &fields.tid),
            ("parent", &fields.parent),
            ("origin", &fields.origin),
            ("compensates", &fields.compensates),
        ] {
            if let Some(value) = value
                && uuid::Uuid::parse_str(value).is_err()
            {
                return Err(RowError::Invalid(name, value.clone()));
            }
        }
        let code = match fields.v {
            Some(1) => v1_code(fields.metadata),
            _ => fields.code,
        };
        Ok(Self {
            wid: seal.wid.hyphenated().to_string(),
            seq: i64::try_from(seal.seq).map_err(|_| RowError::Missing("a seq below 2^63"))?,
            hash: seal.hash_hex(),
            line_kind,
            v: fields.v,
            ts,
            cid: fields.cid,
            xid: fields.xid,
            tid: fields.tid,
            idx: fields.index,
            parent: fields.parent,
            root: fields.root,
            task: fields.task,
            kind: fields.kind,
            state: fields.state,
            status: fields.status,
            reason: fields.reason,
            code,
            metadata: json(fields.metadata),
            input: json(fields.input),
            duration_ms: fields.duration_ms,
            retries: fields.retries,
            rolled_back: fields.rolled_back,
            cause: fields.cause,
            origin: fields.origin,
            compensates: fields.compensates,
            trace_id: fields.trace_id,
            span_id: fields.span_id,
            tags: json(fields.tags),
            level: fields.level,
            target: fields.target,
            message: fields.message,
            fields: json(fields.fields),
            line: sealed.to_owned(),
        })
    }
}

/// A v1 line's code: `metadata.code`, when it is a string.
fn v1_code(metadata: Option<&RawValue>) -> Option<String> {
    #[derive(Deserialize)]
    struct Probe {
        code: Option<serde_json::Value>,
    }
    match serde_json::from_str::<Probe>(metadata?.get()).ok()?.code? {
        serde_json::Value::String(code) => Some(code),
        _ => None,
    }
}

/// `YYYY-MM-DDTHH:MM:SS…` ending in `Z` or an offset: what both databases
/// accept as a timestamp and what sorts as text.
fn is_timestamp(ts: &str) -> bool {
    let b = ts.as_bytes();
    let digits = |range: std::ops::Range<usize>| b[range].iter().all(u8::is_ascii_digit);
    b.len() >= 20
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && b[10] == b'T'
        && digits(11..13)
        && b[13] == b':'
        && digits(14..16)
        && b[16] == b':'
        && digits(17..19)
        && (ts.ends_with('Z') || b[b.len() - 6] == b'+' || b[b.len() - 6] == b'-')
}

/// A line that cannot be stored as a row.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RowError {
    /// No seal, or a malformed one.
    Seal(SealError),
    /// Neither a ledger line (first key `"v"`) nor a log line (first key
    /// `"log"`).
    UnknownKind,
    /// Not valid JSON, or a field of the wrong type.
    Json(String),
    /// A required field is missing.
    Missing(&'static str),
    /// A field's value has the wrong shape (a `tid` that is not a UUID, a
    /// `ts` that is not RFC 3339): the field, the value.
    Invalid(&'static str, String),
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Seal(error) => write!(f, "{error}"),
            Self::UnknownKind => f.write_str(
                "neither a ledger line (first key \"v\") nor a log line (first key \"log\")",
            ),
            Self::Json(error) => write!(f, "not a valid ledger or log line: {error}"),
            Self::Missing(field) => write!(f, "the line has no {field}"),
            Self::Invalid(field, value) => write!(
                f,
                "{field} `{value}` is not {}",
                if *field == "ts" {
                    "an RFC 3339 timestamp"
                } else {
                    "a UUID"
                }
            ),
        }
    }
}

impl std::error::Error for RowError {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seal::Sealer;

    const EXECUTION: &str = r#"{"v":1,"ts":"2026-11-30T10:15:00.123Z","cid":"019ac1b0-0000-7000-8000-000000000001","xid":"req-1","tid":"019ac1b0-0000-7000-8000-000000000002","index":0,"parent":null,"root":true,"task":"Inventory::ReserveStock","kind":"task","state":"interrupted","status":"failed","reason":"Insufficient stock","metadata":{"code":"out_of_stock"},"input":null,"duration_ms":0.5,"retries":1,"rolled_back":true,"cause":null,"origin":"019ac1b0-0000-7000-8000-000000000002","trace_id":null,"span_id":null,"tags":[]}"#;
    const LOG: &str = r#"{"log":1,"ts":"2026-11-30T10:15:00.100Z","level":"INFO","cid":"019ac1b0-0000-7000-8000-000000000001","tid":"019ac1b0-0000-7000-8000-000000000002","task":"Inventory::ReserveStock","trace_id":null,"span_id":null,"target":"inventory","message":"checking","fields":{"sku":"SKU-1"}}"#;

    fn sealed(line: &str) -> String {
        Sealer::new(uuid::Uuid::nil()).seal(line).unwrap()
    }

    #[test]
    fn kinds_are_told_apart_by_the_first_key() {
        assert_eq!(LineKind::of(EXECUTION), Some(LineKind::Execution));
        assert_eq!(LineKind::of(LOG), Some(LineKind::Log));
        assert_eq!(LineKind::of(r#"{"ts":1,"v":1}"#), None);
        assert_eq!(LineKind::Execution.as_str(), "execution");
        assert_eq!(LineKind::Log.as_str(), "log");
    }

    #[test]
    fn an_execution_line_becomes_its_columns() {
        let line = sealed(EXECUTION);
        let row = Row::from_line(&format!("{line}\n")).unwrap();
        assert_eq!(row.line, line, "the sealed line, without its newline");
        assert_eq!(
            (row.wid.as_str(), row.seq),
            ("00000000-0000-0000-0000-000000000000", 0)
        );
        assert_eq!(
            row.hash,
            crate::seal::unseal(&line).unwrap().seal().hash_hex()
        );
        assert_eq!(row.line_kind, LineKind::Execution);
        assert_eq!(row.ts, "2026-11-30T10:15:00.123Z");
        assert_eq!(row.status.as_deref(), Some("failed"));
        assert_eq!(row.metadata.as_deref(), Some(r#"{"code":"out_of_stock"}"#));
        assert_eq!(
            row.code.as_deref(),
            Some("out_of_stock"),
            "v1: metadata.code"
        );
        assert_eq!(row.input, None, "null JSON is no value");
        assert_eq!(row.tags.as_deref(), Some("[]"));
        assert_eq!(
            (row.idx, row.retries, row.root),
            (Some(0), Some(1), Some(true))
        );
        assert_eq!(row.level, None);
    }

    #[test]
    fn a_v2_lines_code_is_its_own_key_and_never_a_users_metadata_code() {
        let v2 = EXECUTION.replacen(r#""v":1"#, r#""v":2"#, 1).replacen(
            r#""metadata":{"code":"out_of_stock"}"#,
            r#""code":"out_of_stock","errors":null,"metadata":{"code":"mine"},"framework":{}"#,
            1,
        );
        let row = Row::from_line(&sealed(&v2)).unwrap();
        assert_eq!(
            (row.v, row.code.as_deref()),
            (Some(2), Some("out_of_stock"))
        );
        let no_code = v2.replacen(r#""code":"out_of_stock""#, r#""code":null"#, 1);
        assert_eq!(Row::from_line(&sealed(&no_code)).unwrap().code, None);
        let v1_number = EXECUTION.replacen(r#"{"code":"out_of_stock"}"#, r#"{"code":7}"#, 1);
        assert_eq!(Row::from_line(&sealed(&v1_number)).unwrap().code, None);
    }

    #[test]
    fn a_log_line_becomes_its_columns() {
        let row = Row::from_line(&sealed(LOG)).unwrap();
        assert_eq!(row.line_kind, LineKind::Log);
        assert_eq!(row.v, None);
        assert_eq!(row.level.as_deref(), Some("INFO"));
        assert_eq!(row.target.as_deref(), Some("inventory"));
        assert_eq!(row.message.as_deref(), Some("checking"));
        assert_eq!(row.fields.as_deref(), Some(r#"{"sku":"SKU-1"}"#));
        assert_eq!(row.status, None);
    }

    #[test]
    fn timestamps_must_have_the_rfc_3339_shape() {
        assert!(is_timestamp("2026-11-30T10:15:00.123Z"));
        assert!(
            is_timestamp("2026-11-30T10:15:00Z"),
            "fractions are optional"
        );
        assert!(is_timestamp("2026-11-30T10:15:00.1+01:00"));
        assert!(is_timestamp("2026-11-30T10:15:00.1-05:00"));
        // Each wrong in exactly one place.
        for bad in [
            "2026-11-30T10:15:0Z",        // too short
            "202x-11-30T10:15:00.123Z",   // year
            "2026/11-30T10:15:00.123Z",   // first dash
            "2026-1x-30T10:15:00.123Z",   // month
            "2026-11/30T10:15:00.123Z",   // second dash
            "2026-11-3xT10:15:00.123Z",   // day
            "2026-11-30 10:15:00.123Z",   // T
            "2026-11-30T1x:15:00.123Z",   // hour
            "2026-11-30T10.15:00.123Z",   // first colon
            "2026-11-30T10:1x:00.123Z",   // minute
            "2026-11-30T10:15.00.123Z",   // second colon
            "2026-11-30T10:15:0x.123Z",   // second
            "2026-11-30T10:15:00.123456", // no zone
        ] {
            assert!(!is_timestamp(bad), "{bad}");
            let line = EXECUTION.replace("2026-11-30T10:15:00.123Z", bad);
            let error = Row::from_line(&sealed(&line)).unwrap_err();
            assert_eq!(error, RowError::Invalid("ts", bad.to_owned()));
            assert!(error.to_string().contains("RFC 3339"), "{error}");
        }
    }

    #[test]
    fn lines_that_cannot_be_rows_say_why() {
        let unsealed = Row::from_line(EXECUTION).unwrap_err();
        assert!(matches!(unsealed, RowError::Seal(_)), "{unsealed:?}");
        assert!(unsealed.to_string().contains("unsealed"));
        let unknown = Row::from_line(&sealed(r#"{"x":1}"#)).unwrap_err();
        assert_eq!(unknown, RowError::UnknownKind);
        assert!(unknown.to_string().contains("first key"));
        let no_ts = Row::from_line(&sealed(r#"{"v":1}"#)).unwrap_err();
        assert_eq!(no_ts, RowError::Missing("ts"));
        assert!(no_ts.to_string().contains("ts"));
        let bad_json = Row::from_line(&sealed(r#"{"v":"one","ts":"x"}"#)).unwrap_err();
        assert!(matches!(bad_json, RowError::Json(_)), "{bad_json:?}");
        assert!(bad_json.to_string().contains("not a valid"));
        let bad_tid = EXECUTION.replace(
            "019ac1b0-0000-7000-8000-000000000002\",\"index",
            "nope\",\"index",
        );
        let error = Row::from_line(&sealed(&bad_tid)).unwrap_err();
        assert_eq!(error, RowError::Invalid("tid", "nope".to_owned()));
        assert!(
            error.to_string().contains("UUID") || error.to_string().contains("uuid"),
            "{error}"
        );
    }
}
