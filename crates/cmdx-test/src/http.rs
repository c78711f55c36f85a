//! [`AxumServer`]: a real axum server on a loopback port, for tests.

use std::net::SocketAddr;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// An axum app served on `127.0.0.1` at a free port, in a background task;
/// stopped when dropped (or with [`AxumServer::stop`]).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use axum::{Router, routing::get};
/// use cmdx_test::AxumServer;
///
/// let server = AxumServer::start(Router::new().route("/", get(|| async { "hi" }))).await;
/// assert!(server.url("/").starts_with("http://127.0.0.1:"));
/// server.stop().await;
/// # }
/// ```
#[derive(Debug)]
pub struct AxumServer {
    addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl AxumServer {
    /// Binds `127.0.0.1:0` and serves `app` until stopped.
    ///
    /// # Panics
    ///
    /// When no loopback port can be bound (a test cannot run without one).
    pub async fn start(app: axum::Router) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("binding 127.0.0.1:0 for the test server");
        let addr = listener.local_addr().expect("the bound address");
        let (shutdown, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = stopped.await;
                })
                .await
        });
        Self {
            addr,
            shutdown: Some(shutdown),
            task: Some(task),
        }
    }

    /// The address served.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT` followed by `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Stops accepting, lets requests in flight finish, and waits for it.
    pub async fn stop(mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for AxumServer {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}
