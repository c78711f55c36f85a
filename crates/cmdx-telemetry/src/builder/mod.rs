//! [`TelemetryBuilder`]: start-up settings, and building the exporter.

mod otlp;

use crate::config::{self, Overrides, Protocol};
use crate::logs::{self, Counted, Counters, Gated};
use crate::own_spans::Untraced;
use crate::shutdown::Recorded;
use crate::telemetry::{Exporting, Telemetry, Traces};
use crate::{InitError, OtelBridge};
use cmdx::{Ledger, Runtime, RuntimeBuilder};
use opentelemetry_sdk::logs::{BatchLogProcessor, LogExporter, SdkLoggerProvider};
use opentelemetry_sdk::trace::{
    BatchConfig, BatchConfigBuilder, BatchSpanProcessor, SdkTracerProvider, SpanExporter,
};
use otlp::{grpc_runtime, otlp_log_processor, otlp_processor, resource};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;
use tracing::level_filters::LevelFilter;

type CustomExporter = Box<dyn FnOnce(BatchConfig) -> BatchSpanProcessor + Send>;
type CustomLogExporter = Box<
    dyn FnOnce(opentelemetry_sdk::logs::BatchConfig, Arc<Counters>) -> BatchLogProcessor + Send,
>;
type Configure = Box<dyn FnOnce(RuntimeBuilder) -> RuntimeBuilder + Send>;

/// The default time [`Telemetry::shutdown`] (and dropping the guard) waits
/// for pending spans to be exported.
pub const DEFAULT_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(5);

/// Settings for [`Telemetry`]; start with [`Telemetry::builder`].
///
/// Everything set here wins over the matching `OTEL_*` variable, except
/// `OTEL_SDK_DISABLED=true` (which always turns export off) and
/// `OTEL_SERVICE_NAME` (which renames the service without a rebuild).
///
/// ```no_run
/// # fn main() -> Result<(), cmdx_telemetry::InitError> {
/// use cmdx_telemetry::{Protocol, Telemetry};
///
/// let telemetry = Telemetry::builder()
///     .service_name("inventory")
///     .endpoint("http://localhost:4317")
///     .protocol(Protocol::Grpc)
///     .init()?;
/// # drop(telemetry);
/// # Ok(()) }
/// ```
#[must_use]
pub struct TelemetryBuilder {
    ledger: Option<Ledger>,
    configure: Option<Configure>,
    service_name: Option<String>,
    overrides: Overrides,
    read_env: bool,
    exporter: Option<CustomExporter>,
    batch: Option<BatchConfig>,
    log_exporter: Option<CustomLogExporter>,
    log_queue_size: Option<usize>,
    log_export_interval: Option<Duration>,
    shutdown_timeout: Duration,
    extras: bool,
    activation: bool,
    app_logs: LevelFilter,
}

impl TelemetryBuilder {
    pub(crate) fn new() -> Self {
        Self {
            ledger: None,
            configure: None,
            service_name: None,
            overrides: Overrides::default(),
            read_env: true,
            exporter: None,
            batch: None,
            log_exporter: None,
            log_queue_size: None,
            log_export_interval: None,
            shutdown_timeout: DEFAULT_SHUTDOWN_TIMEOUT,
            extras: false,
            activation: false,
            app_logs: crate::app_logs::DEFAULT_LEVEL,
        }
    }

    /// Where the runtime writes ledger lines (default: stdout).
    pub fn ledger(mut self, ledger: impl Into<Ledger>) -> Self {
        self.ledger = Some(ledger.into());
        self
    }

    /// Adds to the [`cmdx::Runtime`] being built (resources, for example).
    /// The ledger and the trace bridge are set by this builder.
    pub fn runtime(
        mut self,
        configure: impl FnOnce(RuntimeBuilder) -> RuntimeBuilder + Send + 'static,
    ) -> Self {
        self.configure = Some(Box::new(configure));
        self
    }

    /// The service name spans are reported under, unless `OTEL_SERVICE_NAME`
    /// is set (default: the executable's name).
    pub fn service_name(mut self, name: impl Into<String>) -> Self {
        self.service_name = Some(name.into());
        self
    }

