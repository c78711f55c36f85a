//! The tasks of `benches/workflow.rs` and `examples/workflow_ops.rs`: three
//! steps and the parent task that awaits them by hand (included by path,
//! so both measure the same code).

use cmdx::BoxError;
use cmdx::prelude::*;
use std::hint::black_box;
use std::sync::atomic::{AtomicI64, Ordering};

static UNDONE: AtomicI64 = AtomicI64::new(0);

fn undo(n: i64) {
    UNDONE.fetch_add(n, Ordering::Relaxed);
}

macro_rules! step {
    ($name:ident) => {
        #[derive(Debug, Serialize, Deserialize, Validate)]
        struct $name {
            #[garde(range(min = 1))]
            n: i64,
            #[garde(skip)]
            #[serde(default)]
            fail: bool,
        }

        impl Task for $name {
            type Output = ();
            fn name() -> &'static str {
                stringify!($name)
            }
            async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
                if self.fail && stringify!($name) == "Third" {
                    fail!("declined");
                }
                black_box(self.n);
                Ok(())
            }
            async fn rollback(&self, cx: &mut Cx) -> Result<(), BoxError> {
                if cx.is_compensating() {
                    undo(self.n);
                }
                Ok(())
            }
        }
    };
}

step!(First);
step!(Second);
step!(Third);

/// The hand-written equivalent of the workflow: awaits the first step,
/// and when `steps` is 3 the other two, undoing the first two by hand if
/// the third fails.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, Validate)]
pub(crate) struct ByHand {
    /// Whether the third step fails.
    #[garde(skip)]
    pub(crate) fail: bool,
    /// 1 or 3.
    #[garde(skip)]
    pub(crate) steps: u8,
}

impl Task for ByHand {
    type Output = ();
    fn name() -> &'static str {
        "ByHand"
    }
    async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
        let fail = self.fail;
        First { n: 1, fail }.execute_strict().await?;
        if self.steps == 1 {
            return Ok(());
        }
        Second { n: 1, fail }.execute_strict().await?;
        if let Err(fault) = (Third { n: 1, fail }).execute_strict().await {
            undo(1);
            undo(1);
            return Err(fault.into());
        }
        Ok(())
    }
}

/// The workflow of the three steps.
pub(crate) fn three() -> Workflow {
    Workflow::new("Three")
        .step::<First>()
        .step::<Second>()
        .step::<Third>()
}

/// The workflow of the first step only.
pub(crate) fn one() -> Workflow {
    Workflow::new("One").step::<First>()
}

/// The context the steps read: `n`, and whether the third step fails.
pub(crate) fn cmdx_benches_context(fail: bool) -> Context {
    let mut context = Context::new();
    context.insert("n", 1);
    context.insert("fail", fail);
    context
}
