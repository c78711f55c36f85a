//! `cmdx ledger verify`: checks the seal chain of sealed ledger files or of
//! a ledger database and reports the first broken link.
//!
//! Files are read as one stream in the order given (a writer's chain goes
//! on across rotated files); a database in insertion order (`id`), where
//! each row's columns are also re-derived from its `line` and compared, so
//! a row edited in one column only is caught too. A chain cut at its end (a
//! truncated tail) cannot be told from a shorter one: the last lines of a
//! writer can be removed without a trace. Cost: one pass, linear; memory:
//! one hash per writer.

pub(crate) mod chain;
mod db;
mod files;

use std::collections::BTreeMap;
use std::io::Write;

use crate::cli::VerifyArgs;
use crate::error::Failure;
use crate::output;
use crate::source;

use chain::{Broken, Chains, Writer};

/// Runs the verification: prints a summary and succeeds when every chain is
/// intact, fails with exit status 1 at the first broken link.
pub(crate) fn run(args: &VerifyArgs) -> Result<(), Failure> {
    let max_line = usize::try_from(args.max_line_bytes).unwrap_or(usize::MAX);
    let chains = match source::database(&args.files, args.db.as_deref()) {
        Some(url) => db::verify(&url, max_line)?,
        None => files::verify(&args.files, max_line)?,
    };
    let mut out = output::stdout();
    summary(&mut out, chains.lines(), chains.writers())?;
    out.flush()?;
    Ok(())
}

/// The failure for a broken link at `location`, after `verified` good lines.
fn broken(location: &str, what: &Broken, verified: u64) -> Failure {
    Failure::answer(format!(
        "broken chain at {location}: {what} ({verified} line(s) verified before it)"
    ))
}

fn summary(
    out: &mut impl Write,
    lines: u64,
    writers: &BTreeMap<String, Writer>,
) -> std::io::Result<()> {
    let s = |n: u64| if n == 1 { "" } else { "s" };
    let count = writers.len() as u64;
    writeln!(
        out,
        "intact: {lines} line{} from {count} writer{}",
        s(lines),
        s(count)
    )?;
    for (wid, writer) in writers {
        writeln!(
            out,
            "writer {wid}: seq 0..={} ({} line{})",
            writer.next - 1,
            writer.next,
            s(writer.next)
        )?;
    }
    Ok(())
}
