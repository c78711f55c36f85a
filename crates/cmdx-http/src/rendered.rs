//! [`Rendered`]: an answer as plain parts, for any HTTP framework.

use http::StatusCode;

/// An answer as status, media type, `Retry-After` and body bytes — what
/// [`Reply`] and [`Problem`] render to, so that every framework (axum,
/// actix-web, hyper) answers the same way.
///
/// ```
/// use cmdx_http::Problem;
/// use http::StatusCode;
///
/// let rendered = Problem::new(StatusCode::NOT_FOUND).detail("no such SKU").render();
/// assert_eq!(rendered.status(), StatusCode::NOT_FOUND);
/// assert_eq!(rendered.content_type(), Some("application/problem+json"));
/// let body: serde_json::Value = serde_json::from_slice(rendered.body()).unwrap();
/// assert_eq!(body["detail"], "no such SKU");
/// ```
///
/// [`Reply`]: crate::Reply
/// [`Problem`]: crate::Problem
#[derive(Debug, Clone)]
pub struct Rendered {
    status: StatusCode,
    content_type: Option<&'static str>,
    body: Vec<u8>,
    retry_after: Option<u64>,
}

impl Rendered {
    pub(crate) fn new(status: StatusCode, content_type: &'static str, body: Vec<u8>) -> Self {
        Self {
            status,
            content_type: Some(content_type),
            body,
            retry_after: None,
        }
    }

    pub(crate) fn with_retry_after(mut self, seconds: Option<u64>) -> Self {
        self.retry_after = seconds;
        self
    }

    pub(crate) fn empty(status: StatusCode) -> Self {
        Self {
            status,
            content_type: None,
            body: Vec::new(),
            retry_after: None,
        }
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The media type of the body; `None` when there is no body (`204`).
    pub fn content_type(&self) -> Option<&'static str> {
        self.content_type
    }

    /// The body bytes (JSON, or empty).
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// The `Retry-After` header to send, in seconds: set on answers to
    /// transient failures (`503`, see
    /// [`StatusMap::transient`](crate::StatusMap::transient)).
    pub fn retry_after(&self) -> Option<u64> {
        self.retry_after
    }

    /// Takes the body bytes.
    pub fn into_body(self) -> Vec<u8> {
        self.body
    }
}
