//! Keeping the exporter's own work out of the export.
//!
//! Exporting a batch runs a transport (tonic, h2, hyper, tower…) that may
//! itself be instrumented with `tracing`. Were those spans exported, every
//! export would create spans to export: a loop (issue 12, item 5). So the
//! exporter's work traces into no subscriber at all — whatever the
//! transport's crate names, so an application that serves gRPC with tonic
//! itself still has its own tonic spans exported:
//! - the threads of the runtime this crate starts for the gRPC connection
//!   ([`mark_exporter_thread`] runs at each of its threads' start);
//! - every poll of an export, on the SDK's batch processor thread
//!   ([`Untraced`] wraps every exporter).
//!
//! Nothing is checked on the application's threads: a per-layer filter
//! asking "is this the exporter?" for every span and event cost 1.8× the
//! whole OpenTelemetry layer in `benches/telemetry.rs` (docs/decisions.md).

use opentelemetry_sdk::Resource;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{SpanData, SpanExporter};
use std::time::Duration;
use tracing::Dispatch;
use tracing::instrument::WithSubscriber;

/// Makes the calling thread, for its whole life, trace into no subscriber:
/// it only does the exporter's work.
pub(crate) fn mark_exporter_thread() {
    // The guard would restore the previous default when dropped; the
    // thread keeps "none" until it exits.
    std::mem::forget(tracing::dispatcher::set_default(&Dispatch::none()));
}

/// An exporter whose exports trace into no subscriber, on whatever thread
/// polls them.
#[derive(Debug)]
pub(crate) struct Untraced<E>(pub(crate) E);

impl<E: SpanExporter> SpanExporter for Untraced<E> {
    fn export(
        &self,
        batch: Vec<SpanData>,
    ) -> impl std::future::Future<Output = OTelSdkResult> + Send {
        self.0.export(batch).with_subscriber(Dispatch::none())
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        let _none = tracing::dispatcher::set_default(&Dispatch::none());
        self.0.shutdown_with_timeout(timeout)
    }

    fn force_flush(&self) -> OTelSdkResult {
        let _none = tracing::dispatcher::set_default(&Dispatch::none());
        self.0.force_flush()
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.0.set_resource(resource);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Counts the spans it is asked about.
    struct Counting(Arc<AtomicUsize>);

    impl tracing::Subscriber for Counting {
        fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
            true
        }
        fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
            self.0.fetch_add(1, Ordering::SeqCst);
            tracing::span::Id::from_u64(1)
        }
        fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
        fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
        fn event(&self, _: &tracing::Event<'_>) {}
        fn enter(&self, _: &tracing::span::Id) {}
        fn exit(&self, _: &tracing::span::Id) {}
    }

    fn block_on<F: std::future::Future>(future: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a runtime")
            .block_on(future)
    }

    /// Makes a span while exporting, as an instrumented transport would.
    #[derive(Debug)]
    struct Tracing;

    impl SpanExporter for Tracing {
        async fn export(&self, _: Vec<SpanData>) -> OTelSdkResult {
            let _span = tracing::info_span!("h2 send").entered();
            Ok(())
        }
    }

    #[test]
    fn a_marked_thread_and_an_export_trace_into_no_subscriber() {
        let spans = Arc::new(AtomicUsize::new(0));
        let dispatch = Dispatch::new(Counting(spans.clone()));
        tracing::dispatcher::with_default(&dispatch, || {
            block_on(Tracing.export(Vec::new())).unwrap();
            assert_eq!(spans.load(Ordering::SeqCst), 1, "unwrapped: traced");
            block_on(Untraced(Tracing).export(Vec::new())).unwrap();
            assert_eq!(spans.load(Ordering::SeqCst), 1, "wrapped: not traced");
            let _span = tracing::info_span!("the application's").entered();
            assert_eq!(spans.load(Ordering::SeqCst), 2, "the thread still traces");
        });
        let dispatch = Dispatch::new(Counting(spans.clone()));
        std::thread::spawn(move || {
            let _default = tracing::dispatcher::set_default(&dispatch);
            mark_exporter_thread();
            let _span = tracing::info_span!("on the exporter's runtime").entered();
        })
        .join()
        .unwrap();
        assert_eq!(
            spans.load(Ordering::SeqCst),
            2,
            "a marked thread traces nothing"
        );
    }
}
