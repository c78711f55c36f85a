//! Chains: nested executions share one chain id, get distinct indexes and
//! point at their parent — across `.await`, `join_all` and `cmdx::spawn`.

use cmdx::prelude::*;
use cmdx::{ChainScope, Ledger, Runtime};
use cmdx_test::Capture;
use futures::future::join_all;
use std::collections::{BTreeMap, HashSet};
use uuid::Uuid;

#[derive(Debug, Serialize, Deserialize, Validate)]
struct Leaf {
    #[garde(skip)]
    n: u32,
}

impl Task for Leaf {
    type Output = (Uuid, u32);
    fn name() -> &'static str {
        "Leaf"
    }
    async fn work(&self, cx: &mut Cx) -> Result<(Uuid, u32), Halt> {
        tokio::task::yield_now().await;
        Ok((cx.chain_id(), cx.index()))
    }
}

#[derive(Debug, Serialize, Deserialize, Validate)]
struct Sequential {}

impl Task for Sequential {
    type Output = ();
    fn name() -> &'static str {
        "Sequential"
    }
    async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
        let _ = Leaf { n: 1 }.execute_strict().await?;
        Nested {}.execute_strict().await?;
        Ok(())
    }
}

#[derive(Debug, Serialize, Deserialize, Validate)]
struct Nested {}

impl Task for Nested {
    type Output = ();
    fn name() -> &'static str {
        "Nested"
    }
    async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
        let _ = Leaf { n: 2 }.execute_strict().await?;
        Ok(())
    }
}

#[derive(Debug, Serialize, Deserialize, Validate)]
struct FanOut {
    #[garde(skip)]
    width: u32,
}

impl Task for FanOut {
    type Output = Vec<u32>;
    fn name() -> &'static str {
        "FanOut"
    }
    async fn work(&self, _: &mut Cx) -> Result<Vec<u32>, Halt> {
        let outcomes = join_all((0..self.width).map(|n| Leaf { n }.execute())).await;
        Ok(outcomes.iter().map(|o| o.index()).collect())
    }
}

#[derive(Debug, Serialize, Deserialize, Validate)]
struct Spawner {
    #[garde(skip)]
    cmdx_spawn: bool,
}

impl Task for Spawner {
    type Output = Uuid;
    fn name() -> &'static str {
        "Spawner"
    }
    async fn work(&self, _: &mut Cx) -> Result<Uuid, Halt> {
        let child = if self.cmdx_spawn {
            cmdx::spawn(Leaf { n: 9 }.execute()).await?
        } else {
            let runtime = Runtime::current();
            tokio::spawn(async move { runtime.scope(Leaf { n: 9 }.execute()).await }).await?
        };
        Ok(child.chain_id())
    }
}

#[tokio::test]
async fn a_root_gets_a_fresh_v7_chain_id_and_index_zero() {
    let capture = Capture::new();
    let outcome = capture.run(Leaf { n: 0 }.execute()).await;
    assert_eq!(outcome.index(), 0);
    assert!(outcome.record().root && outcome.parent().is_none());
    assert_eq!(outcome.chain_id().get_version_num(), 7);
    assert_eq!(outcome.value(), Some(&(outcome.chain_id(), 0)));
}

#[tokio::test]
async fn nested_executions_join_the_chain_with_distinct_indexes_and_their_parent() {
    let capture = Capture::new();
    let outcome = capture.run(Sequential {}.execute()).await;
    let parents = capture.parent_indexes(outcome.chain_id());
    // Sequential(0) -> Leaf(1); Sequential(0) -> Nested(2) -> Leaf(3)
    let expected = BTreeMap::from([(0, None), (1, Some(0)), (2, Some(0)), (3, Some(2))]);
    assert_eq!(parents, expected);
    assert_eq!(capture.chain(outcome.chain_id()).len(), 4);
    assert_eq!(capture.values().len(), 4, "no line outside the chain");
}

#[tokio::test]
async fn a_root_outcome_exposes_the_whole_chain_index_zero_first() {
    let capture = Capture::new();
    let outcome = capture.run(Sequential {}.execute()).await;
    let chain = outcome.chain().expect("roots expose their chain");
    let indexes: Vec<u32> = chain.records().map(|r| r.index).collect();
    assert_eq!(indexes, vec![0, 1, 2, 3]);
    assert_eq!(chain.get(3).unwrap().task, "Leaf");
    assert!(chain.records().all(|r| r.cid == outcome.chain_id()));
}

