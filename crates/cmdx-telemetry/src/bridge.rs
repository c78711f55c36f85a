//! [`OtelBridge`]: the [`cmdx::TraceBridge`] for `tracing-opentelemetry`.

use cmdx::{Record, TraceBridge, TraceIds};
use opentelemetry::trace::{SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TraceState};
use opentelemetry::{KeyValue, Value};
use serde_json::Value as Json;
use tracing_opentelemetry::OpenTelemetrySpanExt;

/// Connects cmdx executions to OpenTelemetry spans made by
/// `tracing-opentelemetry`:
///
/// - every ledger line gets the `trace_id` and `span_id` of its execution's
///   span (null when no OpenTelemetry layer sees the span);
/// - a compensation's span links to the span of the execution it undoes;
/// - at the end, scalar metadata becomes `cmdx.metadata.<key>` attributes
///   (the user's keys), scalar framework keys `cmdx.framework.<key>`
///   (`rollback_error`, `hook`), `strict`/`deprecated` executions
///   `cmdx.strict`/`cmdx.deprecated` (the code is the span's own
///   `cmdx.code` field), and a failure with a cause gets an `exception` event
///   (`exception.message`, and `exception.type` = `panic` for panics).
///
/// [`Telemetry`](crate::Telemetry) installs it; add it yourself with
/// [`cmdx::RuntimeBuilder::trace_bridge`] when you build the runtime by hand.
///
/// ```
/// let runtime = cmdx::Runtime::builder()
///     .trace_bridge(cmdx_telemetry::OtelBridge::new())
///     .build();
/// # drop(runtime);
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct OtelBridge {
    _private: (),
}

impl OtelBridge {
    /// The bridge.
    pub fn new() -> Self {
        Self::default()
    }
}

impl TraceBridge for OtelBridge {
    fn trace_ids(&self, span: &tracing::Span) -> Option<TraceIds> {
        if span.is_disabled() {
            return None;
        }
        let context = span.context();
        let span_context = context.span().span_context().clone();
        span_context.is_valid().then(|| {
            TraceIds::new(
                hex(&span_context.trace_id().to_bytes()),
                hex(&span_context.span_id().to_bytes()),
            )
        })
    }

    fn link(&self, span: &tracing::Span, undone: &TraceIds) {
        if span.is_disabled() {
            return;
        }
        let (Ok(trace_id), Ok(span_id)) = (
            TraceId::from_hex(&undone.trace_id),
            SpanId::from_hex(&undone.span_id),
        ) else {
            return;
        };
        span.add_link_with_attributes(
            SpanContext::new(
                trace_id,
                span_id,
                TraceFlags::SAMPLED,
                false,
                TraceState::default(),
            ),
            vec![KeyValue::new("cmdx.link", "compensates")],
        );
    }

    fn finish(&self, span: &tracing::Span, record: &Record) {
        if span.is_disabled() {
            return;
        }
        for (key, value) in &record.metadata {
            if let Some(value) = scalar(value) {
                span.set_attribute(format!("cmdx.metadata.{key}"), value);
            }
        }
        for (key, value) in &record.framework {
            if let Some(value) = scalar(value) {
                span.set_attribute(format!("cmdx.framework.{key}"), value);
            }
        }
        if record.strict {
            span.set_attribute("cmdx.strict", true);
        }
        if record.deprecated {
            span.set_attribute("cmdx.deprecated", true);
        }
        if let Some(cause) = &record.cause {
            let mut attributes = vec![KeyValue::new("exception.message", cause.clone())];
            if cause.starts_with("panicked: ") {
                attributes.push(KeyValue::new("exception.type", "panic"));
            }
            span.add_event("exception", attributes);
        }
    }
}

/// Lowercase hex, without going through `fmt` (this runs for every
/// execution).
fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut buf = [0_u8; 32];
    let len = bytes.len().min(16);
    for (i, byte) in bytes[..len].iter().enumerate() {
        buf[2 * i] = DIGITS[usize::from(byte >> 4)];
        buf[2 * i + 1] = DIGITS[usize::from(byte & 0x0f)];
    }
    // Only ASCII hex digits were written.
    std::str::from_utf8(&buf[..2 * len])
        .map(str::to_owned)
        .unwrap_or_default()
}

/// Strings, booleans and numbers; objects, arrays and nulls are left to the
/// ledger line.
fn scalar(value: &Json) -> Option<Value> {
    match value {
        Json::String(text) => Some(Value::from(text.clone())),
        Json::Bool(flag) => Some(Value::from(*flag)),
        Json::Number(number) => number
            .as_i64()
            .map(Value::from)
            .or_else(|| number.as_f64().map(Value::from)),
        Json::Null | Json::Array(_) | Json::Object(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_matches_the_opentelemetry_formatting() {
        let trace_id = TraceId::from_bytes([
            0, 1, 2, 0xab, 0xcd, 0xef, 9, 10, 11, 12, 13, 14, 15, 16, 0xfe, 0xff,
        ]);
        assert_eq!(hex(&trace_id.to_bytes()), trace_id.to_string());
        let span_id = SpanId::from_bytes([0xde, 0xad, 0, 1, 2, 3, 4, 5]);
        assert_eq!(hex(&span_id.to_bytes()), span_id.to_string());
    }

    #[test]
    fn only_scalars_become_attributes() {
        assert_eq!(scalar(&Json::from("x")), Some(Value::from("x")));
        assert_eq!(scalar(&Json::from(3)), Some(Value::from(3_i64)));
        assert_eq!(scalar(&Json::from(1.5)), Some(Value::from(1.5)));
        assert_eq!(scalar(&Json::from(true)), Some(Value::from(true)));
        assert_eq!(scalar(&serde_json::json!({"a": 1})), None);
        assert_eq!(scalar(&serde_json::json!([1])), None);
        assert_eq!(scalar(&Json::Null), None);
    }

    #[test]
    fn without_an_opentelemetry_layer_there_are_no_ids() {
        let span = tracing::info_span!("execute");
        assert_eq!(OtelBridge::new().trace_ids(&span), None);
    }
}
