//! `cmdx ledger query`: the lines that pass every filter.

use std::io::Write;

use chrono::Utc;

use crate::cli::{Format, QueryArgs, SortKey};
use crate::error::Failure;
use crate::external_sort::ExternalSort;
use crate::filter::{Filter, ts_millis};
use crate::line::parse_line;
use crate::output;
use crate::scan::{Flow, scan};

/// Runs the query.
pub(crate) fn run(args: &QueryArgs) -> Result<(), Failure> {
    let filter = Filter::new(&args.filter, Utc::now()).map_err(Failure::usage)?;
    let format = output::resolve(args.format);
    let limit = args.limit.unwrap_or(usize::MAX);
    let mut out = output::stdout();
    let mut count = 0usize;
    let mut sorted = args
        .sort
        .map(|_| ExternalSort::new(usize::try_from(args.sort_memory).unwrap_or(usize::MAX)));
    // The table needs every row it prints (column widths): only it keeps
    // matches in memory, up to `--limit`.
    let mut table_rows: Vec<Vec<u8>> = Vec::new();
    let mut rows = Rows::new(format);
    let mut sort_failed = None;
    // One matching line, in order: kept for the table or written, up to
    // `--limit` (then `Stop`).
    let mut emit = |raw: &[u8]| {
        if count >= limit {
            return Ok(Flow::Stop);
        }
        count += 1;
        if format == Format::Table {
            table_rows.push(raw.to_vec());
        } else {
            rows.write(&mut out, raw)?;
        }
        Ok(if count >= limit {
            Flow::Stop
        } else {
            Flow::Continue
        })
    };
    let summary = scan(&args.input, &filter, |line, raw| {
        if let Some(sorted) = sorted.as_mut() {
            // Sorting needs every match before the limit applies.
            let key = match args.sort {
                Some(SortKey::Duration) => -line.duration_ms,
                _ => ts_millis(&line.ts).map_or(f64::MAX, |t| t as f64),
            };
            return Ok(match sorted.push(key, raw) {
                Ok(()) => Flow::Continue,
                Err(e) => {
                    sort_failed = Some(e);
                    Flow::Stop
                }
            });
        }
        emit(raw)
    })?;
    if let Some(e) = sort_failed {
        return Err(Failure::sort(&e));
    }
    if let Some(sorted) = sorted {
        sorted.finish(&mut emit)?;
    }
    if format == Format::Table {
        write_table(&mut out, &table_rows)?;
    } else {
        rows.end(&mut out)?;
    }
    out.flush()?;
    strict_verdict(args.input.strict, summary.bad)
}

/// Raw lines written one by one: one per line (ndjson) or as the elements
/// of a JSON array.
#[derive(Debug)]
pub(crate) struct Rows {
    format: Format,
    written: usize,
}

impl Rows {
    /// Nothing written yet.
    pub(crate) fn new(format: Format) -> Self {
        Self { format, written: 0 }
    }

    /// Writes one row (a JSON object, without newline).
    pub(crate) fn write(&mut self, out: &mut impl Write, raw: &[u8]) -> std::io::Result<()> {
        self.written += 1;
        if self.format == Format::Json {
            out.write_all(if self.written == 1 { b"[\n" } else { b",\n" })?;
            out.write_all(raw)
        } else {
            out.write_all(raw)?;
            out.write_all(b"\n")
        }
    }

    /// Closes the JSON array.
    pub(crate) fn end(self, out: &mut impl Write) -> std::io::Result<()> {
        if self.format == Format::Json {
            out.write_all(if self.written == 0 { b"[]\n" } else { b"\n]\n" })?;
        }
        Ok(())
    }
}

fn write_table(out: &mut impl Write, kept: &[Vec<u8>]) -> std::io::Result<()> {
    let mut table = output::table(&[
        "TIME", "CHAIN", "IDX", "TASK", "KIND", "STATUS", "DURATION", "REASON",
    ]);
    for line in kept.iter().filter_map(|raw| parse_line(raw).ok()) {
        table.add_row(vec![
            line.ts.to_string(),
            format!("…{}", output::short_id(&line.cid)),
            line.index.to_string(),
            line.task.to_string(),
            line.kind.to_string(),
            line.status.to_string(),
            output::duration(line.duration_ms),
            line.reason.as_deref().unwrap_or("").to_owned(),
        ]);
    }
    output::write_table(out, &table)
}

/// Under `--strict`, any bad line makes the command fail (after its output).
pub(crate) fn strict_verdict(strict: bool, bad: u64) -> Result<(), Failure> {
    if strict && bad > 0 {
        Err(Failure::answer(format!(
            "--strict: {bad} bad line(s) in the input (reported above)"
        )))
    } else {
        Ok(())
    }
}
