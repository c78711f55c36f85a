//! Application logs: `tracing` events emitted inside an execution become
//! JSON log lines on the execution's ledger, in order with its ledger lines.
//!
//! Add [`layer()`] to your subscriber (`cmdx_telemetry::init()` does it for
//! you). Every event emitted while an execution runs — in its task's
//! `work`, its hooks, its middleware, its rollback, or work it
//! [`spawn`](crate::spawn)s — is written as one line to the ledger of the
//! execution's runtime (stdout by default), through the same non-blocking
//! writer as the ledger lines, carrying the execution's `cid`, `tid`,
//! `task`, `trace_id` and `span_id`:
//!
//! ```json
//! {"log":1,"ts":"2026-11-30T10:15:00.123Z","level":"INFO","cid":"…","tid":"…","task":"Accounts::Credit","trace_id":null,"span_id":null,"target":"accounts","message":"Credited 100 to account 42","fields":{"amount":100,"account":42}}
//! ```
//!
//! Events outside any execution are left alone: the layer ignores them,
//! and your other layers (a `fmt` layer on stderr) see them as before. The
//! layer filters nothing itself: use the usual `tracing` filters
//! ([`Layer::with_filter`](tracing_subscriber::Layer::with_filter) with a
//! `LevelFilter` or an `EnvFilter`). The guide is `docs/application-logs.md`.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! use cmdx::prelude::*;
//! use cmdx::{MemoryLedger, Runtime};
//! use tracing_subscriber::layer::SubscriberExt;
//!
//! #[derive(Debug, Serialize, Deserialize, Validate)]
//! struct Credit {
//!     #[garde(skip)]
//!     account: u64,
//!     #[garde(skip)]
//!     amount: i64,
//! }
//!
//! impl Task for Credit {
//!     type Output = ();
//!     fn name() -> &'static str { "Accounts::Credit" }
//!     async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
//!         tracing::info!(target: "accounts", amount = self.amount, account = self.account,
//!                        "Credited {} to account {}", self.amount, self.account);
//!         Ok(())
//!     }
//! }
//!
//! let subscriber = tracing_subscriber::registry().with(cmdx::logs::layer());
//! let _guard = tracing::subscriber::set_default(subscriber);
//! let memory = MemoryLedger::new();
//! let runtime = Runtime::builder().ledger(memory.clone()).build();
//! let outcome = runtime.scope(Credit { account: 42, amount: 100 }.execute()).await;
//!
//! let log = &memory.log_values()[0];
//! assert_eq!(log["message"], "Credited 100 to account 42");
//! assert_eq!(log["fields"], serde_json::json!({"amount": 100, "account": 42}));
//! assert_eq!(log["tid"], outcome.record().tid.to_string());
//! // In order: the log line, then its execution's ledger line.
//! assert!(memory.all_lines()[0].starts_with(r#"{"log":1,"#));
//! assert!(memory.all_lines()[1].starts_with(r#"{"v":2,"#));
//! # }
//! ```

mod line;
pub(crate) mod scope;

pub use line::{LOG_VERSION, MAX_FIELD_BYTES, TRUNCATED};

use crate::{Plugin, ledger};
use std::cell::RefCell;
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::Context;

/// The `tracing` layer that writes events emitted inside executions as log
/// lines to their runtime's ledger; make one with [`layer()`].
///
/// It never filters or changes what other layers see. Per-event cost
/// inside an execution: one line encoded on the emitting thread and copied
/// into the ledger's queue (the same path as a ledger line); outside
/// executions: one task-local lookup.
///
/// ```
/// use tracing_subscriber::{Layer, filter::LevelFilter, layer::SubscriberExt};
///
/// let subscriber = tracing_subscriber::registry()
///     .with(cmdx::logs::layer().with_filter(LevelFilter::INFO));
/// # drop(subscriber);
/// ```
#[derive(Debug, Clone)]
pub struct LogLayer {
    _private: (),
}

/// The log layer; see the [module docs](self).
///
/// Once one is made, every execution (with its ledger on) makes itself
/// known to it while it runs: one small allocation per execution.
///
/// ```
/// use tracing_subscriber::layer::SubscriberExt;
///
/// let subscriber = tracing_subscriber::registry().with(cmdx::logs::layer());
/// # drop(subscriber);
/// ```
pub fn layer() -> LogLayer {
    LogLayer::default()
}

impl Default for LogLayer {
    fn default() -> Self {
        scope::activate();
        Self { _private: () }
    }
}

impl<S: Subscriber> tracing_subscriber::Layer<S> for LogLayer {
    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        emit(event);
    }
}

/// Whether the code running here runs inside an execution whose events
/// become log lines (a [`LogLayer`] exists and the execution's ledger is
/// on). Use it to keep those events off another layer, so they are not
/// printed twice:
///
/// ```
/// use tracing_subscriber::{Layer, filter::filter_fn, layer::SubscriberExt};
///
/// let stderr = tracing_subscriber::fmt::layer()
///     .with_writer(std::io::stderr)
///     .with_filter(filter_fn(|_| !cmdx::logs::in_execution()));
/// let subscriber = tracing_subscriber::registry()
///     .with(cmdx::logs::layer())
///     .with(stderr);
/// # drop(subscriber);
/// ```
pub fn in_execution() -> bool {
    scope::with_current(|_| ()).is_some()
}

thread_local! {
    /// This thread's line buffer.
    static LINE: RefCell<Vec<u8>> = RefCell::new(Vec::with_capacity(512));
}

/// Buffers above this are given back after use.
const KEEP_BUFFER: usize = 64 * 1024;

fn emit(event: &Event<'_>) {
    // An event emitted while this thread writes (a sink's, a field's
    // `Debug`'s) would write again: it is left to the other layers.
    if ledger::is_writing() {
        return;
    }
    ledger::writing(|| emit_in_execution(event));
}

fn emit_in_execution(event: &Event<'_>) {
    scope::with_current(|current| {
        LINE.with(|buf| {
            let mut buf = buf.borrow_mut();
            buf.clear();
            let panicked = line::write(current, event, &mut buf);
            let runtime = &current.chain.runtime;
            let global = runtime.config();
            if let Some(message) = panicked {
                let panicked = crate::contain::Panicked {
                    plugin: Plugin::EventField,
                    message,
                };
                global.report(&current.task, current.ids(), &panicked);
            }
            let ledger = runtime.ledger();
            let _ = global.contain(Plugin::LedgerSink, &current.task, current.ids(), || {
                ledger.write_log(&buf);
            });
            if buf.capacity() > KEEP_BUFFER {
                *buf = Vec::with_capacity(512);
            }
        });
    });
}
