//! Verifying a ledger database: every row in insertion order.

use super::{Chains, broken};
use crate::db::Database;
use crate::db::pushdown::Select;
use crate::error::Failure;
use crate::scan::Flow;

/// Verifies every row of the database at `url`, log lines included, in
/// `id` order, stopping at the first broken link.
pub(super) fn verify(url: &str, max_line: usize) -> Result<Chains, Failure> {
    let mut db = Database::open(url)?;
    let name = db.name().to_owned();
    let select = Select {
        sql: "SELECT id, line FROM cmdx_lines ORDER BY id".to_owned(),
        params: Vec::new(),
    };
    let mut chains = Chains::default();
    let mut failure = None;
    db.rows(&select, &mut |id, line| {
        let location = format!("{name} row {id}");
        if line.len() > max_line {
            failure = Some(Failure::answer(format!(
                "cannot verify {location}: line longer than {max_line} bytes (raise the limit \
                 with --max-line-bytes)"
            )));
            return Ok(Flow::Stop);
        }
        if let Err(what) = chains.push(line.as_bytes()) {
            failure = Some(broken(&location, &what, chains.lines()));
            return Ok(Flow::Stop);
        }
        Ok(Flow::Continue)
    })?;
    match failure {
        Some(failure) => Err(failure),
        None => Ok(chains),
    }
}
