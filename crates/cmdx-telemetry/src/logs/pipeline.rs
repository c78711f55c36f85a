//! The log pipeline: the SDK's batch processor (its own thread and queue)
//! behind a gate that counts what is dropped, and an exporter wrapper that
//! counts what is exported or failed, contains panics, and traces into no
//! subscriber.
//!
//! `emit` runs on the thread that finishes an execution (a tokio worker):
//! it converts the record and hands it to the processor's bounded queue
//! with `try_send`, never waiting. Every record handed over ends up in
//! exactly one counter of [`LogStats`]: exported, failed, dropped, or still
//! queued.

use crate::shutdown::{self, Outcome};
use futures::FutureExt;
use opentelemetry::InstrumentationScope;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use opentelemetry_sdk::logs::{
    BatchLogProcessor, LogBatch, LogExporter, LogProcessor, SdkLogRecord,
};
use std::io::Write;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;
use tracing::Dispatch;
use tracing::instrument::WithSubscriber;

/// Counters of the OpenTelemetry log export, since start-up: from
/// [`Telemetry::log_stats`](crate::Telemetry::log_stats).
///
/// Every ledger line and log line handed to the exporter is in exactly one
/// of them: `exported + failed + dropped + queued` is the number of lines
/// written.
///
/// ```
/// let stats = cmdx_telemetry::LogStats::default();
/// assert_eq!(stats.lost(), 0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct LogStats {
    /// Records the collector accepted.
    pub exported: u64,
    /// Records in batches whose export failed (the collector refused them,
    /// did not answer in time, or the exporter panicked).
    pub failed: u64,
    /// Records never queued: the queue was full (the collector is slower
    /// than the executions, or down), or the pipeline was shut down.
    pub dropped: u64,
    /// Records waiting in the queue or being exported right now.
    pub queued: u64,
}

impl LogStats {
    /// Records that will never reach the collector: `failed + dropped`.
    pub fn lost(&self) -> u64 {
        self.failed + self.dropped
    }
}

/// Shared by the gate (on the application's threads) and the exporter
/// wrapper (on the batch thread).
#[derive(Debug)]
pub(crate) struct Counters {
    queued: AtomicUsize,
    capacity: usize,
    exported: AtomicU64,
    failed: AtomicU64,
    dropped: AtomicU64,
    closed: AtomicBool,
    noted_drop: AtomicBool,
    noted_failure: AtomicBool,
    /// Where records go, for the notes on stderr.
    describe: String,
}

impl Counters {
    pub(crate) fn new(capacity: usize, describe: String) -> Arc<Self> {
        Arc::new(Self {
            queued: AtomicUsize::new(0),
            capacity,
            exported: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
            closed: AtomicBool::new(false),
            noted_drop: AtomicBool::new(false),
            noted_failure: AtomicBool::new(false),
            describe,
        })
    }

    pub(crate) fn stats(&self) -> LogStats {
        LogStats {
            exported: self.exported.load(Ordering::Acquire),
            failed: self.failed.load(Ordering::Acquire),
            dropped: self.dropped.load(Ordering::Acquire),
            queued: self.queued.load(Ordering::Acquire) as u64,
        }
    }

    /// Takes a place in the queue; false (and counted as dropped) when
    /// the queue is full or closed.
    fn admit(&self) -> bool {
        if self.closed.load(Ordering::Acquire) {
            self.drop_one(|| {
                format!(
                    "a line was written after the OTel log export to {} was shut down: \
                     it is not exported (nor are later ones); counted in Telemetry::log_stats()",
                    self.describe
                )
            });
            return false;
        }
        if self.queued.fetch_add(1, Ordering::AcqRel) >= self.capacity {
            self.queued.fetch_sub(1, Ordering::AcqRel);
            self.drop_one(|| {
                format!(
                    "the OTel log queue is full ({} records): log records for {} are being \
                     dropped (is the collector running? a bigger queue: OTEL_BLRP_MAX_QUEUE_SIZE); \
                     they are counted in Telemetry::log_stats()",
                    self.capacity, self.describe
                )
            });
            return false;
        }
        true
    }

