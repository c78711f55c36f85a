//! One log line: the execution's ids, then the event's level, target,
//! message and fields, written through `serde_json`'s serializer (the
//! encoder `tracing-subscriber`'s JSON formatter uses), with the field
//! shapes of that formatter's visitor (a test checks both agree).
//!
//! Two differences from the formatter, both for hostile events: a value is
//! formatted into a bounded buffer (a 10 MB `Debug` stops at
//! [`MAX_FIELD_BYTES`] and is marked), and a `Debug`/`Display` that panics
//! costs that one value (written `[panicked: …]`), not the line.

use super::scope::Current;
use crate::ledger::line_timestamp;
use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};
use serde_json::ser::{CompactFormatter, Compound};
use std::fmt::{self, Write as _};
use std::panic::AssertUnwindSafe;
use tracing::Event;
use tracing::field::{Field, Visit};
use uuid::Uuid;

/// The log-line schema version, written as the first key: `{"log":1,…}`.
///
/// ```
/// assert_eq!(cmdx::logs::LOG_VERSION, 1);
/// ```
pub const LOG_VERSION: u32 = 1;

/// The most bytes of one value (the message, or one field) a log line
/// keeps. A longer value is cut at a character boundary and ends with
/// [`TRUNCATED`]; a `Debug` or `Display` impl stops being asked for more.
/// With `tracing`'s limit of 32 fields per event, a log line stays under
/// about 600 KiB, below the default writer capacity (1 MiB).
///
/// ```
/// assert_eq!(cmdx::logs::MAX_FIELD_BYTES, 16 * 1024);
/// ```
pub const MAX_FIELD_BYTES: usize = 16 * 1024;

/// What ends a value cut at [`MAX_FIELD_BYTES`].
///
/// ```
/// assert_eq!(cmdx::logs::TRUNCATED, "…[truncated]");
/// ```
pub const TRUNCATED: &str = "…[truncated]";

/// Writes the line for `event` inside `current` to `out` (which ends with
/// `\n`); the message of the first value that panicked while formatted, if
/// one did.
pub(super) fn write(current: &Current, event: &Event<'_>, out: &mut Vec<u8>) -> Option<String> {
    let meta = event.metadata();
    let mut scratch = String::new();
    let mut message = Message {
        scratch: &mut scratch,
        found: false,
        panicked: None,
    };
    event.record(&mut message);
    let mut panicked = message.panicked.take();

    out.extend_from_slice(b"{\"log\":");
    out.extend_from_slice(LOG_VERSION.to_string().as_bytes());
    out.extend_from_slice(b",\"ts\":\"");
    line_timestamp(&chrono::Utc::now(), out);
    out.extend_from_slice(b"\",\"level\":\"");
    out.extend_from_slice(meta.level().as_str().as_bytes());
    out.extend_from_slice(b"\",\"cid\":");
    uuid(&current.chain.cid, out);
    out.extend_from_slice(b",\"tid\":");
    uuid(&current.tid, out);
    out.extend_from_slice(b",\"task\":");
    json(&*current.task, out);
    let ids = current.trace_ids();
    out.extend_from_slice(b",\"trace_id\":");
    json(&ids.map(|ids| &ids.trace_id), out);
    out.extend_from_slice(b",\"span_id\":");
    json(&ids.map(|ids| &ids.span_id), out);
    out.extend_from_slice(b",\"target\":");
    json(meta.target(), out);
    out.extend_from_slice(b",\"message\":");
    json(scratch.as_str(), out);
    out.extend_from_slice(b",\"fields\":");
    let mut serializer = serde_json::Serializer::new(&mut *out);
    if let Ok(map) = serializer.serialize_map(None) {
        let mut fields = Fields {
            map,
            scratch: &mut scratch,
            panicked: None,
        };
        event.record(&mut fields);
        panicked = panicked.or(fields.panicked);
        let _ = SerializeMap::end(fields.map);
    }
    out.extend_from_slice(b"}\n");
    panicked
}

