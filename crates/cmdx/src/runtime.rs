//! [`Runtime`]: the configuration every execution runs under.

use crate::chain::scope::{self, Scope};
use crate::ledger::Ledger;
use crate::resources::Resources;
use crate::settings::Global;
use std::fmt;
use std::future::Future;
use std::sync::{Arc, OnceLock};

/// Connects executions' spans to a tracer (OpenTelemetry): reads ids for
/// the ledger line, adds links and attributes `tracing` fields cannot carry.
/// `cmdx-telemetry` installs one; you rarely write your own. Every method
/// has a no-op default. A panicking method is contained: the execution
/// keeps its outcome (without the link, attributes or trace ids), and the
/// panic is reported — see [`Plugin::TraceBridge`](crate::Plugin::TraceBridge).
pub trait TraceBridge: Send + Sync + 'static {
    /// The trace and span ids of `span`, for the line's `trace_id`/`span_id`.
    fn trace_ids(&self, span: &tracing::Span) -> Option<TraceIds> {
        let _ = span;
        None
    }

    /// A compensation's span was opened: link it to the span of the
    /// execution it undoes.
    fn link(&self, span: &tracing::Span, undone: &TraceIds) {
        let _ = (span, undone);
    }

    /// The execution ended with `record`; its span is about to close.
    /// Add attributes or events (metadata, exceptions) here. Called before
    /// [`trace_ids`](Self::trace_ids), so `record.trace_id` and
    /// `record.span_id` are still `None`.
    fn finish(&self, span: &tracing::Span, record: &crate::Record) {
        let _ = (span, record);
    }
}

/// The hex trace and span ids of one span.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TraceIds {
    /// 32 lowercase hex digits.
    pub trace_id: String,
    /// 16 lowercase hex digits.
    pub span_id: String,
}

impl TraceIds {
    /// Ids from their hex forms.
    pub fn new(trace_id: String, span_id: String) -> Self {
        Self { trace_id, span_id }
    }
}

/// Where lines go, which resources tasks can reach, how trace ids are read.
///
/// A runtime is built once at start-up and made current for a future with
/// [`Runtime::scope`] (like `tracing::dispatcher::with_default`), or for the
/// whole process with [`Runtime::set_global`]. Executions outside both use
/// the default: ledger on stdout, no resources. Cloning is cheap.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use cmdx::prelude::*;
/// use cmdx::{Ledger, Runtime};
///
/// struct Greeting(&'static str);
///
/// #[derive(Debug, Serialize, Deserialize, Validate)]
/// struct Greet {
///     #[garde(length(min = 1))]
///     name: String,
/// }
///
/// impl Task for Greet {
///     type Output = String;
///     async fn work(&self, cx: &mut Cx) -> Result<String, Halt> {
///         let greeting = cx.resource::<Greeting>()?;
///         Ok(format!("{}, {}!", greeting.0, self.name))
///     }
/// }
///
/// let runtime = Runtime::builder()
///     .ledger(Ledger::off())
///     .resource(Greeting("Hello"))
///     .build();
/// let outcome = runtime.scope(Greet { name: "Ada".into() }.execute()).await;
/// assert_eq!(outcome.value().map(String::as_str), Some("Hello, Ada!"));
/// # }
/// ```
#[derive(Clone)]
pub struct Runtime {
    inner: Arc<Inner>,
}

#[derive(Clone)]
struct Inner {
    ledger: Ledger,
    resources: Resources,
    trace: Option<Arc<dyn TraceBridge>>,
    global: Global,
}

static GLOBAL: OnceLock<Runtime> = OnceLock::new();

impl Runtime {
    /// Starts building a runtime.
    pub fn builder() -> RuntimeBuilder {
        RuntimeBuilder {
            inner: Inner {
                ledger: Ledger::stdout(),
                resources: Resources::default(),
                trace: None,
                global: Global::default(),
            },
        }
    }

    /// The runtime in effect here: the innermost [`scope`](Self::scope), else
    /// the global one, else the default (ledger on stdout).
    pub fn current() -> Runtime {
        scope::current()
            .map(|scope| scope.runtime().clone())
            .unwrap_or_else(Self::global)
    }

    fn global() -> Runtime {
        static DEFAULT: OnceLock<Runtime> = OnceLock::new();
        GLOBAL
            .get()
            .or_else(|| Some(DEFAULT.get_or_init(|| Runtime::builder().build())))
            .cloned()
            .expect("the default runtime is always set")
    }

    /// Makes this runtime the process-wide default. Fails (giving it back) if
    /// one was set already.
    pub fn set_global(self) -> Result<(), Runtime> {
        GLOBAL.set(self)
    }

    /// Runs `fut` with this runtime current. Executions started inside that
    /// are not nested in another execution start new chains.
    pub fn scope<F: Future>(&self, fut: F) -> impl Future<Output = F::Output> {
        scope::enter(Scope::Top(self.clone()), fut)
    }

    /// A copy of this runtime with one more resource.
    pub fn with_resource<T: Send + Sync + 'static>(&self, value: T) -> Runtime {
        let mut inner = (*self.inner).clone();
        inner.resources.insert(value);
        Runtime {
            inner: Arc::new(inner),
        }
    }

    /// The ledger this runtime writes to.
    pub fn ledger(&self) -> &Ledger {
        &self.inner.ledger
    }

    /// How many panics of plug-ins (sinks, bridges, hooks, middleware,
    /// subscribers, settings…) this runtime contained, per
    /// [`Plugin`](crate::Plugin) kind. Clones of a runtime, and runtimes
    /// made from it by [`with_resource`](Self::with_resource), share the
    /// counts. See also the [`PluginPanicked`](crate::EventKind::PluginPanicked)
    /// event, and the notice on stderr (once per kind and process).
    pub fn contained_panics(&self) -> crate::ContainedPanics {
        self.inner.global.panics.snapshot()
    }

    pub(crate) fn resources(&self) -> &Resources {
        &self.inner.resources
    }

    pub(crate) fn trace(&self) -> Option<&dyn TraceBridge> {
        self.inner.trace.as_deref()
    }

    pub(crate) fn config(&self) -> &Global {
        &self.inner.global
    }
}

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runtime")
            .field("ledger", &self.inner.ledger)
            .field("resources", &self.inner.resources)
            .field("trace_bridge", &self.inner.trace.is_some())
            .field("global", &self.inner.global)
            .finish()
    }
}

/// Builds a [`Runtime`]; see [`Runtime::builder`].
#[must_use]
pub struct RuntimeBuilder {
    inner: Inner,
}

impl RuntimeBuilder {
    /// Where ledger lines go (default: stdout).
    pub fn ledger(mut self, ledger: impl Into<Ledger>) -> Self {
        self.inner.ledger = ledger.into();
        self
    }

    /// Adds a resource tasks read with [`Cx::resource`](crate::Cx::resource).
    /// One value per type; a second value of the same type replaces the first.
    pub fn resource<T: Send + Sync + 'static>(mut self, value: T) -> Self {
        self.inner.resources.insert(value);
        self
    }

    /// Connects spans to a tracer (see [`TraceBridge`]).
    pub fn trace_bridge(mut self, bridge: impl TraceBridge) -> Self {
        self.inner.trace = Some(Arc::new(bridge));
        self
    }

    pub(crate) fn config_mut(&mut self) -> &mut Global {
        &mut self.inner.global
    }

    /// Finishes the runtime.
    pub fn build(self) -> Runtime {
        Runtime {
            inner: Arc::new(self.inner),
        }
    }
}

impl fmt::Debug for RuntimeBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RuntimeBuilder").finish_non_exhaustive()
    }
}
