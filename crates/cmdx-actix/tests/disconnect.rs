//! Clients that disconnect mid-request on a real actix-web server: a write
//! (`POST`, run to completion) finishes and writes its real line. Unlike
//! hyper (axum), actix-web 4 does not drop the handler of a request whose
//! body it has read when the client hangs up (it notices when it writes the
//! answer), so a read (`GET`, cancellable) finishes too: the second test
//! pins that difference, documented in docs/web.md.

mod support;

use actix_web::web;
use cmdx_actix::{JsonTask, Reply, StatusMap};
use cmdx_test::Capture;
use serde_json::Value;
use std::net::SocketAddr;
use support::{ActixServer, DropSignal, WAIT, WaitAtGate, gate};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

async fn wait_at_gate(task: JsonTask<WaitAtGate>) -> Reply<()> {
    let name = task.body()["gate"].as_str().unwrap_or("").to_owned();
    let _signal = DropSignal(name);
    task.execute().await
}

fn routes(config: &mut web::ServiceConfig) {
    config.route("/wait", web::route().to(wait_at_gate));
}

/// Sends `method /wait` for gate `name` with request id `name`, waits until
/// the task is inside `work`, and hangs up.
async fn disconnect_mid_task(addr: SocketAddr, method: &str, name: &str) {
    let body = format!(r#"{{"gate":"{name}"}}"#);
    let request = format!(
        "{method} /wait HTTP/1.1\r\nHost: test\r\nx-request-id: {name}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    tokio::time::timeout(WAIT, gate(&format!("{name}-started")).notified())
        .await
        .expect("the task starts");
    drop(stream);
    // Time for the server to see the hang-up, if it acts on it.
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
}

fn lines_of(capture: &Capture, xid: &str) -> Vec<Value> {
    capture
        .values()
        .into_iter()
        .filter(|l| l["xid"] == xid)
        .collect()
}

#[tokio::test]
async fn a_write_runs_to_completion_after_the_client_disconnects() {
    let capture = Capture::new();
    let server = ActixServer::start(&capture, StatusMap::new(), routes);
    disconnect_mid_task(server.addr(), "POST", "actix-post-gone").await;
    assert!(
        lines_of(&capture, "actix-post-gone").is_empty(),
        "still running at the gate, not cancelled"
    );
    gate("actix-post-gone").notify_one();
    let line = capture
        .wait_for(|l| l["xid"] == "actix-post-gone", WAIT)
        .await
        .expect("the write finishes and writes its line");
    assert_eq!(line["status"], "success");
    assert_eq!(line["state"], "complete");
    assert_eq!(lines_of(&capture, "actix-post-gone").len(), 1);
    server.stop().await;
}

#[tokio::test]
async fn actix_does_not_cancel_a_read_when_the_client_disconnects() {
    let capture = Capture::new();
    let server = ActixServer::start(&capture, StatusMap::new(), routes);
    disconnect_mid_task(server.addr(), "GET", "actix-get-gone").await;
    assert!(
        lines_of(&capture, "actix-get-gone").is_empty(),
        "still at the gate"
    );
    gate("actix-get-gone").notify_one();
    let line = capture
        .wait_for(|l| l["xid"] == "actix-get-gone", WAIT)
        .await
        .expect("the read finishes and writes its line");
    assert_eq!(line["status"], "success", "not cancelled: {line}");
    assert_eq!(lines_of(&capture, "actix-get-gone").len(), 1);
    // The handler ran to its end, then was dropped.
    tokio::time::timeout(WAIT, gate("actix-get-gone-dropped").notified())
        .await
        .expect("the handler ends");
    server.stop().await;
}
