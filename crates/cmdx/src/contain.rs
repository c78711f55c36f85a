//! Containing panics of plug-ins: the user code the engine calls besides
//! `work`, `rollback` and validation (whose panics are the task's own
//! failure). A contained panic never reaches the caller of `execute()`.
//!
//! This module only catches and counts; it knows nothing of executions.
//! The runtime reports what it catches (`settings::Global::contain`): the
//! count, one notice on stderr per kind and process, and a
//! [`PluginPanicked`](crate::EventKind::PluginPanicked) event.

use std::any::Any;
use std::fmt;
use std::io::Write;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// A kind of plug-in: user code the runtime calls around an execution.
/// A panic in one is contained — the caller of `execute()` never sees it —
/// and reported: see [`Runtime::contained_panics`](crate::Runtime::contained_panics).
///
/// | kind | what panicked | what happens to the execution |
/// | --- | --- | --- |
/// | `LedgerSink` | [`LedgerSink::write`](crate::LedgerSink::write) | keeps its outcome; its line is lost for that sink |
/// | `TraceBridge` | a [`TraceBridge`](crate::TraceBridge) method | keeps its outcome; no link, attributes or trace ids (`trace_id`/`span_id` null) |
/// | `Hook` | a [`Hooks`](crate::Hooks) method | fails: `` hook `…` of `…` failed: panicked: … `` (code `hook_failed`) |
/// | `Middleware` | a [`Middleware`](crate::Middleware) (incl. the [`Correlation`](crate::middleware::Correlation) closure) | fails: `middleware panicked: …` (code `middleware_panicked`) |
/// | `Subscriber` | a [`Subscriber`](crate::Subscriber) | keeps its outcome; the other subscribers still get the event |
/// | `Settings` | [`Task::settings`](crate::Task::settings) | fails before anything of the task runs: `` settings of `…` panicked: … `` (code `settings_panicked`) |
/// | `TaskName` | [`Task::name`](crate::Task::name) | keeps its outcome; named after its type instead |
/// | `Serialize` | serializing a task's input (for the line) or a workflow step's output | keeps its outcome; `input` is null / the output is not merged |
/// | `Condition` | a workflow group's [`Condition`](crate::Condition) | the workflow fails (`` condition of group N of `…` panicked: … ``, code `condition_panicked`) and compensates |
/// | `Merge` | a [`Merge::Custom`](crate::Merge::Custom) function | the workflow fails (`` merging the output of `…` panicked: … ``, code `merge_panicked`) and compensates |
/// | `RetryPolicy` | a [`RetryPolicy`](crate::RetryPolicy) predicate or [`Backoff::custom`](crate::Backoff::custom) | the failure is not retried: it is the outcome |
/// | `EventField` | a `Debug`/`Display` impl of a `tracing` event's value, formatted for a [log line](crate::logs) | keeps its outcome; the value reads `[panicked: …]` on the log line |
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Plugin {
    /// [`LedgerSink::write`](crate::LedgerSink::write).
    LedgerSink,
    /// A [`TraceBridge`](crate::TraceBridge) method.
    TraceBridge,
    /// A [`Hooks`](crate::Hooks) method.
    Hook,
    /// A [`Middleware`](crate::Middleware).
    Middleware,
    /// A [`Subscriber`](crate::Subscriber).
    Subscriber,
    /// [`Task::settings`](crate::Task::settings).
    Settings,
    /// [`Task::name`](crate::Task::name).
    TaskName,
    /// A `Serialize` impl: a task's input, a workflow step's output.
    Serialize,
    /// A workflow group's [`Condition`](crate::Condition).
    Condition,
    /// A [`Merge::Custom`](crate::Merge::Custom) function.
    Merge,
    /// A [`RetryPolicy`](crate::RetryPolicy) predicate or custom backoff.
    RetryPolicy,
    /// A `Debug`/`Display` impl of a `tracing` event's value, formatted
    /// for a [log line](crate::logs).
    EventField,
}

/// How many kinds there are (the length of [`Plugin::ALL`]).
const KINDS: usize = 12;

impl Plugin {
    /// Every kind, in declaration order.
    pub const ALL: [Plugin; KINDS] = [
        Plugin::LedgerSink,
        Plugin::TraceBridge,
        Plugin::Hook,
        Plugin::Middleware,
        Plugin::Subscriber,
        Plugin::Settings,
        Plugin::TaskName,
        Plugin::Serialize,
        Plugin::Condition,
        Plugin::Merge,
        Plugin::RetryPolicy,
        Plugin::EventField,
    ];

