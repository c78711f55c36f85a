//! [`StoreError`]: what went wrong opening or appending to a store, and
//! whether trying again can help.

use std::error::Error;
use std::fmt;

/// What kind of failure a [`StoreError`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The URL is not `sqlite:PATH` or `postgres://…`, or is malformed.
    Url,
    /// The store's feature (`sqlite`, `postgres`) is not compiled in.
    Unsupported,
    /// The directory of a SQLite file does not exist.
    NotFound,
    /// The database cannot be written (a read-only file or mount).
    ReadOnly,
    /// The disk (or the database's quota) is full.
    Full,
    /// The server is unreachable, restarting, or the connection broke:
    /// trying again later can succeed.
    Unavailable,
    /// The database holds a newer schema than this version knows, or a
    /// migration failed.
    Schema,
    /// A line could not be turned into a row.
    Line,
    /// Anything else the database reported.
    Database,
}

/// A store could not be opened or written. Says what happened and what to
/// do; [`kind`](Self::kind) tells the cases apart and
/// [`is_transient`](Self::is_transient) whether retrying can help.
///
/// ```
/// let error = cmdx_store::StoreError::new(cmdx_store::ErrorKind::Url, "bad URL");
/// assert!(!error.is_transient());
/// assert_eq!(error.to_string(), "bad URL");
/// ```
#[derive(Debug)]
pub struct StoreError {
    kind: ErrorKind,
    message: String,
    source: Option<Box<dyn Error + Send + Sync>>,
}

impl StoreError {
    /// An error of `kind` with a message for people.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            source: None,
        }
    }

    /// The same, caused by `source` (shown after the message).
    pub fn with_source(mut self, source: impl Into<Box<dyn Error + Send + Sync>>) -> Self {
        self.source = Some(source.into());
        self
    }

    /// What kind of failure.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// Whether the same operation can succeed later (the server is down
    /// or restarting, the connection broke, the database is locked).
    pub fn is_transient(&self) -> bool {
        self.kind == ErrorKind::Unavailable
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if let Some(source) = &self.source {
            write!(f, ": {source}")?;
        }
        Ok(())
    }
}

impl Error for StoreError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        self.source
            .as_deref()
            .map(|source| source as &(dyn Error + 'static))
    }
}
