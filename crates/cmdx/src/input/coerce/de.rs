//! The lenient [`Deserializer`] over one JSON value, and the one over an
//! object key.

use std::borrow::Cow;

use serde::de::value::{BorrowedStrDeserializer, StringDeserializer};
use serde::de::{Deserializer, Visitor};
use serde_json::{Number, Value};

use super::access::{EnumDe, MapDe, SeqDe};
use super::read::{self, INVALID, LIST, OBJECT, REQUIRED};
use super::{Error, Path, Seg, State, Subst, finish};

/// Containers nested deeper than this are rejected (no stack overflow).
const MAX_DEPTH: usize = 128;

/// Text placeholders, tried in turn until the visitor accepts one: plain
/// strings, decimals, chrono's date-times, dates and times, UUIDs.
const TEXT: &[Cow<'static, str>] = &[
    Cow::Borrowed(""),
    Cow::Borrowed("0"),
    Cow::Borrowed("1970-01-01T00:00:00Z"),
    Cow::Borrowed("1970-01-01"),
    Cow::Borrowed("1970-01-01T00:00:00"),
    Cow::Borrowed("00:00:00"),
    Cow::Borrowed("00000000-0000-0000-0000-000000000000"),
];

/// Placeholders `deserialize_any` tries before the text ones: zero, null.
const ANY_EXTRA: usize = 2;

/// The number of placeholders tried for one field before it is dropped.
pub(super) const ATTEMPTS: usize = ANY_EXTRA + TEXT.len();

/// What a deserializer reads from.
#[derive(Debug, Clone, Copy)]
enum Slot<'a> {
    /// A value from the input.
    Value(&'a Value),
    /// A field already reported: yields the n-th silent placeholder.
    Missing(usize),
}

/// Deserializes one (possibly absent) input value at a known path.
#[derive(Debug)]
pub(super) struct ValueDe<'a> {
    /// The value to read.
    slot: Slot<'a>,
    /// Where it sits in the input.
    pub(super) path: Path,
    /// Error sink and earlier passes' decisions.
    pub(super) state: &'a State,
    /// Container nesting depth.
    depth: usize,
}

impl<'a> ValueDe<'a> {
    /// The deserializer for the whole input.
    pub(super) fn root(input: &'a Value, state: &'a State) -> Self {
        let slot = match state.subst(&[]) {
            Some(Subst::Missing(attempt)) => Slot::Missing(attempt),
            _ => Slot::Value(input),
        };
        Self {
            slot,
            path: Path::new(),
            state,
            depth: 0,
        }
    }

    /// The deserializer for a child (absent when `value` is `None`),
    /// honouring earlier substitutions; `None` when it is to be left out.
    pub(super) fn child(&self, seg: Seg, value: Option<&'a Value>) -> Option<Self> {
        let mut path = self.path.clone();
        path.push(seg);
        let slot = match (self.state.subst(&path), value) {
            (Some(Subst::Skip), _) => return None,
            (Some(Subst::Missing(attempt)), _) => Slot::Missing(attempt),
            (None, None) => Slot::Missing(0),
            (None, Some(value)) => Slot::Value(value),
        };
        Some(Self {
            slot,
            path,
            state: self.state,
            depth: self.depth + 1,
        })
    }

    /// Whether this deserializer yields a placeholder.
    pub(super) fn is_placeholder(&self) -> bool {
        matches!(self.slot, Slot::Missing(_))
    }

    /// Records `message` at this path.
    fn report(&self, message: impl Into<String>) {
        self.state.record(&self.path, message);
    }

    /// The failure that ends a pass once every placeholder was refused.
    fn exhausted(&self) -> Error {
        Error::reported(self.path.clone())
    }

    /// The n-th placeholder of `placeholders`, flagged as a placeholder.
    fn fallback<X: Clone>(&self, placeholders: &[X], attempt: usize) -> Result<(X, bool), Error> {
        let placeholder = placeholders.get(attempt).cloned();
        placeholder
            .map(|x| (x, true))
            .ok_or_else(|| self.exhausted())
    }

