//! [`Problem`]: an RFC 9457 problem-details answer for a failed execution.

use crate::code::{failure_code, field_errors};
use crate::rendered::Rendered;
use crate::statuses::{INVALID_INPUT, StatusMap};
use cmdx::{Fault, Record, Status};
use http::StatusCode;
use serde::Serialize;
use serde_json::{Map, Value};
use std::fmt;
use uuid::Uuid;

/// The media type of [`Problem`] bodies.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// A failure as an HTTP answer: an RFC 9457 problem document
/// (`type`, `title`, `status`, `detail`) plus `cid`, the chain id to quote
/// to support, and `code`, the failure code.
///
/// Built from a failed record it shows only what the task author wrote for
/// clients: the `reason` of a failure that has a `code` (a `fail!` with
/// `code = …`). A failure without a code (an error returned with `?`, a
/// panic) gets a generic `detail`, because its reason may be an internal
/// error message. The `cause`, the inputs and the rest of the metadata are
/// never shown: they are in the ledger line, under the same `cid`.
///
/// Invalid input answers `422` and adds `"error": "invalid input"` and
/// `fields` (every invalid field with its messages):
///
/// ```json
/// {"type":"urn:cmdx:failure:invalid_input","title":"Invalid input","status":422,
///  "detail":"Invalid input: quantity, sku","cid":"019…","code":"invalid_input",
///  "error":"invalid input","fields":{"quantity":["…"],"sku":["…"]}}
/// ```
///
/// As the error type of a handler (axum's `IntoResponse`, actix-web's
/// `ResponseError`, with this crate's `axum` / `actix-web` features, which
/// cmdx-axum and cmdx-actix enable), it turns a `Fault` into an answer
/// (`?` on a strict call), its status from the ambient [`StatusMap`]
/// ([`StatusMap::scope`]):
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use cmdx::prelude::*;
/// use cmdx_http::{Problem, StatusMap};
/// use http::StatusCode;
///
/// #[derive(Debug, Serialize, Deserialize, Validate)]
/// struct Ship {}
/// impl Task for Ship {
///     type Output = String;
///     fn name() -> &'static str { "Shipping::Ship" }
///     async fn work(&self, _: &mut Cx) -> Result<String, Halt> {
///         fail!("The carrier is down", code = "carrier_down");
///     }
/// }
///
/// async fn ship() -> Result<String, Problem> {
///     let outcome = Ship {}.execute().await;
///     if let Some(fault) = outcome.fault() {
///         return Err(fault.into());
///     }
///     Ok(outcome.into_value().unwrap_or_default())
/// }
///
/// # cmdx::Runtime::builder().ledger(cmdx::Ledger::off()).build().scope(async {
/// let statuses = StatusMap::new().code("carrier_down", StatusCode::SERVICE_UNAVAILABLE);
/// let problem = statuses.scope(ship()).await.unwrap_err();
/// assert_eq!(problem.status(), StatusCode::SERVICE_UNAVAILABLE);
/// # }).await;
/// # }
/// ```
#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    #[serde(rename = "type")]
    type_uri: String,
    title: String,
    #[serde(serialize_with = "status_number")]
    status: StatusCode,
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cid: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    code: Option<String>,
    #[serde(flatten)]
    extensions: Map<String, Value>,
    #[serde(skip)]
    retry_after: Option<u64>,
}

impl Problem {
    /// A problem with `status`, titled with the status's reason phrase.
    pub fn new(status: StatusCode) -> Self {
        Self {
            type_uri: "about:blank".to_owned(),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status,
            detail: None,
            cid: None,
            code: None,
            extensions: Map::new(),
            retry_after: None,
        }
    }

    /// Asks the client to retry after `seconds` (the `Retry-After` header):
    /// for `503` and `429` answers.
    pub fn retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    /// Sets the failure code (`code` in the body), for client errors the
    /// client can act on, e.g. `"request_timeout"`.
    pub fn code(mut self, code: impl Into<String>) -> Self {
        self.code = Some(code.into());
        self
    }

    /// Sets the occurrence-specific explanation.
    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    /// Sets the chain id clients quote to support.
    pub fn cid(mut self, cid: Uuid) -> Self {
        self.cid = Some(cid);
        self
    }

