//! [`Next`]: the rest of the onion; [`Done`]: how it ended.

use super::{Call, DynMiddleware};
use crate::exec::Ending;
use crate::{Halt, Status};
use futures::future::BoxFuture;
use serde_json::{Map, Value};
use std::fmt;
use std::sync::Arc;

/// The innermost layer: the task's own lifecycle.
pub(crate) trait Core: Send {
    fn run<'s>(&'s mut self, call: Call<'s>) -> BoxFuture<'s, Ending>;

    /// The ending of a middleware halt, keeping what the task's run did.
    fn halted(&self, halt: Halt) -> Ending;
}

/// The rest of the middleware onion, down to the task. Consumed by
/// [`run`](Next::run), so it runs at most once.
pub struct Next<'a> {
    pub(crate) global: &'a [Arc<dyn DynMiddleware>],
    pub(crate) local: &'a [Arc<dyn DynMiddleware>],
    pub(crate) core: &'a mut (dyn Core + 'a),
}

impl<'a> Next<'a> {
    /// Runs the inner middleware and the task; tells how they ended.
    pub async fn run(self, call: Call<'_>) -> Done {
        {
            let Next {
                global,
                local,
                core,
            } = self;
            let (layer, global, local) = match (global.split_first(), local.split_first()) {
                (Some((layer, rest)), _) => (layer, rest, local),
                (None, Some((layer, rest))) => (layer, global, rest),
                (None, None) => {
                    return Done {
                        ending: core.run(call).await,
                    };
                }
            };
            let inner = Next {
                global,
                local,
                core: &mut *core,
            };
            match layer.call_boxed(call, inner).await {
                Ok(done) => done,
                Err(halt) => Done {
                    ending: core.halted(halt),
                },
            }
        }
    }
}

impl fmt::Debug for Next<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Next")
            .field("layers", &(self.global.len() + self.local.len()))
            .finish_non_exhaustive()
    }
}

/// How the inner layers and the task ended, as [`Next::run`] returns it.
/// Return it (`Ok(done)`) to keep that outcome.
#[must_use = "return it with `Ok(done)` to keep the task's outcome"]
pub struct Done {
    pub(crate) ending: Ending,
}

impl Done {
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
