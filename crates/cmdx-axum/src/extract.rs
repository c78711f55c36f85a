//! [`JsonTask`]: a task run from a JSON request body.

use crate::layer::RequestChain;
use crate::{Problem, Reply, StatusMap, to_completion};
use axum::Json;
use axum::extract::{FromRequest, Request};
use cmdx::{Task, TaskExt};
use http::StatusCode;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::fmt;
use std::marker::PhantomData;

/// Extracts a JSON body to execute task `T` from, so a handler is one line:
///
/// ```
/// use axum::{Router, routing::post};
/// use cmdx::prelude::*;
/// use cmdx_axum::{ChainLayer, JsonTask, Reply};
///
/// #[derive(Debug, Serialize, Deserialize, Validate)]
/// struct ReceiveStock {
///     #[garde(length(min = 1))]
///     sku: String,
///     #[garde(range(min = 1))]
///     quantity: i64,
/// }
/// impl Task for ReceiveStock {
///     type Output = i64;
///     fn name() -> &'static str {
///         "ReceiveStock"
///     }
///     async fn work(&self, _: &mut Cx) -> Result<i64, Halt> { Ok(self.quantity) }
/// }
///
/// async fn receive(task: JsonTask<ReceiveStock>) -> Reply<i64> {
///     task.execute().await
/// }
///
/// let app: Router = Router::new()
///     .route("/stock/receive", post(receive))
///     .layer(ChainLayer::new());
/// # let _ = app;
/// ```
///
/// The body goes through [`TaskExt::execute_json`](cmdx::TaskExt::execute_json): scalars are coerced and
/// every invalid field is reported at once (`422`, see [`Reply`]); invalid
/// input never reaches `work`, and still writes its ledger line. A body
/// that is not JSON at all is refused before any execution (no ledger line)
/// with axum's status for it as a [`Problem`] with a `code`: `400`
/// `invalid_json`, `415` `unsupported_media_type`, `413` `body_too_large`
/// (`422` `invalid_json` for a JSON data error).
///
/// Failure statuses come from the [`StatusMap`] given to
/// [`ChainLayer::statuses`](crate::ChainLayer::statuses) (the default map
/// without the layer).
pub struct JsonTask<T> {
    request: JsonBody,
    task: PhantomData<fn() -> T>,
}

/// What [`JsonTask`] and [`JsonFlow`](crate::JsonFlow) take from a
/// request: its JSON body, the layer's status map, and whether it reads.
pub(crate) struct JsonBody {
    pub(crate) body: Value,
    pub(crate) statuses: StatusMap,
    /// The request's method is safe (`GET`, `HEAD`, …): a read.
    pub(crate) read: bool,
}

impl JsonBody {
    /// Reads the body as JSON; a body that is not JSON is refused with
    /// axum's status for it, as a [`Problem`] with a `code` (and the
    /// request's chain id, under [`ChainLayer`](crate::ChainLayer)).
    pub(crate) async fn from_request<S: Send + Sync>(
        request: Request,
        state: &S,
    ) -> Result<Self, Problem> {
        let statuses = request
            .extensions()
            .get::<StatusMap>()
            .cloned()
            .unwrap_or_default();
        let cid = request
            .extensions()
            .get::<RequestChain>()
            .map(RequestChain::id);
        let read = request.method().is_safe();
        match Json::<Value>::from_request(request, state).await {
            Ok(Json(body)) => Ok(Self {
                body,
                statuses,
                read,
            }),
            Err(rejection) => {
                let problem = Problem::new(rejection.status())
                    .code(rejection_code(rejection.status()))
                    .detail(rejection.body_text());
                Err(match cid {
                    Some(cid) => problem.cid(cid),
                    None => problem,
                })
            }
        }
    }

    /// Sets `field` in the body, when the body is an object.
    pub(crate) fn set_field(&mut self, field: &str, value: Value) {
        if let Value::Object(map) = &mut self.body {
            map.insert(field.to_owned(), value);
        }
    }
}

impl<T> JsonTask<T>
where
    T: Task + DeserializeOwned,
{
    /// Executes `T` from the body, in the request's chain.
    ///
    /// A write — a request whose method is not safe (`POST`, `PUT`,
    /// `PATCH`, `DELETE`, …) — runs to completion, as
    /// [`execute_to_completion`](JsonTask::execute_to_completion) does: a
    /// client that disconnects never stops it half-way, and its ledger
    /// line is its real outcome. A read (`GET`, `HEAD`, `OPTIONS`,
    /// `TRACE`) is executed in the handler's future, as
    /// [`execute_cancellable`](JsonTask::execute_cancellable) does. See the
    /// crate docs on cancellation.
    pub async fn execute(self) -> Reply<T::Output> {
        if self.request.read {
            self.execute_cancellable().await
        } else {
            self.execute_to_completion()
                .await
                .unwrap_or_else(Reply::from)
        }
    }

    /// Executes `T` from the body in the handler's future: when the client
    /// disconnects, axum drops this future and the execution ends as
    /// `cancelled`, whatever it had committed so far. Only for work that is
    /// safe to stop at any `.await`.
    pub async fn execute_cancellable(self) -> Reply<T::Output> {
        let JsonBody { body, statuses, .. } = self.request;
        Reply::new(T::execute_json(body).await).statuses(&statuses)
    }

    /// Executes `T` from the body in a detached tokio task
    /// ([`cmdx::spawn`]: same chain, same span), so it runs to completion
    /// and writes its normal ledger line even if the client disconnects.
    /// `Err` only when the detached task did not finish (see
    /// [`to_completion`]).
    pub async fn execute_to_completion(self) -> Result<Reply<T::Output>, Problem> {
        let JsonBody { body, statuses, .. } = self.request;
        let outcome = to_completion(T::execute_json(body)).await?;
        Ok(Reply::new(outcome).statuses(&statuses))
    }

    /// The body, as the client sent it (secrets included: log
    /// [`cmdx::redacted_input`] of it, or this extractor's `Debug`, instead).
    pub fn body(&self) -> &Value {
        &self.request.body
    }

    /// Takes the body, to change it before executing (for example to add a
    /// path parameter with [`JsonTask::with_field`]).
    pub fn into_body(self) -> Value {
        self.request.body
    }

    /// Sets `field` in the body (when the body is an object): for inputs
    /// that come from the path or a header rather than the body.
    pub fn with_field(mut self, field: &str, value: impl Into<Value>) -> Self {
        self.request.set_field(field, value.into());
        self
    }
}

impl<S, T> FromRequest<S> for JsonTask<T>
where
    S: Send + Sync,
    T: Task + DeserializeOwned,
{
    type Rejection = Problem;

    async fn from_request(request: Request, state: &S) -> Result<Self, Problem> {
        let request = JsonBody::from_request(request, state).await?;
        Ok(Self {
            request,
            task: PhantomData,
        })
    }
}

/// The problem code of a body refused before any execution.
fn rejection_code(status: StatusCode) -> &'static str {
    match status {
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        StatusCode::PAYLOAD_TOO_LARGE => "body_too_large",
        StatusCode::BAD_REQUEST | StatusCode::UNPROCESSABLE_ENTITY => "invalid_json",
        _ => "unreadable_body",
    }
}

/// Shows the body as `T`'s ledger line would ([`cmdx::redacted_input`]):
/// [`Secret`](cmdx::Secret) fields redacted, so `#[tracing::instrument]` on
/// a handler records no secret.
impl<T: Task + DeserializeOwned> fmt::Debug for JsonTask<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JsonTask")
            .field("task", &T::name())
            .field("body", &cmdx::redacted_input::<T>(&self.request.body))
            .finish()
    }
}
