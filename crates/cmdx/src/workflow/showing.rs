//! How a workflow's line shows a context: each key a step reads in the form
//! that step's line shows it (coerced, [`Secret`](crate::Secret) fields
//! redacted), a key any step marks secret redacted, a key any step (or the
//! workflow) excludes left out, keys no step reads as given.
//!
//! A task step's view is written into the workflow's view field by field
//! as its task serializes ([`Fields`]), so a step that reads keys the
//! context has costs no allocation: no map of its own, no copy of its keys.

use crate::input::{self, Parsed};
use serde::de::DeserializeOwned;
use serde::ser::{self, Impossible, Serialize, SerializeMap, SerializeStruct, Serializer};
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::collections::BTreeSet;
use std::fmt;

/// A view of a context, and the keys left out of it.
#[derive(Debug, Default)]
pub(super) struct Shown {
    /// The context as the line shows it.
    pub(super) view: Map<String, Value>,
    /// The keys left out of the line (not yet removed from `view`: a step's
    /// exclusions hold for the whole workflow).
    pub(super) excluded: Vec<Cow<'static, str>>,
}

/// How a step shows the context, built as `input::view` builds it: its
/// `view`, and the keys its settings exclude — all the keys it reads when
/// its settings panicked (`None`: reported when the step runs, they could
/// have excluded anything).
pub(super) fn shown(view: Option<Value>, excluded: Option<Vec<Cow<'static, str>>>) -> Shown {
    let view = match view {
        Some(Value::Object(view)) => view,
        _ => Map::new(),
    };
    let excluded = excluded.unwrap_or_else(|| view.keys().cloned().map(Into::into).collect());
    Shown { view, excluded }
}

/// A workflow's view of a context, built step by step.
pub(super) struct Showing {
    view: Map<String, Value>,
    /// The keys a step has shown: the first step to read a key shows it,
    /// unless a later one hides a secret in it.
    shown: BTreeSet<Cow<'static, str>>,
    excluded: Vec<Cow<'static, str>>,
}

/// `context`'s keys as given (a non-object has none): where a root
/// workflow's view starts.
pub(super) fn given(context: &Value) -> Map<String, Value> {
    context.as_object().cloned().unwrap_or_default()
}

impl Showing {
    /// Starts from `start` (the context as [`given`] for a root workflow),
    /// with the workflow's own exclusions.
    pub(super) fn new(start: Map<String, Value>, excluded: Vec<Cow<'static, str>>) -> Self {
        Self {
            view: start,
            shown: BTreeSet::new(),
            excluded,
        }
    }

    /// Shows the context as task (or flow) `T` reads it; `excluded` are its
    /// settings' exclusions, `None` when its settings panicked.
    pub(super) fn task<T>(&mut self, context: &Value, excluded: Option<Vec<Cow<'static, str>>>)
    where
        T: DeserializeOwned + Serialize + garde::Validate<Context = ()> + Send + 'static,
    {
        let Some(excluded) = excluded else {
            return self.step(shown(input::view::<T>(context), None));
        };
        self.excluded.extend(excluded);
        if let Parsed::Valid(task) = input::parse::<T>(Cow::Borrowed(context))
            && task.serialize(Fields(self)).is_ok()
        {
            return;
        }
        // Invalid input, or a task that is not an object of fields that
        // serialize: its view as its own line builds it. Fields shown
        // before a failure showed what the task serializes them as.
        self.step(shown(input::view::<T>(context), Some(Vec::new())));
    }

    /// Shows what one step's view shows (a nested workflow's, or a task's
    /// built as its own line builds it).
    pub(super) fn step(&mut self, shown: Shown) {
        self.excluded.extend(shown.excluded);
        for (key, value) in shown.view {
            self.show(Cow::Owned(key), value);
        }
    }

    /// The view, with every excluded key left out.
    pub(super) fn finish(mut self) -> Shown {
        for key in &self.excluded {
            self.view.remove(key.as_ref());
        }
        Shown {
            view: self.view,
            excluded: self.excluded,
        }
    }

    /// Shows `key` as a step reads it.
    fn show(&mut self, key: Cow<'static, str>, value: Value) {
        if self.shown.contains(key.as_ref()) && !holds_redacted(&value) {
            return;
        }
        match self.view.get_mut(key.as_ref()) {
            Some(slot) => *slot = value,
            None => {
                self.view.insert(key.clone().into_owned(), value);
            }
        }
        self.shown.insert(key);
    }
}

/// Whether `value` hides a secret somewhere.
fn holds_redacted(value: &Value) -> bool {
    match value {
        Value::String(text) => text == crate::REDACTED,
        Value::Array(items) => items.iter().any(holds_redacted),
        Value::Object(map) => map.values().any(holds_redacted),
        _ => false,
    }
}

/// A serializer that shows an object's fields one by one, as
/// `serde_json::to_value` would turn them into a map's entries; anything
/// but an object of fields is refused ([`NotFields`]).
struct Fields<'s>(&'s mut Showing);

