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
//!
//! All of it runs in one heap allocation per execution ([`execute`] boxes
//! the engine's future), so an execution awaited by another costs its
//! parent a pointer.

mod execution;
mod lifecycle;
#[cfg(test)]
mod size;
mod span;
mod work;

pub(crate) use crate::ending::Ending;
pub(crate) use execution::{Clock, Execution, Pending, Spec};

use crate::chain::scope::{self, ChainState, Frame, Scope};
use crate::contain::{self, Panicked, Plugin};
use crate::events::EventKind;
use crate::input::{FieldErrors, ShownInput};
use crate::logs;
use crate::middleware::{self, Call, Identity, Input, Subject};
use crate::settings::{self, LedgerLevel, Settings};
use crate::{BoxError, Context, Cx, Halt, Outcome, Runtime, Status};
use futures::FutureExt;
use futures::future::Either;
use lifecycle::Lifecycle;
use serde_json::value::RawValue;
use std::any::Any;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::pin;
use std::sync::Arc;
use tracing::Instrument;

/// Something the engine can execute: a task, or a workflow.
pub(crate) trait Executable: Send + Sync {
    type Output: Send + 'static;

    fn spec(&self) -> Spec;

    /// The inputs as JSON for the ledger line, sensitive fields redacted.
    fn input_json(&self) -> Option<Box<RawValue>>;

    /// The output as JSON for the ledger line (`Settings::record_output`),
    /// sensitive fields redacted.
    fn output_json(&self, output: &Self::Output) -> Option<Box<RawValue>>;

    fn validate(&self) -> Result<(), FieldErrors>;

    fn work<'a>(
        &'a self,
        cx: &'a mut Cx,
    ) -> impl Future<Output = Result<Self::Output, Halt>> + Send + 'a;

    fn rollback<'a>(
        &'a self,
        cx: &'a mut Cx,
    ) -> impl Future<Output = Result<(), BoxError>> + Send + 'a;

    /// Retry policy, timeout, middleware, hooks… (none by default).
    fn settings(&self) -> Settings {
        Settings::new()
    }

    /// The task value, for hooks and middleware that downcast it.
    fn task_any(&self) -> Option<&(dyn Any + Send + Sync)> {
        None
    }

    /// The task value, shared with the middleware's owned [`Call`]
    /// (`None`: the call shows the input serialized up front, and has no
    /// task to downcast). Called only when there is middleware.
    fn share(&mut self) -> Option<Arc<dyn Subject>> {
        None
    }
}

/// How an execution starts: normally, or already known to be invalid
/// (untyped input that could not be coerced).
#[derive(Debug, Default)]
pub(crate) struct Start {
    pub(crate) invalid: Option<Box<Invalid>>,
    pub(crate) context: Context,
    /// Executed through `execute_strict` (the line's `strict`).
    pub(crate) strict: bool,
}

/// Input that could not be coerced: every field's errors, and the input as
/// given (for the ledger line).
#[derive(Debug)]
pub(crate) struct Invalid {
    pub(crate) errors: FieldErrors,
    pub(crate) input: ShownInput,
}

impl Start {
    /// A start with input already known to be invalid.
    pub(crate) fn invalid(errors: FieldErrors, input: ShownInput) -> Self {
        Self {
            invalid: Some(Box::new(Invalid { errors, input })),
            context: Context::default(),
            strict: false,
        }
    }

    /// This start, through `execute_strict`.
    pub(crate) fn strict(mut self) -> Self {
        self.strict = true;
        self
    }
}

/// Takes a position in the current chain (or starts one) and arms the guard.
pub(crate) fn begin(spec: Spec, input: impl FnOnce() -> Option<Box<RawValue>>) -> Pending {
    begin_with(spec, &settings::NONE, input)
}

/// [`begin`], with the task's settings (ledger level, excluded inputs).
pub(crate) fn begin_with(
    mut spec: Spec,
    settings: &Settings,
    input: impl FnOnce() -> Option<Box<RawValue>>,
) -> Pending {
    let clock = Clock::now();
    let (chain, parent, index) = match scope::current() {
        Some(Scope::In(frame)) => {
            let index = frame.chain.next_index();
            (frame.chain, frame.parent, index)
        }
        top => {
            let runtime = match top {
                Some(Scope::Top(runtime)) => runtime,
                _ => Runtime::current(),
            };
            let chain = ChainState::started_by_root(clock.uuid_v7(), runtime);
            (Arc::new(chain), None, 0)
        }
    };
    let runtime = &chain.runtime;
    let tid = clock.uuid_v7();
    let ids = (chain.cid, tid, index);
    let span = span::start(&spec, chain.cid, chain.xid().map(|x| &**x), tid, index);
    let global = runtime.config();
    global.emit(&spec.task, ids, EventKind::Started);
    if let Some(panicked) = spec.panicked.take() {
        global.report(&spec.task, ids, &panicked);
    }
    if let (Some(trace), Some(undone)) = (runtime.trace(), &spec.link) {
        let link = || trace.link(&span, undone);
        let _ = global.contain(Plugin::TraceBridge, &spec.task, ids, link);
    }
    let level = settings.ledger.unwrap_or(global.ledger);
    let input = if runtime.ledger().is_enabled() && level != LedgerLevel::Off {
        // The task's `Serialize` impl: a panic leaves the line's input null.
        let input = global.contain(Plugin::Serialize, &spec.task, ids, input);
        settings::exclude(input.ok().flatten(), &global.exclude, &settings.exclude)
    } else {
        None
    };
    Pending::new(Execution {
        chain,
        spec,
        tid,
        index,
        parent,
        span,
        input,
        output: None,
        strict: false,
        deprecated: settings.deprecation.is_some(),
        clock,
        level,
    })
}

