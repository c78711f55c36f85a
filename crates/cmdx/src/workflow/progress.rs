//! [`Progress`]: what a running workflow has done so far — its context, what
//! each merge replaced in it, and the completed steps to undo on failure.
//!
//! A step's compensation sees the context the step read. Instead of keeping
//! a copy of the context for every completed step (each merge would then
//! copy the whole context, since the copy must not change), the workflow
//! keeps one context and a log of what its merges replaced: compensation
//! runs in reverse, so before each step is undone the log is played back
//! to the point where that step read the context.

use super::Merge;
use super::merge::Log;
use super::step::Completed;
use crate::Context;
use serde_json::{Map, Value};

/// A point in a workflow's context history: how many changes had been
/// logged when a step read the context.
#[derive(Debug, Clone, Copy)]
pub(super) struct Mark(usize);

/// A running workflow's context, the log of what its merges replaced, and
/// its completed steps (each with the [`Mark`] of the context it read), in
/// completion order.
#[derive(Default)]
pub(super) struct Progress {
    context: Context,
    replaced: Log,
    completed: Vec<(Completed, Mark)>,
}

impl Progress {
    /// A workflow about to run over `context`.
    pub(super) fn new(context: Context) -> Self {
        Self {
            context,
            ..Self::default()
        }
    }

    /// The context as the steps merged so far left it.
    pub(super) fn context(&self) -> &Context {
        &self.context
    }

    /// The context's current point, for a step about to read it.
    pub(super) fn mark(&self) -> Mark {
        Mark(self.replaced.len())
    }

    /// Keeps a completed step, to undo it with the context at `read`.
    pub(super) fn complete(&mut self, step: Completed, read: Mark) {
        self.completed.push((step, read));
    }

    /// Merges a step's output into the context, logging what it replaced.
    pub(super) fn merge(&mut self, merge: &Merge, step: &str, output: Map<String, Value>) {
        self.replaced.apply(merge, &mut self.context, step, output);
    }

    /// Whether any step is left to undo.
    pub(super) fn has_completed(&self) -> bool {
        !self.completed.is_empty()
    }

    /// Forgets the completed steps: nothing will undo them (a workflow that
    /// halted without failing).
    pub(super) fn forget_completed(&mut self) {
        self.completed.clear();
    }

    /// Takes the last completed step, with the context it read (the log
    /// played back to its mark). Taken one at a time, so the steps not
    /// yet undone stay here if the undoing is dropped.
    pub(super) fn pop(&mut self) -> Option<(Completed, Context)> {
        let (step, read) = self.completed.pop()?;
        self.rewind(read);
        Some((step, self.context.clone()))
    }

    /// The final context, for the workflow's outcome.
    pub(super) fn into_context(self) -> Context {
        self.context
    }

    /// Undoes the logged changes made since `mark`, newest first.
    fn rewind(&mut self, mark: Mark) {
        self.replaced.rewind(&mut self.context, mark.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::a_record;
    use crate::chain::shared::SharedRecord;
    use crate::workflow::merge::tests::object;
    use crate::workflow::step::Undo;
    use crate::{BoxError, Cx, Settings};
    use futures::future::BoxFuture;
    use serde_json::json;
    use std::sync::Arc;

    struct Nothing;

    impl Undo for Nothing {
        fn undo(self: Arc<Self>, _: &mut Cx) -> BoxFuture<'_, Result<(), BoxError>> {
            Box::pin(async { Ok(()) })
        }

        fn settings(&self) -> Option<fn() -> Settings> {
            None
        }
    }

    fn step(index: u32) -> Completed {
        Completed {
            record: SharedRecord::own(a_record(index)),
            tags: &[],
            undo: Arc::new(Nothing),
        }
    }

    #[test]
    fn each_step_popped_gets_the_context_it_read_under_every_merge() {
        let custom = Merge::custom(
            |context: &mut Context, step: &str, output: &Map<String, Value>| {
                context.insert("last", step);
                context.insert("count", output.len());
                context.remove("gone");
            },
        );
        for merge in [Merge::LastWriteWins, Merge::Deep, Merge::None, custom] {
            let start = json!({"n": 1, "nested": {"x": 1}, "gone": true});
            let mut progress = Progress::new(Context::from(object(start.clone())));
            let mut read = Vec::new();
            let outputs = [
                json!({"n": 2, "added": "a"}),
                json!({}),
                json!({"nested": {"y": 2}, "added": "b"}),
                json!({"n": {"now": "object"}, "nested": 3}),
            ];
            for (index, output) in (0..).zip(outputs) {
                read.push(progress.context().to_value());
                progress.complete(step(index), progress.mark());
                progress.merge(&merge, "Step", object(output));
            }
            let mut undone = Vec::new();
            while let Some((step, context)) = progress.pop() {
                undone.push(step.record.index);
                assert_eq!(Some(context.to_value()), read.pop(), "{merge:?}");
            }
            assert_eq!(undone, [3, 2, 1, 0], "{merge:?}");
            assert_eq!(progress.context().to_value(), start, "{merge:?}");
            assert!(!progress.has_completed());
        }
    }

    #[test]
    fn steps_that_read_the_same_point_all_get_it() {
        let mut progress = Progress::new(Context::from(object(json!({"n": 1}))));
        let group = progress.mark();
        progress.complete(step(0), group);
        progress.complete(step(1), group);
        progress.merge(&Merge::LastWriteWins, "A", object(json!({"a": 1, "n": 2})));
        progress.merge(&Merge::LastWriteWins, "B", object(json!({"b": 1})));
        progress.complete(step(2), progress.mark());
        progress.merge(&Merge::LastWriteWins, "C", object(json!({"c": 1})));
        let expected = [
            (2, json!({"n": 2, "a": 1, "b": 1})),
            (1, json!({"n": 1})),
            (0, json!({"n": 1})),
        ];
        for (index, context) in expected {
            let (step, read) = progress.pop().expect("a completed step");
            assert_eq!((step.record.index, read.to_value()), (index, context));
        }
        assert!(progress.pop().is_none());
    }

    #[test]
    fn merges_copy_a_shared_context_once_not_once_per_step() {
        let input = Context::from(object(json!({"n": 1})));
        let mut progress = Progress::new(input.clone());
        let mut working = None;
        for index in 0..3 {
            let read = progress.mark();
            progress.complete(step(index), read);
            let output = object(json!({ format!("k{index}"): index }));
            progress.merge(&Merge::LastWriteWins, "Step", output);
            let now: *const Value = progress.context().as_value();
            assert_eq!(
                *working.get_or_insert(now),
                now,
                "copied again at step {index}"
            );
        }
        assert_eq!(input.to_value(), json!({"n": 1}));
        assert_eq!(
            progress.into_context().to_value(),
            json!({"n": 1, "k0": 0, "k1": 1, "k2": 2})
        );
    }

    #[test]
    fn forgotten_steps_are_not_popped() {
        let mut progress = Progress::new(Context::new());
        progress.complete(step(0), progress.mark());
        assert!(progress.has_completed());
        progress.forget_completed();
        assert!(progress.pop().is_none());
    }
}
