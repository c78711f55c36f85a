//! The actix-web inventory API, started in-process on 127.0.0.1:0 and
//! driven with reqwest: answers, request ids, chains and spans on actix's
//! current-thread worker runtimes.

use actix_web::dev::ServerHandle;
use cmdx_examples::http::actix;
use cmdx_examples::inventory::Inventory;
use cmdx_test::Capture;
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::sync::{Mutex, Once};
use tracing::span::{Attributes, Id};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;
use uuid::Uuid;

/// The actix server on its own thread with its own actix `System`.
struct ActixServer {
    addr: SocketAddr,
    handle: ServerHandle,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl ActixServer {
    fn start(capture: &Capture, inventory: &Inventory) -> Self {
        let (runtime, inventory) = (capture.runtime().clone(), inventory.clone());
        let (sender, receiver) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let (server, addrs) = actix::server(runtime, inventory, "127.0.0.1:0", 2)
                    .expect("binding 127.0.0.1:0");
                sender
                    .send((addrs[0], server.handle()))
                    .expect("the test waits");
                let _ = server.await;
            });
        });
        let (addr, handle) = receiver.recv().expect("the server started");
        Self {
            addr,
            handle,
            thread: Some(thread),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    async fn stop(mut self) {
        self.handle.stop(true).await;
        if let Some(thread) = self.thread.take() {
            thread.join().expect("the server thread ends");
        }
    }
}

impl Drop for ActixServer {
    /// A test that panicked before `stop` still stops its server (the stop
    /// command is sent when `stop` is called; its future only waits).
    fn drop(&mut self) {
        if self.thread.is_some() {
            drop(self.handle.stop(false));
        }
    }
}

async fn start() -> (ActixServer, Capture, reqwest::Client) {
    record_spans();
    let inventory = Inventory::in_memory().await.expect("an in-memory database");
    let capture = Capture::with(|runtime| runtime.resource(inventory.clone()));
    let server = ActixServer::start(&capture, &inventory);
    let client = reqwest::Client::new();
    let received = client
        .post(server.url("/stock/receive"))
        .json(&json!({"sku": "SKU-1", "quantity": 10, "warehouse_id": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(received.status(), 200);
    assert_eq!(
        received.json::<Value>().await.unwrap(),
        json!({"sku": "SKU-1", "available_quantity": 10})
    );
    (server, capture, client)
}

fn header(response: &reqwest::Response, name: &str) -> String {
    response.headers()[name].to_str().unwrap().to_owned()
}

#[tokio::test]
async fn an_order_on_actix_answers_204_and_echoes_the_request_id_in_every_line() {
    let (server, capture, client) = start().await;
    let response = client
        .post(server.url("/orders"))
        .header("x-request-id", "actix-req-1")
        .json(&json!({"sku": "SKU-1", "quantity": 3, "order_id": 1, "warehouse_id": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    assert_eq!(header(&response, "x-request-id"), "actix-req-1");
    let cid: Uuid = header(&response, "x-chain-id").parse().unwrap();
    let lines = capture.chain(cid);
    assert_eq!(
        lines.len(),
        3,
        "ProcessOrder and its two children: {lines:?}"
    );
    assert!(lines.iter().all(|l| l["xid"] == "actix-req-1"));
    assert_eq!(
        capture.parent_indexes(cid).into_iter().collect::<Vec<_>>(),
        [(0, None), (1, Some(0)), (2, Some(0))]
    );
    let product = client
        .get(server.url("/products/SKU-1"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        product.json::<Value>().await.unwrap(),
        json!({"sku": "SKU-1", "available_quantity": 7, "reserved_quantity": 0})
    );
    server.stop().await;
}

#[tokio::test]
async fn invalid_input_on_actix_answers_422_with_every_field() {
    let (server, _capture, client) = start().await;
    let response = client
        .post(server.url("/orders"))
        .json(&json!({"sku": "", "quantity": 0, "order_id": 0, "warehouse_id": 0}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
    assert!(Uuid::parse_str(&header(&response, "x-request-id")).is_ok());
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid input");
    let mut fields: Vec<&str> = body["fields"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    fields.sort_unstable();
    assert_eq!(fields, ["order_id", "quantity", "sku", "warehouse_id"]);
    let missing = client
        .post(server.url("/orders"))
        .json(&json!({"sku": "SKU-9", "quantity": 1, "order_id": 2, "warehouse_id": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    server.stop().await;
}

#[tokio::test]
async fn spans_on_actix_workers_nest_like_the_chain() {
    let (server, capture, client) = start().await;
    let response = client
        .post(server.url("/orders"))
        .header("x-request-id", "actix-spans")
        .json(&json!({"sku": "SKU-1", "quantity": 1, "order_id": 3, "warehouse_id": 1}))
        .send()
        .await
        .unwrap();
    let cid: Uuid = header(&response, "x-chain-id").parse().unwrap();
    let lines = capture.chain(cid);
    let spans = SPANS.lock().unwrap().clone();
    for line in &lines {
        let tid = line["tid"].as_str().unwrap();
        let span = spans
            .iter()
            .find(|s| s.tid == tid)
            .expect("one span per execution");
        assert_eq!(
            span.parent_tid.as_deref(),
            line["parent"].as_str(),
            "{span:?}"
        );
    }
    let root = spans
        .iter()
        .find(|s| Some(s.tid.as_str()) == lines.last().unwrap()["tid"].as_str())
        .unwrap();
    assert!(
        root.thread.starts_with("actix-rt"),
        "opened on an actix worker: {root:?}"
    );
    server.stop().await;
}

/// One `execute` span: its execution, its parent span's execution, the thread.
#[derive(Debug, Clone)]
struct SpanSeen {
    tid: String,
    parent_tid: Option<String>,
    thread: String,
}

static SPANS: Mutex<Vec<SpanSeen>> = Mutex::new(Vec::new());

struct Tid(String);

struct Recorder;

impl<S: tracing::Subscriber + for<'a> LookupSpan<'a>> tracing_subscriber::Layer<S> for Recorder {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut tid = None;
        attrs.record(
            &mut |field: &tracing::field::Field, value: &dyn std::fmt::Debug| {
                if field.name() == "cmdx.tid" {
                    tid = Some(format!("{value:?}"));
                }
            },
        );
        let (Some(tid), Some(span)) = (tid, ctx.span(id)) else {
            return;
        };
        let parent_tid = span
            .parent()
            .and_then(|parent| parent.extensions().get::<Tid>().map(|t| t.0.clone()));
        span.extensions_mut().insert(Tid(tid.clone()));
        let thread = std::thread::current().name().unwrap_or("").to_owned();
        SPANS.lock().unwrap().push(SpanSeen {
            tid,
            parent_tid,
            thread,
        });
    }
}

fn record_spans() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let subscriber = tracing_subscriber::registry().with(Recorder);
        tracing::subscriber::set_global_default(subscriber).expect("the only global subscriber");
    });
}
