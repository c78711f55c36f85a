//! The lenient [`Deserializer`] over one JSON value, and the one over an
//! object key.

use std::any::type_name;
use std::borrow::Cow;
use std::cell::{Cell, RefCell};

use serde::de::value::BorrowedStrDeserializer;
use serde::de::{Deserializer, Visitor};
use serde_json::{Number, Value};

use super::access::{EntryLists, EnumDe, MapDe, SeqDe};
use super::error::{At, Error, Overlay};
use super::log::Log;
use super::path::{Node, Seg};
use super::plan::{Action, Plan};
use super::read::{self, INVALID, LIST, OBJECT, REQUIRED};
use crate::input::secret::SECRET;

/// Containers nested deeper than this are rejected (no stack overflow).
pub(super) const MAX_DEPTH: u32 = 128;

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

/// One walk over the input: what earlier passes learnt, where errors go.
#[derive(Debug)]
pub(super) struct Pass<'a> {
    pub(super) plan: &'a Plan,
    pub(super) log: &'a RefCell<Log>,
    /// Node ids, unique across passes.
    pub(super) ids: &'a Cell<u64>,
    /// Objects' entries as lists, for resuming inside them.
    pub(super) lists: &'a EntryLists<'a>,
}

impl Pass<'_> {
    fn next_id(&self) -> u64 {
        let id = self.ids.get();
        self.ids.set(id + 1);
        id
    }
}

/// What a deserializer reads from.
#[derive(Debug, Clone, Copy)]
enum Slot<'a> {
    /// A value from the input.
    Value(&'a Value),
    /// A silent placeholder: the n-th of the requested kind (`None`: the
    /// one learnt for the type read here).
    Missing(Option<usize>),
}

/// How a parent walks one of its children.
#[derive(Debug, Clone, Copy)]
enum Place {
    /// Leave it out.
    Skip,
    /// Feed a silent placeholder.
    Silent,
    /// Read it; `Some(depth)` while on the way to the resume point.
    Read(Option<u32>),
}

/// A container, as its children see it.
#[derive(Debug, Clone, Copy)]
pub(super) struct Parent<'a, 'p> {
    pub(super) node: &'p Node<'a, 'p>,
    pub(super) pass: &'a Pass<'a>,
    /// `Some(depth)` while on the way to the resume point.
    chain: Option<u32>,
    secret: bool,
    /// The container is a placeholder: so are its children.
    silent: bool,
}

impl<'a, 'p> Parent<'a, 'p> {
    /// Where a child at `pos` starts, for lists and maps that leave out
    /// what an earlier pass checked.
    pub(super) fn resume_from(&self) -> u32 {
        match (self.chain, self.pass.plan.resume()) {
            (Some(depth), Some(resume)) => resume.at.get(depth as usize).copied().unwrap_or(0),
            _ => 0,
        }
    }

    fn place(&self, child: &Node<'a, 'p>, skippable: bool) -> Place {
        if self.silent {
            return Place::Silent;
        }
        let action = self.pass.plan.action(child);
        if action == Some(Action::Drop) {
            return Place::Skip;
        }
        let mut chain = None;
        if let (Some(depth), Some(resume)) = (self.chain, self.pass.plan.resume()) {
            match resume.at.get(depth as usize) {
                // The parent is a struct walked for its missing fields only.
                None => return Place::Silent,
                Some(&target) if child.pos < target => {
                    return if skippable {
                        Place::Skip
                    } else {
                        Place::Silent
                    };
                }
                Some(&target) if child.pos == target => chain = Some(depth + 1),
                Some(_) => {}
            }
        }
        match action {
            Some(_) => Place::Silent,
            None => Place::Read(chain),
        }
    }

    /// The deserializer for the child at `seg`, the `pos`-th visited,
    /// holding `value` (absent: a field found required); `None` when it is
    /// left out.
    pub(super) fn child(
        &self,
        seg: Seg<'a>,
        pos: u32,
        value: Option<&'a Value>,
        skippable: bool,
    ) -> Option<ValueDe<'a, 'p>> {
        let node = self.node.child(seg, pos);
        let (slot, chain) = match (self.place(&node, skippable), value) {
            (Place::Skip, _) => return None,
            (Place::Silent, _) => (Slot::Missing(None), None),
            (Place::Read(chain), Some(value)) => (Slot::Value(value), chain),
            (Place::Read(_), None) => {
                let id = self.pass.ids.get();
                self.pass
                    .log
                    .borrow_mut()
                    .record(id, || node.path(), REQUIRED, Overlay::Remove);
                (Slot::Missing(None), None)
            }
        };
        Some(ValueDe {
            slot,
            node,
            pass: self.pass,
            id: self.pass.next_id(),
            seed: None,
            chain,
            secret: self.secret,
        })
    }
}

