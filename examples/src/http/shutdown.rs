//! Graceful, bounded shutdown for the HTTP examples.
//!
//! On SIGTERM (what orchestrators send) or SIGINT (Ctrl-C):
//!
//! 1. the server stops accepting connections ([`Shutdown::signal`] is the
//!    future to give axum's `with_graceful_shutdown`, or to await before
//!    actix's `ServerHandle::stop(true)`);
//! 2. at the same moment the runtime's drain starts
//!    ([`cmdx::Runtime::shutdown_timeout`]): requests in flight (tracked by
//!    the chain layer) and detached work (run-to-completion writes, a
//!    dropped workflow's compensation) may finish until the deadline —
//!    `CMDX_SHUTDOWN_TIMEOUT_MS`, 5 s by default;
//! 3. at the deadline what is left is dropped: each execution it was
//!    running writes its line (`interrupted by shutdown`), and its request
//!    answers `503`;
//! 4. [`Shutdown::finish`] waits for the server (bounded too), then
//!    flushes the ledger and exports the spans (the telemetry guard's
//!    `shutdown`), and reports on stderr.

use cmdx::{Runtime, ShutdownReport};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// The environment variable that sets the shutdown timeout, in
/// milliseconds.
pub const TIMEOUT_VAR: &str = "CMDX_SHUTDOWN_TIMEOUT_MS";

/// The shutdown timeout when [`TIMEOUT_VAR`] is not set.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// How long the server may take to close its connections after the
/// drain's deadline (dropped requests answer at once; this only bounds a
/// server that waits for idle keep-alive connections).
const SERVER_GRACE: Duration = Duration::from_secs(1);

/// The shutdown timeout from [`TIMEOUT_VAR`], else [`DEFAULT_TIMEOUT`].
///
/// # Errors
///
/// When the variable is set but not a number of milliseconds.
pub fn timeout_from_env() -> Result<Duration, String> {
    match std::env::var(TIMEOUT_VAR) {
        Err(_) => Ok(DEFAULT_TIMEOUT),
        Ok(value) => value
            .trim()
            .parse()
            .map(Duration::from_millis)
            .map_err(|_| {
                format!(
                    "{TIMEOUT_VAR}={value:?} is not a number of milliseconds; \
                 set it to e.g. 5000, or unset it for the default ({DEFAULT_TIMEOUT:?})"
                )
            }),
    }
}

/// Which signal asked for the shutdown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// SIGTERM.
    Terminate,
    /// SIGINT (Ctrl-C).
    Interrupt,
}

/// Waits for SIGTERM or SIGINT (on other platforms, Ctrl-C).
///
/// # Errors
///
/// When the signal handlers cannot be installed.
pub async fn signal() -> std::io::Result<Signal> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut terminate = signal(SignalKind::terminate())?;
        let mut interrupt = signal(SignalKind::interrupt())?;
        tokio::select! {
            _ = terminate.recv() => Ok(Signal::Terminate),
            _ = interrupt.recv() => Ok(Signal::Interrupt),
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await?;
        Ok(Signal::Interrupt)
    }
}

/// The shutdown sequence of one server; clones share it.
#[derive(Debug, Clone)]
pub struct Shutdown {
    runtime: Runtime,
    timeout: Duration,
    /// Set once a signal arrived.
    started: watch::Sender<Option<Signal>>,
    drain: Arc<Mutex<Option<JoinHandle<ShutdownReport>>>>,
}

impl Shutdown {
    /// A shutdown of `runtime`'s work within `timeout`.
    pub fn new(runtime: Runtime, timeout: Duration) -> Self {
        Self {
            runtime,
            timeout,
            started: watch::Sender::new(None),
            drain: Arc::default(),
        }
    }

    /// Installs the signal handlers now (so a signal sent right after
    /// start-up is not missed), then resolves at the first SIGTERM or
    /// SIGINT, once the runtime's drain has started: give it to the
    /// server's graceful shutdown.
    ///
    /// # Panics
    ///
    /// Outside a tokio runtime.
    pub fn signal(&self) -> impl Future<Output = ()> + Send + 'static {
        let this = self.clone();
        let (sender, received) = tokio::sync::oneshot::channel();
        tokio::spawn(async move {
            let signal = match signal().await {
                Ok(signal) => signal,
                Err(error) => {
                    eprintln!(
                        "# cannot listen for signals ({error}); stop the server with SIGKILL"
                    );
                    return std::future::pending().await;
                }
            };
            this.start(signal);
            let _ = sender.send(());
        });
        async move {
            let _ = received.await;
        }
    }

    /// Starts the shutdown (as a signal would).
    pub fn start(&self, signal: Signal) {
        let mut drain = self.drain.lock().unwrap_or_else(|p| p.into_inner());
        if drain.is_some() {
            return;
        }
        eprintln!(
            "# {signal:?}: stopping; requests in flight and detached work have {:?}",
            self.timeout
        );
        *drain = Some(tokio::spawn(self.runtime.shutdown_timeout(self.timeout)));
        self.started.send_replace(Some(signal));
    }

    /// Runs `server` until it ends, or until the drain's deadline (plus a
    /// second) after a signal: a server still waiting for connections then
    /// is dropped.
    pub async fn bounded<F: Future>(&self, server: F) -> Option<F::Output> {
        let mut started = self.started.subscribe();
        let deadline = async move {
            let _ = started.wait_for(Option::is_some).await;
            tokio::time::sleep(self.timeout + SERVER_GRACE).await;
        };
        tokio::select! {
            output = server => Some(output),
            () = deadline => {
                eprintln!("# the server did not stop within the timeout; dropping it");
                None
            }
        }
    }

    /// Waits for the drain (started by a signal, or now if the server
    /// stopped on its own), then flushes the ledger and exports the spans.
    ///
    /// # Errors
    ///
    /// When the ledger or the exporter could not be flushed.
    pub async fn finish(
        &self,
        telemetry: cmdx_telemetry::Telemetry,
    ) -> Result<ShutdownReport, cmdx_telemetry::ShutdownError> {
        self.start(Signal::Terminate);
        let drain = self.drain.lock().unwrap_or_else(|p| p.into_inner()).take();
        let report = match drain {
            Some(drain) => drain.await.ok(),
            None => None,
        };
        let report = match report {
            Some(report) => report,
            None => self.runtime.shutdown_timeout(Duration::ZERO).await,
        };
        eprintln!("# shutdown: {report}");
        telemetry.shutdown().await?;
        Ok(report)
    }
}
