//! The sequence, map and enum accessors [`ValueDe`] hands to visitors.
//! Each child's failure is located at the child's path, even when it is
//! raised after the child's deserializer has returned (buffered content,
//! `try_from`).

use std::borrow::Cow;

use serde::de::value::BorrowedStrDeserializer;
use serde::de::{
    DeserializeSeed, Deserializer, EnumAccess, MapAccess, SeqAccess, VariantAccess, Visitor,
};
use serde_json::{Map, Value};

use super::de::{KeyDe, ValueDe};
use super::read::OBJECT;
use super::{Error, Seg, State, finish};

/// Runs `seed` on `de`, locating any failure at `de`'s path.
fn run<'a, S: DeserializeSeed<'a>>(seed: S, de: ValueDe<'a>) -> Result<S::Value, Error> {
    let path = de.path.clone();
    let placeholder = de.is_placeholder();
    finish(&path, placeholder, seed.deserialize(de))
}

/// Walks a JSON array (or an empty placeholder).
#[derive(Debug)]
pub(super) struct SeqDe<'a> {
    /// The remaining element deserializers.
    entries: std::vec::IntoIter<ValueDe<'a>>,
}

impl<'a> SeqDe<'a> {
    /// Element deserializers for `items`, minus dropped elements.
    pub(super) fn new(parent: &ValueDe<'a>, items: &'a [Value]) -> Self {
        let entries = items.iter().enumerate();
        let entries: Vec<_> = entries
            .filter_map(|(i, item)| parent.child(Seg::Index(i), Some(item)))
            .collect();
        Self {
            entries: entries.into_iter(),
        }
    }

    /// Whether the visitor consumed every element.
    pub(super) fn is_done(&self) -> bool {
        self.entries.len() == 0
    }
}

impl<'a> SeqAccess<'a> for SeqDe<'a> {
    type Error = Error;

    fn next_element_seed<S: DeserializeSeed<'a>>(
        &mut self,
        seed: S,
    ) -> Result<Option<S::Value>, Error> {
        self.entries
            .next()
            .map(|entry| run(seed, entry))
            .transpose()
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
}

/// Walks a JSON object (or an empty placeholder), adding the fields earlier
/// passes found missing as placeholders.
#[derive(Debug)]
pub(super) struct MapDe<'a> {
    /// The remaining keys with their value deserializers.
    entries: std::vec::IntoIter<(Cow<'a, str>, ValueDe<'a>)>,
    /// The value deserializer for the key just returned.
    pending: Option<ValueDe<'a>>,
    /// Error sink for key errors.
    state: &'a State,
}

impl<'a> MapDe<'a> {
    /// Entries for `object` and for the fields missing from it.
    pub(super) fn new(parent: &ValueDe<'a>, object: Option<&'a Map<String, Value>>) -> Self {
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
        Self {
            entries: entries.into_iter(),
            pending: None,
            state: parent.state,
        }
    }
}

impl<'a> MapAccess<'a> for MapDe<'a> {
    type Error = Error;

    fn next_key_seed<S: DeserializeSeed<'a>>(
        &mut self,
        seed: S,
    ) -> Result<Option<S::Value>, Error> {
        let Some((key, value)) = self.entries.next() else {
            return Ok(None);
        };
        let key = KeyDe::new(key, value.path.clone(), self.state);
        self.pending = Some(value);
        seed.deserialize(key).map(Some)
    }

    fn next_value_seed<S: DeserializeSeed<'a>>(&mut self, seed: S) -> Result<S::Value, Error> {
        match self.pending.take() {
            Some(value) => run(seed, value),
            None => Err(Error::invalid(super::read::INVALID)),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
}

/// Hands a chosen variant and its data to an enum visitor.
#[derive(Debug)]
pub(super) struct EnumDe<'a> {
    /// The variant name (already checked against the variant list).
    variant: &'a str,
    /// The variant's data; `None` for the bare-string form.
    data: Option<ValueDe<'a>>,
}

impl<'a> EnumDe<'a> {
    /// The access for `variant` with `data`.
    pub(super) fn new(variant: &'a str, data: Option<ValueDe<'a>>) -> Self {
        Self { variant, data }
    }
}

impl<'a> EnumAccess<'a> for EnumDe<'a> {
    type Error = Error;
    type Variant = VariantDe<'a>;

    fn variant_seed<S: DeserializeSeed<'a>>(
        self,
        seed: S,
    ) -> Result<(S::Value, Self::Variant), Error> {
        let variant = seed.deserialize(BorrowedStrDeserializer::<Error>::new(self.variant))?;
        Ok((variant, VariantDe(self.data)))
    }
}

/// A variant's data; `None` for the bare-string form, which only suits unit
/// variants.
#[derive(Debug)]
pub(super) struct VariantDe<'a>(Option<ValueDe<'a>>);

impl<'a> VariantDe<'a> {
    /// The data deserializer, or an error when the variant needs data.
    fn data(self) -> Result<ValueDe<'a>, Error> {
        self.0.ok_or_else(|| Error::invalid(OBJECT))
    }
}

impl<'a> VariantAccess<'a> for VariantDe<'a> {
    type Error = Error;

    fn unit_variant(self) -> Result<(), Error> {
        Ok(())
    }

    fn newtype_variant_seed<S: DeserializeSeed<'a>>(self, seed: S) -> Result<S::Value, Error> {
        run(seed, self.data()?)
    }

    fn tuple_variant<V: Visitor<'a>>(self, _len: usize, visitor: V) -> Result<V::Value, Error> {
        self.data()?.deserialize_seq(visitor)
    }

    fn struct_variant<V: Visitor<'a>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.data()?.deserialize_map(visitor)
    }
}
