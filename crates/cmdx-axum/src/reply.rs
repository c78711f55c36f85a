//! [`Reply`]: an outcome as an HTTP answer.

use crate::problem::Problem;
use crate::rendered::Rendered;
use crate::statuses::StatusMap;
use axum::response::{IntoResponse, Response};
use cmdx::{Outcome, Status};
use http::StatusCode;
use serde::Serialize;
use serde_json::json;

const JSON: &str = "application/json";

/// An [`Outcome`] as an HTTP answer (`Outcome` is `cmdx`'s type, so axum's
/// `IntoResponse` is implemented on this wrapper):
///
/// | outcome | answer |
/// | --- | --- |
/// | success with a value | `200`, the value as JSON |
/// | success whose value serializes to `null` (`()`, `None`) | `204`, no body |
/// | success ended by `success!` (no value) | `200`, `{"status":"success","reason":…,"cid":…}` |
/// | skipped | `200`, `{"status":"skipped","reason":…,"cid":…}` |
/// | failed, invalid input | `422`, [`Problem`] with `"error":"invalid input"` and every field in `fields` |
/// | failed, other | status from the [`StatusMap`] by `metadata.code` (`500` when unmapped), [`Problem`] body; `Retry-After` for [transient](StatusMap::transient) codes |
/// | no outcome: work run to completion did not finish ([`From<Problem>`](Reply#impl-From<Problem>-for-Reply<T>)) | that [`Problem`] |
///
/// A skip answers `200` with a small status document rather than `204`,
/// so the client learns that nothing was done and why (the request was
/// understood and is not an error, hence not `4xx`).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use axum::response::IntoResponse;
/// use cmdx::prelude::*;
/// use cmdx_axum::{Reply, StatusMap};
/// use http::StatusCode;
///
/// #[derive(Debug, Serialize, Deserialize, Validate)]
/// struct Reserve {
///     #[garde(range(min = 1))]
///     quantity: i64,
/// }
/// impl Task for Reserve {
///     type Output = ();
///     fn name() -> &'static str {
///         "Reserve"
///     }
///     async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
///         fail!("Insufficient stock", code = "out_of_stock", available = 0);
///     }
/// }
///
/// let statuses = StatusMap::new().code("out_of_stock", StatusCode::CONFLICT);
/// # cmdx::Runtime::builder().ledger(cmdx::Ledger::off()).build().scope(async {
/// let outcome = Reserve { quantity: 3 }.execute().await;
/// let response = Reply::new(outcome).statuses(&statuses).into_response();
/// assert_eq!(response.status(), StatusCode::CONFLICT);
/// # }).await;
/// # }
/// ```
#[derive(Debug)]
#[must_use = "a reply does nothing until it is returned from a handler"]
pub struct Reply<T> {
    answer: Answer<T>,
    statuses: StatusMap,
}

/// What a [`Reply`] answers with.
#[derive(Debug)]
enum Answer<T> {
    Outcome(Outcome<T>),
    /// Work run to completion gave no outcome (the runtime shut down).
    Unfinished(Problem),
}

impl<T> Reply<T> {
    /// Answers `outcome` with the default [`StatusMap`] (`500` for every
    /// failure code but `invalid_input`).
    pub fn new(outcome: Outcome<T>) -> Self {
        Self {
            answer: Answer::Outcome(outcome),
            statuses: StatusMap::default(),
        }
    }

    /// Chooses failure statuses with `statuses`.
    pub fn statuses(mut self, statuses: &StatusMap) -> Self {
        self.statuses = statuses.clone();
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
            statuses: StatusMap::default(),
        }
    }
}

impl<T: Serialize> Reply<T> {
    /// The status, media type and body, for frameworks other than axum.
    pub fn render(self) -> Rendered {
        let outcome = match self.answer {
            Answer::Outcome(outcome) => outcome,
            Answer::Unfinished(problem) => return problem.render(),
        };
        match outcome.status() {
            Status::Failed => Problem::from_record(
                outcome.record(),
                outcome.origin().map(|origin| origin.tid),
                &self.statuses,
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

impl<T: Serialize> IntoResponse for Reply<T> {
    fn into_response(self) -> Response {
        self.render().into_response()
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
