//! [`Record`]: one execution, as it appears on one ledger line.

use crate::{Kind, State, Status};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use std::borrow::Cow;
use uuid::Uuid;

/// The schema version written in every line's `v` field.
pub const SCHEMA_VERSION: u32 = 1;

/// One execution as recorded in the ledger: exactly the fields of one ledger
/// line, in the order they are written (schema v1, see `docs/ledger-schema.md`).
///
/// Records are produced by the runtime; read them from an [`Outcome`]
/// (`outcome.record()`), from a root's [`Chain`], or parse ledger lines back
/// with `serde_json::from_str::<Record>(line)`.
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
    /// Structured data: `code`, the values given to `fail!`/`skip!`, and
    /// `errors` (field → messages) for invalid input.
    pub metadata: Map<String, Value>,
    /// The task's inputs as JSON, sensitive fields as `"[REDACTED]"`;
    /// `None` (written `null`) when the ledger is off.
    #[serde(deserialize_with = "raw_or_null")]
    pub input: Option<Box<RawValue>>,
    /// Wall time from start to end, in milliseconds.
    pub duration_ms: f64,
    /// How many times `work` was retried.
    pub retries: u32,
    /// Whether this execution's own rollback ran.
    pub rolled_back: bool,
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
                "status": self.status, "reason": "ledger line could not be serialized",
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
