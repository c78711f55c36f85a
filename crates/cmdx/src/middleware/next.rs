//! [`Next`]: the rest of the onion; [`Done`]: how it ended.
//!
//! The onion is `'static`: a [`Next`] owns the list of layers and a
//! one-shot line to the engine. The engine drives the task's lifecycle
//! beside the onion (see [`onion`] and [`Port::serve`]): the innermost
//! `next.run(call)` hands the [`Call`] over that line, the engine runs the
//! lifecycle with it and answers with a [`Done`]. Dropping the future of
//! `next.run(call)` (a timeout around it, say) drops the lifecycle with it.

use super::{Call, DynMiddleware};
use crate::ending::Ending;
use crate::{Halt, Runtime, Status};
use serde::Serialize;
use serde_json::{Map, Value};
use std::fmt;
use std::future::Future;
use std::pin::pin;
use std::sync::{Arc, OnceLock};
use tokio::sync::oneshot;

/// The layers of one execution's onion, shared by its [`Next`]s.
struct Onion {
    /// The runtime's layers are read from here (outermost first).
    runtime: Runtime,
    /// The task's own layers.
    local: Vec<Arc<dyn DynMiddleware>>,
    /// `(retries, rolled_back)` once the task's lifecycle ran: a layer's
    /// halt after `next` keeps them.
    ran: OnceLock<(u32, bool)>,
}

impl Onion {
    fn layer(&self, pos: usize) -> Option<&Arc<dyn DynMiddleware>> {
        let global = &self.runtime.config().middleware;
        match pos.checked_sub(global.len()) {
            None => global.get(pos),
            Some(pos) => self.local.get(pos),
        }
    }
}

/// The call, handed to the engine, and where to answer.
struct Handoff {
    call: Call,
    reply: oneshot::Sender<Done>,
}

/// The engine's end of the line: receives the call once the onion
/// reaches the task.
pub(crate) struct Port {
    handoff: oneshot::Receiver<Handoff>,
}

/// The onion of one execution: `runtime`'s layers around `local` ones.
/// Run the [`Next`] with the call, and [`Port::serve`] beside it.
pub(crate) fn onion(runtime: Runtime, local: Vec<Arc<dyn DynMiddleware>>) -> (Next, Port) {
    let (core, handoff) = oneshot::channel();
    let onion = Arc::new(Onion {
        runtime,
        local,
        ran: OnceLock::new(),
    });
    let next = Next {
        onion,
        pos: 0,
        core,
    };
    (next, Port { handoff })
}

impl Port {
    /// Runs the task's lifecycle (`run`) when the onion hands the call
    /// over, and answers. Never returns: drive it beside the onion and stop
    /// when the onion ends. If the onion drops the call or stops waiting,
    /// the lifecycle is not run, or is dropped.
    pub(crate) async fn serve<F>(self, run: impl FnOnce(Call) -> F) -> std::convert::Infallible
    where
        F: Future<Output = Ending>,
    {
        if let Ok(Handoff { call, mut reply }) = self.handoff.await {
            let ending = {
                let lifecycle = pin!(run(call));
                let abandoned = pin!(reply.closed());
                match futures::future::select(lifecycle, abandoned).await {
                    futures::future::Either::Left((ending, _)) => Some(ending),
                    futures::future::Either::Right(_) => None,
                }
            };
            if let Some(ending) = ending {
                let _ = reply.send(Done { ending });
            }
        }
        std::future::pending().await
    }
}

/// The rest of the middleware onion, down to the task. Owned (`'static`)
/// and consumed by [`run`](Next::run), so it runs at most once.
pub struct Next {
    onion: Arc<Onion>,
    pos: usize,
    core: oneshot::Sender<Handoff>,
}

