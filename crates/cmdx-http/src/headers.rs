//! The request id and chain id headers, and which request ids are accepted.

use http::HeaderName;
use uuid::Uuid;

/// `x-request-id`: read from the request (the chain's `xid`), echoed on the
/// response.
pub const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// `x-chain-id`: the chain id of the request, set on the response.
pub const X_CHAIN_ID: HeaderName = HeaderName::from_static("x-chain-id");

/// The longest request id taken from a client; longer ones are replaced.
const MAX_LEN: usize = 200;

/// The request id (the chain's `xid`) for a request whose `x-request-id`
/// header is `header`: the header when it is 1–200 visible ASCII
/// characters (so it is safe in a header, a log line and a shell), a new
/// UUIDv7 otherwise. Every framework's chain middleware uses it, so they
/// accept the same ids.
///
/// ```
/// assert_eq!(cmdx_http::accept_request_id(Some(b"req-42")), "req-42");
/// assert_eq!(cmdx_http::accept_request_id(Some(b"two words")).len(), 36);
/// assert_eq!(cmdx_http::accept_request_id(None).len(), 36);
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

    #[test]
    fn a_usable_client_id_is_kept() {
        assert_eq!(accept_request_id(Some(b"req-42")), "req-42");
        let longest = [b'a'; MAX_LEN];
        assert_eq!(accept_request_id(Some(&longest)).len(), MAX_LEN);
    }

    #[test]
    fn an_unusable_client_id_is_replaced_by_a_uuid_v7() {
        for bad in [
            &b""[..],
            b"has space",
            b"caf\xc3\xa9",
            b"tab\t",
            &[b'a'; 201][..],
        ] {
            let id = accept_request_id(Some(bad));
            assert_eq!(
                Uuid::parse_str(&id).unwrap().get_version_num(),
                7,
                "{bad:?}"
            );
        }
        let id = accept_request_id(None);
        assert_eq!(Uuid::parse_str(&id).unwrap().get_version_num(), 7);
    }
}