fn json<T: Serialize + ?Sized>(value: &T, out: &mut Vec<u8>) {
    // Strings and options of strings: writing to a `Vec` cannot fail.
    let _ = serde_json::to_writer(out, value);
}

fn uuid(id: &Uuid, out: &mut Vec<u8>) {
    out.push(b'"');
    let mut buf = Uuid::encode_buffer();
    out.extend_from_slice(id.hyphenated().encode_lower(&mut buf).as_bytes());
    out.push(b'"');
}

/// A field's name as the JSON formatter writes it (`r#type` → `type`).
fn name(field: &Field) -> &'static str {
    let name = field.name();
    name.strip_prefix("r#").unwrap_or(name)
}

/// The first pass: the `message` field only.
struct Message<'a> {
    scratch: &'a mut String,
    found: bool,
    panicked: Option<String>,
}

impl Visit for Message<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" && !self.found {
            self.found = true;
            bounded_str(value, self.scratch);
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == "message" && !self.found {
            self.found = true;
            if let Err(message) = bounded_debug(value, self.scratch) {
                self.panicked.get_or_insert(message);
            }
        }
    }
}

/// The second pass: every other field, into the `fields` object.
struct Fields<'a, 'w> {
    map: Compound<'w, &'w mut Vec<u8>, CompactFormatter>,
    scratch: &'a mut String,
    panicked: Option<String>,
}

impl Fields<'_, '_> {
    fn entry<T: Serialize + ?Sized>(&mut self, field: &Field, value: &T) {
        if field.name() != "message" {
            let _ = self.map.serialize_entry(name(field), value);
        }
    }
}

impl Visit for Fields<'_, '_> {
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.entry(field, &value);
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.entry(field, &value);
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.entry(field, &value);
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.entry(field, &value);
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            return;
        }
        bounded_str(value, self.scratch);
        let _ = self.map.serialize_entry(name(field), self.scratch.as_str());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == "message" {
            return;
        }
        if let Err(message) = bounded_debug(value, self.scratch) {
            self.panicked.get_or_insert(message);
        }
        let _ = self.map.serialize_entry(name(field), self.scratch.as_str());
    }
}

/// `value`, cut at [`MAX_FIELD_BYTES`], into `out` (cleared first).
fn bounded_str(value: &str, out: &mut String) {
    out.clear();
    if value.len() <= MAX_FIELD_BYTES {
        out.push_str(value);
    } else {
        out.push_str(&value[..value.floor_char_boundary(MAX_FIELD_BYTES)]);
        out.push_str(TRUNCATED);
    }
}

/// `value`'s `Debug` output, cut at [`MAX_FIELD_BYTES`], into `out`
/// (cleared first). A panic while formatting is caught: `out` then reads
/// `[panicked: …]` and the panic's message is returned.
fn bounded_debug(value: &dyn fmt::Debug, out: &mut String) -> Result<(), String> {
    out.clear();
    let mut bounded = Bounded { out, cut: false };
    let written = std::panic::catch_unwind(AssertUnwindSafe(|| {
        let _ = write!(bounded, "{value:?}");
        bounded.cut
    }));
    match written {
        Ok(cut) => {
            if cut {
                out.push_str(TRUNCATED);
            }
            Ok(())
        }
        Err(payload) => {
            let message = crate::contain::panic_message(&*payload);
            out.clear();
            out.push_str("[panicked: ");
            let _ = Bounded { out, cut: false }.write_str(&message);
            out.push(']');
            Err(message)
        }
    }
}

/// A `fmt::Write` that keeps at most [`MAX_FIELD_BYTES`] and then refuses
/// more, so the `Debug` impl writing to it stops early.
struct Bounded<'a> {
    out: &'a mut String,
    cut: bool,
}

impl fmt::Write for Bounded<'_> {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        let room = MAX_FIELD_BYTES.saturating_sub(self.out.len());
        if text.len() <= room {
            self.out.push_str(text);
            Ok(())
        } else {
            self.out.push_str(&text[..text.floor_char_boundary(room)]);
            self.cut = true;
            Err(fmt::Error)
        }
    }
}
