//! [`Secret`]: an input that never shows.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// The text that stands in for a sensitive value in ledger lines, span
/// attributes, `Debug` output and error messages.
pub const REDACTED: &str = "[REDACTED]";

/// Wraps a sensitive input (a card number, a token). It deserializes like
/// `T`, but serializes and debug-prints as `"[REDACTED]"`, so it never
/// reaches a ledger line, a span or an error message. Read it with
/// [`Secret::expose`].
///
/// ```
/// use cmdx::Secret;
///
/// let card: Secret<String> = serde_json::from_str("\"4242 4242 4242 4242\"").unwrap();
/// assert_eq!(card.expose(), "4242 4242 4242 4242");
/// assert_eq!(serde_json::to_string(&card).unwrap(), "\"[REDACTED]\"");
/// assert_eq!(format!("{card:?}"), "[REDACTED]");
/// ```
///
/// With `garde`, mark the field `#[garde(skip)]`, or validate the inner value
/// with `#[garde(custom(...))]` on `expose()`.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret<T>(T);

impl<T> Secret<T> {
    /// Wraps a value.
    pub fn new(value: T) -> Self {
        Self(value)
    }

    /// The value itself. Keep it out of logs.
    pub fn expose(&self) -> &T {
        &self.0
    }

    /// Unwraps the value.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> From<T> for Secret<T> {
    fn from(value: T) -> Self {
        Self(value)
    }
}

impl<T> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl<T> Serialize for Secret<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(REDACTED)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Secret<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        T::deserialize(deserializer).map(Secret)
    }
}