    /// `ledger_sink`, `trace_bridge`, `hook`, `middleware`, `subscriber`,
    /// `settings`, `task_name`, `serialize`, `condition`, `merge`,
    /// `retry_policy` or `event_field`.
    pub fn as_str(self) -> &'static str {
        match self {
            Plugin::LedgerSink => "ledger_sink",
            Plugin::TraceBridge => "trace_bridge",
            Plugin::Hook => "hook",
            Plugin::Middleware => "middleware",
            Plugin::Subscriber => "subscriber",
            Plugin::Settings => "settings",
            Plugin::TaskName => "task_name",
            Plugin::Serialize => "serialize",
            Plugin::Condition => "condition",
            Plugin::Merge => "merge",
            Plugin::RetryPolicy => "retry_policy",
            Plugin::EventField => "event_field",
        }
    }

    fn slot(self) -> usize {
        self as usize
    }

    /// What panicked, for the stderr notice.
    fn what(self) -> &'static str {
        match self {
            Plugin::LedgerSink => "a `LedgerSink`",
            Plugin::TraceBridge => "a `TraceBridge`",
            Plugin::Hook => "a hook",
            Plugin::Middleware => "a middleware",
            Plugin::Subscriber => "an event subscriber",
            Plugin::Settings => "`Task::settings()`",
            Plugin::TaskName => "`Task::name()`",
            Plugin::Serialize => "a `Serialize` impl (a task's input or a step's output)",
            Plugin::Condition => "a workflow condition",
            Plugin::Merge => "a custom `Merge`",
            Plugin::RetryPolicy => "a retry predicate or custom backoff",
            Plugin::EventField => "a `Debug`/`Display` impl of a `tracing` event's value",
        }
    }

    /// What became of the execution, for the stderr notice.
    fn consequence(self) -> &'static str {
        match self {
            Plugin::LedgerSink => "the execution kept its outcome; its line is lost for that sink",
            Plugin::TraceBridge => {
                "the execution kept its outcome; its span may lack links, attributes or trace ids"
            }
            Plugin::Hook => "the execution failed (code `hook_failed`), as hooks document",
            Plugin::Middleware => "the execution failed (code `middleware_panicked`)",
            Plugin::Subscriber => {
                "the execution kept its outcome; the other subscribers got the event"
            }
            Plugin::Settings => {
                "the execution failed before its task ran (code `settings_panicked`)"
            }
            Plugin::TaskName => "the execution kept its outcome; it is named after its type",
            Plugin::Serialize => {
                "the execution kept its outcome; its input is null on the line, or the step's output is not merged"
            }
            Plugin::Condition => {
                "the workflow failed (code `condition_panicked`) and compensated its completed steps"
            }
            Plugin::Merge => {
                "the workflow failed (code `merge_panicked`) and compensated its completed steps"
            }
            Plugin::RetryPolicy => "the failure was not retried and is the execution's outcome",
            Plugin::EventField => {
                "the execution kept its outcome; the value reads `[panicked: …]` on its log line"
            }
        }
    }
}

impl fmt::Display for Plugin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How many plug-in panics a [`Runtime`](crate::Runtime) contained, per
/// kind: a snapshot from [`Runtime::contained_panics`](crate::Runtime::contained_panics).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use cmdx::prelude::*;
/// use cmdx::{Ledger, LedgerSink, Plugin, Record, Runtime};
///
/// struct Broken;
/// impl LedgerSink for Broken {
///     fn write(&self, _: &[u8], _: &Record) {
///         panic!("disk driver bug");
///     }
/// }
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
/// let runtime = Runtime::builder().ledger(Ledger::custom(Broken)).build();
/// let outcome = runtime.scope(Ping {}.execute()).await; // returns: the panic is contained
/// assert!(outcome.is_success());
/// let panics = runtime.contained_panics();
/// assert_eq!(panics.get(Plugin::LedgerSink), 1);
/// assert_eq!(panics.total(), 1);
/// # }
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ContainedPanics {
    counts: [u64; KINDS],
}

impl ContainedPanics {
    /// How many panics of `plugin` were contained.
    pub fn get(&self, plugin: Plugin) -> u64 {
        self.counts[plugin.slot()]
    }

    /// How many panics were contained, of every kind.
    pub fn total(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// The kinds that panicked at least once, with their counts.
    pub fn iter(&self) -> impl Iterator<Item = (Plugin, u64)> + '_ {
        Plugin::ALL
            .into_iter()
            .map(|plugin| (plugin, self.get(plugin)))
            .filter(|&(_, count)| count > 0)
    }
}

/// A runtime's live counts (shared by its clones).
#[derive(Debug, Default)]
pub(crate) struct Counters([AtomicU64; KINDS]);

impl Counters {
    pub(crate) fn snapshot(&self) -> ContainedPanics {
        ContainedPanics {
            counts: std::array::from_fn(|slot| self.0[slot].load(Ordering::Relaxed)),
        }
    }

    /// Counts `panicked`, and prints the stderr notice if it is the first
    /// of its kind in this process.
    pub(crate) fn count(&self, panicked: &Panicked) {
        self.0[panicked.plugin.slot()].fetch_add(1, Ordering::Relaxed);
        if NOTICED.first(panicked.plugin) {
            // Not `eprintln!`: it panics when stderr is closed.
            let _ = writeln!(std::io::stderr().lock(), "{}", panicked.notice());
        }
    }
}

