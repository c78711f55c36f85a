//! [`SpanCapture`]: a `tracing` layer that keeps every span's fields and parent.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Subscriber, subscriber::DefaultGuard};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::{Layer, Registry};

/// One captured span.
#[derive(Debug, Clone, PartialEq)]
pub struct CapturedSpan {
    /// The span's name (`execute` for cmdx executions).
    pub name: &'static str,
    /// The span's target (`cmdx`).
    pub target: &'static str,
    /// Every field recorded, as text.
    pub fields: BTreeMap<String, String>,
    /// Index (into [`SpanCapture::spans`]) of the parent span.
    pub parent: Option<usize>,
    /// Whether the span was closed.
    pub closed: bool,
}

impl CapturedSpan {
    /// A field's value as text.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields.get(name).map(String::as_str)
    }
}

/// Captures spans for assertions: install with [`SpanCapture::set_default`].
#[derive(Debug, Clone, Default)]
pub struct SpanCapture {
    spans: Arc<Mutex<Vec<CapturedSpan>>>,
}

impl SpanCapture {
    /// An empty capture.
    pub fn new() -> Self {
        Self::default()
    }

    /// Installs a registry with this layer as the thread's default
    /// subscriber until the guard is dropped (use a current-thread runtime).
    pub fn set_default(&self) -> DefaultGuard {
        tracing::subscriber::set_default(Registry::default().with(self.clone()))
    }

    /// Every span seen, in creation order.
    pub fn spans(&self) -> Vec<CapturedSpan> {
        self.spans.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

struct Slot(usize);

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for SpanCapture {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut fields = Fields::default();
        attrs.record(&mut fields);
        let parent = ctx
            .span_scope(id)
            .and_then(|mut scope| scope.nth(1))
            .and_then(|parent| parent.extensions().get::<Slot>().map(|slot| slot.0));
        let mut spans = self.spans.lock().unwrap_or_else(|e| e.into_inner());
        spans.push(CapturedSpan {
            name: attrs.metadata().name(),
            target: attrs.metadata().target(),
            fields: fields.0,
            parent,
            closed: false,
        });
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(Slot(spans.len() - 1));
        }
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let Some(slot) = ctx
            .span(id)
            .and_then(|s| s.extensions().get::<Slot>().map(|s| s.0))
        else {
            return;
        };
        let mut fields = Fields::default();
        values.record(&mut fields);
        let mut spans = self.spans.lock().unwrap_or_else(|e| e.into_inner());
        spans[slot].fields.extend(fields.0);
    }

    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        if let Some(slot) = ctx
            .span(&id)
            .and_then(|s| s.extensions().get::<Slot>().map(|s| s.0))
        {
            self.spans.lock().unwrap_or_else(|e| e.into_inner())[slot].closed = true;
        }
    }
}

#[derive(Default)]
struct Fields(BTreeMap<String, String>);

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
}
