//! Lenient conversion of untyped JSON input into a typed task input.
//!
//! [`coerce`] drives `T`'s own [`serde::Deserialize`] impl with a forgiving
//! [`serde::Deserializer`] over a [`serde_json::Value`] (an HTTP body, CLI
//! arguments, a workflow context). Scalars are coerced the way the Ruby gem
//! CMDx coerces task inputs:
//!
//! | Rust type            | Accepted JSON                                                              |
//! |----------------------|----------------------------------------------------------------------------|
//! | `i8`..`i128`, `u8`..`u128` | integers, floats with a zero fraction, trimmed integer text (`" 7 "`); range-checked |
//! | `f32`, `f64`         | numbers, trimmed numeric text; must be finite                              |
//! | `bool`               | `true`/`false`, `1`/`0`, text `true/false yes/no on/off 1/0 t/f y/n` (any case) |
//! | `String`, `&str`     | strings; numbers and booleans as their text                                |
//! | `char`               | one-character text                                                         |
//! | `Option<T>`          | `null` or absent → `None`, anything else → the coercion for `T`            |
//! | `Vec<T>`, tuples     | arrays, element by element (paths `items[0]`)                              |
//! | structs, maps        | objects, field by field (paths `address.zip`); unknown keys are ignored    |
//! | unit enum variants   | a string from the variant list                                             |
//! | data enum variants   | a single-key object `{"Variant": data}`                                    |
//! | anything else        | whatever the type's own visitor accepts (dates, decimals, UUIDs: strings)  |
//!
//! Instead of stopping at the first problem, every mismatch is recorded in a
//! [`FieldErrors`] map under its field path and deserialization continues with
//! a placeholder value (`0`, `""`, `false`, an empty list, the first enum
//! variant, `None`). Failures only the visitor can see (a missing field, an
//! unparsable date, `deny_unknown_fields`) abort a pass; [`coerce`] then
//! records them and runs another pass in which the failed field yields a
//! silent placeholder. When the field's type refuses that placeholder, the
//! next pass tries the next one (`1`, `"0"`, the Unix epoch, the nil UUID, …)
//! and finally leaves the field out, which may leave no value at all. The
//! number of passes is bounded, so every input terminates.
//!
//! Messages never contain the received value: inputs may carry secrets.
//! Messages of the type's own `Deserialize` impl are replaced by
//! "is not a valid value for this field", plus what it expected when serde
//! says so without the value.
//!
//! Known limits: content serde buffers before picking a type (internally
//! tagged and untagged enums, `#[serde(flatten)]`) is read as plain JSON
//! without coercion, and failures in flattened fields are reported at the
//! enclosing object. Variant names are checked against serde's variant list
//! (aliases included), so a `#[serde(other)]` variant is never chosen.

mod access;
mod de;
mod read;

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::de::{DeserializeOwned, Expected, Unexpected};
use serde_json::Value;

use self::de::{ATTEMPTS, ValueDe};
use self::read::{INVALID, REQUIRED};

/// Field path -> messages, e.g. {"quantity": ["must be an integer"], "address.zip": ["is required"], "items[1]": ["must be a boolean ..."]}.
pub(crate) type FieldErrors = BTreeMap<String, Vec<String>>;

/// Result of a lenient conversion.
#[derive(Debug)]
pub(crate) struct Coerced<T> {
    /// The value; when `errors` is non-empty it holds placeholder values (0, "", false, empty list, first enum variant, None) in the fields that failed, or is None when no value could be built at all.
    pub(crate) value: Option<T>,
    /// Every field error found.
    pub(crate) errors: FieldErrors,
}

/// Converts `input` into `T`, coercing scalars and collecting every field error.
pub(crate) fn coerce<T: DeserializeOwned>(input: &Value) -> Coerced<T> {
    let mut state = State::default();
    let mut value = None;
    for _ in 0..pass_budget(input) {
        match T::deserialize(ValueDe::root(input, &state)) {
            Ok(built) => {
                value = Some(built);
                break;
            }
            Err(error) => {
                if !state.absorb(error) {
                    break;
                }
            }
        }
    }
    let mut errors = state.errors.into_inner();
    if value.is_none() && errors.is_empty() {
        errors.insert(ROOT.to_owned(), vec![INVALID.to_owned()]);
    }
    Coerced { value, errors }
}

