//! Reading a ledger database (`--db sqlite:PATH` or `--db postgres://…`):
//! the filters go down to SQL ([`pushdown`]), the rows come back in
//! insertion order, and each row's `line` — the exact ledger line — goes
//! through the same parsing, filter and rendering as a line of a file.
//!
//! The database is opened read-only (a missing SQLite file is an error, not
//! a new empty ledger) and its schema version is checked first: a database
//! written by a newer cmdx is refused with a clear message instead of being
//! misread.

mod connect;
pub(crate) mod pushdown;

use std::io;

use futures::TryStreamExt;
use sqlx::Row as _;

use crate::cli::InputArgs;
use crate::diagnostics::Diagnostics;
use crate::error::Failure;
use crate::filter::Filter;
use crate::line::{LedgerLine, parse_line};
use crate::scan::{Flow, Summary};
use crate::sealed;

pub(crate) use connect::{Connection, Database};
use pushdown::{Param, Select};

/// Like [`crate::scan::scan`], over the rows of the database at `url`.
pub(crate) fn scan<V>(
    url: &str,
    input: &InputArgs,
    filter: &Filter,
    mut visit: V,
) -> Result<Summary, Failure>
where
    V: FnMut(&LedgerLine<'_>, &[u8]) -> io::Result<Flow>,
{
    let mut db = Database::open(url)?;
    let select = pushdown::select(filter, db.dialect(), !input.strict);
    let max_line = usize::try_from(input.max_line_bytes).unwrap_or(usize::MAX);
    let mut diagnostics = Diagnostics::new(None);
    let name = db.name().to_owned();
    let mut on_row = |id: i64, line: &str| -> io::Result<Flow> {
        let line = line.as_bytes();
        let location = format!("{name} row {id}");
        if line.len() > max_line {
            let what = format!(
                "line longer than {max_line} bytes (raise the limit with --max-line-bytes)"
            );
            diagnostics.report_row(&location, &what);
            return Ok(Flow::Continue);
        }
        match parse_line(line) {
            Ok(parsed) if filter.matches(&parsed) => visit(&parsed, &sealed::record(&parsed, line)),
            Ok(_) => Ok(Flow::Continue),
            Err(e) => {
                diagnostics.report_row(&location, &e);
                Ok(Flow::Continue)
            }
        }
    };
    let result = db.rows(&select, &mut on_row);
    diagnostics.finish();
    result?;
    Ok(Summary {
        bad: diagnostics.total(),
    })
}

/// One fetched row, of either database.
pub(crate) enum RowRef<'r> {
    /// A SQLite row.
    Sqlite(&'r sqlx::sqlite::SqliteRow),
    /// A PostgreSQL row.
    Postgres(&'r sqlx::postgres::PgRow),
}

impl std::fmt::Debug for RowRef<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Sqlite(_) => "RowRef::Sqlite",
            Self::Postgres(_) => "RowRef::Postgres",
        })
    }
}

impl RowRef<'_> {
    /// Column `at` as `T`.
    pub(crate) fn get<T>(&self, at: usize) -> Result<T, sqlx::Error>
    where
        T: for<'a> sqlx::Decode<'a, sqlx::Sqlite>
            + sqlx::Type<sqlx::Sqlite>
            + for<'a> sqlx::Decode<'a, sqlx::Postgres>
            + sqlx::Type<sqlx::Postgres>,
    {
        match self {
            Self::Sqlite(row) => row.try_get(at),
            Self::Postgres(row) => row.try_get(at),
        }
    }
}

impl Database {
    /// Streams `select`'s rows into `on_row`, in order, until it says stop.
    /// Only the current row is held.
    pub(crate) fn for_each(
        &mut self,
        select: &Select,
        on_row: &mut dyn FnMut(RowRef<'_>) -> Result<Flow, Failure>,
    ) -> Result<(), Failure> {
        let name = self.name().to_owned();
        let fail = |e: sqlx::Error| Failure::usage(format!("cannot read {name}: {e}"));
        let (runtime, connection) = self.parts();
        runtime.block_on(async {
            match connection {
                Connection::Sqlite(conn) => {
                    let mut query = sqlx::query(&select.sql);
                    for Param::Text(text) in &select.params {
                        query = query.bind(text.as_str());
                    }
                    let mut rows = query.fetch(conn);
                    while let Some(row) = rows.try_next().await.map_err(fail)? {
                        if on_row(RowRef::Sqlite(&row))? == Flow::Stop {
                            break;
                        }
                    }
                }
                Connection::Postgres(conn) => {
                    let mut query = sqlx::query(&select.sql);
                    for Param::Text(text) in &select.params {
                        query = query.bind(text.as_str());
                    }
                    let mut rows = query.fetch(conn);
                    while let Some(row) = rows.try_next().await.map_err(fail)? {
                        if on_row(RowRef::Postgres(&row))? == Flow::Stop {
                            break;
                        }
                    }
                }
            }
            Ok(())
        })
    }

    /// Streams `select`'s `(id, line)` rows into `on_row` until it says stop.
    pub(crate) fn rows(
        &mut self,
        select: &Select,
        on_row: &mut dyn FnMut(i64, &str) -> io::Result<Flow>,
    ) -> Result<(), Failure> {
        let name = self.name().to_owned();
        self.for_each(select, &mut |row| {
            let fail = |e: sqlx::Error| Failure::usage(format!("cannot read {name}: {e}"));
            let id: i64 = row.get(0).map_err(fail)?;
            let line: String = row.get(1).map_err(fail)?;
            Ok(on_row(id, &line)?)
        })
    }
}

#[cfg(test)]
mod tests;
