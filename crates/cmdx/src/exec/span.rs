//! The one `tracing` span of each execution.
//!
//! Target `cmdx`, name `execute`, and `otel.name` set to the task name, so
//! OpenTelemetry exporters (through `tracing-opentelemetry`) name the span
//! after the task. The span's parent is the caller's current span, so the
//! span tree mirrors the chain.

use super::execution::Spec;
use crate::Status;
use crate::ledger::Record;
use tracing::field::Empty;
use uuid::Uuid;

/// The span's target: filter on it (`cmdx=info`).
pub(crate) const TARGET: &str = "cmdx";

pub(crate) fn start(
    spec: &Spec,
    cid: Uuid,
    xid: Option<&str>,
    tid: Uuid,
    index: u32,
) -> tracing::Span {
    tracing::info_span!(
        target: TARGET,
        "execute",
        otel.name = %spec.task,
        otel.kind = "internal",
        otel.status_code = Empty,
        otel.status_description = Empty,
        cmdx.task = %spec.task,
        cmdx.kind = spec.kind.as_str(),
        cmdx.cid = %cid,
        cmdx.xid = xid,
        cmdx.tid = %tid,
        // i64, not u32: `tracing-opentelemetry` exports unsigned fields as strings.
        cmdx.index = i64::from(index),
        cmdx.compensates = spec.compensates.map(tracing::field::display),
        cmdx.tags = Empty,
        cmdx.state = Empty,
        cmdx.status = Empty,
        cmdx.reason = Empty,
        cmdx.code = Empty,
        cmdx.retries = Empty,
    )
}

pub(crate) fn record_end(span: &tracing::Span, record: &Record) {
    if span.is_disabled() {
        return;
    }
    span.record("cmdx.state", record.state.as_str());
    span.record("cmdx.status", record.status.as_str());
    span.record("cmdx.retries", i64::from(record.retries));
    if let Some(reason) = &record.reason {
        span.record("cmdx.reason", reason.as_str());
    }
    if let Some(code) = &record.code {
        span.record("cmdx.code", &**code);
    }
    if !record.tags.is_empty() {
        span.record("cmdx.tags", record.tags.join(",").as_str());
    }
    if record.status == Status::Failed {
        // Code first, then the description (the field name
        // `tracing-opentelemetry` reads): the later, described Error wins.
        span.record("otel.status_code", "ERROR");
        span.record(
            "otel.status_description",
            record.reason.as_deref().unwrap_or("failed"),
        );
    }
}