/// The error key used for the input as a whole.
const ROOT: &str = "input";

/// Passes allowed on top of those for input nodes, for fields that are
/// missing from the input.
const EXTRA_PASSES: usize = 1024;

/// Bounds the number of passes. A failed pass moves one path one step along
/// "reported → placeholder 0, 1, … → dropped" (dropping may move on to its
/// parent), so the bound suffices for realistic types and guarantees
/// termination on every input.
fn pass_budget(input: &Value) -> usize {
    let mut nodes = 0_usize;
    let mut stack = vec![input];
    while let Some(value) = stack.pop() {
        nodes += 1;
        match value {
            Value::Array(items) => stack.extend(items),
            Value::Object(map) => stack.extend(map.values()),
            _ => {}
        }
    }
    nodes
        .saturating_mul(ATTEMPTS + 2)
        .saturating_add(EXTRA_PASSES)
}

/// One step of a field path.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Seg {
    /// An object key or struct field.
    Key(String),
    /// A list position.
    Index(usize),
}

/// A field path from the input root.
type Path = Vec<Seg>;

/// Renders a path as `address.zip` / `items[1].name`; the root is `input`.
fn render(path: &[Seg]) -> String {
    let mut out = String::new();
    for seg in path {
        match seg {
            Seg::Key(key) if out.is_empty() => out.push_str(key),
            Seg::Key(key) => {
                out.push('.');
                out.push_str(key);
            }
            Seg::Index(index) => {
                if out.is_empty() {
                    out.push_str(ROOT);
                }
                out.push_str(&format!("[{index}]"));
            }
        }
    }
    if out.is_empty() { ROOT.to_owned() } else { out }
}

/// What a later pass feeds in place of a field that failed earlier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Subst {
    /// The n-th silent placeholder of the requested kind.
    Missing(usize),
    /// Nothing: the key or element is left out.
    Skip,
}

/// Everything learnt across passes.
#[derive(Debug, Default)]
struct State {
    /// Substitutions decided after earlier passes failed.
    subst: BTreeMap<Path, Subst>,
    /// Fields reported missing, by the path of their struct.
    virtuals: BTreeMap<Path, BTreeSet<&'static str>>,
    /// The errors recorded so far (deduplicated per path).
    errors: RefCell<FieldErrors>,
}

impl State {
    /// Records `message` at `path` unless it is already there.
    fn record(&self, path: &[Seg], message: impl Into<String>) {
        let message = message.into();
        let mut errors = self.errors.borrow_mut();
        let messages = errors.entry(render(path)).or_default();
        if !messages.contains(&message) {
            messages.push(message);
        }
    }

    /// The substitution decided for `path`, if any.
    fn subst(&self, path: &[Seg]) -> Option<Subst> {
        self.subst.get(path).copied()
    }

    /// Names of fields reported missing from the struct at `path`.
    fn virtual_fields(&self, path: &[Seg]) -> impl Iterator<Item = &'static str> + '_ {
        self.virtuals.get(path).into_iter().flatten().copied()
    }

    /// Learns from a failed pass; `false` means no further pass can help.
    fn absorb(&mut self, error: Error) -> bool {
        let path = error.path.unwrap_or_default();
        match error.kind {
            ErrorKind::Missing(name) => {
                let mut field = path.clone();
                field.push(Seg::Key(name.to_owned()));
                if self.subst.contains_key(&field) {
                    return self.escalate(path);
                }
                if !error.reported {
                    self.record(&field, REQUIRED);
                }
                self.subst.insert(field, Subst::Missing(0));
                self.virtuals.entry(path).or_default().insert(name);
                true
            }
            ErrorKind::Unknown(message) => {
                self.record(&path, message);
                self.escalate(path)
            }
            ErrorKind::Invalid(message) => {
                let next = match (self.subst(&path), error.reported) {
                    (None, false) => {
                        self.record(&path, message);
                        0
                    }
                    // The visitor refused the placeholder used after a
                    // recorded error: try the next one.
                    (None, true) => 1,
                    (Some(Subst::Missing(attempt)), _) => attempt + 1,
                    (Some(Subst::Skip), _) => ATTEMPTS,
                };
                if next < ATTEMPTS {
                    self.subst.insert(path, Subst::Missing(next));
                    true
                } else {
                    self.escalate(path)
                }
            }
        }
    }

