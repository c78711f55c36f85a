//! The `cmdx` command-line tool: answers "what happened, and why?" from cmdx
//! ledger files (one JSON line per task execution, schema v1).
//!
//! ```text
//! cmdx ledger query    [FILTERS] [--sort ts|duration] [--limit N] [--format table|json|ndjson] [FILE…|-]
//! cmdx ledger timeline [FILTERS] [--with-logs] [--format …] [FILE…|-]
//! cmdx ledger tree CID [--format text|json] [--color auto|always|never] [FILE…|-]
//! cmdx ledger stats    [FILTERS] [--by task|status|code] [--format …] [FILE…|-]
//! ```
//!
//! The binary is a thin shell over [`run`]. The library also exposes the two
//! parsers the scan is built on, so they can be tested and fuzzed directly:
//! [`line::parse_line`] for ledger lines and [`where_expr::WhereExpr::parse`]
//! for `--where` expressions. See `docs/ledger-cli.md` for a guided tour.

pub mod line;
pub mod where_expr;

mod cli;
mod diagnostics;
mod durations;
mod error;
mod external_sort;
mod filter;
mod input;
mod output;
mod query;
mod scan;
mod stats;
mod timeline;
mod timeline_logs;
mod tree;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command, LedgerCommand};

/// Parses the command line, runs the command and returns its exit status:
/// 0 on success, 1 when `--strict` saw bad lines or `tree` found no chain,
/// 2 on bad arguments or unreadable input.
pub fn run() -> ExitCode {
    let cli = Cli::parse();
    let Command::Ledger { command } = cli.command;
    let result = match &command {
        LedgerCommand::Query(args) => query::run(args),
        LedgerCommand::Timeline(args) => timeline::run(args),
        LedgerCommand::Tree(args) => tree::run(args),
        LedgerCommand::Stats(args) => stats::run(args),
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
