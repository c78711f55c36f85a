//! OpenTelemetry logs: every ledger line, and every application log line,
//! exported as an OpenTelemetry log record with the trace context of its
//! execution's span.
//!
//! - [`OtelLogSink`] is the [`LedgerSink`]: it converts on the writing
//!   thread and hands the record to the SDK's batch processor (its own
//!   thread and bounded queue), never waiting.
//! - `cmdx::Ledger::tee` puts it next to the ledger the user chose: the
//!   runtime writes to the tee, which writes to both, each half's panic
//!   contained on its own.
//! - [`Pipeline`] is what [`Telemetry`](crate::Telemetry) keeps to flush,
//!   shut down and count.

mod convert;
mod pipeline;

pub use pipeline::LogStats;
pub(crate) use pipeline::{Counted, Counters, Gated};

use crate::ShutdownError;
use crate::shutdown::{self, Outcome};
use cmdx::ledger::FlushError;
use cmdx::{LedgerSink, Record};
use opentelemetry::logs::{Logger as _, LoggerProvider as _};
use opentelemetry_sdk::logs::{SdkLogRecord, SdkLogger, SdkLoggerProvider};
use std::sync::{Arc, PoisonError};
use std::time::Duration;

/// The name of the OpenTelemetry logger (instrumentation scope) of ledger
/// lines. Application log lines use their `target` instead.
pub const LOGGER_NAME: &str = "cmdx";

/// The log provider with its counters, kept by [`Telemetry`](crate::Telemetry).
#[derive(Debug)]
pub(crate) struct Pipeline {
    provider: SdkLoggerProvider,
    counters: Arc<Counters>,
    outcome: Outcome,
    pub(crate) describe: String,
}

impl Pipeline {
    pub(crate) fn new(
        provider: SdkLoggerProvider,
        counters: Arc<Counters>,
        outcome: Outcome,
        describe: String,
    ) -> Self {
        Self {
            provider,
            counters,
            outcome,
            describe,
        }
    }

    /// A sink that feeds this pipeline.
    pub(crate) fn sink(&self) -> OtelLogSink {
        OtelLogSink {
            logger: self.provider.logger(LOGGER_NAME),
            provider: self.provider.clone(),
        }
    }

    pub(crate) fn stats(&self) -> LogStats {
        self.counters.stats()
    }

    /// Exports what is queued when called; blocks the calling thread (the
    /// SDK waits at most 5 s).
    pub(crate) fn flusher(&self) -> impl FnOnce() -> Result<(), ShutdownError> + Send + 'static {
        let provider = self.provider.clone();
        move || {
            provider
                .force_flush()
                .map_err(|error| ShutdownError::failed("log", error.to_string()))
        }
    }

    /// Exports what is queued and stops the exporter, within `timeout`;
    /// blocks this thread. Losses are reported on stderr.
    pub(crate) fn shut_down(&self, timeout: Duration) -> Result<(), ShutdownError> {
        let result = self.provider.shutdown_with_timeout(timeout);
        let processor = self
            .outcome
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        self.counters.report();
        shutdown::classify("log", result, processor, timeout)
    }
}

/// A [`LedgerSink`] that exports every line as an OpenTelemetry log record;
/// from [`Telemetry::log_sink`](crate::Telemetry::log_sink).
///
/// Ledger lines are converted from their [`Record`] (inputs already
/// redacted), application log lines from their JSON. Conversion runs on the
/// writing thread; the record then waits in the batch processor's bounded
/// queue for its thread. When the queue is full the record is dropped and
/// counted ([`LogStats::dropped`]), so an execution never waits for the
/// collector.
///
/// [`Telemetry`](crate::Telemetry) already tees it with the ledger it was
/// given; take it to build a runtime by hand, as with
/// [`OtelBridge`](crate::OtelBridge):
///
/// ```
/// # use opentelemetry_sdk::{error::OTelSdkResult, logs::{LogBatch, LogExporter}};
/// # #[derive(Debug)] struct Discard;
/// # impl LogExporter for Discard {
/// #     async fn export(&self, _: LogBatch<'_>) -> OTelSdkResult { Ok(()) }
/// # }
/// use cmdx::{Ledger, Runtime};
///
/// let telemetry = cmdx_telemetry::Telemetry::builder()
///     .read_env(false)
///     .log_exporter(Discard)
///     .build()?;
/// let sink = telemetry.log_sink().expect("exporting logs");
/// let runtime = Runtime::builder()
///     .ledger(Ledger::tee(Ledger::stdout(), Ledger::custom(sink)))
///     .build();
/// # drop(runtime);
/// # Ok::<(), cmdx_telemetry::InitError>(())
/// ```
#[derive(Debug, Clone)]
pub struct OtelLogSink {
    logger: SdkLogger,
    /// Kept for [`LedgerSink::flush`].
    provider: SdkLoggerProvider,
}

impl OtelLogSink {
    fn emit(&self, fill: impl FnOnce(&mut SdkLogRecord) -> bool) {
        let mut record = self.logger.create_log_record();
        if fill(&mut record) {
            self.logger.emit(record);
        } else {
            // No trace ids on the line: the SDK would take the current
            // context's span, which is not this line's.
            let _empty = opentelemetry::Context::new().attach();
            self.logger.emit(record);
        }
    }
}

impl LedgerSink for OtelLogSink {
    fn write(&self, _: &[u8], record: &Record) {
        self.emit(|out| convert::execution(record, out));
    }

    fn write_log(&self, line: &[u8]) {
        self.emit(|out| convert::application(line, out));
    }

    /// Exports what is queued (waiting at most 5 s, the SDK's flush
    /// timeout). A failed export is counted in [`LogStats`], not returned.
    fn flush(&self) -> Result<(), FlushError> {
        let _ = self.provider.force_flush();
        Ok(())
    }
}
