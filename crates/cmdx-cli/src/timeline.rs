//! `cmdx ledger timeline`: one row per execution, time-ordered — time, task,
//! status, the key inputs and the reason of failures; with `--with-logs`,
//! each execution's log lines under its row (see [`crate::timeline_logs`]).

use std::cell::RefCell;
use std::fmt;
use std::io::Write;

use chrono::Utc;
use serde::Serialize;
use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::Value;
use serde_json::value::RawValue;

use crate::cli::{Format, TimelineArgs};
use crate::error::Failure;
use crate::external_sort::ExternalSort;
use crate::filter::{Filter, ts_millis};
use crate::line::{LedgerLine, is_log_line, parse_line, parse_log_line};
use crate::output;
use crate::query::{Rows, strict_verdict};
use crate::scan::{Flow, Seen, scan_with_logs};
use crate::timeline_logs::{LogRow, Waiting};

/// One timeline row.
#[derive(Debug, Serialize)]
struct Row {
    ts: String,
    task: String,
    kind: &'static str,
    status: &'static str,
    input: Option<Box<RawValue>>,
    reason: Option<String>,
    cid: String,
    index: u64,
}

impl Row {
    fn of(line: &LedgerLine<'_>) -> Self {
        Self {
            ts: line.ts.to_string(),
            task: line.task.to_string(),
            kind: line.kind.as_str(),
            status: line.status.as_str(),
            input: line.input.map(ToOwned::to_owned),
            reason: line.reason.as_ref().map(ToString::to_string),
            cid: line.cid.to_string(),
            index: line.index,
        }
    }
}

/// A row of the table: an execution, or one of its log lines.
enum Shown {
    Execution(Row),
    Log(LogRow),
}

/// Runs the timeline: the matches go through an [`ExternalSort`] by time
/// (file order among equal times), so memory stays bounded by
/// `--sort-memory` whatever the input size; only the table format keeps
/// the rows it prints.
pub(crate) fn run(args: &TimelineArgs) -> Result<(), Failure> {
    let filter = Filter::new(&args.filter, Utc::now()).map_err(Failure::usage)?;
    let format = output::resolve(args.format);
    let budget = usize::try_from(args.sort_memory).unwrap_or(usize::MAX);
    let mut sorted = ExternalSort::new(budget);
    let mut sort_failed = None;
    let waiting = RefCell::new(Waiting::new(budget));
    let visit = |line: &LedgerLine<'_>, raw: &[u8]| {
        // A time that does not parse sorts last.
        let key = ts_millis(&line.ts).unwrap_or(i64::MAX) as f64;
        // Its log lines right after it: equal keys keep their order.
        let logs = if args.with_logs {
            waiting.borrow_mut().take(&line.tid)
        } else {
            Vec::new()
        };
        let pushed = std::iter::once(raw)
            .chain(logs.iter().map(Vec::as_slice))
            .try_for_each(|raw| sorted.push(key, raw));
        Ok(match pushed {
            Ok(()) => Flow::Continue,
            Err(e) => {
                sort_failed = Some(e);
                Flow::Stop
            }
        })
    };
    let logs = |seen: Seen<'_, '_>| {
        let mut waiting = waiting.borrow_mut();
        match seen {
            Seen::Log(line, raw) => waiting.log(line, raw),
            Seen::Unmatched(line) => drop(waiting.take(&line.tid)),
        }
        Ok(Flow::Continue)
    };
    let summary = scan_with_logs(&args.input, &filter, visit, args.with_logs.then_some(logs))?;
    if let Some(e) = sort_failed {
        return Err(Failure::sort(&e));
    }
    if args.with_logs {
        waiting.into_inner().finish();
    }
    let limit = args.limit.unwrap_or(usize::MAX);
    let mut out = output::stdout();
    let mut table_rows = Vec::new();
    let mut rows = Rows::new(format);
    let mut count = 0usize;
    // The index of the execution whose log lines come next.
    let mut index = 0;
    sorted.finish(|raw| {
        // A log line follows its execution's row: shown when that row was.
        let shown = if is_log_line(raw) {
            let Ok(line) = parse_log_line(raw) else {
                return Ok(Flow::Continue);
            };
            Shown::Log(LogRow::of(&line, index))
        } else {
            if count >= limit {
                return Ok(Flow::Stop);
            }
            // Every kept line parsed during the scan.
            let Ok(line) = parse_line(raw) else {
                return Ok(Flow::Continue);
            };
            count += 1;
            index = line.index;
            Shown::Execution(Row::of(&line))
        };
        if format == Format::Table {
            table_rows.push(shown);
        } else {
            let json = match &shown {
                Shown::Execution(row) => serde_json::to_vec(row),
                Shown::Log(row) => serde_json::to_vec(row),
            };
            rows.write(&mut out, &json.map_err(std::io::Error::other)?)?;
        }
        Ok(Flow::Continue)
    })?;
    if format == Format::Table {
        let pinned: Vec<&str> = filter
            .wheres()
            .iter()
            .filter_map(|w| w.pinned_input_key())
            .collect();
        let mut table = output::table(&["TIME", "TASK", "STATUS", "INPUT", "REASON"]);
        for shown in &table_rows {
            let cells = match shown {
                Shown::Execution(row) => vec![
                    row.ts.clone(),
                    row.task.clone(),
                    row.status.to_owned(),
                    key_inputs(row.input.as_deref(), &pinned),
                    row.reason.clone().unwrap_or_default(),
                ],
                Shown::Log(row) => row.cells(),
            };
            table.add_row(cells);
        }
        output::write_table(&mut out, &table)?;
    } else {
        rows.end(&mut out)?;
    }
    out.flush()?;
    strict_verdict(args.input.strict, summary.bad)
}

/// `key=value` pairs of the input, in written order, leaving out keys a
/// `--where` pins to one value (they are the same on every row).
pub(crate) fn key_inputs(input: Option<&RawValue>, pinned: &[&str]) -> String {
    let Some(raw) = input else {
        return String::new();
    };
    let Ok(Ordered(pairs)) = serde_json::from_str::<Ordered>(raw.get()) else {
        return raw.get().to_owned();
    };
    pairs
        .iter()
        .filter(|(k, _)| !pinned.contains(&k.as_str()))
        .map(|(k, v)| match v {
            Value::String(s) => format!("{k}={s}"),
            other => format!("{k}={other}"),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A JSON object's entries in the order they were written.
struct Ordered(Vec<(String, Value)>);

impl<'de> Deserialize<'de> for Ordered {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct OrderedVisitor;
        impl<'de> Visitor<'de> for OrderedVisitor {
            type Value = Ordered;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Ordered, A::Error> {
                let mut pairs = Vec::new();
                while let Some(pair) = map.next_entry()? {
                    pairs.push(pair);
                }
                Ok(Ordered(pairs))
            }
        }
        deserializer.deserialize_map(OrderedVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_inputs_keep_written_order_and_drop_pinned_keys() {
        let raw = RawValue::from_string(r#"{"sku":"SKU-1","quantity":50,"order_id":201}"#.into())
            .unwrap();
        assert_eq!(key_inputs(Some(&raw), &["sku"]), "quantity=50 order_id=201");
    }
}
