//! [`Rendered`]: an answer as plain parts, for any HTTP framework.

use axum::response::{IntoResponse, Response};
use http::StatusCode;
use http::header::CONTENT_TYPE;

/// An answer as status, media type and body bytes — what [`Reply`] and
/// [`Problem`] render to, so that frameworks other than axum (actix-web,
/// hyper) can answer the same way.
///
/// ```
/// use cmdx_axum::Problem;
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
}

impl Rendered {
    pub(crate) fn new(status: StatusCode, content_type: &'static str, body: Vec<u8>) -> Self {
        Self {
            status,
            content_type: Some(content_type),
            body,
        }
    }

    pub(crate) fn empty(status: StatusCode) -> Self {
        Self {
            status,
            content_type: None,
            body: Vec::new(),
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

    /// Takes the body bytes.
    pub fn into_body(self) -> Vec<u8> {
        self.body
    }
}

impl IntoResponse for Rendered {
    fn into_response(self) -> Response {
        match self.content_type {
            Some(content_type) => {
                (self.status, [(CONTENT_TYPE, content_type)], self.body).into_response()
            }
            None => self.status.into_response(),
        }
    }
}
