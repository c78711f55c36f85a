//! Telemetry events: a subscriber API for what the runtime does.

use crate::contain::Plugin;
use crate::ledger::Record;
use std::fmt;
use std::time::Duration;
use uuid::Uuid;

/// Receives runtime events; register one with
/// [`RuntimeBuilder::subscribe`](crate::RuntimeBuilder::subscribe).
///
/// Events are delivered synchronously, on the task that emits them, in
/// order: `Started`, then any `Deprecated` / `Retried` / `RolledBack`, then
/// `Executed` with the record (also for cancelled executions), and
/// `PluginPanicked` whenever a plug-in's panic was contained. Keep
/// subscribers quick and non-blocking. A panicking subscriber is contained
/// too: the others still get the event, and the panic is counted (as
/// [`Plugin::Subscriber`]) but not announced by an event. Closures
/// `Fn(&Event)` are subscribers. Without subscribers an event costs one
/// branch.
pub trait Subscriber: Send + Sync + 'static {
    /// Called for every event.
    fn event(&self, event: &Event<'_>);
}

impl<F: Fn(&Event<'_>) + Send + Sync + 'static> Subscriber for F {
    fn event(&self, event: &Event<'_>) {
        self(event)
    }
}

/// One runtime event, about one execution.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use cmdx::prelude::*;
/// use cmdx::{EventKind, Ledger, Runtime};
/// use std::sync::{Arc, Mutex};
///
/// #[derive(Debug, Serialize, Deserialize, Validate)]
/// struct Ping {}
/// impl Task for Ping {
///     type Output = ();
///     fn name() -> &'static str {
///         "Ping"
///     }
///     async fn work(&self, _: &mut Cx) -> Result<(), Halt> { Ok(()) }
/// }
///
/// let seen = Arc::new(Mutex::new(Vec::new()));
/// let sink = seen.clone();
/// let runtime = Runtime::builder()
///     .ledger(Ledger::off())
///     .subscribe(move |event: &cmdx::Event<'_>| sink.lock().unwrap().push(event.kind.name()))
///     .build();
/// let _ = runtime.scope(Ping {}.execute()).await;
/// assert_eq!(*seen.lock().unwrap(), ["started", "executed"]);
/// # }
/// ```
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct Event<'a> {
    /// The task's name.
    pub task: &'a str,
    /// The execution's id.
    pub tid: Uuid,
    /// The chain id.
    pub cid: Uuid,
    /// The execution's index in the chain.
    pub index: u32,
    /// What happened.
    pub kind: EventKind<'a>,
}

/// What happened to an execution.
#[derive(Clone, Copy)]
#[non_exhaustive]
pub enum EventKind<'a> {
    /// The execution began (its `tid` and `index` are assigned).
    Started,
    /// A task marked deprecated with a warning ran.
    Deprecated,
    /// `work` failed and runs again after `delay`; `attempt` is the attempt
    /// about to run (1 for the first retry).
    Retried {
        /// The attempt about to run (1 for the first retry).
        attempt: u32,
        /// The wait before it.
        delay: Duration,
        /// The reason of the failure being retried.
        error: &'a str,
    },
    /// The task's own rollback ran after its failure.
    RolledBack,
    /// The execution ended; `record` is exactly its ledger line.
    Executed {
        /// The finished record.
        record: &'a Record,
    },
    /// A plug-in (sink, bridge, hook, middleware, settings…) panicked
    /// while serving this execution; the panic was contained (see
    /// [`Plugin`] for what became of the execution). Never emitted for a
    /// panicking subscriber.
    PluginPanicked {
        /// What panicked.
        plugin: Plugin,
        /// The panic's message.
        message: &'a str,
    },
}

impl EventKind<'_> {
    /// `started`, `deprecated`, `retried`, `rolled_back`, `executed` or
    /// `plugin_panicked`.
    pub fn name(&self) -> &'static str {
        match self {
            EventKind::Started => "started",
            EventKind::Deprecated => "deprecated",
            EventKind::Retried { .. } => "retried",
            EventKind::RolledBack => "rolled_back",
            EventKind::Executed { .. } => "executed",
            EventKind::PluginPanicked { .. } => "plugin_panicked",
        }
    }
}

impl fmt::Debug for EventKind<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EventKind::Retried {
                attempt,
                delay,
                error,
            } => f
                .debug_struct("Retried")
                .field("attempt", attempt)
                .field("delay", delay)
                .field("error", error)
                .finish(),
            EventKind::Executed { record } => f
                .debug_struct("Executed")
                .field("status", &record.status)
                .finish_non_exhaustive(),
            EventKind::PluginPanicked { plugin, message } => f
                .debug_struct("PluginPanicked")
                .field("plugin", plugin)
                .field("message", message)
                .finish(),
            other => f.write_str(other.name()),
        }
    }
}
