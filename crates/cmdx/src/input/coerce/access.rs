//! The sequence, map and enum accessors [`ValueDe`] hands to visitors.
//! Each child's failure is located at the child, even when it is raised
//! after the child's deserializer has returned (buffered content,
//! `try_from`).

use std::any::type_name;

use serde::de::value::BorrowedStrDeserializer;
use serde::de::{
    DeserializeSeed, Deserializer, EnumAccess, MapAccess, SeqAccess, VariantAccess, Visitor,
};
use serde_json::{Map, Value};

use super::de::{KeyDe, Parent, ValueDe};
use super::error::Error;
use super::keys::WordMap;
use super::path::Seg;
use super::read::{INVALID, OBJECT};

/// Where fields found required (absent from the object) are placed among
/// its entries: after every present key, in the order they were found.
const INJECTED: u32 = 1 << 30;

/// Runs `seed` on `de`, locating any failure at `de`, and keeping what is
/// learnt about the placeholders of the type it reads.
fn run<'a, S: DeserializeSeed<'a>>(seed: S, de: ValueDe<'a, '_>) -> Result<S::Value, Error> {
    let de = de.read_as(type_name::<S>());
    seed.deserialize(de)
        .map_err(|error| de.locate(error, false, false, type_name::<S>()))
}

/// Walks a JSON array (or an empty placeholder).
#[derive(Debug)]
pub(super) struct SeqDe<'a, 'p> {
    parent: Parent<'a, 'p>,
    items: &'a [Value],
    /// The next index to look at.
    next: usize,
    /// Elements may be left out (a list, not a tuple).
    skippable: bool,
    /// The next element, once looked at.
    peeked: Option<ValueDe<'a, 'p>>,
}

impl<'a, 'p> SeqDe<'a, 'p> {
    /// A walk over `items`; a list resumes where an earlier pass stopped.
    pub(super) fn new(parent: Parent<'a, 'p>, items: &'a [Value], skippable: bool) -> Self {
        let next = if skippable {
            (parent.resume_from() as usize).min(items.len())
        } else {
            0
        };
        Self {
            parent,
            items,
            next,
            skippable,
            peeked: None,
        }
    }

    fn advance(&mut self) -> Option<ValueDe<'a, 'p>> {
        if let Some(peeked) = self.peeked.take() {
            return Some(peeked);
        }
        while let Some(item) = self.items.get(self.next) {
            let index = self.next;
            self.next += 1;
            let child =
                self.parent
                    .child(Seg::Index(index), index as u32, Some(item), self.skippable);
            if child.is_some() {
                return child;
            }
        }
        None
    }

    /// Whether the visitor consumed every element.
    pub(super) fn is_done(&mut self) -> bool {
        self.peeked = self.advance();
        self.peeked.is_none()
    }
}

impl<'a> SeqAccess<'a> for SeqDe<'a, '_> {
    type Error = Error;

    fn next_element_seed<S: DeserializeSeed<'a>>(
        &mut self,
        seed: S,
    ) -> Result<Option<S::Value>, Error> {
        self.advance().map(|entry| run(seed, entry)).transpose()
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len().saturating_sub(self.next))
    }
}

/// An object's entries with their positions: straight from the map, or
/// from a list when the walk resumes inside it (skipping to a position in a
/// list costs nothing, in a map as many steps as entries skipped).
#[derive(Debug)]
enum Entries<'a> {
    Map(std::iter::Enumerate<serde_json::map::Iter<'a>>),
    Listed(
        std::iter::Enumerate<std::slice::Iter<'a, (&'a str, &'a Value)>>,
        usize,
    ),
}

impl<'a> Iterator for Entries<'a> {
    type Item = (usize, &'a str, &'a Value);

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Entries::Map(iter) => iter
                .next()
                .map(|(pos, (key, value))| (pos, key.as_str(), value)),
            Entries::Listed(iter, from) => iter
                .next()
                .map(|(i, &(key, value))| (*from + i, key, value)),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match self {
            Entries::Map(iter) => iter.size_hint(),
            Entries::Listed(iter, _) => iter.size_hint(),
        }
    }
}

impl ExactSizeIterator for Entries<'_> {}

/// Objects' entries as lists, for the objects on the way to a resume point
/// (built between passes, once per object).
#[derive(Debug, Default)]
pub(super) struct EntryLists<'a>(WordMap<usize, Vec<(&'a str, &'a Value)>>);

impl<'a> EntryLists<'a> {
    /// Lists the objects on the way from `input` to the node at `resume`.
    pub(super) fn prepare(&mut self, input: &'a Value, resume: &[u32]) {
        let mut value = input;
        for &pos in resume {
            let pos = pos as usize;
            let next = match value {
                Value::Object(object) => {
                    let list = self.0.entry(address(object)).or_insert_with(|| {
                        object
                            .iter()
                            .map(|(key, value)| (key.as_str(), value))
                            .collect()
                    });
                    list.get(pos).map(|&(_, value)| value)
                }
                Value::Array(items) => items.get(pos),
                _ => None,
            };
            match next {
                Some(next) => value = next,
                None => break,
            }
        }
    }

