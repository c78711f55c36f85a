//! Clients that hang up 0–3 ms after sending a stock receipt: the database
//! keeps its data, and the ledger's successes are exactly what it holds.

use crate::support::{ExampleServer, HANG, SERVERS, available, receive};
use serde_json::Value;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

/// Requests per storm: (one client, each of the concurrent clients, concurrent clients).
fn sizes() -> (usize, usize, usize) {
    match std::env::var("CMDX_LONG_TESTS").as_deref() {
        Ok("1") => (3000, 400, 16),
        _ => (150, 30, 8),
    }
}

/// A tiny generator, so the storm needs no dependency.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// Sends `count` receipts of `sku`, each on its own connection, hanging up
/// 0–3 ms after the request is written.
async fn hang_ups(addr: SocketAddr, sku: &str, count: usize, seed: u64) {
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    for _ in 0..count {
        let quantity = 1 + rng.below(100);
        let body = format!(r#"{{"sku":"{sku}","quantity":{quantity},"warehouse_id":1}}"#);
        let request = format!(
            "POST /stock/receive HTTP/1.1\r\nHost: storm\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        let Ok(mut stream) = TcpStream::connect(addr).await else {
            continue;
        };
        if stream.write_all(request.as_bytes()).await.is_err() {
            continue;
        }
        let wait = rng.below(4);
        if wait > 0 {
            tokio::time::sleep(Duration::from_millis(wait)).await;
        }
        drop(stream);
    }
}

/// The sum of the quantities of `sku`'s successful receipts in the ledger.
fn received_in_ledger(lines: &[Value], sku: &str) -> i64 {
    lines
        .iter()
        .filter(|l| l["task"] == "Inventory::ReceiveStock" && l["input"]["sku"] == sku)
        .filter(|l| l["status"] == "success")
        .map(|l| l["input"]["quantity"].as_i64().expect("a quantity"))
        .sum()
}

/// Waits until the ledger and the database agree three times in a row,
/// 200 ms apart, with no new line in between (the server may still be
/// reading hung-up connections from its accept queue, and work run to
/// completion may still be finishing); panics with both after [`HANG`].
async fn ledger_matches_database(
    server: &ExampleServer,
    client: &reqwest::Client,
    sku: &str,
) -> i64 {
    let deadline = tokio::time::Instant::now() + HANG;
    let (mut agreed, mut seen) = (0, usize::MAX);
    loop {
        let stock = available(client, server, sku).await.unwrap_or(0);
        let lines = server.lines();
        let ledger = received_in_ledger(&lines, sku);
        if stock == ledger && lines.len() == seen {
            agreed += 1;
            if agreed == 3 {
                let cancelled: Vec<&Value> = lines
                    .iter()
                    .filter(|l| l["input"]["sku"] == sku && l["reason"] == "cancelled")
                    .collect();
                assert!(
                    cancelled.is_empty(),
                    "{}: writes cancelled: {cancelled:?}",
                    server.example
                );
                return stock;
            }
        } else {
            agreed = 0;
        }
        seen = lines.len();
        assert!(
            tokio::time::Instant::now() < deadline,
            "{}: the database holds {stock} of {sku} but the ledger's successful receipts sum to {ledger}",
            server.example
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn storm(example: &'static str) {
    let server = ExampleServer::start(example, &[]);
    let client = reqwest::Client::new();
    let (single, each, clients) = sizes();

    hang_ups(server.addr(), "STORM-1", single, 1).await;
    let stock = ledger_matches_database(&server, &client, "STORM-1").await;
    assert!(stock > 0, "{example}: some receipts got through");

    let storms: Vec<_> = (0..clients)
        .map(|n| tokio::spawn(hang_ups(server.addr(), "STORM-N", each, 100 + n as u64)))
        .collect();
    for storm in storms {
        storm.await.unwrap();
    }
    let stock_n = ledger_matches_database(&server, &client, "STORM-N").await;

    // The server still answers, from the same data (a straggler of the
    // storm may still land: the invariant is checked again at the end).
    let response = receive(&client, &server, "STORM-1", 5).await;
    assert_eq!(response.status(), 200, "{example}");
    let body: Value = response.json().await.unwrap();
    assert!(
        body["available_quantity"].as_i64().unwrap() >= stock + 5,
        "{example}: {body}"
    );
    assert!(ledger_matches_database(&server, &client, "STORM-1").await >= stock + 5);
    assert!(ledger_matches_database(&server, &client, "STORM-N").await >= stock_n);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn axum_survives_a_storm_of_hang_ups_and_its_ledger_matches_the_database() {
    storm(SERVERS[0]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn actix_survives_a_storm_of_hang_ups_and_its_ledger_matches_the_database() {
    storm(SERVERS[1]).await;
}
