//! [`Traces`]: capture `tracing` spans and events, to assert on span fields
//! and on which span an event happened in.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
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
/// assert_eq!(traces.spans()[0].fields["cmdx.task"], "Ping");
/// assert_eq!(traces.events()[0].span["cmdx.task"], "Ping");
/// ```
#[derive(Debug, Clone, Default)]
pub struct Traces {
    inner: Arc<Mutex<Captured>>,
}

/// A closed span: its name, target, fields, and which span was its parent.
#[derive(Debug, Clone, PartialEq)]
pub struct ClosedSpan {
    /// A number unique in the process, given when the span opened.
    pub seq: u64,
    /// The `seq` of its parent span, if it had one.
    pub parent: Option<u64>,
    /// The span's name (`execute` for cmdx executions).
    pub name: &'static str,
    /// The span's target (`cmdx` for cmdx executions).
    pub target: &'static str,
    /// Every field recorded on it.
    pub fields: Fields,
}

impl ClosedSpan {
    /// A field's value as text.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields.get(name).map(String::as_str)
    }
}

#[derive(Debug, Default)]
struct Captured {
    spans: Vec<ClosedSpan>,
    events: Vec<TracedEvent>,
}

impl Traces {
    /// Nothing captured yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Captures what this thread records until the guard drops (use a
    /// current-thread runtime).
    ///
    /// The first call installs one process-wide subscriber that routes to
    /// the `Traces` installed on the recording thread. A per-thread
    /// `set_default` would be simpler, but `tracing` caches each callsite's
    /// interest globally: a test running at the same time without a
    /// subscriber can leave a callsite disabled for everyone, and the
    /// capture would flakily miss events.
    ///
    /// # Panics
    ///
    /// When another global subscriber was installed in this process.
    pub fn install(&self) -> TracesGuard {
        static ROUTER: OnceLock<bool> = OnceLock::new();
        let installed = *ROUTER.get_or_init(|| {
            tracing::subscriber::set_global_default(tracing_subscriber::registry().with(Router))
                .is_ok()
        });
        assert!(
            installed,
            "Traces needs to own the global subscriber of this test binary"
        );
        CURRENT.with(|current| *current.borrow_mut() = Some(self.clone()));
        TracesGuard {
            _not_send: PhantomData,
        }
    }

    /// Every span closed so far, in closing order.
    pub fn spans(&self) -> Vec<ClosedSpan> {
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

/// Stops capturing on this thread when dropped.
#[derive(Debug)]
#[must_use = "capturing stops when the guard drops"]
pub struct TracesGuard {
    _not_send: PhantomData<*const ()>,
}

impl Drop for TracesGuard {
    fn drop(&mut self) {
        CURRENT.with(|current| current.borrow_mut().take());
    }
}

thread_local! {
    static CURRENT: RefCell<Option<Traces>> = const { RefCell::new(None) };
}

fn with_current(f: impl FnOnce(&Traces)) {
    CURRENT.with(|current| {
        if let Some(traces) = &*current.borrow() {
            f(traces);
        }
    });
}

/// Keeps every span's fields; hands events and closed spans to the
/// recording thread's [`Traces`].
struct Router;

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Router {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        static SEQ: AtomicU64 = AtomicU64::new(0);
        let mut fields = Collect(Fields::new());
        attrs.record(&mut fields);
        if let Some(span) = ctx.span(id) {
            let parent = span
                .parent()
                .and_then(|p| p.extensions().get::<Seq>().map(|s| s.0));
            let mut extensions = span.extensions_mut();
            extensions.insert(fields.0);
            extensions.insert(Seq(SEQ.fetch_add(1, Ordering::Relaxed), parent));
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
        with_current(|traces| {
            traces.guard().events.push(TracedEvent {
                fields: fields.0,
                span,
            });
        });
    }

    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        if let Some(span) = ctx.span(&id) {
            let extensions = span.extensions();
            let Seq(seq, parent) = extensions
                .get::<Seq>()
                .copied()
                .unwrap_or(Seq(u64::MAX, None));
            let fields = ClosedSpan {
                seq,
                parent,
                name: span.name(),
                target: span.metadata().target(),
                fields: extensions.get::<Fields>().cloned().unwrap_or_default(),
            };
            with_current(|traces| traces.guard().spans.push(fields));
        }
    }
}

/// The span's `seq`, and its parent's.
#[derive(Debug, Clone, Copy)]
struct Seq(u64, Option<u64>);

struct Collect(Fields);

impl Visit for Collect {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
}