/// Deserializes one (possibly absent) input value at a known path.
#[derive(Debug, Clone, Copy)]
pub(super) struct ValueDe<'a, 'p> {
    slot: Slot<'a>,
    pub(super) node: Node<'a, 'p>,
    pass: &'a Pass<'a>,
    /// This node's id within the pass.
    pub(super) id: u64,
    /// The type read here, set by the seed that reads it.
    pub(super) seed: Option<&'static str>,
    /// `Some(depth)` while on the way to the resume point.
    chain: Option<u32>,
    /// Inside a [`Secret`](crate::Secret).
    secret: bool,
}

impl<'a, 'p> ValueDe<'a, 'p> {
    /// The deserializer for the whole input, read as `T`.
    pub(super) fn root<T>(input: &'a Value, pass: &'a Pass<'a>) -> Self {
        let plan = pass.plan;
        let slot = match plan.action(&Node::root()) {
            Some(_) => Slot::Missing(Some(plan.attempt(type_name::<T>()))),
            None => Slot::Value(input),
        };
        Self {
            slot,
            node: Node::root(),
            pass,
            id: pass.next_id(),
            seed: Some(type_name::<T>()),
            chain: plan.resume().map(|_| 0),
            secret: false,
        }
    }

    /// Whether this deserializer yields a placeholder.
    pub(super) fn is_silent(&self) -> bool {
        matches!(self.slot, Slot::Missing(_))
    }

    /// Resolves a placeholder to the one learnt for `seed`, the type read
    /// here.
    pub(super) fn read_as(mut self, seed: &'static str) -> Self {
        self.seed = Some(seed);
        if let Slot::Missing(None) = self.slot {
            self.slot = Slot::Missing(Some(self.pass.plan.attempt(seed)));
        }
        self
    }

