//! [`Traces`]: capture `tracing` spans and events, to assert on span fields
//! and on which span an event happened in.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Subscriber};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;

/// A span's or an event's fields, as text (`Debug` of each value, strings unquoted).
pub type Fields = BTreeMap<String, String>;

/// An event and the fields of the span it happened in.
#[derive(Debug, Clone)]
pub struct TracedEvent {
    /// The event's fields (its message under `message`).
    pub fields: Fields,
    /// The fields of its parent span (empty at the root).
    pub span: Fields,
}

/// Captures every closed span's fields and every event, for the thread it
/// is installed on.
///
/// ```
/// use cmdx_test::Traces;
///
/// let traces = Traces::new();
/// let _guard = traces.install();
/// let span = tracing::info_span!("execute", cmdx.task = "Ping");
/// span.in_scope(|| tracing::info!(attempt = 1, "retrying"));
/// drop(span);
/// assert_eq!(traces.spans()[0]["cmdx.task"], "Ping");
/// assert_eq!(traces.events()[0].span["cmdx.task"], "Ping");
/// ```
#[derive(Debug, Clone, Default)]
pub struct Traces {
    inner: Arc<Mutex<Captured>>,
}

#[derive(Debug, Default)]
struct Captured {
    spans: Vec<Fields>,
    events: Vec<TracedEvent>,
}

impl Traces {
    /// Nothing captured yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Makes a capturing subscriber the default for this thread until the
    /// guard drops (use a current-thread runtime).
    pub fn install(&self) -> tracing::subscriber::DefaultGuard {
        let subscriber = tracing_subscriber::registry().with(Capture(self.clone()));
        tracing::subscriber::set_default(subscriber)
    }

    /// The fields of every span closed so far, in closing order.
    pub fn spans(&self) -> Vec<Fields> {
        self.guard().spans.clone()
    }

    /// Every event so far.
    pub fn events(&self) -> Vec<TracedEvent> {
        self.guard().events.clone()
    }

    fn guard(&self) -> MutexGuard<'_, Captured> {
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

struct Capture(Traces);

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Capture {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut fields = Collect(Fields::new());
        attrs.record(&mut fields);
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(fields.0);
        }
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        if let Some(span) = ctx.span(id) {
            let mut extensions = span.extensions_mut();
            if let Some(fields) = extensions.get_mut::<Fields>() {
                let mut collect = Collect(std::mem::take(fields));
                values.record(&mut collect);
                *fields = collect.0;
            }
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let mut fields = Collect(Fields::new());
        event.record(&mut fields);
        let span = ctx
            .event_span(event)
            .and_then(|span| span.extensions().get::<Fields>().cloned())
            .unwrap_or_default();
        self.0.guard().events.push(TracedEvent {
            fields: fields.0,
            span,
        });
    }

    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        if let Some(span) = ctx.span(&id) {
            let fields = span
                .extensions()
                .get::<Fields>()
                .cloned()
                .unwrap_or_default();
            self.0.guard().spans.push(fields);
        }
    }
}

struct Collect(Fields);

impl Visit for Collect {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
}
