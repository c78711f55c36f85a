//! The size of the engine's state, allocated once per execution (see
//! [`super::execute`]; `tests/chains.rs` checks that a parent's future
//! holds it by pointer).

use crate::{Cx, Halt};

/// A trivial unit (what a task with no settings and a one-line `work`
/// is to the engine).
struct Unit(u32);

impl super::Executable for Unit {
    type Output = u32;

    fn spec(&self) -> super::Spec {
        super::Spec {
            task: "Leaf".into(),
            kind: crate::Kind::Task,
            tags: &[],
            compensates: None,
            link: None,
            panicked: None,
        }
    }

    fn input_json(&self) -> Option<Box<serde_json::value::RawValue>> {
        None
    }

    fn output_json(&self, _: &u32) -> Option<Box<serde_json::value::RawValue>> {
        None
    }

    fn validate(&self) -> Result<(), crate::input::FieldErrors> {
        Ok(())
    }

    async fn work(&self, _: &mut Cx) -> Result<u32, Halt> {
        Ok(self.0)
    }

    async fn rollback(&self, _: &mut Cx) -> Result<(), crate::BoxError> {
        Ok(())
    }
}

#[test]
fn the_engine_state_of_a_plain_task_stays_under_a_kib() {
    // glibc serves allocations up to 1,032 bytes from its per-thread
    // cache; past 1,024 bytes, a `malloc` may first consolidate free
    // chunks. Every execution allocates this state once.
    let state = size_of_val(&super::inline(Unit(1), super::Start::default()));
    assert!(state <= 1000, "the engine's state is {state} bytes");
}
