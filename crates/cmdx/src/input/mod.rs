//! Inputs: validation with `garde`, lenient coercion of untyped JSON, and
//! redaction of sensitive fields.

mod coerce;
mod secret;

pub use secret::{REDACTED, Secret};

pub(crate) use secret::revealed;

pub(crate) use coerce::FieldErrors;

use coerce::{Entry, Overlay, Step};
use std::panic::{AssertUnwindSafe, catch_unwind};

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use serde_json::value::RawValue;
use std::borrow::Cow;

/// Validates with `garde`, as field → messages.
pub(crate) fn validate<T: garde::Validate<Context = ()>>(input: &T) -> Result<(), FieldErrors> {
    input.validate().map_err(|report| {
        let mut errors = FieldErrors::new();
        for (path, error) in report.iter() {
            let field = path.to_string();
            let field = if field.is_empty() {
                "input".to_owned()
            } else {
                field
            };
            errors
                .entry(field)
                .or_default()
                .push(error.message().to_owned());
        }
        errors
    })
}

/// Serializes inputs for the ledger; sensitive fields are already
/// `"[REDACTED]"` through [`Secret`].
pub(crate) fn to_raw<T: Serialize + ?Sized>(input: &T) -> Option<Box<RawValue>> {
    serde_json::value::to_raw_value(input).ok()
}

/// Untyped input turned into a typed task, or every reason it could not be.
pub(crate) enum Parsed<T> {
    Valid(T),
    Invalid {
        errors: FieldErrors,
        input: ShownInput,
    },
}

/// The input an invalid execution's line shows, built only if a line is
/// written.
pub(crate) struct ShownInput(Box<dyn FnOnce() -> Option<Box<RawValue>> + Send>);

impl ShownInput {
    /// Shows `input` as it is.
    pub(crate) fn ready(input: Option<Box<RawValue>>) -> Self {
        Self(Box::new(move || input))
    }

    /// Builds the input to show.
    pub(crate) fn render(self) -> Option<Box<RawValue>> {
        (self.0)()
    }
}

impl std::fmt::Debug for ShownInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ShownInput")
    }
}

