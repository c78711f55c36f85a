//! The durable cmdx ledger.
//!
//! * [`seal`] (always compiled): tamper evidence — the per-writer hash
//!   chain every database row (and a sealed NDJSON line) carries, and a
//!   [`Verifier`](seal::Verifier) that finds the first broken link.
//! * [`Row`]: the columns of one stored line, derived from its text.
//! * [`Store`] (features `sqlite`, `postgres`): one append-only table,
//!   `cmdx_lines`, in a SQLite file or a PostgreSQL database, migrated on
//!   open; [`Store::append`] inserts a batch of sealed lines in one
//!   transaction. The library only ever inserts rows.
//!
//! Applications do not use this crate directly: `cmdx`'s
//! `Ledger::sqlite` / `Ledger::postgres` write through it. See
//! `docs/durable-ledger.md`.

mod error;
mod row;
pub mod seal;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod store;
mod url;

pub use error::{ErrorKind, StoreError};
pub use row::{LineKind, Row, RowError};
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub use store::{Backend, Store};
pub use url::StoreUrl;

/// The `metadata` keys where a v1 ledger line kept the framework's data: a
/// v2 line has them in `code`, `errors` and `framework`. Shared by the
/// engine (which reads v1 lines back as v2) and the CLI (whose queries on
/// v1 lines read them where v2 puts them).
pub const V1_FRAMEWORK_KEYS: &[&str] = &[
    "code",
    "errors",
    "rollback_error",
    "hook",
    "halted_by",
    "failures",
    "compensation_failures",
    "not_started",
];

/// The newest schema version this crate writes (`cmdx_migrations.version`).
pub const SCHEMA_VERSION: i64 = 2;
