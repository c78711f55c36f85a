//! The support ticket — `cmdx ledger timeline --where sku=SKU-04242` — on
//! the same generated ledger three ways, in the same run: the NDJSON scan
//! (the baseline), a SQLite ledger database and a PostgreSQL one (a
//! throwaway cluster started by the bench), both through `--db`, their
//! indexes doing the search.
//!
//! Size: `CMDX_BENCH_DB_LINES` lines (default 200 000 for a quick run; the
//! article's figure is 1 800 000). The NDJSON file and the SQLite file are
//! built once per size under the target directory (`bench-data/`) and
//! reused; PostgreSQL is loaded each run, then `VACUUM ANALYZE`d (what
//! autovacuum does on a live server). Times are whole `cmdx` processes, so
//! they include starting, connecting and checking the schema. Run with
//! `CMDX_BENCH_DB_LINES=1800000 cargo bench -p cmdx-cli --bench ledger_db`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use cmdx_store::Store;
use cmdx_store::seal::Sealer;
use criterion::{Criterion, SamplingMode};

#[path = "support/generate.rs"]
mod generate;

/// The SKU of the support ticket.
const SKU: &str = "SKU-04242";
const BIN: &str = env!("CARGO_BIN_EXE_cmdx");
/// Lines appended per transaction while loading.
const BATCH: usize = 10_000;

/// Seconds per run, per source, collected for the summary.
static TIMES: Mutex<Vec<(&'static str, f64)>> = Mutex::new(Vec::new());

fn lines_wanted() -> u64 {
    std::env::var("CMDX_BENCH_DB_LINES")
        .ok()
        .and_then(|v| v.trim().replace('_', "").parse().ok())
        .unwrap_or(200_000)
}

fn data_dir() -> PathBuf {
    let dir = Path::new(BIN)
        .parent()
        .and_then(Path::parent)
        .unwrap_or(Path::new("."))
        .join("bench-data");
    fs::create_dir_all(&dir).expect("create the bench-data directory");
    dir
}

/// The NDJSON ledger of about `n` lines (generated once).
fn ledger(n: u64) -> PathBuf {
    let path = data_dir().join(format!("ledger-{n}-lines-v1.ndjson"));
    if !path.exists() {
        eprintln!("generating {} …", path.display());
        generate::generate(&path, |_, lines| lines >= n).expect("generate the ledger");
    }
    path
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

/// Seals the ledger's lines (one writer) and appends them to `url` in
/// batches; returns the lines stored.
fn load(url: &str, ledger: &Path) -> u64 {
    let started = Instant::now();
    let text = fs::read_to_string(ledger).expect("read the ledger");
    let mut sealer = Sealer::new(uuid::Uuid::now_v7());
    let mut stored = 0u64;
    runtime().block_on(async {
        let mut store = Store::open(url).await.expect("open the database");
        let mut batch: Vec<String> = Vec::with_capacity(BATCH);
        for line in text.lines() {
            batch.push(sealer.seal(line).expect("seal"));
            if batch.len() == BATCH {
                let refs: Vec<&str> = batch.iter().map(String::as_str).collect();
                store.append(&refs).await.expect("append");
                stored += batch.len() as u64;
                batch.clear();
            }
        }
        let refs: Vec<&str> = batch.iter().map(String::as_str).collect();
        store.append(&refs).await.expect("append");
        stored += batch.len() as u64;
        store.close().await;
    });
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "loaded {stored} lines into {url} in {secs:.1} s ({:.0} lines/s)",
        stored as f64 / secs
    );
    stored
}

fn vacuum(url: &str) {
    use sqlx::Connection as _;
    runtime().block_on(async {
        let mut conn = sqlx::PgConnection::connect(url).await.expect("connect");
        sqlx::raw_sql("VACUUM ANALYZE cmdx_lines")
            .execute(&mut conn)
            .await
            .expect("vacuum");
        let _ = conn.close().await;
    });
}

/// The SQLite ledger of the same lines (built once, through a `.partial`).
fn sqlite(n: u64, ledger: &Path) -> String {
    let path = data_dir().join(format!("ledger-{n}-lines-v1.db"));
    if !path.exists() {
        let partial = path.with_extension("partial");
        let _ = fs::remove_file(&partial);
        load(&format!("sqlite:{}", partial.display()), ledger);
        fs::rename(&partial, &path).expect("keep the SQLite ledger");
    }
    format!("sqlite:{}", path.display())
}

fn timeline(source: &[&str]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.args([
        "ledger",
        "timeline",
        "--where",
        &format!("sku={SKU}"),
        "--format",
        "ndjson",
    ])
    .args(source);
    cmd
}

/// Runs a command with its stdout drained; returns the output bytes.
fn run(cmd: &mut Command, name: &str) -> Vec<u8> {
    let out = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .expect("run cmdx");
    assert!(
        out.status.success(),
        "{name} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
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
    let n = lines_wanted();
    let path = ledger(n);
    let file = path.to_str().expect("a UTF-8 path").to_owned();
    let lite = sqlite(n, &path);
    let cluster = cmdx_test::postgres::Cluster::start().expect("a PostgreSQL cluster");
    let pg = cluster.url();
    let stored = load(&pg, &path);
    // What autovacuum does on a live server after a bulk load: statistics
    // for the planner, and the GIN indexes' pending lists merged (a scan of
    // a pending list is linear in it).
    vacuum(&pg);

    let sources: [(&'static str, Vec<&str>); 3] = [
        ("ndjson scan", vec![file.as_str()]),
        ("sqlite", vec!["--db", lite.as_str()]),
        ("postgres", vec!["--db", pg.as_str()]),
    ];
    // The same answer from the three, or the comparison means nothing.
    let answers: Vec<Vec<u8>> = sources
        .iter()
        .map(|(name, source)| run(&mut timeline(source), name))
        .collect();
    let rows = answers[0].iter().filter(|&&b| b == b'\n').count();
    assert!(rows > 0, "the SKU has executions");
    assert!(
        answers.iter().all(|a| *a == answers[0]),
        "the sources disagree"
    );
    eprintln!("{rows} timeline rows for {SKU} out of {stored} lines, identical from all three");

    let mut criterion = Criterion::default().configure_from_args();
    let mut group = criterion.benchmark_group(format!("support_ticket_{stored}_lines"));
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(5));
    for (name, source) in &sources {
        let mut cmd = timeline(source);
        group.bench_function(*name, |b| {
            b.iter_custom(|iters| {
                let start = Instant::now();
                for _ in 0..iters {
                    run(&mut cmd, name);
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
    criterion.final_summary();
    drop(cluster);

    let (scan, lite, pg) = (median("ndjson scan"), median("sqlite"), median("postgres"));
    println!("\nSupport ticket over {stored} lines (median of runs, whole process):");
    for (name, t) in [("ndjson scan", scan), ("sqlite", lite), ("postgres", pg)] {
        println!("  {name:12} {:9.2} ms", t * 1e3);
    }
    println!("  sqlite vs scan:   {:.1}x faster", scan / lite);
    println!("  postgres vs scan: {:.1}x faster", scan / pg);
}
