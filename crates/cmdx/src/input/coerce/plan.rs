//! What passes learn from the failures that stopped them, and where the next
//! pass resumes.
//!
//! Serde gives a visitor each value once: when a type's own `Deserialize`
//! refuses a value (a date that does not parse, a missing field, an unknown
//! key), the whole call fails, and finding the problems after it takes
//! another pass. Two things keep the number and the cost of passes down:
//!
//! * **Facts are learnt per type, not per value.** A struct that lacks a
//!   required field gets it injected (reported, with a placeholder) in every
//!   later instance; a type that refused a placeholder gets the next one
//!   everywhere. So a list of a million elements, each missing a field,
//!   takes two passes, not a million.
//! * **A pass resumes where the last one stopped.** Everything before that
//!   point was checked: list elements and map entries there are left out,
//!   struct fields get silent placeholders. So each part of the input is
//!   read for real once, whatever the number of passes.
//!
//! A pass after the first therefore builds no trustworthy value; once the
//! whole input was checked, one last pass without a resume point builds it,
//! with a placeholder at every refused value.

use super::error::{At, Error, Kind, Overlay};
use super::keys::{TypeKey, WordMap};
use super::log::Log;
use super::path::{Node, Step, hash_of};
use super::read::REQUIRED;

/// Placeholders tried for a type before its values are left out.
pub(super) const ATTEMPTS: usize = 9;

/// What a later pass does at a node that failed before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Action {
    /// Feed a silent placeholder instead of the value.
    Placeholder,
    /// Leave the value (list element, map entry, struct field) out.
    Drop,
}

/// Where a pass resumes: everything before `at` was checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Resume {
    /// The positions of the node the last pass stopped at.
    pub(super) at: Vec<u32>,
    /// The node is a struct that lacked a field: walk it again for its
    /// missing fields only (its children were checked).
    pub(super) end: bool,
}

/// One node's action.
#[derive(Debug)]
struct Decided {
    positions: Vec<u32>,
    action: Action,
    /// The node's key, when it is an object entry.
    key: Option<String>,
    /// Decided for a placeholder a discovery pass fed instead of a value it
    /// had checked: the last pass, which reads that value, ignores it.
    discovery_only: bool,
}

/// Everything learnt so far.
#[derive(Debug, Default)]
pub(super) struct Plan {
    /// Type → which placeholder to feed it (0 first).
    attempts: WordMap<TypeKey, usize>,
    /// Struct type → fields found required, in the order found.
    required: WordMap<TypeKey, Vec<&'static str>>,
    /// Node hash → decided actions.
    actions: WordMap<u64, Vec<Decided>>,
    resume: Option<Resume>,
    /// The root itself cannot be built.
    dead: bool,
    /// Every node was checked, though discovery passes could not build the
    /// root (for want of placeholders the last pass does not need).
    walked: bool,
    /// The last pass, which builds the value: no resume point, and only
    /// the actions about values themselves.
    building: bool,
}

/// A summary that changes whenever the plan learns something.
#[derive(Debug, PartialEq, Eq)]
struct Learnt {
    attempts: usize,
    required: usize,
    decided: usize,
    dropped: usize,
    resume: Option<Resume>,
}

impl Plan {
    /// The placeholder to feed `key` first.
    pub(super) fn attempt(&self, key: &'static str) -> usize {
        if self.attempts.is_empty() {
            return 0;
        }
        self.attempts.get(&TypeKey(key)).copied().unwrap_or(0)
    }

    /// The fields found required for the struct read by `key`.
    pub(super) fn required(&self, key: &'static str) -> &[&'static str] {
        if self.required.is_empty() {
            return &[];
        }
        self.required.get(&TypeKey(key)).map_or(&[], Vec::as_slice)
    }

    /// Where the pass resumes, if a pass stopped before.
    pub(super) fn resume(&self) -> Option<&Resume> {
        self.resume.as_ref()
    }

    /// The action decided for `node`, if any.
    pub(super) fn action(&self, node: &Node<'_, '_>) -> Option<Action> {
        if self.actions.is_empty() {
            return None;
        }
        let decided = self.actions.get(&node.hash)?;
        decided
            .iter()
            .find(|d| !(self.building && d.discovery_only) && node.is_at(&d.positions))
            .map(|d| d.action)
    }

    /// Makes the plan a build plan: no resume point, only the actions about
    /// values themselves.
    pub(super) fn for_build(&mut self) {
        self.resume = None;
        self.building = true;
    }