    /// Reads a scalar; on failure records why and falls back to the first
    /// placeholder. The flag tells whether a placeholder is used.
    fn scalar<X: Clone>(
        &self,
        read: impl FnOnce(&'a Value) -> Result<X, String>,
        placeholders: &[X],
    ) -> Result<(X, bool), Error> {
        match self.slot {
            Slot::Missing(attempt) => self.fallback(placeholders, attempt),
            Slot::Value(Value::Null) => {
                self.report(REQUIRED);
                self.fallback(placeholders, 0)
            }
            Slot::Value(value) => read(value).map(|x| (x, false)).or_else(|message| {
                self.report(message);
                self.fallback(placeholders, 0)
            }),
        }
    }

    /// Opens a container of the kind `pick` selects; `None` (after
    /// recording why, unless the slot is a placeholder) when an empty
    /// placeholder must be used instead.
    fn open<X>(
        &self,
        pick: impl FnOnce(&'a Value) -> Option<X>,
        shape: &str,
    ) -> Result<Option<X>, Error> {
        if self.depth > MAX_DEPTH {
            if let Slot::Value(_) = self.slot {
                self.report(format!("{INVALID} (nested too deeply)"));
            }
            return Err(self.exhausted());
        }
        match self.slot {
            Slot::Missing(0) => Ok(None),
            Slot::Missing(_) => Err(self.exhausted()),
            // A null root is a wrongly shaped input rather than a missing field.
            Slot::Value(Value::Null) if !self.path.is_empty() => {
                self.report(REQUIRED);
                Ok(None)
            }
            Slot::Value(value) => {
                let picked = pick(value);
                if picked.is_none() {
                    self.report(shape);
                }
                Ok(picked)
            }
        }
    }

    /// Picks the enum variant and its data (`None` for the bare-string
    /// form). Unknown or absent variants fall back to the variants in turn;
    /// the flag tells whether that happened.
    fn variant(
        &self,
        variants: &'static [&'static str],
    ) -> Result<(&'a str, Option<Self>, bool), Error> {
        let attempt = match self.slot {
            Slot::Missing(attempt) => attempt,
            Slot::Value(Value::Null) => {
                self.report(REQUIRED);
                0
            }
            Slot::Value(Value::Object(map)) if map.len() == 1 => {
                let known = map.iter().find(|(key, _)| variants.contains(&key.as_str()));
                if let Some((key, data)) = known {
                    let data = self.child(Seg::Key(key.clone()), Some(data));
                    let data = data.ok_or_else(|| self.exhausted())?;
                    return Ok((key.as_str(), Some(data), false));
                }
                self.report(read::one_of(variants));
                0
            }
            Slot::Value(value) => {
                let text = read::text(value).unwrap_or_default();
                if let Some(name) = variants.iter().find(|name| **name == text) {
                    return Ok((name, None, false));
                }
                self.report(read::one_of(variants));
                0
            }
        };
        let name = variants
            .get(attempt)
            .copied()
            .ok_or_else(|| self.exhausted())?;
        Ok((name, self.child(Seg::Key(name.to_owned()), None), true))
    }
}

/// Feeds a JSON number to a visitor as the narrowest matching kind.
fn visit_number<'a, V: Visitor<'a>>(number: &Number, visitor: V) -> Result<V::Value, Error> {
    if let Some(u) = number.as_u64() {
        visitor.visit_u64(u)
    } else if let Some(i) = number.as_i64() {
        visitor.visit_i64(i)
    } else if let Some(f) = number.as_f64() {
        visitor.visit_f64(f)
    } else {
        visitor.visit_string(number.to_string())
    }
}

/// Feeds text to a visitor, borrowing when possible.
fn visit_text<'a, V: Visitor<'a>>(text: Cow<'a, str>, visitor: V) -> Result<V::Value, Error> {
    match text {
        Cow::Borrowed(s) => visitor.visit_borrowed_str(s),
        Cow::Owned(s) => visitor.visit_string(s),
    }
}

/// One scalar `deserialize_*` method: read with `$read`, fall back to
/// `$placeholders`, hand the result to `$visit`.
macro_rules! scalar_method {
    ($method:ident, $visit:ident, $read:expr, $placeholders:expr) => {
        fn $method<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
            let (value, placeholder) = self.scalar($read, $placeholders)?;
            finish(&self.path, placeholder, visitor.$visit(value))
        }
    };
}

