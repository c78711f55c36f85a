//! [`Telemetry`]: the runtime, the exporter, and the guard that flushes it.

use crate::shutdown;
use crate::{InitError, LogStats, ShutdownError, TelemetryBuilder, logs};
use cmdx::{Ledger, Runtime};
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::trace::{SdkTracer, SdkTracerProvider};
use std::fmt;
use std::future::Future;
use std::io::Write;
use std::sync::PoisonError;
use std::time::Duration;
use tracing::instrument::WithSubscriber;
use tracing::level_filters::LevelFilter;
use tracing::{Dispatch, Subscriber};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::registry::LookupSpan;

/// The name of the OpenTelemetry tracer (instrumentation scope) of cmdx
/// spans.
pub const TRACER_NAME: &str = "cmdx";

/// What [`init`](crate::init) and [`TelemetryBuilder::build`] give back:
/// the [`cmdx::Runtime`] (ledger + trace bridge) and, when exporting, the
/// OpenTelemetry pipelines (spans, log records).
///
/// It is also the guard: dropping it writes the ledger lines still queued
/// (see [`cmdx::Ledger::flush`]), then exports the pending spans and log
/// records and shuts the exporters down, waiting at most the shutdown
/// timeout (5 s by default) for both together. Prefer
/// [`shutdown`](Self::shutdown)`.await` at the end of an async `main`: it
/// does the same on a separate thread without blocking the runtime, which
/// is what a `current_thread` runtime needs.
pub struct Telemetry {
    runtime: Runtime,
    /// The ledger the user chose, before the log export was teed to it:
    /// flushing it is not held up by the collector.
    ledger: Ledger,
    exporting: Option<Exporting>,
    /// Built once: every scope shares one registry.
    dispatch: Option<Dispatch>,
    extras: bool,
    activation: bool,
}

/// The span pipeline: provider (with its batch processor) and the tracer.
pub(crate) struct Traces {
    provider: SdkTracerProvider,
    tracer: SdkTracer,
    /// The typed result of the batch processor's shutdown.
    processor: shutdown::Outcome,
    describe: String,
}

impl Traces {
    pub(crate) fn new(
        provider: SdkTracerProvider,
        processor: shutdown::Outcome,
        describe: String,
    ) -> Self {
        let tracer = provider.tracer(TRACER_NAME);
        Self {
            provider,
            tracer,
            processor,
            describe,
        }
    }

    fn shut_down(&self, timeout: Duration) -> Result<(), ShutdownError> {
        let result = self.provider.shutdown_with_timeout(timeout);
        let processor = self
            .processor
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        shutdown::classify("span", result, processor, timeout)
    }
}

/// The pipelines (each optional), and for gRPC the runtime their
/// connections live on.
pub(crate) struct Exporting {
    traces: Option<Traces>,
    logs: Option<logs::Pipeline>,
    io: Option<tokio::runtime::Runtime>,
    timeout: Duration,
}

impl Exporting {
    pub(crate) fn new(
        traces: Option<Traces>,
        logs: Option<logs::Pipeline>,
        io: Option<tokio::runtime::Runtime>,
        timeout: Duration,
    ) -> Option<Self> {
        (traces.is_some() || logs.is_some()).then_some(Self {
            traces,
            logs,
            io,
            timeout,
        })
    }

    /// Blocks this thread: exports what is queued, then stops the
    /// exporters — spans and log records at the same time, so both fit in
    /// one timeout.
    fn shut_down(self) -> Result<(), ShutdownError> {
        let timeout = self.timeout;
        let (spans, logs) = std::thread::scope(|scope| {
            let logs = self.logs.as_ref().map(|logs| {
                std::thread::Builder::new()
                    .name("cmdx-telemetry-logs".into())
                    .spawn_scoped(scope, move || logs.shut_down(timeout))
                    .map_err(|_| logs)
            });
            let spans = self
                .traces
                .as_ref()
                .map_or(Ok(()), |traces| traces.shut_down(timeout));
            let logs = match logs {
                None => Ok(()),
                Some(Ok(thread)) => thread.join().unwrap_or_else(|_| {
                    Err(ShutdownError::failed(
                        "log",
                        "the log shutdown thread panicked".into(),
                    ))
                }),
                // No thread: one after the other.
                Some(Err(logs)) => logs.shut_down(timeout),
            };
            (spans, logs)
        });
        if let Some(io) = self.io {
            io.shutdown_background();
        }
        spans.and(logs)
    }