/// Runs `fut` with `execution` current for the log layer (see
/// [`crate::logs`]), when a log layer exists and the execution writes to a
/// ledger.
pub(crate) fn logged<F: Future>(execution: &Execution, fut: F) -> impl Future<Output = F::Output> {
    if !logs::scope::is_active()
        || execution.level == LedgerLevel::Off
        || !execution.runtime().ledger().is_enabled()
    {
        return Either::Left(fut);
    }
    let current = logs::scope::Current::new(
        execution.chain.clone(),
        execution.tid,
        execution.index,
        execution.spec.task.clone(),
        execution.span.clone(),
    );
    Either::Right(logs::scope::enter(current, fut))
}

/// Runs `fut` as a child of `execution`: inside its span, with nested
/// executions joining its chain as its children.
pub(crate) fn within<F: Future>(execution: &Execution, fut: F) -> impl Future<Output = F::Output> {
    let scope = Scope::In(Frame {
        chain: execution.chain.clone(),
        parent: Some(execution.tid),
    });
    let fut = scope::enter(scope, fut);
    // A disabled span (no subscriber) has nothing to enter on every poll.
    if execution.span.is_disabled() {
        Either::Left(fut)
    } else {
        Either::Right(fut.instrument(execution.span.clone()))
    }
}

/// Executes `unit`. The engine's state (the execution, its `Cx`, the
/// lifecycle and the task's `work` future) lives in one allocation of its
/// own, made when the execution begins and freed when it ends: a parent
/// that awaits this future holds a pointer, not the state, so a root's
/// future stays the same small size however deep its nesting. Inline, a
/// root of three nested executions was 5.7 KB, which `tokio::spawn` copies
/// several times and keeps in the task for its whole life (see
/// `benches/README.md`, "Two cores").
pub(crate) async fn execute<E: Executable>(unit: E, start: Start) -> Outcome<E::Output> {
    Box::pin(inline(unit, start)).await
}

/// [`execute`] with the engine's state inline in the caller's future, for
/// a caller whose own future is boxed already (a workflow step's): the
/// execution then costs no allocation of its own for its state.
pub(crate) async fn inline<E: Executable>(mut unit: E, start: Start) -> Outcome<E::Output> {
    let Start {
        invalid,
        context,
        strict,
    } = start;
    let (invalid, preset_input) = match invalid {
        Some(invalid) => (Some(invalid.errors), Some(invalid.input)),
        None => (None, None),
    };
    // Boxed only when something is set: the future stays small for the
    // common task with no settings. The task's middleware moves to its
    // onion (which owns it).
    let (settings, local) = match contain::catch(Plugin::Settings, || unit.settings()) {
        Ok(set) if set.is_empty() => (None, Vec::new()),
        Ok(mut set) => {
            let local = std::mem::take(&mut set.middleware);
            (Some(Box::new(set)), local)
        }
        Err(panicked) => return refused(&unit, preset_input, strict, &panicked),
    };
    let settings = settings.as_deref().unwrap_or(&settings::NONE);
    let mut pending = begin_with(unit.spec(), settings, || match preset_input {
        Some(input) => input.render(),
        None => unit.input_json(),
    });
    pending.get_mut().strict = strict;
    let execution = pending.get();
    let mut cx = execution.cx(context);
    let layered = !local.is_empty() || !execution.runtime().config().middleware.is_empty();
    // What middleware reads with `Call::input` and `Call::task`: the task,
    // shared; else the input as the line shows it (serialized now if the
    // ledger did not). A panicking `Serialize` is the task's plug-in.
    let input = match layered.then(|| unit.share()) {
        None => None,
        Some(Some(task)) => Some(Input::Task(task)),
        Some(None) => Some(Input::Shown(execution.input.clone().or_else(|| {
            execution
                .contain(Plugin::Serialize, || unit.input_json())
                .ok()
                .flatten()
        }))),
    };
    // The middleware onion around the task's lifecycle; without
    // middleware, the lifecycle directly. Everything the execution runs
    // (middleware, hooks, `work`, rollback) runs with it current for the
    // log layer. The onion's path is boxed: inline, its state (the call,
    // the onion, a second lifecycle future) would double the size of every
    // execution's future — and of every parent's that awaits one.
    let mut lifecycle = Lifecycle::new(&unit, settings, invalid);
    let ending = match input {
        None => logged(execution, lifecycle.run(&mut cx, execution, None)).await,
        Some(input) => {
            let onion = through_middleware(&mut lifecycle, cx, execution, input, local);
            logged(execution, Box::pin(onion)).await
        }
    };
    let value = match ending.status {
        Status::Success => lifecycle.value.take(),
        _ => None,
    };
    if settings.record_output
        && let Some(value) = &value
        && let Some(output) = output_json(&unit, execution, settings, value)
    {
        pending.get_mut().output = Some(output);
    }
    Outcome::new(pending.finish(ending), value)
}