/// Coerces and validates untyped input, collecting every field error. A
/// panic in the type's own `Deserialize` or validation is an invalid input,
/// not a panic of the caller. Borrowed input is copied only when invalid
/// (its line shows it).
pub(crate) fn parse<T>(input: Cow<'_, Value>) -> Parsed<T>
where
    T: DeserializeOwned + Serialize + garde::Validate<Context = ()> + Send + 'static,
{
    let Ok(coerced) = catch_unwind(AssertUnwindSafe(|| coerce::coerce::<T>(&input))) else {
        let input = input.into_owned();
        return Parsed::Invalid {
            errors: panicked("reading"),
            input: ShownInput(Box::new(move || redacted_all(&input))),
        };
    };
    let mut errors = coerced.errors;
    let validated = coerced
        .value
        .as_ref()
        .map(|value| catch_unwind(AssertUnwindSafe(|| validate(value))));
    match validated {
        Some(Ok(Err(invalid))) => {
            for (field, messages) in invalid {
                // A field that could not be coerced holds a placeholder:
                // its validation messages would only add noise.
                if !errors.keys().any(|bad| top_level(bad) == top_level(&field)) {
                    errors.insert(field, messages);
                }
            }
        }
        Some(Err(_)) => errors.extend(panicked("validating")),
        _ => {}
    }
    match coerced.value {
        Some(value) if errors.is_empty() => Parsed::Valid(value),
        value => {
            let listed = coerced.listed;
            let input = input.into_owned();
            Parsed::Invalid {
                errors,
                input: ShownInput(Box::new(move || shown(value.as_ref(), &input, &listed))),
            }
        }
    }
}

/// The error of an input whose type's own code panicked while `doing`.
fn panicked(doing: &str) -> FieldErrors {
    let message = format!("could not be read: the input type's own code panicked while {doing} it");
    FieldErrors::from([(coerce::ROOT.to_owned(), vec![message])])
}

/// `input` as `T`'s ledger line would show it: coerced, [`Secret`] fields
/// `"[REDACTED]"`. For input `T` cannot be built from, the given values of
/// fields that failed as plain scalars, and `"[REDACTED]"` for every value
/// whose type could not be checked for secrets.
pub(crate) fn view<T>(input: &Value) -> Option<Value>
where
    T: DeserializeOwned + Serialize + garde::Validate<Context = ()> + Send + 'static,
{
    let from_text = |raw: Box<RawValue>| serde_json::from_str(raw.get()).ok();
    match parse::<T>(Cow::Borrowed(input)) {
        // A `Value`; JSON text where a `Value` cannot hold a number (an
        // `i128` beyond 64 bits); every value hidden if `T` does not
        // serialize at all, since which of its fields are secret is then
        // unknown.
        Parsed::Valid(value) => serde_json::to_value(&value)
            .ok()
            .or_else(|| to_raw(&value).and_then(from_text))
            .or_else(|| redacted_all(input).and_then(from_text)),
        Parsed::Invalid { input, .. } => input.render().and_then(from_text),
    }
}

/// Shows untyped `input` the way task `T`'s ledger line would: values are
/// coerced to `T`'s field types and every [`Secret`] field is
/// `"[REDACTED]"`, also when the input is invalid (then a field that failed
/// as a plain scalar shows what was given, any other failed value
/// `"[REDACTED]"`, and when no `T` could be built at all every value is
/// redacted). Use it to log an untyped request body; cmdx-axum's
/// `JsonTask` prints its body this way.
///
/// ```
/// use cmdx::prelude::*;
/// use serde_json::json;
///
/// #[derive(Debug, Serialize, Deserialize, Validate)]
/// struct Pay {
///     #[garde(range(min = 1))]
///     cents: i64,
///     #[garde(skip)]
///     card: Secret<String>,
/// }
///
/// let shown = cmdx::redacted_input::<Pay>(&json!({"cents": "250", "card": "4242"}));
/// assert_eq!(shown, json!({"cents": 250, "card": "[REDACTED]"}));
/// let shown = cmdx::redacted_input::<Pay>(&json!({"cents": "lots", "card": "4242"}));
/// assert_eq!(shown, json!({"cents": "lots", "card": "[REDACTED]"}));
/// ```
pub fn redacted_input<T>(input: &Value) -> Value
where
    T: DeserializeOwned + Serialize + garde::Validate<Context = ()> + Send + 'static,
{
    view::<T>(input).unwrap_or(Value::Null)
}

fn top_level(path: &str) -> &str {
    let end = path.find(['.', '[']).unwrap_or(path.len());
    &path[..end]
}

/// The input to show on the line of an invalid execution: the typed value
/// where it could be built (so [`Secret`] fields stay redacted), with the
/// given values of the fields that failed as plain scalars, `"[REDACTED]"`
/// for other failed values, and missing fields left out. When no typed
/// value could be built, which fields are sensitive is unknown: every value
/// is redacted.
fn shown<T: Serialize>(value: Option<&T>, raw: &Value, listed: &[Entry]) -> Option<Box<RawValue>> {
    let Some(Ok(mut typed)) = value.map(serde_json::to_value) else {
        return redacted_all(raw);
    };
    for entry in listed {
        let given = find(raw, &entry.path);
        match (entry.overlay, given) {
            (Overlay::Raw, Some(given)) => {
                if let Some(slot) = find_mut(&mut typed, &entry.path) {
                    *slot = given.clone();
                }
            }
            (Overlay::Redact, Some(_)) => {
                if let Some(slot) = find_mut(&mut typed, &entry.path) {
                    *slot = Value::from(REDACTED);
                }
            }
            (Overlay::Remove, None) => remove(&mut typed, &entry.path),
            _ => {}
        }
    }
    to_raw(&typed)
}

/// Every value of an object input redacted (its keys kept); `null` for any
/// other input.
fn redacted_all(raw: &Value) -> Option<Box<RawValue>> {
    let Value::Object(raw) = raw else {
        return to_raw(&Value::Null);
    };
    let redacted: serde_json::Map<String, Value> = raw
        .keys()
        .map(|key| (key.clone(), Value::from(REDACTED)))
        .collect();
    to_raw(&redacted)
}

/// The value at `path`.
fn find<'v>(value: &'v Value, path: &[Step]) -> Option<&'v Value> {
    path.iter().try_fold(value, |value, step| match step {
        Step::Key(key) => value.as_object()?.get(key),
        Step::Index(index) => value.as_array()?.get(*index),
    })
}

/// The value at `path`, mutably.
fn find_mut<'v>(value: &'v mut Value, path: &[Step]) -> Option<&'v mut Value> {
    path.iter().try_fold(value, |value, step| match step {
        Step::Key(key) => value.as_object_mut()?.get_mut(key),
        Step::Index(index) => value.as_array_mut()?.get_mut(*index),
    })
}

/// Removes the object entry at `path`, if there is one.
fn remove(value: &mut Value, path: &[Step]) {
    if let Some((Step::Key(key), parent)) = path.split_last()
        && let Some(Value::Object(object)) = find_mut(value, parent)
    {
        object.remove(key);
    }
}
