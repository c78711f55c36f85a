//! [`ShutdownReport`] and [`Interrupted`]: what a shutdown did.

use std::fmt;
use std::time::Duration;

/// What [`Runtime::shutdown_timeout`](crate::Runtime::shutdown_timeout)
/// did with the runtime's tracked work ([`spawn`](crate::spawn)ed tasks, a
/// dropped workflow's background compensation, futures passed to
/// [`Runtime::track`](crate::Runtime::track)).
///
/// Every execution inside interrupted work wrote its line (reason
/// `interrupted by shutdown`, `code` `"shutdown"`), except inside
/// work counted in [`not_dropped`](Self::not_dropped).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ShutdownReport {
    /// Tracked work under way when the shutdown began.
    pub under_way: usize,
    /// Tracked work that ended on its own before the deadline (including
    /// work started during the drain).
    pub finished: usize,
    /// Tracked work still under way at the deadline, and dropped.
    pub interrupted: usize,
    /// Of the interrupted work, how much was still not dropped one second
    /// after the deadline (a future blocking its thread cannot be dropped
    /// until it yields): its executions may have no line yet.
    pub not_dropped: usize,
    /// How long the shutdown took.
    pub elapsed: Duration,
    /// The timeout it was given.
    pub timeout: Duration,
}

impl ShutdownReport {
    /// Whether all tracked work ended on its own (nothing was interrupted).
    pub fn is_complete(&self) -> bool {
        self.interrupted == 0
    }
}

impl fmt::Display for ShutdownReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} tracked piece(s) of work under way, {} finished, {} interrupted by shutdown \
             after {:?} (timeout {:?})",
            self.under_way, self.finished, self.interrupted, self.elapsed, self.timeout
        )?;
        if self.not_dropped > 0 {
            write!(
                f,
                "; {} could not be dropped in time (blocking their thread)",
                self.not_dropped
            )?;
        }
        Ok(())
    }
}

/// The error of a [`Runtime::track`](crate::Runtime::track)ed future that
/// the runtime's shutdown dropped at its deadline: the work's outcome is
/// unknown (it may or may not have taken effect); its executions wrote
/// lines saying `interrupted by shutdown`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interrupted;

impl fmt::Display for Interrupted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "interrupted by shutdown: the runtime's shutdown deadline passed before this work \
             finished; its outcome is unknown",
        )
    }
}

impl std::error::Error for Interrupted {}
