//! The lenient [`Deserializer`] over a JSON value and its sequence, map,
//! enum and key accessors.

use std::borrow::Cow;

use serde::de::value::{BorrowedStrDeserializer, StringDeserializer};
use serde::de::{
    DeserializeSeed, Deserializer, EnumAccess, MapAccess, SeqAccess, VariantAccess, Visitor,
};
use serde_json::{Map, Number, Value};

use super::read::{self, INVALID, LIST, OBJECT, REQUIRED};
use super::{Error, Path, Seg, State, Subst, finish};

/// Containers nested deeper than this are rejected (no stack overflow).
const MAX_DEPTH: usize = 128;

/// What a deserializer reads from.
#[derive(Debug, Clone, Copy)]
enum Slot<'a> {
    /// A value from the input.
    Value(&'a Value),
    /// A field already reported: yields a silent placeholder.
    Missing,
}

/// Deserializes one (possibly absent) input value at a known path.
#[derive(Debug)]
pub(super) struct ValueDe<'a> {
    /// The value to read.
    slot: Slot<'a>,
    /// Where it sits in the input.
    path: Path,
    /// Error sink and earlier passes' decisions.
    state: &'a State,
    /// Container nesting depth.
    depth: usize,
}

impl<'a> ValueDe<'a> {
    /// The deserializer for the whole input.
    pub(super) fn root(input: &'a Value, state: &'a State) -> Self {
        let slot = match state.subst(&[]) {
            Some(Subst::Missing) => Slot::Missing,
            _ => Slot::Value(input),
        };
        Self { slot, path: Path::new(), state, depth: 0 }
    }

    /// The deserializer for a child, honouring earlier substitutions;
    /// `None` when the child is to be left out.
    fn child(&self, seg: Seg, value: Option<&'a Value>) -> Option<Self> {
        let mut path = self.path.clone();
        path.push(seg);
        let slot = match (self.state.subst(&path), value) {
            (Some(Subst::Skip), _) => return None,
            (Some(Subst::Missing), _) | (None, None) => Slot::Missing,
            (None, Some(value)) => Slot::Value(value),
        };
        Some(Self { slot, path, state: self.state, depth: self.depth + 1 })
    }

    /// Records `message` at this path.
    fn report(&self, message: impl Into<String>) {
        self.state.record(&self.path, message);
    }

    /// Reads a scalar; on failure records why and returns `placeholder`.
    /// The flag tells whether the placeholder is used.
    fn scalar<X>(&self, read: impl FnOnce(&'a Value) -> Result<X, String>, placeholder: X) -> (X, bool) {
        match self.slot {
            Slot::Missing => (placeholder, true),
            Slot::Value(Value::Null) => {
                self.report(REQUIRED);
                (placeholder, true)
            }
            Slot::Value(value) => read(value).map_or_else(
                |message| {
                    self.report(message);
                    (placeholder, true)
                },
                |x| (x, false),
            ),
        }
    }

    /// Opens a container; `None` (after recording why, unless the slot is a
    /// placeholder) when an empty placeholder must be used instead.
    fn open<X>(&self, pick: impl FnOnce(&'a Value) -> Option<X>, shape: &str) -> Result<Option<X>, Error> {
        if self.depth > MAX_DEPTH {
            if let Slot::Value(_) = self.slot {
                self.report(format!("{INVALID} (nested too deeply)"));
            }
            return Err(Error::reported(self.path.clone()));
        }
        Ok(match self.slot {
            Slot::Missing => None,
            // A null root is a wrongly shaped input rather than a missing field.
            Slot::Value(Value::Null) if !self.path.is_empty() => {
                self.report(REQUIRED);
                None
            }
            Slot::Value(value) => {
                let picked = pick(value);
                if picked.is_none() {
                    self.report(shape);
                }
                picked
            }
        })
    }

    /// Picks the enum variant and its content (`None` for the bare-string
    /// form); the flag tells whether the first variant is a placeholder.
    fn variant(&self, variants: &'static [&'static str]) -> Result<(&'a str, Option<Self>, bool), Error> {
        let first = variants.first().copied().unwrap_or_default();
        match self.slot {
            Slot::Value(Value::Null) => self.report(REQUIRED),
            Slot::Value(Value::Object(map)) if map.len() == 1 => {
                if let Some((key, content)) = map.iter().next().filter(|(k, _)| variants.contains(&k.as_str())) {
                    let content = self.child(Seg::Key(key.clone()), Some(content));
                    return match content {
                        Some(content) => Ok((key.as_str(), Some(content), false)),
                        None => Err(Error::reported(self.path.clone())),
                    };
                }
                self.report(read::one_of(variants));
            }
            Slot::Value(value) => {
                let text = read::text(value).unwrap_or_default();
                if let Some(name) = variants.iter().find(|name| **name == text) {
                    return Ok((name, None, false));
                }
                self.report(read::one_of(variants));
            }
            Slot::Missing => {}
        }
        let content = self.child(Seg::Key(first.to_owned()), None);
        Ok((first, content, true))
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
/// `$placeholder`, hand the result to `$visit`.
macro_rules! scalar_method {
    ($method:ident, $visit:ident, $read:expr, $placeholder:expr) => {
        fn $method<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
            let (value, placeholder) = self.scalar($read, $placeholder);
            finish(&self.path, placeholder, visitor.$visit(value))
        }
    };
}

/// The scalar `deserialize_*` methods shared by [`ValueDe`] and [`KeyDe`].
macro_rules! scalar_methods {
    () => {
        scalar_method!(deserialize_bool, visit_bool, read::boolean, false);
        scalar_method!(deserialize_f32, visit_f32, read::float32, 0.0);
        scalar_method!(deserialize_f64, visit_f64, read::float, 0.0);
        scalar_method!(deserialize_char, visit_char, read::character, char::default());
        scalar_methods!(@int
            deserialize_i8 i8 visit_i8, deserialize_i16 i16 visit_i16,
            deserialize_i32 i32 visit_i32, deserialize_i64 i64 visit_i64,
            deserialize_i128 i128 visit_i128, deserialize_u8 u8 visit_u8,
            deserialize_u16 u16 visit_u16, deserialize_u32 u32 visit_u32,
            deserialize_u64 u64 visit_u64, deserialize_u128 u128 visit_u128);
    };
    (@int $($method:ident $ty:ident $visit:ident),*) => {
        $(scalar_method!($method, $visit, |v| read::integer::<$ty>(v, <$ty>::MIN, <$ty>::MAX), 0);)*
    };
}

impl<'a> Deserializer<'a> for ValueDe<'a> {
    type Error = Error;

    scalar_methods!();

    fn deserialize_any<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        let result = match self.slot {
            // Zero suits most self-describing types (decimals, JSON values).
            Slot::Missing => visitor.visit_i64(0),
            Slot::Value(Value::Null) => visitor.visit_unit(),
            Slot::Value(Value::Bool(b)) => visitor.visit_bool(*b),
            Slot::Value(Value::Number(n)) => visit_number(n, visitor),
            Slot::Value(Value::String(s)) => visitor.visit_borrowed_str(s),
            Slot::Value(Value::Array(_)) => return self.deserialize_seq(visitor),
            Slot::Value(Value::Object(_)) => return self.deserialize_map(visitor),
        };
        finish(&self.path, matches!(self.slot, Slot::Missing), result)
    }

