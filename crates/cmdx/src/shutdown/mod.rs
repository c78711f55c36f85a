//! Work a [`Runtime`](crate::Runtime) tracks, and its bounded drain at
//! shutdown ([`Runtime::shutdown_timeout`](crate::Runtime::shutdown_timeout)).
//!
//! Tracked: tasks started with [`spawn`](crate::spawn), a dropped
//! workflow's background compensation, and futures wrapped with
//! [`Runtime::track`](crate::Runtime::track) (the HTTP glue wraps each
//! request). Each holds a [`Registration`] that leaves the set when the work
//! ends, so the set holds only work under way.

mod report;

pub use report::{Interrupted, ShutdownReport};

use std::collections::HashMap;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::sync::Notify;
use tokio::time::Instant;

/// How long interrupted work may take to be dropped (its lines written)
/// after the deadline, at most: dropping is synchronous work, so this only
/// matters for a future that blocks its thread and cannot be dropped.
const DROP_GRACE: Duration = Duration::from_secs(1);

const RUNNING: u8 = 0;
const DRAINING: u8 = 1;
const INTERRUPTING: u8 = 2;

/// The set of tracked work of one runtime (shared by its clones).
#[derive(Default)]
pub(crate) struct Tracker {
    entries: Mutex<Entries>,
    /// Notified when the set becomes empty.
    idle: Notify,
    phase: AtomicU8,
}

#[derive(Default)]
struct Entries {
    next: u64,
    live: HashMap<u64, Abort>,
    /// Work that ended on its own (not aborted at the deadline).
    finished: u64,
}

/// How to stop one piece of tracked work at the deadline.
pub(crate) enum Abort {
    /// Registered, its handle not known yet (a task being spawned).
    NotYet,
    /// A tokio task: aborting drops its future on a worker.
    Task(tokio::task::AbortHandle),
    /// A future polled by someone else: aborting wakes it, and it drops
    /// its inner future at its next poll.
    Future(futures::future::AbortHandle),
}

impl Abort {
    fn abort(&self) {
        match self {
            Abort::NotYet => {}
            Abort::Task(handle) => handle.abort(),
            Abort::Future(handle) => handle.abort(),
        }
    }
}

/// One piece of tracked work; leaves the set when dropped.
pub(crate) struct Registration {
    tracker: Arc<Tracker>,
    id: u64,
}

impl Registration {
    /// What arms this registration once the registration itself has moved
    /// into the spawned task.
    pub(crate) fn clone_handle(&self) -> Arming {
        Arming {
            tracker: self.tracker.clone(),
            id: self.id,
        }
    }
}

/// Sets how to stop a registered piece of work, once known.
pub(crate) struct Arming {
    tracker: Arc<Tracker>,
    id: u64,
}

impl Arming {
    /// Sets how to stop the work (once its task is spawned); nothing if it
    /// has ended already. Aborts at once when the deadline has passed.
    pub(crate) fn arm(self, abort: Abort) {
        let mut entries = self.tracker.lock();
        if let Some(slot) = entries.live.get_mut(&self.id) {
            if self.tracker.phase.load(Ordering::Acquire) == INTERRUPTING {
                abort.abort();
            }
            *slot = abort;
        }
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        let mut entries = self.tracker.lock();
        if entries.live.remove(&self.id).is_some()
            && self.tracker.phase.load(Ordering::Acquire) != INTERRUPTING
        {
            entries.finished += 1;
        }
        let idle = entries.live.is_empty();
        drop(entries);
        if idle {
            self.tracker.idle.notify_waiters();
        }
    }
}

impl Tracker {
    fn lock(&self) -> MutexGuard<'_, Entries> {
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Adds work to the set. After the deadline, work armed with a handle
    /// is aborted at once.
    pub(crate) fn register(self: &Arc<Self>, abort: Abort) -> Registration {
        let mut entries = self.lock();
        let id = entries.next;
        entries.next += 1;
        if self.phase.load(Ordering::Acquire) == INTERRUPTING {
            abort.abort();
        }
        entries.live.insert(id, abort);
        Registration {
            tracker: self.clone(),
            id,
        }
    }

    /// Whether the runtime is past its shutdown deadline: what is dropped
    /// now was interrupted by shutdown.
    pub(crate) fn is_interrupting(&self) -> bool {
        self.phase.load(Ordering::Acquire) == INTERRUPTING
    }

    /// How much tracked work is under way.
    pub(crate) fn len(&self) -> usize {
        self.lock().live.len()
    }

    /// Waits until the set is empty or `deadline` passes; `true` if empty.
    async fn idle_by(&self, deadline: Instant) -> bool {
        loop {
            let notified = self.idle.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.lock().live.is_empty() {
                return true;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return self.lock().live.is_empty();
            }
        }
    }

    /// The drain: wait for the work under way until `timeout` has passed,
    /// then abort what is left and wait (at most [`DROP_GRACE`]) for it to
    /// be dropped.
    pub(crate) async fn shutdown(&self, timeout: Duration) -> ShutdownReport {
        let started = Instant::now();
        let (under_way, finished_before) = {
            let entries = self.lock();
            let _ =
                self.phase
                    .compare_exchange(RUNNING, DRAINING, Ordering::AcqRel, Ordering::Acquire);
            (entries.live.len(), entries.finished)
        };
        let interrupted = if self.idle_by(started + timeout).await {
            0
        } else {
            let entries = self.lock();
            self.phase.store(INTERRUPTING, Ordering::Release);
            for abort in entries.live.values() {
                abort.abort();
            }
            entries.live.len()
        };
        if interrupted > 0 {
            self.idle_by(Instant::now() + DROP_GRACE).await;
        }
        let entries = self.lock();
        ShutdownReport {
            under_way,
            finished: usize::try_from(entries.finished - finished_before).unwrap_or(usize::MAX),
            interrupted,
            not_dropped: entries.live.len(),
            elapsed: started.elapsed(),
            timeout,
        }
    }
}
