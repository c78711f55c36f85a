//! Graceful, bounded shutdown for the HTTP examples.
//!
//! On SIGTERM (what orchestrators send) or SIGINT (Ctrl-C), within one
//! budget — `CMDX_SHUTDOWN_TIMEOUT_MS`, 5 s by default, from the signal to
//! the process's exit:
//!
//! 1. the server stops accepting connections ([`Shutdown::signal`] is the
//!    future to give the server's graceful shutdown, or to await before
//!    actix's `ServerHandle::stop(true)`);
//! 2. at the same moment the runtime's drain starts
//!    ([`cmdx::Runtime::shutdown_timeout`]): requests in flight (tracked by
//!    the chain layer) and detached work (run-to-completion writes, a
//!    dropped workflow's compensation) may finish until the drain's
//!    deadline — the budget minus one second for the server to close and
//!    minus a fifth for the flush ([`drain_timeout`]);
//! 3. at that deadline what is left is dropped: each execution it was
//!    running writes its line (`interrupted by shutdown`), and its request
//!    answers `503`; the server gets the second to close;
//! 4. [`Shutdown::finish`] flushes the ledger and exports the spans (the
//!    telemetry guard's `shutdown`, given [`flush_timeout`]) and reports on
//!    stderr, by the end of the budget.

use cmdx::{Runtime, ShutdownReport};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// The environment variable that sets the shutdown budget (signal to
/// exit), in milliseconds.
pub const TIMEOUT_VAR: &str = "CMDX_SHUTDOWN_TIMEOUT_MS";

/// The shutdown budget when [`TIMEOUT_VAR`] is not set.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// How long the server may take to close its connections after the
/// drain's deadline (dropped requests answer at once; this only bounds a
/// server that waits for idle keep-alive connections). The runtime's wait
/// for the work it dropped (at most a second too) runs at the same time.
const SERVER_GRACE: Duration = Duration::from_secs(1);

/// The share of the budget `total` kept for flushing the ledger and the
/// spans: a fifth. Give it to the telemetry builder's `shutdown_timeout`.
pub fn flush_timeout(total: Duration) -> Duration {
    total / 5
}

/// The share of the budget `total` in which requests in flight and
/// detached work may finish: what is left after the server's close (one
/// second) and [`flush_timeout`].
pub fn drain_timeout(total: Duration) -> Duration {
    total.saturating_sub(SERVER_GRACE + flush_timeout(total))
}

/// The shutdown budget from [`TIMEOUT_VAR`], else [`DEFAULT_TIMEOUT`].
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
    /// The whole budget, signal to exit.
    timeout: Duration,
    /// Set once a signal arrived.
    started: watch::Sender<Option<Signal>>,
    /// When the shutdown started, and the drain.
    drain: Arc<Mutex<Option<Draining>>>,
}

/// When the shutdown started, and the runtime's drain.
type Draining = (Instant, JoinHandle<ShutdownReport>);

impl Shutdown {
    /// A shutdown of `runtime`'s work within the budget `timeout` (signal
    /// to exit; see the module documentation for its shares).
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
        let drain_timeout = drain_timeout(self.timeout);
        eprintln!(
            "# {signal:?}: stopping within {:?}; requests in flight and detached work have {drain_timeout:?}",
            self.timeout
        );
        *drain = Some((
            Instant::now(),
            tokio::spawn(self.runtime.shutdown_timeout(drain_timeout)),
        ));
        self.started.send_replace(Some(signal));
    }

    /// Runs `server` until it ends, or until the drain's deadline plus a
    /// second after a signal: a server still waiting for connections then
    /// is dropped.
    pub async fn bounded<F: Future>(&self, server: F) -> Option<F::Output> {
        let mut started = self.started.subscribe();
        let deadline = async move {
            let _ = started.wait_for(Option::is_some).await;
            tokio::time::sleep(drain_timeout(self.timeout) + SERVER_GRACE).await;
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
    /// stopped on its own), then flushes the ledger and exports the spans,
    /// giving up on the flush at the end of the budget (and saying so on
    /// stderr).
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
        let (started, report) = match drain {
            Some((started, drain)) => (started, drain.await.ok()),
            None => (Instant::now(), None),
        };
        let report = match report {
            Some(report) => report,
            None => self.runtime.shutdown_timeout(Duration::ZERO).await,
        };
        eprintln!("# shutdown: {report}");
        let end = tokio::time::Instant::from_std(started + self.timeout);
        match tokio::time::timeout_at(end, telemetry.shutdown()).await {
            Ok(flushed) => flushed?,
            Err(_) => eprintln!(
                "# the ledger and the spans were not flushed within the shutdown budget ({:?}); exiting",
                self.timeout
            ),
        }
        Ok(report)
    }
}
