//! The command line, declared with clap's derive API.

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::line::{Kind, State, Status};

/// cmdx — answer "what happened, and why?" from cmdx ledger files and databases.
#[derive(Debug, Parser)]
#[command(name = "cmdx", version, about, long_about = None)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// Top-level commands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Read ledger NDJSON files (plain or gzip; `-` or none for stdin) or a
    /// ledger database (`--db`).
    Ledger {
        #[command(subcommand)]
        command: LedgerCommand,
    },
}

/// `cmdx ledger …` subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum LedgerCommand {
    /// Print the lines that pass every filter.
    Query(QueryArgs),
    /// One row per execution, time-ordered: time, task, status, key inputs, reason.
    Timeline(TimelineArgs),
    /// Show one chain as a tree through its parent links.
    Tree(TreeArgs),
    /// Per-task (or per-status, per-code) counts and duration percentiles.
    Stats(StatsArgs),
    /// Check the seal chain of sealed ledger files or of a ledger database:
    /// reports the first broken link, exits 1 when there is one.
    Verify(VerifyArgs),
}

/// Where the lines come from and how bad lines are treated.
#[derive(Debug, Args)]
pub(crate) struct InputArgs {
    /// Ledger files, plain or gzip (detected by magic bytes); `-` or none reads
    /// stdin (or the database named by `CMDX_LEDGER_DB`, when set).
    #[arg(value_name = "FILE")]
    pub(crate) files: Vec<String>,
    /// Read a ledger database instead of files: `sqlite:PATH` or
    /// `postgres://USER:PASSWORD@HOST:PORT/DB`. Filters run in SQL where they
    /// can. Default: `CMDX_LEDGER_DB` when no FILE is given.
    #[arg(long, value_name = "URL", conflicts_with = "files")]
    pub(crate) db: Option<String>,
    /// Exit with status 1 when any line is malformed, foreign or of an unknown
    /// version (they are still reported and skipped). Also validates every
    /// line fully instead of only the lines the pre-filter lets through.
    #[arg(long)]
    pub(crate) strict: bool,
    /// Longest line read, in bytes (newline excluded). A longer line is
    /// skipped without being held in memory, and reported like a bad line.
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_MAX_LINE_BYTES,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) max_line_bytes: u64,
}

/// The default of `--max-line-bytes`: 1 MiB, far above any ledger line.
pub(crate) const DEFAULT_MAX_LINE_BYTES: u64 = 1 << 20;

/// The default of `--sort-memory`: 64 MiB.
pub(crate) const DEFAULT_SORT_MEMORY: u64 = 64 << 20;

/// Filters; all given filters must hold (AND).
#[derive(Debug, Args, Default)]
pub(crate) struct FilterArgs {
    /// Chain id.
    #[arg(long)]
    pub(crate) cid: Option<String>,
    /// External correlation id.
    #[arg(long)]
    pub(crate) xid: Option<String>,
    /// Task name or glob, e.g. `Inventory::*`.
    #[arg(long, value_name = "GLOB")]
    pub(crate) task: Option<String>,
    /// Status (comma-separated for several).
    #[arg(long, value_delimiter = ',')]
    pub(crate) status: Vec<Status>,
    /// State (comma-separated for several).
    #[arg(long, value_delimiter = ',')]
    pub(crate) state: Vec<State>,
    /// Kind (comma-separated for several).
    #[arg(long, value_delimiter = ',')]
    pub(crate) kind: Vec<Kind>,
    /// Only root executions (index 0).
    #[arg(long)]
    pub(crate) root: bool,
    /// Only lines at or after this time: RFC 3339 or a span back from now (30m, 1h, 2d).
    #[arg(long, value_name = "TIME")]
    pub(crate) since: Option<String>,
    /// Only lines at or before this time: RFC 3339 or a span back from now.
    #[arg(long, value_name = "TIME")]
    pub(crate) until: Option<String>,
    /// PATH OP VALUE with OP one of = != > >= < <= ~ (`~text` substring,
    /// `~/re/` regex); a bare key like `sku=…` matches input.sku or
    /// metadata.sku. Repeatable.
    #[arg(long = "where", value_name = "EXPR")]
    pub(crate) r#where: Vec<String>,
}

/// Output format of `query`, `timeline` and `stats`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    /// A table for people (the default when stdout is a terminal).
    Table,
    /// One JSON array.
    Json,
    /// One JSON object per line (the default when stdout is not a terminal).
    Ndjson,
}