impl Next {
    /// Runs the inner middleware and the task; tells how they ended.
    pub async fn run(self, call: Call) -> Done {
        let Next { onion, pos, core } = self;
        let Some(layer) = onion.layer(pos).cloned() else {
            let (reply, done) = oneshot::channel();
            if core.send(Handoff { call, reply }).is_err() {
                return Done::dropped(&onion.runtime);
            }
            // No answer: the execution was dropped while this future
            // lived on (it was moved into a spawned task, say).
            let Ok(done) = done.await else {
                return Done::dropped(&onion.runtime);
            };
            let _ = onion
                .ran
                .set((done.ending.retries, done.ending.rolled_back));
            return done;
        };
        let inner = Next {
            onion: onion.clone(),
            pos: pos + 1,
            core,
        };
        match layer.call_boxed(call, inner).await {
            Ok(done) => done,
            Err(halt) => Done::halted(halt, onion.ran.get().copied()),
        }
    }
}

impl fmt::Debug for Next {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let layers = self.onion.runtime.config().middleware.len() + self.onion.local.len();
        f.debug_struct("Next")
            .field("layers_left", &layers.saturating_sub(self.pos))
            .finish_non_exhaustive()
    }
}

/// How the inner layers and the task ended, as [`Next::run`] returns it.
/// Return it (`Ok(done)`) to keep that outcome; add metadata to it on the
/// way out ([`with`](Done::with), [`metadata_mut`](Done::metadata_mut)).
#[must_use = "return it with `Ok(done)` to keep the task's outcome"]
pub struct Done {
    pub(crate) ending: Ending,
}

impl Done {
    /// A middleware's halt: its status, reason and metadata, with what the
    /// task's run did (`ran`: retries, rolled back) if it ran.
    fn halted(halt: Halt, ran: Option<(u32, bool)>) -> Self {
        let mut ending = Ending::from_halt(halt);
        if let Some((retries, rolled_back)) = ran {
            ending.retries = retries;
            ending.rolled_back = rolled_back;
        }
        Self { ending }
    }

    /// The execution was dropped before the task answered.
    fn dropped(runtime: &Runtime) -> Self {
        Self {
            ending: Ending::dropped(runtime),
        }
    }

    /// Success, skipped or failed.
    pub fn status(&self) -> Status {
        self.ending.status
    }

    /// Whether the task succeeded.
    pub fn is_success(&self) -> bool {
        self.ending.status == Status::Success
    }

    /// Whether the task failed.
    pub fn is_failed(&self) -> bool {
        self.ending.status == Status::Failed
    }

    /// Why it was skipped or failed.
    pub fn reason(&self) -> Option<&str> {
        self.ending.reason()
    }

    /// The outcome's code (`out_of_stock`, `timeout`, …), if any.
    pub fn code(&self) -> Option<&str> {
        self.ending.code()
    }

    /// The outcome's metadata (the user's keys).
    pub fn metadata(&self) -> &Map<String, Value> {
        self.ending.metadata()
    }

    /// The outcome's metadata, to add to it (CMDx's "enriching result
    /// metadata"): what a middleware inserts lands in
    /// [`Outcome::metadata`](crate::Outcome::metadata) and the line's
    /// `metadata`, whatever the status.
    pub fn metadata_mut(&mut self) -> &mut Map<String, Value> {
        &mut self.ending.detail_mut().metadata
    }

    /// Adds `key = value` to the outcome's metadata (see
    /// [`metadata_mut`](Done::metadata_mut)); a value that does not
    /// serialize is `null`.
    pub fn with(mut self, key: impl Into<String>, value: impl Serialize) -> Self {
        let value = serde_json::to_value(value).unwrap_or(Value::Null);
        self.metadata_mut().insert(key.into(), value);
        self
    }

    /// How many times `work` was retried.
    pub fn retries(&self) -> u32 {
        self.ending.retries
    }

    /// Whether the task's rollback ran.
    pub fn rolled_back(&self) -> bool {
        self.ending.rolled_back
    }
}

impl fmt::Debug for Done {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Done")
            .field("status", &self.ending.status)
            .field("reason", &self.ending.reason())
            .field("retries", &self.ending.retries)
            .finish_non_exhaustive()
    }
}
