//! axum's `IntoResponse` for the answers (feature `axum`).

use crate::{Problem, Rendered, Reply};
use axum_core::response::{IntoResponse, Response};
use http::HeaderValue;
use http::header::{CONTENT_TYPE, RETRY_AFTER};
use serde::Serialize;

impl IntoResponse for Rendered {
    fn into_response(self) -> Response {
        let retry_after = self.retry_after();
        let mut response = match self.content_type() {
            Some(content_type) => (
                self.status(),
                [(CONTENT_TYPE, content_type)],
                self.into_body(),
            )
                .into_response(),
            None => self.status().into_response(),
        };
        if let Some(seconds) = retry_after {
            response
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        self.render().into_response()
    }
}

/// Rendered in the handler's future, so with the router's ambient
/// [`StatusMap`](crate::StatusMap) when it has no map of its own.
impl<T: Serialize> IntoResponse for Reply<T> {
    fn into_response(self) -> Response {
        self.render().into_response()
    }
}
