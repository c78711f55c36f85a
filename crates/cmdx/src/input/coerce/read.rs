//! Pure scalar readers: one JSON value in, one coerced Rust scalar (or the
//! error message to record) out. Messages never quote the received value.

use std::borrow::Cow;
use std::fmt::Display;

use serde_json::Value;

/// A required value is absent or `null`.
pub(super) const REQUIRED: &str = "is required";
/// The value cannot be read as an integer.
pub(super) const INTEGER: &str = "must be an integer";
/// The value cannot be read as a finite number.
pub(super) const NUMBER: &str = "must be a number";
/// The value is not one of the accepted boolean spellings.
pub(super) const BOOLEAN: &str = "must be a boolean (true/false, yes/no, on/off, 1/0)";
/// The value is a list or an object where text was expected.
pub(super) const STRING: &str = "must be a string";
/// The value is not a JSON array.
pub(super) const LIST: &str = "must be a list";
/// The value is not a JSON object.
pub(super) const OBJECT: &str = "must be an object";
/// The value is not exactly one character of text.
pub(super) const CHARACTER: &str = "must be a single character";
/// The field's own `Deserialize` impl rejected the value.
pub(super) const INVALID: &str = "is not a valid value for this field";

/// An integer of unknown target width, before the range check.
#[derive(Debug, Clone, Copy)]
enum Wide {
    /// A value below zero.
    Negative(i128),
    /// A value of zero or more.
    NonNegative(u128),
    /// A well-formed integer too large for any Rust integer type.
    OutOfRange,
}

/// Reads an integer of type `T`, checking it against `min..=max`.
pub(super) fn integer<T>(value: &Value, min: T, max: T) -> Result<T, String>
where
    T: TryFrom<i128> + TryFrom<u128> + Display,
{
    let fitted = match wide(value)? {
        Wide::Negative(n) => T::try_from(n).ok(),
        Wide::NonNegative(n) => T::try_from(n).ok(),
        Wide::OutOfRange => None,
    };
    fitted.ok_or_else(|| format!("must be between {min} and {max}"))
}

/// Reads any integer: JSON integers, whole floats and trimmed integer text.
fn wide(value: &Value) -> Result<Wide, String> {
    match value {
        Value::Number(n) => {
            if let Some(u) = n.as_u64() {
                Ok(Wide::NonNegative(u.into()))
            } else if let Some(i) = n.as_i64() {
                Ok(Wide::Negative(i.into()))
            } else {
                n.as_f64()
                    .map_or_else(|| Err(INTEGER.into()), wide_from_float)
            }
        }
        Value::String(s) => wide_from_text(s.trim()),
        _ => Err(INTEGER.into()),
    }
}

/// Accepts floats with a zero fraction, e.g. `42.0`.
fn wide_from_float(f: f64) -> Result<Wide, String> {
    if !f.is_finite() || f.fract() != 0.0 {
        return Err(INTEGER.into());
    }
    // Casts below are exact: `f` is whole and inside the target range.
    Ok(if f < 0.0 {
        if f >= i128::MIN as f64 {
            Wide::Negative(f as i128)
        } else {
            Wide::OutOfRange
        }
    } else if f < u128::MAX as f64 {
        Wide::NonNegative(f as u128)
    } else {
        Wide::OutOfRange
    })
}

/// Accepts decimal integer text with an optional sign.
fn wide_from_text(s: &str) -> Result<Wide, String> {
    if let Ok(i) = s.parse::<i128>() {
        return Ok(u128::try_from(i).map_or(Wide::Negative(i), Wide::NonNegative));
    }
    if let Ok(u) = s.parse::<u128>() {
        return Ok(Wide::NonNegative(u));
    }
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        Ok(Wide::OutOfRange)
    } else {
        Err(INTEGER.into())
    }
}

/// Reads a finite `f64` from a number or trimmed numeric text.
pub(super) fn float(value: &Value) -> Result<f64, String> {
    let parsed = match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    };
    parsed
        .filter(|f| f.is_finite())
        .ok_or_else(|| NUMBER.into())
}

/// Reads an `f32`, rejecting values outside its finite range.
pub(super) fn float32(value: &Value) -> Result<f32, String> {
    let f = float(value)?;
    if f.abs() > f64::from(f32::MAX) {
        return Err(format!("must be between {:e} and {:e}", f32::MIN, f32::MAX));
    }
    Ok(f as f32)
}

/// Reads a boolean from `true`/`false`, `1`/`0` or an accepted spelling.
pub(super) fn boolean(value: &Value) -> Result<bool, String> {
    let parsed = match value {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => match n.as_f64() {
            Some(1.0) => Some(true),
            Some(0.0) => Some(false),
            _ => None,
        },
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "yes" | "on" | "1" | "t" | "y" => Some(true),
            "false" | "no" | "off" | "0" | "f" | "n" => Some(false),
            _ => None,
        },
        _ => None,
    };
    parsed.ok_or_else(|| BOOLEAN.into())
}

/// Reads text: strings as they are, numbers and booleans as their JSON text.
pub(super) fn text(value: &Value) -> Result<Cow<'_, str>, String> {
    match value {
        Value::String(s) => Ok(Cow::Borrowed(s)),
        Value::Number(n) => Ok(Cow::Owned(n.to_string())),
        Value::Bool(b) => Ok(Cow::Owned(b.to_string())),
        _ => Err(STRING.into()),
    }
}

/// Reads exactly one character.
pub(super) fn character(value: &Value) -> Result<char, String> {
    let text = text(value).map_err(|_| CHARACTER.to_owned())?;
    let mut chars = text.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) => Ok(c),
        _ => Err(CHARACTER.into()),
    }
}

/// The message for a value outside an enum's variant list.
pub(super) fn one_of(variants: &[&str]) -> String {
    format!("must be one of: {}", variants.join(", "))
}
