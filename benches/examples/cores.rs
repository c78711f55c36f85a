//! Two cores: do independent chains run nearly twice as fast on two tokio
//! workers as on one (design.md §5.8)? Each batch spawns 10,000 concurrent
//! "nested3" roots (an outer task awaits a child that awaits a grandchild,
//! one chain each) with `tokio::spawn` on a multi-thread runtime with 1
//! worker, then on one with 2 workers, several rounds alternating, for:
//!
//! - `baseline`: the same three nested plain `async fn`s, spawned the same way;
//! - `ledger off`: cmdx, `Ledger::off()`;
//! - `ledger /dev/null`: cmdx, `Ledger::writer(File /dev/null)` (the default
//!   non-blocking writer: every line is encoded, queued and written).
//!
//! For every batch it measures the wall time (spawn to the last root's end,
//! plus the ledger's flush) and the process's CPU time (user + system of
//! every thread, `CLOCK_PROCESS_CPUTIME_ID`: what `getrusage(RUSAGE_SELF)`
//! reports, at nanosecond resolution), and the minor page faults
//! (`/proc/self/stat`). It prints, per variant, the median over the rounds:
//! roots/s with 1 and 2 workers, the throughput ratio 2w/1w, CPU ns per root
//! with 1 and 2 workers and the CPU change, as a markdown table.
//!
//! Run (release build, default allocator = glibc malloc):
//!
//! `cargo run --release -p cmdx-benches --example cores [-- ROOTS ROUNDS]`
//!
//! (defaults 10,000 roots, 7 rounds). With glibc's trimming and mmap
//! thresholds out of the way (the heap never shrinks back to the OS between
//! batches, so freed memory is not faulted in again):
//!
//! `GLIBC_TUNABLES=glibc.malloc.trim_threshold=1073741824:glibc.malloc.top_pad=67108864:glibc.malloc.mmap_threshold=33554432 cargo run --release -p cmdx-benches --example cores`
//!
//! i.e. a 1 GiB trim threshold, 64 MiB `top_pad` (each `brk` grows the heap
//! by 64 MiB more than asked), 32 MiB mmap threshold (fixing it also stops
//! glibc from raising it dynamically). Targets (issue 13): with the default
//! allocator, CPU per root with 2 workers within 15 % of 1 worker, and
//! 2-worker throughput ≥ 1.7× 1-worker on an idle machine (CPU per root is
//! what holds on a noisy one). Results are in `benches/README.md`.

use cmdx::prelude::*;
use cmdx::{Ledger, Runtime, Status};
use cmdx_benches::{Grandchild, Outer, median, null_ledger, process_cpu_time};
use std::hint::black_box;
use std::time::{Duration, Instant};

/// The baseline: the same nesting as plain `async fn`s.
#[inline(never)]
async fn outer() -> Result<(), Halt> {
    child(1).await?;
    Ok(())
}

#[inline(never)]
async fn child(depth: u32) -> Result<(), Halt> {
    let _ = grandchild(depth + 1).await?;
    Ok(())
}

#[inline(never)]
async fn grandchild(depth: u32) -> Result<u32, Halt> {
    Ok(black_box(depth))
}

#[derive(Debug, Clone, Copy)]
enum Variant {
    Baseline,
    LedgerOff,
    DevNull,
}

impl Variant {
    const ALL: [Variant; 3] = [Variant::Baseline, Variant::LedgerOff, Variant::DevNull];

    fn key(self) -> &'static str {
        match self {
            Variant::Baseline => "baseline",
            Variant::LedgerOff => "off",
            Variant::DevNull => "null",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Variant::Baseline => "baseline (plain `async fn`s)",
            Variant::LedgerOff => "cmdx, ledger off",
            Variant::DevNull => "cmdx, ledger to /dev/null",
        }
    }
}

/// One batch's cost.
#[derive(Debug, Clone, Copy)]
struct Sample {
    wall: Duration,
    cpu: Duration,
    faults: u64,
}

/// Minor page faults of the process so far (`/proc/self/stat`, field 10).
fn minor_faults() -> u64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // The command name (field 2) may hold spaces: count after its `)`.
    stat.rsplit_once(')')
        .and_then(|(_, rest)| rest.split_whitespace().nth(7))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// Spawns `roots` roots from a task on a worker (so spawns go to a worker's
