//! The task's own lifecycle, the innermost layer of the middleware onion:
//! deprecation, `before_*` hooks, validation, `work` with retries and a
//! deadline, rollback, `after_execution` and the outcome hooks.

use super::{Ending, Executable, Execution, ending, within};
use crate::events::EventKind;
use crate::hooks::{Hook, HookSet};
use crate::input::FieldErrors;
use crate::middleware::Deadline;
use crate::retry::{attempt, run_work, settle};
use crate::settings::Settings;
use crate::{Cx, Status};
use futures::FutureExt;
use std::any::Any;
use std::panic::AssertUnwindSafe;
use std::time::Duration;

pub(crate) struct Lifecycle<'u, E: Executable> {
    unit: &'u E,
    settings: &'u Settings,
    invalid: Option<FieldErrors>,
    pub(crate) value: Option<E::Output>,
}

impl<'u, E: Executable> Lifecycle<'u, E> {
    pub(crate) fn new(unit: &'u E, settings: &'u Settings, invalid: Option<FieldErrors>) -> Self {
        Self {
            unit,
            settings,
            invalid,
            value: None,
        }
    }

    /// Runs the lifecycle; `deadline` is the limit middleware set on `work`.
    pub(crate) async fn run(
        &mut self,
        cx: &mut Cx,
        execution: &Execution,
        deadline: Option<Deadline>,
    ) -> Ending {
        let task = self.unit.task_any();
        let global = execution.runtime().config();
        let hooks = HookSet {
            global: &global.hooks,
            local: &self.settings.hooks,
        };
        let (mut ending, worked) = match self.prepare(cx, execution, task, hooks) {
            Err(ending) => (ending, false),
            Ok(()) => {
                let policy = self.settings.retry.as_ref().or(global.retry.as_ref());
                let timeout = self.settings.timeout.unwrap_or(global.timeout);
                let deadline = Deadline::min(deadline, timeout.map(Deadline::after));
                // Retries and deadlines are boxed, and so is the rollback:
                // the plain path (one attempt) keeps this future small.
                let (value, mut ending) = if policy.is_none() && deadline.is_none() {
                    settle(attempt(self.unit, cx, execution).await)
                } else {
                    Box::pin(run_work(self.unit, cx, execution, policy, deadline)).await
                };
                self.value = value;
                if ending.status == Status::Failed {
                    let limit = self.rollback_limit(execution);
                    Box::pin(rollback(self.unit, cx, execution, &mut ending, limit)).await;
                }
                if !hooks.is_empty()
                    && let Err(failed) = hooks.run(Hook::AfterExecution, cx, task, Some(&ending))
                {
                    ending = failed;
                }
                (ending, true)
            }
        };
        if !hooks.is_empty() {
            for &hook in Hook::for_status(ending.status) {
                if let Err(failed) = hooks.run(hook, cx, task, Some(&ending)) {
                    ending = failed;
                    break;
                }
            }
            if worked && ending.status == Status::Failed && !ending.rolled_back {
                let limit = self.rollback_limit(execution);
                Box::pin(rollback(self.unit, cx, execution, &mut ending, limit)).await;
            }
        }
        if ending.status != Status::Success {
            self.value = None;
        }
        ending
    }

    /// How long the task's rollback may run: its setting, else the runtime's.
    fn rollback_limit(&self, execution: &Execution) -> Duration {
        let global = execution.runtime().config();
        self.settings
            .rollback_timeout
            .unwrap_or_else(|| global.rollback_timeout())
    }

    /// Everything before `work`; an `Err` ends the execution there.
    fn prepare(
        &mut self,
        cx: &Cx,
        execution: &Execution,
        task: Option<&(dyn Any + Send + Sync)>,
        hooks: HookSet<'_>,
    ) -> Result<(), Ending> {
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
        Some(Err(payload)) => {
            ending.rollback_failed(&PanickedRollback(ending::panic_message(&*payload)))
        }
        None => ending.rollback_failed(&RollbackTimedOut(limit)),
    }
}

fn panicked_validation(payload: &(dyn Any + Send)) -> FieldErrors {
    let message = format!("validation panicked: {}", ending::panic_message(payload));
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
