//! The field errors found so far: the first [`LISTED`] fields with their
//! messages, then a count of the rest.

use std::collections::HashMap;

use super::FieldErrors;
use super::error::Overlay;
use super::path::{self, Path, ROOT};

/// How many invalid fields are listed; the rest are counted.
pub(crate) const LISTED: usize = 100;

/// One listed field.
#[derive(Debug)]
pub(crate) struct Entry {
    /// The rendered path, e.g. `items[3].sku`.
    pub(crate) field: String,
    /// Its messages, without duplicates.
    pub(crate) messages: Vec<String>,
    /// The path, for the shown input.
    pub(crate) path: Path,
    /// How the shown input treats the value there.
    pub(crate) overlay: Overlay,
}

/// Every field error recorded, across passes.
#[derive(Debug, Default)]
pub(super) struct Log {
    entries: Vec<Entry>,
    /// Rendered path → index in `entries`.
    index: HashMap<String, usize>,
    /// The node of the last listed error and its entry, to add a second
    /// message there once the list is full.
    last_listed: Option<(u64, usize)>,
    /// Errors beyond the listed ones.
    omitted: usize,
    /// The node of the last omitted error, so a second message there is not
    /// counted twice.
    last_omitted: Option<u64>,
}

impl Log {
    /// Records `message` at the node `id`, whose path `path` builds (only
    /// when the field is listed).
    pub(super) fn record(
        &mut self,
        id: u64,
        path: impl FnOnce() -> Path,
        message: &str,
        overlay: Overlay,
    ) {
        if self.is_full() {
            if let Some((_, at)) = self.last_listed.filter(|(listed, _)| *listed == id) {
                add(&mut self.entries[at].messages, message);
            } else if self.last_omitted != Some(id) {
                self.omitted += 1;
                self.last_omitted = Some(id);
            }
            return;
        }
        let path = path();
        let field = path::render(&path);
        match self.index.get(&field) {
            Some(&at) => add(&mut self.entries[at].messages, message),
            None => {
                self.index.insert(field.clone(), self.entries.len());
                self.last_listed = Some((id, self.entries.len()));
                self.entries.push(Entry {
                    field,
                    messages: vec![message.to_owned()],
                    path,
                    overlay,
                });
            }
        }
    }

    /// Whether no more fields are listed.
    pub(super) fn is_full(&self) -> bool {
        self.entries.len() >= LISTED
    }

    /// The errors by field, and the listed entries. `complete` tells
    /// whether the whole input was checked.
    pub(super) fn finish(self, complete: bool) -> (FieldErrors, Vec<Entry>) {
        if self.entries.is_empty() {
            // Valid input: nothing listed, so nothing omitted either.
            return (FieldErrors::new(), Vec::new());
        }
        let mut errors: FieldErrors = self
            .entries
            .iter()
            .map(|entry| (entry.field.clone(), entry.messages.clone()))
            .collect();
        let omitted = self.omitted;
        let note = if complete {
            (omitted > 0).then(|| {
                format!("{omitted} more invalid field(s) not listed: only the first {LISTED} are")
            })
        } else {
            self.is_full().then(|| {
                format!(
                    "checking stopped after {LISTED} invalid fields \
                     ({omitted} more found so far): fix these and send again"
                )
            })
        };
        if let Some(note) = note {
            errors.entry(ROOT.to_owned()).or_default().push(note);
        }
        (errors, self.entries)
    }
}

/// Adds `message` to `messages` unless it is there.
fn add(messages: &mut Vec<String>, message: &str) {
    if !messages.iter().any(|known| known == message) {
        messages.push(message.to_owned());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::coerce::path::Step;

    fn at(i: usize) -> Path {
        vec![Step::Key("items".into()), Step::Index(i)]
    }

    #[test]
    fn the_first_fields_are_listed_and_the_rest_counted_once_per_node() {
        let mut log = Log::default();
        for i in 0..LISTED + 5 {
            log.record(i as u64, || at(i), "is required", Overlay::Remove);
            // A second message at the same node (a map key and its value).
            log.record(i as u64, || at(i), "must be an integer", Overlay::Raw);
        }
        assert!(log.is_full());
        let (errors, entries) = log.finish(true);
        assert_eq!(entries.len(), LISTED);
        assert_eq!(entries[0].overlay, Overlay::Remove);
        assert_eq!(errors["items[0]"], ["is required", "must be an integer"]);
        assert_eq!(errors[&format!("items[{}]", LISTED - 1)].len(), 2);
        assert_eq!(errors.len(), LISTED + 1);
        assert!(errors[ROOT][0].starts_with("5 more invalid field(s) not listed"));
    }

    #[test]
    fn an_incomplete_check_says_so() {
        let mut log = Log::default();
        for i in 0..LISTED + 1 {
            log.record(i as u64, || at(i), "is required", Overlay::Remove);
        }
        let (errors, _) = log.finish(false);
        assert!(errors[ROOT][0].starts_with("checking stopped after 100 invalid fields (1 more"));
        let (errors, _) = Log::default().finish(true);
        assert!(errors.is_empty());
    }
}
