//! The first pass: input in which nothing fails, read without bookkeeping.
//!
//! Most input is valid. [`Direct`] reads it the way [`ValueDe`] does —
//! the same scalar readers, the same visitor calls, the same depth limit
//! and variant checks — but keeps no path, node id, plan or error log:
//! at the first thing [`ValueDe`] would record or learn from, it stops.
//! [`coerce`](super::coerce) then starts over with the full walk, so an
//! input that stops here costs at most one partial walk more, and every
//! error is found and reported exactly as before.
//!
//! The two must agree: whatever [`Direct`] reads, the full walk reads the
//! same way in one pass without recording anything, and the reverse. The
//! unit tests check both directions on every input they coerce (see
//! `coerce`).
//!
//! [`ValueDe`]: super::de::ValueDe

use std::any::type_name;
use std::borrow::Cow;
use std::cell::Cell;

use serde::de::value::BorrowedStrDeserializer;
use serde::de::{
    DeserializeSeed, Deserializer, EnumAccess, MapAccess, SeqAccess, VariantAccess, Visitor,
};
use serde_json::Value;

use super::de::{
    KeyDe, KeyEntry, MAX_DEPTH, scalar_method, scalar_methods, visit_number, visit_text,
};
use super::error::Error;
use super::read::{self, INVALID};

/// Reads one input value; any problem stops the walk.
#[derive(Debug, Clone, Copy)]
pub(super) struct Direct<'a> {
    value: &'a Value,
    /// Nesting depth (the root is 0).
    depth: u32,
    /// Values read so far, for the linearity tests.
    visited: &'a Cell<u64>,
}

/// Why the walk stopped: [`coerce`](super::coerce) only needs to know that
/// it did, and reads the input again to find out why.
fn stop() -> Error {
    Error::invalid(INVALID)
}

impl<'a> Direct<'a> {
    /// The reader for the whole input.
    pub(super) fn root(value: &'a Value, visited: &'a Cell<u64>) -> Self {
        visited.set(visited.get() + 1);
        Self {
            value,
            depth: 0,
            visited,
        }
    }

    fn child(&self, value: &'a Value) -> Self {
        self.visited.set(self.visited.get() + 1);
        Self {
            value,
            depth: self.depth + 1,
            visited: self.visited,
        }
    }

    /// Reads a scalar (`null` is a missing value). The flag and the
    /// placeholders are [`ValueDe`](super::de::ValueDe)'s: none is fed here.
    #[expect(
        clippy::extra_unused_type_parameters,
        reason = "the shape `scalar_methods!` calls"
    )]
    fn scalar<X, V>(
        &self,
        read: impl FnOnce(&'a Value) -> Result<X, String>,
        _placeholders: &[X],
    ) -> Result<(X, bool), Error> {
        match self.value {
            Value::Null => Err(stop()),
            value => read(value).map(|x| (x, false)).map_err(|_| stop()),
        }
    }

    /// Errors need no location: the full walk finds them again.
    #[expect(clippy::unused_self, reason = "the shape `scalar_methods!` calls")]
    fn locate(&self, error: Error, _fed: bool, _scalar: bool, _key: &'static str) -> Error {
        error
    }

    /// The container of the kind `pick` selects, if this value is one.
    fn open<X>(&self, pick: impl FnOnce(&'a Value) -> Option<X>) -> Result<X, Error> {
        if self.depth > MAX_DEPTH {
            return Err(stop());
        }
        pick(self.value).ok_or_else(stop)
    }

    /// Walks a list or a tuple; elements the visitor leaves over stop the
    /// walk (the full walk reports them).
    fn seq<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        let items = self.open(Value::as_array)?;
        let mut access = Seq {
            parent: self,
            items: items.iter(),
        };
        let value = visitor.visit_seq(&mut access)?;
        match access.items.len() {
            0 => Ok(value),
            _ => Err(stop()),
        }
    }

    /// Walks an object's entries, for a struct or a map.
    fn object<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        let object = self.open(Value::as_object)?;
        visitor.visit_map(Entries {
            parent: self,
            entries: object.iter(),
            pending: None,
        })
    }

    /// The enum variant and its data (`None` for the bare-string form).
    fn variant(
        &self,
        variants: &'static [&'static str],
    ) -> Result<(&'a str, Option<Direct<'a>>), Error> {
        match self.value {
            Value::Object(map) if map.len() == 1 => {
                let known = map.iter().find(|(key, _)| variants.contains(&key.as_str()));
                let (key, data) = known.ok_or_else(stop)?;
                Ok((key.as_str(), Some(self.child(data))))
            }
            Value::Null => Err(stop()),
            // Other objects read as text "" below, as in the full walk.
            value => {
                let text = read::text(value).unwrap_or_default();
                let name = variants.iter().find(|name| **name == text);
                name.map(|name| (*name, None)).ok_or_else(stop)
            }
        }
    }
}

