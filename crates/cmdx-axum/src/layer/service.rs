//! [`ChainService`]: the service [`ChainLayer`](super::ChainLayer) wraps around.

use super::request_id::request_id;
use super::{Config, RequestChain};
use crate::{X_CHAIN_ID, X_REQUEST_ID};
use cmdx::{ChainScope, Interrupted, Runtime};
use http::{HeaderValue, Request, Response, StatusCode};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use tower_service::Service;
use tracing::Instrument;

/// The response future of [`ChainService`].
pub type ChainFuture<T, E> = Pin<Box<dyn Future<Output = Result<T, E>> + Send>>;

/// Runs each request in its own chain; made by
/// [`ChainLayer`](super::ChainLayer).
#[derive(Clone)]
pub struct ChainService<S> {
    inner: S,
    config: Arc<Config>,
}

impl<S> ChainService<S> {
    pub(crate) fn new(inner: S, config: Arc<Config>) -> Self {
        Self { inner, config }
    }
}

impl<S, B, R> Service<Request<B>> for ChainService<S>
where
    S: Service<Request<B>, Response = Response<R>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
    R: Default + 'static,
{
    type Response = Response<R>;
    type Error = S::Error;
    type Future = ChainFuture<Response<R>, S::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        // The clone is not ready; the one `poll_ready` was called on is.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);

        let (mut parts, body) = request.into_parts();
        let (xid, xid_header) = request_id(&parts.headers);
        let scope = ChainScope::new().xid(xid.as_str());
        let chain = RequestChain::new(scope.id(), Arc::from(xid));
        let cid_header =
            HeaderValue::from_str(&scope.id().to_string()).expect("a UUID is a valid header value");
        parts.headers.insert(X_REQUEST_ID, xid_header.clone());
        parts.extensions.insert(self.config.statuses.clone());
        let span = match &self.config.span {
            Some(make) => make.request_span(&parts, &chain),
            None => tracing::Span::none(),
        };
        parts.extensions.insert(chain);
        let request = Request::from_parts(parts, body);

        let runtime = self.config.runtime.clone();
        // The handler renders its answer inside `inner.call`: in the
        // layer's status map (every `Reply` honours it).
        let handled = self.config.statuses.clone().scope(inner.call(request));
        let in_chain = scope.run(handled);
        let response = async move {
            // Tracked, so a graceful shutdown waits for the request and, at
            // its deadline, drops it (its executions say so in their lines).
            let runtime = runtime.unwrap_or_else(Runtime::current);
            let mut response = match runtime.track(runtime.scope(in_chain)).await {
                Ok(response) => response?,
                Err(Interrupted) => interrupted(),
            };
            let headers = response.headers_mut();
            headers.insert(X_REQUEST_ID, xid_header);
            headers.insert(X_CHAIN_ID, cid_header);
            Ok(response)
        };
        Box::pin(response.instrument(span))
    }
}

/// The answer to a request dropped at the shutdown deadline: `503` with an
/// empty body; its outcome is unknown (the ledger says which executions
/// were interrupted, under the `x-chain-id` the answer carries).
fn interrupted<R: Default>() -> Response<R> {
    let mut response = Response::new(R::default());
    *response.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
    response
}

impl<S: fmt::Debug> fmt::Debug for ChainService<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChainService")
            .field("inner", &self.inner)
            .field("config", &self.config)
            .finish()
    }
}
