//! [`Context`]: the shared key-value bag workflow steps read from and write to.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};
use std::sync::{Arc, LazyLock};

/// A JSON object shared between the steps of a workflow, and the untyped
/// input of [`TaskExt::execute_context`](crate::TaskExt::execute_context).
///
/// ```
/// use cmdx::Context;
///
/// let mut context = Context::new();
/// context.insert("sku", "SKU-1234");
/// context.insert("quantity", 5);
/// assert_eq!(context.get::<i64>("quantity"), Some(5));
/// assert_eq!(context.get::<String>("sku").as_deref(), Some("SKU-1234"));
/// ```
///
/// Its values are plain JSON, whatever type a step reads them as, so a
/// value a step holds in a [`Secret`](crate::Secret) is not marked here:
/// `Debug` shows the keys only. Read values with [`Context::get`] or
/// [`Context::to_value`].
///
/// ```
/// # use cmdx::Context;
/// let mut context = Context::new();
/// context.insert("card", "4242 4242 4242 4242");
/// assert_eq!(format!("{context:?}"), r#"Context { keys: ["card"], .. }"#);
/// ```
/// Cloning a context is cheap: clones share one copy of the values until
/// one of them is changed (copy on write), so each workflow step's `Cx`
/// shares the workflow's context instead of copying it.
#[derive(Clone, Default)]
pub struct Context {
    /// Always an object when set; `None` is the empty context (no
    /// allocation, for the many executions that never use one).
    values: Option<Arc<Value>>,
}

/// What an empty context reads as.
static EMPTY: LazyLock<Value> = LazyLock::new(|| Value::Object(Map::new()));

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context")
            .field("keys", &self.as_map().keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl PartialEq for Context {
    fn eq(&self, other: &Self) -> bool {
        self.as_map() == other.as_map()
    }
}

impl Serialize for Context {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.as_map().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Context {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Map::deserialize(deserializer).map(Self::from)
    }
}

impl Context {
    /// An empty context.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `key` to `value` serialized as JSON (`null` if it cannot be).
    pub fn insert(&mut self, key: impl Into<String>, value: impl Serialize) {
        let value = serde_json::to_value(value).unwrap_or(Value::Null);
        self.as_map_mut().insert(key.into(), value);
    }

    /// Reads `key` as a `T`; `None` when absent or of another shape.
    pub fn get<T: DeserializeOwned>(&self, key: &str) -> Option<T> {
        self.as_map()
            .get(key)
            .and_then(|value| T::deserialize(value).ok())
    }

    /// The raw JSON value at `key`.
    pub fn value(&self, key: &str) -> Option<&Value> {
        self.as_map().get(key)
    }

    /// Removes `key`, returning its value.
    pub fn remove(&mut self, key: &str) -> Option<Value> {
        if !self.contains(key) {
            // Nothing to change: no copy of a shared context.
            return None;
        }
        self.as_map_mut().remove(key)
    }

    /// Whether `key` is set.
    pub fn contains(&self, key: &str) -> bool {
        self.as_map().contains_key(key)
    }

    /// Copies every key of `other` into `self`, replacing existing keys.
    pub fn merge(&mut self, other: Map<String, Value>) {
        if !other.is_empty() {
            self.as_map_mut().extend(other);
        }
    }

    /// The context as a JSON object.
    pub fn as_map(&self) -> &Map<String, Value> {
        match self.as_value() {
            Value::Object(map) => map,
            _ => unreachable!("a context holds an object"),
        }
    }

    /// The context as a mutable JSON object (copied first if another
    /// clone of this context shares it).
    pub fn as_map_mut(&mut self) -> &mut Map<String, Value> {
        let values = self
            .values
            .get_or_insert_with(|| Arc::new(Value::Object(Map::new())));
        match Arc::make_mut(values) {
            Value::Object(map) => map,
            _ => unreachable!("a context holds an object"),
        }
    }

    /// The context as a JSON value (an object), copied.
    pub fn to_value(&self) -> Value {
        self.as_value().clone()
    }

    /// The context as a JSON value (an object), borrowed.
    pub(crate) fn as_value(&self) -> &Value {
        self.values.as_deref().unwrap_or(&EMPTY)
    }
}

impl From<Map<String, Value>> for Context {
    fn from(values: Map<String, Value>) -> Self {
        Self {
            values: Some(Arc::new(Value::Object(values))),
        }
    }
}

impl TryFrom<Value> for Context {
    type Error = Value;

    /// Accepts a JSON object; gives any other value back.
    fn try_from(value: Value) -> Result<Self, Value> {
        match value {
            Value::Object(_) => Ok(Self {
                values: Some(Arc::new(value)),
            }),
            other => Err(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_clone_is_independent_of_the_original_after_either_changes() {
        let mut original = Context::new();
        original.insert("n", 1);
        let mut copy = original.clone();
        copy.insert("n", 2);
        copy.insert("added", true);
        assert_eq!(original.to_value(), json!({"n": 1}));
        assert_eq!(copy.to_value(), json!({"n": 2, "added": true}));

        let kept = copy.clone();
        assert_eq!(copy.remove("n"), Some(json!(2)));
        copy.merge(Map::from_iter([("m".to_owned(), json!(3))]));
        copy.as_map_mut().insert("x".to_owned(), json!(4));
        assert_eq!(kept.to_value(), json!({"n": 2, "added": true}));
        assert_eq!(copy.to_value(), json!({"added": true, "m": 3, "x": 4}));
    }

    #[test]
    fn empty_contexts_are_equal_however_they_were_made_and_read_as_an_empty_object() {
        let made = [
            Context::new(),
            Context::from(Map::new()),
            Context::try_from(json!({})).expect("an object"),
            serde_json::from_value(json!({})).expect("an object"),
        ];
        for context in &made {
            assert_eq!(context, &Context::new());
            assert_eq!(context.to_value(), json!({}));
            assert_eq!(
                serde_json::to_value(context).expect("serializes"),
                json!({})
            );
            assert!(context.as_map().is_empty());
        }
        let mut one = Context::new();
        one.insert("k", 1);
        assert_ne!(one, Context::new());
        assert_eq!(Context::try_from(json!([1])), Err(json!([1])));
    }

    #[test]
    fn a_context_converts_from_and_to_json_with_its_keys_and_debug_shows_only_keys() {
        let json = json!({"card": "4242", "n": 2});
        let made = [
            Context::try_from(json.clone()).expect("an object"),
            serde_json::from_value(json.clone()).expect("an object"),
            Context::from(json.as_object().cloned().expect("an object")),
        ];
        for context in &made {
            assert_eq!(context.get::<i64>("n"), Some(2));
            assert_eq!(context.to_value(), json);
            assert_eq!(serde_json::to_value(context).expect("serializes"), json);
            assert_eq!(
                format!("{context:?}"),
                r#"Context { keys: ["card", "n"], .. }"#
            );
        }
    }

    #[test]
    fn reading_and_removing_absent_keys_changes_nothing() {
        let mut context = Context::new();
        assert_eq!(context.remove("nope"), None);
        context.merge(Map::new());
        assert_eq!(context.value("nope"), None);
        assert!(!context.contains("nope"));
        assert_eq!(context, Context::new());
        let mut shared = Context::from(Map::from_iter([("k".to_owned(), json!(1))]));
        let before = shared.clone();
        assert_eq!(shared.remove("nope"), None);
        assert_eq!(shared, before);
        assert_eq!(shared.get::<i64>("k"), Some(1));
        assert!(shared.contains("k"));
    }
}
