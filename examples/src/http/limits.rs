//! [`Limits`]: how long a client may take, and how many may be connected.

use std::time::Duration;

/// Bounds on slow and idle clients, for both servers.
///
/// * `header_timeout`: a connection must send a request's complete
///   headers within it, counted from the moment the server waits for them
///   (so it also closes idle keep-alive connections);
/// * `body_timeout`: a request's complete body must arrive within it once
///   its headers have (`408` with code `request_timeout` otherwise);
/// * `max_connections`: connections served at once; more wait in the
///   kernel's accept queue until one closes (on actix-web the limit is
///   split evenly between the workers, rounded up).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Time allowed for a request's headers.
    pub header_timeout: Duration,
    /// Time allowed for a request's body, once its headers arrived.
    pub body_timeout: Duration,
    /// Connections served at once.
    pub max_connections: usize,
}

impl Default for Limits {
    /// 10 s for headers, 30 s for a body, 1024 connections.
    fn default() -> Self {
        Self {
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            max_connections: 1024,
        }
    }
}

impl Limits {
    /// The defaults, changed by `CMDX_HEADER_TIMEOUT_MS`,
    /// `CMDX_BODY_TIMEOUT_MS` and `CMDX_MAX_CONNECTIONS` when set; an
    /// error naming the variable when one is not a positive number.
    pub fn from_env() -> Result<Self, String> {
        let defaults = Self::default();
        Ok(Self {
            header_timeout: millis("CMDX_HEADER_TIMEOUT_MS")?.unwrap_or(defaults.header_timeout),
            body_timeout: millis("CMDX_BODY_TIMEOUT_MS")?.unwrap_or(defaults.body_timeout),
            max_connections: positive("CMDX_MAX_CONNECTIONS")?
                .map_or(defaults.max_connections, |n| n as usize),
        })
    }
}

fn millis(name: &str) -> Result<Option<Duration>, String> {
    Ok(positive(name)?.map(Duration::from_millis))
}

fn positive(name: &str) -> Result<Option<u64>, String> {
    match std::env::var(name) {
        Err(_) => Ok(None),
        Ok(text) => match text.trim().parse::<u64>() {
            Ok(n) if n > 0 => Ok(Some(n)),
            _ => Err(format!(
                "{name} must be a positive whole number, not {text:?}"
            )),
        },
    }
}
