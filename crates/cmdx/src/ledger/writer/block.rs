//! Waiting for room without stalling a tokio runtime.

use std::panic::{AssertUnwindSafe, catch_unwind};
use tokio::runtime::{Handle, RuntimeFlavor};

/// Runs the blocking `wait`. On a worker of a multi-thread tokio runtime,
/// through `block_in_place`: the worker's other tasks move to another
/// thread, so tasks that write no line keep running. Elsewhere (a
/// `current_thread` runtime, a plain thread) the thread just blocks.
pub(super) fn blocking<R>(wait: impl Fn() -> R) -> R {
    let multi_thread = Handle::try_current()
        .is_ok_and(|handle| handle.runtime_flavor() == RuntimeFlavor::MultiThread);
    if multi_thread {
        // `block_in_place` panics (before running `wait`) where it cannot
        // hand the worker over; then block in place the plain way.
        if let Ok(result) = catch_unwind(AssertUnwindSafe(|| tokio::task::block_in_place(&wait))) {
            return result;
        }
    }
    wait()
}
