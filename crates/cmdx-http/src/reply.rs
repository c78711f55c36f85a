//! [`Reply`]: an outcome as an HTTP answer.

use crate::problem::Problem;
use crate::rendered::Rendered;
use crate::statuses::StatusMap;
use cmdx::{Outcome, Status};
use http::StatusCode;
use serde::Serialize;
use serde_json::json;

const JSON: &str = "application/json";

/// An [`Outcome`] as an HTTP answer — axum's `IntoResponse` and
/// actix-web's `Responder` (with this crate's `axum` / `actix-web`
/// features, which cmdx-axum and cmdx-actix enable), or [`Reply::render`]
/// for any other framework:
///
/// | outcome | answer |
/// | --- | --- |
/// | success with a value | `200`, the value as JSON |
/// | success whose value serializes to `null` (`()`, `None`) | `204`, no body |
/// | success ended by `success!` (no value) | `200`, `{"status":"success","reason":…,"cid":…}` |
/// | skipped | `200`, `{"status":"skipped","reason":…,"cid":…}` |
/// | failed, invalid input | `422`, [`Problem`] with `"error":"invalid input"` and every field in `fields` |
/// | failed, other | status from the [`StatusMap`] by the failure code (`500` when unmapped), [`Problem`] body; `Retry-After` for [transient](StatusMap::transient) codes |
/// | no outcome: work run to completion did not finish ([`From<Problem>`](Reply#impl-From<Problem>-for-Reply<T>)) | that [`Problem`] |
///
/// A skip answers `200` with a small status document rather than `204`,
/// so the client learns that nothing was done and why (the request was
/// understood and is not an error, hence not `4xx`).
///
/// The failure statuses come from the map given to [`Reply::statuses`];
/// without one, from the *ambient* map — the one set on the router's chain
/// middleware (cmdx-axum's `ChainLayer::statuses`, cmdx-actix's
/// `ChainMiddleware::statuses`, see [`StatusMap::scope`]) — else the
/// default map. So `Reply::new(outcome)` in any handler answers with the
/// router's map.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use cmdx::prelude::*;
/// use cmdx_http::{Reply, StatusMap};
/// use http::StatusCode;
///
/// #[derive(Debug, Serialize, Deserialize, Validate)]
/// struct Reserve {
///     #[garde(range(min = 1))]
///     quantity: i64,
/// }
/// impl Task for Reserve {
///     type Output = ();
///     fn name() -> &'static str { "Inventory::Reserve" }
///     async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
///         fail!("Insufficient stock", code = "out_of_stock", available = 0);
///     }
/// }
///
/// let statuses = StatusMap::new().code("out_of_stock", StatusCode::CONFLICT);
/// # cmdx::Runtime::builder().ledger(cmdx::Ledger::off()).build().scope(async {
/// let outcome = Reserve { quantity: 3 }.execute().await;
/// let rendered = Reply::new(outcome).statuses(&statuses).render();
/// assert_eq!(rendered.status(), StatusCode::CONFLICT);
/// assert_eq!(rendered.content_type(), Some("application/problem+json"));
///
/// // Without a map of its own, the ambient one (the router's).
/// let outcome = Reserve { quantity: 3 }.execute().await;
/// let rendered = statuses.clone().scope(async { Reply::new(outcome).render() }).await;
/// assert_eq!(rendered.status(), StatusCode::CONFLICT);
/// # }).await;
/// # }
/// ```
#[derive(Debug)]
#[must_use = "a reply does nothing until it is returned from a handler"]
pub struct Reply<T> {
    answer: Answer<T>,
    /// `None`: the ambient map, when rendered.
    statuses: Option<StatusMap>,
}

/// What a [`Reply`] answers with.
#[derive(Debug)]
enum Answer<T> {
    Outcome(Outcome<T>),
    /// Work run to completion gave no outcome (the runtime shut down).
    Unfinished(Problem),
}

impl<T> Reply<T> {
    /// Answers `outcome` with the ambient [`StatusMap`] (the router's, see
    /// [`StatusMap::scope`]; the default map, `500` for every failure code
    /// but `invalid_input`, outside of one).
    pub fn new(outcome: Outcome<T>) -> Self {
        Self {
            answer: Answer::Outcome(outcome),
            statuses: None,
        }
    }

