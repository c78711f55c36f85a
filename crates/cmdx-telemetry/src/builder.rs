//! [`TelemetryBuilder`]: start-up settings, and building the exporter.

use crate::config::{self, Overrides, Protocol, Target};
use crate::own_spans::Untraced;
use crate::shutdown::Recorded;
use crate::telemetry::{Exporting, Telemetry};
use crate::{InitError, OtelBridge};
use cmdx::{Ledger, Runtime, RuntimeBuilder};
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::{
    BatchConfig, BatchConfigBuilder, BatchSpanProcessor, SdkTracerProvider, SpanExporter,
};
use std::fmt;
use std::time::Duration;
use tracing::level_filters::LevelFilter;

type CustomExporter = Box<dyn FnOnce(BatchConfig) -> BatchSpanProcessor + Send>;
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

    /// The OTLP transport, instead of `OTEL_EXPORTER_OTLP_PROTOCOL`.
    pub fn protocol(mut self, protocol: Protocol) -> Self {
        self.overrides.protocol = Some(protocol);
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

    /// How long shutdown waits for pending spans (default 5 s).
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
    /// not exporting, installs no subscriber at all).
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
        let exporting = match self.exporter {
            Some(custom) => {
                let (processor, outcome) =
                    Recorded::new(custom(self.batch.unwrap_or_else(default_batch)));
                Some(Exporting::new(
                    provider(processor, &lookup, self.service_name.as_deref(), read_env),
                    None,
                    outcome,
                    self.shutdown_timeout,
                    "custom exporter".to_owned(),
                ))
            }
            None => match config::resolve(lookup, &self.overrides)? {
                None => None,
                Some(target) => {
                    let (processor, io) =
                        otlp_processor(&target, self.batch.unwrap_or_else(default_batch))?;
                    let (processor, outcome) = Recorded::new(processor);
                    Some(Exporting::new(
                        provider(processor, &lookup, self.service_name.as_deref(), read_env),
                        io,
                        outcome,
                        self.shutdown_timeout,
                        format!("{:?} {}", target.protocol, target.endpoint),
                    ))
                }
            },
        };
        let mut runtime = Runtime::builder().ledger(self.ledger.unwrap_or_default());
        if exporting.is_some() {
            runtime = runtime.trace_bridge(OtelBridge::new());
        }
        if let Some(configure) = self.configure {
            runtime = configure(runtime);
        }
        Ok(Telemetry::new(
            runtime.build(),
            exporting,
            (self.extras, self.activation, self.app_logs),
        ))
    }

    /// Builds, then installs globally: the `tracing` subscriber (the
    /// application-log layer, and the OpenTelemetry layer when exporting;
    /// without an exporter spans stay disabled, so a program without an
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

fn provider(
    processor: Recorded,
    lookup: &impl Fn(&str) -> Option<String>,
    configured_name: Option<&str>,
    read_env: bool,
) -> SdkTracerProvider {
    let resource = if read_env {
        Resource::builder()
    } else {
        Resource::builder_empty()
    };
    let resource = resource
        .with_service_name(config::service_name(lookup, configured_name))
        .build();
    SdkTracerProvider::builder()
        .with_span_processor(processor)
        .with_resource(resource)
        .build()
}

/// The OTLP exporter behind a batch processor. gRPC gets its own
/// one-thread tokio runtime for the connection, so that a blocked or
/// finished application runtime cannot stall the export.
fn otlp_processor(
    target: &Target,
    batch: BatchConfig,
) -> Result<(BatchSpanProcessor, Option<tokio::runtime::Runtime>), InitError> {
    let built = |error: opentelemetry_otlp::ExporterBuildError| {
        InitError::exporter(format!(
            "could not build the OTLP exporter for {}: {error}",
            target.endpoint
        ))
    };
    match target.protocol {
        Protocol::Grpc => {
            let io = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .thread_name("cmdx-otlp-grpc")
                // Its threads only run the exporter's connection: nothing
                // traced there is exported (no export loop).
                .on_thread_start(crate::own_spans::mark_exporter_thread)
                .enable_all()
                .build()
                .map_err(|error| {
                    InitError::exporter(format!(
                        "could not start the gRPC exporter's runtime: {error}"
                    ))
                })?;
            let exporter = {
                let _entered = io.enter();
                opentelemetry_otlp::SpanExporter::builder()
                    .with_tonic()
                    .with_endpoint(target.endpoint.clone())
                    .build()
                    .map_err(built)?
            };
            let processor = BatchSpanProcessor::builder(Untraced(exporter))
                .with_batch_config(batch)
                .build();
            Ok((processor, Some(io)))
        }
        Protocol::HttpProtobuf => {
            let exporter = opentelemetry_otlp::SpanExporter::builder()
                .with_http()
                .with_protocol(opentelemetry_otlp::Protocol::HttpBinary)
                .with_endpoint(target.endpoint.clone())
                .build()
                .map_err(built)?;
            let processor = BatchSpanProcessor::builder(Untraced(exporter))
                .with_batch_config(batch)
                .build();
            Ok((processor, None))
        }
    }
}