/// The scalar `deserialize_*` methods shared by [`ValueDe`] and [`KeyDe`].
/// The second placeholder serves types that refuse zero (`NonZeroU32`).
macro_rules! scalar_methods {
    () => {
        scalar_method!(deserialize_bool, visit_bool, read::boolean, &[false, true]);
        scalar_method!(deserialize_f32, visit_f32, read::float32, &[0.0, 1.0]);
        scalar_method!(deserialize_f64, visit_f64, read::float, &[0.0, 1.0]);
        scalar_method!(deserialize_char, visit_char, read::character, &['\0', ' ']);
        scalar_methods!(@int
            deserialize_i8 i8 visit_i8, deserialize_i16 i16 visit_i16,
            deserialize_i32 i32 visit_i32, deserialize_i64 i64 visit_i64,
            deserialize_i128 i128 visit_i128, deserialize_u8 u8 visit_u8,
            deserialize_u16 u16 visit_u16, deserialize_u32 u32 visit_u32,
            deserialize_u64 u64 visit_u64, deserialize_u128 u128 visit_u128);
    };
    (@int $($method:ident $ty:ident $visit:ident),*) => {
        $(scalar_method!(
            $method, $visit, |v| read::integer::<$ty>(v, <$ty>::MIN, <$ty>::MAX), &[0, 1]
        );)*
    };
}

impl<'a> Deserializer<'a> for ValueDe<'a> {
    type Error = Error;

    scalar_methods!();

    fn deserialize_any<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        let result = match self.slot {
            // Zero suits most self-describing types (decimals, JSON values).
            Slot::Missing(0) => visitor.visit_i64(0),
            Slot::Missing(1) => visitor.visit_unit(),
            Slot::Missing(attempt) => {
                let (text, _) = self.fallback(TEXT, attempt - ANY_EXTRA)?;
                visit_text(text, visitor)
            }
            Slot::Value(Value::Null) => visitor.visit_unit(),
            Slot::Value(Value::Bool(b)) => visitor.visit_bool(*b),
            Slot::Value(Value::Number(n)) => visit_number(n, visitor),
            Slot::Value(Value::String(s)) => visitor.visit_borrowed_str(s),
            Slot::Value(Value::Array(_)) => return self.deserialize_seq(visitor),
            Slot::Value(Value::Object(_)) => return self.deserialize_map(visitor),
        };
        finish(&self.path, self.is_placeholder(), result)
    }

    fn deserialize_str<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        let (text, placeholder) = self.scalar(read::text, TEXT)?;
        finish(&self.path, placeholder, visit_text(text, visitor))
    }

    fn deserialize_string<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_bytes<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        if let Slot::Value(Value::Array(_)) = self.slot {
            return self.deserialize_seq(visitor);
        }
        let (text, placeholder) = self.scalar(read::text, TEXT)?;
        let result = match text {
            Cow::Borrowed(s) => visitor.visit_borrowed_bytes(s.as_bytes()),
            Cow::Owned(s) => visitor.visit_byte_buf(s.into_bytes()),
        };
        finish(&self.path, placeholder, result)
    }

    fn deserialize_byte_buf<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_bytes(visitor)
    }

    fn deserialize_option<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        let path = self.path.clone();
        let (placeholder, result) = match self.slot {
            Slot::Missing(0) => (true, visitor.visit_none()),
            Slot::Missing(_) => return Err(self.exhausted()),
            Slot::Value(Value::Null) => (false, visitor.visit_none()),
            Slot::Value(_) => (false, visitor.visit_some(self)),
        };
        finish(&path, placeholder, result)
    }

    fn deserialize_unit<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        finish(&self.path, self.is_placeholder(), visitor.visit_unit())
    }

    fn deserialize_unit_struct<V: Visitor<'a>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'a>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        let path = self.path.clone();
        let placeholder = self.is_placeholder();
        finish(&path, placeholder, visitor.visit_newtype_struct(self))
    }

    fn deserialize_seq<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        let items = self.open(|v| v.as_array().map(Vec::as_slice), LIST)?;
        let mut access = SeqDe::new(&self, items.unwrap_or_default());
        let result = visitor.visit_seq(&mut access);
        if result.is_ok() && !access.is_done() {
            self.report(format!("{INVALID} (too many elements)"));
        }
        finish(&self.path, items.is_none(), result)
    }

    fn deserialize_tuple<V: Visitor<'a>>(self, _len: usize, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'a>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        let object = self.open(Value::as_object, OBJECT)?;
        let access = MapDe::new(&self, object);
        finish(&self.path, object.is_none(), visitor.visit_map(access))
    }

    fn deserialize_struct<V: Visitor<'a>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_map(visitor)
    }

    fn deserialize_enum<V: Visitor<'a>>(
        self,
        _name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        if self.depth > MAX_DEPTH {
            return Err(self.exhausted());
        }
        let (variant, data, placeholder) = self.variant(variants)?;
        let access = EnumDe::new(variant, data);
        finish(&self.path, placeholder, visitor.visit_enum(access))
    }

    fn deserialize_identifier<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        finish(&self.path, false, visitor.visit_unit())
    }
}

