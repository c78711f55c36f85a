//! The writer thread: waits for lines, writes everything queued as one
//! batch, lingers a little so that a busy process's lines are batched
//! without waking it, and ends when the queue closes.

use super::queue::{self, Queue};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::time::Duration;

/// How long the thread waits for more lines after a batch before going to
/// sleep. While it lingers, finishing executions add lines without a
/// syscall (no wake-up); a line arriving after a quiet spell wakes it.
pub(super) const LINGER: Duration = Duration::from_millis(1);

/// The thread's body. A panic outside the destination's `write` (which is
/// caught per batch) is a bug of ours: the queue is then marked stopped,
/// so nothing waits for it and every later line is counted as failed.
pub(super) fn run(queue: Arc<Queue>) {
    let outcome = catch_unwind(AssertUnwindSafe(|| serve(&queue)));
    if outcome.is_ok() {
        queue.close_destination();
    }
    queue.stopped(outcome.err().map(|panic| queue::message(&*panic)));
}

fn serve(queue: &Queue) {
    while queue.wait_for_lines(LINGER) {
        while queue.drain_once() {}
    }
}
