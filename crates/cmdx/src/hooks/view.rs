//! [`HookCx`]: what a hook sees.

use super::Hook;
use crate::ending::Ending;
use crate::{Cx, Status};
use serde_json::{Map, Value};
use std::any::Any;
use std::fmt;

/// What a hook sees: the point it runs at, the execution's [`Cx`], the
/// task itself, and — from `after_execution` on — how it ended. A
/// [`When`](super::When) condition sees the same (at `around_execution`,
/// before the work: no status yet).
pub struct HookCx<'a> {
    hook: Hook,
    cx: &'a Cx,
    task: Option<&'a (dyn Any + Send + Sync)>,
    ending: Option<&'a Ending>,
}

impl<'a> HookCx<'a> {
    pub(super) fn new(
        hook: Hook,
        cx: &'a Cx,
        task: Option<&'a (dyn Any + Send + Sync)>,
        ending: Option<&'a Ending>,
    ) -> Self {
        Self {
            hook,
            cx,
            task,
            ending,
        }
    }

    /// The point this hook runs at.
    pub fn hook(&self) -> Hook {
        self.hook
    }

    /// The execution context: task name, chain ids, resources, [`Context`](crate::Context).
    pub fn cx(&self) -> &'a Cx {
        self.cx
    }

    /// The task's name.
    pub fn task_name(&self) -> &'a str {
        self.cx.task_name()
    }

    /// The task itself, if it is a `T` (`None` for another type, or when
    /// untyped input could not be turned into a task).
    pub fn task<T: 'static>(&self) -> Option<&'a T> {
        self.task.and_then(|task| task.downcast_ref())
    }

    /// The status, from `after_execution` on.
    pub fn status(&self) -> Option<Status> {
        self.ending.map(|ending| ending.status)
    }

    /// The reason, from `after_execution` on.
    pub fn reason(&self) -> Option<&'a str> {
        self.ending.and_then(Ending::reason)
    }

    /// The code, from `after_execution` on.
    pub fn code(&self) -> Option<&'a str> {
        self.ending.and_then(Ending::code)
    }

    /// The metadata, from `after_execution` on.
    pub fn metadata(&self) -> Option<&'a Map<String, Value>> {
        self.ending.map(Ending::metadata)
    }

    /// How many times `work` was retried (0 before `after_execution`).
    pub fn retries(&self) -> u32 {
        self.ending.map_or(0, |ending| ending.retries)
    }
}

impl fmt::Debug for HookCx<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HookCx")
            .field("hook", &self.hook)
            .field("task", &self.cx.task_name())
            .field("status", &self.status())
            .finish_non_exhaustive()
    }
}
