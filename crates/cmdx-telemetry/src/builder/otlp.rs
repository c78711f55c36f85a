//! Building the OTLP exporters (spans and log records) and what they
//! share: the resource, and for gRPC the runtime their connections live on.

use crate::InitError;
use crate::config::{self, Protocol, Target};
use crate::logs::{Counted, Counters};
use crate::own_spans::Untraced;
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::logs::BatchLogProcessor;
use opentelemetry_sdk::trace::{BatchConfig, BatchSpanProcessor};
use std::sync::Arc;

pub(super) fn resource(
    lookup: &impl Fn(&str) -> Option<String>,
    configured_name: Option<&str>,
    read_env: bool,
) -> Resource {
    let resource = if read_env {
        Resource::builder()
    } else {
        Resource::builder_empty()
    };
    resource
        .with_service_name(config::service_name(lookup, configured_name))
        .build()
}

/// A one-thread tokio runtime for the gRPC exporters' connections, so that
/// a blocked or finished application runtime cannot stall an export. Its
/// threads only run the exporters' connections: nothing traced there is
/// exported (no export loop).
pub(super) fn grpc_runtime() -> Result<tokio::runtime::Runtime, InitError> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("cmdx-otlp-grpc")
        .on_thread_start(crate::own_spans::mark_exporter_thread)
        .enable_all()
        .build()
        .map_err(|error| {
            InitError::exporter(format!(
                "could not start the gRPC exporter's runtime: {error}"
            ))
        })
}

fn built(target: &Target) -> impl Fn(opentelemetry_otlp::ExporterBuildError) -> InitError + '_ {
    move |error| {
        InitError::exporter(format!(
            "could not build the OTLP exporter for {}: {error}",
            target.endpoint
        ))
    }
}

/// The OTLP span exporter behind a batch processor; gRPC connects on `io`.
pub(super) fn otlp_processor(
    target: &Target,
    batch: BatchConfig,
    io: Option<&tokio::runtime::Runtime>,
) -> Result<BatchSpanProcessor, InitError> {
    let exporter = match (target.protocol, io) {
        (Protocol::Grpc, Some(io)) => {
            let _entered = io.enter();
            opentelemetry_otlp::SpanExporter::builder()
                .with_tonic()
                .with_endpoint(target.endpoint.clone())
                .build()
                .map_err(built(target))?
        }
        _ => opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .with_protocol(opentelemetry_otlp::Protocol::HttpBinary)
            .with_endpoint(target.endpoint.clone())
            .build()
            .map_err(built(target))?,
    };
    Ok(BatchSpanProcessor::builder(Untraced(exporter))
        .with_batch_config(batch)
        .build())
}

/// The OTLP log exporter, counted, behind a batch processor; gRPC connects
/// on `io`.
pub(super) fn otlp_log_processor(
    target: &Target,
    batch: opentelemetry_sdk::logs::BatchConfig,
    counters: Arc<Counters>,
    io: Option<&tokio::runtime::Runtime>,
) -> Result<BatchLogProcessor, InitError> {
    let exporter = match (target.protocol, io) {
        (Protocol::Grpc, Some(io)) => {
            let _entered = io.enter();
            opentelemetry_otlp::LogExporter::builder()
                .with_tonic()
                .with_endpoint(target.endpoint.clone())
                .build()
                .map_err(built(target))?
        }
        _ => opentelemetry_otlp::LogExporter::builder()
            .with_http()
            .with_protocol(opentelemetry_otlp::Protocol::HttpBinary)
            .with_endpoint(target.endpoint.clone())
            .build()
            .map_err(built(target))?,
    };
    Ok(BatchLogProcessor::builder(Counted::new(exporter, counters))
        .with_batch_config(batch)
        .build())
}
