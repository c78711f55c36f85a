//! Inputs: validation with `garde`, lenient coercion of untyped JSON, and
//! redaction of sensitive fields.

mod coerce;
mod secret;

pub use secret::{REDACTED, Secret};

pub(crate) use coerce::FieldErrors;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use serde_json::value::RawValue;

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
pub(crate) fn to_raw<T: Serialize>(input: &T) -> Option<Box<RawValue>> {
    serde_json::value::to_raw_value(input).ok()
}

/// Untyped input turned into a typed task, or every reason it could not be.
pub(crate) enum Parsed<T> {
    Valid(T),
    Invalid {
        errors: FieldErrors,
        input: Option<Box<RawValue>>,
    },
}

/// Coerces and validates untyped input, collecting every field error.
pub(crate) fn parse<T>(input: &Value) -> Parsed<T>
where
    T: DeserializeOwned + Serialize + garde::Validate<Context = ()>,
{
    let coerced = coerce::coerce::<T>(input);
    let mut errors = coerced.errors;
    if let Some(Err(invalid)) = coerced.value.as_ref().map(validate) {
        for (field, messages) in invalid {
            // A field that could not be coerced holds a placeholder:
            // its validation messages would only add noise.
            if !errors.keys().any(|bad| top_level(bad) == top_level(&field)) {
                errors.insert(field, messages);
            }
        }
    }
    match coerced.value {
        Some(value) if errors.is_empty() => Parsed::Valid(value),
        value => Parsed::Invalid {
            input: redacted_input(value.as_ref(), input, &errors),
            errors,
        },
    }
}

fn top_level(path: &str) -> &str {
    let end = path.find(['.', '[']).unwrap_or(path.len());
    &path[..end]
}

/// The input to show on the line of an invalid execution: the typed value
/// where it could be built (so [`Secret`] fields stay redacted), with the
/// raw values of the fields that failed coercion. When no typed value could
/// be built, which fields are sensitive is unknown: every value is redacted.
fn redacted_input<T: Serialize>(
    value: Option<&T>,
    raw: &Value,
    errors: &FieldErrors,
) -> Option<Box<RawValue>> {
    let Value::Object(raw) = raw else {
        return to_raw(&Value::Null);
    };
    let shown = match value.map(serde_json::to_value) {
        Some(Ok(Value::Object(mut typed))) => {
            for field in errors.keys().map(|f| top_level(f)) {
                let redacted = typed.get(field).is_some_and(|v| v == REDACTED);
                match raw.get(field) {
                    Some(given) if !redacted => {
                        typed.insert(field.to_owned(), given.clone());
                    }
                    None if !redacted => {
                        typed.remove(field);
                    }
                    _ => {}
                }
            }
            typed
        }
        _ => raw
            .keys()
            .map(|key| (key.clone(), Value::from(REDACTED)))
            .collect(),
    };
    to_raw(&shown)
}
