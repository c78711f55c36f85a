//! `timeline --with-logs`: each execution's log lines (application events)
//! shown right under its row.
//!
//! A log line is written before its execution's ledger line (the event
//! happens while the execution runs), so the scan keeps log lines waiting,
//! per `tid`, until their execution's line: if it passes the filters they
//! go into the sort with its key, right after it (equal keys keep their
//! order); if not, they are dropped. Waiting lines are bounded by
//! `--sort-memory` bytes: beyond it, later log lines are not shown, and
//! the count is reported. Log lines whose execution line never comes (work
//! spawned by an execution that outlived it, a cut file) are counted and
//! reported at the end.

use std::collections::HashMap;

use serde::Serialize;
use serde_json::value::RawValue;

use crate::line::LogLine;

/// Log lines waiting for their execution's line.
#[derive(Debug)]
pub(crate) struct Waiting {
    by_tid: HashMap<String, Vec<Vec<u8>>>,
    bytes: usize,
    budget: usize,
    over_budget: u64,
}

impl Waiting {
    /// Nothing waiting; at most `budget` bytes will.
    pub(crate) fn new(budget: usize) -> Self {
        Self {
            by_tid: HashMap::new(),
            bytes: 0,
            budget,
            over_budget: 0,
        }
    }

    /// Keeps `raw` (a log line of `line.tid`) until its execution's line.
    pub(crate) fn log(&mut self, line: &LogLine<'_>, raw: &[u8]) {
        if self.bytes + raw.len() > self.budget {
            self.over_budget += 1;
            return;
        }
        self.bytes += raw.len();
        self.by_tid
            .entry(line.tid.to_string())
            .or_default()
            .push(raw.to_vec());
    }

    /// The log lines of `tid`, in the order written; they stop waiting.
    pub(crate) fn take(&mut self, tid: &str) -> Vec<Vec<u8>> {
        let lines = self.by_tid.remove(tid).unwrap_or_default();
        self.bytes -= lines.iter().map(Vec::len).sum::<usize>();
        lines
    }

    /// Reports on stderr the log lines not shown: still waiting (no
    /// execution line came) or over the budget.
    pub(crate) fn finish(self) {
        let orphans: usize = self.by_tid.values().map(Vec::len).sum();
        if orphans > 0 {
            eprintln!(
                "cmdx: note: {orphans} log line(s) not shown: no ledger line of their execution \
                 followed them (work that outlived its execution, or a cut file)"
            );
        }
        if self.over_budget > 0 {
            eprintln!(
                "cmdx: warning: {} log line(s) not shown: more than --sort-memory bytes of log \
                 lines were waiting for their executions' lines (raise --sort-memory)",
                self.over_budget
            );
        }
    }
}

/// One log row of the timeline: `kind` is `log`; `index` is its
/// execution's.
#[derive(Debug, Serialize)]
pub(crate) struct LogRow {
    ts: String,
    task: String,
    kind: &'static str,
    level: String,
    target: String,
    message: String,
    fields: Box<RawValue>,
    cid: String,
    index: u64,
}

impl LogRow {
    /// The row of `line`, a log line of the execution at `index`.
    pub(crate) fn of(line: &LogLine<'_>, index: u64) -> Self {
        Self {
            ts: line.ts.to_string(),
            task: line.task.to_string(),
            kind: "log",
            level: line.level.to_string(),
            target: line.target.to_string(),
            message: line.message.to_string(),
            fields: line.fields.to_owned(),
            cid: line.cid.to_string(),
            index,
        }
    }

    /// The table cells (TIME, TASK, STATUS, INPUT, REASON): time, `↳` and
    /// the target, the level, the fields as `key=value`, the message.
    pub(crate) fn cells(&self) -> Vec<String> {
        let fields = crate::timeline::key_inputs(Some(&self.fields), &[]);
        vec![
            self.ts.clone(),
            format!("  ↳ {}", self.target),
            self.level.clone(),
            fields,
            self.message.clone(),
        ]
    }
}
