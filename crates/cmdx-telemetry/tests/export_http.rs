//! Spans exported over http/protobuf to a real OTLP receiver on 127.0.0.1 match the
//! chain and the ledger lines (test bodies in `support/mod.rs`).

mod support;

use cmdx_telemetry::Protocol;

const PROTOCOL: Protocol = Protocol::HttpProtobuf;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn process_order_is_one_trace_shaped_like_its_chain() {
    support::process_order_is_one_trace_shaped_like_its_chain(PROTOCOL).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_nested_chain_exports_error_status_and_exception_events() {
    support::a_failing_nested_chain_exports_error_status_and_exception_events(PROTOCOL).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panic_is_an_exception_event_of_type_panic() {
    support::a_panic_is_an_exception_event_of_type_panic(PROTOCOL).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_saga_exports_compensation_spans_linked_to_what_they_undo() {
    support::a_failing_saga_exports_compensation_spans_linked_to_what_they_undo(PROTOCOL).await;
}
