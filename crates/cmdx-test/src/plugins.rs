//! Plug-ins that panic on purpose, and a recorder of the panics the runtime
//! reports — for testing that a broken plug-in never breaks an execution.

use cmdx::{
    Event, EventKind, LedgerSink, Plugin, Record, RuntimeBuilder, Subscriber, TraceBridge, TraceIds,
};
use serde::{Deserialize, Serialize, Serializer};
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use uuid::Uuid;

type Selects = dyn Fn(&Record) -> bool + Send + Sync;

/// A [`LedgerSink`] that panics with `"sink bug"` for the records it
/// selects. Behind [`Capture::with_sink`](crate::Capture::with_sink), every
/// line is kept in memory first: a sink that panics after delivering part
/// of a line (a fan-out sink whose second destination is broken).
///
/// ```
/// use cmdx_test::PanickingSink;
///
/// let always = PanickingSink::always();
/// let only_workflows = PanickingSink::when(|record| record.kind == cmdx::Kind::Workflow);
/// # let _ = (always, only_workflows);
/// ```
#[derive(Clone)]
pub struct PanickingSink {
    selects: Arc<Selects>,
}

impl PanickingSink {
    /// Panics for every line.
    pub fn always() -> Self {
        Self::when(|_| true)
    }

    /// Panics for the lines whose record `selects` accepts.
    pub fn when(selects: impl Fn(&Record) -> bool + Send + Sync + 'static) -> Self {
        Self {
            selects: Arc::new(selects),
        }
    }
}

impl LedgerSink for PanickingSink {
    fn write(&self, _: &[u8], record: &Record) {
        if (self.selects)(record) {
            panic!("sink bug");
        }
    }
}

impl fmt::Debug for PanickingSink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PanickingSink")
    }
}

/// A [`TraceBridge`] method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum BridgeCall {
    /// [`TraceBridge::trace_ids`].
    TraceIds,
    /// [`TraceBridge::link`].
    Link,
    /// [`TraceBridge::finish`].
    Finish,
}

/// A [`TraceBridge`] that gives every span the ids [`PanickingBridge::TRACE_ID`]
/// / [`PanickingBridge::SPAN_ID`], and panics with `"bridge bug"` in one method.
#[derive(Debug, Clone, Copy)]
pub struct PanickingBridge {
    panics_in: BridgeCall,
}

impl PanickingBridge {
    /// The trace id the bridge reports.
    pub const TRACE_ID: &'static str = "4bf92f3577b34da6a3ce929d0e0e4736";
    /// The span id the bridge reports.
    pub const SPAN_ID: &'static str = "00f067aa0ba902b7";

    /// Panics in `call`.
    pub fn panics_in(call: BridgeCall) -> Self {
        Self { panics_in: call }
    }

    fn enter(&self, call: BridgeCall) {
        if self.panics_in == call {
            panic!("bridge bug");
        }
    }
}

impl TraceBridge for PanickingBridge {
    fn trace_ids(&self, _: &tracing::Span) -> Option<TraceIds> {
        self.enter(BridgeCall::TraceIds);
        Some(TraceIds::new(Self::TRACE_ID.into(), Self::SPAN_ID.into()))
    }

    fn link(&self, _: &tracing::Span, _: &TraceIds) {
        self.enter(BridgeCall::Link);
    }

    fn finish(&self, _: &tracing::Span, _: &Record) {
        self.enter(BridgeCall::Finish);
    }
}

/// One [`PluginPanicked`](EventKind::PluginPanicked) event.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReportedPanic {
    /// What panicked.
    pub plugin: Plugin,
    /// The execution it served.
    pub task: String,
    /// That execution's id.
    pub tid: Uuid,
    /// The panic's message.
    pub message: String,
}

/// Records the runtime's [`PluginPanicked`](EventKind::PluginPanicked)
/// events; install it with [`subscribed`](Self::subscribed) (or
/// [`subscriber`](Self::subscriber)). Clones share the records.
///
/// ```
/// use cmdx_test::{Capture, PanicEvents};
///
/// let panics = PanicEvents::new();
/// let capture = Capture::with(|b| panics.subscribed(b));
/// assert!(panics.all().is_empty());
/// # let _ = capture;
/// ```
#[derive(Debug, Clone, Default)]
pub struct PanicEvents {
    reported: Arc<Mutex<Vec<ReportedPanic>>>,
}

impl PanicEvents {
    /// No events yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// `builder`, subscribed to record the events.
    pub fn subscribed(&self, builder: RuntimeBuilder) -> RuntimeBuilder {
        builder.subscribe(self.subscriber())
    }

    /// The subscriber to install with `RuntimeBuilder::subscribe`.
    pub fn subscriber(&self) -> impl Subscriber {
        let reported = self.reported.clone();
        move |event: &Event<'_>| {
            if let EventKind::PluginPanicked { plugin, message } = event.kind {
                lock(&reported).push(ReportedPanic {
                    plugin,
                    task: event.task.to_owned(),
                    tid: event.tid,
                    message: message.to_owned(),
                });
            }
        }
    }

    /// Every event so far.
    pub fn all(&self) -> Vec<ReportedPanic> {
        lock(&self.reported).clone()
    }

    /// The events about `plugin`.
    pub fn of(&self, plugin: Plugin) -> Vec<ReportedPanic> {
        self.all()
            .into_iter()
            .filter(|reported| reported.plugin == plugin)
            .collect()
    }
}

/// A value whose `Serialize` impl panics with `"serialize bug"` (a task
/// input field, a step output); it deserializes from `null`.
#[derive(Debug, Clone, Copy, Default, Deserialize)]
pub struct PanicsWhenSerialized;

impl Serialize for PanicsWhenSerialized {
    fn serialize<S: Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
        panic!("serialize bug")
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
