//! Where a command reads its lines: files (or stdin), or a ledger database.

/// The environment variable naming the default ledger database.
pub(crate) const DB_ENV: &str = "CMDX_LEDGER_DB";

/// The database to read: `--db` when given; otherwise `CMDX_LEDGER_DB` when
/// set (non-empty) and no FILE was given; otherwise `None` (files, stdin).
pub(crate) fn database(files: &[String], db: Option<&str>) -> Option<String> {
    if let Some(url) = db {
        return Some(url.to_owned());
    }
    if !files.is_empty() {
        return None;
    }
    std::env::var(DB_ENV)
        .ok()
        .filter(|url| !url.trim().is_empty())
}