    fn deserialize_str<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        let (text, placeholder) = self.scalar(read::text, Cow::Borrowed(""));
        finish(&self.path, placeholder, visit_text(text, visitor))
    }

    fn deserialize_string<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_bytes<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        if let Slot::Value(Value::Array(_)) = self.slot {
            return self.deserialize_seq(visitor);
        }
        let (text, placeholder) = self.scalar(read::text, Cow::Borrowed(""));
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
            Slot::Missing => (true, visitor.visit_none()),
            Slot::Value(Value::Null) => (false, visitor.visit_none()),
            Slot::Value(_) => (false, visitor.visit_some(self)),
        };
        finish(&path, placeholder, result)
    }

    fn deserialize_unit<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        finish(&self.path, false, visitor.visit_unit())
    }

    fn deserialize_unit_struct<V: Visitor<'a>>(self, _name: &'static str, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'a>>(self, _name: &'static str, visitor: V) -> Result<V::Value, Error> {
        let path = self.path.clone();
        finish(&path, false, visitor.visit_newtype_struct(self))
    }

    fn deserialize_seq<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        let items = self.open(|v| v.as_array().map(Vec::as_slice), LIST)?;
        let mut access = SeqDe::new(&self, items.unwrap_or_default());
        let result = visitor.visit_seq(&mut access);
        if result.is_ok() && access.entries.len() > 0 {
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
        self.open(Some, OBJECT)?;
        let (variant, content, placeholder) = self.variant(variants)?;
        let access = EnumDe { variant, content };
        finish(&self.path, placeholder, visitor.visit_enum(access))
    }

    fn deserialize_identifier<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        finish(&self.path, false, visitor.visit_unit())
    }
}

/// Walks a JSON array (or an empty placeholder).
#[derive(Debug)]
struct SeqDe<'a> {
    /// The remaining element deserializers.
    entries: std::vec::IntoIter<ValueDe<'a>>,
}

impl<'a> SeqDe<'a> {
    /// Element deserializers for `items`, minus dropped elements.
    fn new(parent: &ValueDe<'a>, items: &'a [Value]) -> Self {
        let entries: Vec<_> =
            items.iter().enumerate().filter_map(|(i, item)| parent.child(Seg::Index(i), Some(item))).collect();
        Self { entries: entries.into_iter() }
    }
}

impl<'a> SeqAccess<'a> for SeqDe<'a> {
    type Error = Error;

    fn next_element_seed<S: DeserializeSeed<'a>>(&mut self, seed: S) -> Result<Option<S::Value>, Error> {
        self.entries.next().map(|entry| seed.deserialize(entry)).transpose()
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
}