    /// Whether a pass stopped before (so the last value is not trustworthy).
    pub(super) fn has_resumed(&self) -> bool {
        self.resume.is_some()
    }

    /// Learns from the failure that stopped a pass, recording what it
    /// reveals; `false` when no further pass can find more.
    pub(super) fn absorb(&mut self, error: Error, log: &mut Log) -> bool {
        let Some(at) = error.at else {
            return false;
        };
        let before = self.learnt();
        let record = !at.silent && !at.skipped;
        match error.kind {
            Kind::Missing(field) => {
                if let Some(discovery_only) = self.dropped_child(&at.positions, field) {
                    // The field was left out (it refused every
                    // placeholder): the struct cannot be built either.
                    self.decide(&at, Action::Drop, discovery_only);
                } else if self.required(at.key).contains(&field) {
                    // Found required before, so fed a placeholder, which
                    // its type refused: the struct cannot be built.
                    self.decide(&at, Action::Drop, false);
                } else {
                    self.required
                        .entry(TypeKey(at.key))
                        .or_default()
                        .push(field);
                    // A struct fed an empty placeholder (the input was not
                    // an object) lacks every field: that is one error,
                    // recorded already.
                    if record && !at.fed_placeholder {
                        let mut path = at.path.clone();
                        path.push(Step::Key(field.to_owned()));
                        log.record(u64::MAX, || path, REQUIRED, Overlay::Remove);
                    }
                    if !at.silent {
                        self.resume = Some(Resume {
                            at: at.positions.clone(),
                            end: true,
                        });
                    }
                }
            }
            Kind::Unknown(message) => {
                if record {
                    log.record(at.id, || at.path.clone(), &message, at.overlay);
                }
                self.decide(&at, Action::Drop, false);
            }
            Kind::Invalid(message) => {
                let action = if at.fed_placeholder {
                    let attempt = self.attempts.entry(TypeKey(at.key)).or_default();
                    *attempt += 1;
                    if *attempt < ATTEMPTS {
                        Action::Placeholder
                    } else {
                        Action::Drop
                    }
                } else {
                    if record {
                        log.record(at.id, || at.path.clone(), &message, at.overlay);
                    }
                    if at.from_key {
                        Action::Drop
                    } else {
                        Action::Placeholder
                    }
                };
                // A silent node's value was checked in an earlier pass: what
                // its placeholder needs says nothing about the value itself.
                self.decide(&at, action, at.silent);
            }
        }
        !self.dead && !self.walked && self.learnt() != before
    }

    /// Whether discovery passes checked every node without building the
    /// root.
    pub(super) fn walked(&self) -> bool {
        self.walked
    }

    /// Decides `action` for the node at `at`; a pass resumes after it unless
    /// it is a placeholder (which comes before the resume point).
    fn decide(&mut self, at: &At, action: Action, discovery_only: bool) {
        if at.positions.is_empty() && action == Action::Drop {
            if discovery_only {
                self.walked = true;
            } else {
                self.dead = true;
            }
            return;
        }
        let key = match at.path.last() {
            Some(Step::Key(key)) => Some(key.clone()),
            _ => None,
        };
        let decided = self.actions.entry(hash_of(&at.positions)).or_default();
        match decided.iter_mut().find(|d| d.positions == at.positions) {
            Some(known) => {
                known.action = action;
                known.discovery_only &= discovery_only;
            }
            None => decided.push(Decided {
                positions: at.positions.clone(),
                action,
                key,
                discovery_only,
            }),
        }
        if !at.silent {
            self.resume = Some(Resume {
                at: at.positions.clone(),
                end: false,
            });
        }
    }

    /// Whether the field `name` of the struct at `parent` was left out,
    /// and if so whether only by discovery passes.
    fn dropped_child(&self, parent: &[u32], name: &str) -> Option<bool> {
        self.actions
            .values()
            .flatten()
            .find(|d| {
                d.action == Action::Drop
                    && d.positions.len() == parent.len() + 1
                    && d.positions.starts_with(parent)
                    && d.key.as_deref() == Some(name)
            })
            .map(|d| d.discovery_only)
    }

    fn learnt(&self) -> Learnt {
        let decided = self.actions.values().flatten();
        Learnt {
            attempts: self.attempts.values().sum(),
            required: self.required.values().map(Vec::len).sum(),
            decided: decided.clone().count(),
            dropped: decided.filter(|d| d.action == Action::Drop).count(),
            resume: self.resume.clone(),
        }
    }
}
