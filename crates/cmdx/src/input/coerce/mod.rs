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
//! [`FieldErrors`] map under its field path, and deserialization continues
//! with a placeholder value (`0`, `""`, `false`, an empty list, the first
//! enum variant, `None`). The first [`LISTED`] invalid fields are listed,
//! the rest counted (under `input`).
//!
//! Valid input takes one pass, read directly (`direct`: no paths, no error
//! log); at its first problem that pass stops and the full walk starts
//! over, recording every error. The full walk takes one pass too when the
//! input's problems are all scalar mismatches. Failures only the type's
//! own visitor can see (a missing field, an unparsable date,
//! `deny_unknown_fields`) stop a pass; the next one learns from them (see
//! `plan`): per type, so a million list elements that each lack a field
//! take two passes; and it resumes where the last one stopped, so the full
//! walk reads no part of the input for real twice. Cost is linear in the
//! input's size (benchmarked in `benches/coerce.rs`).
//!
//! Messages never contain the received value: inputs may carry secrets.
//! Messages of the type's own `Deserialize` impl are replaced by
//! "is not a valid value for this field", plus what it expected when serde
//! says so without the value. A [`Secret`](crate::Secret) is recognised
//! while deserializing, so the shown input of an invalid execution never
//! carries its value.
//!
//! Known limits: content serde buffers before picking a type (internally
//! tagged and untagged enums, `#[serde(flatten)]`) is read as plain JSON
//! without coercion, and failures in it are reported at the enclosing
//! field. Variant names are checked against serde's variant list (aliases
//! included), so a `#[serde(other)]` variant is never chosen. A value whose
//! type refuses every placeholder (a `try_from` type rejecting the input)
//! hides whether fields declared after it in the same struct are missing:
//! serde stops at the first missing field, and nothing can stand in for it.

mod access;
mod de;
mod direct;
mod error;
mod keys;
mod log;
mod path;
mod plan;
mod read;

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde_json::Value;

use self::access::EntryLists;
use self::de::{Pass, ValueDe};
use self::direct::Direct;
use self::log::Log;
use self::plan::Plan;
#[cfg(test)]
use self::read::{INVALID, REQUIRED};

pub(crate) use self::error::Overlay;
pub(crate) use self::log::{Entry, LISTED};
pub(crate) use self::path::{ROOT, Step};

/// Field path -> messages, e.g. {"quantity": ["must be an integer"], "address.zip": ["is required"], "items[1]": ["must be a boolean ..."]}.
pub(crate) type FieldErrors = BTreeMap<String, Vec<String>>;

/// Result of a lenient conversion.
#[derive(Debug)]
pub(crate) struct Coerced<T> {
    /// The value; when `errors` is non-empty it holds placeholders in the
    /// fields that failed, or is `None` when no value could be built (or
    /// more than [`LISTED`] fields failed).
    pub(crate) value: Option<T>,
    /// Every field error found (the first [`LISTED`] fields, then a count).
    pub(crate) errors: FieldErrors,
    /// The listed errors' paths, and how the shown input treats each.
    pub(crate) listed: Vec<Entry>,
    /// How many passes of the full walk ran (1 when the direct walk read
    /// the input).
    #[cfg_attr(not(test), expect(dead_code, reason = "read by the linearity tests"))]
    pub(crate) passes: usize,
    /// How many nodes the passes visited in all: linear in the input's
    /// size (tested in `hostile.rs`, benchmarked in `benches/coerce.rs`).
    pub(crate) visited: u64,
}

/// The most passes one input may take: each records an error or learns
/// something about a type, so this only bounds pathological types.
const MAX_PASSES: usize = 4 * LISTED;

/// Converts `input` into `T`, coercing scalars and collecting every field error.
pub(crate) fn coerce<T: DeserializeOwned>(input: &Value) -> Coerced<T> {
    let visited = Cell::new(0);
    let direct = T::deserialize(Direct::root(input, &visited));
    #[cfg(test)]
    agree::<T>(input, direct.is_ok());
    match direct {
        Ok(value) => Coerced {
            value: Some(value),
            errors: FieldErrors::new(),
            listed: Vec::new(),
            passes: 1,
            visited: visited.get(),
        },
        Err(_) => {
            let mut walked = walk::<T>(input);
            walked.visited += visited.get();
            walked
        }
    }
}

/// Asserts that the direct walk read `input` exactly when the full walk
/// reads it in one pass without recording anything (see `direct.rs`).
#[cfg(test)]
fn agree<T: DeserializeOwned>(input: &Value, direct: bool) {
    let walked = walk::<T>(input);
    let clean = walked.passes == 1 && walked.errors.is_empty() && walked.value.is_some();
    assert_eq!(
        direct,
        clean,
        "the direct walk and the full walk disagree about {input} read as {}: {:?}",
        std::any::type_name::<T>(),
        walked.errors
    );
}

/// The full walk: every field error recorded, in as many passes as it
/// takes.
fn walk<T: DeserializeOwned>(input: &Value) -> Coerced<T> {
    let mut plan = Plan::default();
    let log = RefCell::new(Log::default());
    let ids = Cell::new(0);
    let mut lists = EntryLists::default();
    let mut built = None;
    let mut complete = false;
    let mut passes = 0;
    while passes < MAX_PASSES {
        passes += 1;
        let result = {
            let pass = Pass {
                plan: &plan,
                log: &log,
                ids: &ids,
                lists: &lists,
            };
            T::deserialize(ValueDe::root::<T>(input, &pass))
        };
        match result {
            Ok(value) => {
                built = Some(value);
                complete = true;
                break;
            }
            Err(error) => {
                let learnt = plan.absorb(error, &mut log.borrow_mut());
                if !learnt || log.borrow().is_full() {
                    complete = plan.walked();
                    break;
                }
                if let Some(resume) = plan.resume() {
                    lists.prepare(input, &resume.at);
                }
            }
        }
    }
    let value = if log.borrow().is_full() {
        // Too many fields failed for a value to be worth validating or
        // showing.
        None
    } else if built.is_some() && !plan.has_resumed() {
        built
    } else if complete {
        // Passes that resumed fed placeholders for what they had checked:
        // build the value once more, with everything learnt.
        plan.for_build();
        let scratch = RefCell::new(Log::default());
        let pass = Pass {
            plan: &plan,
            log: &scratch,
            ids: &ids,
            lists: &lists,
        };
        passes += 1;
        T::deserialize(ValueDe::root::<T>(input, &pass)).ok()
    } else {
        None
    };
    let (mut errors, listed) = log.into_inner().finish(complete);
    if value.is_none() && errors.is_empty() {
        errors.insert(ROOT.to_owned(), vec![read::INVALID.to_owned()]);
    }
    Coerced {
        value,
        errors,
        listed,
        passes,
        visited: ids.get(),
    }
}

#[cfg(test)]
mod hostile;
#[cfg(test)]
mod tests;