/// Which kinds already printed their notice in this process.
static NOTICED: Noticed = Noticed::new();

struct Noticed([AtomicBool; KINDS]);

impl Noticed {
    const fn new() -> Self {
        Self([const { AtomicBool::new(false) }; KINDS])
    }

    /// Whether this is the first call for `plugin`.
    fn first(&self, plugin: Plugin) -> bool {
        !self.0[plugin.slot()].swap(true, Ordering::Relaxed)
    }
}

/// A caught panic of a plug-in: which kind, and its message.
#[derive(Debug, Clone)]
pub(crate) struct Panicked {
    pub(crate) plugin: Plugin,
    pub(crate) message: String,
}

impl Panicked {
    /// A panic caught by the caller (around a future, say).
    pub(crate) fn from_payload(plugin: Plugin, payload: &(dyn Any + Send)) -> Self {
        Self {
            plugin,
            message: panic_message(payload),
        }
    }

    /// The stderr notice: what panicked, its message, what became of the
    /// execution, and where to find the count.
    fn notice(&self) -> String {
        format!(
            "cmdx: {} panicked: {}. The panic was contained: {}. \
             This notice is printed once per kind of plug-in and process; \
             `Runtime::contained_panics()` counts every contained panic and \
             subscribers receive `EventKind::PluginPanicked`.",
            self.plugin.what(),
            self.message,
            self.plugin.consequence(),
        )
    }
}

/// Runs plug-in code, catching its panic.
pub(crate) fn catch<R>(plugin: Plugin, f: impl FnOnce() -> R) -> Result<R, Panicked> {
    std::panic::catch_unwind(AssertUnwindSafe(f))
        .map_err(|payload| Panicked::from_payload(plugin, &*payload))
}

/// The text of a panic payload (`panic!("…")` gives a `&str` or a `String`).
pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        (*text).to_owned()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "a non-string panic payload".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_its_own_slot_and_name() {
        for (slot, plugin) in Plugin::ALL.into_iter().enumerate() {
            assert_eq!(plugin.slot(), slot);
        }
        let names: std::collections::HashSet<_> =
            Plugin::ALL.into_iter().map(Plugin::as_str).collect();
        assert_eq!(names.len(), KINDS);
        assert_eq!(Plugin::LedgerSink.to_string(), "ledger_sink");
        assert_eq!(Plugin::RetryPolicy.to_string(), "retry_policy");
    }

    #[test]
    fn catch_returns_the_value_or_the_panic_message() {
        assert_eq!(catch(Plugin::Hook, || 7).ok(), Some(7));
        let panicked = catch(Plugin::Merge, || -> u8 { panic!("merge bug {}", 1) }).unwrap_err();
        assert_eq!(panicked.plugin, Plugin::Merge);
        assert_eq!(panicked.message, "merge bug 1");
        let opaque = catch(Plugin::Hook, || std::panic::panic_any(42_u8)).unwrap_err();
        assert_eq!(opaque.message, "a non-string panic payload");
    }

    #[test]
    fn counts_are_per_kind_and_the_snapshot_lists_only_kinds_that_panicked() {
        let counters = Counters::default();
        let sink = Panicked {
            plugin: Plugin::LedgerSink,
            message: "x".into(),
        };
        counters.count(&sink);
        counters.count(&sink);
        counters.count(&Panicked {
            plugin: Plugin::RetryPolicy,
            message: "y".into(),
        });
        let snapshot = counters.snapshot();
        assert_eq!(snapshot.get(Plugin::LedgerSink), 2);
        assert_eq!(snapshot.get(Plugin::RetryPolicy), 1);
        assert_eq!(snapshot.get(Plugin::Hook), 0);
        assert_eq!(snapshot.total(), 3);
        let listed: Vec<_> = snapshot.iter().collect();
        assert_eq!(listed, [(Plugin::LedgerSink, 2), (Plugin::RetryPolicy, 1)]);
    }

    #[test]
    fn the_notice_is_due_once_per_kind() {
        let noticed = Noticed::new();
        assert!(noticed.first(Plugin::TraceBridge));
        assert!(!noticed.first(Plugin::TraceBridge));
        assert!(noticed.first(Plugin::LedgerSink));
    }

    #[test]
    fn the_notice_says_what_panicked_what_happened_and_where_the_count_is() {
        let notice = Panicked {
            plugin: Plugin::LedgerSink,
            message: "disk driver bug".into(),
        }
        .notice();
        assert!(notice.starts_with("cmdx: a `LedgerSink` panicked: disk driver bug."));
        assert!(notice.contains("the execution kept its outcome"));
        assert!(notice.contains("Runtime::contained_panics()"));
        assert!(notice.contains("EventKind::PluginPanicked"));
    }
}
