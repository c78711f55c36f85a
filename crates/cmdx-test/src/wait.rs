//! Waiting for lines written by work that runs on after the caller returns
//! (a dropped request, a detached task).

use crate::Capture;
use serde_json::Value;
use std::time::Duration;

impl Capture {
    /// Waits until a line matching `predicate` has been written, checking
    /// every few milliseconds; `None` after `timeout`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use cmdx::prelude::*;
    /// use cmdx_test::Capture;
    /// use std::time::Duration;
    ///
    /// #[derive(Debug, Serialize, Deserialize, Validate)]
    /// struct Ping {}
    /// impl Task for Ping {
    ///     type Output = ();
    ///     fn name() -> &'static str {
    ///         "Ping"
    ///     }
    ///     async fn work(&self, _: &mut Cx) -> Result<(), Halt> { Ok(()) }
    /// }
    ///
    /// let capture = Capture::new();
    /// let spawned = capture.run(async { cmdx::spawn(Ping {}.execute()) }).await;
    /// let line = capture.wait_for(|l| l["task"] == "Ping", Duration::from_secs(5)).await;
    /// assert_eq!(line.unwrap()["status"], "success");
    /// # let _ = spawned.await;
    /// # }
    /// ```
    pub async fn wait_for(
        &self,
        predicate: impl Fn(&Value) -> bool,
        timeout: Duration,
    ) -> Option<Value> {
        let find = || self.values().into_iter().find(|line| predicate(line));
        let waiting = async {
            loop {
                if let Some(line) = find() {
                    return line;
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        };
        tokio::time::timeout(timeout, waiting).await.ok()
    }
}
