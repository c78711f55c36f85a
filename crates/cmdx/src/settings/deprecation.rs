//! [`Deprecation`]: what happens when a deprecated task runs.

use std::borrow::Cow;

/// What happens when a deprecated task runs; set it with
/// [`Settings::deprecated`](crate::Settings::deprecated).
///
/// The check runs inside the middleware, before hooks and validation.
///
/// ```
/// use cmdx::Deprecation;
///
/// let soft = Deprecation::warn("use ReserveStockV2; this task goes away in 2027");
/// let hard = Deprecation::fail("use ReserveStockV2");
/// # let _ = (soft, hard);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct Deprecation {
    pub(crate) refuse: bool,
    pub(crate) note: Cow<'static, str>,
}

impl Deprecation {
    /// The task runs; each use logs a `tracing` warning (target `cmdx`) with
    /// `note` and emits a [`Deprecated`](crate::EventKind::Deprecated) event.
    pub fn warn(note: impl Into<Cow<'static, str>>) -> Self {
        Self {
            refuse: false,
            note: note.into(),
        }
    }

    /// The task does not run: it fails with the reason
    /// `` task `…` is deprecated: <note> `` and `code = "deprecated"`.
    pub fn fail(note: impl Into<Cow<'static, str>>) -> Self {
        Self {
            refuse: true,
            note: note.into(),
        }
    }

    /// The note given.
    pub fn note(&self) -> &str {
        &self.note
    }

    /// Whether the task refuses to run.
    pub fn refuses(&self) -> bool {
        self.refuse
    }
}
