//! Folding a step's output into the workflow's context.

use super::Merge;
use crate::Context;
use serde_json::{Map, Value};

/// What one merge replaced in the context, to put it back.
pub(super) enum Replaced {
    /// A key's value before the merge; `None` when the merge added it.
    Key(String, Option<Value>),
    /// The whole context before a custom merge, which may change anything.
    Whole(Context),
}

/// Merges one successful step's output (an object) into `context`, logging
/// in `replaced` what [`undo`] needs to put back. An empty output leaves
/// the context as it is (not even copied, when it is shared).
pub(super) fn apply(
    merge: &Merge,
    context: &mut Context,
    step: &str,
    output: Map<String, Value>,
    replaced: &mut Vec<Replaced>,
) {
    match merge {
        Merge::None => {}
        Merge::LastWriteWins => {
            for (key, value) in output {
                let old = context.as_map_mut().insert(key.clone(), value);
                replaced.push(Replaced::Key(key, old));
            }
        }
        Merge::Deep => {
            for (key, value) in output {
                let map = context.as_map_mut();
                let old = match (map.get_mut(&key), value) {
                    (Some(Value::Object(existing)), Value::Object(incoming)) => {
                        let old = Value::Object(existing.clone());
                        deep(existing, incoming);
                        Some(old)
                    }
                    (_, value) => map.insert(key.clone(), value),
                };
                replaced.push(Replaced::Key(key, old));
            }
        }
        Merge::Custom(merge) => {
            replaced.push(Replaced::Whole(context.clone()));
            merge(context, step, &output);
        }
    }
}

/// Puts back what one merge replaced.
pub(super) fn undo(context: &mut Context, replaced: Replaced) {
    match replaced {
        Replaced::Key(key, Some(old)) => {
            context.as_map_mut().insert(key, old);
        }
        Replaced::Key(key, None) => {
            context.remove(&key);
        }
        Replaced::Whole(before) => *context = before,
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
/// workflow's contribution).
pub(super) fn changes(before: &Context, after: Context) -> Map<String, Value> {
    let mut after: Map<String, Value> = after.as_map().clone();
    after.retain(|key, value| before.value(key) != Some(value));
    after
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
        apply(&Merge::Deep, &mut context, "Step", output, &mut Vec::new());
        assert_eq!(
            context.to_value(),
            json!({"metrics": {"revenue": 1, "visitors": 2}, "n": {"x": 1}})
        );
    }

    #[test]
    fn last_write_wins_replaces_whole_values() {
        let mut context = Context::from(object(json!({"metrics": {"revenue": 1}})));
        let output = object(json!({"metrics": {"visitors": 2}}));
        apply(
            &Merge::LastWriteWins,
            &mut context,
            "Step",
            output,
            &mut Vec::new(),
        );
        assert_eq!(context.to_value(), json!({"metrics": {"visitors": 2}}));
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
            Value::Object(changes(&before, after)),
            json!({"b": 3, "c": 4})
        );
    }
}