    /// The entries of `object` from position `from`, if listed.
    fn from(&self, object: &Map<String, Value>, from: usize) -> Option<Entries<'_>> {
        let list = self.0.get(&address(object))?;
        let rest = list.get(from..).unwrap_or_default();
        Some(Entries::Listed(rest.iter().enumerate(), from))
    }
}

fn address(object: &Map<String, Value>) -> usize {
    std::ptr::from_ref(object) as usize
}

/// Walks a JSON object (or an empty placeholder), then the fields earlier
/// passes found required and the object lacks, as placeholders.
#[derive(Debug)]
pub(super) struct MapDe<'a, 'p> {
    parent: Parent<'a, 'p>,
    object: Option<&'a Map<String, Value>>,
    /// The object's entries not yet visited, with their positions.
    entries: Entries<'a>,
    /// Required fields learnt for this struct.
    required: &'a [&'static str],
    /// The next required field to look at.
    injected: usize,
    /// Entries may be left out (a map, not a struct).
    skippable: bool,
    /// The value deserializer for the key just returned.
    pending: Option<ValueDe<'a, 'p>>,
}

impl<'a, 'p> MapDe<'a, 'p> {
    /// A walk over `object`; a map resumes where an earlier pass stopped.
    pub(super) fn new(
        parent: Parent<'a, 'p>,
        object: Option<&'a Map<String, Value>>,
        required: &'a [&'static str],
        skippable: bool,
    ) -> Self {
        let from = if skippable {
            parent.resume_from() as usize
        } else {
            0
        };
        let listed = object
            .filter(|_| from > 0)
            .and_then(|object| parent.pass.lists.from(object, from));
        let entries = listed.unwrap_or_else(|| {
            let mut entries = Entries::Map(object.unwrap_or(&EMPTY).iter().enumerate());
            if from > 0 {
                let _ = entries.nth(from - 1);
            }
            entries
        });
        Self {
            parent,
            object,
            entries,
            required,
            injected: 0,
            skippable,
            pending: None,
        }
    }

    /// The next key, its value (`None` for a required field the object
    /// lacks) and its position.
    fn next_entry(&mut self) -> Option<(&'a str, Option<&'a Value>, u32)> {
        if let Some((pos, key, value)) = self.entries.next() {
            return Some((key, Some(value), pos as u32));
        }
        while let Some(&name) = self.required.get(self.injected) {
            let pos = INJECTED + self.injected as u32;
            self.injected += 1;
            let present = self
                .object
                .is_some_and(|object| !object.is_empty() && object.contains_key(name));
            if !present {
                return Some((name, None, pos));
            }
        }
        None
    }
}

/// An empty object, for placeholders.
static EMPTY: std::sync::LazyLock<Map<String, Value>> = std::sync::LazyLock::new(Map::new);

impl<'a> MapAccess<'a> for MapDe<'a, '_> {
    type Error = Error;

    fn next_key_seed<S: DeserializeSeed<'a>>(
        &mut self,
        seed: S,
    ) -> Result<Option<S::Value>, Error> {
        loop {
            let Some((key, value, pos)) = self.next_entry() else {
                return Ok(None);
            };
            let Some(entry) = self.parent.child(Seg::Key(key), pos, value, self.skippable) else {
                continue;
            };
            return match seed.deserialize(KeyDe::new(key, entry)) {
                Ok(key) => {
                    self.pending = Some(entry);
                    Ok(Some(key))
                }
                Err(error) => {
                    let mut error = entry.locate(error, false, false, type_name::<S>());
                    if let Some(at) = error.at.as_mut().filter(|at| at.id == entry.id) {
                        at.from_key = true;
                    }
                    Err(error)
                }
            };
        }
    }

    fn next_value_seed<S: DeserializeSeed<'a>>(&mut self, seed: S) -> Result<S::Value, Error> {
        match self.pending.take() {
            Some(value) => run(seed, value),
            None => Err(Error::invalid(INVALID)),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
}

/// Hands a chosen variant and its data to an enum visitor.
#[derive(Debug)]
pub(super) struct EnumDe<'a, 'p> {
    /// The variant name (already checked against the variant list).
    variant: &'a str,
    /// The variant's data; `None` for the bare-string form.
    data: Option<ValueDe<'a, 'p>>,
}

impl<'a, 'p> EnumDe<'a, 'p> {
    /// The access for `variant` with `data`.
    pub(super) fn new(variant: &'a str, data: Option<ValueDe<'a, 'p>>) -> Self {
        Self { variant, data }
    }
}

impl<'a, 'p> EnumAccess<'a> for EnumDe<'a, 'p> {
    type Error = Error;
    type Variant = VariantDe<'a, 'p>;

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
pub(super) struct VariantDe<'a, 'p>(Option<ValueDe<'a, 'p>>);

impl<'a, 'p> VariantDe<'a, 'p> {
    /// The data deserializer, or an error when the variant needs data.
    fn data(self) -> Result<ValueDe<'a, 'p>, Error> {
        self.0.ok_or_else(|| Error::invalid(OBJECT))
    }
}

impl<'a> VariantAccess<'a> for VariantDe<'a, '_> {
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
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.data()?.deserialize_struct("", fields, visitor)
    }
}