    /// The answer for a failed `fault`, its status chosen by `statuses`.
    ///
    /// A strict call that gave no value without failing
    /// ([`Fault::status`]): a skip answers its code's mapped status, else
    /// `409 Conflict`, its reason as the detail (a skip says why nothing
    /// was done, as a skipped [`Reply`](crate::Reply) does); a `success!`
    /// without a value is the server's bug, answered `500`.
    pub fn from_fault(fault: &Fault, statuses: &StatusMap) -> Self {
        let record = fault.record();
        match fault.status() {
            Status::Failed => Self::from_record(record, Some(fault.origin().tid), statuses),
            Status::Skipped => {
                let code = failure_code(record);
                let status = code
                    .and_then(|code| statuses.mapped(code))
                    .unwrap_or(StatusCode::CONFLICT);
                let mut problem = Self::new(status).cid(record.cid);
                problem.type_uri = statuses.type_for(code);
                problem.title = code.map_or_else(|| "Skipped".to_owned(), humanize);
                problem.code = code.map(str::to_owned);
                problem.detail = record.reason.clone();
                problem
            }
            Status::Success => {
                let mut problem = Self::new(StatusCode::INTERNAL_SERVER_ERROR).cid(record.cid);
                problem.detail = Some(format!(
                    "The request could not be completed. Quote chain id {} to support.",
                    record.cid
                ));
                problem
            }
        }
    }

    /// The answer for a failed execution's record. `origin` is the
    /// execution that caused the failure: invalid input answers `422` only
    /// when it is the request's own (a nested task's invalid input is the
    /// server's bug, answered like any failure).
    pub fn from_record(record: &Record, origin: Option<Uuid>, statuses: &StatusMap) -> Self {
        let code = failure_code(record);
        let own_input = origin.is_none_or(|tid| tid == record.tid);
        if code == Some(INVALID_INPUT) && own_input {
            return Self::invalid_input(record, statuses);
        }
        // A nested task's invalid input is the server's bug: no code shown.
        let code = code.filter(|c| *c != INVALID_INPUT);
        let status = statuses.status_for(code);
        let mut problem = Self::new(status).cid(record.cid);
        match code {
            Some(code) => {
                problem.type_uri = statuses.type_for(Some(code));
                problem.title = humanize(code);
                problem.code = Some(code.to_owned());
                problem.detail = record.reason.clone();
                problem.retry_after = statuses.retry_after_for(Some(code));
            }
            None => {
                problem.detail = Some(format!(
                    "The request could not be completed. Quote chain id {} to support.",
                    record.cid
                ));
            }
        }
        problem
    }

    fn invalid_input(record: &Record, statuses: &StatusMap) -> Self {
        let mut problem = Self::new(StatusCode::UNPROCESSABLE_ENTITY).cid(record.cid);
        problem.type_uri = statuses.type_for(Some(INVALID_INPUT));
        problem.title = "Invalid input".to_owned();
        problem.detail = record.reason.clone();
        problem.code = Some(INVALID_INPUT.to_owned());
        let fields = Value::Object(field_errors(record).cloned().unwrap_or_default());
        problem
            .extensions
            .insert("error".into(), "invalid input".into());
        problem.extensions.insert("fields".into(), fields);
        problem
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The failure code, if any (`code` in the body).
    pub fn failure_code(&self) -> Option<&str> {
        self.code.as_deref()
    }

    /// The status, media type, `Retry-After` and JSON body, for any
    /// framework.
    pub fn render(&self) -> Rendered {
        let body = serde_json::to_vec(self).unwrap_or_else(|_| b"{}".to_vec());
        Rendered::new(self.status, PROBLEM_JSON, body).with_retry_after(self.retry_after)
    }
}

impl From<Fault> for Problem {
    /// With the ambient [`StatusMap`] ([`StatusMap::current`]: the one set
    /// on the router's chain middleware, else the default): `422` for
    /// invalid input, the mapped status else (`500` when unmapped).
    fn from(fault: Fault) -> Self {
        Self::from_fault(&fault, &StatusMap::current())
    }
}

impl fmt::Display for Problem {
    /// `409 Out of stock: Insufficient stock` (the `detail` only when set).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.status.as_u16(), self.title)?;
        match &self.detail {
            Some(detail) => write!(f, ": {detail}"),
            None => Ok(()),
        }
    }
}

impl std::error::Error for Problem {}

fn status_number<S: serde::Serializer>(status: &StatusCode, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u16(status.as_u16())
}

/// `out_of_stock` → `Out of stock`.
fn humanize(code: &str) -> String {
    let text = code.replace(['_', '-'], " ");
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::humanize;

    #[test]
    fn codes_read_as_titles() {
        assert_eq!(humanize("out_of_stock"), "Out of stock");
        assert_eq!(humanize("not-found"), "Not found");
        assert_eq!(humanize(""), "");
    }
}