#[tokio::test]
async fn join_all_children_share_the_chain_with_unique_indexes() {
    let capture = Capture::new();
    let outcome = capture.run(FanOut { width: 20 }.execute()).await;
    let indexes: HashSet<u32> = outcome.value().unwrap().iter().copied().collect();
    assert_eq!(indexes, (1..=20).collect());
    let parents = capture.parent_indexes(outcome.chain_id());
    assert!((1..=20).all(|i| parents[&i] == Some(0)), "{parents:?}");
}

#[tokio::test]
async fn cmdx_spawn_carries_the_chain_into_the_spawned_task() {
    let capture = Capture::new();
    let outcome = capture.run(Spawner { cmdx_spawn: true }.execute()).await;
    assert_eq!(outcome.value(), Some(&outcome.chain_id()));
    assert_eq!(capture.parent_indexes(outcome.chain_id())[&1], Some(0));
}

#[tokio::test]
async fn plain_tokio_spawn_starts_a_fresh_chain() {
    let capture = Capture::new();
    let outcome = capture.run(Spawner { cmdx_spawn: false }.execute()).await;
    let child_chain = *outcome.value().unwrap();
    assert_ne!(child_chain, outcome.chain_id());
    let child = &capture.chain(child_chain)[0];
    assert_eq!(child["index"], 0);
    assert_eq!(child["root"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nesting_works_on_a_multi_thread_runtime() {
    let capture = Capture::new();
    let outcome = capture.run(Sequential {}.execute()).await;
    assert_eq!(capture.parent_indexes(outcome.chain_id()).len(), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_concurrent_roots_never_share_or_mix_chains() {
    let capture = Capture::new();
    let runtime = capture.runtime().clone();
    let roots: Vec<_> = (0..1000)
        .map(|_| {
            let runtime = runtime.clone();
            tokio::spawn(async move { runtime.scope(FanOut { width: 3 }.execute()).await })
        })
        .collect();
    let mut chains = HashSet::new();
    for root in join_all(roots).await {
        let root = root.unwrap();
        assert!(chains.insert(root.chain_id()), "two roots share a chain");
        let chain = root.chain().unwrap();
        assert_eq!(chain.len(), 4);
        let tids: HashSet<Uuid> = chain.records().map(|r| r.tid).collect();
        for record in chain.records().filter(|r| r.index > 0) {
            assert_eq!(record.parent, Some(root.tid()));
            assert!(tids.contains(&record.tid));
        }
    }
    // The ledger agrees: 4 lines per chain, each chain's indexes are 0..4.
    let mut per_chain: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    for line in capture.values() {
        per_chain
            .entry(line["cid"].as_str().unwrap().to_owned())
            .or_default()
            .push(line["index"].as_u64().unwrap());
    }
    assert_eq!(per_chain.len(), 1000);
    for indexes in per_chain.values_mut() {
        indexes.sort();
        assert_eq!(indexes, &vec![0, 1, 2, 3]);
    }
}

#[tokio::test]
async fn a_chain_scope_shares_its_id_and_xid_with_every_execution_inside() {
    let runtime = Runtime::builder().ledger(Ledger::off()).build();
    let scope = ChainScope::new().xid("req-7");
    let cid = scope.id();
    let (first, second) = runtime
        .scope(scope.run(async { (Leaf { n: 1 }.execute().await, Sequential {}.execute().await) }))
        .await;
    assert_eq!((first.chain_id(), second.chain_id()), (cid, cid));
    assert_eq!((first.index(), second.index()), (0, 1));
    assert!(first.record().root && !second.record().root);
    assert_eq!(second.record().xid.as_deref(), Some("req-7"));
    assert_eq!(
        cmdx::current_chain_id(),
        None,
        "the scope ends with its future"
    );
}

/// Executes `children` leaves one after the other.
#[derive(Debug, Serialize, Deserialize, Validate)]
struct Many {
    #[garde(skip)]
    children: u32,
}

impl Task for Many {
    type Output = ();
    fn name() -> &'static str {
        "Many"
    }
    async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
        for n in 0..self.children {
            let _ = Leaf { n }.execute_strict().await?;
        }
        Ok(())
    }
}

fn indexes(chain: &cmdx::Chain) -> Vec<u32> {
    chain.records().map(|r| r.index).collect()
}

#[tokio::test]
async fn a_long_chain_keeps_its_first_and_last_500_records_and_counts_the_rest() {
    let capture = Capture::new();
    let outcome = capture.run(Many { children: 1_200 }.execute()).await;
    let chain = outcome.chain().expect("roots expose their chain");
    assert_eq!(chain.len(), 1_001);
    assert_eq!(chain.omitted(), 200);
    assert!(!chain.is_complete() && !chain.is_empty());
    assert!(format!("{chain:?}").contains("omitted: 200"), "{chain:?}");
    let expected: Vec<u32> = (0..=500).chain(701..=1_200).collect();
    assert_eq!(indexes(&chain), expected);
    assert!(chain.get(600).is_none());
    assert_eq!(chain.get(1_200).map(|r| r.index), Some(1_200));
    // The ledger is complete.
    assert_eq!(capture.chain(outcome.chain_id()).len(), 1_201);
}

#[tokio::test]
async fn the_runtime_sets_how_many_records_a_chain_keeps() {
    let capture = Capture::with(|b| b.chain_retention(2, 3));
    let long = capture.run(Many { children: 10 }.execute()).await;
    let chain = long.chain().unwrap();
    assert_eq!(indexes(&chain), vec![0, 1, 2, 8, 9, 10]);
    assert_eq!(chain.omitted(), 5);
    let short = capture.run(Sequential {}.execute()).await;
    let chain = short.chain().unwrap();
    assert!(chain.is_complete() && chain.omitted() == 0);
    assert_eq!(indexes(&chain), vec![0, 1, 2, 3]);
}

/// Fails with `?` on a failing grandchild's fault.
#[derive(Debug, Serialize, Deserialize, Validate)]
struct Deep {}

impl Task for Deep {
    type Output = ();
    fn name() -> &'static str {
        "Deep"
    }
    async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
        fail!("out of stock", code = "out_of_stock")
    }
}

#[derive(Debug, Serialize, Deserialize, Validate)]
struct Middle {}

impl Task for Middle {
    type Output = ();
    fn name() -> &'static str {
        "Middle"
    }
    async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
        Many { children: 3 }.execute_strict().await?;
        Deep {}.execute_strict().await?;
        Ok(())
    }
}

