//! [`JsonTask`]: a task run from a JSON request body.

mod body;
mod config;

pub use config::JsonTaskConfig;

use crate::{Problem, Reply, to_completion};
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use cmdx::prelude::*;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;

/// Extracts a JSON body to execute task `T` from, so a handler is one line
/// — cmdx-axum's `JsonTask` for actix-web:
///
/// ```
/// use actix_web::{App, web};
/// use cmdx::prelude::*;
/// use cmdx_actix::{ChainMiddleware, JsonTask, Reply};
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
///     fn name() -> &'static str { "Inventory::ReceiveStock" }
///     async fn work(&self, _: &mut Cx) -> Result<i64, Halt> { Ok(self.quantity) }
/// }
///
/// async fn receive(task: JsonTask<ReceiveStock>) -> Reply<i64> {
///     task.execute().await
/// }
///
/// let app = App::new()
///     .wrap(ChainMiddleware::new())
///     .route("/stock/receive", web::post().to(receive));
/// # drop(app);
/// ```
///
/// The body goes through `T::execute_json`: scalars are coerced and every
/// invalid field is reported at once (`422`, see [`Reply`]); invalid input
/// never reaches `work`, and still writes its ledger line. A body that is
/// not JSON at all is refused before any execution (no ledger line) with
/// the answers cmdx-axum gives, as a [`Problem`] with a `code` and the
/// chain id, checked in this order: `413` `body_too_large` (over
/// [`JsonTaskConfig::limit`], 2 MiB by default), `408` `request_timeout`
/// (not read within [`JsonTaskConfig::timeout`], when set), `400`
/// `unreadable_body` (the body broke off), `415` `unsupported_media_type`
/// (no `application/json` or `application/…+json` content type), `400`
/// `invalid_json`.
///
/// Failure statuses come from the [`StatusMap`](crate::StatusMap) given to
/// [`ChainMiddleware::statuses`](crate::ChainMiddleware::statuses).
pub struct JsonTask<T> {
    body: Value,
    /// The request's method is safe (`GET`, `HEAD`, …): a read.
    read: bool,
    task: PhantomData<fn() -> T>,
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
    /// [`execute_cancellable`](JsonTask::execute_cancellable) does. The
    /// same rule as cmdx-axum's `JsonTask::execute`.
    pub async fn execute(self) -> Reply<T::Output> {
        if self.read {
            self.execute_cancellable().await
        } else {
            self.execute_to_completion()
                .await
                .unwrap_or_else(Reply::from)
        }
    }

    /// Executes `T` from the body in the handler's future: when actix-web
    /// drops this future, the execution ends as `cancelled`, whatever it
    /// had committed so far. Only for work that is safe to stop at any
    /// `.await`. (actix-web 4, unlike hyper, does not drop a handler when
    /// the client hangs up after sending its body — it notices when it
    /// writes the answer — but does when a worker is stopped, or when a
    /// wrapping middleware such as a timeout gives up on it.)
    pub async fn execute_cancellable(self) -> Reply<T::Output> {
        Reply::new(T::execute_json(self.body).await)
    }

    /// Executes `T` from the body in a detached tokio task
    /// ([`cmdx::spawn`]: same chain, same span), so it runs to completion
    /// and writes its normal ledger line even if the client disconnects.
    /// `Err` only when the detached task did not finish (see
    /// [`to_completion`]).
    pub async fn execute_to_completion(self) -> Result<Reply<T::Output>, Problem> {
        let outcome = to_completion(T::execute_json(self.body)).await?;
        Ok(Reply::new(outcome))
    }

    /// The body, as the client sent it (secrets included: log
    /// [`cmdx::redacted_input`] of it, or this extractor's `Debug`, instead).
    pub fn body(&self) -> &Value {
        &self.body
    }

    /// Takes the body, to change it before executing.
    pub fn into_body(self) -> Value {
        self.body
    }

    /// Sets `field` in the body (when the body is an object): for inputs
    /// that come from the path or a header rather than the body.
    pub fn with_field(mut self, field: &str, value: impl Into<Value>) -> Self {
        if let Value::Object(map) = &mut self.body {
            map.insert(field.to_owned(), value.into());
        }
        self
    }
}

impl<T> FromRequest for JsonTask<T>
where
    T: Task + DeserializeOwned,
{
    type Error = Problem;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Problem>>>>;

    fn from_request(request: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let read = request.method().is_safe();
        let reading = body::read_json(request, payload.take());
        Box::pin(async move {
            Ok(Self {
                body: reading.await?,
                read,
                task: PhantomData,
            })
        })
    }
}

/// Shows the body as `T`'s ledger line would ([`cmdx::redacted_input`]):
/// [`Secret`](cmdx::Secret) fields redacted.
impl<T: Task + DeserializeOwned> fmt::Debug for JsonTask<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JsonTask")
            .field("task", &T::name())
            .field("body", &cmdx::redacted_input::<T>(&self.body))
            .finish()
    }
}
