//! The path of one execution, from `execute()` to its record.
//!
//! 1. [`begin`]: take the chain position from the task-local (or start a new
//!    chain), assign `tid` and `index`, open the span, serialize the input
//!    (only when the ledger is on) and arm the [`Pending`] guard.
//! 2. Validate the input; invalid input ends the execution before `work`.
//! 3. Run `work` inside the span and inside a child chain frame, catching
//!    panics. A failure runs the task's own `rollback` (panics caught too).
//! 4. [`Pending::finish`] writes the record exactly once: span fields, ledger
//!    line, chain. If the future is dropped before that, the guard's `Drop`
//!    writes it as `cancelled` — children first, since their futures are
//!    dropped before the parent's guard.

mod ending;
mod execution;
mod span;

pub(crate) use ending::Ending;
pub(crate) use execution::{Clock, Execution, Pending, Spec};

use crate::chain::scope::{self, ChainState, Frame, Scope};
use crate::input::FieldErrors;
use crate::{BoxError, Context, Cx, Halt, Outcome, Runtime, Status};
use futures::FutureExt;
use serde_json::value::RawValue;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use tracing::Instrument;

/// Something the engine can execute: a task, or a workflow.
pub(crate) trait Executable: Send + Sync {
    type Output: Send + 'static;

    fn spec(&self) -> Spec;

    /// The inputs as JSON for the ledger line, sensitive fields redacted.
    fn input_json(&self) -> Option<Box<RawValue>>;

    fn validate(&self) -> Result<(), FieldErrors>;

    fn work<'a>(
        &'a self,
        cx: &'a mut Cx,
    ) -> impl Future<Output = Result<Self::Output, Halt>> + Send + 'a;

    fn rollback<'a>(
        &'a self,
        cx: &'a mut Cx,
    ) -> impl Future<Output = Result<(), BoxError>> + Send + 'a;
}

/// How an execution starts: normally, or already known to be invalid
/// (untyped input that could not be coerced).
#[derive(Debug, Default)]
pub(crate) struct Start {
    pub(crate) invalid: Option<(FieldErrors, Option<Box<RawValue>>)>,
    pub(crate) context: Context,
}

/// Takes a position in the current chain (or starts one) and arms the guard.
pub(crate) fn begin(spec: Spec, input: impl FnOnce() -> Option<Box<RawValue>>) -> Pending {
    let (runtime, frame) = match scope::current() {
        Some(scope) => (scope.runtime, scope.frame),
        None => (Runtime::current(), None),
    };
    let clock = Clock::now();
    let (chain, parent) = match frame {
        Some(frame) => (frame.chain, frame.parent),
        None => (Arc::new(ChainState::new(clock.uuid_v7(), None)), None),
    };
    let index = chain.next_index();
    let tid = clock.uuid_v7();
    let span = span::start(&spec, chain.cid, chain.xid.as_deref(), tid, index);
    if let (Some(trace), Some(undone)) = (runtime.trace(), &spec.link) {
        trace.link(&span, undone);
    }
    let input = if runtime.ledger().is_enabled() {
        input()
    } else {
        None
    };
    Pending::new(Execution {
        runtime,
        chain,
        spec,
        tid,
        index,
        parent,
        span,
        input,
        clock,
    })
}

/// Runs `fut` as a child of `execution`: inside its span, with nested
/// executions joining its chain as its children.
pub(crate) fn within<F: Future>(execution: &Execution, fut: F) -> impl Future<Output = F::Output> {
    let scope = Scope {
        runtime: execution.runtime.clone(),
        frame: Some(Frame {
            chain: execution.chain.clone(),
            parent: Some(execution.tid),
        }),
    };
    scope::enter(scope, fut).instrument(execution.span.clone())
}

pub(crate) async fn execute<E: Executable>(unit: E, start: Start) -> Outcome<E::Output> {
    let Start { invalid, context } = start;
    let (invalid, preset_input) = match invalid {
        Some((errors, input)) => (Some(errors), Some(input)),
        None => (None, None),
    };
    let pending = begin(unit.spec(), || match preset_input {
        Some(input) => input,
        None => unit.input_json(),
    });
    let (value, ending) = run(&unit, &pending, invalid, context).await;
    let finished = pending.finish(ending);
    let chain = finished
        .chain
        .map(|state| crate::Chain::new(state, finished.record.clone()));
    Outcome::new(finished.record, value, chain, finished.origin)
}

async fn run<E: Executable>(
    unit: &E,
    pending: &Pending,
    invalid: Option<FieldErrors>,
    context: Context,
) -> (Option<E::Output>, Ending) {
    let execution = pending.get();
    let validated = match invalid {
        Some(errors) => Err(errors),
        None => std::panic::catch_unwind(AssertUnwindSafe(|| unit.validate()))
            .unwrap_or_else(|payload| Err(panicked_validation(&*payload))),
    };
    if let Err(errors) = validated {
        return (None, Ending::invalid(errors));
    }
    let mut cx = Cx::new(
        execution.runtime.clone(),
        execution.spec.task.clone(),
        (execution.chain.cid, execution.tid, execution.index),
        execution.chain.xid.clone(),
        context,
    );
    let worked = within(
        execution,
        AssertUnwindSafe(unit.work(&mut cx)).catch_unwind(),
    )
    .await;
    let (value, mut ending) = match worked {
        Ok(Ok(value)) => (Some(value), Ending::success()),
        Ok(Err(halt)) => (None, Ending::from_halt(halt)),
        Err(payload) => (None, Ending::panicked(&*payload)),
    };
    if ending.status == Status::Failed {
        let rolled = within(
            execution,
            AssertUnwindSafe(unit.rollback(&mut cx)).catch_unwind(),
        )
        .await;
        ending.rolled_back = true;
        match rolled {
            Ok(Ok(())) => {}
            Ok(Err(error)) => ending.rollback_failed(&*error),
            Err(payload) => {
                ending.rollback_failed(&PanickedRollback(ending::panic_message(&*payload)))
            }
        }
    }
    (value, ending)
}

fn panicked_validation(payload: &(dyn std::any::Any + Send)) -> FieldErrors {
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
