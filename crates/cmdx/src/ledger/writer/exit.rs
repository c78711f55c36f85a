//! Flushing when a thread that queued lines exits.
//!
//! Each thread that pushes a line registers the queue in a thread-local
//! whose destructor flushes it. Tokio's worker threads exit (and their
//! thread-locals are destroyed) when the runtime is dropped, which
//! `#[tokio::main]` does at the end of `main`; the main thread's
//! thread-locals are destroyed by `exit` on Linux with glibc, after `main`
//! returns (tested with a child process in `examples/tests/ledger_exit.rs`).

use super::queue::Queue;
use std::cell::{Cell, RefCell};
use std::sync::{Arc, Weak};

thread_local! {
    static TOUCHED: Touched = const {
        Touched {
            last: Cell::new(0),
            queues: RefCell::new(Vec::new()),
        }
    };
}

struct Touched {
    /// The id of the queue registered last: the usual case costs one compare.
    last: Cell<u64>,
    queues: RefCell<Vec<Weak<Queue>>>,
}

impl Drop for Touched {
    fn drop(&mut self) {
        for queue in self.queues.get_mut().drain(..) {
            if let Some(queue) = queue.upgrade() {
                queue.flush_at_exit();
            }
        }
    }
}

/// Makes sure `queue` is flushed when this thread exits.
pub(super) fn register(queue: &Arc<Queue>) {
    let _ = TOUCHED.try_with(|touched| {
        if touched.last.get() == queue.id() {
            return;
        }
        touched.last.set(queue.id());
        if let Ok(mut queues) = touched.queues.try_borrow_mut() {
            queues.retain(|known| known.strong_count() > 0);
            if !queues
                .iter()
                .any(|known| known.as_ptr() == Arc::as_ptr(queue))
            {
                queues.push(Arc::downgrade(queue));
            }
        }
    });
}
