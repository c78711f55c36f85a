//! A real actix-web server on 127.0.0.1:0 (its own thread, its own actix
//! `System`), the tasks the tests run, and a gate the tests open.

#![allow(dead_code, unreachable_pub, reason = "each test file uses a subset")]

use actix_web::dev::ServerHandle;
use actix_web::web::ServiceConfig;
use actix_web::{App, HttpServer};
use cmdx::prelude::*;
use cmdx_actix::{ChainMiddleware, StatusMap};
use cmdx_test::Capture;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;
use tokio::sync::Notify;

/// Catches hangs only.
pub const WAIT: Duration = Duration::from_secs(20);

/// The server; stopped by `stop`, or on drop if a test panicked first.
pub struct ActixServer {
    addr: SocketAddr,
    handle: ServerHandle,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl ActixServer {
    /// Serves `routes` behind a `ChainMiddleware` with `statuses`, under
    /// `capture`'s runtime, with two workers.
    pub fn start(capture: &Capture, statuses: StatusMap, routes: fn(&mut ServiceConfig)) -> Self {
        let runtime = capture.runtime().clone();
        let (sender, receiver) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let server = HttpServer::new(move || {
                    App::new()
                        .wrap(
                            ChainMiddleware::new()
                                .runtime(runtime.clone())
                                .statuses(statuses.clone()),
                        )
                        .configure(routes)
                })
                .workers(2)
                .disable_signals()
                .bind("127.0.0.1:0")
                .expect("binding 127.0.0.1:0");
                let addr = server.addrs()[0];
                let server = server.run();
                sender
                    .send((addr, server.handle()))
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

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub async fn stop(mut self) {
        self.handle.stop(true).await;
        if let Some(thread) = self.thread.take() {
            thread.join().expect("the server thread ends");
        }
    }
}

impl Drop for ActixServer {
    fn drop(&mut self) {
        if self.thread.is_some() {
            drop(self.handle.stop(false));
        }
    }
}

/// Named gates shared by the tests and the tasks/handlers they drive.
static GATES: LazyLock<Mutex<HashMap<String, Arc<Notify>>>> = LazyLock::new(Default::default);

/// The gate `name` (made on first use). `notify_one` before anyone waits
/// stores a permit, so no signal is lost.
pub fn gate(name: &str) -> Arc<Notify> {
    GATES
        .lock()
        .unwrap()
        .entry(name.to_owned())
        .or_default()
        .clone()
}

/// Fails with `code`.
#[derive(Debug, Serialize, Deserialize, Validate)]
pub struct Refuse {
    #[garde(length(min = 1))]
    pub code: String,
}

impl Task for Refuse {
    type Output = ();

    fn name() -> &'static str {
        "Test::Refuse"
    }

    async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
        fail!("Refused", code = self.code.clone());
    }
}

/// A line of an order.
#[derive(Debug, Serialize, Deserialize, Validate)]
pub struct Item {
    #[garde(length(min = 1))]
    pub sku: String,
    #[garde(range(min = 1))]
    pub quantity: i64,
}

/// An order: every item is validated.
#[derive(Debug, Serialize, Deserialize, Validate)]
pub struct Order {
    #[garde(range(min = 1))]
    pub order_id: i64,
    #[garde(dive)]
    pub items: Vec<Item>,
}

impl Task for Order {
    type Output = serde_json::Value;

    fn name() -> &'static str {
        "Test::Order"
    }

    async fn work(&self, _: &mut Cx) -> Result<serde_json::Value, Halt> {
        Ok(serde_json::json!({"order_id": self.order_id, "items": self.items.len()}))
    }
}

/// Panics in `work`.
#[derive(Debug, Serialize, Deserialize, Validate)]
pub struct Explode {
    #[garde(skip)]
    pub secret: String,
}

impl Task for Explode {
    type Output = ();

    fn name() -> &'static str {
        "Test::Explode"
    }

    async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
        panic!("boom with {}", self.secret);
    }
}

/// Says `<gate>-started`, then waits for `<gate>` to open.
#[derive(Debug, Serialize, Deserialize, Validate)]
pub struct WaitAtGate {
    #[garde(length(min = 1))]
    pub gate: String,
}

impl Task for WaitAtGate {
    type Output = ();

    fn name() -> &'static str {
        "Test::WaitAtGate"
    }

    async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
        gate(&format!("{}-started", self.gate)).notify_one();
        gate(&self.gate).notified().await;
        Ok(())
    }
}

/// Opens `<gate>-dropped` when dropped: put in a handler, it tells the
/// test that actix-web dropped the handler's future.
pub struct DropSignal(pub String);

impl Drop for DropSignal {
    fn drop(&mut self) {
        gate(&format!("{}-dropped", self.0)).notify_one();
    }
}

/// The response's header `name` (empty when absent).
pub fn header(response: &reqwest::Response, name: &str) -> String {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned()
}