    /// Runs [`shut_down`](Self::shut_down) on a thread of its own and hands
    /// the result to `report`; false if no thread could be started.
    fn shut_down_elsewhere(
        self,
        report: impl FnOnce(Result<(), ShutdownError>) + Send + 'static,
    ) -> bool {
        std::thread::Builder::new()
            .name("cmdx-telemetry-shutdown".into())
            .spawn(move || report(self.shut_down()))
            .is_ok()
    }

    fn describe(&self) -> (Option<&str>, Option<&str>) {
        (
            self.traces.as_ref().map(|t| t.describe.as_str()),
            self.logs.as_ref().map(|l| l.describe.as_str()),
        )
    }
}

impl Telemetry {
    /// Starts configuring telemetry; see [`TelemetryBuilder`].
    pub fn builder() -> TelemetryBuilder {
        TelemetryBuilder::new()
    }

    pub(crate) fn new(
        runtime: Runtime,
        ledger: Ledger,
        exporting: Option<Exporting>,
        (extras, activation, app_logs): (bool, bool, LevelFilter),
    ) -> Self {
        let mut telemetry = Self {
            runtime,
            ledger,
            exporting,
            dispatch: None,
            extras,
            activation,
        };
        // No `Option` layer: a `None` one enables every span.
        let registry = tracing_subscriber::registry;
        let logs = || crate::app_logs::layer(app_logs);
        // Spans exported or not (logs may be exported without traces):
        // the application-log layer is installed either way.
        telemetry.dispatch = match (telemetry.traces().is_some(), app_logs != LevelFilter::OFF) {
            (true, true) => telemetry
                .layer()
                .map(|otel| Dispatch::new(registry().with(logs()).with(otel))),
            (true, false) => telemetry
                .layer()
                .map(|otel| Dispatch::new(registry().with(otel))),
            (false, true) => logs().map(|logs| Dispatch::new(registry().with(logs))),
            (false, false) => None,
        };
        telemetry
    }

    /// The runtime: the configured ledger (teed with the log export when
    /// log records are exported) and, when exporting spans, the
    /// [`OtelBridge`](crate::OtelBridge) that puts trace ids on ledger
    /// lines. Add resources with [`Runtime::with_resource`].
    pub fn runtime(&self) -> &Runtime {
        &self.runtime
    }

    /// Whether spans are exported (an endpoint or exporter was configured
    /// and `OTEL_SDK_DISABLED` is not `true`).
    pub fn is_exporting(&self) -> bool {
        self.traces().is_some()
    }

    /// Whether ledger lines and application log lines are exported as
    /// OpenTelemetry log records (an endpoint or log exporter was
    /// configured, and neither `OTEL_LOGS_EXPORTER=none` nor
    /// `OTEL_SDK_DISABLED=true` is set).
    ///
    /// ```
    /// let telemetry = cmdx_telemetry::Telemetry::builder().read_env(false).build()?;
    /// assert!(!telemetry.is_exporting_logs());
    /// # Ok::<(), cmdx_telemetry::InitError>(())
    /// ```
    pub fn is_exporting_logs(&self) -> bool {
        self.exporting.as_ref().is_some_and(|e| e.logs.is_some())
    }

    /// The log export's counters (exported, failed, dropped, queued);
    /// `None` when log records are not exported.
    ///
    /// ```
    /// let telemetry = cmdx_telemetry::Telemetry::builder().read_env(false).build()?;
    /// assert_eq!(telemetry.log_stats(), None);
    /// # Ok::<(), cmdx_telemetry::InitError>(())
    /// ```
    pub fn log_stats(&self) -> Option<LogStats> {
        self.exporting
            .as_ref()?
            .logs
            .as_ref()
            .map(logs::Pipeline::stats)
    }