/// Deserializes an object key: text, or a coerced scalar for non-string keys.
#[derive(Debug)]
pub(super) struct KeyDe<'a> {
    /// The key text.
    key: Cow<'a, str>,
    /// The path of the entry the key names.
    path: Path,
    /// Error sink.
    state: &'a State,
}

impl<'a> KeyDe<'a> {
    /// The deserializer for `key`, whose entry sits at `path`.
    pub(super) fn new(key: Cow<'a, str>, path: Path, state: &'a State) -> Self {
        Self { key, path, state }
    }

    /// Reads the key as a scalar; on failure records why and returns the
    /// first placeholder.
    fn scalar<X: Clone>(
        &self,
        read: impl FnOnce(&Value) -> Result<X, String>,
        placeholders: &[X],
    ) -> Result<(X, bool), Error> {
        match read(&Value::String(self.key.to_string())) {
            Ok(x) => Ok((x, false)),
            Err(message) => {
                self.state.record(&self.path, message);
                let placeholder = placeholders.first().cloned();
                placeholder
                    .map(|x| (x, true))
                    .ok_or_else(|| Error::reported(self.path.clone()))
            }
        }
    }
}

impl<'a> Deserializer<'a> for KeyDe<'a> {
    type Error = Error;

    scalar_methods!();

    fn deserialize_any<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        finish(&self.path, false, visit_text(self.key, visitor))
    }

    fn deserialize_option<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        let path = self.path.clone();
        finish(&path, false, visitor.visit_some(self))
    }

    fn deserialize_newtype_struct<V: Visitor<'a>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        let path = self.path.clone();
        finish(&path, false, visitor.visit_newtype_struct(self))
    }

    fn deserialize_enum<V: Visitor<'a>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        let result = match self.key {
            Cow::Borrowed(s) => visitor.visit_enum(BorrowedStrDeserializer::new(s)),
            Cow::Owned(s) => visitor.visit_enum(StringDeserializer::new(s)),
        };
        finish(&self.path, false, result)
    }

    serde::forward_to_deserialize_any! {
        <W: Visitor<'a>>
        str string bytes byte_buf unit unit_struct seq tuple tuple_struct map struct identifier
        ignored_any
    }
}
