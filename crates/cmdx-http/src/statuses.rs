//! [`StatusMap`]: which HTTP status a failure code answers with.

use http::StatusCode;
use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;

tokio::task_local! {
    /// The map of the request being handled, set by the framework's chain
    /// middleware (see [`StatusMap::scope`]).
    static AMBIENT: StatusMap;
}

/// The failure code of invalid input, always answered
/// with `422 Unprocessable Content`.
pub const INVALID_INPUT: &str = "invalid_input";

/// Maps a failure's code ([`failure_code`](crate::failure_code)) to an HTTP status; a failure whose code
/// is not mapped (or that has none: an error returned with `?`, a panic)
/// answers `500 Internal Server Error`.
///
/// Invalid input (`invalid_input`) is always `422`, whatever the map says.
/// Cloning is cheap (the table is shared).
///
/// ```
/// use cmdx_http::StatusMap;
/// use http::StatusCode;
///
/// let statuses = StatusMap::new()
///     .code("out_of_stock", StatusCode::CONFLICT)
///     .code("not_found", StatusCode::NOT_FOUND);
/// assert_eq!(statuses.status_for(Some("out_of_stock")), StatusCode::CONFLICT);
/// assert_eq!(statuses.status_for(Some("disk_on_fire")), StatusCode::INTERNAL_SERVER_ERROR);
/// assert_eq!(statuses.status_for(None), StatusCode::INTERNAL_SERVER_ERROR);
/// ```
#[derive(Debug, Clone)]
pub struct StatusMap {
    inner: Arc<Table>,
}

#[derive(Debug, Clone)]
struct Table {
    codes: HashMap<String, StatusCode>,
    retry_after: HashMap<String, u64>,
    fallback: StatusCode,
    type_base: String,
}

impl StatusMap {
    /// A map with no codes: every failure but invalid input answers `500`.
    pub fn new() -> Self {
        Self {
            inner: Arc::new(Table {
                codes: HashMap::new(),
                retry_after: HashMap::new(),
                fallback: StatusCode::INTERNAL_SERVER_ERROR,
                type_base: "urn:cmdx:failure:".to_owned(),
            }),
        }
    }

    /// Answers failures with `code` with `status` (and no `Retry-After`,
    /// even if the code was [transient](StatusMap::transient) before).
    pub fn code(mut self, code: impl Into<String>, status: StatusCode) -> Self {
        let code = code.into();
        let table = Arc::make_mut(&mut self.inner);
        table.retry_after.remove(&code);
        table.codes.insert(code, status);
        self
    }

    /// Answers failures with `code` — transient ones, that the same request
    /// may not meet again (a busy database, an exhausted pool) — with
    /// `503 Service Unavailable` and `Retry-After: retry_after_seconds`.
    ///
    /// ```
    /// use cmdx_http::StatusMap;
    /// use http::StatusCode;
    ///
    /// let statuses = StatusMap::new().transient("database_busy", 2);
    /// assert_eq!(statuses.status_for(Some("database_busy")), StatusCode::SERVICE_UNAVAILABLE);
    /// assert_eq!(statuses.retry_after_for(Some("database_busy")), Some(2));
    /// assert_eq!(statuses.retry_after_for(Some("out_of_stock")), None);
    /// ```
    pub fn transient(mut self, code: impl Into<String>, retry_after_seconds: u64) -> Self {
        let code = code.into();
        let table = Arc::make_mut(&mut self.inner);
        table
            .codes
            .insert(code.clone(), StatusCode::SERVICE_UNAVAILABLE);
        table.retry_after.insert(code, retry_after_seconds);
        self
    }

    /// The `Retry-After` seconds for a failure with `code`: set for
    /// [transient](StatusMap::transient) codes only.
    pub fn retry_after_for(&self, code: Option<&str>) -> Option<u64> {
        code.and_then(|code| self.inner.retry_after.get(code).copied())
    }

    /// The status of failures whose code is not mapped (default `500`).
    pub fn fallback(mut self, status: StatusCode) -> Self {
        Arc::make_mut(&mut self.inner).fallback = status;
        self
    }

    /// The prefix of a problem's `type` URI, followed by the failure code
    /// (default `urn:cmdx:failure:`, giving `urn:cmdx:failure:out_of_stock`).
    /// Point it at your error documentation, e.g. `https://api.example.com/errors/`.
    pub fn type_base(mut self, base: impl Into<String>) -> Self {
        Arc::make_mut(&mut self.inner).type_base = base.into();
        self
    }

    /// The status mapped to `code`, if any (`None` means the fallback).
    pub(crate) fn mapped(&self, code: &str) -> Option<StatusCode> {
        self.inner.codes.get(code).copied()
    }

    /// The status for a failure with `code`.
    pub fn status_for(&self, code: Option<&str>) -> StatusCode {
        match code {
            Some(INVALID_INPUT) => StatusCode::UNPROCESSABLE_ENTITY,
            Some(code) => self
                .inner
                .codes
                .get(code)
                .copied()
                .unwrap_or(self.inner.fallback),
            None => self.inner.fallback,
        }
    }

    /// The problem `type` URI for a failure with `code` (`about:blank`
    /// without one).
    pub fn type_for(&self, code: Option<&str>) -> String {
        match code {
            Some(code) => format!("{}{code}", self.inner.type_base),
            None => "about:blank".to_owned(),
        }
    }
}

impl StatusMap {
    /// Runs `fut` with this map as the *ambient* one: every [`Reply`] and
    /// every `Problem::from(fault)` built or answered inside `fut` without
    /// a map of its own uses it ([`StatusMap::current`]). The chain
    /// middleware of cmdx-axum (`ChainLayer::statuses`) and cmdx-actix
    /// (`ChainMiddleware::statuses`) run each request's handler in it, so a
    /// handler returning `Reply::new(outcome)` answers with the map set on
    /// the router.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use cmdx_http::StatusMap;
    /// use http::StatusCode;
    ///
    /// let statuses = StatusMap::new().code("carrier_down", StatusCode::SERVICE_UNAVAILABLE);
    /// let inside = statuses.scope(async { StatusMap::current() }).await;
    /// assert_eq!(inside.status_for(Some("carrier_down")), StatusCode::SERVICE_UNAVAILABLE);
    /// assert_eq!(StatusMap::current().status_for(Some("carrier_down")), StatusCode::INTERNAL_SERVER_ERROR);
    /// # }
    /// ```
    ///
    /// [`Reply`]: crate::Reply
    pub fn scope<F: Future>(self, fut: F) -> impl Future<Output = F::Output> {
        AMBIENT.scope(self, fut)
    }

    /// The ambient map (see [`StatusMap::scope`]); the default map outside
    /// of one.
    pub fn current() -> StatusMap {
        AMBIENT.try_with(StatusMap::clone).unwrap_or_default()
    }
}

impl Default for StatusMap {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_input_is_422_even_when_mapped_otherwise() {
        let statuses = StatusMap::new().code(INVALID_INPUT, StatusCode::BAD_REQUEST);
        assert_eq!(
            statuses.status_for(Some(INVALID_INPUT)),
            StatusCode::UNPROCESSABLE_ENTITY
        );
    }

    #[test]
    fn the_fallback_answers_unmapped_codes() {
        let statuses = StatusMap::new().fallback(StatusCode::BAD_GATEWAY);
        assert_eq!(statuses.status_for(Some("x")), StatusCode::BAD_GATEWAY);
        assert_eq!(statuses.type_for(Some("x")), "urn:cmdx:failure:x");
        assert_eq!(statuses.type_for(None), "about:blank");
    }
}
