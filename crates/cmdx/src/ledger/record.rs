//! [`Record`]: one execution, as it appears on one ledger line.

use crate::{Kind, State, Status};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use std::borrow::Cow;
use uuid::Uuid;

/// The schema version written in every line's `v` field.
pub const SCHEMA_VERSION: u32 = 2;

/// The `metadata` keys a v1 line used for the framework's own data; a v2
/// line has them in `code`, `errors` and `framework` (see
/// [`Record::from_line`], which moves them when it reads a v1 line).
pub use cmdx_store::V1_FRAMEWORK_KEYS;

/// One execution as recorded in the ledger: exactly the fields of one ledger
/// line, in the order they are written (schema v2, see `docs/ledger-schema.md`).
///
/// Records are produced by the runtime; read them from an [`Outcome`]
/// (`outcome.record()`), from a root's [`Chain`], or parse ledger lines back
/// with [`Record::from_line`] (v1 and v2 lines).
///
/// [`Outcome`]: crate::Outcome
/// [`Chain`]: crate::Chain
#[derive(Debug, Clone, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Record {
    /// Schema version, currently [`SCHEMA_VERSION`].
    pub v: u32,
    /// When the execution ended (UTC, written with millisecond precision).
    #[serde(serialize_with = "ts_millis")]
    pub ts: DateTime<Utc>,
    /// Chain id, shared by every execution of the chain.
    pub cid: Uuid,
    /// External correlation id (for example an HTTP request id).
    pub xid: Option<String>,
    /// This execution's id.
    pub tid: Uuid,
    /// Place in the chain: the root is 0, every other execution gets a
    /// distinct index when it starts.
    pub index: u32,
    /// `tid` of the execution that started this one; `None` for the root.
    pub parent: Option<Uuid>,
    /// True only for the root (index 0).
    pub root: bool,
    /// The task's name, e.g. `Inventory::ReserveStock`.
    pub task: Cow<'static, str>,
    /// Task, workflow or rollback.
    pub kind: Kind,
    /// Complete or interrupted.
    pub state: State,
    /// Success, skipped or failed.
    pub status: Status,
    /// Why it was skipped or failed (or the reason given to `success!`).
    pub reason: Option<String>,
    /// The failure or skip code: `fail!(…, code = "out_of_stock")`,
    /// [`Halt::code`](crate::Halt::code), or the framework's own
    /// (`invalid_input`, `timeout`, `hook_failed`, …).
    #[serde(default)]
    pub code: Option<Cow<'static, str>>,
    /// For invalid input: each field's messages (a workflow's are keyed
    /// `"Task.field"`).
    #[serde(default)]
    pub errors: Option<Map<String, Value>>,
    /// The user's structured data: what `fail!`/`skip!`/`success!`,
    /// [`Halt::with`](crate::Halt::with) and middleware added. Never a key
    /// of the framework's.
    pub metadata: Map<String, Value>,
    /// The framework's diagnostic data (`rollback_error`, `hook`,
    /// `halted_by`, `failures`, `compensation_failures`, `not_started`);
    /// empty for most executions.
    #[serde(default)]
    pub framework: Map<String, Value>,
    /// The task's inputs as JSON, sensitive fields as `"[REDACTED]"`;
    /// `None` (written `null`) when the ledger is off.
    #[serde(deserialize_with = "raw_or_null")]
    pub input: Option<Box<RawValue>>,
    /// The output, when the task opted in with
    /// [`Settings::record_output`](crate::Settings::record_output) and
    /// succeeded (a workflow's: its final context), redacted like the input;
    /// `None` (written `null`) otherwise.
    #[serde(default, deserialize_with = "raw_or_null")]
    pub output: Option<Box<RawValue>>,
    /// Wall time from start to end, in milliseconds.
    pub duration_ms: f64,
    /// How many times `work` was retried.
    pub retries: u32,
    /// Whether this execution's own rollback ran.
    pub rolled_back: bool,
    /// Whether it was executed through `execute_strict`.
    #[serde(default)]
    pub strict: bool,
    /// Whether the task's settings mark it deprecated
    /// ([`Settings::deprecated`](crate::Settings::deprecated)).
    #[serde(default)]
    pub deprecated: bool,
    /// The error chain as text, for errors returned with `?` and for panics.
    pub cause: Option<String>,
    /// `tid` of the execution that caused this failure: this execution when
    /// it failed on its own, a descendant when the failure was propagated.
    pub origin: Option<Uuid>,
    /// On `rollback` lines only: the `tid` of the execution undone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compensates: Option<Uuid>,
    /// The execution's OpenTelemetry trace id (hex), when a tracer is active.
    pub trace_id: Option<String>,
    /// The execution's OpenTelemetry span id (hex), when a tracer is active.
    pub span_id: Option<String>,
    /// Tags of the task.
    pub tags: Vec<Cow<'static, str>>,
}

