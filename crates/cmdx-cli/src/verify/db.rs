//! Verifying a ledger database: every row (log lines included) in insertion
//! order — its line's seal chain, then its columns against its line.

use cmdx_store::seal::Verifier;

use super::{Verified, broken, columns};
use crate::db::Database;
use crate::db::pushdown::Select;
use crate::error::Failure;
use crate::scan::Flow;

/// Verifies every row of the database at `url`, stopping at the first
/// broken link or the first row whose columns disagree with its line.
pub(super) fn verify(url: &str, max_line: usize) -> Result<Verified, Failure> {
    let mut db = Database::open(url)?;
    let name = db.name().to_owned();
    let dialect = db.dialect();
    let select = Select {
        sql: columns::select(dialect),
        params: Vec::new(),
    };
    let mut verifier = Verifier::new();
    let mut lines = 0u64;
    let mut failure = None;
    db.for_each(&select, &mut |row| {
        let fail = |e: sqlx::Error| Failure::usage(format!("cannot read {name}: {e}"));
        let id: i64 = row.get(0).map_err(fail)?;
        let line: String = row.get(1).map_err(fail)?;
        let location = format!("{name} row {id}");
        if line.len() > max_line {
            failure = Some(Failure::answer(format!(
                "cannot verify {location}: line longer than {max_line} bytes (raise the limit \
                 with --max-line-bytes)"
            )));
            return Ok(Flow::Stop);
        }
        if let Err(what) = verifier.check(&line) {
            failure = Some(broken(&location, &what, lines));
            return Ok(Flow::Stop);
        }
        let derived = match cmdx_store::Row::from_line(&line) {
            Ok(derived) => derived,
            Err(e) => {
                failure = Some(broken(
                    &location,
                    &format_args!("its line cannot be a row: {e}"),
                    lines,
                ));
                return Ok(Flow::Stop);
            }
        };
        let stored = columns::read(&row, dialect);
        let derived = columns::derive(&derived, dialect);
        if let Some((column, stored, derived)) =
            columns::first_difference(&stored, &derived, dialect)
        {
            failure = Some(broken(
                &location,
                &format_args!(
                    "column {column} is {stored} but the row's sealed line says {derived} (the \
                     column was changed after the line was written)"
                ),
                lines,
            ));
            return Ok(Flow::Stop);
        }
        lines += 1;
        Ok(Flow::Continue)
    })?;
    match failure {
        Some(failure) => Err(failure),
        None => Ok(Verified::new(lines, &verifier)),
    }
}