    /// Drops the value at `path`, or its nearest ancestor not yet dropped.
    fn escalate(&mut self, mut path: Path) -> bool {
        while self.subst(&path) == Some(Subst::Skip) {
            path.pop();
        }
        if path.is_empty() {
            return false;
        }
        self.subst.insert(path, Subst::Skip);
        true
    }
}

/// Why a pass failed.
#[derive(Debug)]
enum ErrorKind {
    /// A struct lacks a required field (`missing_field`).
    Missing(&'static str),
    /// A key the struct does not accept (`deny_unknown_fields`).
    Unknown(String),
    /// The visitor rejected a value; holds the message to record.
    Invalid(String),
}

/// The deserializer's error: a failure raised by a visitor, located at the
/// path where it surfaced.
#[derive(Debug)]
struct Error {
    /// What went wrong.
    kind: ErrorKind,
    /// Where it went wrong; set by the innermost deserializer that sees it.
    path: Option<Path>,
    /// Whether the visitor failed on a placeholder, i.e. the field's problem
    /// is already recorded.
    reported: bool,
}

impl Error {
    /// A visitor failure with the message to record.
    fn invalid(message: impl Into<String>) -> Self {
        Self {
            kind: ErrorKind::Invalid(message.into()),
            path: None,
            reported: false,
        }
    }

    /// A failure at `path` whose cause is already recorded.
    fn reported(path: Path) -> Self {
        Self {
            kind: ErrorKind::Invalid(INVALID.to_owned()),
            path: Some(path),
            reported: true,
        }
    }

    /// Attaches `path` unless a deeper deserializer already did.
    fn locate(mut self, path: &[Seg], placeholder: bool) -> Self {
        if self.path.is_none() {
            self.path = Some(path.to_vec());
            self.reported = placeholder;
        }
        self
    }

    /// A failure that names what the visitor expected, but not what it got.
    fn expected(expected: &dyn Expected) -> Self {
        Self::invalid(format!("{INVALID} (expected {expected})"))
    }
}

/// Attaches `path` to a visitor's failure; `placeholder` tells whether the
/// visitor was fed a placeholder.
fn finish<T>(path: &[Seg], placeholder: bool, result: Result<T, Error>) -> Result<T, Error> {
    result.map_err(|error| error.locate(path, placeholder))
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ErrorKind::Missing(_) => f.write_str(REQUIRED),
            ErrorKind::Unknown(message) | ErrorKind::Invalid(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for Error {}

impl serde::de::Error for Error {
    fn custom<M: fmt::Display>(_message: M) -> Self {
        // Custom messages may quote the input, so they are never kept.
        Self::invalid(INVALID)
    }

    fn invalid_type(_unexpected: Unexpected<'_>, expected: &dyn Expected) -> Self {
        Self::expected(expected)
    }

    fn invalid_value(_unexpected: Unexpected<'_>, expected: &dyn Expected) -> Self {
        Self::expected(expected)
    }

    fn invalid_length(_len: usize, expected: &dyn Expected) -> Self {
        Self::expected(expected)
    }

    fn unknown_variant(_variant: &str, expected: &'static [&'static str]) -> Self {
        Self::invalid(read::one_of(expected))
    }

    fn unknown_field(_field: &str, expected: &'static [&'static str]) -> Self {
        let message = if expected.is_empty() {
            "is not an allowed field".to_owned()
        } else {
            format!(
                "is not an allowed field (expected one of: {})",
                expected.join(", ")
            )
        };
        Self {
            kind: ErrorKind::Unknown(message),
            path: None,
            reported: false,
        }
    }

    fn missing_field(field: &'static str) -> Self {
        Self {
            kind: ErrorKind::Missing(field),
            path: None,
            reported: false,
        }
    }

    fn duplicate_field(_field: &'static str) -> Self {
        Self::invalid(format!("{INVALID} (duplicate field)"))
    }
}

#[cfg(test)]
mod tests;