    /// Chooses failure statuses with `statuses` instead of the ambient map.
    pub fn statuses(mut self, statuses: &StatusMap) -> Self {
        self.statuses = Some(statuses.clone());
        self
    }

    /// Uses `statuses` unless a map was chosen with [`Reply::statuses`]:
    /// for a framework's responder that finds the router's map on the
    /// request rather than in the ambient scope.
    pub fn statuses_or(mut self, statuses: &StatusMap) -> Self {
        if self.statuses.is_none() {
            self.statuses = Some(statuses.clone());
        }
        self
    }

    /// Maps the success value (for example into a response document),
    /// keeping the status map.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Reply<U> {
        let answer = match self.answer {
            Answer::Outcome(outcome) => Answer::Outcome(outcome.map(f)),
            Answer::Unfinished(problem) => Answer::Unfinished(problem),
        };
        Reply {
            answer,
            statuses: self.statuses,
        }
    }

    /// The outcome being answered; `None` when the work gave none (see
    /// [`From<Problem>`](Reply#impl-From<Problem>-for-Reply<T>)).
    pub fn outcome(&self) -> Option<&Outcome<T>> {
        match &self.answer {
            Answer::Outcome(outcome) => Some(outcome),
            Answer::Unfinished(_) => None,
        }
    }

    /// Takes the outcome back; `None` when the work gave none.
    pub fn into_outcome(self) -> Option<Outcome<T>> {
        match self.answer {
            Answer::Outcome(outcome) => Some(outcome),
            Answer::Unfinished(_) => None,
        }
    }

    /// The problem answered instead of an outcome, when the work gave none.
    pub fn problem(&self) -> Option<&Problem> {
        match &self.answer {
            Answer::Outcome(_) => None,
            Answer::Unfinished(problem) => Some(problem),
        }
    }
}

impl<T> From<Problem> for Reply<T> {
    /// A reply with no outcome: the answer for work run to completion that
    /// did not finish (see [`to_completion`](crate::to_completion)).
    fn from(problem: Problem) -> Self {
        Self {
            answer: Answer::Unfinished(problem),
            statuses: None,
        }
    }
}

impl<T: Serialize> Reply<T> {
    /// The status, media type, `Retry-After` and body, for any framework.
    pub fn render(self) -> Rendered {
        let outcome = match self.answer {
            Answer::Outcome(outcome) => outcome,
            Answer::Unfinished(problem) => return problem.render(),
        };
        match outcome.status() {
            Status::Failed => Problem::from_record(
                outcome.record(),
                outcome.origin().map(|origin| origin.tid),
                &self.statuses.unwrap_or_else(StatusMap::current),
            )
            .render(),
            Status::Skipped => status_document(&outcome),
            Status::Success => match outcome.value() {
                Some(value) => match serde_json::to_vec(value) {
                    Ok(body) if body == b"null" => Rendered::empty(StatusCode::NO_CONTENT),
                    Ok(body) => Rendered::new(StatusCode::OK, JSON, body),
                    Err(error) => unserializable(&outcome, &error),
                },
                None => status_document(&outcome),
            },
        }
    }
}

impl<T> From<Outcome<T>> for Reply<T> {
    fn from(outcome: Outcome<T>) -> Self {
        Self::new(outcome)
    }
}

fn status_document<T>(outcome: &Outcome<T>) -> Rendered {
    let body = json!({
        "status": outcome.status().to_string(),
        "reason": outcome.reason(),
        "cid": outcome.chain_id(),
    });
    Rendered::new(StatusCode::OK, JSON, body.to_string().into_bytes())
}

fn unserializable<T>(outcome: &Outcome<T>, error: &serde_json::Error) -> Rendered {
    tracing::error!(
        task = outcome.task(),
        cid = %outcome.chain_id(),
        %error,
        "the task succeeded but its output could not be serialized as JSON"
    );
    Problem::new(StatusCode::INTERNAL_SERVER_ERROR)
        .cid(outcome.chain_id())
        .detail(format!(
            "The task succeeded but its output could not be written as JSON. Quote chain id {} to support.",
            outcome.chain_id()
        ))
        .render()
}
