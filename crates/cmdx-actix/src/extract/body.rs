//! Reading a JSON body, with the problem documents cmdx-axum answers.

use super::JsonTaskConfig;
use crate::{Problem, RequestChain};
use actix_web::body::{BodyStream, to_bytes_limited};
use actix_web::dev::Payload;
use actix_web::http::header::CONTENT_TYPE;
use actix_web::{HttpMessage, HttpRequest, web};
use http::StatusCode;
use serde_json::Value;
use std::future::Future;
use uuid::Uuid;

/// The body of `request` as JSON: at most `limit` bytes read within
/// `timeout`, then the content type checked, then parsed — the order of
/// the axum inventory example (which reads the body in a middleware
/// before `JsonTask`), so both answer the same to every request.
pub(super) fn read_json(
    request: &HttpRequest,
    payload: Payload,
) -> impl Future<Output = Result<Value, Problem>> + use<> {
    let config = request
        .app_data::<JsonTaskConfig>()
        .or_else(|| {
            request
                .app_data::<web::Data<JsonTaskConfig>>()
                .map(|d| d.get_ref())
        })
        .copied()
        .unwrap_or_default();
    let cid = request
        .extensions()
        .get::<RequestChain>()
        .map(RequestChain::id)
        .or_else(cmdx::current_chain_id);
    let json = json_content_type(request);
    async move {
        let reading = to_bytes_limited(BodyStream::new(payload), config.limit);
        let read = match config.timeout {
            Some(timeout) => match tokio::time::timeout(timeout, reading).await {
                Ok(read) => read,
                Err(_) => {
                    return Err(with_cid(
                        Problem::new(StatusCode::REQUEST_TIMEOUT)
                            .code("request_timeout")
                            .detail("The request body did not arrive in time; send it again."),
                        cid,
                    ));
                }
            },
            None => reading.await,
        };
        let bytes = match read {
            Ok(Ok(bytes)) => bytes,
            Err(_too_large) => {
                return Err(with_cid(
                    Problem::new(StatusCode::PAYLOAD_TOO_LARGE)
                        .code("body_too_large")
                        .detail(format!(
                            "The request body is larger than {} bytes.",
                            config.limit
                        )),
                    cid,
                ));
            }
            Ok(Err(_broken)) => {
                return Err(with_cid(
                    Problem::new(StatusCode::BAD_REQUEST)
                        .code("unreadable_body")
                        .detail("The request body could not be read."),
                    cid,
                ));
            }
        };
        if !json {
            return Err(with_cid(
                Problem::new(StatusCode::UNSUPPORTED_MEDIA_TYPE)
                    .code("unsupported_media_type")
                    .detail("Expected request with `Content-Type: application/json`"),
                cid,
            ));
        }
        serde_json::from_slice(&bytes).map_err(|error| {
            with_cid(
                Problem::new(StatusCode::BAD_REQUEST)
                    .code("invalid_json")
                    .detail(format!("Failed to parse the request body as JSON: {error}")),
                cid,
            )
        })
    }
}

fn with_cid(problem: Problem, cid: Option<Uuid>) -> Problem {
    match cid {
        Some(cid) => problem.cid(cid),
        None => problem,
    }
}

/// `application/json` or `application/…+json`, as axum's `Json` accepts.
fn json_content_type(request: &HttpRequest) -> bool {
    let Some(value) = request
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
    else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match essence.strip_prefix("application/") {
        Some(subtype) => subtype == "json" || subtype.ends_with("+json"),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::json_content_type;
    use actix_web::test::TestRequest;

    #[test]
    fn json_media_types_are_accepted_others_refused() {
        for (value, accepted) in [
            ("application/json", true),
            ("Application/JSON; charset=utf-8", true),
            ("application/problem+json", true),
            ("text/plain", false),
            ("application/jsonx", false),
            ("json", false),
        ] {
            let request = TestRequest::default()
                .insert_header(("content-type", value))
                .to_http_request();
            assert_eq!(json_content_type(&request), accepted, "{value}");
        }
        assert!(!json_content_type(
            &TestRequest::default().to_http_request()
        ));
    }
}
