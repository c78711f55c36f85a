//! The strict call: `Err(Fault)` on failure, keeping the origin.

use cmdx::prelude::*;
use cmdx_test::Capture;

#[derive(Debug, Serialize, Deserialize, Validate)]
struct Reserve {
    #[garde(skip)]
    available: i64,
}

impl Task for Reserve {
    type Output = ();
    fn name() -> &'static str {
        "Inventory::ReserveStock"
    }
    async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
        if self.available < 10 {
            fail!(
                "Insufficient stock",
                code = "out_of_stock",
                available = self.available
            );
        }
        Ok(())
    }
}

#[derive(Debug, Serialize, Deserialize, Validate)]
struct Process {
    #[garde(skip)]
    available: i64,
}

impl Task for Process {
    type Output = ();
    fn name() -> &'static str {
        "Inventory::ProcessOrder"
    }
    async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
        Reserve {
            available: self.available,
        }
        .execute_strict()
        .await?;
        Ok(())
    }
}

#[derive(Debug, Serialize, Deserialize, Validate)]
struct Checkout {}

impl Task for Checkout {
    type Output = ();
    fn name() -> &'static str {
        "Checkout"
    }
    async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
        Process { available: 0 }.execute_strict().await?;
        Ok(())
    }
}

#[derive(Debug, Serialize, Deserialize, Validate)]
struct Skipper {}

impl Task for Skipper {
    type Output = ();
    fn name() -> &'static str {
        "Skipper"
    }
    async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
        skip!("nothing to do")
    }
}

#[tokio::test]
async fn a_strict_failure_is_a_fault_carrying_the_outcome_and_the_chain() {
    let fault = Capture::new()
        .run(Reserve { available: 0 }.execute_strict())
        .await
        .unwrap_err();
    assert_eq!(fault.task(), "Inventory::ReserveStock");
    assert_eq!(fault.reason(), Some("Insufficient stock"));
    assert_eq!(fault.record().code.as_deref(), Some("out_of_stock"));
    assert_eq!(fault.origin().tid, fault.record().tid);
    assert_eq!(fault.chain().unwrap().id(), fault.chain_id());
    let message = fault.to_string();
    assert!(
        message.contains("Inventory::ReserveStock")
            && message.contains(&fault.chain_id().to_string()),
        "{message}"
    );
}

#[tokio::test]
async fn a_strict_success_is_its_value() {
    let capture = Capture::new();
    let () = capture
        .run(Reserve { available: 10 }.execute_strict())
        .await
        .unwrap();
    let doubled: i64 = capture
        .run(Double { n: 21 }.execute_strict())
        .await
        .unwrap();
    assert_eq!(doubled, 42);
    let line = &capture.values()[1];
    assert_eq!(line["status"], "success");
}

#[derive(Debug, Serialize, Deserialize, Validate)]
struct Double {
    #[garde(skip)]
    n: i64,
}

impl Task for Double {
    type Output = i64;
    fn name() -> &'static str {
        "Math::Double"
    }
    async fn work(&self, _: &mut Cx) -> Result<i64, Halt> {
        if self.n == 0 {
            success!("nothing to double");
        }
        if self.n < 0 {
            skip!(code = "negative");
        }
        Ok(self.n * 2)
    }
}

/// Awaits `Double { n }` strictly and adds one.
#[derive(Debug, Serialize, Deserialize, Validate)]
struct PlusOne {
    #[garde(skip)]
    n: i64,
}

impl Task for PlusOne {
    type Output = i64;
    fn name() -> &'static str {
        "Math::PlusOne"
    }
    async fn work(&self, _: &mut Cx) -> Result<i64, Halt> {
        Ok(Double { n: self.n }.execute_strict().await? + 1)
    }
}

#[tokio::test]
async fn a_skip_is_a_fault_with_status_skipped_and_skips_the_strict_caller() {
    let capture = Capture::new();
    let fault = capture.run(Skipper {}.execute_strict()).await.unwrap_err();
    assert_eq!(fault.status(), Status::Skipped);
    assert_eq!(fault.reason(), Some("nothing to do"));
    assert!(
        fault
            .to_string()
            .contains("`Skipper` was skipped: nothing to do"),
        "{fault}"
    );

    let outcome = capture.run(PlusOne { n: -1 }.execute()).await;
    assert!(outcome.is_skipped(), "{outcome:?}");
    assert_eq!(outcome.reason(), None, "skip!() gives no reason");
    assert_eq!(outcome.code(), Some("negative"));
    let lines = capture.values();
    assert_eq!(
        (lines[1]["task"].as_str(), lines[1]["status"].as_str()),
        (Some("Math::Double"), Some("skipped"))
    );
    assert_eq!(lines[1]["reason"], serde_json::Value::Null);
    assert_eq!(lines[2]["status"], "skipped");
    assert_eq!(
        capture.run(PlusOne { n: 4 }.execute()).await.into_value(),
        Some(9)
    );
}

#[tokio::test]
async fn an_early_success_without_a_value_fails_the_strict_caller() {
    let capture = Capture::new();
    let fault = capture
        .run(Double { n: 0 }.execute_strict())
        .await
        .unwrap_err();
    assert_eq!(fault.status(), Status::Success);
    assert!(
        fault
            .to_string()
            .contains("ended without a value: nothing to double"),
        "{fault}"
    );
    let outcome = capture.run(PlusOne { n: 0 }.execute()).await;
    assert!(outcome.is_failed());
    assert_eq!(
        outcome.reason(),
        Some("`Math::Double` ended without a value (nothing to double)")
    );
    assert_eq!(outcome.code(), Some("no_value"));
    let lines = capture.values();
    assert_eq!(
        lines[2]["origin"], lines[1]["tid"],
        "the child is the origin"
    );
}

#[tokio::test]
async fn a_propagated_failure_records_the_deepest_origin_through_nested_strict_calls() {
    let capture = Capture::new();
    let fault = capture.run(Checkout {}.execute_strict()).await.unwrap_err();
    assert_eq!(fault.task(), "Checkout");
    assert_eq!(fault.reason(), Some("Insufficient stock"));
    assert_eq!(fault.record().code.as_deref(), Some("out_of_stock"));
    assert_eq!(fault.origin().task, "Inventory::ReserveStock");
    assert_eq!(fault.origin().index, 2);
    assert!(
        fault
            .to_string()
            .contains("caused by `Inventory::ReserveStock`, index 2"),
        "{fault}"
    );
    // every line of the chain names the same origin
    let reserve_tid = fault.origin().tid.to_string();
    for line in capture.values() {
        assert_eq!(line["status"], "failed");
        assert_eq!(line["origin"], reserve_tid.as_str(), "{line}");
    }
}

#[tokio::test]
async fn throw_propagates_a_child_failure_and_ignores_a_success() {
    #[derive(Debug, Serialize, Deserialize, Validate)]
    struct Thrower {
        #[garde(skip)]
        available: i64,
    }
    impl Task for Thrower {
        type Output = &'static str;
        fn name() -> &'static str {
            "Thrower"
        }
        async fn work(&self, _: &mut Cx) -> Result<&'static str, Halt> {
            Reserve {
                available: self.available,
            }
            .execute()
            .await
            .throw()?;
            Ok("reserved")
        }
    }
    let capture = Capture::new();
    let ok = capture.run(Thrower { available: 10 }.execute()).await;
    assert_eq!(ok.value(), Some(&"reserved"));
    let ko = capture.run(Thrower { available: 1 }.execute()).await;
    assert_eq!(ko.reason(), Some("Insufficient stock"));
    assert_eq!(ko.origin().unwrap().task, "Inventory::ReserveStock");
}