    /// Exports to this URL instead of the `OTEL_EXPORTER_OTLP_*ENDPOINT`
    /// variables. Used as given: for `http/protobuf` include `/v1/traces`.
    pub fn endpoint(mut self, url: impl Into<String>) -> Self {
        self.overrides.endpoint = Some(url.into());
        self
    }

    /// The OTLP transport, instead of `OTEL_EXPORTER_OTLP_PROTOCOL` (and
    /// its `…_TRACES_…`/`…_LOGS_…` forms), for spans and log records.
    pub fn protocol(mut self, protocol: Protocol) -> Self {
        self.overrides.protocol = Some(protocol);
        self
    }

    /// Whether ledger lines and application log lines are exported as
    /// OpenTelemetry log records, instead of `OTEL_LOGS_EXPORTER` (`otlp`,
    /// the default, or `none`). Exporting needs an endpoint (the
    /// variables, or [`logs_endpoint`](Self::logs_endpoint)) or a
    /// [`log_exporter`](Self::log_exporter).
    ///
    /// ```no_run
    /// # fn main() -> Result<(), cmdx_telemetry::InitError> {
    /// // Spans to the collector, but no log records:
    /// let telemetry = cmdx_telemetry::Telemetry::builder().logs(false).init()?;
    /// # drop(telemetry); Ok(()) }
    /// ```
    pub fn logs(mut self, export: bool) -> Self {
        self.overrides.logs = Some(export);
        self
    }

    /// Exports log records to this URL instead of the
    /// `OTEL_EXPORTER_OTLP_LOGS_ENDPOINT` / `OTEL_EXPORTER_OTLP_ENDPOINT`
    /// variables. Used as given: for `http/protobuf` include `/v1/logs`.
    /// ([`endpoint`](Self::endpoint) is the traces URL and is not reused
    /// for logs.)
    ///
    /// ```no_run
    /// # fn main() -> Result<(), cmdx_telemetry::InitError> {
    /// let telemetry = cmdx_telemetry::Telemetry::builder()
    ///     .endpoint("http://localhost:4318/v1/traces")
    ///     .logs_endpoint("http://localhost:4318/v1/logs")
    ///     .init()?;
    /// # drop(telemetry); Ok(()) }
    /// ```
    pub fn logs_endpoint(mut self, url: impl Into<String>) -> Self {
        self.overrides.logs_endpoint = Some(url.into());
        self
    }

