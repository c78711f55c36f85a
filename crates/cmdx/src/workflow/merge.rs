//! Folding a step's output into the workflow's context.

use super::Merge;
use crate::Context;
use serde_json::{Map, Value};

/// What a workflow's merges replaced in its context, oldest first, to put
/// it back newest first.
#[derive(Default)]
pub(super) struct Log {
    changes: Vec<Replaced>,
    /// The keys of the [`Replaced::Key`] changes, one after another: one
    /// buffer for the whole workflow instead of a copy of each key.
    keys: String,
}

/// What one merge replaced in the context.
enum Replaced {
    /// A key's value before the merge (`None` when the merge added the
    /// key); the key is the log's `keys[start..]`, up to the next key.
    Key { start: usize, old: Option<Value> },
    /// The whole context before a custom merge, which may change anything.
    Whole(Context),
}

impl Log {
    /// How many changes are logged: a point to [`rewind`](Self::rewind) to.
    pub(super) fn len(&self) -> usize {
        self.changes.len()
    }

    /// Merges one successful step's output (an object) into `context`,
    /// logging what it replaced. An empty output leaves the context as it
    /// is (not even copied, when it is shared).
    pub(super) fn apply(
        &mut self,
        merge: &Merge,
        context: &mut Context,
        step: &str,
        output: Map<String, Value>,
    ) {
        match merge {
            Merge::None => {}
            Merge::LastWriteWins => {
                for (key, value) in output {
                    let start = self.push_key(&key);
                    let old = context.as_map_mut().insert(key, value);
                    self.changes.push(Replaced::Key { start, old });
                }
            }
            Merge::Deep => {
                for (key, value) in output {
                    let start = self.push_key(&key);
                    let map = context.as_map_mut();
                    let old = match (map.get_mut(&key), value) {
                        (Some(Value::Object(existing)), Value::Object(incoming)) => {
                            let old = Value::Object(existing.clone());
                            deep(existing, incoming);
                            Some(old)
                        }
                        (_, value) => map.insert(key, value),
                    };
                    self.changes.push(Replaced::Key { start, old });
                }
            }
            Merge::Custom(merge) => {
                self.changes.push(Replaced::Whole(context.clone()));
                merge(context, step, &output);
            }
        }
    }

    /// Puts back what the merges logged since `len` changes replaced in
    /// `context`, newest first.
    pub(super) fn rewind(&mut self, context: &mut Context, len: usize) {
        let len = len.min(self.changes.len());
        for change in self.changes.drain(len..).rev() {
            match change {
                Replaced::Key { start, old } => {
                    let key = &self.keys[start..];
                    match old {
                        Some(old) => {
                            context.as_map_mut().insert(key.to_owned(), old);
                        }
                        None => {
                            context.remove(key);
                        }
                    }
                    self.keys.truncate(start);
                }
                Replaced::Whole(before) => *context = before,
            }
        }
    }

    fn push_key(&mut self, key: &str) -> usize {
        let start = self.keys.len();
        self.keys.push_str(key);
        start
    }
}

fn deep(into: &mut Map<String, Value>, from: Map<String, Value>) {
    for (key, value) in from {
        match (into.get_mut(&key), value) {
            (Some(Value::Object(existing)), Value::Object(incoming)) => deep(existing, incoming),
            (_, value) => {
                into.insert(key, value);
            }
        }
    }
}

/// What a step's output adds to the context: an object's keys, nothing for
/// `null` (`()`), any other value under the step's name.
pub(super) fn output_map(step: &str, output: Value) -> Map<String, Value> {
    match output {
        Value::Object(map) => map,
        Value::Null => Map::new(),
        other => Map::from_iter([(step.to_owned(), other)]),
    }
}

/// The keys of `after` that are new or changed since `before` (a nested
/// workflow's contribution); only those are copied.
pub(super) fn changes(before: &Context, after: &Context) -> Map<String, Value> {
    after
        .as_map()
        .iter()
        .filter(|&(key, value)| before.value(key) != Some(value))
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect()
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use serde_json::json;

    /// A JSON object literal as a map, for the workflow's unit tests.
    pub(in crate::workflow) fn object(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => unreachable!("test inputs are objects"),
        }
    }

    #[test]
    fn deep_merge_combines_nested_objects_and_replaces_the_rest() {
        let mut context = Context::from(object(json!({"metrics": {"revenue": 1}, "n": 1})));
        let output = object(json!({"metrics": {"visitors": 2}, "n": {"x": 1}}));
        Log::default().apply(&Merge::Deep, &mut context, "Step", output);
        assert_eq!(
            context.to_value(),
            json!({"metrics": {"revenue": 1, "visitors": 2}, "n": {"x": 1}})
        );
    }

    #[test]
    fn last_write_wins_replaces_whole_values() {
        let mut context = Context::from(object(json!({"metrics": {"revenue": 1}})));
        let output = object(json!({"metrics": {"visitors": 2}}));
        Log::default().apply(&Merge::LastWriteWins, &mut context, "Step", output);
        assert_eq!(context.to_value(), json!({"metrics": {"visitors": 2}}));
    }

    #[test]
    fn rewinding_puts_back_each_point_exactly_with_keys_of_any_length() {
        let mut context = Context::from(object(json!({"a": 1, "long_key": {"x": 1}})));
        let mut log = Log::default();
        let mut points = vec![(log.len(), context.clone())];
        let outputs = [
            (Merge::LastWriteWins, json!({"a": 2, "bb": 3})),
            (Merge::Deep, json!({"long_key": {"y": 2}, "ccc": 4})),
            (Merge::LastWriteWins, json!({"bb": 5, "a": 6, "dddd": 7})),
        ];
        for (merge, output) in outputs {
            log.apply(&merge, &mut context, "Step", object(output));
            points.push((log.len(), context.clone()));
        }
        assert_eq!(
            context.to_value(),
            json!({"a": 6, "bb": 5, "ccc": 4, "dddd": 7, "long_key": {"x": 1, "y": 2}})
        );
        // A point past the log's end has nothing to put back.
        let before = context.to_value();
        log.rewind(&mut context, log.len() + 1);
        assert_eq!((context.to_value(), log.len()), (before, 7));
        while let Some((len, expected)) = points.pop() {
            log.rewind(&mut context, len);
            assert_eq!(context.to_value(), expected.to_value(), "at {len}");
            // A merge after a rewind logs its keys where the undone ones were.
            if len == 2 {
                log.apply(
                    &Merge::LastWriteWins,
                    &mut context,
                    "Step",
                    object(json!({"e": 8, "a": 9})),
                );
                log.rewind(&mut context, len);
                assert_eq!(context.to_value(), expected.to_value());
            }
        }
        assert_eq!(log.len(), 0);
    }

    #[test]
    fn scalar_outputs_are_stored_under_the_step_name() {
        assert_eq!(
            Value::Object(output_map("Count", json!(3))),
            json!({"Count": 3})
        );
        assert!(output_map("Unit", Value::Null).is_empty());
    }

    #[test]
    fn changes_keep_only_new_or_changed_keys() {
        let before = Context::from(object(json!({"a": 1, "b": 2})));
        let after = Context::from(object(json!({"a": 1, "b": 3, "c": 4})));
        assert_eq!(
            Value::Object(changes(&before, &after)),
            json!({"b": 3, "c": 4})
        );
    }
}
