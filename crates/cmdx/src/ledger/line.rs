//! The hand-written NDJSON encoder for [`Record`]: the ledger's hot path.
//!
//! Field names, order and value shapes are exactly those of `Record`'s serde
//! derive (a test checks both encodings agree). Values that can never need
//! escaping (UUIDs, enum names, the timestamp, numbers) are written
//! directly; strings that come from users go through `serde_json`'s escaper.

use super::Record;
use chrono::{DateTime, Datelike, Timelike, Utc};
use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use uuid::Uuid;

pub(super) fn write(record: &Record, out: &mut Vec<u8>) -> serde_json::Result<()> {
    out.extend_from_slice(b"{\"v\":");
    out.extend_from_slice(itoa(u64::from(record.v), &mut [0; 20]));
    out.extend_from_slice(b",\"ts\":\"");
    timestamp(&record.ts, out);
    out.extend_from_slice(b"\",\"cid\":");
    uuid(&record.cid, out);
    out.extend_from_slice(b",\"xid\":");
    json(&record.xid, out)?;
    out.extend_from_slice(b",\"tid\":");
    uuid(&record.tid, out);
    out.extend_from_slice(b",\"index\":");
    out.extend_from_slice(itoa(u64::from(record.index), &mut [0; 20]));
    out.extend_from_slice(b",\"parent\":");
    optional_uuid(record.parent.as_ref(), out);
    out.extend_from_slice(if record.root {
        b",\"root\":true"
    } else {
        b",\"root\":false"
    });
    out.extend_from_slice(b",\"task\":");
    json(&record.task, out)?;
    out.extend_from_slice(b",\"kind\":\"");
    out.extend_from_slice(record.kind.as_str().as_bytes());
    out.extend_from_slice(b"\",\"state\":\"");
    out.extend_from_slice(record.state.as_str().as_bytes());
    out.extend_from_slice(b"\",\"status\":\"");
    out.extend_from_slice(record.status.as_str().as_bytes());
    out.extend_from_slice(b"\",\"reason\":");
    json(&record.reason, out)?;
    out.extend_from_slice(b",\"code\":");
    json(&record.code, out)?;
    out.extend_from_slice(b",\"errors\":");
    json(&record.errors, out)?;
    out.extend_from_slice(b",\"metadata\":");
    object(&record.metadata, out)?;
    out.extend_from_slice(b",\"framework\":");
    object(&record.framework, out)?;
    out.extend_from_slice(b",\"input\":");
    raw(record.input.as_deref(), out);
    out.extend_from_slice(b",\"output\":");
    raw(record.output.as_deref(), out);
    out.extend_from_slice(b",\"duration_ms\":");
    json(&record.duration_ms, out)?;
    out.extend_from_slice(b",\"retries\":");
    out.extend_from_slice(itoa(u64::from(record.retries), &mut [0; 20]));
    out.extend_from_slice(if record.rolled_back {
        b",\"rolled_back\":true"
    } else {
        b",\"rolled_back\":false"
    });
    out.extend_from_slice(if record.strict {
        b",\"strict\":true"
    } else {
        b",\"strict\":false"
    });
    out.extend_from_slice(if record.deprecated {
        b",\"deprecated\":true"
    } else {
        b",\"deprecated\":false"
    });
    out.extend_from_slice(b",\"cause\":");
    json(&record.cause, out)?;
    out.extend_from_slice(b",\"origin\":");
    optional_uuid(record.origin.as_ref(), out);
    if let Some(compensates) = &record.compensates {
        out.extend_from_slice(b",\"compensates\":");
        uuid(compensates, out);
    }
    out.extend_from_slice(b",\"trace_id\":");
    json(&record.trace_id, out)?;
    out.extend_from_slice(b",\"span_id\":");
    json(&record.span_id, out)?;
    out.extend_from_slice(b",\"tags\":");
    if record.tags.is_empty() {
        out.extend_from_slice(b"[]");
    } else {
        json(&record.tags, out)?;
    }
    out.push(b'}');
    Ok(())
}

fn json<T: Serialize + ?Sized>(value: &T, out: &mut Vec<u8>) -> serde_json::Result<()> {
    serde_json::to_writer(out, value)
}

/// An object, `{}` without a call into serde when empty (most lines).
fn object(map: &Map<String, Value>, out: &mut Vec<u8>) -> serde_json::Result<()> {
    if map.is_empty() {
        out.extend_from_slice(b"{}");
        Ok(())
    } else {
        json(map, out)
    }
}

fn raw(value: Option<&RawValue>, out: &mut Vec<u8>) {
    match value {
        Some(raw) => out.extend_from_slice(raw.get().as_bytes()),
        None => out.extend_from_slice(b"null"),
    }
}

