//! [`Runtime`]: the configuration every execution runs under, built with
//! [`RuntimeBuilder`] (`builder.rs`, the one place it is defined).

mod builder;
mod trace;

pub use builder::RuntimeBuilder;
pub use trace::{TraceBridge, TraceIds};

use crate::chain::scope::{self, Scope};
use crate::ledger::Ledger;
use crate::resources::Resources;
use crate::settings::Global;
use crate::shutdown::{Abort, Interrupted, Registration, ShutdownReport, Tracker};
use futures::future::{AbortHandle, Abortable};
use std::fmt;
use std::future::Future;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

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
///     fn name() -> &'static str {
///         "Greet"
///     }
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
pub(super) struct Inner {
    pub(super) ledger: Ledger,
    pub(super) resources: Resources,
    pub(super) trace: Option<Arc<dyn TraceBridge>>,
    pub(super) global: Global,
    /// Work detached on purpose, drained by `shutdown_timeout`; shared by
    /// clones and by runtimes made with `with_resource`.
    pub(super) tracker: Arc<Tracker>,
}

static GLOBAL: OnceLock<Runtime> = OnceLock::new();

impl Runtime {
    /// Starts building a runtime.
    pub fn builder() -> RuntimeBuilder {
        RuntimeBuilder::new(Inner {
            ledger: Ledger::stdout(),
            resources: Resources::default(),
            trace: None,
            global: Global::default(),
            tracker: Arc::default(),
        })
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
    ///
    /// The future borrows nothing from `self`: for a `'static` `fut` it is
    /// `'static`, so it can be spawned.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use cmdx::{Ledger, Runtime};
    ///
    /// let runtime = Runtime::builder().ledger(Ledger::off()).build();
    /// let handle = tokio::spawn(runtime.scope(async { 1 + 1 }));
    /// assert_eq!(handle.await.unwrap(), 2);
    /// # }
    /// ```
    pub fn scope<F: Future>(&self, fut: F) -> impl Future<Output = F::Output> + use<F> {
        scope::enter(Scope::Top(self.clone()), fut)
    }

    /// Drains the work this runtime tracks, within `timeout` — the way
    /// tokio's `Runtime::shutdown_timeout` drains its tasks, without
    /// blocking. Call it at the end of a graceful shutdown, after the
    /// server stopped accepting.
    ///
    /// Tracked work: tasks started with [`spawn`](crate::spawn) (and
    /// so `cmdx_axum::to_completion`), a dropped workflow's background
    /// compensation, and futures wrapped with [`track`](Self::track) (each
    /// request of `cmdx_axum::ChainLayer`). The shutdown
    ///
    /// 1. waits until that work has ended, or `timeout` has passed. Work
    ///    started meanwhile (a request's run-to-completion write) is
    ///    accepted, tracked and waited for too;
    /// 2. at the deadline, drops the work still under way. Every execution
    ///    dropped from then on writes its one line with status `failed`,
    ///    reason `interrupted by shutdown` and `code` `"shutdown"`:
    ///    its outcome is unknown (it may or may not have taken effect). A
    ///    compensation that had not started writes a `rollback` line saying
    ///    so. Work tracked after the deadline is dropped at once;
    /// 3. waits (at most one second more) for the dropped work to be gone.
    ///
    /// It does not flush the ledger: call [`Ledger::flush`] next (the
    /// `cmdx-telemetry` guard's `shutdown` does, and flushes the spans).
    /// Finished work leaves the tracked set, so its memory is bounded by
    /// the work under way. Calling it again drains what was tracked since.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use cmdx::{Ledger, Runtime};
    /// use std::time::Duration;
    ///
    /// let runtime = Runtime::builder().ledger(Ledger::off()).build();
    /// let quick = runtime.scope(async { cmdx::spawn(async {}) }).await;
    /// let stuck = runtime.scope(async { cmdx::spawn(std::future::pending::<()>()) }).await;
    /// let report = runtime.shutdown_timeout(Duration::from_millis(50)).await;
    /// assert_eq!((report.finished, report.interrupted), (1, 1));
    /// assert!(quick.await.is_ok());
    /// assert!(stuck.await.unwrap_err().is_cancelled());
    /// # }
    /// ```
    pub fn shutdown_timeout(
        &self,
        timeout: Duration,
    ) -> impl Future<Output = ShutdownReport> + Send + use<> {
        let tracker = self.inner.tracker.clone();
        async move { tracker.shutdown(timeout).await }
    }

    /// Tracks `fut` as work of this runtime: [`shutdown_timeout`](Self::shutdown_timeout)
    /// waits for it, and at its deadline drops it (its executions write
    /// `interrupted by shutdown`), and the future answers `Err(Interrupted)`.
    /// Otherwise it answers `fut`'s output. Use it for work a server runs
    /// in a task it does not control (a request's handler).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use cmdx::{Ledger, Runtime};
    /// use std::time::Duration;
    ///
    /// let runtime = Runtime::builder().ledger(Ledger::off()).build();
    /// let request = tokio::spawn(runtime.track(std::future::pending::<()>()));
    /// tokio::task::yield_now().await;
    /// let report = runtime.shutdown_timeout(Duration::from_millis(10)).await;
    /// assert_eq!(report.interrupted, 1);
    /// assert_eq!(request.await.unwrap(), Err(cmdx::Interrupted));
    /// # }
    /// ```
    pub fn track<F: Future>(
        &self,
        fut: F,
    ) -> impl Future<Output = Result<F::Output, Interrupted>> + use<F> {
        let (handle, registration) = AbortHandle::new_pair();
        let tracked = self.inner.tracker.register(Abort::Future(handle));
        async move {
            // Dropped after the inner future (declared before it).
            let tracked = tracked;
            let output = Abortable::new(fut, registration).await;
            drop(tracked);
            output.map_err(|_| Interrupted)
        }
    }

    /// How many pieces of tracked work are under way (see
    /// [`shutdown_timeout`](Self::shutdown_timeout)).
    pub fn tracked(&self) -> usize {
        self.inner.tracker.len()
    }

    /// Registers detached work (not yet armed with its handle).
    pub(crate) fn register(&self, abort: Abort) -> Registration {
        self.inner.tracker.register(abort)
    }

    /// Whether the shutdown deadline passed: what is dropped now was
    /// interrupted by shutdown.
    pub(crate) fn is_interrupting(&self) -> bool {
        self.inner.tracker.is_interrupting()
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
            .field("tracked", &self.tracked())
            .finish()
    }
}
