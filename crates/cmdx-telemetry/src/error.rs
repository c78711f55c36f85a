//! Errors of start-up and shutdown.

use std::fmt;
use std::time::Duration;

/// Telemetry could not be set up; the message says what to change.
#[derive(Debug)]
pub struct InitError {
    kind: InitErrorKind,
    message: String,
}

/// What kind of [`InitError`] happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum InitErrorKind {
    /// An `OTEL_*` variable or a builder setting is invalid.
    Config,
    /// The OTLP exporter could not be built.
    Exporter,
    /// A global `tracing` subscriber or a global `cmdx::Runtime` was
    /// already installed.
    AlreadyInstalled,
}

impl InitError {
    pub(crate) fn config(message: String) -> Self {
        Self {
            kind: InitErrorKind::Config,
            message,
        }
    }

    pub(crate) fn exporter(message: String) -> Self {
        Self {
            kind: InitErrorKind::Exporter,
            message,
        }
    }

    pub(crate) fn already_installed(message: String) -> Self {
        Self {
            kind: InitErrorKind::AlreadyInstalled,
            message,
        }
    }

    /// What went wrong, as a kind.
    pub fn kind(&self) -> InitErrorKind {
        self.kind
    }
}

impl fmt::Display for InitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cmdx-telemetry: {}", self.message)
    }
}

impl std::error::Error for InitError {}

/// Pending spans or log records could not all be exported, or pending
/// ledger lines could not all be written, at shutdown.
#[derive(Debug)]
pub struct ShutdownError {
    message: String,
    timed_out: bool,
}

impl ShutdownError {
    /// `what` names the signal: `"span"` or `"log"`.
    pub(crate) fn timed_out(what: &str, timeout: Duration) -> Self {
        Self {
            message: format!(
                "{what} export did not finish within {timeout:?}; pending {what}s were dropped \
                 (is the collector at the OTLP endpoint running?)"
            ),
            timed_out: true,
        }
    }

    /// `what` names the signal: `"span"` or `"log"`.
    pub(crate) fn failed(what: &str, message: String) -> Self {
        Self {
            message: format!("{what} export failed at shutdown: {message}"),
            timed_out: false,
        }
    }

    pub(crate) fn ledger(error: &cmdx::ledger::FlushError) -> Self {
        Self {
            message: format!("ledger lines not all written at shutdown: {error}"),
            timed_out: true,
        }
    }

    /// Whether the timeout ran out (as opposed to the exporter reporting an
    /// error).
    pub fn is_timeout(&self) -> bool {
        self.timed_out
    }
}

impl fmt::Display for ShutdownError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cmdx-telemetry: {}", self.message)
    }
}

impl std::error::Error for ShutdownError {}