impl<'a> Deserializer<'a> for Direct<'a> {
    type Error = Error;

    scalar_methods!();

    fn deserialize_any<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.value {
            Value::Null => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(*b),
            Value::Number(n) => visit_number(n, visitor),
            Value::String(s) => visitor.visit_borrowed_str(s),
            Value::Array(_) => self.seq(visitor),
            Value::Object(_) => self.object(visitor),
        }
    }

    fn deserialize_str<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        let (text, _) = self.scalar::<_, V>(read::text, &[])?;
        visit_text(text, visitor)
    }

    fn deserialize_string<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_bytes<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        if let Value::Array(_) = self.value {
            return self.seq(visitor);
        }
        match self.scalar::<_, V>(read::text, &[])?.0 {
            Cow::Borrowed(s) => visitor.visit_borrowed_bytes(s.as_bytes()),
            Cow::Owned(s) => visitor.visit_byte_buf(s.into_bytes()),
        }
    }

    fn deserialize_byte_buf<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_bytes(visitor)
    }

    fn deserialize_option<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.value {
            Value::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_unit<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_unit()
    }

    fn deserialize_unit_struct<V: Visitor<'a>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_unit()
    }

    fn deserialize_newtype_struct<V: Visitor<'a>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        self.seq(visitor)
    }

    fn deserialize_tuple<V: Visitor<'a>>(self, _len: usize, visitor: V) -> Result<V::Value, Error> {
        self.seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'a>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.seq(visitor)
    }

    fn deserialize_map<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        self.object(visitor)
    }

    fn deserialize_struct<V: Visitor<'a>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.object(visitor)
    }

    fn deserialize_enum<V: Visitor<'a>>(
        self,
        _name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        if self.depth > MAX_DEPTH {
            return Err(stop());
        }
        let (variant, data) = self.variant(variants)?;
        visitor.visit_enum(Variant { variant, data })
    }

    fn deserialize_identifier<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_unit()
    }
}

/// A list's elements.
struct Seq<'a> {
    parent: Direct<'a>,
    items: std::slice::Iter<'a, Value>,
}

impl<'a> SeqAccess<'a> for Seq<'a> {
    type Error = Error;

    fn next_element_seed<S: DeserializeSeed<'a>>(
        &mut self,
        seed: S,
    ) -> Result<Option<S::Value>, Error> {
        let Some(item) = self.items.next() else {
            return Ok(None);
        };
        seed.deserialize(self.parent.child(item)).map(Some)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

/// An object's entries.
struct Entries<'a> {
    parent: Direct<'a>,
    entries: serde_json::map::Iter<'a>,
    /// The value of the key just returned.
    pending: Option<&'a Value>,
}

impl<'a> MapAccess<'a> for Entries<'a> {
    type Error = Error;

    fn next_key_seed<S: DeserializeSeed<'a>>(
        &mut self,
        seed: S,
    ) -> Result<Option<S::Value>, Error> {
        let Some((key, value)) = self.entries.next() else {
            return Ok(None);
        };
        let key = seed.deserialize(KeyDe::new(key, Stop))?;
        self.pending = Some(value);
        Ok(Some(key))
    }

    fn next_value_seed<S: DeserializeSeed<'a>>(&mut self, seed: S) -> Result<S::Value, Error> {
        let value = self.pending.take().ok_or_else(stop)?;
        seed.deserialize(self.parent.child(value))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
}

/// The direct walk's side of an object key: a refused key stops it.
#[derive(Debug, Clone, Copy)]
struct Stop;

impl KeyEntry for Stop {
    fn refused<X: Clone, V>(&self, _: &str, _: &[X]) -> Result<(X, bool), Error> {
        Err(stop())
    }

    fn locate(&self, error: Error, _: bool, _: bool, _: &'static str) -> Error {
        error
    }
}

/// A chosen variant and its data.
struct Variant<'a> {
    variant: &'a str,
    /// `None` for the bare-string form, which only suits unit variants.
    data: Option<Direct<'a>>,
}

impl<'a> EnumAccess<'a> for Variant<'a> {
    type Error = Error;
    type Variant = Self;

    fn variant_seed<S: DeserializeSeed<'a>>(self, seed: S) -> Result<(S::Value, Self), Error> {
        let variant = seed.deserialize(BorrowedStrDeserializer::<Error>::new(self.variant))?;
        Ok((variant, self))
    }
}

impl<'a> VariantAccess<'a> for Variant<'a> {
    type Error = Error;

    fn unit_variant(self) -> Result<(), Error> {
        Ok(())
    }

    fn newtype_variant_seed<S: DeserializeSeed<'a>>(self, seed: S) -> Result<S::Value, Error> {
        seed.deserialize(self.data.ok_or_else(stop)?)
    }

    fn tuple_variant<V: Visitor<'a>>(self, _len: usize, visitor: V) -> Result<V::Value, Error> {
        self.data.ok_or_else(stop)?.seq(visitor)
    }

    fn struct_variant<V: Visitor<'a>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.data.ok_or_else(stop)?.object(visitor)
    }
}
