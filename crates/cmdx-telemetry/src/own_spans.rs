//! Keeping the exporter's own work out of the export.
//!
//! Exporting a batch runs a transport (tonic, h2, hyper, tower…) that may
//! itself be instrumented with `tracing`. Were those spans exported, every
//! export would create spans to export: a loop (issue 12, item 5). The
//! layer therefore ignores every span and event created on a thread that
//! is doing the exporter's work — whatever the transport's crate names, so
//! an application that serves gRPC with tonic itself still has its own
//! tonic spans exported.
//!
//! A thread is doing the exporter's work when:
//! - it belongs to the runtime this crate starts for the gRPC connection
//!   ([`mark_exporter_thread`] runs at each of its threads' start), or
//! - its current OpenTelemetry context suppresses telemetry, which is how
//!   the SDK's batch processor marks the thread that calls the exporter
//!   ([`opentelemetry::Context::enter_telemetry_suppressed_scope`]).

use std::cell::Cell;
use tracing::Metadata;
use tracing::subscriber::Interest;
use tracing_subscriber::layer::{Context, Filter};

thread_local! {
    static EXPORTER_THREAD: Cell<bool> = const { Cell::new(false) };
}

/// Marks the calling thread, for its whole life, as one that only does
/// the exporter's work: nothing traced on it is exported.
pub(crate) fn mark_exporter_thread() {
    EXPORTER_THREAD.set(true);
}

/// Whether what is traced on this thread, now, is the exporter's own work.
fn exporter_at_work() -> bool {
    EXPORTER_THREAD.get() || opentelemetry::Context::is_current_telemetry_suppressed()
}

/// The per-layer filter of [`Telemetry::layer`](crate::Telemetry::layer):
/// lets through what the application traces, and nothing the exporter
/// traces while exporting (see the module documentation).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ApplicationOnly;

impl<S> Filter<S> for ApplicationOnly {
    fn enabled(&self, _: &Metadata<'_>, _: &Context<'_, S>) -> bool {
        !exporter_at_work()
    }

    fn callsite_enabled(&self, _: &'static Metadata<'static>) -> Interest {
        // The answer depends on the thread, not on the callsite: never
        // cache it.
        Interest::sometimes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_marked_thread_and_a_suppressed_context_are_the_exporters() {
        std::thread::spawn(|| {
            assert!(!exporter_at_work(), "a fresh thread is the application's");
            {
                let _suppressed = opentelemetry::Context::enter_telemetry_suppressed_scope();
                assert!(exporter_at_work(), "the SDK's batch thread suppresses");
            }
            assert!(!exporter_at_work(), "suppression ends with its scope");
            mark_exporter_thread();
            assert!(exporter_at_work(), "a marked thread stays marked");
        })
        .join()
        .expect("the thread's assertions");
    }
}