    /// Counts one dropped record; the first drop is said on stderr.
    fn drop_one(&self, first: impl FnOnce() -> String) {
        self.dropped.fetch_add(1, Ordering::AcqRel);
        if !self.noted_drop.swap(true, Ordering::AcqRel) {
            note(&first());
        }
    }

    /// A batch of `count` records finished exporting with `result`.
    fn finished(&self, count: usize, result: &OTelSdkResult) {
        match result {
            Ok(()) => {
                self.exported.fetch_add(count as u64, Ordering::AcqRel);
            }
            Err(error) => {
                self.failed.fetch_add(count as u64, Ordering::AcqRel);
                if !self.noted_failure.swap(true, Ordering::AcqRel) {
                    note(&format!(
                        "OTel log export to {} failed ({error}); {count} records lost, \
                         further failures are counted in Telemetry::log_stats()",
                        self.describe
                    ));
                }
            }
        }
        self.queued.fetch_sub(count, Ordering::AcqRel);
    }

    /// The last word at shutdown, when anything was lost.
    pub(crate) fn report(&self) {
        let stats = self.stats();
        if stats.lost() > 0 || stats.queued > 0 {
            note(&format!(
                "OTel logs to {}: {} exported, {} failed, {} dropped, {} not sent at shutdown",
                self.describe, stats.exported, stats.failed, stats.dropped, stats.queued
            ));
        }
    }
}

/// Writes one note on stderr; never panics, also when stderr is closed.
fn note(text: &str) {
    let _ = writeln!(std::io::stderr().lock(), "cmdx-telemetry: {text}");
}

/// The batch processor behind the gate: at most `capacity` records are
/// queued or being exported; more are dropped and counted here (the SDK
/// drops silently).
#[derive(Debug)]
pub(crate) struct Gated {
    inner: BatchLogProcessor,
    counters: Arc<Counters>,
    outcome: Outcome,
}

impl Gated {
    pub(crate) fn new(inner: BatchLogProcessor, counters: Arc<Counters>) -> (Self, Outcome) {
        let outcome = Outcome::default();
        let gated = Self {
            inner,
            counters,
            outcome: outcome.clone(),
        };
        (gated, outcome)
    }
}

impl LogProcessor for Gated {
    fn emit(&self, record: &mut SdkLogRecord, scope: &InstrumentationScope) {
        if self.counters.admit() {
            self.inner.emit(record, scope);
        }
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.inner.force_flush()
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.counters.closed.store(true, Ordering::Release);
        let result = self.inner.shutdown_with_timeout(timeout);
        shutdown::keep(&self.outcome, &result);
        result
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.inner.set_resource(resource);
    }
}

/// An exporter that counts, contains panics, and traces into no
/// subscriber (so an export never creates spans or log lines to export).
#[derive(Debug)]
pub(crate) struct Counted<E> {
    inner: E,
    counters: Arc<Counters>,
}

impl<E> Counted<E> {
    pub(crate) fn new(inner: E, counters: Arc<Counters>) -> Self {
        Self { inner, counters }
    }
}

impl<E: LogExporter> LogExporter for Counted<E> {
    fn export(
        &self,
        batch: LogBatch<'_>,
    ) -> impl std::future::Future<Output = OTelSdkResult> + Send {
        async move {
            let count = batch.iter().count();
            let result =
                match std::panic::catch_unwind(AssertUnwindSafe(|| self.inner.export(batch))) {
                    Ok(export) => AssertUnwindSafe(export)
                        .catch_unwind()
                        .await
                        .unwrap_or_else(|panic| Err(panicked(&*panic))),
                    Err(panic) => Err(panicked(&*panic)),
                };
            self.counters.finished(count, &result);
            result
        }
        .with_subscriber(Dispatch::none())
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        let _none = tracing::dispatcher::set_default(&Dispatch::none());
        std::panic::catch_unwind(AssertUnwindSafe(|| {
            self.inner.shutdown_with_timeout(timeout)
        }))
        .unwrap_or_else(|panic| Err(panicked(&*panic)))
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.inner.set_resource(resource);
    }
}

