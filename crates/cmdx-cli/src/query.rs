//! `cmdx ledger query`: the lines that pass every filter.

use std::io::Write;

use chrono::Utc;

use crate::cli::{Format, QueryArgs, SortKey};
use crate::error::Failure;
use crate::filter::{Filter, ts_millis};
use crate::line::parse_line;
use crate::output;
use crate::scan::{Flow, scan};

/// A kept match, for sorting or for the table.
struct Kept {
    key: f64,
    raw: Vec<u8>,
}

/// Runs the query.
pub(crate) fn run(args: &QueryArgs) -> Result<(), Failure> {
    let filter = Filter::new(&args.filter, Utc::now()).map_err(Failure::usage)?;
    let format = output::resolve(args.format);
    let limit = args.limit.unwrap_or(usize::MAX);
    let mut out = output::stdout();
    let mut count = 0usize;
    let streaming = args.sort.is_none() && format != Format::Table;
    let mut kept: Vec<Kept> = Vec::new();
    let summary = scan(
        &args.input.files,
        args.input.strict,
        &filter,
        |line, raw| {
            let unsorted = args.sort.is_none();
            if unsorted && count >= limit {
                return Ok(Flow::Stop);
            }
            count += 1;
            if streaming {
                if format == Format::Json {
                    out.write_all(if count == 1 { b"[\n" } else { b",\n" })?;
                }
                out.write_all(raw)?;
                if format == Format::Ndjson {
                    out.write_all(b"\n")?;
                }
            } else {
                let key = match args.sort {
                    Some(SortKey::Ts) => ts_millis(&line.ts).map_or(f64::MAX, |t| t as f64),
                    Some(SortKey::Duration) => -line.duration_ms,
                    None => 0.0,
                };
                kept.push(Kept {
                    key,
                    raw: raw.to_vec(),
                });
            }
            // Sorting needs every match before the limit applies.
            Ok(if unsorted && count >= limit {
                Flow::Stop
            } else {
                Flow::Continue
            })
        },
    )?;
    if streaming {
        if format == Format::Json {
            out.write_all(if count == 0 { b"[]\n" } else { b"\n]\n" })?;
        }
    } else {
        kept.sort_by(|a, b| a.key.total_cmp(&b.key));
        kept.truncate(limit);
        write_kept(&mut out, &kept, format)?;
    }
    out.flush()?;
    strict_verdict(args.input.strict, summary.bad)
}

fn write_kept(out: &mut impl Write, kept: &[Kept], format: Format) -> std::io::Result<()> {
    match format {
        Format::Ndjson => {
            for k in kept {
                out.write_all(&k.raw)?;
                out.write_all(b"\n")?;
            }
        }
        Format::Json => {
            out.write_all(b"[")?;
            for (i, k) in kept.iter().enumerate() {
                out.write_all(if i == 0 { b"\n" } else { b",\n" })?;
                out.write_all(&k.raw)?;
            }
            out.write_all(if kept.is_empty() { b"]\n" } else { b"\n]\n" })?;
        }
        Format::Table => {
            let mut table = output::table(&[
                "TIME", "CHAIN", "IDX", "TASK", "KIND", "STATUS", "DURATION", "REASON",
            ]);
            for line in kept.iter().filter_map(|k| parse_line(&k.raw).ok()) {
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
            output::write_table(out, &table)?;
        }
    }
    Ok(())
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
