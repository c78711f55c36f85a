//! [`JsonFlow`]: a typed workflow run from a JSON request body.

use crate::extract::JsonBody;
use crate::{Problem, Reply, to_completion};
use axum::extract::{FromRequest, Request};
use cmdx::{Context, Flow, FlowExt, REDACTED};
use serde_json::Value;
use std::fmt;
use std::marker::PhantomData;

/// Extracts a JSON body to execute the typed workflow `F` from (a
/// [`Flow`]), so a handler is one line, as with
/// [`JsonTask`](crate::JsonTask):
///
/// ```
/// use axum::{Router, routing::post};
/// use cmdx::prelude::*;
/// use cmdx_axum::{ChainLayer, JsonFlow, Reply, StatusMap};
/// use http::StatusCode;
///
/// #[derive(Debug, Serialize, Deserialize, Validate)]
/// struct Book {
///     #[garde(length(min = 1))]
///     sku: String,
/// }
/// impl Task for Book {
///     type Output = ();
///     fn name() -> &'static str { "Shipping::Book" }
///     async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
///         fail!("The carrier is down", code = "carrier_down");
///     }
/// }
///
/// #[derive(Debug, Serialize, Deserialize, Validate)]
/// struct Ship {
///     #[garde(length(min = 1))]
///     sku: String,
/// }
/// impl Flow for Ship {
///     fn name() -> &'static str { "Shipping::Ship" }
///     fn workflow() -> Workflow { Workflow::new(Self::name()).step::<Book>() }
/// }
///
/// async fn ship(flow: JsonFlow<Ship>) -> Reply<Context> {
///     flow.execute().await
/// }
///
/// let app: Router = Router::new().route("/ship", post(ship)).layer(
///     ChainLayer::new()
///         .statuses(StatusMap::new().code("carrier_down", StatusCode::SERVICE_UNAVAILABLE)),
/// );
/// # let _ = app;
/// ```
///
/// The body goes through [`FlowExt::execute_json`]: scalars are coerced
/// and every invalid field is reported at once (`422`, no step runs, one
/// ledger line). A failure answers with the status the [`StatusMap`](crate::StatusMap) of
/// [`ChainLayer::statuses`](crate::ChainLayer::statuses) gives its code
/// (the failing step's code, e.g. `carrier_down` mapped to `503`). A
/// success answers `200` with the final context, every
/// [`Secret`](cmdx::Secret) field of `F` shown `"[REDACTED]"`; map it to
/// a response document with [`Reply::map`]. A body that is not JSON is
/// refused before any execution, like `JsonTask`'s.
pub struct JsonFlow<F> {
    request: JsonBody,
    flow: PhantomData<fn() -> F>,
}

impl<F: Flow> JsonFlow<F> {
    /// Executes `F` from the body, in the request's chain: a write (a
    /// method that is not safe) runs to completion, a read in the handler's
    /// future — as [`JsonTask::execute`](crate::JsonTask::execute) does.
    pub async fn execute(self) -> Reply<Context> {
        if self.request.read {
            self.execute_cancellable().await
        } else {
            self.execute_to_completion()
                .await
                .unwrap_or_else(Reply::from)
        }
    }

    /// Executes `F` from the body in the handler's future: when the client
    /// disconnects, the workflow ends as cancelled and its completed steps
    /// are compensated in the background.
    pub async fn execute_cancellable(self) -> Reply<Context> {
        let JsonBody { body, statuses, .. } = self.request;
        let secrets = SecretKeys::of::<F>(&body);
        let outcome = F::execute_json(body).await;
        Reply::new(outcome)
            .statuses(&statuses)
            .map(|context| secrets.hide(context))
    }

    /// Executes `F` from the body in a detached tokio task
    /// ([`cmdx::spawn`]: same chain, same span), so it runs to completion
    /// even if the client disconnects. `Err` only when the detached task
    /// did not finish (see [`to_completion`]).
    pub async fn execute_to_completion(self) -> Result<Reply<Context>, Problem> {
        let JsonBody { body, statuses, .. } = self.request;
        let secrets = SecretKeys::of::<F>(&body);
        let outcome = to_completion(F::execute_json(body)).await?;
        Ok(Reply::new(outcome)
            .statuses(&statuses)
            .map(|context| secrets.hide(context)))
    }

    /// The body, as the client sent it (secrets included).
    pub fn body(&self) -> &Value {
        &self.request.body
    }

    /// Sets `field` in the body (when the body is an object): for inputs
    /// that come from the path or a header rather than the body.
    pub fn with_field(mut self, field: &str, value: impl Into<Value>) -> Self {
        self.request.set_field(field, value.into());
        self
    }
}

/// The top-level input keys that `F` shows redacted, with how it shows
/// them: a reply hides them in the final context.
struct SecretKeys(Vec<(String, Value)>);

impl SecretKeys {
    fn of<F: Flow>(body: &Value) -> Self {
        let shown = cmdx::redacted_input::<F>(body);
        let keys = match shown {
            Value::Object(map) => map
                .into_iter()
                .filter(|(_, value)| holds_redacted(value))
                .collect(),
            _ => Vec::new(),
        };
        Self(keys)
    }

    fn hide(self, mut context: Context) -> Context {
        for (key, shown) in self.0 {
            if context.contains(&key) {
                context.insert(key, shown);
            }
        }
        context
    }
}

fn holds_redacted(value: &Value) -> bool {
    match value {
        Value::String(text) => text == REDACTED,
        Value::Array(items) => items.iter().any(holds_redacted),
        Value::Object(map) => map.values().any(holds_redacted),
        _ => false,
    }
}

impl<S, F> FromRequest<S> for JsonFlow<F>
where
    S: Send + Sync,
    F: Flow,
{
    type Rejection = Problem;

    async fn from_request(request: Request, state: &S) -> Result<Self, Problem> {
        let request = JsonBody::from_request(request, state).await?;
        Ok(Self {
            request,
            flow: PhantomData,
        })
    }
}

/// Shows the body as `F`'s ledger line would: [`Secret`](cmdx::Secret)
/// fields redacted.
impl<F: Flow> fmt::Debug for JsonFlow<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JsonFlow")
            .field("workflow", &F::name())
            .field("body", &cmdx::redacted_input::<F>(&self.request.body))
            .finish()
    }
}