    /// Exports log records through `exporter` (batched, counted) instead of
    /// OTLP, whatever the variables say: for tests, or another backend. Like the OTLP one, it runs on the
    /// batch thread, traces into no subscriber, and a panic in it is a
    /// failed export ([`LogStats::failed`](crate::LogStats::failed)).
    ///
    /// ```
    /// use opentelemetry_sdk::error::OTelSdkResult;
    /// use opentelemetry_sdk::logs::{LogBatch, LogExporter};
    ///
    /// #[derive(Debug)]
    /// struct Discard;
    /// impl LogExporter for Discard {
    ///     async fn export(&self, _: LogBatch<'_>) -> OTelSdkResult { Ok(()) }
    /// }
    ///
    /// let telemetry = cmdx_telemetry::Telemetry::builder()
    ///     .read_env(false)
    ///     .ledger(cmdx::Ledger::off())
    ///     .log_exporter(Discard)
    ///     .build()?;
    /// assert!(telemetry.is_exporting_logs() && !telemetry.is_exporting());
    /// # Ok::<(), cmdx_telemetry::InitError>(())
    /// ```
    pub fn log_exporter<E: LogExporter + 'static>(mut self, exporter: E) -> Self {
        self.log_exporter = Some(Box::new(move |config, counters| {
            BatchLogProcessor::builder(Counted::new(exporter, counters))
                .with_batch_config(config)
                .build()
        }));
        self
    }

    /// How many log records may wait for export (default:
    /// `OTEL_BLRP_MAX_QUEUE_SIZE`, else 2048). When the queue is full, new
    /// records are dropped and counted
    /// ([`LogStats::dropped`](crate::LogStats::dropped)): memory stays
    /// bounded and executions never wait while a collector is down.
    pub fn log_queue_size(mut self, records: usize) -> Self {
        self.log_queue_size = Some(records);
        self
    }

    /// How often queued log records are exported (default:
    /// `OTEL_BLRP_SCHEDULE_DELAY`, else 1 s); a full batch (512) is
    /// exported at once.
    pub fn log_export_interval(mut self, every: Duration) -> Self {
        self.log_export_interval = Some(every);
        self
    }

    /// Whether to read the `OTEL_*` variables at all (default: true). Turn
    /// it off in tests so the developer's shell cannot change them.
    pub fn read_env(mut self, read: bool) -> Self {
        self.read_env = read;
        self
    }

    /// Exports through `exporter` (batched) instead of OTLP, whatever the
    /// variables say: for tests, benchmarks, or another backend.
    pub fn exporter<E: SpanExporter + 'static>(mut self, exporter: E) -> Self {
        self.exporter = Some(Box::new(move |config| {
            BatchSpanProcessor::builder(Untraced(exporter))
                .with_batch_config(config)
                .build()
        }));
        self
    }

    /// The batch processor's settings (default: the SDK's, which read
    /// `OTEL_BSP_*`: queue of 2048 spans, export every 5 s). When the
    /// queue is full, new spans are dropped — memory stays bounded while a
    /// collector is down.
    pub fn batch_config(mut self, config: BatchConfig) -> Self {
        self.batch = Some(config);
        self
    }

    /// How long shutdown waits for pending spans and log records (default
    /// 5 s, for both together: they are shut down at the same time).
    pub fn shutdown_timeout(mut self, timeout: Duration) -> Self {
        self.shutdown_timeout = timeout;
        self
    }

    /// Turns on the `tracing-opentelemetry` layer's optional attributes:
    /// source location (`code.*`), thread name and id, busy/idle time and
    /// the `target`. Off by default: they cost time on every span.
    pub fn otel_extras(mut self, on: bool) -> Self {
        self.extras = on;
        self
    }

    /// Makes entering a span also make its OpenTelemetry context current
    /// (`opentelemetry::Context::current()`), for other OpenTelemetry
    /// instrumentation that reads it. Off by default: it costs about 10% of
    /// the per-execution tracing time, and cmdx spans find their parents
    /// through `tracing`. With it on, [`Incoming::run`] also parents the
    /// remote task correctly inside a request span of yours.
    ///
    /// [`Incoming::run`]: crate::propagation::Incoming::run
    pub fn context_activation(mut self, on: bool) -> Self {
        self.activation = on;
        self
    }

    /// The most verbose level of the application logs: `tracing` events
    /// emitted inside executions, written as JSON log lines to the ledger
    /// (see [`cmdx::logs`] and `docs/application-logs.md`). Default
    /// [`LevelFilter::INFO`]; [`LevelFilter::OFF`] writes none (and, when
    /// not exporting spans, installs no subscriber at all).
    ///
    /// ```
    /// use tracing::level_filters::LevelFilter;
    ///
    /// let builder = cmdx_telemetry::Telemetry::builder().app_logs(LevelFilter::WARN);
    /// # drop(builder);
    /// ```
    pub fn app_logs(mut self, level: LevelFilter) -> Self {
        self.app_logs = level;
        self
    }

    /// Builds the runtime and, when asked for, the exporter — installing
    /// nothing globally. Use [`Telemetry::scope`] or
    /// [`Telemetry::layer`] with your own subscriber.
    ///
    /// Call it inside a tokio runtime or outside one; the gRPC exporter runs
    /// its connection on a small runtime of its own, so flushing works from
    /// a `current_thread` runtime too.
    pub fn build(self) -> Result<Telemetry, InitError> {
        let read_env = self.read_env;
        let lookup = move |name: &str| {
            if read_env {
                std::env::var(name).ok()
            } else {
                None
            }
        };
        let resource = resource(&lookup, self.service_name.as_deref(), read_env);
        let trace_target = match self.exporter {
            Some(_) => None,
            None => config::resolve(lookup, &self.overrides)?,
        };
        let log_target = match self.log_exporter {
            Some(_) => None,
            None => config::resolve_logs(lookup, &self.overrides)?,
        };
        let custom_logs = self.log_exporter;
        let grpc = [&trace_target, &log_target]
            .into_iter()
            .flatten()
            .any(|target| target.protocol == Protocol::Grpc);
        let io = if grpc { Some(grpc_runtime()?) } else { None };

        let traces = match (self.exporter, &trace_target) {
            (Some(custom), _) => Some((
                custom(self.batch.unwrap_or_else(default_batch)),
                "custom exporter".to_owned(),
            )),
            (None, Some(target)) => Some((
                otlp_processor(
                    target,
                    self.batch.unwrap_or_else(default_batch),
                    io.as_ref(),
                )?,
                format!("{:?} {}", target.protocol, target.endpoint),
            )),
            (None, None) => None,
        }
        .map(|(processor, describe)| {
            let (processor, outcome) = Recorded::new(processor);
            let provider = SdkTracerProvider::builder()
                .with_span_processor(processor)
                .with_resource(resource.clone())
                .build();
            Traces::new(provider, outcome, describe)
        });

        let logs = if custom_logs.is_some() || log_target.is_some() {
            let capacity = config::log_queue_size(lookup, self.log_queue_size)?;
            let mut batch = opentelemetry_sdk::logs::BatchConfigBuilder::default()
                .with_max_queue_size(capacity);
            if let Some(every) = self.log_export_interval {
                batch = batch.with_scheduled_delay(every);
            }
            let batch = batch.build();
            let describe = log_target.as_ref().map_or_else(
                || "the custom log exporter".to_owned(),
                |target| format!("{:?} {}", target.protocol, target.endpoint),
            );
            let counters = Counters::new(capacity, describe.clone());
            let processor = match (custom_logs, &log_target) {
                (Some(custom), _) => custom(batch, counters.clone()),
                (None, Some(target)) => {
                    otlp_log_processor(target, batch, counters.clone(), io.as_ref())?
                }
                (None, None) => unreachable!("checked above"),
            };
            let (processor, outcome) = Gated::new(processor, counters.clone());
            let provider = SdkLoggerProvider::builder()
                .with_log_processor(processor)
                .with_resource(resource)
                .build();
            Some(logs::Pipeline::new(provider, counters, outcome, describe))
        } else {
            None
        };

        let chosen = self.ledger.unwrap_or_default();
        let ledger = match &logs {
            Some(logs) => Ledger::tee(chosen.clone(), Ledger::custom(logs.sink())),
            None => chosen.clone(),
        };
        let mut runtime = Runtime::builder().ledger(ledger);
        if traces.is_some() {
            runtime = runtime.trace_bridge(OtelBridge::new());
        }
        if let Some(configure) = self.configure {
            runtime = configure(runtime);
        }
        let exporting = Exporting::new(traces, logs, io, self.shutdown_timeout);
        Ok(Telemetry::new(
            runtime.build(),
            chosen,
            exporting,
            (self.extras, self.activation, self.app_logs),
        ))
    }

    /// Builds, then installs globally: the `tracing` subscriber (the
    /// application-log layer, and the OpenTelemetry layer when exporting
    /// spans; without it spans stay disabled, so a program without an
    /// endpoint pays nothing for them),
    /// the [`cmdx::Runtime`] as the process default
    /// ([`Runtime::set_global`]), and the W3C trace-context propagator as
    /// OpenTelemetry's global one.
    ///
    /// Fails if a global subscriber or runtime was installed before; then
    /// use [`build`](Self::build) and add [`Telemetry::layer`] to your own
    /// subscriber.
    pub fn init(self) -> Result<Telemetry, InitError> {
        let telemetry = self.build()?;
        telemetry.install()?;
        Ok(telemetry)
    }
}

impl fmt::Debug for TelemetryBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TelemetryBuilder")
            .field("service_name", &self.service_name)
            .field("overrides", &self.overrides)
            .field("read_env", &self.read_env)
            .field("custom_exporter", &self.exporter.is_some())
            .field("custom_log_exporter", &self.log_exporter.is_some())
            .field("log_queue_size", &self.log_queue_size)
            .field("log_export_interval", &self.log_export_interval)
            .field("shutdown_timeout", &self.shutdown_timeout)
            .field("otel_extras", &self.extras)
            .field("context_activation", &self.activation)
            .field("app_logs", &self.app_logs)
            .finish_non_exhaustive()
    }
}

fn default_batch() -> BatchConfig {
    BatchConfigBuilder::default().build()
}