/// A map's or struct's fields being shown; a map's key waits for its value.
struct Entries<'s> {
    showing: &'s mut Showing,
    key: Option<String>,
}

/// Why [`Fields`] refused: not an object, a key that is not a string, or
/// a value that does not serialize.
#[derive(Debug)]
struct NotFields;

impl fmt::Display for NotFields {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not an object whose fields serialize")
    }
}

impl std::error::Error for NotFields {}

impl ser::Error for NotFields {
    fn custom<M: fmt::Display>(_: M) -> Self {
        NotFields
    }
}

/// A field's value as `serde_json::to_value` makes it, or through its text
/// where a `Value` cannot hold it (an `i128` beyond 64 bits), as
/// `input::view` does.
fn value_of<V: Serialize + ?Sized>(value: &V) -> Result<Value, NotFields> {
    serde_json::to_value(value)
        .ok()
        .or_else(|| serde_json::from_str(input::to_raw(value)?.get()).ok())
        .ok_or(NotFields)
}

macro_rules! refuse {
    ($($method:ident($($arg:ty),*);)*) => {
        $(fn $method(self, $(_: $arg),*) -> Result<(), NotFields> {
            Err(NotFields)
        })*
    };
}

impl<'s> Serializer for Fields<'s> {
    type Ok = ();
    type Error = NotFields;
    type SerializeSeq = Impossible<(), NotFields>;
    type SerializeTuple = Impossible<(), NotFields>;
    type SerializeTupleStruct = Impossible<(), NotFields>;
    type SerializeTupleVariant = Impossible<(), NotFields>;
    type SerializeMap = Entries<'s>;
    type SerializeStruct = Entries<'s>;
    type SerializeStructVariant = Impossible<(), NotFields>;

    refuse! {
        serialize_bool(bool);
        serialize_i8(i8);
        serialize_i16(i16);
        serialize_i32(i32);
        serialize_i64(i64);
        serialize_u8(u8);
        serialize_u16(u16);
        serialize_u32(u32);
        serialize_u64(u64);
        serialize_f32(f32);
        serialize_f64(f64);
        serialize_char(char);
        serialize_str(&str);
        serialize_bytes(&[u8]);
        serialize_none();
        serialize_unit();
        serialize_unit_struct(&'static str);
        serialize_unit_variant(&'static str, u32, &'static str);
    }

    /// `Some` shows as what it holds, as in `serde_json::to_value`.
    fn serialize_some<V: Serialize + ?Sized>(self, value: &V) -> Result<(), NotFields> {
        value.serialize(self)
    }

    /// A newtype shows as what it wraps, as in `serde_json::to_value`.
    fn serialize_newtype_struct<V: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &V,
    ) -> Result<(), NotFields> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<V: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &V,
    ) -> Result<(), NotFields> {
        Err(NotFields)
    }

    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, NotFields> {
        Err(NotFields)
    }

    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, NotFields> {
        Err(NotFields)
    }

    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, NotFields> {
        Err(NotFields)
    }

    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, NotFields> {
        Err(NotFields)
    }

    fn serialize_map(self, _: Option<usize>) -> Result<Entries<'s>, NotFields> {
        Ok(Entries {
            showing: self.0,
            key: None,
        })
    }

    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Entries<'s>, NotFields> {
        self.serialize_map(None)
    }

    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, NotFields> {
        Err(NotFields)
    }
}

