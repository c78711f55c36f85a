//! The request id: taken from `x-request-id` when usable, generated otherwise.

use crate::{X_REQUEST_ID, accept_request_id};
use http::{HeaderMap, HeaderValue};

/// The client's request id when it is 1–200 visible ASCII characters
/// (see [`accept_request_id`]), else a new UUIDv7; with its header value.
pub(crate) fn request_id(headers: &HeaderMap) -> (String, HeaderValue) {
    let id = accept_request_id(headers.get(X_REQUEST_ID).map(HeaderValue::as_bytes));
    let value = HeaderValue::from_str(&id).expect("an accepted request id is visible ASCII");
    (id, value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

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
