//! `cmdx ledger verify`: checks the seal chain of sealed ledger files or of
//! a ledger database and reports the first broken link.
//!
//! The rules are `cmdx_store::seal`'s [`Verifier`]: per writer id, `seq`
//! goes 0, 1, 2, … with no gap or repeat and every hash is
//! `SHA-256(previous hash || line without its seal)`. Files are read as one
//! stream in the order given (a writer's chain goes on across rotated
//! files); a database in insertion order (`id`), where each row's columns
//! are also re-derived from its `line` and compared, so a row edited in one
//! column only is caught too. A chain cut at its end (a truncated tail)
//! cannot be told from a shorter one: the last lines of a writer can be
//! removed without a trace. One pass, linear in the input; memory: one hash
//! per writer, whatever the number of lines.

mod columns;
mod db;
mod files;

use std::fmt::Display;
use std::io::Write;

use cmdx_store::seal::Verifier;

use crate::cli::VerifyArgs;
use crate::error::Failure;
use crate::output;
use crate::source;

/// What an intact verification saw.
#[derive(Debug)]
struct Verified {
    lines: u64,
    /// Each writer's id and line count, by id.
    writers: Vec<(String, u64)>,
}

impl Verified {
    fn new(lines: u64, verifier: &Verifier) -> Self {
        let mut writers: Vec<(String, u64)> = verifier
            .writers()
            .map(|(wid, count)| (wid.to_string(), count))
            .collect();
        writers.sort();
        Self { lines, writers }
    }
}

/// Runs the verification: prints a summary and succeeds when every chain is
/// intact; fails with exit status 1 at the first broken link.
pub(crate) fn run(args: &VerifyArgs) -> Result<(), Failure> {
    let max_line = usize::try_from(args.max_line_bytes).unwrap_or(usize::MAX);
    let verified = match source::database(&args.files, args.db.as_deref()) {
        Some(url) => db::verify(&url, max_line)?,
        None => files::verify(&args.files, max_line)?,
    };
    let mut out = output::stdout();
    summary(&mut out, &verified)?;
    out.flush()?;
    Ok(())
}

/// The failure for a broken link at `location`, after `verified` good lines.
fn broken(location: &str, what: &dyn Display, verified: u64) -> Failure {
    Failure::answer(format!(
        "broken chain at {location}: {what}; {verified} line(s) verified before it"
    ))
}

fn summary(out: &mut impl Write, verified: &Verified) -> std::io::Result<()> {
    let s = |n: u64| if n == 1 { "" } else { "s" };
    let count = verified.writers.len() as u64;
    writeln!(
        out,
        "intact: {} line{} from {count} writer{}",
        verified.lines,
        s(verified.lines),
        s(count)
    )?;
    for (wid, lines) in &verified.writers {
        writeln!(
            out,
            "writer {wid}: {lines} line{} (seq 0..{lines})",
            s(*lines)
        )?;
    }
    Ok(())
}
