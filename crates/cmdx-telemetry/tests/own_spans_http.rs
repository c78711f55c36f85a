//! Over http, the exporter's own work is never exported: one execution
//! followed by idle seconds exports exactly one span (the test body is in
//! `own_spans/mod.rs`; one test per binary, since it installs the global
//! subscriber).

mod own_spans;

#[test]
fn one_execution_then_idle_exports_exactly_one_span() {
    own_spans::one_execution_then_idle_exports_exactly_one_span(
        cmdx_telemetry::Protocol::HttpProtobuf,
    );
}