    /// The [`OtelLogSink`](crate::OtelLogSink) feeding the log export (a
    /// clone; the runtime's ledger already has one), to compose a ledger by
    /// hand; `None` when log records are not exported.
    ///
    /// ```
    /// let telemetry = cmdx_telemetry::Telemetry::builder().read_env(false).build()?;
    /// assert!(telemetry.log_sink().is_none());
    /// # Ok::<(), cmdx_telemetry::InitError>(())
    /// ```
    pub fn log_sink(&self) -> Option<crate::OtelLogSink> {
        self.exporting
            .as_ref()?
            .logs
            .as_ref()
            .map(logs::Pipeline::sink)
    }

    fn traces(&self) -> Option<&Traces> {
        self.exporting.as_ref()?.traces.as_ref()
    }

    /// The tracer provider, for other OpenTelemetry instrumentation.
    pub fn tracer_provider(&self) -> Option<&SdkTracerProvider> {
        self.traces().map(|t| &t.provider)
    }

    /// The `tracing-opentelemetry` layer exporting spans, to add to your own
    /// subscriber (`registry().with(fmt::layer()).with(layer)`); `None`
    /// when not exporting.
    ///
    /// The exporter's own work (its transport's `h2`, `tonic`, `hyper`…
    /// spans) traces into no subscriber, so an export never creates spans
    /// to export, and nothing is checked per span on the application's
    /// threads. Spans of those crates created by the application (a tonic
    /// server of its own, say) are exported like any other.
    pub fn layer<S>(&self) -> Option<impl Layer<S>>
    where
        S: Subscriber + for<'span> LookupSpan<'span>,
    {
        let traces = self.traces()?;
        Some(
            tracing_opentelemetry::layer()
                .with_tracer(traces.tracer.clone())
                .with_location(self.extras)
                .with_threads(self.extras)
                .with_tracked_inactivity(self.extras)
                .with_target(self.extras)
                .with_context_activation(self.activation),
        )
    }

    /// The subscriber that [`init`](crate::init) installs and
    /// [`scope`](Self::scope) uses: a registry with the application-log
    /// layer ([`cmdx::logs`], events only, see
    /// [`TelemetryBuilder::app_logs`](crate::TelemetryBuilder::app_logs))
    /// and, when exporting, [`layer`](Self::layer); `None` with neither.
    /// Clones share one registry.
    pub fn dispatch(&self) -> Option<Dispatch> {
        self.dispatch.clone()
    }

    /// Runs `fut` with this telemetry's runtime and subscriber current
    /// (nothing global): for tests, or several configurations in one
    /// process.
    ///
    /// Prefer [`init`](crate::init) in programs. A scoped subscriber only
    /// covers the future's own polls: spans created on other threads use
    /// the global subscriber, and a span that another thread closes (sqlx's
    /// SQLite worker keeps the span current at each query) releases its
    /// parent through that thread's default subscriber — so with a scoped
    /// one the parent span is never closed nor exported.
    pub fn scope<F: Future>(&self, fut: F) -> impl Future<Output = F::Output> + use<F> {
        let scoped = self.runtime.scope(fut);
        let dispatch = self.dispatch.clone();
        async move {
            match dispatch {
                Some(dispatch) => scoped.with_subscriber(dispatch).await,
                None => scoped.await,
            }
        }
    }

    /// Writes the ledger lines queued so far ([`cmdx::Ledger::flush`]) and
    /// exports the spans and log records that have ended so far, and keeps
    /// going afterwards. Like [`shutdown`](Self::shutdown), the blocking
    /// part runs on a thread of its own. The SDK waits at most 5 s per
    /// signal; the ledger, at most its flush timeout without progress.
    pub async fn flush(&self) -> Result<(), ShutdownError> {
        let ledger = self.ledger.clone();
        let provider = self.traces().map(|t| t.provider.clone());
        let logs = self
            .exporting
            .as_ref()
            .and_then(|e| e.logs.as_ref())
            .map(logs::Pipeline::flusher);
        let (sender, receiver) = tokio::sync::oneshot::channel();
        let spawned = std::thread::Builder::new()
            .name("cmdx-telemetry-flush".into())
            .spawn(move || {
                let ledger = ledger
                    .flush()
                    .map_err(|error| ShutdownError::ledger(&error));
                let spans = provider.map_or(Ok(()), |provider| {
                    provider
                        .force_flush()
                        .map_err(|error| ShutdownError::failed("span", error.to_string()))
                });
                let logs = logs.map_or(Ok(()), |flush| flush());
                let _ = sender.send(ledger.and(spans).and(logs));
            });
        if spawned.is_err() {
            return Err(ShutdownError::failed(
                "span",
                "no thread could be started to flush the exporter".into(),
            ));
        }
        receiver.await.unwrap_or_else(|_| {
            Err(ShutdownError::failed(
                "span",
                "the flush thread stopped".into(),
            ))
        })
    }

