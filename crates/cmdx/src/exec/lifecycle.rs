//! The task's own lifecycle, the innermost layer of the middleware onion:
//! deprecation, `before_*` hooks, validation, the around hooks wrapping
//! `work` (with retries and a deadline) and its rollback,
//! `after_execution` and the outcome hooks.

use super::work::{attempt, run_work, settle};
use super::{Ending, Executable, Execution, within};
use crate::contain::panic_message;
use crate::events::EventKind;
use crate::hooks::{AroundSet, Continuation, Hook, HookSet};
use crate::input::FieldErrors;
use crate::middleware::Deadline;
use crate::retry::RetryPolicy;
use crate::settings::Settings;
use crate::{Cx, Kind, Status};
use futures::FutureExt;
use futures::future::BoxFuture;
use std::any::Any;
use std::panic::AssertUnwindSafe;
use std::time::Duration;

pub(crate) struct Lifecycle<'u, E: Executable> {
    unit: &'u E,
    settings: &'u Settings,
    invalid: Option<FieldErrors>,
    pub(crate) value: Option<E::Output>,
    /// Whether `work` started (so a later failure rolls it back).
    worked: bool,
}

impl<'u, E: Executable> Lifecycle<'u, E> {
    pub(crate) fn new(unit: &'u E, settings: &'u Settings, invalid: Option<FieldErrors>) -> Self {
        Self {
            unit,
            settings,
            invalid,
            value: None,
            worked: false,
        }
    }

    /// Runs the lifecycle; `deadline` is the limit middleware set on `work`.
    ///
    /// The hooks and around hooks are looked up again where they are
    /// used rather than held: what this future keeps across its `.await`
    /// is part of every execution's state (see [`super::execute`]).
    pub(crate) async fn run(
        &mut self,
        cx: &mut Cx,
        execution: &Execution,
        deadline: Option<Deadline>,
    ) -> Ending {
        let mut ending = match self.prepare(cx, execution) {
            Err(ending) => ending,
            Ok(()) => {
                let ending = if self.arounds(execution).is_empty() {
                    self.work(cx, execution, deadline).await
                } else {
                    Box::pin(self.around(cx, execution, deadline)).await
                };
                self.hook(Hook::AfterExecution, cx, execution, &ending)
                    .unwrap_or(ending)
            }
        };
        // The first of these hooks to fail replaces the ending; no hooks
        // at all is the common case, looked at once.
        if !self.hooks(execution).is_empty() {
            for &hook in Hook::for_status(ending.status) {
                if let Some(failed) = self.hook(hook, cx, execution, &ending) {
                    ending = failed;
                    break;
                }
            }
        }
        // A hook (or an around hook) that failed a success, or stopped
        // the work half-way, leaves a rollback to run.
        if self.worked && ending.status == Status::Failed && !ending.rolled_back {
            let limit = self.rollback_limit(execution);
            Box::pin(rollback(self.unit, cx, execution, &mut ending, limit)).await;
        }
        if ending.status != Status::Success {
            self.value = None;
        }
        ending
    }

