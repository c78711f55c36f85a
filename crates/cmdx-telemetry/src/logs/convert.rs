//! A ledger line, or an application log line, as an OpenTelemetry log
//! record (the mapping is documented in `docs/telemetry.md`, "OpenTelemetry
//! logs").
//!
//! Both start from what the runtime already produced: the [`Record`] of a
//! ledger line (inputs already redacted) or the bytes of a log line.
//! Nothing here can fail: a log line that is not the expected JSON is still
//! exported, as its raw text.

use cmdx::{Record, Status};
use opentelemetry::Key;
use opentelemetry::logs::{AnyValue, LogRecord as _, Severity};
use opentelemetry::trace::{SpanId, TraceFlags, TraceId};
use opentelemetry_sdk::logs::SdkLogRecord;
use serde_json::{Map, Value as Json};
use std::collections::HashMap;
use std::time::{Duration, SystemTime};

/// The event name of a ledger line's record: one finished execution.
pub(crate) const EXECUTION_EVENT: &str = "cmdx.execution";

/// Fills `out` with one finished execution; true if it got a trace context.
pub(crate) fn execution(record: &Record, out: &mut SdkLogRecord) -> bool {
    out.set_event_name(EXECUTION_EVENT);
    // As written on the line: milliseconds.
    let millis = u64::try_from(record.ts.timestamp_millis()).unwrap_or(0);
    out.set_timestamp(SystemTime::UNIX_EPOCH + Duration::from_millis(millis));
    let (number, text) = match record.status {
        Status::Success | Status::Skipped => (Severity::Info, "INFO"),
        Status::Failed => (Severity::Error, "ERROR"),
    };
    out.set_severity_number(number);
    out.set_severity_text(text);
    out.set_body(AnyValue::from(summary(record)));

    out.add_attribute("cmdx.cid", record.cid.to_string());
    if let Some(xid) = &record.xid {
        out.add_attribute("cmdx.xid", xid.clone());
    }
    out.add_attribute("cmdx.tid", record.tid.to_string());
    out.add_attribute("cmdx.index", i64::from(record.index));
    if let Some(parent) = record.parent {
        out.add_attribute("cmdx.parent", parent.to_string());
    }
    out.add_attribute("cmdx.root", record.root);
    out.add_attribute("cmdx.task", record.task.to_string());
    out.add_attribute("cmdx.kind", record.kind.as_str());
    out.add_attribute("cmdx.state", record.state.as_str());
    out.add_attribute("cmdx.status", record.status.as_str());
    if let Some(reason) = &record.reason {
        out.add_attribute("cmdx.reason", reason.clone());
    }
    if let Some(code) = &record.code {
        out.add_attribute("cmdx.code", code.to_string());
    }
    for (prefix, map) in [
        ("cmdx.errors", record.errors.as_ref()),
        ("cmdx.metadata", Some(&record.metadata)),
        ("cmdx.framework", Some(&record.framework)),
    ] {
        let mut key = String::from(prefix);
        for (name, value) in map.into_iter().flatten() {
            nested(&mut key, name, value, out);
        }
    }
    for (prefix, raw) in [
        ("cmdx.input", &record.input),
        ("cmdx.output", &record.output),
    ] {
        let Some(raw) = raw else { continue };
        let mut key = String::from(prefix);
        match serde_json::from_str::<Json>(raw.get()) {
            Ok(Json::Object(fields)) => {
                for (name, value) in &fields {
                    nested(&mut key, name, value, out);
                }
            }
            Ok(other) => flatten(&mut key, &other, out),
            // The runtime wrote it, so it parses; keep it as text if not.
            Err(_) => out.add_attribute(prefix, raw.get().to_owned()),
        }
    }
    out.add_attribute("cmdx.duration_ms", record.duration_ms);
    out.add_attribute("cmdx.retries", i64::from(record.retries));
    out.add_attribute("cmdx.rolled_back", record.rolled_back);
    out.add_attribute("cmdx.strict", record.strict);
    out.add_attribute("cmdx.deprecated", record.deprecated);
    if let Some(cause) = &record.cause {
        out.add_attribute("cmdx.cause", cause.clone());
    }
    if let Some(origin) = record.origin {
        out.add_attribute("cmdx.origin", origin.to_string());
    }
    if let Some(compensates) = record.compensates {
        out.add_attribute("cmdx.compensates", compensates.to_string());
    }
    if !record.tags.is_empty() {
        let tags = record
            .tags
            .iter()
            .map(|tag| AnyValue::from(tag.to_string()))
            .collect();
        out.add_attribute("cmdx.tags", AnyValue::ListAny(Box::new(tags)));
    }
    trace_context(out, record.trace_id.as_deref(), record.span_id.as_deref())
}