    /// This node as a parent; `silent` when its container is a placeholder.
    pub(super) fn as_parent<'q>(&'q self, silent: bool) -> Parent<'a, 'q> {
        Parent {
            node: &self.node,
            pass: self.pass,
            chain: self.chain,
            secret: self.secret,
            silent: silent || self.is_silent(),
        }
    }

    /// Records `message` here, unless this is a placeholder.
    fn report(&self, message: &str, overlay: Overlay) {
        if !self.is_silent() {
            let node = &self.node;
            self.pass
                .log
                .borrow_mut()
                .record(self.id, || node.path(), message, overlay);
        }
    }

    /// How the shown input treats this value after a scalar read failed.
    fn scalar_overlay(&self) -> Overlay {
        match self.slot {
            Slot::Value(Value::Array(_) | Value::Object(_)) => Overlay::Redact,
            Slot::Value(_) if !self.secret => Overlay::Raw,
            _ => Overlay::Redact,
        }
    }

    /// Attaches this node to `error` unless a deeper deserializer did.
    /// `fed` tells whether the visitor was fed a placeholder; `scalar`
    /// whether a scalar was read; `key` is the type read when no seed says.
    pub(super) fn locate(
        &self,
        mut error: Error,
        fed: bool,
        scalar: bool,
        key: &'static str,
    ) -> Error {
        if error.at.is_none() {
            error.at = Some(Box::new(At {
                positions: self.node.positions(),
                path: self.node.path(),
                id: self.id,
                silent: self.is_silent(),
                fed_placeholder: fed || self.is_silent(),
                key: self.seed.unwrap_or(key),
                from_key: false,
                skipped: false,
                overlay: if scalar {
                    self.scalar_overlay()
                } else {
                    Overlay::Redact
                },
            }));
        }
        error
    }

    /// The failure that ends a pass once a placeholder was refused.
    fn exhausted(&self, key: &'static str) -> Error {
        self.locate(Error::invalid(INVALID), true, false, key)
    }

    /// The n-th placeholder of `placeholders`, flagged as a placeholder.
    fn fallback<X: Clone, V>(
        &self,
        placeholders: &[X],
        attempt: usize,
    ) -> Result<(X, bool), Error> {
        let placeholder = placeholders.get(attempt).cloned();
        placeholder
            .map(|x| (x, true))
            .ok_or_else(|| self.exhausted(type_name::<V>()))
    }

    /// The placeholder attempt for a failed read of a real value.
    fn attempt(&self) -> usize {
        self.seed.map_or(0, |seed| self.pass.plan.attempt(seed))
    }

    /// Reads a scalar; on failure records why and falls back to a
    /// placeholder. The flag tells whether a placeholder is used.
    fn scalar<X: Clone, V>(
        &self,
        read: impl FnOnce(&'a Value) -> Result<X, String>,
        placeholders: &[X],
    ) -> Result<(X, bool), Error> {
        match self.slot {
            Slot::Missing(attempt) => self.fallback::<X, V>(placeholders, attempt.unwrap_or(0)),
            Slot::Value(Value::Null) => {
                self.report(REQUIRED, Overlay::Raw);
                self.fallback::<X, V>(placeholders, self.attempt())
            }
            Slot::Value(value) => read(value).map(|x| (x, false)).or_else(|message| {
                self.report(&message, self.scalar_overlay());
                self.fallback::<X, V>(placeholders, self.attempt())
            }),
        }
    }

    /// Opens a container of the kind `pick` selects; `None` (after
    /// recording why, unless this is a placeholder) when an empty
    /// placeholder must be used instead.
    fn open<X, V>(
        &self,
        pick: impl FnOnce(&'a Value) -> Option<X>,
        shape: &str,
    ) -> Result<Option<X>, Error> {
        if self.node.depth > MAX_DEPTH {
            let error = Error::invalid(format!("{INVALID} (nested too deeply)"));
            return Err(self.locate(error, false, false, type_name::<V>()));
        }
        match self.slot {
            Slot::Missing(None | Some(0)) => Ok(None),
            Slot::Missing(_) => Err(self.exhausted(type_name::<V>())),
            // A null root is a wrongly shaped input rather than a missing field.
            Slot::Value(Value::Null) if self.node.depth > 0 => {
                self.report(REQUIRED, Overlay::Raw);
                Ok(None)
            }
            Slot::Value(value) => {
                let picked = pick(value);
                if picked.is_none() {
                    self.report(shape, Overlay::Redact);
                }
                Ok(picked)
            }
        }
    }

    /// Picks the enum variant and its data (`None` for the bare-string
    /// form). Unknown or absent variants fall back to the variants in turn;
    /// the flag tells whether that happened.
    fn variant<'q, V>(
        &'q self,
        variants: &'static [&'static str],
    ) -> Result<(&'a str, Option<ValueDe<'a, 'q>>, bool), Error> {
        let attempt = match self.slot {
            Slot::Missing(attempt) => attempt.unwrap_or(0),
            Slot::Value(Value::Null) => {
                self.report(REQUIRED, Overlay::Raw);
                self.attempt()
            }
            Slot::Value(Value::Object(map)) if map.len() == 1 => {
                let known = map.iter().find(|(key, _)| variants.contains(&key.as_str()));
                if let Some((key, data)) = known {
                    let data = self
                        .as_parent(false)
                        .child(Seg::Key(key), 0, Some(data), false);
                    let data = data.ok_or_else(|| self.exhausted(type_name::<V>()))?;
                    return Ok((key.as_str(), Some(data), false));
                }
                self.report(&read::one_of(variants), Overlay::Redact);
                self.attempt()
            }
            Slot::Value(value) => {
                let text = read::text(value).unwrap_or_default();
                if let Some(name) = variants.iter().find(|name| **name == text) {
                    return Ok((name, None, false));
                }
                self.report(&read::one_of(variants), self.scalar_overlay());
                self.attempt()
            }
        };
        let name = variants
            .get(attempt)
            .copied()
            .ok_or_else(|| self.exhausted(type_name::<V>()))?;
        let data = self.as_parent(true).child(Seg::Key(name), 0, None, false);
        Ok((name, data, true))
    }

    /// Walks a list; `fixed` for tuples, whose elements cannot be left out.
    fn seq<V: Visitor<'a>>(self, visitor: V, fixed: bool) -> Result<V::Value, Error> {
        let items = self.open::<_, V>(|v| v.as_array().map(Vec::as_slice), LIST)?;
        let parent = self.as_parent(items.is_none());
        let mut access = SeqDe::new(parent, items.unwrap_or_default(), !fixed);
        let result = visitor.visit_seq(&mut access);
        if result.is_ok() && !access.is_done() {
            self.report(&format!("{INVALID} (too many elements)"), Overlay::Redact);
        }
        let fed = items.is_none();
        result.map_err(|e| self.locate(e, fed, false, type_name::<V>()))
    }

    /// Walks an object; `fields` for a struct, whose fields are never left
    /// out (a later pass feeds placeholders instead).
    fn object<V: Visitor<'a>>(self, visitor: V, is_struct: bool) -> Result<V::Value, Error> {
        let object = self.open::<_, V>(Value::as_object, OBJECT)?;
        // Required fields are learnt under the type read here: its seed,
        // or (struct variants) its visitor.
        let key = self.seed.unwrap_or(type_name::<V>());
        let required = self.pass.plan.required(key);
        let parent = self.as_parent(object.is_none());
        let skipped = !is_struct && parent.resume_from() > 0;
        let access = MapDe::new(parent, object, required, !is_struct);
        let fed = object.is_none();
        visitor.visit_map(access).map_err(|error| {
            let mut error = self.locate(error, fed, false, key);
            if let Some(at) = error.at.as_mut().filter(|at| at.id == self.id) {
                at.skipped |= skipped;
            }
            error
        })
    }
}