impl SerializeStruct for Entries<'_> {
    type Ok = ();
    type Error = NotFields;

    /// A struct's field names are static: showing one costs no copy.
    fn serialize_field<V: Serialize + ?Sized>(
        &mut self,
        name: &'static str,
        value: &V,
    ) -> Result<(), NotFields> {
        let value = value_of(value)?;
        self.showing.show(Cow::Borrowed(name), value);
        Ok(())
    }

    fn end(self) -> Result<(), NotFields> {
        Ok(())
    }
}

impl SerializeMap for Entries<'_> {
    type Ok = ();
    type Error = NotFields;

    /// Only string keys: any other goes the way of `input::view`.
    fn serialize_key<K: Serialize + ?Sized>(&mut self, key: &K) -> Result<(), NotFields> {
        match serde_json::to_value(key) {
            Ok(Value::String(key)) => {
                self.key = Some(key);
                Ok(())
            }
            _ => Err(NotFields),
        }
    }

    fn serialize_value<V: Serialize + ?Sized>(&mut self, value: &V) -> Result<(), NotFields> {
        let key = self.key.take().ok_or(NotFields)?;
        let value = value_of(value)?;
        self.showing.show(Cow::Owned(key), value);
        Ok(())
    }

    fn end(self) -> Result<(), NotFields> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Secret;
    use serde::{Deserialize, Serialize};
    use serde_json::json;
    use std::collections::BTreeMap;

    /// The view one step's task gives the workflow, written field by field.
    fn written<T>(context: &Value) -> Map<String, Value>
    where
        T: DeserializeOwned + Serialize + garde::Validate<Context = ()> + Send + 'static,
    {
        let mut showing = Showing::new(given(context), Vec::new());
        showing.task::<T>(context, Some(Vec::new()));
        showing.finish().view
    }

    /// The same view built from the task's whole view, as its own line
    /// builds it.
    fn whole<T>(context: &Value) -> Map<String, Value>
    where
        T: DeserializeOwned + Serialize + garde::Validate<Context = ()> + Send + 'static,
    {
        let mut view = given(context);
        view.extend(shown(input::view::<T>(context), Some(Vec::new())).view);
        view
    }

    #[derive(Serialize, Deserialize, garde::Validate)]
    struct Plain {
        #[garde(range(min = 1))]
        n: i64,
        #[garde(skip)]
        #[serde(rename = "Renamed")]
        renamed: String,
        #[garde(skip)]
        #[serde(default)]
        absent: bool,
    }

    #[derive(Serialize, Deserialize, garde::Validate)]
    struct WithSecret {
        #[garde(skip)]
        card: Secret<String>,
        #[garde(skip)]
        nested: BTreeMap<String, Secret<String>>,
    }

    #[derive(Serialize, Deserialize, garde::Validate)]
    struct Flattened {
        #[garde(skip)]
        id: u32,
        #[garde(skip)]
        #[serde(flatten)]
        rest: BTreeMap<String, Value>,
    }

    #[derive(Serialize, Deserialize, garde::Validate)]
    struct Newtype(#[garde(skip)] BTreeMap<String, i64>);

    #[derive(Serialize, Deserialize, garde::Validate)]
    #[serde(transparent)]
    struct Transparent(#[garde(skip)] BTreeMap<String, i64>);

    #[derive(Serialize, Deserialize, garde::Validate)]
    struct Huge {
        #[garde(skip)]
        big: i128,
    }

    #[derive(Serialize, Deserialize, garde::Validate)]
    struct Pair(#[garde(skip)] i64, #[garde(skip)] i64);

    #[derive(Serialize, Deserialize, garde::Validate)]
    #[serde(transparent)]
    struct NumberKeys(#[garde(skip)] BTreeMap<u8, i64>);

    #[derive(Serialize, Deserialize, garde::Validate)]
    enum Choice {
        Pick(#[garde(skip)] BTreeMap<String, i64>),
    }

    /// A task that serializes as `Some` of its fields.
    #[derive(Deserialize, garde::Validate)]
    struct Optional {
        #[garde(skip)]
        n: i64,
    }

    impl Serialize for Optional {
        fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            serializer.serialize_some(&BTreeMap::from([("n", self.n)]))
        }
    }

    /// A task whose `Serialize` fails at its second field.
    #[derive(Deserialize, garde::Validate)]
    struct Failing {
        #[garde(skip)]
        a: i64,
        #[garde(skip)]
        b: i64,
    }

    impl Serialize for Failing {
        fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            let mut fields = serializer.serialize_struct("Failing", 2)?;
            fields.serialize_field("a", &self.a)?;
            let _ = self.b;
            Err(ser::Error::custom("no b"))
        }
    }

    #[test]
    fn a_task_written_field_by_field_shows_what_its_whole_view_shows() {
        let contexts = [
            json!({"n": "7", "Renamed": "r", "other": [1, 2]}),
            json!({"n": 0, "Renamed": "r"}),
            json!({"card": "4242", "nested": {"x": "y"}, "n": 1}),
            json!({"id": "5", "extra": {"deep": [true]}, "more": null}),
            json!({"a": "1", "b": 2, "c": 3}),
            json!({"big": "170141183460469231731687303715884105727"}),
            json!({"1": 2, "3": "4"}),
            json!({"Pick": {"x": "1"}}),
            json!({}),
        ];
        for context in &contexts {
            assert_eq!(
                written::<Plain>(context),
                whole::<Plain>(context),
                "{context}"
            );
            assert_eq!(written::<WithSecret>(context), whole::<WithSecret>(context));
            assert_eq!(written::<Flattened>(context), whole::<Flattened>(context));
            assert_eq!(
                written::<Transparent>(context),
                whole::<Transparent>(context)
            );
            assert_eq!(written::<Huge>(context), whole::<Huge>(context));
            assert_eq!(written::<Pair>(context), whole::<Pair>(context));
            assert_eq!(written::<NumberKeys>(context), whole::<NumberKeys>(context));
            assert_eq!(written::<Failing>(context), whole::<Failing>(context));
            assert_eq!(written::<Choice>(context), whole::<Choice>(context));
            assert_eq!(written::<Optional>(context), whole::<Optional>(context));
        }
        // The cases above do reach each path.
        let shown = written::<Plain>(&contexts[0]);
        assert_eq!(
            Value::Object(shown),
            json!({"n": 7, "Renamed": "r", "absent": false, "other": [1, 2]})
        );
        let shown = written::<WithSecret>(&contexts[2]);
        assert_eq!(shown["card"], crate::REDACTED);
        assert_eq!(shown["nested"], json!({"x": crate::REDACTED}));
        let shown = written::<Flattened>(&contexts[3]);
        assert_eq!(
            Value::Object(shown),
            json!({"id": 5, "extra": {"deep": [true]}, "more": null})
        );
        let shown = written::<Choice>(&json!({"Pick": {"x": "1"}}));
        assert_eq!(Value::Object(shown), json!({"Pick": {"x": 1}}));
        let shown = written::<Optional>(&json!({"n": "4"}));
        assert_eq!(Value::Object(shown), json!({"n": 4}));
        let shown = written::<Huge>(&contexts[5]);
        assert!(shown["big"].is_number(), "{shown:?}");
        let shown = written::<Failing>(&contexts[4]);
        assert_eq!(
            Value::Object(shown),
            json!({"a": crate::REDACTED, "b": crate::REDACTED, "c": crate::REDACTED})
        );
        let shown = written::<NumberKeys>(&json!({"1": 2, "3": "4"}));
        assert_eq!(Value::Object(shown), json!({"1": 2, "3": 4}));
        for shown in [
            written::<Transparent>(&json!({"x": "2"})),
            written::<Newtype>(&json!({"x": "2"})),
        ] {
            assert_eq!(Value::Object(shown), json!({"x": 2}));
        }
    }

    static SERIALIZED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

    /// A task that counts its serializations.
    #[derive(Deserialize, garde::Validate)]
    struct Counted {
        #[garde(skip)]
        n: i64,
    }

    impl Serialize for Counted {
        fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            SERIALIZED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let mut fields = serializer.serialize_struct("Counted", 1)?;
            fields.serialize_field("n", &self.n)?;
            fields.end()
        }
    }

    #[test]
    fn a_valid_task_is_serialized_once_straight_into_the_view() {
        let context = json!({"n": "3"});
        let before = SERIALIZED.load(std::sync::atomic::Ordering::Relaxed);
        let shown = written::<Counted>(&context);
        assert_eq!(
            SERIALIZED.load(std::sync::atomic::Ordering::Relaxed) - before,
            1
        );
        assert_eq!(Value::Object(shown), json!({"n": 3}));
    }

    #[test]
    fn the_first_step_to_read_a_key_shows_it_unless_a_later_one_hides_a_secret() {
        let context = json!({"card": "4242", "n": "7", "free": "as given", "nested": {"k": "v"}});
        let mut showing = Showing::new(given(&context), vec![Cow::Borrowed("gone")]);
        showing.step(shown(
            Some(json!({"n": 7, "card": "4242"})),
            Some(Vec::new()),
        ));
        // A later step's plain value does not replace the first one's.
        showing.step(shown(
            Some(json!({"n": "seven"})),
            Some(vec![Cow::Borrowed("excluded")]),
        ));
        // Its secret does, and nested ones too.
        showing.task::<WithSecret>(&context, Some(Vec::new()));
        showing.step(shown(
            Some(json!({"list": [1], "object": {"a": 1}})),
            Some(Vec::new()),
        ));
        showing.step(shown(
            Some(json!({"list": [1, crate::REDACTED], "object": {"a": {"b": crate::REDACTED}}})),
            Some(Vec::new()),
        ));
        let shown = showing.finish();
        assert_eq!(
            Value::Object(shown.view),
            json!({
                "card": crate::REDACTED,
                "n": 7,
                "free": "as given",
                "nested": {"k": crate::REDACTED},
                "list": [1, crate::REDACTED],
                "object": {"a": {"b": crate::REDACTED}},
            })
        );
        assert_eq!(shown.excluded, ["gone", "excluded"]);
    }

    #[test]
    fn excluded_keys_are_left_out_and_a_step_with_unknown_exclusions_hides_what_it_reads() {
        let context = json!({"n": 1, "Renamed": "r", "kept": true, "dropped": 0});
        let mut showing = Showing::new(given(&context), vec![Cow::Borrowed("dropped")]);
        showing.task::<Plain>(&context, None);
        let shown = showing.finish();
        assert_eq!(Value::Object(shown.view), json!({"kept": true}));
        let mut excluded = shown.excluded;
        excluded.sort();
        assert_eq!(excluded, ["Renamed", "absent", "dropped", "n"]);
    }

    #[test]
    fn a_context_that_is_not_an_object_shows_as_an_empty_one() {
        assert!(given(&json!([1, 2])).is_empty());
        assert_eq!(given(&json!({"a": 1})).len(), 1);
    }
}
