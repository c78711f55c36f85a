//! Memory flat in a chain's length (design invariant 10): a root executing
//! a long run of children keeps a bounded window of their records, so the
//! bytes alive at the end of the run are those alive once the window was
//! full, and the last children allocate what the first ones did.
//!
//! Its own test binary with one test: the counting global allocator sees
//! nothing else. 20,000 children by default; `CMDX_LONG_TESTS=1` runs
//! 1,000,000.

use cap::Cap;
use cmdx::prelude::*;
use cmdx::{Ledger, LedgerSink, Record, Runtime};
use std::alloc::System;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

#[global_allocator]
static ALLOCATOR: Cap<System> = Cap::new(System, usize::MAX);

/// Counts lines and drops them: the ledger is on (records carry their
/// input JSON, as in production) but keeps nothing.
#[derive(Debug, Default)]
struct CountingSink(AtomicU64);

impl LedgerSink for CountingSink {
    fn write(&self, _: &[u8], _: &Record) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

#[derive(Debug, Serialize, Deserialize, Validate)]
struct ReserveLine {
    #[garde(skip)]
    sku: String,
    #[garde(skip)]
    line: u32,
}

impl Task for ReserveLine {
    type Output = ();
    fn name() -> &'static str {
        "ReserveLine"
    }
    async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
        Ok(())
    }
}

/// Live bytes and bytes allocated so far, read at each quarter of the run.
#[derive(Debug, Clone, Copy, Serialize)]
struct Sample {
    live: usize,
    total: usize,
}

#[derive(Debug, Serialize, Deserialize, Validate)]
struct ImportBatch {
    #[garde(skip)]
    children: u32,
}

impl Task for ImportBatch {
    type Output = Vec<(u32, Sample)>;
    fn name() -> &'static str {
        "ImportBatch"
    }
    async fn work(&self, _: &mut Cx) -> Result<Self::Output, Halt> {
        let quarter = self.children / 4;
        let mut samples = Vec::with_capacity(5);
        for line in 1..=self.children {
            let sku = format!("SKU-{:05}", line % 20_000);
            let outcome = ReserveLine { sku, line }.execute().await;
            if !outcome.is_success() {
                fail!("a child failed", line = line);
            }
            if line % quarter == 0 {
                let sample = Sample {
                    live: ALLOCATOR.allocated(),
                    total: ALLOCATOR.total_allocated(),
                };
                samples.push((line, sample));
            }
        }
        Ok(samples)
    }
}

#[tokio::test(flavor = "current_thread")]
async fn a_root_with_many_children_keeps_a_bounded_window_and_flat_memory() {
    let children: u32 = match std::env::var_os("CMDX_LONG_TESTS") {
        Some(_) => 1_000_000,
        None => 20_000,
    };
    let sink = Arc::new(CountingSink::default());
    let runtime = Runtime::builder()
        .ledger(Ledger::custom(SharedSink(sink.clone())))
        .build();
    let outcome = runtime.scope(ImportBatch { children }.execute()).await;
    let samples = outcome.value().expect("the batch succeeded").clone();
    assert_eq!(sink.0.load(Ordering::Relaxed), u64::from(children) + 1);

    // From the first quarter on (the window long full), the bytes alive do
    // not grow with the chain. Keeping every record would add ~0.4 KB per
    // child: megabytes here.
    let (_, first) = samples[0];
    let (_, last) = samples[3];
    let growth = last.live.saturating_sub(first.live);
    assert!(
        growth < 64 * 1024,
        "{growth} bytes more alive after {} more children: {samples:?}",
        children / 4 * 3
    );

    // The retained window: the root, the first 500 and the last 500.
    let chain = outcome.chain().expect("a root has its chain");
    assert_eq!(chain.len(), 1 + 1_000);
    assert_eq!(chain.omitted(), u64::from(children) - 1_000);
    assert!(!chain.is_complete());
    let indexes: Vec<u32> = chain.records().map(|r| r.index).collect();
    let expected: Vec<u32> = (0..=500).chain(children - 499..=children).collect();
    assert_eq!(indexes, expected);
    assert!(chain.get(501).is_none());

    // Each quarter allocates as much as the one before: cost per child is
    // flat too (a list re-growing, a scan over the records, would show).
    let per_quarter: Vec<usize> = samples
        .windows(2)
        .map(|pair| pair[1].1.total - pair[0].1.total)
        .collect();
    let (least, most) = (
        per_quarter.iter().min().copied().unwrap_or_default(),
        per_quarter.iter().max().copied().unwrap_or_default(),
    );
    assert!(
        most - least < most / 50,
        "bytes allocated per quarter vary: {per_quarter:?}"
    );
}

/// `Ledger::custom` takes the sink by value; the test keeps a handle.
#[derive(Debug)]
struct SharedSink(Arc<CountingSink>);

impl LedgerSink for SharedSink {
    fn write(&self, line: &[u8], record: &Record) {
        self.0.write(line, record);
    }
}
