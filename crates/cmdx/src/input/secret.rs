//! [`Secret`]: an input that never shows.

use serde::de::{self, Visitor, value};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::marker::PhantomData;

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
/// assert_eq!(format!("{card}"), "[REDACTED]");
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

/// Also `"[REDACTED]"`, so a secret given to `tracing` with `%` (or to
/// `format!` with `{}`) does not show either.
///
/// ```
/// let token = cmdx::Secret::new("s3cr3t");
/// assert_eq!(token.to_string(), "[REDACTED]");
/// ```
impl<T> fmt::Display for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

/// Serializes as `"[REDACTED]"`, except where cmdx itself hands a typed
/// workflow's input to its steps (see `input::revealed`).
impl<T: Serialize> Serialize for Secret<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if REVEALING.get() {
            self.0.serialize(serializer)
        } else {
            serializer.serialize_str(REDACTED)
        }
    }
}

thread_local! {
    /// Set only while [`revealed`] runs on this thread.
    static REVEALING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f` (a synchronous serialization) with [`Secret`] values serialized
/// as themselves: how a typed workflow's input becomes the context its
/// steps read, secrets included (the context never reaches a line: each
/// step's line shows its own input, redacted). Reset on return and on
/// unwind.
pub(crate) fn revealed<R>(f: impl FnOnce() -> R) -> R {
    struct Reset(bool);
    impl Drop for Reset {
        fn drop(&mut self) {
            REVEALING.set(self.0);
        }
    }
    let _reset = Reset(REVEALING.replace(true));
    f()
}

/// The newtype name a [`Secret`] deserializes under, so cmdx's lenient
/// deserializer knows which values must never be shown. Other formats treat
/// it as any newtype (transparently).
pub(crate) const SECRET: &str = "cmdx::Secret";

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Secret<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_newtype_struct(SECRET, SecretVisitor(PhantomData))
    }
}

/// Reads the inner value through the newtype, or directly from formats
/// that hand the value itself to newtype visitors.
struct SecretVisitor<T>(PhantomData<fn() -> T>);

macro_rules! forward_primitive {
    ($($visit:ident: $ty:ty => $de:ident,)*) => {$(
        fn $visit<E: de::Error>(self, value: $ty) -> Result<Self::Value, E> {
            T::deserialize(value::$de::new(value)).map(Secret)
        }
    )*};
}

impl<'de, T: Deserialize<'de>> Visitor<'de> for SecretVisitor<T> {
    type Value = Secret<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a value")
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, inner: D) -> Result<Self::Value, D::Error> {
        T::deserialize(inner).map(Secret)
    }

    forward_primitive! {
        visit_bool: bool => BoolDeserializer,
        visit_i8: i8 => I8Deserializer,
        visit_i16: i16 => I16Deserializer,
        visit_i32: i32 => I32Deserializer,
        visit_i64: i64 => I64Deserializer,
        visit_i128: i128 => I128Deserializer,
        visit_u8: u8 => U8Deserializer,
        visit_u16: u16 => U16Deserializer,
        visit_u32: u32 => U32Deserializer,
        visit_u64: u64 => U64Deserializer,
        visit_u128: u128 => U128Deserializer,
        visit_f32: f32 => F32Deserializer,
        visit_f64: f64 => F64Deserializer,
        visit_char: char => CharDeserializer,
        visit_string: String => StringDeserializer,
        visit_borrowed_str: &'de str => BorrowedStrDeserializer,
        visit_borrowed_bytes: &'de [u8] => BorrowedBytesDeserializer,
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Self::Value, E> {
        T::deserialize(value::StringDeserializer::new(value.to_owned())).map(Secret)
    }

    fn visit_bytes<E: de::Error>(self, value: &[u8]) -> Result<Self::Value, E> {
        T::deserialize(value::BytesDeserializer::new(value)).map(Secret)
    }

    fn visit_byte_buf<E: de::Error>(self, value: Vec<u8>) -> Result<Self::Value, E> {
        self.visit_bytes(&value)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        T::deserialize(value::UnitDeserializer::new()).map(Secret)
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        T::deserialize(value::UnitDeserializer::new()).map(Secret)
    }

    fn visit_some<D: Deserializer<'de>>(self, inner: D) -> Result<Self::Value, D::Error> {
        T::deserialize(inner).map(Secret)
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        T::deserialize(value::SeqAccessDeserializer::new(seq)).map(Secret)
    }

    fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        T::deserialize(value::MapAccessDeserializer::new(map)).map(Secret)
    }

    fn visit_enum<A: de::EnumAccess<'de>>(self, data: A) -> Result<Self::Value, A::Error> {
        T::deserialize(value::EnumAccessDeserializer::new(data)).map(Secret)
    }
}
