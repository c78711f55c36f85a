//! [`Runtime`]: the configuration every execution runs under.

use crate::chain::scope::{self, Scope};
use crate::ledger::Ledger;
use crate::resources::Resources;
use std::fmt;
use std::future::Future;
use std::sync::{Arc, OnceLock};

/// Reads the OpenTelemetry ids of an execution's span, for the ledger line's
/// `trace_id` / `span_id`. Installed by `cmdx-telemetry`; you rarely write one.
pub type TraceIdsFn = dyn Fn(&tracing::Span) -> Option<TraceIds> + Send + Sync;

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
    trace_ids: Option<Arc<TraceIdsFn>>,
}

static GLOBAL: OnceLock<Runtime> = OnceLock::new();

impl Runtime {
    /// Starts building a runtime.
    pub fn builder() -> RuntimeBuilder {
        RuntimeBuilder {
            inner: Inner {
                ledger: Ledger::stdout(),
                resources: Resources::default(),
                trace_ids: None,
            },
        }
    }

    /// The runtime in effect here: the innermost [`scope`](Self::scope), else
    /// the global one, else the default (ledger on stdout).
    pub fn current() -> Runtime {
        scope::current()
            .map(|scope| scope.runtime)
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
        scope::enter(
            Scope {
                runtime: self.clone(),
                frame: None,
            },
            fut,
        )
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

    pub(crate) fn resources(&self) -> &Resources {
        &self.inner.resources
    }

    pub(crate) fn trace_ids(&self, span: &tracing::Span) -> Option<TraceIds> {
        self.inner.trace_ids.as_ref().and_then(|read| read(span))
    }
}

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runtime")
            .field("ledger", &self.inner.ledger)
            .field("resources", &self.inner.resources)
            .field("trace_ids", &self.inner.trace_ids.is_some())
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

    /// How to read trace/span ids from an execution's span.
    pub fn trace_ids<F>(mut self, read: F) -> Self
    where
        F: Fn(&tracing::Span) -> Option<TraceIds> + Send + Sync + 'static,
    {
        self.inner.trace_ids = Some(Arc::new(read));
        self
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