/// Walks a JSON object (or an empty placeholder), adding fields reported
/// missing by earlier passes as placeholders.
#[derive(Debug)]
struct MapDe<'a> {
    /// The remaining keys with their value deserializers.
    entries: std::vec::IntoIter<(Cow<'a, str>, ValueDe<'a>)>,
    /// The value deserializer for the key just returned.
    pending: Option<ValueDe<'a>>,
    /// Error sink for key errors.
    state: &'a State,
}

impl<'a> MapDe<'a> {
    /// Entries for `object` and for the fields missing from it.
    fn new(parent: &ValueDe<'a>, object: Option<&'a Map<String, Value>>) -> Self {
        let mut entries = Vec::new();
        for (key, value) in object.into_iter().flatten() {
            if let Some(child) = parent.child(Seg::Key(key.clone()), Some(value)) {
                entries.push((Cow::Borrowed(key.as_str()), child));
            }
        }
        for name in parent.state.virtual_fields(&parent.path) {
            if object.is_some_and(|o| o.contains_key(name)) {
                continue;
            }
            if let Some(child) = parent.child(Seg::Key(name.to_owned()), None) {
                entries.push((Cow::Borrowed(name), child));
            }
        }
        Self { entries: entries.into_iter(), pending: None, state: parent.state }
    }
}

impl<'a> MapAccess<'a> for MapDe<'a> {
    type Error = Error;

    fn next_key_seed<S: DeserializeSeed<'a>>(&mut self, seed: S) -> Result<Option<S::Value>, Error> {
        let Some((key, value)) = self.entries.next() else {
            return Ok(None);
        };
        let key = KeyDe { key, path: value.path.clone(), state: self.state };
        self.pending = Some(value);
        seed.deserialize(key).map(Some)
    }

    fn next_value_seed<S: DeserializeSeed<'a>>(&mut self, seed: S) -> Result<S::Value, Error> {
        match self.pending.take() {
            Some(value) => seed.deserialize(value),
            None => Err(Error::invalid(INVALID)),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
}

/// Hands a chosen variant and its content to an enum visitor.
#[derive(Debug)]
struct EnumDe<'a> {
    /// The variant name (already checked against the variant list).
    variant: &'a str,
    /// The variant's data; `None` for the bare-string form.
    content: Option<ValueDe<'a>>,
}

impl<'a> EnumAccess<'a> for EnumDe<'a> {
    type Error = Error;
    type Variant = VariantDe<'a>;

    fn variant_seed<S: DeserializeSeed<'a>>(self, seed: S) -> Result<(S::Value, Self::Variant), Error> {
        let variant = seed.deserialize(BorrowedStrDeserializer::<Error>::new(self.variant))?;
        Ok((variant, VariantDe(self.content)))
    }
}

/// A variant's data; `None` for the bare-string form, which only suits unit
/// variants.
#[derive(Debug)]
struct VariantDe<'a>(Option<ValueDe<'a>>);

impl<'a> VariantDe<'a> {
    /// The data deserializer, or an error when the variant needs data.
    fn content(self) -> Result<ValueDe<'a>, Error> {
        self.0.ok_or_else(|| Error::invalid(OBJECT))
    }
}

impl<'a> VariantAccess<'a> for VariantDe<'a> {
    type Error = Error;

    fn unit_variant(self) -> Result<(), Error> {
        Ok(())
    }

    fn newtype_variant_seed<S: DeserializeSeed<'a>>(self, seed: S) -> Result<S::Value, Error> {
        seed.deserialize(self.content()?)
    }

    fn tuple_variant<V: Visitor<'a>>(self, _len: usize, visitor: V) -> Result<V::Value, Error> {
        self.content()?.deserialize_seq(visitor)
    }

    fn struct_variant<V: Visitor<'a>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.content()?.deserialize_map(visitor)
    }
}

/// Deserializes an object key: text, or a coerced scalar for non-string keys.
#[derive(Debug)]
struct KeyDe<'a> {
    /// The key text.
    key: Cow<'a, str>,
    /// The path of the entry the key names.
    path: Path,
    /// Error sink.
    state: &'a State,
}

impl KeyDe<'_> {
    /// Reads the key as a scalar; on failure records why and returns
    /// `placeholder`.
    fn scalar<X>(&self, read: impl FnOnce(&Value) -> Result<X, String>, placeholder: X) -> (X, bool) {
        read(&Value::String(self.key.to_string())).map_or_else(
            |message| {
                self.state.record(&self.path, message);
                (placeholder, true)
            },
            |x| (x, false),
        )
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

    fn deserialize_newtype_struct<V: Visitor<'a>>(self, _name: &'static str, visitor: V) -> Result<V::Value, Error> {
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
        str string bytes byte_buf unit unit_struct seq tuple tuple_struct map struct identifier ignored_any
    }
}