fn uuid(id: &Uuid, out: &mut Vec<u8>) {
    out.push(b'"');
    out.extend_from_slice(
        id.hyphenated()
            .encode_lower(&mut Uuid::encode_buffer())
            .as_bytes(),
    );
    out.push(b'"');
}

fn optional_uuid(id: Option<&Uuid>, out: &mut Vec<u8>) {
    match id {
        Some(id) => uuid(id, out),
        None => out.extend_from_slice(b"null"),
    }
}

/// `2026-11-26T10:15:00.123Z`
pub(crate) fn timestamp(ts: &DateTime<Utc>, out: &mut Vec<u8>) {
    let (date, time) = (ts.date_naive(), ts.time());
    let year = date.year();
    if !(0..=9999).contains(&year) {
        out.extend_from_slice(
            ts.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
                .as_bytes(),
        );
        return;
    }
    let millis = (time.nanosecond() / 1_000_000).min(999);
    let digits = |n: u32, width: usize, out: &mut Vec<u8>| {
        let mut buf = [b'0'; 4];
        let mut n = n;
        for slot in buf[..width].iter_mut().rev() {
            *slot = b'0' + (n % 10) as u8;
            n /= 10;
        }
        out.extend_from_slice(&buf[..width]);
    };
    digits(year as u32, 4, out);
    out.push(b'-');
    digits(date.month(), 2, out);
    out.push(b'-');
    digits(date.day(), 2, out);
    out.push(b'T');
    digits(time.hour(), 2, out);
    out.push(b':');
    digits(time.minute(), 2, out);
    out.push(b':');
    digits(time.second(), 2, out);
    out.push(b'.');
    digits(millis, 3, out);
    out.push(b'Z');
}

fn itoa(mut n: u64, buf: &mut [u8; 20]) -> &[u8] {
    let mut start = buf.len();
    loop {
        start -= 1;
        buf[start] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    &buf[start..]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Kind, State, Status};
    use std::borrow::Cow;

    fn record() -> Record {
        Record {
            v: 2,
            ts: "2026-11-26T10:15:00.123456Z".parse().unwrap(),
            cid: Uuid::now_v7(),
            xid: Some("req \"7\"".into()),
            tid: Uuid::now_v7(),
            index: 12,
            parent: Some(Uuid::now_v7()),
            root: false,
            task: Cow::Borrowed("Inventory::ReserveStock"),
            kind: Kind::Rollback,
            state: State::Interrupted,
            status: Status::Failed,
            reason: Some("Insufficient\nstock".into()),
            code: Some(Cow::Borrowed("out_of_stock")),
            errors: serde_json::json!({"sku": ["must not be empty"]})
                .as_object()
                .cloned(),
            metadata: serde_json::json!({"available": 0, "n": 1.5})
                .as_object()
                .unwrap()
                .clone(),
            framework: serde_json::json!({"rollback_error": "boom \"x\""})
                .as_object()
                .unwrap()
                .clone(),
            input: serde_json::value::to_raw_value(&serde_json::json!({"sku": "SKU-1"})).ok(),
            output: serde_json::value::to_raw_value(&serde_json::json!({"id": 7})).ok(),
            duration_ms: 0.041,
            retries: 2,
            rolled_back: true,
            strict: true,
            deprecated: true,
            cause: None,
            origin: Some(Uuid::now_v7()),
            compensates: Some(Uuid::now_v7()),
            trace_id: Some("4bf92f3577b34da6a3ce929d0e0e4736".into()),
            span_id: None,
            tags: vec![Cow::Borrowed("billing")],
        }
    }

    #[test]
    fn the_hand_written_line_equals_the_serde_encoding() {
        for record in [
            record(),
            Record {
                compensates: None,
                code: None,
                errors: None,
                metadata: Default::default(),
                framework: Default::default(),
                tags: vec![],
                input: None,
                output: None,
                strict: false,
                deprecated: false,
                ..record()
            },
        ] {
            let mut fast = Vec::new();
            write(&record, &mut fast).unwrap();
            let slow = serde_json::to_vec(&record).unwrap();
            assert_eq!(
                String::from_utf8(fast).unwrap(),
                String::from_utf8(slow).unwrap()
            );
        }
    }

    #[test]
    fn timestamps_have_millisecond_precision_in_utc() {
        let mut out = Vec::new();
        timestamp(&"2026-01-02T03:04:05.006999Z".parse().unwrap(), &mut out);
        assert_eq!(out, b"2026-01-02T03:04:05.006Z");
    }
}
