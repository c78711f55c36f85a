//! The deserializer's error: why a pass stopped, and where.
//!
//! Most problems do not stop a pass: they are recorded and a placeholder is
//! fed on. An [`Error`] is what a visitor raises and serde propagates to the
//! top: a missing field, an unknown field, a value (or placeholder) the
//! type's own `Deserialize` impl refused. The innermost deserializer that
//! sees it attaches where it happened ([`At`]); the next pass learns from it.

use std::fmt;

use serde::de::{Expected, Unexpected};

use super::path::Path;
use super::read::{self, INVALID, REQUIRED};

/// Why a pass stopped.
#[derive(Debug)]
pub(super) enum Kind {
    /// A struct lacks a required field (`missing_field`).
    Missing(&'static str),
    /// A key the struct does not accept (`deny_unknown_fields`).
    Unknown(String),
    /// The visitor refused a value; holds the message to record.
    Invalid(String),
}

/// How the shown input treats the value at an error's path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Overlay {
    /// Show the value as given: a plain scalar outside any `Secret`, read
    /// for a scalar type.
    Raw,
    /// Show `"[REDACTED]"`: the value may hold secrets the type would have
    /// hidden (it was read for a container, a `Secret`, or a custom type).
    Redact,
    /// Leave it out: nothing was given.
    Remove,
}

/// Where a pass stopped, and what the node was.
#[derive(Debug)]
pub(super) struct At {
    /// The node's positions from the root.
    pub(super) positions: Vec<u32>,
    /// The node's field path.
    pub(super) path: Path,
    /// The node's id within its pass.
    pub(super) id: u64,
    /// The node was a placeholder: nothing is recorded for it.
    pub(super) silent: bool,
    /// The visitor refused a placeholder (its problem is recorded already).
    pub(super) fed_placeholder: bool,
    /// The type read at the node (its seed or visitor), which placeholder
    /// attempts and learned required fields are kept under.
    pub(super) key: &'static str,
    /// The entry's key was refused: the entry is to be left out.
    pub(super) from_key: bool,
    /// The node left out entries it had seen in an earlier pass, which may
    /// be what the visitor missed.
    pub(super) skipped: bool,
    /// How the shown input treats the value.
    pub(super) overlay: Overlay,
}

/// The deserializer's error.
#[derive(Debug)]
pub(super) struct Error {
    /// What went wrong.
    pub(super) kind: Kind,
    /// Where, once a deserializer has located it.
    pub(super) at: Option<Box<At>>,
}

impl Error {
    /// A visitor failure with the message to record.
    pub(super) fn invalid(message: impl Into<String>) -> Self {
        Self {
            kind: Kind::Invalid(message.into()),
            at: None,
        }
    }

    /// A failure that names what the visitor expected, but not what it got.
    fn expected(expected: &dyn Expected) -> Self {
        Self::invalid(format!("{INVALID} (expected {expected})"))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            Kind::Missing(_) => f.write_str(REQUIRED),
            Kind::Unknown(message) | Kind::Invalid(message) => f.write_str(message),
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
            kind: Kind::Unknown(message),
            at: None,
        }
    }

    fn missing_field(field: &'static str) -> Self {
        Self {
            kind: Kind::Missing(field),
            at: None,
        }
    }

    fn duplicate_field(_field: &'static str) -> Self {
        Self::invalid(format!("{INVALID} (duplicate field)"))
    }
}
