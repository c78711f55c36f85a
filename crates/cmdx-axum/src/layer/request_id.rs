//! The request id: taken from `x-request-id` when usable, generated otherwise.

use http::{HeaderMap, HeaderName, HeaderValue};
use uuid::Uuid;

/// `x-request-id`: read from the request, echoed on the response.
pub const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// `x-chain-id`: the chain id of the request, set on the response.
pub const X_CHAIN_ID: HeaderName = HeaderName::from_static("x-chain-id");

/// The longest request id taken from a client; longer ones are replaced.
const MAX_LEN: usize = 200;

/// The client's request id when it is 1–200 visible ASCII characters
/// (so it is safe in a header, a log line and a shell), else a new UUIDv7.
pub(crate) fn request_id(headers: &HeaderMap) -> (String, HeaderValue) {
    if let Some(value) = headers.get(X_REQUEST_ID)
        && let Some(id) = usable(value.as_bytes())
    {
        return (id.to_owned(), value.clone());
    }
    let id = Uuid::now_v7().to_string();
    let value = HeaderValue::from_str(&id).expect("a UUID is a valid header value");
    (id, value)
}

/// The request id [`ChainLayer`](crate::ChainLayer) uses for a request
/// whose `x-request-id` header is `header`: the header when it is 1–200
/// visible ASCII characters, a new UUIDv7 otherwise. For other frameworks'
/// middleware (actix-web), so they accept the same ids.
///
/// ```
/// assert_eq!(cmdx_axum::accept_request_id(Some(b"req-42")), "req-42");
/// assert_eq!(cmdx_axum::accept_request_id(Some(b"two words")).len(), 36);
/// assert_eq!(cmdx_axum::accept_request_id(None).len(), 36);
/// ```
pub fn accept_request_id(header: Option<&[u8]>) -> String {
    match header.and_then(usable) {
        Some(id) => id.to_owned(),
        None => Uuid::now_v7().to_string(),
    }
}

fn usable(bytes: &[u8]) -> Option<&str> {
    let visible = bytes.iter().all(|b| (0x21..=0x7e).contains(b));
    if bytes.is_empty() || bytes.len() > MAX_LEN || !visible {
        return None;
    }
    std::str::from_utf8(bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id_for(value: &'static [u8]) -> String {
        let mut headers = HeaderMap::new();
        headers.insert(X_REQUEST_ID, HeaderValue::from_bytes(value).unwrap());
        request_id(&headers).0
    }

    #[test]
    fn a_usable_client_id_is_kept() {
        assert_eq!(id_for(b"req-42"), "req-42");
    }

    #[test]
    fn an_unusable_client_id_is_replaced_by_a_uuid() {
        for bad in [&b""[..], b"has space", b"caf\xc3\xa9", &[b'a'; 201][..]] {
            let mut headers = HeaderMap::new();
            headers.insert(X_REQUEST_ID, HeaderValue::from_bytes(bad).unwrap());
            let (id, _) = request_id(&headers);
            assert!(Uuid::parse_str(&id).is_ok(), "{bad:?} gave {id}");
        }
    }

    #[test]
    fn a_missing_id_is_a_fresh_uuid_v7() {
        let (id, _) = request_id(&HeaderMap::new());
        assert_eq!(Uuid::parse_str(&id).unwrap().get_version_num(), 7);
    }
}
