//! `cmdx ledger query --where sku=…` over a generated 1 GB ledger, against
//! its baselines in the same run: `jq -c 'select(.input.sku=="…")'` and
//! `grep -F '"sku":"…"'`; each tool's output is drained and discarded.
//!
//! The ledger is generated once (deterministically) under the target
//! directory and reused. Run with
//! `cargo bench -p cmdx-cli --bench ledger_query`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use criterion::{Criterion, SamplingMode, Throughput};

#[path = "support/generate.rs"]
mod generate;

/// Size of the generated ledger.
const TARGET_BYTES: u64 = 1_000_000_000;
/// The SKU the three tools look for.
const SKU: &str = "SKU-04242";
const BIN: &str = env!("CARGO_BIN_EXE_cmdx");

/// Seconds per run, per tool, collected for the summary.
static TIMES: Mutex<Vec<(&'static str, f64)>> = Mutex::new(Vec::new());

fn ledger() -> PathBuf {
    let dir = Path::new(BIN)
        .parent()
        .and_then(Path::parent)
        .unwrap_or(Path::new("."))
        .join("bench-data");
    fs::create_dir_all(&dir).expect("create the bench-data directory");
    let path = dir.join("ledger-1gb-v1.ndjson");
    if fs::metadata(&path)
        .map(|m| m.len() < TARGET_BYTES)
        .unwrap_or(true)
    {
        eprintln!("generating {} …", path.display());
        generate::generate(&path, |bytes, _| bytes >= TARGET_BYTES).expect("generate the ledger");
    }
    path
}

fn commands(path: &Path) -> Vec<(&'static str, Command)> {
    let mut cmdx = Command::new(BIN);
    cmdx.args([
        "ledger",
        "query",
        "--where",
        &format!("sku={SKU}"),
        "--format",
        "ndjson",
    ])
    .arg(path);
    let mut jq = Command::new("/usr/bin/jq");
    jq.args(["-c", &format!(r#"select(.input.sku=="{SKU}")"#)])
        .arg(path);
    let mut grep = Command::new("grep");
    grep.args(["-F", &format!(r#""sku":"{SKU}""#)]).arg(path);
    vec![("cmdx", cmdx), ("jq", jq), ("grep -F", grep)]
}

/// Each tool must find the same lines, or the comparison means nothing.
fn check_same_answer(path: &Path) {
    let counts: Vec<(&str, usize)> = commands(path)
        .into_iter()
        .map(|(name, mut cmd)| {
            let out = cmd.output().expect("run the tool");
            assert!(
                out.status.success(),
                "{name} failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            (name, out.stdout.iter().filter(|&&b| b == b'\n').count())
        })
        .collect();
    eprintln!("matching lines: {counts:?}");
    assert!(
        counts.iter().all(|(_, n)| *n == counts[0].1 && *n > 0),
        "tools disagree: {counts:?}"
    );
}

fn bench(c: &mut Criterion, path: &Path) {
    let bytes = fs::metadata(path).expect("ledger metadata").len();
    let mut group = c.benchmark_group("ledger_query_1gb");
    group.throughput(Throughput::Bytes(bytes));
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(5));
    for (name, mut cmd) in commands(path) {
        group.bench_function(name, |b| {
            b.iter_custom(|iters| {
                let start = Instant::now();
                for _ in 0..iters {
                    run_discarding(&mut cmd, name);
                }
                let elapsed = start.elapsed();
                TIMES
                    .lock()
                    .expect("times")
                    .push((name, elapsed.as_secs_f64() / iters as f64));
                elapsed
            });
        });
    }
    group.finish();
}

/// Runs a tool with its stdout drained into a sink. Not `/dev/null`: GNU
/// grep notices a `/dev/null` stdout and stops at the first match, which
/// would not measure a scan at all.
fn run_discarding(cmd: &mut Command, name: &str) {
    let mut child = cmd.stdout(Stdio::piped()).spawn().expect("run the tool");
    let mut stdout = child.stdout.take().expect("piped stdout");
    std::io::copy(&mut stdout, &mut std::io::sink()).expect("drain the output");
    let status = child.wait().expect("wait for the tool");
    assert!(status.success(), "{name} failed");
}

fn median(name: &str) -> f64 {
    let mut v: Vec<f64> = TIMES
        .lock()
        .expect("times")
        .iter()
        .filter(|(n, _)| *n == name)
        .map(|(_, t)| *t)
        .collect();
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

fn main() {
    let path = ledger();
    check_same_answer(&path);
    let mut criterion = Criterion::default().configure_from_args();
    bench(&mut criterion, &path);
    criterion.final_summary();
    let mb = fs::metadata(&path).map(|m| m.len()).unwrap_or(0) as f64 / 1e6;
    let (cmdx, jq, grep) = (median("cmdx"), median("jq"), median("grep -F"));
    println!("\nSummary over {mb:.0} MB (median of runs):");
    for (name, t) in [("cmdx", cmdx), ("jq", jq), ("grep -F", grep)] {
        println!("  {name:8} {t:8.3} s  {:8.1} MB/s", mb / t);
    }
    println!("  cmdx vs jq:   {:.1}x faster", jq / cmdx);
    println!("  cmdx vs grep: {:.2}x the time of grep", cmdx / grep);
}