/// Feeds a JSON number to a visitor as the narrowest matching kind.
pub(super) fn visit_number<'a, V: Visitor<'a>>(
    number: &Number,
    visitor: V,
) -> Result<V::Value, Error> {
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
pub(super) fn visit_text<'a, V: Visitor<'a>>(
    text: Cow<'a, str>,
    visitor: V,
) -> Result<V::Value, Error> {
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
            let (value, fed) = self.scalar::<_, V>($read, $placeholders)?;
            visitor
                .$visit(value)
                .map_err(|e| self.locate(e, fed, true, type_name::<V>()))
        }
    };
}

/// The scalar `deserialize_*` methods shared by [`ValueDe`], [`KeyDe`] and
/// the direct walk's readers (`direct.rs`).
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
pub(super) use {scalar_method, scalar_methods};

impl<'a> Deserializer<'a> for ValueDe<'a, '_> {
    type Error = Error;

    scalar_methods!();

    fn deserialize_any<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        let result = match self.slot {
            // Zero suits most self-describing types (decimals, JSON values).
            Slot::Missing(None | Some(0)) => visitor.visit_i64(0),
            Slot::Missing(Some(1)) => visitor.visit_unit(),
            Slot::Missing(Some(attempt)) => {
                let (text, _) = self.fallback::<_, V>(TEXT, attempt - ANY_EXTRA)?;
                visit_text(text, visitor)
            }
            Slot::Value(Value::Null) => visitor.visit_unit(),
            Slot::Value(Value::Bool(b)) => visitor.visit_bool(*b),
            Slot::Value(Value::Number(n)) => visit_number(n, visitor),
            Slot::Value(Value::String(s)) => visitor.visit_borrowed_str(s),
            Slot::Value(Value::Array(_)) => return self.seq(visitor, false),
            Slot::Value(Value::Object(_)) => return self.object(visitor, false),
        };
        result.map_err(|e| self.locate(e, false, false, type_name::<V>()))
    }

    fn deserialize_str<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        let (text, fed) = self.scalar::<_, V>(read::text, TEXT)?;
        visit_text(text, visitor).map_err(|e| self.locate(e, fed, true, type_name::<V>()))
    }

    fn deserialize_string<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_bytes<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        if let Slot::Value(Value::Array(_)) = self.slot {
            return self.seq(visitor, false);
        }
        let (text, fed) = self.scalar::<_, V>(read::text, TEXT)?;
        let result = match text {
            Cow::Borrowed(s) => visitor.visit_borrowed_bytes(s.as_bytes()),
            Cow::Owned(s) => visitor.visit_byte_buf(s.into_bytes()),
        };
        result.map_err(|e| self.locate(e, fed, true, type_name::<V>()))
    }

    fn deserialize_byte_buf<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_bytes(visitor)
    }

    fn deserialize_option<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        let result = match self.slot {
            Slot::Missing(None | Some(0)) => visitor.visit_none(),
            Slot::Missing(_) => return Err(self.exhausted(type_name::<V>())),
            Slot::Value(Value::Null) => visitor.visit_none(),
            Slot::Value(_) => visitor.visit_some(self),
        };
        result.map_err(|e| self.locate(e, false, false, type_name::<V>()))
    }

    fn deserialize_unit<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor
            .visit_unit()
            .map_err(|e| self.locate(e, false, false, type_name::<V>()))
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
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        let mut inner = self;
        inner.secret |= name == SECRET;
        visitor
            .visit_newtype_struct(inner)
            .map_err(|e| inner.locate(e, false, false, type_name::<V>()))
    }

    fn deserialize_seq<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        self.seq(visitor, false)
    }

    fn deserialize_tuple<V: Visitor<'a>>(self, _len: usize, visitor: V) -> Result<V::Value, Error> {
        self.seq(visitor, true)
    }

    fn deserialize_tuple_struct<V: Visitor<'a>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.seq(visitor, true)
    }

    fn deserialize_map<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        self.object(visitor, false)
    }

    fn deserialize_struct<V: Visitor<'a>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.object(visitor, true)
    }

    fn deserialize_enum<V: Visitor<'a>>(
        self,
        _name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        if self.node.depth > MAX_DEPTH {
            return Err(self.exhausted(type_name::<V>()));
        }
        let (variant, data, fed) = self.variant::<V>(variants)?;
        let access = EnumDe::new(variant, data);
        visitor
            .visit_enum(access)
            .map_err(|e| self.locate(e, fed, false, type_name::<V>()))
    }

    fn deserialize_identifier<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor
            .visit_unit()
            .map_err(|e| self.locate(e, false, false, type_name::<V>()))
    }
}