/// The body of an execution's record: `"Inventory::ReserveStock failed:
/// Insufficient stock"`.
fn summary(record: &Record) -> String {
    let outcome = match record.status {
        Status::Success => "succeeded",
        Status::Skipped => "skipped",
        Status::Failed => "failed",
    };
    match &record.reason {
        Some(reason) => format!("{} {outcome}: {reason}", record.task),
        None => format!("{} {outcome}", record.task),
    }
}

/// Fills `out` with one application log line (`{"log":1,…}`, see
/// `docs/durable-ledger.md`); true if it got a trace context. A line that
/// is not a JSON object is exported as its text, with no severity.
pub(crate) fn application(line: &[u8], out: &mut SdkLogRecord) -> bool {
    let text = line.strip_suffix(b"\n").unwrap_or(line);
    let Ok(fields) = serde_json::from_slice::<Map<String, Json>>(text) else {
        out.set_body(AnyValue::from(String::from_utf8_lossy(text).into_owned()));
        return false;
    };
    let string = |key: &str| fields.get(key).and_then(Json::as_str);
    if let Some(ts) = string("ts").and_then(|ts| chrono::DateTime::parse_from_rfc3339(ts).ok()) {
        out.set_timestamp(SystemTime::from(ts));
    }
    if let Some((number, text)) = string("level").and_then(severity) {
        out.set_severity_number(number);
        out.set_severity_text(text);
    }
    out.set_body(AnyValue::from(
        string("message").unwrap_or_default().to_owned(),
    ));
    if let Some(target) = string("target") {
        out.set_target(target.to_owned());
    }
    for (name, value) in &fields {
        match name.as_str() {
            // Record fields, or said above.
            "log" | "ts" | "level" | "message" | "target" | "trace_id" | "span_id" | "seal" => {}
            // The event's own fields keep their names.
            "fields" => {
                if let Json::Object(own) = value {
                    for (name, value) in own {
                        let mut key = name.clone();
                        flatten(&mut key, value, out);
                    }
                }
            }
            _ => nested(&mut String::from("cmdx"), name, value, out),
        }
    }
    trace_context(out, string("trace_id"), string("span_id"))
}

/// `TRACE`…`ERROR` (tracing's `Level` as written on log lines).
fn severity(level: &str) -> Option<(Severity, &'static str)> {
    match level {
        "TRACE" => Some((Severity::Trace, "TRACE")),
        "DEBUG" => Some((Severity::Debug, "DEBUG")),
        "INFO" => Some((Severity::Info, "INFO")),
        "WARN" => Some((Severity::Warn, "WARN")),
        "ERROR" => Some((Severity::Error, "ERROR")),
        _ => None,
    }
}

/// Sets the trace context from hex ids; false (and nothing set) unless
/// both are valid.
fn trace_context(out: &mut SdkLogRecord, trace_id: Option<&str>, span_id: Option<&str>) -> bool {
    let (Some(trace_id), Some(span_id)) = (trace_id, span_id) else {
        return false;
    };
    let (Ok(trace_id), Ok(span_id)) = (TraceId::from_hex(trace_id), SpanId::from_hex(span_id))
    else {
        return false;
    };
    if trace_id == TraceId::INVALID || span_id == SpanId::INVALID {
        return false;
    }
    out.set_trace_context(trace_id, span_id, Some(TraceFlags::SAMPLED));
    true
}

/// `prefix.name`, flattened.
fn nested(prefix: &mut String, name: &str, value: &Json, out: &mut SdkLogRecord) {
    let length = prefix.len();
    prefix.push('.');
    prefix.push_str(name);
    flatten(prefix, value, out);
    prefix.truncate(length);
}

/// Objects become dotted keys (`cmdx.input.address.city`), anything else
/// one attribute; nulls are left out. Depth is bounded by serde_json's
/// recursion limit on the line it came from.
fn flatten(key: &mut String, value: &Json, out: &mut SdkLogRecord) {
    match value {
        Json::Null => {}
        Json::Object(fields) => {
            for (name, value) in fields {
                nested(key, name, value, out);
            }
        }
        other => {
            if let Some(value) = any(other) {
                out.add_attribute(Key::from(key.clone()), value);
            }
        }
    }
}

