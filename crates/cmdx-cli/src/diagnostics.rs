//! Reporting skipped lines on stderr: the first few with file:line, then a count.

use indicatif::ProgressBar;

use crate::line::LineError;

/// How many bad lines are reported one by one.
const SHOWN: u64 = 5;

/// Counts bad lines and reports the first [`SHOWN`] of them.
#[derive(Debug)]
pub(crate) struct Diagnostics {
    total: u64,
    progress: Option<ProgressBar>,
}

impl Diagnostics {
    /// A reporter that prints around `progress` when there is one.
    pub(crate) fn new(progress: Option<ProgressBar>) -> Self {
        Self { total: 0, progress }
    }

    /// Counts one bad line, printing it while fewer than [`SHOWN`] were.
    pub(crate) fn report(&mut self, file: &str, line: u64, err: &LineError) {
        self.total += 1;
        if self.total <= SHOWN {
            self.print(&format!(
                "cmdx: warning: {file}:{line}: {err}; line skipped"
            ));
        }
    }

    /// Counts one line longer than `limit` bytes, printing it while fewer
    /// than [`SHOWN`] bad lines were.
    pub(crate) fn report_overlong(&mut self, file: &str, line: u64, limit: usize) {
        self.total += 1;
        if self.total <= SHOWN {
            self.print(&format!(
                "cmdx: warning: {file}:{line}: line longer than {limit} bytes; line skipped \
                 without reading it into memory (raise the limit with --max-line-bytes)"
            ));
        }
    }

    /// Counts one bad database row (`location` names the database and the
    /// row id), printing it while fewer than [`SHOWN`] bad lines were.
    pub(crate) fn report_row(&mut self, location: &str, what: &dyn std::fmt::Display) {
        self.total += 1;
        if self.total <= SHOWN {
            self.print(&format!("cmdx: warning: {location}: {what}; row skipped"));
        }
    }

    /// Prints the summary count, if any line was bad.
    pub(crate) fn finish(&self) {
        if self.total > SHOWN {
            self.print(&format!(
                "cmdx: warning: … and {} more bad lines",
                self.total - SHOWN
            ));
        }
        if self.total > 0 {
            let s = if self.total == 1 { "" } else { "s" };
            self.print(&format!(
                "cmdx: warning: skipped {} bad line{s} in total",
                self.total
            ));
        }
    }

    /// Bad lines seen so far.
    pub(crate) fn total(&self) -> u64 {
        self.total
    }

    fn print(&self, message: &str) {
        match &self.progress {
            Some(bar) => bar.suspend(|| eprintln!("{message}")),
            None => eprintln!("{message}"),
        }
    }
}
