//! [`StoreUrl`]: which database a store URL names.

use crate::{ErrorKind, StoreError};
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

/// A parsed store URL: `sqlite:PATH` (also `sqlite://PATH`) or
/// `postgres://user:password@host:port/database` (also `postgresql://`).
/// Displayed with its password hidden.
///
/// ```
/// use cmdx_store::StoreUrl;
///
/// let url: StoreUrl = "sqlite:ledger.db".parse().unwrap();
/// assert_eq!(url, StoreUrl::Sqlite("ledger.db".into()));
/// let pg: StoreUrl = "postgres://app:s3cret@127.0.0.1:5432/ledger".parse().unwrap();
/// assert_eq!(pg.to_string(), "postgres://app:***@127.0.0.1:5432/ledger");
/// let error = "mysql://x".parse::<StoreUrl>().unwrap_err();
/// assert!(error.to_string().contains("sqlite:PATH or postgres://"), "{error}");
/// ```
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StoreUrl {
    /// A SQLite file (created if missing; its directory must exist).
    Sqlite(PathBuf),
    /// A PostgreSQL connection URL, as given.
    Postgres(String),
}

impl StoreUrl {
    /// Parses a store URL.
    pub fn parse(url: &str) -> Result<Self, StoreError> {
        let url = url.trim();
        if let Some(path) = url.strip_prefix("sqlite:") {
            let path = path.strip_prefix("//").unwrap_or(path);
            if path.is_empty() {
                return Err(url_error(url, "the path is empty: use sqlite:PATH"));
            }
            if path == ":memory:" || path.starts_with(":memory:") {
                return Err(url_error(
                    url,
                    "an in-memory database is lost at exit: give a file path (sqlite:ledger.db)",
                ));
            }
            if path.contains('?') {
                return Err(url_error(
                    url,
                    "options (`?…`) are not supported: give a plain path (sqlite:ledger.db)",
                ));
            }
            return Ok(Self::Sqlite(PathBuf::from(path)));
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Self::Postgres(url.to_owned()));
        }
        Err(url_error(
            url,
            "not a store URL: use sqlite:PATH or postgres://user:password@host:port/database",
        ))
    }

    /// The URL with its password replaced by `***` (for messages).
    pub fn redacted(&self) -> String {
        match self {
            Self::Sqlite(path) => format!("sqlite:{}", path.display()),
            Self::Postgres(url) => redact(url),
        }
    }
}

impl FromStr for StoreUrl {
    type Err = StoreError;

    fn from_str(url: &str) -> Result<Self, StoreError> {
        Self::parse(url)
    }
}

impl fmt::Display for StoreUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl fmt::Debug for StoreUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StoreUrl({})", self.redacted())
    }
}

fn url_error(url: &str, why: &str) -> StoreError {
    StoreError::new(
        ErrorKind::Url,
        format!("database URL `{}`: {why}", redact(url)),
    )
}

/// `scheme://user:password@…` → `scheme://user:***@…`.
fn redact(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return url.to_owned();
    };
    let rest = &url[scheme_end..];
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    match (authority.rfind('@'), authority.find(':')) {
        (Some(at), Some(colon)) if colon < at => format!(
            "{}{}:***{}",
            &url[..scheme_end],
            &authority[..colon],
            &rest[at..]
        ),
        _ => url.to_owned(),
    }
}