/// A JSON value as an OpenTelemetry value: objects inside arrays stay maps.
fn any(value: &Json) -> Option<AnyValue> {
    Some(match value {
        Json::Null => return None,
        Json::Bool(b) => AnyValue::Boolean(*b),
        Json::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => AnyValue::Int(i),
            // u64 beyond i64: keep every digit.
            _ if n.is_u64() => AnyValue::from(n.to_string()),
            (None, Some(f)) => AnyValue::Double(f),
            (None, None) => AnyValue::from(n.to_string()),
        },
        Json::String(s) => AnyValue::from(s.clone()),
        Json::Array(items) => AnyValue::ListAny(Box::new(items.iter().filter_map(any).collect())),
        Json::Object(fields) => AnyValue::Map(Box::new(
            fields
                .iter()
                .filter_map(|(k, v)| Some((Key::from(k.clone()), any(v)?)))
                .collect::<HashMap<_, _>>(),
        )),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry::logs::{Logger as _, LoggerProvider as _};
    use opentelemetry_sdk::logs::SdkLoggerProvider;

    fn blank() -> SdkLogRecord {
        SdkLoggerProvider::builder()
            .build()
            .logger("test")
            .create_log_record()
    }

    fn attributes(record: &SdkLogRecord) -> HashMap<String, AnyValue> {
        record
            .attributes_iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    }

    const LOG: &str = r#"{"log":1,"ts":"2026-11-30T10:15:00.123Z","level":"WARN","cid":"019a0000-0000-7000-8000-000000000001","tid":"019a0000-0000-7000-8000-000000000002","task":"Billing::Credit","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"00f067aa0ba902b7","target":"billing","message":"Credited 100 to account 42","fields":{"amount":100,"account":{"id":42,"tags":["a",null]},"note":null}}"#;

    #[test]
    fn a_log_line_keeps_its_level_message_fields_and_trace_context() {
        let mut record = blank();
        assert!(application(format!("{LOG}\n").as_bytes(), &mut record));
        assert_eq!(record.severity_number(), Some(Severity::Warn));
        assert_eq!(record.severity_text(), Some("WARN"));
        assert_eq!(
            record.body(),
            Some(&AnyValue::from("Credited 100 to account 42".to_owned()))
        );
        assert_eq!(record.target().map(|t| t.as_ref()), Some("billing"));
        let context = record.trace_context().expect("a trace context");
        assert_eq!(
            context.trace_id.to_string(),
            "4bf92f3577b34da6a3ce929d0e0e4736"
        );
        assert_eq!(context.span_id.to_string(), "00f067aa0ba902b7");
        let ts = record.timestamp().expect("a timestamp");
        let expected = chrono::DateTime::parse_from_rfc3339("2026-11-30T10:15:00.123Z").unwrap();
        assert_eq!(ts, SystemTime::from(expected));
        let attributes = attributes(&record);
        assert_eq!(attributes["amount"], AnyValue::Int(100));
        assert_eq!(attributes["account.id"], AnyValue::Int(42));
        assert_eq!(
            attributes["account.tags"],
            AnyValue::ListAny(Box::new(vec![AnyValue::from("a".to_owned())]))
        );
        assert!(!attributes.contains_key("note"), "nulls are left out");
        assert_eq!(
            attributes["cmdx.task"],
            AnyValue::from("Billing::Credit".to_owned())
        );
        assert!(attributes.contains_key("cmdx.cid") && attributes.contains_key("cmdx.tid"));
        assert!(!attributes.contains_key("cmdx.log") && !attributes.contains_key("cmdx.level"));
    }

    #[test]
    fn a_log_line_without_trace_ids_or_not_json_is_still_a_record() {
        let untraced = LOG
            .replace(r#""4bf92f3577b34da6a3ce929d0e0e4736""#, "null")
            .replace(r#""00f067aa0ba902b7""#, "null");
        let mut record = blank();
        assert!(!application(untraced.as_bytes(), &mut record));
        assert!(record.trace_context().is_none());
        let mut record = blank();
        assert!(!application(b"not json\n", &mut record));
        assert_eq!(record.body(), Some(&AnyValue::from("not json".to_owned())));
        assert_eq!(record.severity_number(), None);
    }

    #[test]
    fn numbers_beyond_i64_keep_every_digit() {
        let big: Json = serde_json::from_str("18446744073709551615").unwrap();
        assert_eq!(
            any(&big),
            Some(AnyValue::from("18446744073709551615".to_owned()))
        );
        let float: Json = serde_json::from_str("1.5").unwrap();
        assert_eq!(any(&float), Some(AnyValue::Double(1.5)));
        let object: Json = serde_json::from_str(r#"[{"a":1,"b":null}]"#).unwrap();
        let Some(AnyValue::ListAny(items)) = any(&object) else {
            panic!("a list")
        };
        let AnyValue::Map(map) = &items[0] else {
            panic!("a map")
        };
        assert_eq!(map.len(), 1);
        assert_eq!(map[&Key::from("a")], AnyValue::Int(1));
    }

    #[test]
    fn every_level_has_its_severity() {
        for (level, number) in [
            ("TRACE", Severity::Trace),
            ("DEBUG", Severity::Debug),
            ("INFO", Severity::Info),
            ("WARN", Severity::Warn),
            ("ERROR", Severity::Error),
        ] {
            assert_eq!(severity(level), Some((number, level)));
        }
        assert_eq!(severity("info"), None);
    }

    #[test]
    fn invalid_trace_ids_set_no_context() {
        let mut record = blank();
        assert!(!trace_context(
            &mut record,
            Some("00000000000000000000000000000000"),
            Some("00f067aa0ba902b7")
        ));
        assert!(!trace_context(
            &mut record,
            Some("xyz"),
            Some("00f067aa0ba902b7")
        ));
        assert!(!trace_context(&mut record, None, Some("00f067aa0ba902b7")));
        assert!(record.trace_context().is_none());
    }

    const LINE: &str = r#"{"v":2,"ts":"2026-11-30T10:15:00.123Z","cid":"019a0000-0000-7000-8000-000000000001","xid":"req-7","tid":"019a0000-0000-7000-8000-000000000003","index":2,"parent":"019a0000-0000-7000-8000-000000000002","root":false,"task":"Checkout::Refund","kind":"rollback","state":"interrupted","status":"skipped","reason":"Nothing to refund","code":"noop","errors":{"amount":["too small"]},"metadata":{"refund_id":4},"framework":{"rollback_error":"late"},"input":{"order":{"id":9,"lines":[1,2]},"card":"[REDACTED]","note":null},"output":{"refunded":0},"duration_ms":1.5,"retries":2,"rolled_back":true,"strict":true,"deprecated":false,"cause":"boom","origin":"019a0000-0000-7000-8000-000000000004","compensates":"019a0000-0000-7000-8000-000000000005","trace_id":null,"span_id":null,"tags":["payments","refund"]}"#;

    #[test]
    fn every_field_of_a_ledger_line_is_an_attribute() {
        let line: Record = Record::from_line(LINE).expect("a v2 line");
        let mut record = blank();
        assert!(!execution(&line, &mut record), "no ids, no context");
        assert!(record.trace_context().is_none());
        assert_eq!(record.event_name(), Some(EXECUTION_EVENT));
        assert_eq!(
            (record.severity_number(), record.severity_text()),
            (Some(Severity::Info), Some("INFO")),
            "skipped is INFO"
        );
        assert_eq!(
            record.body(),
            Some(&AnyValue::from(
                "Checkout::Refund skipped: Nothing to refund".to_owned()
            ))
        );
        let expected = chrono::DateTime::parse_from_rfc3339("2026-11-30T10:15:00.123Z").unwrap();
        assert_eq!(record.timestamp(), Some(SystemTime::from(expected)));
        let attributes = attributes(&record);
        let s = |v: &str| AnyValue::from(v.to_owned());
        let expected = [
            ("cmdx.cid", s("019a0000-0000-7000-8000-000000000001")),
            ("cmdx.xid", s("req-7")),
            ("cmdx.tid", s("019a0000-0000-7000-8000-000000000003")),
            ("cmdx.index", AnyValue::Int(2)),
            ("cmdx.parent", s("019a0000-0000-7000-8000-000000000002")),
            ("cmdx.root", AnyValue::Boolean(false)),
            ("cmdx.task", s("Checkout::Refund")),
            ("cmdx.kind", s("rollback")),
            ("cmdx.state", s("interrupted")),
            ("cmdx.status", s("skipped")),
            ("cmdx.reason", s("Nothing to refund")),
            ("cmdx.code", s("noop")),
            (
                "cmdx.errors.amount",
                AnyValue::ListAny(Box::new(vec![s("too small")])),
            ),
            ("cmdx.metadata.refund_id", AnyValue::Int(4)),
            ("cmdx.framework.rollback_error", s("late")),
            ("cmdx.input.order.id", AnyValue::Int(9)),
            (
                "cmdx.input.order.lines",
                AnyValue::ListAny(Box::new(vec![AnyValue::Int(1), AnyValue::Int(2)])),
            ),
            ("cmdx.input.card", s("[REDACTED]")),
            ("cmdx.output.refunded", AnyValue::Int(0)),
            ("cmdx.duration_ms", AnyValue::Double(1.5)),
            ("cmdx.retries", AnyValue::Int(2)),
            ("cmdx.rolled_back", AnyValue::Boolean(true)),
            ("cmdx.strict", AnyValue::Boolean(true)),
            ("cmdx.deprecated", AnyValue::Boolean(false)),
            ("cmdx.cause", s("boom")),
            ("cmdx.origin", s("019a0000-0000-7000-8000-000000000004")),
            (
                "cmdx.compensates",
                s("019a0000-0000-7000-8000-000000000005"),
            ),
            (
                "cmdx.tags",
                AnyValue::ListAny(Box::new(vec![s("payments"), s("refund")])),
            ),
        ];
        for (key, value) in &expected {
            assert_eq!(attributes.get(*key), Some(value), "{key}");
        }
        assert_eq!(attributes.len(), expected.len(), "{attributes:#?}");
    }

    #[test]
    fn a_failure_is_an_error_and_a_success_has_no_reason_in_its_body() {
        let failed = LINE
            .replace(r#""status":"skipped""#, r#""status":"failed""#)
            .replace(
                r#""trace_id":null,"span_id":null"#,
                r#""trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"00f067aa0ba902b7""#,
            );
        let line: Record = Record::from_line(&failed).expect("a v2 line");
        let mut record = blank();
        assert!(execution(&line, &mut record));
        assert_eq!(record.severity_number(), Some(Severity::Error));
        assert_eq!(record.severity_text(), Some("ERROR"));
        assert_eq!(
            record.body(),
            Some(&AnyValue::from(
                "Checkout::Refund failed: Nothing to refund".to_owned()
            ))
        );
        let context = record.trace_context().expect("a context");
        assert_eq!(context.span_id.to_string(), "00f067aa0ba902b7");
        let success = LINE
            .replace(r#""status":"skipped""#, r#""status":"success""#)
            .replace(r#""reason":"Nothing to refund""#, r#""reason":null"#)
            .replace(r#""tags":["payments","refund"]"#, r#""tags":[]"#)
            .replace(
                r#""input":{"order""#,
                r#""input":{"x":1},"unused":{"order""#,
            );
        let line: Record = Record::from_line(&success).expect("a v2 line");
        let mut record = blank();
        execution(&line, &mut record);
        assert_eq!(record.severity_number(), Some(Severity::Info));
        assert_eq!(
            record.body(),
            Some(&AnyValue::from("Checkout::Refund succeeded".to_owned()))
        );
        let attributes = attributes(&record);
        assert!(
            !attributes.contains_key("cmdx.tags"),
            "no tags, no attribute"
        );
        assert!(!attributes.contains_key("cmdx.reason"));
        assert_eq!(attributes["cmdx.input.x"], AnyValue::Int(1));
    }

    #[test]
    fn an_input_that_is_not_an_object_is_one_attribute() {
        let scalar = LINE.replace(
            r#""input":{"order":{"id":9,"lines":[1,2]},"card":"[REDACTED]","note":null}"#,
            r#""input":[1,"a"]"#,
        );
        let line: Record = Record::from_line(&scalar).expect("a v2 line");
        let mut record = blank();
        execution(&line, &mut record);
        assert_eq!(
            attributes(&record)["cmdx.input"],
            AnyValue::ListAny(Box::new(vec![
                AnyValue::Int(1),
                AnyValue::from("a".to_owned())
            ]))
        );
    }
}
