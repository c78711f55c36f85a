//! [`HookSet`]: runs the hooks of one point, and turns a hook's halt into
//! the execution's ending.

use super::{Hook, HookCx, Hooks};
use crate::contain::{Panicked, Plugin};
use crate::ending::Ending;
use crate::{Cx, Halt, Status};
use std::any::Any;
use std::sync::Arc;

/// The runtime's hooks and the task's, run in that order.
#[derive(Clone, Copy)]
pub(crate) struct HookSet<'a> {
    pub(crate) global: &'a [Arc<dyn Hooks>],
    pub(crate) local: &'a [Arc<dyn Hooks>],
}

impl HookSet<'_> {
    pub(crate) fn is_empty(&self) -> bool {
        self.global.is_empty() && self.local.is_empty()
    }

    /// Runs every hook of `hook`; the first halt stops the others and
    /// becomes the ending (keeping `retries` and `rolled_back` of `ending`).
    pub(crate) fn run(
        &self,
        hook: Hook,
        cx: &Cx,
        task: Option<&(dyn Any + Send + Sync)>,
        ending: Option<&Ending>,
    ) -> Result<(), Ending> {
        let view = HookCx::new(hook, cx, task, ending);
        let global = cx.runtime().config();
        let ids = (cx.chain_id(), cx.tid(), cx.index());
        let counts = ending.map_or((0, false), |e| (e.retries, e.rolled_back));
        for hooks in self.global.iter().chain(self.local) {
            let called = || hook.call(&**hooks, &view);
            let halted = match global.contain(Plugin::Hook, cx.task_name(), ids, called) {
                Ok(Ok(())) => continue,
                Ok(Err(halt)) => halted(hook, cx.task_name(), halt),
                // Contained and reported; the hook's failure fails the outcome.
                Err(panicked) => panicked_hook(hook, cx.task_name(), &panicked),
            };
            return Err(counted(halted, counts));
        }
        Ok(())
    }
}

/// The ending a hook's `halt` at `hook` makes: a skip or a success where
/// the point may end the execution, else a failure of the hook.
pub(super) fn halted(hook: Hook, task: &str, halt: Halt) -> Ending {
    let status = halt.status();
    if status == Status::Failed {
        return failed(hook, task, Ending::from_halt(halt));
    }
    if hook.may_skip_or_succeed() {
        let mut ending = Ending::from_halt(halt);
        let framework = &mut ending.detail_mut().framework;
        framework.insert("hook".into(), hook.as_str().into());
        return ending;
    }
    let word = if status == Status::Skipped {
        "skip"
    } else {
        "success"
    };
    let mistake = Halt::fail(format!(
        "returned a {word} halt, but only `before_execution`, `before_validation` and \
         around hooks may skip or succeed an execution: after `work` the outcome is \
         decided, so return `Ok(())` or fail"
    ));
    failed(hook, task, Ending::from_halt(mistake))
}

/// A failure of the hook at `hook`: the reason says which hook of which
/// task, the code is `hook_failed` unless the hook set its own.
fn failed(hook: Hook, task: &str, mut ending: Ending) -> Ending {
    let detail = ending.detail_mut();
    let message = detail.reason.take().unwrap_or_else(|| "failed".into());
    detail.reason = Some(format!("hook `{hook}` of `{task}` failed: {message}"));
    if detail.cause.is_none() {
        detail.cause = Some(message);
    }
    detail.code.get_or_insert_with(|| "hook_failed".into());
    detail.framework.insert("hook".into(), hook.as_str().into());
    ending
}

/// The failure of a hook that panicked (already reported).
pub(super) fn panicked_hook(hook: Hook, task: &str, panicked: &Panicked) -> Ending {
    let message = format!("panicked: {}", panicked.message);
    let mut ending = Ending::with_status(Status::Failed, Some(message.clone()));
    ending.detail_mut().cause = Some(message);
    failed(hook, task, ending)
}

/// `ending`, keeping what the work did: its retries and rollback.
pub(super) fn counted(mut ending: Ending, (retries, rolled_back): (u32, bool)) -> Ending {
    ending.retries = retries;
    ending.rolled_back = rolled_back;
    ending
}