/// local queue, as a server's would), awaits them all.
fn batch(
    tokio: &tokio::runtime::Runtime,
    variant: Variant,
    runtimes: &[Runtime; 2],
    roots: usize,
) -> Sample {
    let runtime = match variant {
        Variant::DevNull => runtimes[1].clone(),
        _ => runtimes[0].clone(),
    };
    let (faults, cpu, start) = (minor_faults(), process_cpu_time(), Instant::now());
    let driver = async move {
        match variant {
            Variant::Baseline => {
                let handles: Vec<_> = (0..roots).map(|_| tokio::spawn(outer())).collect();
                for handle in handles {
                    assert!(handle.await.expect("a root ran").is_ok());
                }
            }
            Variant::LedgerOff | Variant::DevNull => {
                let root = || runtime.scope(async { Outer {}.execute().await.status() });
                let handles: Vec<_> = (0..roots).map(|_| tokio::spawn(root())).collect();
                for handle in handles {
                    assert_eq!(handle.await.expect("a root ran"), Status::Success);
                }
            }
        }
    };
    tokio.block_on(tokio.spawn(driver)).expect("the driver ran");
    if let Variant::DevNull = variant {
        runtimes[1]
            .ledger()
            .flush()
            .expect("the null device takes everything");
    }
    Sample {
        wall: start.elapsed(),
        cpu: process_cpu_time() - cpu,
        faults: minor_faults() - faults,
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let roots: usize = args
        .next()
        .map(|n| n.parse().expect("ROOTS: a number"))
        .unwrap_or(10_000);
    let rounds: usize = args
        .next()
        .map(|n| n.parse().expect("ROUNDS: a number"))
        .unwrap_or(7);
    let workers = |n| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(n)
            .enable_all()
            .build()
            .expect("a tokio runtime")
    };
    let tokios = [workers(1), workers(2)];
    let runtimes = [
        Runtime::builder().ledger(Ledger::off()).build(),
        Runtime::builder().ledger(null_ledger()).build(),
    ];
    // CORES_ONLY=baseline|off|null and CORES_WORKERS=1|2 (for `perf`).
    let only = std::env::var("CORES_ONLY").ok();
    let variants: Vec<Variant> = Variant::ALL
        .into_iter()
        .filter(|v| only.as_deref().is_none_or(|o| o == v.key()))
        .collect();
    let only_workers: Option<usize> = std::env::var("CORES_WORKERS")
        .ok()
        .map(|w| w.parse().expect("CORES_WORKERS: 1 or 2"));
    let counts: Vec<usize> = [0, 1]
        .into_iter()
        .filter(|w| only_workers.is_none_or(|o| o == w + 1))
        .collect();
    // Warm-up: every variant on both runtimes, not counted.
    for &variant in &variants {
        for tokio in &tokios {
            batch(tokio, variant, &runtimes, roots);
        }
    }
    // samples[variant][workers - 1]
    let mut samples = vec![[Vec::new(), Vec::new()]; Variant::ALL.len()];
    for round in 0..rounds {
        for (v, variant) in Variant::ALL.into_iter().enumerate() {
            if !variants.iter().any(|&o| o as usize == v) {
                continue;
            }
            // Alternate which worker count goes first.
            let mut order = counts.clone();
            if round % 2 == 1 {
                order.reverse();
            }
            for w in order {
                samples[v][w].push(batch(&tokios[w], variant, &runtimes, roots));
            }
        }
    }
    println!(
        "future sizes: root (scope + nested3) {} B, one leaf execute() {} B, one execute_strict() {} B",
        size_of_val(&runtimes[0].scope(async { Outer {}.execute().await.status() })),
        size_of_val(&Grandchild { depth: 1 }.execute()),
        size_of_val(&Grandchild { depth: 1 }.execute_strict()),
    );
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let tunables = std::env::var("GLIBC_TUNABLES").unwrap_or_else(|_| "(unset)".into());
    println!(
        "{roots} roots per batch, median of {rounds} rounds; GLIBC_TUNABLES={tunables}; load average {}",
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
    println!();
    println!(
        "| variant | roots/s, 1 worker | roots/s, 2 workers | 2w/1w | CPU ns/root, 1w | CPU ns/root, 2w | CPU change | faults/root 1w / 2w |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    let n = roots as f64;
    for (v, variant) in Variant::ALL.into_iter().enumerate() {
        if samples[v][0].is_empty() || samples[v][1].is_empty() {
            continue;
        }
        let rate = |w: usize| {
            median(
                samples[v][w]
                    .iter()
                    .map(|s| n / s.wall.as_secs_f64())
                    .collect(),
            )
        };
        let cpu = |w: usize| {
            median(
                samples[v][w]
                    .iter()
                    .map(|s| s.cpu.as_nanos() as f64 / n)
                    .collect(),
            )
        };
        let faults = |w: usize| median(samples[v][w].iter().map(|s| s.faults as f64 / n).collect());
        let (r1, r2, c1, c2) = (rate(0), rate(1), cpu(0), cpu(1));
        println!(
            "| {} | {:.0} | {:.0} | {:.2}× | {:.0} | {:.0} | {:+.0} % | {:.2} / {:.2} |",
            variant.name(),
            r1,
            r2,
            r2 / r1,
            c1,
            c2,
            (c2 / c1 - 1.0) * 100.0,
            faults(0),
            faults(1),
        );
    }
}
