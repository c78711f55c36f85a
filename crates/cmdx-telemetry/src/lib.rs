//! One call at start-up for [`cmdx`]: the NDJSON ledger on stdout, and —
//! when the standard `OTEL_*` variables ask for it — every execution's span
//! exported over OTLP (to Jaeger, Tempo, an OpenTelemetry Collector…), with
//! each ledger line carrying its span's `trace_id` and `span_id`, and every
//! ledger line (and application log line) exported as an OpenTelemetry log
//! record linked to its span.
//!
//! ```no_run
//! use cmdx::prelude::*;
//!
//! #[derive(Debug, Serialize, Deserialize, Validate)]
//! struct Ping {}
//! impl Task for Ping {
//!     type Output = ();
//!     fn name() -> &'static str {
//!         "Ping"
//!     }
//!     async fn work(&self, _: &mut Cx) -> Result<(), Halt> { Ok(()) }
//! }
//!
//! #[tokio::main]
//! async fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     let telemetry = cmdx_telemetry::init()?;
//!     let _ = Ping {}.execute().await; // one ledger line, one span
//!     telemetry.shutdown().await?; // export what is pending
//!     Ok(())
//! }
//! ```
//!
//! | variable | effect |
//! |---|---|
//! | `OTEL_EXPORTER_OTLP_ENDPOINT` | base URL (`http://localhost:4318`); `/v1/traces` is appended for HTTP |
//! | `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` | full URL for traces, used as given; wins over the above |
//! | `OTEL_EXPORTER_OTLP_PROTOCOL` (or `…_TRACES_PROTOCOL`) | `http/protobuf` (default) or `grpc` |
//! | `OTEL_LOGS_EXPORTER` | `otlp` (default: log records go to the same endpoint, `/v1/logs`) or `none` |
//! | `OTEL_EXPORTER_OTLP_LOGS_ENDPOINT`, `…_LOGS_PROTOCOL` | the same for log records |
//! | `OTEL_SERVICE_NAME` | the service name in the trace UI |
//! | `OTEL_SDK_DISABLED=true` | no export, whatever else is set |
//! | `OTEL_BSP_*`, `OTEL_EXPORTER_OTLP_TIMEOUT`, `…_HEADERS` | read by the OpenTelemetry SDK and exporter |
//!
//! No endpoint ⇒ no exporter and no `tracing` subscriber: executions cost
//! what they cost without this crate.
//!
//! - [`init`] / [`Telemetry::builder`]: set-up, and the guard that flushes.
//! - [`OtelBridge`]: the [`cmdx::TraceBridge`] behind the ids on ledger
//!   lines, span links for compensations, metadata attributes and
//!   `exception` events.
//! - [`propagation`]: `traceparent` + `baggage` across services, so a chain
//!   stays one chain and one trace.
//! - [`LogStats`] ([`Telemetry::log_stats`]): what the log export sent,
//!   failed, dropped, still holds.
//!
//! The guide is `docs/telemetry.md` in the repository.

mod app_logs;
mod bridge;
mod builder;
mod config;
mod error;
mod logs;
mod own_spans;
pub mod propagation;
mod shutdown;
mod telemetry;

pub use bridge::OtelBridge;
pub use builder::{DEFAULT_SHUTDOWN_TIMEOUT, TelemetryBuilder};
pub use config::Protocol;
pub use error::{InitError, InitErrorKind, ShutdownError};
pub use logs::{LOGGER_NAME, LogStats, OtelLogSink};
pub use telemetry::{TRACER_NAME, Telemetry};

/// The guide chapter `docs/telemetry.md`, compiled as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../../docs/telemetry.md")]
pub struct TelemetryGuide;

/// Re-exported so a custom exporter or batch configuration can be named
/// without depending on the SDK directly.
pub use opentelemetry_sdk::trace::{BatchConfig, BatchConfigBuilder};

/// Sets up telemetry from the `OTEL_*` variables with the ledger on stdout,
/// and installs it for the whole process; see
/// [`TelemetryBuilder::init`]. Keep the returned guard alive until the end
/// of `main`, then call [`Telemetry::shutdown`] (or drop it).
pub fn init() -> Result<Telemetry, InitError> {
    Telemetry::builder().init()
}