#[tokio::test]
async fn a_failure_keeps_its_origin_when_the_chain_keeps_no_record() {
    let capture = Capture::with(|b| b.chain_retention(0, 0));
    let outcome = capture.run(Middle {}.execute()).await;
    let origin = outcome.origin().expect("failed with an origin");
    assert_eq!(origin.task, "Deep");
    assert_eq!(outcome.record().origin, Some(origin.tid));
    let chain = outcome.chain().unwrap();
    assert_eq!(chain.len(), 1, "only the root's record");
    assert_eq!(chain.omitted(), 5);
    // The origin is what the ledger says it is.
    let deep = &capture.lines_for_task("Deep")[0];
    assert_eq!(deep["tid"], origin.tid.to_string());

    // Through a workflow too: the step's fault carries the origin up.
    let workflow = cmdx::Workflow::new("Orders").step::<Middle>();
    let outcome = capture.run(workflow.execute(Context::new())).await;
    assert_eq!(outcome.origin().map(|o| &*o.task), Some("Deep"));
    assert_eq!(
        outcome.record().origin,
        outcome.origin().map(|o| o.tid),
        "the line names the same origin"
    );
}

#[tokio::test]
async fn failures_lists_the_failed_records_kept() {
    let outcome = Capture::new().run(Middle {}.execute()).await;
    let chain = outcome.chain().unwrap();
    let failed: Vec<&str> = chain.failures().map(|r| &*r.task).collect();
    assert_eq!(failed, vec!["Middle", "Deep"]);
    assert_eq!(chain.len(), 6);
}

#[tokio::test]
async fn work_reads_its_chain_id_from_the_task_local() {
    #[derive(Debug, Serialize, Deserialize, Validate)]
    struct WhereAmI {}
    impl Task for WhereAmI {
        type Output = Option<Uuid>;
        fn name() -> &'static str {
            "WhereAmI"
        }
        async fn work(&self, _: &mut Cx) -> Result<Option<Uuid>, Halt> {
            Ok(cmdx::current_chain_id())
        }
    }
    let outcome = Capture::new().run(WhereAmI {}.execute()).await;
    assert_eq!(outcome.value(), Some(&Some(outcome.chain_id())));
}

/// A parent's future holds its child's execution by pointer (the engine's
/// state is allocated per execution): nesting does not grow the future a
/// parent awaits, nor the root a `tokio::spawn` copies and keeps.
#[test]
fn nesting_does_not_grow_the_future_of_an_execution() {
    let leaf = size_of_val(&Leaf { n: 1 }.execute());
    let nested = size_of_val(&Nested {}.execute());
    let strict = size_of_val(&Nested {}.execute_strict());
    assert_eq!(leaf, nested);
    // The task's fields, how it starts, one pointer.
    assert!(
        strict <= 96,
        "a strict execution's future is {strict} bytes"
    );
}