/// Where the failures of an object key's deserializer go: to its entry in
/// the full walk, which records them and feeds a placeholder; nowhere in
/// the direct walk, which stops.
pub(super) trait KeyEntry: Copy {
    /// The key was refused for `message`: the placeholder to go on with.
    fn refused<X: Clone, V>(&self, message: &str, placeholders: &[X]) -> Result<(X, bool), Error>;

    /// Attaches the entry to `error` (see [`ValueDe::locate`]).
    fn locate(&self, error: Error, fed: bool, scalar: bool, key: &'static str) -> Error;
}

impl KeyEntry for ValueDe<'_, '_> {
    fn refused<X: Clone, V>(&self, message: &str, placeholders: &[X]) -> Result<(X, bool), Error> {
        self.report(message, Overlay::Redact);
        self.fallback::<X, V>(placeholders, 0)
    }

    fn locate(&self, error: Error, fed: bool, scalar: bool, key: &'static str) -> Error {
        ValueDe::locate(self, error, fed, scalar, key)
    }
}

/// Deserializes an object key: text, or a coerced scalar for non-string
/// keys. Its failures belong to the entry (`entry`).
#[derive(Debug)]
pub(super) struct KeyDe<'a, E> {
    key: &'a str,
    entry: E,
}

impl<'a, E: KeyEntry> KeyDe<'a, E> {
    pub(super) fn new(key: &'a str, entry: E) -> Self {
        Self { key, entry }
    }

    /// Reads the key as a scalar; on failure hands why to the entry.
    fn scalar<X: Clone, V>(
        &self,
        read: impl FnOnce(&Value) -> Result<X, String>,
        placeholders: &[X],
    ) -> Result<(X, bool), Error> {
        match read(&Value::String(self.key.to_owned())) {
            Ok(x) => Ok((x, false)),
            Err(message) => self.entry.refused::<X, V>(&message, placeholders),
        }
    }

    fn locate(&self, error: Error, fed: bool, scalar: bool, key: &'static str) -> Error {
        self.entry.locate(error, fed, scalar, key)
    }
}

impl<'a, E: KeyEntry> Deserializer<'a> for KeyDe<'a, E> {
    type Error = Error;

    scalar_methods!();

    fn deserialize_any<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor
            .visit_borrowed_str(self.key)
            .map_err(|e| self.locate(e, false, false, type_name::<V>()))
    }

    fn deserialize_option<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        let entry = self.entry;
        visitor
            .visit_some(self)
            .map_err(|e| entry.locate(e, false, false, type_name::<V>()))
    }

    fn deserialize_newtype_struct<V: Visitor<'a>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        let entry = self.entry;
        visitor
            .visit_newtype_struct(self)
            .map_err(|e| entry.locate(e, false, false, type_name::<V>()))
    }

    fn deserialize_enum<V: Visitor<'a>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor
            .visit_enum(BorrowedStrDeserializer::new(self.key))
            .map_err(|e| self.locate(e, false, false, type_name::<V>()))
    }

    serde::forward_to_deserialize_any! {
        <W: Visitor<'a>>
        str string bytes byte_buf unit unit_struct seq tuple tuple_struct map struct identifier
        ignored_any
    }
}
