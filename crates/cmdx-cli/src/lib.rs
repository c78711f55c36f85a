//! The `cmdx` command-line tool: answers "what happened, and why?" from cmdx
//! ledger files (one JSON line per task execution, schema v1) or ledger
//! databases (SQLite, PostgreSQL), and checks their tamper-evidence seals.
//!
//! ```text
//! cmdx ledger query    [FILTERS] [--sort ts|duration] [--limit N] [--format table|json|ndjson] [FILE…|-|--db URL]
//! cmdx ledger timeline [FILTERS] [--format …] [FILE…|-|--db URL]
//! cmdx ledger tree CID [--format text|json] [--color auto|always|never] [FILE…|-|--db URL]
//! cmdx ledger stats    [FILTERS] [--by task|status|code] [--format …] [FILE…|-|--db URL]
//! cmdx ledger verify   [FILE…|-|--db URL]
//! ```
//!
//! `--db sqlite:PATH` or `--db postgres://…` (default `CMDX_LEDGER_DB` when
//! no FILE is given) reads the table the ledger sinks write: filters go down
//! to SQL, and each returned line goes through the same parsing, filters and
//! rendering as a line of a file.
//!
//! The binary is a thin shell over [`run`]. The library also exposes the two
//! parsers the scan is built on, so they can be tested and fuzzed directly:
//! [`line::parse_line`] for ledger lines and [`where_expr::WhereExpr::parse`]
//! for `--where` expressions. See `docs/ledger-cli.md` for a guided tour.

pub mod line;
pub mod where_expr;

mod cli;
mod db;
mod diagnostics;
mod durations;
mod error;
mod external_sort;
mod filter;
mod input;
mod output;
mod query;
mod scan;
mod sealed;
mod source;
mod stats;
mod timeline;
mod tree;
mod verify;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command, LedgerCommand};

/// Parses the command line, runs the command and returns its exit status:
/// 0 on success, 1 when `--strict` saw bad lines, `tree` found no chain or
/// `verify` found a broken link, 2 on bad arguments or unreadable input (a
/// file or a database).
pub fn run() -> ExitCode {
    let cli = Cli::parse();
    let Command::Ledger { command } = cli.command;
    let result = match &command {
        LedgerCommand::Query(args) => query::run(args),
        LedgerCommand::Timeline(args) => timeline::run(args),
        LedgerCommand::Tree(args) => tree::run(args),
        LedgerCommand::Stats(args) => stats::run(args),
        LedgerCommand::Verify(args) => verify::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) if failure.is_broken_pipe() => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("cmdx: error: {failure}");
            ExitCode::from(failure.code())
        }
    }
}