/// When to colour the tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub(crate) enum Color {
    /// When stdout is a terminal and `NO_COLOR` is unset.
    #[default]
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// Sort orders of `query`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum SortKey {
    /// Oldest first.
    Ts,
    /// Slowest first.
    Duration,
}

/// Arguments of `cmdx ledger query`.
#[derive(Debug, Args)]
pub(crate) struct QueryArgs {
    #[command(flatten)]
    pub(crate) filter: FilterArgs,
    /// Sort the matches (default: file order).
    #[arg(long)]
    pub(crate) sort: Option<SortKey>,
    /// Memory for sorting, in bytes: beyond it, sorted runs are written to
    /// temporary files (in `$TMPDIR`) and merged, so inputs larger than
    /// memory sort in bounded memory.
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_SORT_MEMORY,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) sort_memory: u64,
    /// Print at most N lines.
    #[arg(long, value_name = "N")]
    pub(crate) limit: Option<usize>,
    /// Output format (default: table on a terminal, ndjson otherwise).
    #[arg(long)]
    pub(crate) format: Option<Format>,
    #[command(flatten)]
    pub(crate) input: InputArgs,
}

/// Arguments of `cmdx ledger timeline`.
#[derive(Debug, Args)]
pub(crate) struct TimelineArgs {
    #[command(flatten)]
    pub(crate) filter: FilterArgs,
    /// Print at most N rows (the earliest).
    #[arg(long, value_name = "N")]
    pub(crate) limit: Option<usize>,
    /// Memory for sorting, in bytes: beyond it, sorted runs are written to
    /// temporary files (in `$TMPDIR`) and merged, so inputs larger than
    /// memory sort in bounded memory.
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_SORT_MEMORY,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) sort_memory: u64,
    /// Output format (default: table on a terminal, ndjson otherwise).
    #[arg(long)]
    pub(crate) format: Option<Format>,
    /// Show each execution's log lines (application events) under its row
    /// (`kind` `log`). Every line is parsed (no literal pre-filter).
    #[arg(long)]
    pub(crate) with_logs: bool,
    #[command(flatten)]
    pub(crate) input: InputArgs,
}

/// Output format of `tree`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub(crate) enum TreeFormat {
    /// Indented tree drawing.
    #[default]
    Text,
    /// Nested JSON (`children`, `compensations`).
    Json,
}

/// Arguments of `cmdx ledger tree`.
#[derive(Debug, Args)]
pub(crate) struct TreeArgs {
    /// The chain id (`cid`).
    pub(crate) cid: String,
    /// Output format.
    #[arg(long, default_value = "text")]
    pub(crate) format: TreeFormat,
    /// Colour statuses.
    #[arg(long, default_value = "auto")]
    pub(crate) color: Color,
    #[command(flatten)]
    pub(crate) input: InputArgs,
}

/// Grouping of `stats`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub(crate) enum GroupBy {
    /// Per task name.
    #[default]
    Task,
    /// Per status.
    Status,
    /// Per `code` (v1 lines: `metadata.code`; `-` when absent).
    Code,
}

/// Arguments of `cmdx ledger stats`.
#[derive(Debug, Args)]
pub(crate) struct StatsArgs {
    #[command(flatten)]
    pub(crate) filter: FilterArgs,
    /// Group rows by.
    #[arg(long, default_value = "task")]
    pub(crate) by: GroupBy,
    /// Output format (default: table on a terminal, ndjson otherwise).
    #[arg(long)]
    pub(crate) format: Option<Format>,
    #[command(flatten)]
    pub(crate) input: InputArgs,
}

/// Arguments of `cmdx ledger verify`.
#[derive(Debug, Args)]
pub(crate) struct VerifyArgs {
    /// Sealed ledger files, read as one stream in the order given (plain or
    /// gzip; `-` or none reads stdin, or the database named by `CMDX_LEDGER_DB`).
    #[arg(value_name = "FILE")]
    pub(crate) files: Vec<String>,
    /// Verify a ledger database instead: `sqlite:PATH` or `postgres://…`.
    #[arg(long, value_name = "URL", conflicts_with = "files")]
    pub(crate) db: Option<String>,
    /// Longest line read, in bytes (newline excluded). A longer line cannot
    /// be verified and is reported as a broken link.
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_MAX_LINE_BYTES,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) max_line_bytes: u64,
}
