//! [`ChainService`]: the service [`ChainMiddleware`](super::ChainMiddleware) wraps around.

use super::Config;
use crate::RequestChain;
use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, forward_ready};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::{Error, HttpMessage, HttpResponse};
use cmdx::{ChainScope, Interrupted, Runtime};
use cmdx_http::accept_request_id;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use tracing::Instrument;

/// Runs each request in its own chain; made by
/// [`ChainMiddleware`](super::ChainMiddleware).
pub struct ChainService<S> {
    service: S,
    config: Arc<Config>,
}

impl<S> ChainService<S> {
    pub(super) fn new(service: S, config: Arc<Config>) -> Self {
        Self { service, config }
    }
}

/// [`cmdx_http::X_REQUEST_ID`] as actix-web's (`http` 0.2) header name.
const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// [`cmdx_http::X_CHAIN_ID`] as actix-web's (`http` 0.2) header name.
const X_CHAIN_ID: HeaderName = HeaderName::from_static("x-chain-id");

impl<S, B> Service<ServiceRequest> for ChainService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
    S::Future: 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Future = Pin<Box<dyn Future<Output = Result<ServiceResponse<B>, Error>>>>;

    forward_ready!(service);

    fn call(&self, mut request: ServiceRequest) -> Self::Future {
        let header = request.headers().get(X_REQUEST_ID);
        let xid = accept_request_id(header.map(HeaderValue::as_bytes));
        let xid_header =
            HeaderValue::from_str(&xid).expect("an accepted request id is visible ASCII");
        let scope = ChainScope::new().xid(xid.as_str());
        let chain = RequestChain::new(scope.id(), Arc::from(xid));
        let cid_header =
            HeaderValue::from_str(&scope.id().to_string()).expect("a UUID is a valid header value");
        request
            .headers_mut()
            .insert(X_REQUEST_ID, xid_header.clone());
        let span = match &self.config.span {
            Some(make) => make.request_span(&request, &chain),
            None => tracing::Span::none(),
        };
        let statuses = self.config.statuses.clone();
        request.extensions_mut().insert(statuses.clone());
        request.extensions_mut().insert(chain);

        // The handler renders its answer inside `call`: in the
        // middleware's status map (every `Reply` honours it).
        let in_chain = scope.run(statuses.scope(self.service.call(request)));
        let runtime = self.config.runtime.clone();
        let response = async move {
            // Tracked, so a graceful shutdown waits for the request and, at
            // its deadline, drops it (its executions say so in their lines).
            let runtime = runtime.unwrap_or_else(Runtime::current);
            let ids = [(X_REQUEST_ID, xid_header), (X_CHAIN_ID, cid_header)];
            let mut response = match runtime.track(runtime.scope(in_chain)).await {
                Ok(response) => response?,
                Err(Interrupted) => return Err(interrupted(ids)),
            };
            let headers = response.headers_mut();
            for (name, value) in ids {
                headers.insert(name, value);
            }
            Ok(response)
        };
        Box::pin(response.instrument(span))
    }
}

/// The answer to a request dropped at the shutdown deadline: `503` with an
/// empty body; its outcome is unknown (the ledger says which executions
/// were interrupted, under the `x-chain-id` it carries).
fn interrupted(ids: [(HeaderName, HeaderValue); 2]) -> Error {
    let mut response = HttpResponse::ServiceUnavailable();
    for header in ids {
        response.insert_header(header);
    }
    actix_web::error::InternalError::from_response(Interrupted, response.finish()).into()
}

impl<S> fmt::Debug for ChainService<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChainService")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_header_names_are_cmdx_https() {
        assert_eq!(
            super::X_REQUEST_ID.as_str(),
            cmdx_http::X_REQUEST_ID.as_str()
        );
        assert_eq!(super::X_CHAIN_ID.as_str(), cmdx_http::X_CHAIN_ID.as_str());
    }
}
