//! [`RequestChain`]: the chain of the current request.

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use cmdx_http::Problem;
use http::StatusCode;
use std::future::{Ready, ready};
use std::sync::Arc;
use uuid::Uuid;

/// The chain of the current request, as set by
/// [`ChainMiddleware`](crate::ChainMiddleware); extract it in a handler to
/// log or return its ids.
///
/// ```
/// use actix_web::{App, web};
/// use cmdx_actix::{ChainMiddleware, RequestChain};
///
/// async fn whoami(chain: RequestChain) -> String {
///     format!("{} in chain {}", chain.request_id(), chain.id())
/// }
///
/// let app = App::new()
///     .wrap(ChainMiddleware::new())
///     .route("/whoami", web::get().to(whoami));
/// # drop(app);
/// ```
#[derive(Debug, Clone)]
pub struct RequestChain {
    cid: Uuid,
    xid: Arc<str>,
}

impl RequestChain {
    pub(crate) fn new(cid: Uuid, xid: Arc<str>) -> Self {
        Self { cid, xid }
    }

    /// The chain id, also sent as `x-chain-id`.
    pub fn id(&self) -> Uuid {
        self.cid
    }

    /// The request id (the chain's `xid`), also sent as `x-request-id`.
    pub fn request_id(&self) -> &str {
        &self.xid
    }
}

/// `500` with a problem document naming the fix when the app has no
/// [`ChainMiddleware`](crate::ChainMiddleware).
impl FromRequest for RequestChain {
    type Error = Problem;
    type Future = Ready<Result<Self, Problem>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(request.extensions().get::<RequestChain>().cloned().ok_or_else(|| {
            Problem::new(StatusCode::INTERNAL_SERVER_ERROR).detail(
                "RequestChain needs cmdx_actix::ChainMiddleware on the app: add `.wrap(ChainMiddleware::new())`",
            )
        }))
    }
}