    /// The runtime's hooks, then the task's (borrowing the settings, not
    /// `self`).
    fn hooks<'e>(&self, execution: &'e Execution) -> HookSet<'e>
    where
        'u: 'e,
    {
        let settings: &'u Settings = self.settings;
        HookSet {
            global: &execution.runtime().config().hooks,
            local: &settings.hooks,
        }
    }

    /// The runtime's around hooks, then the task's (borrowing the settings,
    /// not `self`).
    fn arounds<'e>(&self, execution: &'e Execution) -> AroundSet<'e>
    where
        'u: 'e,
    {
        let settings: &'u Settings = self.settings;
        AroundSet {
            global: &execution.runtime().config().arounds,
            local: &settings.arounds,
        }
    }

    /// Runs `hook` after `ending`; the hook's failure, which replaces it.
    fn hook(
        &self,
        hook: Hook,
        cx: &mut Cx,
        execution: &Execution,
        ending: &Ending,
    ) -> Option<Ending> {
        let hooks = self.hooks(execution);
        if hooks.is_empty() {
            return None;
        }
        hooks
            .run(hook, cx, self.unit.task_any(), Some(ending))
            .err()
    }

    /// [`work`](Self::work) inside the around hooks.
    async fn around(
        &mut self,
        cx: &mut Cx,
        execution: &Execution,
        deadline: Option<Deadline>,
    ) -> Ending {
        let arounds = self.arounds(execution);
        let task = self.unit.task_any();
        let mut work = Work {
            lifecycle: &mut *self,
            execution,
            deadline,
        };
        arounds.run(cx, task, &mut work).await
    }

    /// `work`, with its retries and deadline, and the rollback after a
    /// failure: what around hooks wrap.
    async fn work(
        &mut self,
        cx: &mut Cx,
        execution: &Execution,
        outer: Option<Deadline>,
    ) -> Ending {
        self.worked = true;
        // Retries and deadlines are boxed, and so is the rollback:
        // the plain path (one attempt) keeps this future small.
        let (value, mut ending) = if outer.is_none() && self.is_plain(execution) {
            settle(attempt(self.unit, cx, execution).await)
        } else {
            let (policy, timeout) = self.limits(execution);
            let deadline = Deadline::min(outer, timeout.map(Deadline::after));
            Box::pin(run_work(self.unit, cx, execution, policy, deadline)).await
        };
        self.value = value;
        if ending.status == Status::Failed {
            let limit = self.rollback_limit(execution);
            Box::pin(rollback(self.unit, cx, execution, &mut ending, limit)).await;
        }
        ending
    }

    /// The retry policy and the time limit of `work`: the task's, else the
    /// runtime's task defaults — which a workflow does not take (its steps
    /// do). Looked up where used, not held across `work`'s `.await`.
    fn limits<'e>(&self, execution: &'e Execution) -> (Option<&'e RetryPolicy>, Option<Duration>)
    where
        'u: 'e,
    {
        let settings: &'u Settings = self.settings;
        let defaults =
            (execution.spec.kind != Kind::Workflow).then(|| execution.runtime().config());
        let policy = settings.retry.as_ref().or_else(|| defaults?.retry.as_ref());
        let timeout = settings.timeout.unwrap_or_else(|| defaults?.timeout);
        (policy, timeout)
    }

    /// Whether `work` runs once, with no retry policy and no time limit.
    fn is_plain(&self, execution: &Execution) -> bool {
        matches!(self.limits(execution), (None, None))
    }

    /// How long the task's rollback may run: its setting, else the runtime's.
    fn rollback_limit(&self, execution: &Execution) -> Duration {
        let global = execution.runtime().config();
        self.settings
            .rollback_timeout
            .unwrap_or_else(|| global.rollback_timeout())
    }

    /// Everything before `work`; an `Err` ends the execution there.
    fn prepare(&mut self, cx: &Cx, execution: &Execution) -> Result<(), Ending> {
        let (hooks, task) = (self.hooks(execution), self.unit.task_any());
        if let Some(deprecation) = &self.settings.deprecation {
            let name = &execution.spec.task;
            if deprecation.refuses() {
                return Err(Ending::deprecated(name, deprecation.note()));
            }
            tracing::warn!(
                target: "cmdx",
                parent: &execution.span,
                task = %name,
                "task `{name}` is deprecated: {}",
                deprecation.note(),
            );
            execution.emit(EventKind::Deprecated);
        }
        if !hooks.is_empty() {
            hooks.run(Hook::BeforeExecution, cx, task, None)?;
            hooks.run(Hook::BeforeValidation, cx, task, None)?;
        }
        let validated = match self.invalid.take() {
            Some(errors) => Err(errors),
            None => std::panic::catch_unwind(AssertUnwindSafe(|| self.unit.validate()))
                .unwrap_or_else(|payload| Err(panicked_validation(&*payload))),
        };
        validated.map_err(Ending::invalid)
    }
}

/// The lifecycle's `work` as the continuation of the around hooks.
struct Work<'l, 'u, E: Executable> {
    lifecycle: &'l mut Lifecycle<'u, E>,
    execution: &'l Execution,
    deadline: Option<Deadline>,
}

impl<E: Executable> Continuation for Work<'_, '_, E> {
    fn run<'s>(&'s mut self, cx: &'s mut Cx) -> BoxFuture<'s, Ending> {
        Box::pin(self.lifecycle.work(cx, self.execution, self.deadline))
    }
}

/// Runs the task's own rollback after its failure, for at most `limit`;
/// its error, panic or timeout is recorded without replacing the failure.
/// A rollback that times out ran without finishing: `rolled_back` is true.
async fn rollback<E: Executable>(
    unit: &E,
    cx: &mut Cx,
    execution: &Execution,
    ending: &mut Ending,
    limit: Duration,
) {
    let rolling = within(
        execution,
        AssertUnwindSafe(unit.rollback(cx)).catch_unwind(),
    );
    let rolled = crate::limit::at_most(limit, rolling).await;
    ending.rolled_back = true;
    execution.emit(EventKind::RolledBack);
    match rolled {
        Some(Ok(Ok(()))) => {}
        Some(Ok(Err(error))) => ending.rollback_failed(&*error),
        Some(Err(payload)) => ending.rollback_failed(&PanickedRollback(panic_message(&*payload))),
        None => ending.rollback_failed(&RollbackTimedOut(limit)),
    }
}

fn panicked_validation(payload: &(dyn Any + Send)) -> FieldErrors {
    let message = format!("validation panicked: {}", panic_message(payload));
    FieldErrors::from([("input".to_owned(), vec![message])])
}

#[derive(Debug)]
struct PanickedRollback(String);

impl std::fmt::Display for PanickedRollback {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "rollback panicked: {}", self.0)
    }
}

impl std::error::Error for PanickedRollback {}

/// The rollback ran past its time limit and was dropped.
#[derive(Debug)]
struct RollbackTimedOut(Duration);

impl std::fmt::Display for RollbackTimedOut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "rollback timed out after {:?} and was dropped; raise the limit \
             (Settings::rollback_timeout, RuntimeBuilder::rollback_timeout) or make the rollback faster",
            self.0
        )
    }
}

impl std::error::Error for RollbackTimedOut {}
