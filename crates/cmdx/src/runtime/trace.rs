//! [`TraceBridge`]: how executions' spans reach a tracer.

/// Connects executions' spans to a tracer (OpenTelemetry): reads ids for
/// the ledger line, adds links and attributes `tracing` fields cannot carry.
/// `cmdx-telemetry` installs one; you rarely write your own. Every method
/// has a no-op default. A panicking method is contained: the execution
/// keeps its outcome (without the link, attributes or trace ids), and the
/// panic is reported — see [`Plugin::TraceBridge`](crate::Plugin::TraceBridge).
pub trait TraceBridge: Send + Sync + 'static {
    /// The trace and span ids of `span`, for the line's `trace_id`/`span_id`.
    fn trace_ids(&self, span: &tracing::Span) -> Option<TraceIds> {
        let _ = span;
        None
    }

    /// A compensation's span was opened: link it to the span of the
    /// execution it undoes.
    fn link(&self, span: &tracing::Span, undone: &TraceIds) {
        let _ = (span, undone);
    }

    /// The execution ended with `record`; its span is about to close.
    /// Add attributes or events (metadata, exceptions) here. Called before
    /// [`trace_ids`](Self::trace_ids), so `record.trace_id` and
    /// `record.span_id` are still `None`.
    fn finish(&self, span: &tracing::Span, record: &crate::Record) {
        let _ = (span, record);
    }
}

/// The hex trace and span ids of one span.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TraceIds {
    /// 32 lowercase hex digits.
    pub trace_id: String,
    /// 16 lowercase hex digits.
    pub span_id: String,
}

impl TraceIds {
    /// Ids from their hex forms.
    pub fn new(trace_id: String, span_id: String) -> Self {
        Self { trace_id, span_id }
    }
}