    /// Writes the ledger lines still queued, then exports the pending spans
    /// and log records and stops the exporters, waiting at most the
    /// shutdown timeout (spans and log records are shut down at the same
    /// time, within that one timeout). The blocking part runs on a thread
    /// of its own, so this is safe on a `current_thread` runtime. A ledger
    /// that could not be flushed (its reader made no progress for the flush
    /// timeout) is reported first, then spans, then log records.
    pub async fn shutdown(mut self) -> Result<(), ShutdownError> {
        let ledger = self.ledger.clone();
        let exporting = self.exporting.take();
        let (sender, receiver) = tokio::sync::oneshot::channel();
        let spawned = std::thread::Builder::new()
            .name("cmdx-telemetry-shutdown".into())
            .spawn(move || {
                let ledger = ledger
                    .flush()
                    .map_err(|error| ShutdownError::ledger(&error));
                let exported = exporting.map_or(Ok(()), Exporting::shut_down);
                let _ = sender.send(ledger.and(exported));
            });
        if spawned.is_err() {
            return Err(ShutdownError::failed(
                "span",
                "no thread could be started to shut the exporter down".into(),
            ));
        }
        receiver.await.unwrap_or_else(|_| {
            Err(ShutdownError::failed(
                "span",
                "the shutdown thread stopped".into(),
            ))
        })
    }

    pub(crate) fn install(&self) -> Result<(), InitError> {
        if let Some(dispatch) = self.dispatch.clone() {
            tracing::dispatcher::set_global_default(dispatch).map_err(|_| {
                InitError::already_installed(
                    "a global tracing subscriber is already set: use Telemetry::builder().build() \
                     and add telemetry.layer() to your subscriber instead"
                        .into(),
                )
            })?;
        }
        if self.exporting.is_some() {
            opentelemetry::global::set_text_map_propagator(
                opentelemetry_sdk::propagation::TraceContextPropagator::new(),
            );
        }
        self.runtime.clone().set_global().map_err(|_| {
            InitError::already_installed(
                "a global cmdx::Runtime is already set: call cmdx_telemetry::init() once, \
                 before anything calls Runtime::set_global"
                    .into(),
            )
        })
    }
}

impl Drop for Telemetry {
    fn drop(&mut self) {
        // The ledger's writer thread needs no tokio runtime: waiting for it
        // here is safe on any runtime.
        if let Err(error) = self.ledger.flush() {
            let _ = writeln!(std::io::stderr(), "cmdx-telemetry: {error}");
        }
        let Some(exporting) = self.exporting.take() else {
            return;
        };
        let wait = exporting.timeout + Duration::from_millis(500);
        let (sender, receiver) = std::sync::mpsc::channel();
        // The export runs on the shutdown thread (and, for gRPC, on the
        // exporter's own runtime), so this wait never needs the
        // application's runtime, even a `current_thread` one.
        if exporting.shut_down_elsewhere(move |result| {
            let _ = sender.send(result);
        }) {
            let _ = receiver.recv_timeout(wait);
        }
    }
}

impl fmt::Debug for Telemetry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Telemetry")
            .field("runtime", &self.runtime)
            .field(
                "exporting",
                &self.exporting.as_ref().map(Exporting::describe),
            )
            .field("otel_extras", &self.extras)
            .field("context_activation", &self.activation)
            .finish()
    }
}