/// The lifecycle inside the middleware onion (the runtime's layers, then
/// the task's `local` ones).
async fn through_middleware<E: Executable>(
    lifecycle: &mut Lifecycle<'_, E>,
    cx: Cx,
    execution: &Execution,
    input: Input,
    local: Vec<Arc<dyn middleware::DynMiddleware>>,
) -> Ending {
    let call = Call::new(cx, identity(execution), input);
    let (next, port) = middleware::onion(execution.runtime().clone(), local);
    // The onion is owned (`'static`): the lifecycle, which borrows the
    // task, runs beside it and receives the call when the onion
    // reaches it.
    let serve = pin!(port.serve(|mut call| async move {
        lifecycle.run(&mut call.cx, execution, call.deadline).await
    }));
    // The lifecycle contains the task's own panics and its plug-ins':
    // what unwinds out of the onion is a middleware's.
    let onion = pin!(AssertUnwindSafe(next.run(call)).catch_unwind());
    let done = match futures::future::select(onion, serve).await {
        Either::Left((done, _)) => done,
        Either::Right((never, _)) => match never {},
    };
    match done {
        Ok(done) => done.ending,
        Err(payload) => {
            let panicked = Panicked::from_payload(Plugin::Middleware, &*payload);
            execution.report(&panicked);
            let reason = format!("middleware panicked: {}", panicked.message);
            contained_failure(reason, "middleware_panicked", &panicked)
        }
    }
}

/// Who `execution` is, for its [`Call`].
fn identity(execution: &Execution) -> Identity {
    Identity {
        chain: execution.chain.clone(),
        task: execution.spec.task.clone(),
        tags: execution.spec.tags,
        tid: execution.tid,
        index: execution.index,
        parent: execution.parent,
        span: execution.span.clone(),
    }
}

/// The output for the line, when a line can show it (the ledger is on):
/// redacted by the unit, excluded fields left out. The output's
/// `Serialize` impl is a plug-in: a panic leaves the line's output null.
fn output_json<E: Executable>(
    unit: &E,
    execution: &Execution,
    settings: &Settings,
    value: &E::Output,
) -> Option<Box<RawValue>> {
    if !execution.runtime().ledger().is_enabled() || execution.level == LedgerLevel::Off {
        return None;
    }
    let global = execution.runtime().config();
    let output = execution.contain(Plugin::Serialize, || unit.output_json(value));
    settings::exclude(output.ok().flatten(), &global.exclude, &settings.exclude)
}

/// The execution of a task whose `settings()` panicked: it begins (one
/// line, one span) and fails at once; nothing of the task runs, since what
/// its settings would have put around it is unknown.
#[cold]
fn refused<E: Executable>(
    unit: &E,
    preset_input: Option<ShownInput>,
    strict: bool,
    panicked: &Panicked,
) -> Outcome<E::Output> {
    let mut pending = begin_with(unit.spec(), &settings::NONE, || match preset_input {
        Some(input) => input.render(),
        None => unit.input_json(),
    });
    pending.get_mut().strict = strict;
    let execution = pending.get();
    execution.report(panicked);
    let reason = format!(
        "settings of `{}` panicked: {}",
        execution.spec.task, panicked.message
    );
    let ending = contained_failure(reason, "settings_panicked", panicked);
    Outcome::new(pending.finish(ending), None)
}

/// A failure caused by a contained plug-in panic.
fn contained_failure(reason: String, code: &'static str, panicked: &Panicked) -> Ending {
    let mut ending = Ending::with_status(Status::Failed, Some(reason));
    let detail = ending.detail_mut();
    detail.code = Some(code.into());
    detail.cause = Some(format!("panicked: {}", panicked.message));
    ending
}
