//! [`Probe`]: a task whose behaviour is scripted by the context it reads,
//! and the [`Journal`] where it notes what happened — for testing workflows
//! (order, context flow, concurrency, compensation) without writing a new
//! task per test.

use crate::Journal;
use cmdx::BoxError;
use cmdx::prelude::*;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::time::Duration;

/// What one probe does, read from `context.plan.<letter>`.
///
/// ```
/// use cmdx_test::Script;
/// use serde_json::json;
///
/// let script: Script = serde_json::from_value(json!({"fail": "card declined", "delay_ms": 30})).unwrap();
/// assert_eq!(script.fail.as_deref(), Some("card declined"));
/// ```
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Script {
    /// Fail `work` with this reason.
    pub fail: Option<String>,
    /// Skip `work` with this reason.
    pub skip: Option<String>,
    /// Panic in `work` with this message.
    pub panic: Option<String>,
    /// Sleep this long in `work` first (tokio time: pausable in tests).
    pub delay_ms: u64,
    /// Output these keys on success (default: `{"<letter>": "done"}`).
    pub output: Option<Map<String, Value>>,
    /// Make `rollback` return an error with this message.
    pub rollback_error: Option<String>,
    /// Make `rollback` panic with this message.
    pub rollback_panic: Option<String>,
    /// Make `rollback` never return (after noting it in the journal).
    pub rollback_hangs: bool,
}

/// A task named `Probe::<ID>` (`ID` an uppercase letter) that follows
/// `context.plan.<ID>` (a [`Script`]) and notes `"<ID> work"` /
/// `"<ID> rollback [compensating]"` in the runtime's [`Journal`].
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use cmdx::prelude::*;
/// use cmdx_test::{Capture, Journal, Probe};
/// use serde_json::json;
///
/// let journal = Journal::new();
/// let capture = Capture::with(|b| b.resource(journal.clone()));
/// let workflow = Workflow::new("Demo").step::<Probe<'A'>>().step::<Probe<'B'>>();
/// let context = Context::try_from(json!({"plan": {"B": {"fail": "no"}}})).unwrap();
/// let outcome = capture.run(workflow.execute(context)).await;
/// assert!(outcome.is_failed());
/// assert_eq!(journal.entries(), ["A work", "B work", "B rollback", "A rollback compensating"]);
/// # }
/// ```
#[derive(Debug, Serialize, Deserialize, Validate)]
pub struct Probe<const ID: char> {
    /// The scripts of every probe, by letter.
    #[garde(skip)]
    #[serde(default)]
    pub plan: BTreeMap<String, Script>,
}

const NAMES: [&str; 26] = [
    "Probe::A", "Probe::B", "Probe::C", "Probe::D", "Probe::E", "Probe::F", "Probe::G", "Probe::H",
    "Probe::I", "Probe::J", "Probe::K", "Probe::L", "Probe::M", "Probe::N", "Probe::O", "Probe::P",
    "Probe::Q", "Probe::R", "Probe::S", "Probe::T", "Probe::U", "Probe::V", "Probe::W", "Probe::X",
    "Probe::Y", "Probe::Z",
];

impl<const ID: char> Probe<ID> {
    fn script(&self) -> Script {
        self.plan.get(&ID.to_string()).cloned().unwrap_or_default()
    }
}

impl<const ID: char> Task for Probe<ID> {
    type Output = Map<String, Value>;

    fn name() -> &'static str {
        match ID {
            'A'..='Z' => NAMES[(ID as u8 - b'A') as usize],
            _ => "Probe",
        }
    }

    async fn work(&self, cx: &mut Cx) -> Result<Map<String, Value>, Halt> {
        let journal = cx.resource::<Journal>()?.clone();
        let script = self.script();
        journal.push(format!("{ID} work"));
        journal.enter();
        if script.delay_ms > 0 {
            tokio::time::sleep(Duration::from_millis(script.delay_ms)).await;
        }
        journal.leave();
        if let Some(message) = script.panic {
            panic!("{message}");
        }
        if let Some(reason) = script.fail {
            return Err(Halt::fail(reason));
        }
        if let Some(reason) = script.skip {
            return Err(Halt::skip(reason));
        }
        Ok(script
            .output
            .unwrap_or_else(|| Map::from_iter([(ID.to_string(), Value::from("done"))])))
    }

    async fn rollback(&self, cx: &mut Cx) -> Result<(), BoxError> {
        let script = self.script();
        let mode = if cx.is_compensating() {
            " compensating"
        } else {
            ""
        };
        cx.resource::<Journal>()?
            .push(format!("{ID} rollback{mode}"));
        if let Some(message) = script.rollback_panic {
            panic!("{message}");
        }
        if script.rollback_hangs {
            std::future::pending::<()>().await;
        }
        match script.rollback_error {
            Some(message) => Err(message.into()),
            None => Ok(()),
        }
    }
}
