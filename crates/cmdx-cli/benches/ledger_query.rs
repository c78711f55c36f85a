//! `cmdx ledger query --where sku=…` over a generated 1 GB ledger, against
//! its baselines in the same run: `jq -c 'select(.input.sku=="…")'` and
//! `grep -F '"sku":"…"'`; each tool's output is drained and discarded.
//!
//! The ledger is generated once (deterministically) under the target
//! directory and reused. Run with
//! `cargo bench -p cmdx-cli --bench ledger_query`.

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use criterion::{Criterion, SamplingMode, Throughput};

/// Size of the generated ledger.
const TARGET_BYTES: u64 = 1_000_000_000;
/// Number of distinct SKUs in the ledger.
const SKUS: u64 = 20_000;
/// The SKU the three tools look for.
const SKU: &str = "SKU-04242";
const BIN: &str = env!("CARGO_BIN_EXE_cmdx");

/// Seconds per run, per tool, collected for the summary.
static TIMES: Mutex<Vec<(&'static str, f64)>> = Mutex::new(Vec::new());

/// xorshift64*: deterministic and dependency-free.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn uuid(rng: &mut Rng, millis: u64) -> String {
    let a = rng.next();
    let b = rng.next();
    format!(
        "{:08x}-{:04x}-7{:03x}-{:04x}-{:012x}",
        millis >> 16,
        millis & 0xffff,
        a & 0xfff,
        0x8000 | ((a >> 12) & 0x3fff),
        b & 0xffff_ffff_ffff
    )
}

fn ts(millis: u64) -> String {
    let secs = (millis / 1000) as i64;
    let t = chrono::DateTime::from_timestamp(secs, ((millis % 1000) * 1_000_000) as u32)
        .unwrap_or_default();
    t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

#[expect(clippy::too_many_arguments, reason = "a line has many fields")]
fn write_line(
    out: &mut impl Write,
    rng: &mut Rng,
    millis: u64,
    cid: &str,
    tid: &str,
    index: u64,
    parent: Option<&str>,
    task: &str,
    input: &str,
    failed: bool,
    xid: &str,
) -> std::io::Result<()> {
    let parent = parent.map_or("null".to_owned(), |p| format!("\"{p}\""));
    let (state, status, reason, metadata, origin) = if failed {
        let available = rng.below(10);
        (
            "interrupted",
            "failed",
            "\"Insufficient stock\"",
            format!(
                r#"{{"code":"out_of_stock","available":{available},"requested":{}}}"#,
                available + 1 + rng.below(50)
            ),
            format!("\"{tid}\""),
        )
    } else {
        (
            "complete",
            "success",
            "null",
            "{}".to_owned(),
            "null".to_owned(),
        )
    };
    let trace = format!("{:016x}{:016x}", rng.next(), rng.next());
    let span = format!("{:016x}", rng.next());
    writeln!(
        out,
        r#"{{"v":1,"ts":"{}","cid":"{cid}","xid":"{xid}","tid":"{tid}","index":{index},"parent":{parent},"root":{},"task":"{task}","kind":"task","state":"{state}","status":"{status}","reason":{reason},"metadata":{metadata},"input":{input},"duration_ms":{}.{:02},"retries":0,"rolled_back":{failed},"cause":null,"origin":{origin},"trace_id":"{trace}","span_id":"{span}","tags":["inventory"]}}"#,
        ts(millis),
        index == 0,
        rng.below(5),
        rng.below(100),
    )
}

fn generate(path: &Path) -> std::io::Result<()> {
    let tmp = path.with_extension("partial");
    let mut out = BufWriter::with_capacity(1 << 20, File::create(&tmp)?);
    let mut rng = Rng(0x5EED_1234_ABCD_0001);
    let mut millis: u64 = 1_795_600_000_000;
    let mut written = 0u64;
    let mut counter = CountingWriter {
        inner: &mut out,
        bytes: &mut written,
    };
    while *counter.bytes < TARGET_BYTES {
        millis += 1 + rng.below(40);
        let sku = format!("SKU-{:05}", rng.below(SKUS));
        let order = 100_000 + rng.below(900_000);
        let qty = 1 + rng.below(100);
        let xid = format!("req-{:012x}", rng.next() & 0xffff_ffff_ffff);
        let cid = uuid(&mut rng, millis);
        match rng.below(10) {
            0..=2 => {
                let input = format!(
                    r#"{{"sku":"{sku}","quantity":{qty},"warehouse_id":{}}}"#,
                    1 + rng.below(9)
                );
                write_line(
                    &mut counter,
                    &mut rng,
                    millis,
                    &cid,
                    &cid,
                    0,
                    None,
                    "Inventory::ReceiveStock",
                    &input,
                    false,
                    &xid,
                )?;
            }
            3..=6 => {
                let failed = rng.below(8) == 0;
                let input = format!(r#"{{"sku":"{sku}","quantity":{qty},"order_id":{order}}}"#);
                write_line(
                    &mut counter,
                    &mut rng,
                    millis,
                    &cid,
                    &cid,
                    0,
                    None,
                    "Inventory::ReserveStock",
                    &input,
                    failed,
                    &xid,
                )?;
            }
            _ => {
                let root = cid.clone();
                let wh = 1 + rng.below(9);
                let reserve = format!(r#"{{"sku":"{sku}","quantity":{qty},"order_id":{order}}}"#);
                let full = format!(
                    r#"{{"sku":"{sku}","quantity":{qty},"order_id":{order},"warehouse_id":{wh}}}"#
                );
                let t1 = uuid(&mut rng, millis);
                let t2 = uuid(&mut rng, millis + 1);
                write_line(
                    &mut counter,
                    &mut rng,
                    millis,
                    &cid,
                    &t1,
                    1,
                    Some(&root),
                    "Inventory::ReserveStock",
                    &reserve,
                    false,
                    &xid,
                )?;
                write_line(
                    &mut counter,
                    &mut rng,
                    millis + 1,
                    &cid,
                    &t2,
                    2,
                    Some(&root),
                    "Inventory::FulfillStock",
                    &full,
                    false,
                    &xid,
                )?;
                write_line(
                    &mut counter,
                    &mut rng,
                    millis + 2,
                    &cid,
                    &root,
                    0,
                    None,
                    "Inventory::ProcessOrder",
                    &full,
                    false,
                    &xid,
                )?;
            }
        }
    }
    out.flush()?;
    drop(out);
    fs::rename(tmp, path)
}

struct CountingWriter<'a, W> {
    inner: &'a mut W,
    bytes: &'a mut u64,
}

impl<W: Write> Write for CountingWriter<'_, W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        *self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

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
        generate(&path).expect("generate the ledger");
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
