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
        let _ = Reserve {
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
    async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
        let _ = Process { available: 0 }.execute_strict().await?;
        Ok(())
    }
}

#[derive(Debug, Serialize, Deserialize, Validate)]
struct Skipper {}

impl Task for Skipper {
    type Output = ();
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
async fn a_strict_success_is_ok() {
    let outcome = Capture::new()
        .run(Reserve { available: 10 }.execute_strict())
        .await
        .unwrap();
    assert!(outcome.is_success());
}

#[tokio::test]
async fn a_skip_is_not_a_fault() {
    let outcome = Capture::new()
        .run(Skipper {}.execute_strict())
        .await
        .unwrap();
    assert!(outcome.is_skipped());
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
