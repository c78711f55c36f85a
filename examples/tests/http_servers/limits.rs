//! Slow clients: half-sent headers and stalled bodies are closed after the
//! timeouts, and a connection limit keeps the server serving.

use crate::support::{
    ExampleServer, HANG, SERVERS, available, read_until_closed, receive, send_and_stall,
};
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

const HALF_HEADERS: &[u8] = b"POST /stock/receive HTTP/1.1\r\nHost: slow\r\nContent-Type: appl";

/// Short timeouts, so the tests see them fire; a limit of 4 connections.
/// The header timeout stays at 1 s: actix-web computes its deadline from a
/// clock cached for 500 ms, and misses an idle connection's deadline when
/// it is already past.
fn short_limits() -> Vec<(&'static str, String)> {
    vec![
        ("CMDX_HEADER_TIMEOUT_MS", "1000".to_owned()),
        ("CMDX_BODY_TIMEOUT_MS", "300".to_owned()),
        ("CMDX_MAX_CONNECTIONS", "4".to_owned()),
    ]
}

async fn half_sent_headers_are_closed(example: &'static str) {
    let server = ExampleServer::start(example, &short_limits());
    let seen = send_and_stall(server.addr(), HALF_HEADERS).await;
    // Closed; actix-web answers 408 first, hyper just closes.
    assert!(
        matches!(seen.status(), None | Some(408)),
        "{example}: {seen:?}"
    );
    // An idle connection that sends nothing is closed too.
    let seen = send_and_stall(server.addr(), b"").await;
    assert!(
        matches!(seen.status(), None | Some(408)),
        "{example}: {seen:?}"
    );
}

async fn a_stalled_body_answers_408(example: &'static str) {
    let server = ExampleServer::start(example, &short_limits());
    let seen = send_and_stall(
        server.addr(),
        b"POST /stock/receive HTTP/1.1\r\nHost: slow\r\nContent-Type: application/json\r\nContent-Length: 60\r\n\r\n{\"sku\":\"SKU-S\",",
    )
    .await;
    assert_eq!(seen.status(), Some(408), "{example}: {seen:?}");
    let body = seen
        .body()
        .unwrap_or_else(|| panic!("{example}: a problem body: {seen:?}"));
    assert_eq!(body["code"], "request_timeout", "{example}");
    assert!(body["cid"].is_string(), "{example}: the chain id: {body}");
    assert!(server.lines().is_empty(), "{example}: no task ran");
}

async fn more_half_sent_connections_than_the_limit_do_not_starve_a_request(example: &'static str) {
    let server = ExampleServer::start(example, &short_limits());
    let stalled: Vec<_> = (0..12)
        .map(|_| tokio::spawn(send_and_stall(server.addr(), HALF_HEADERS)))
        .collect();
    let client = reqwest::Client::builder().timeout(HANG).build().unwrap();
    let response = receive(&client, &server, "SKU-C", 2).await;
    assert_eq!(response.status(), 200, "{example}");
    for stalled in stalled {
        let seen = stalled.await.unwrap();
        assert!(
            matches!(seen.status(), None | Some(408)),
            "{example}: {seen:?}"
        );
    }
    assert_eq!(available(&client, &server, "SKU-C").await, Some(2));
}

/// At the limit, the next connection waits until one closes.
async fn the_limit_holds_new_connections_until_one_closes(example: &'static str) {
    let server = ExampleServer::start(
        example,
        &[
            ("CMDX_HEADER_TIMEOUT_MS", "60000".to_owned()),
            ("CMDX_MAX_CONNECTIONS", "2".to_owned()),
        ],
    );
    // Two keep-alive connections, each proven served, then left idle.
    let mut idle = Vec::new();
    for n in 0..2 {
        let mut stream = TcpStream::connect(server.addr()).await.unwrap();
        let request = format!("GET /products/SKU-{n} HTTP/1.1\r\nHost: idle\r\n\r\n");
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut answer = [0u8; 12];
        tokio::time::timeout(
            HANG,
            tokio::io::AsyncReadExt::read_exact(&mut stream, &mut answer),
        )
        .await
        .expect("served")
        .unwrap();
        assert_eq!(&answer, b"HTTP/1.1 404", "{example}");
        idle.push(stream);
    }
    let client = reqwest::Client::builder()
        .timeout(Duration::from_millis(500))
        .build()
        .unwrap();
    let waiting = client.get(server.url("/products/SKU-W")).send().await;
    assert!(
        waiting.is_err(),
        "{example}: a third connection was served while two were held: {waiting:?}"
    );
    drop(idle.pop());
    let client = reqwest::Client::builder().timeout(HANG).build().unwrap();
    let served = client
        .get(server.url("/products/SKU-W"))
        .send()
        .await
        .unwrap();
    assert_eq!(served.status(), 404, "{example}");
    let mut last = idle.pop().unwrap();
    last.shutdown().await.unwrap();
    read_until_closed(&mut last).await;
}

#[tokio::test]
async fn half_sent_headers_are_closed_on_axum() {
    half_sent_headers_are_closed(SERVERS[0]).await;
}

#[tokio::test]
async fn half_sent_headers_are_closed_on_actix() {
    half_sent_headers_are_closed(SERVERS[1]).await;
}

#[tokio::test]
async fn a_stalled_body_answers_408_on_axum() {
    a_stalled_body_answers_408(SERVERS[0]).await;
}

#[tokio::test]
async fn a_stalled_body_answers_408_on_actix() {
    a_stalled_body_answers_408(SERVERS[1]).await;
}

#[tokio::test]
async fn more_half_sent_connections_than_the_limit_do_not_starve_a_request_on_axum() {
    more_half_sent_connections_than_the_limit_do_not_starve_a_request(SERVERS[0]).await;
}

#[tokio::test]
async fn more_half_sent_connections_than_the_limit_do_not_starve_a_request_on_actix() {
    more_half_sent_connections_than_the_limit_do_not_starve_a_request(SERVERS[1]).await;
}

#[tokio::test]
async fn the_connection_limit_holds_new_connections_until_one_closes_on_axum() {
    the_limit_holds_new_connections_until_one_closes(SERVERS[0]).await;
}

#[tokio::test]
async fn the_connection_limit_holds_new_connections_until_one_closes_on_actix() {
    the_limit_holds_new_connections_until_one_closes(SERVERS[1]).await;
}

#[test]
fn a_bad_setting_stops_the_server_with_the_variables_name() {
    for example in SERVERS {
        for (name, value) in [
            ("CMDX_MAX_CONNECTIONS", "0"),
            ("CMDX_HEADER_TIMEOUT_MS", "soon"),
            ("CMDX_DB_BUSY_TIMEOUT_MS", "-1"),
        ] {
            let output = std::process::Command::new(crate::support::executable(example))
                .env("CMDX_ADDR", "127.0.0.1:0")
                .env_remove("OTEL_EXPORTER_OTLP_ENDPOINT")
                .env(name, value)
                .stdin(std::process::Stdio::null())
                .output()
                .expect("the example runs");
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert!(
                !output.status.success(),
                "{example} accepted {name}={value}"
            );
            assert!(stderr.contains(name), "{example}: {stderr}");
        }
    }
}