impl Record {
    /// The inputs parsed as a JSON value (`Value::Null` when not recorded).
    pub fn input_value(&self) -> Value {
        self.input
            .as_deref()
            .and_then(|raw| serde_json::from_str(raw.get()).ok())
            .unwrap_or(Value::Null)
    }

    /// The output parsed as a JSON value (`Value::Null` when not recorded).
    pub fn output_value(&self) -> Value {
        self.output
            .as_deref()
            .and_then(|raw| serde_json::from_str(raw.get()).ok())
            .unwrap_or(Value::Null)
    }

    /// Parses one ledger line, of schema v1 or v2, into the v2 shape: a v1
    /// line's framework keys move out of `metadata` (`code` and `errors` to
    /// their own fields, the others to `framework`; see
    /// [`V1_FRAMEWORK_KEYS`]), and the fields v1 did not have take their
    /// defaults (`output` null, `strict` and `deprecated` false).
    ///
    /// ```
    /// let v1 = r#"{"v":1,"ts":"2026-11-26T10:15:00.123Z","cid":"019ac1b0-0000-7000-8000-000000000001","xid":null,"tid":"019ac1b0-0000-7000-8000-000000000002","index":0,"parent":null,"root":true,"task":"Inventory::ReserveStock","kind":"task","state":"interrupted","status":"failed","reason":"Insufficient stock","metadata":{"code":"out_of_stock","available":0},"input":null,"duration_ms":0.5,"retries":0,"rolled_back":false,"cause":null,"origin":null,"trace_id":null,"span_id":null,"tags":[]}"#;
    /// let record = cmdx::Record::from_line(v1).unwrap();
    /// assert_eq!(record.code.as_deref(), Some("out_of_stock"));
    /// assert_eq!(record.metadata["available"], 0);
    /// assert!(!record.metadata.contains_key("code"));
    /// ```
    pub fn from_line(line: &str) -> serde_json::Result<Self> {
        let mut record: Self = serde_json::from_str(line.trim_end())?;
        if record.v < 2 {
            record.lift_v1();
        }
        Ok(record)
    }

    /// Moves a v1 line's framework keys out of `metadata`.
    fn lift_v1(&mut self) {
        for key in V1_FRAMEWORK_KEYS {
            let Some(value) = self.metadata.remove(*key) else {
                continue;
            };
            match (*key, value) {
                ("code", Value::String(code)) => self.code = Some(Cow::Owned(code)),
                ("errors", Value::Object(errors)) => self.errors = Some(errors),
                (key, value) => {
                    self.framework.insert(key.to_owned(), value);
                }
            }
        }
    }

    /// Serializes the record as one ledger line, newline included.
    pub fn to_line(&self) -> Vec<u8> {
        let mut line = Vec::with_capacity(512);
        self.write_line(&mut line);
        line
    }

    pub(crate) fn write_line(&self, out: &mut Vec<u8>) {
        // Every field serializes infallibly (strings, numbers, maps with
        // string keys, raw JSON), so an error here would be a bug in this
        // file; fall back to a minimal line rather than lose the execution.
        if super::line::write(self, out).is_err() {
            out.clear();
            let fallback = serde_json::json!({
                "v": self.v, "cid": self.cid, "tid": self.tid, "task": self.task,
                "status": self.status, "code": self.code,
                "reason": "ledger line could not be serialized",
            });
            out.extend_from_slice(fallback.to_string().as_bytes());
        }
        out.push(b'\n');
    }
}

fn ts_millis<S: Serializer>(ts: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    let mut text = Vec::with_capacity(24);
    super::line::timestamp(ts, &mut text);
    s.serialize_str(std::str::from_utf8(&text).unwrap_or_default())
}

fn raw_or_null<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Box<RawValue>>, D::Error> {
    let raw = Box::<RawValue>::deserialize(d)?;
    Ok((raw.get() != "null").then_some(raw))
}
