//! `cmdx ledger stats`: counts and duration percentiles per task, status or
//! failure code. Compensations count apart, as `TASK (rollback)`.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::Write;

use chrono::Utc;
use serde::Serialize;

use crate::cli::{Format, GroupBy, StatsArgs};
use crate::durations::Durations;
use crate::error::Failure;
use crate::filter::Filter;
use crate::line::{Kind, Status};
use crate::output;
use crate::query::strict_verdict;
use crate::scan::{Flow, scan};

#[derive(Debug, Default)]
struct Group {
    count: u64,
    success: u64,
    skipped: u64,
    failed: u64,
    durations: Durations,
}

/// One output row.
#[derive(Debug, Serialize)]
struct Row {
    key: String,
    count: u64,
    success: u64,
    skipped: u64,
    failed: u64,
    p50_ms: f64,
    p95_ms: f64,
    p99_ms: f64,
    max_ms: f64,
}

/// Runs the stats.
pub(crate) fn run(args: &StatsArgs) -> Result<(), Failure> {
    let filter = Filter::new(&args.filter, Utc::now()).map_err(Failure::usage)?;
    let format = output::resolve(args.format);
    let mut groups: BTreeMap<String, Group> = BTreeMap::new();
    let summary = scan(&args.input, &filter, |line, _| {
        let key = match args.by {
            GroupBy::Task if line.kind == Kind::Rollback => format!("{} (rollback)", line.task),
            GroupBy::Task => line.task.to_string(),
            GroupBy::Status => line.status.as_str().to_owned(),
            GroupBy::Code => line.code().map_or_else(|| "-".to_owned(), Cow::into_owned),
        };
        let group = groups.entry(key).or_default();
        group.count += 1;
        match line.status {
            Status::Success => group.success += 1,
            Status::Skipped => group.skipped += 1,
            Status::Failed => group.failed += 1,
        }
        group.durations.add(line.duration_ms);
        Ok(Flow::Continue)
    })?;
    let rows: Vec<Row> = groups
        .into_iter()
        .map(|(key, mut g)| Row {
            key,
            count: g.count,
            success: g.success,
            skipped: g.skipped,
            failed: g.failed,
            p50_ms: g.durations.percentile(0.50),
            p95_ms: g.durations.percentile(0.95),
            p99_ms: g.durations.percentile(0.99),
            max_ms: g.durations.max(),
        })
        .collect();
    let key_name = match args.by {
        GroupBy::Task => "task",
        GroupBy::Status => "status",
        GroupBy::Code => "code",
    };
    let mut out = output::stdout();
    if format == Format::Table {
        let header = key_name.to_uppercase();
        let mut table = output::table(&[
            &header, "COUNT", "SUCCESS", "SKIPPED", "FAILED", "P50", "P95", "P99", "MAX",
        ]);
        for r in &rows {
            table.add_row(vec![
                r.key.clone(),
                r.count.to_string(),
                r.success.to_string(),
                r.skipped.to_string(),
                r.failed.to_string(),
                output::duration(r.p50_ms),
                output::duration(r.p95_ms),
                output::duration(r.p99_ms),
                output::duration(r.max_ms),
            ]);
        }
        output::write_table(&mut out, &table)?;
    } else {
        let named: Vec<serde_json::Value> = rows
            .iter()
            .map(|r| {
                let mut v = serde_json::to_value(r).unwrap_or_default();
                if let Some(obj) = v.as_object_mut()
                    && let Some(key) = obj.remove("key")
                {
                    obj.insert(key_name.to_owned(), key);
                }
                v
            })
            .collect();
        output::write_json_rows(&mut out, &named, format)?;
    }
    out.flush()?;
    strict_verdict(args.input.strict, summary.bad)
}
