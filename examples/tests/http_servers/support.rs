//! An example server as a child process, its ledger collected from stdout.

use serde_json::Value;
use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::JoinHandle;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The two servers every test runs against.
pub(crate) const SERVERS: [&str; 2] = ["axum_inventory", "actix_inventory"];

/// Catches hangs only: nothing here should take a fraction of it.
pub(crate) const HANG: Duration = Duration::from_secs(30);

/// A running example; killed (and its output threads joined) on drop.
pub(crate) struct ExampleServer {
    pub(crate) example: &'static str,
    child: Child,
    addr: SocketAddr,
    stdout: Arc<Mutex<Vec<String>>>,
    stderr: Arc<Mutex<Vec<String>>>,
    readers: Vec<JoinHandle<()>>,
    /// The example's `TMPDIR`: a killed example cannot remove its
    /// temporary database, so the test does, after the kill.
    _tmp: tempfile::TempDir,
}

pub(crate) fn executable(example: &'static str) -> PathBuf {
    static BUILT: OnceLock<Mutex<HashMap<&'static str, PathBuf>>> = OnceLock::new();
    let built = BUILT.get_or_init(Default::default);
    let mut built = built.lock().unwrap();
    built
        .entry(example)
        .or_insert_with(|| cmdx_test::build_example("cmdx-examples", example, false))
        .clone()
}

impl ExampleServer {
    /// Starts `example` on `127.0.0.1:0` with `env` added (no telemetry
    /// export), and waits for the address it prints on stderr.
    pub(crate) fn start(example: &'static str, env: &[(&str, String)]) -> Self {
        let tmp = tempfile::tempdir().expect("a temporary directory");
        let mut child = Command::new(executable(example))
            .env("TMPDIR", tmp.path())
            .env("CMDX_ADDR", "127.0.0.1:0")
            .env_remove("OTEL_EXPORTER_OTLP_ENDPOINT")
            .env_remove("CMDX_DB")
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the example starts");
        let (stdout, stderr) = (
            Arc::new(Mutex::new(Vec::new())),
            Arc::new(Mutex::new(Vec::new())),
        );
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let out = BufReader::new(child.stdout.take().unwrap());
        let err = BufReader::new(child.stderr.take().unwrap());
        let (out_lines, err_lines) = (stdout.clone(), stderr.clone());
        let readers = vec![
            std::thread::spawn(move || {
                for line in out.lines().map_while(Result::ok) {
                    out_lines.lock().unwrap().push(line);
                }
            }),
            std::thread::spawn(move || {
                for line in err.lines().map_while(Result::ok) {
                    if let Some(addr) = line.split("http://").nth(1) {
                        let _ = addr_tx.send(addr.trim().parse::<SocketAddr>().ok());
                    }
                    err_lines.lock().unwrap().push(line);
                }
            }),
        ];
        let addr = addr_rx.recv_timeout(HANG).ok().flatten();
        let mut server = Self {
            example,
            child,
            addr: "127.0.0.1:9".parse().unwrap(),
            stdout,
            stderr,
            readers,
            _tmp: tmp,
        };
        match addr {
            Some(addr) => server.addr = addr,
            None => panic!(
                "{example} printed no address; stderr: {:?}",
                server.stderr.lock().unwrap()
            ),
        }
        server
    }

    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Every ledger line so far, each checked to be a well-formed line.
    pub(crate) fn lines(&self) -> Vec<Value> {
        let raw = self.stdout.lock().unwrap().clone();
        raw.iter()
            .map(|text| {
                let line: Value = serde_json::from_str(text).unwrap_or_else(|e| {
                    panic!("{}: a torn ledger line ({e}): {text}", self.example)
                });
                well_formed(&line);
                line
            })
            .collect()
    }

    /// The lines of chain `cid`.
    pub(crate) fn chain(&self, cid: &str) -> Vec<Value> {
        self.lines()
            .into_iter()
            .filter(|l| l["cid"] == cid)
            .collect()
    }

    /// Waits (up to [`HANG`]) for a line of chain `cid` by `task`.
    pub(crate) async fn wait_line(&self, cid: &str, task: &str) -> Value {
        let deadline = tokio::time::Instant::now() + HANG;
        loop {
            if let Some(line) = self.chain(cid).into_iter().find(|l| l["task"] == task) {
                return line;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{}: no {task} line for {cid}",
                self.example
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

impl Drop for ExampleServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        for reader in self.readers.drain(..) {
            let _ = reader.join();
        }
    }
}

/// The fields every ledger line has, with their types.
fn well_formed(line: &Value) {
    for key in ["cid", "tid", "task", "status", "state", "ts"] {
        assert!(line[key].is_string(), "`{key}` missing in {line}");
    }
    assert!(
        ["success", "failed", "skipped"].contains(&line["status"].as_str().unwrap()),
        "{line}"
    );
    assert!(
        line["index"].is_u64() && line["metadata"].is_object(),
        "{line}"
    );
}

/// The response's header `name` as text (empty when absent).
pub(crate) fn header(response: &reqwest::Response, name: &str) -> String {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned()
}

/// `POST /stock/receive` of `quantity` units of `sku`.
pub(crate) async fn receive(
    client: &reqwest::Client,
    server: &ExampleServer,
    sku: &str,
    quantity: i64,
) -> reqwest::Response {
    client
        .post(server.url("/stock/receive"))
        .json(&serde_json::json!({"sku": sku, "quantity": quantity, "warehouse_id": 1}))
        .send()
        .await
        .expect("the server answers")
}

/// `GET /products/{sku}`'s available quantity (`None` for 404).
pub(crate) async fn available(
    client: &reqwest::Client,
    server: &ExampleServer,
    sku: &str,
) -> Option<i64> {
    let response = client
        .get(server.url(&format!("/products/{sku}")))
        .send()
        .await
        .expect("the server answers");
    if response.status() == 404 {
        return None;
    }
    assert_eq!(response.status(), 200, "{}: reading {sku}", server.example);
    let body: Value = response.json().await.unwrap();
    body["available_quantity"].as_i64()
}

/// What a raw connection saw until the server closed it.
#[derive(Debug)]
pub(crate) struct Seen {
    /// The bytes received (a response, or nothing).
    pub(crate) bytes: Vec<u8>,
}

impl Seen {
    /// The status of the first response received, if any.
    pub(crate) fn status(&self) -> Option<u16> {
        let text = String::from_utf8_lossy(&self.bytes);
        text.strip_prefix("HTTP/1.1 ")?.get(..3)?.parse().ok()
    }

    /// The JSON body of the response, if any.
    pub(crate) fn body(&self) -> Option<Value> {
        let text = String::from_utf8_lossy(&self.bytes);
        let (_, body) = text.split_once("\r\n\r\n")?;
        serde_json::from_str(body.trim()).ok()
    }
}

/// Sends `bytes` on a fresh connection, then stalls and reads until the
/// server closes the connection. Panics if it is still open after [`HANG`].
pub(crate) async fn send_and_stall(addr: SocketAddr, bytes: &[u8]) -> Seen {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream.write_all(bytes).await.expect("send");
    read_until_closed(&mut stream).await
}

/// Reads until end of file (or a reset); panics after [`HANG`].
pub(crate) async fn read_until_closed(stream: &mut TcpStream) -> Seen {
    let mut bytes = Vec::new();
    let reading = async {
        let mut buffer = [0u8; 4096];
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(n) => bytes.extend_from_slice(&buffer[..n]),
            }
        }
    };
    tokio::time::timeout(HANG, reading)
        .await
        .expect("the server closes a stalled connection");
    Seen { bytes }
}
