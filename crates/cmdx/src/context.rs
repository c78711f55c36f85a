//! [`Context`]: the shared key-value bag workflow steps read from and write to.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

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
#[derive(Clone, Default, PartialEq, Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Context {
    values: Map<String, Value>,
}

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context")
            .field("keys", &self.values.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
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
        self.values.insert(key.into(), value);
    }

    /// Reads `key` as a `T`; `None` when absent or of another shape.
    pub fn get<T: DeserializeOwned>(&self, key: &str) -> Option<T> {
        self.values
            .get(key)
            .and_then(|value| T::deserialize(value).ok())
    }

    /// The raw JSON value at `key`.
    pub fn value(&self, key: &str) -> Option<&Value> {
        self.values.get(key)
    }

    /// Removes `key`, returning its value.
    pub fn remove(&mut self, key: &str) -> Option<Value> {
        self.values.remove(key)
    }

    /// Whether `key` is set.
    pub fn contains(&self, key: &str) -> bool {
        self.values.contains_key(key)
    }

    /// Copies every key of `other` into `self`, replacing existing keys.
    pub fn merge(&mut self, other: Map<String, Value>) {
        self.values.extend(other);
    }

    /// The context as a JSON object.
    pub fn as_map(&self) -> &Map<String, Value> {
        &self.values
    }

    /// The context as a mutable JSON object.
    pub fn as_map_mut(&mut self) -> &mut Map<String, Value> {
        &mut self.values
    }

    /// The context as a JSON value (an object).
    pub fn to_value(&self) -> Value {
        Value::Object(self.values.clone())
    }
}

impl From<Map<String, Value>> for Context {
    fn from(values: Map<String, Value>) -> Self {
        Self { values }
    }
}

impl TryFrom<Value> for Context {
    type Error = Value;

    /// Accepts a JSON object; gives any other value back.
    fn try_from(value: Value) -> Result<Self, Value> {
        match value {
            Value::Object(values) => Ok(Self { values }),
            other => Err(other),
        }
    }
}