fn panicked(payload: &(dyn std::any::Any + Send)) -> OTelSdkError {
    let message = payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a non-string payload".to_owned());
    OTelSdkError::InternalFailure(format!("the log exporter panicked: {message}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry::logs::{LogRecord as _, Logger as _, LoggerProvider as _};
    use opentelemetry_sdk::logs::{BatchConfigBuilder, SdkLoggerProvider};
    use std::sync::Mutex;

    /// Holds every export until released; counts records it saw.
    #[derive(Debug, Default)]
    struct Held {
        open: Arc<Mutex<bool>>,
        seen: Arc<AtomicUsize>,
    }

    impl LogExporter for Held {
        async fn export(&self, batch: LogBatch<'_>) -> OTelSdkResult {
            while !*self.open.lock().unwrap() {
                std::thread::sleep(Duration::from_millis(5));
            }
            self.seen.fetch_add(batch.iter().count(), Ordering::SeqCst);
            Ok(())
        }
    }

    #[test]
    fn a_full_queue_drops_and_counts_and_every_record_is_accounted_for() {
        let held = Held::default();
        let (open, seen) = (held.open.clone(), held.seen.clone());
        let counters = Counters::new(4, "a test exporter".into());
        let processor = BatchLogProcessor::builder(Counted::new(held, counters.clone()))
            .with_batch_config(
                BatchConfigBuilder::default()
                    .with_max_queue_size(4)
                    .with_max_export_batch_size(2)
                    .build(),
            )
            .build();
        let (gated, outcome) = Gated::new(processor, counters.clone());
        let provider = SdkLoggerProvider::builder()
            .with_log_processor(gated)
            .build();
        let logger = provider.logger("test");
        for i in 0..10 {
            let mut record = logger.create_log_record();
            record.set_body(format!("record {i}").into());
            logger.emit(record);
        }
        let stats = counters.stats();
        assert_eq!(stats.queued, 4, "{stats:?}");
        assert_eq!(stats.dropped, 6, "{stats:?}");
        *open.lock().unwrap() = true;
        provider
            .shutdown_with_timeout(Duration::from_secs(30))
            .expect("shut down");
        assert!(matches!(*outcome.lock().unwrap(), Some(Ok(()))));
        let stats = counters.stats();
        assert_eq!(
            stats,
            LogStats {
                exported: 4,
                failed: 0,
                dropped: 6,
                queued: 0
            }
        );
        assert_eq!(seen.load(Ordering::SeqCst), 4);
        let mut late = logger.create_log_record();
        late.set_body("after shutdown".into());
        logger.emit(late);
        assert_eq!(counters.stats().dropped, 7, "closed: dropped, counted");
    }

    #[derive(Debug)]
    struct Panicking;

    impl LogExporter for Panicking {
        fn export(
            &self,
            _: LogBatch<'_>,
        ) -> impl std::future::Future<Output = OTelSdkResult> + Send {
            panic!("exporter bug");
            #[expect(unreachable_code, reason = "the type of the future")]
            async {
                Ok(())
            }
        }
    }

    #[test]
    fn a_panicking_export_is_a_counted_failure_and_the_thread_survives() {
        let counters = Counters::new(16, "a panicking exporter".into());
        let processor = BatchLogProcessor::builder(Counted::new(Panicking, counters.clone()))
            .with_batch_config(BatchConfigBuilder::default().build())
            .build();
        let (gated, _) = Gated::new(processor, counters.clone());
        let provider = SdkLoggerProvider::builder()
            .with_log_processor(gated)
            .build();
        let logger = provider.logger("test");
        for _ in 0..2 {
            logger.emit(logger.create_log_record());
            // The batch thread survives the first panic: a second flush
            // exports (and fails) again instead of timing out.
            assert!(provider.force_flush().is_err());
        }
        provider
            .shutdown_with_timeout(Duration::from_secs(30))
            .expect("the worker thread is alive to shut down");
        assert_eq!(
            counters.stats(),
            LogStats {
                exported: 0,
                failed: 2,
                dropped: 0,
                queued: 0
            }
        );
    }
}
