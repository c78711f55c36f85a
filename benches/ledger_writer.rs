//! What writing its ledger line costs an execution, in one run: one locked
//! `write_all` per line on the finishing thread (what `Ledger::stdout()` and
//! `Ledger::writer()` did before the background writer; written here as a
//! `LedgerSink`, the baseline) against the `NonBlocking` writer (the line is
//! copied into a queue, a thread writes batches). Destinations: `/dev/null`,
//! and a pipe drained by a reader thread; one thread, then two threads
//! executing side by side (the baseline's one mutex is then shared).

use cmdx::ledger::NonBlocking;
use cmdx::prelude::*;
use cmdx::{Ledger, LedgerSink, Record, Runtime};
use criterion::{Criterion, criterion_group, criterion_main};
use std::fs::File;
use std::hint::black_box;
use std::io::{Read, Write};
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Debug, Serialize, Deserialize, Validate)]
struct Reserve {
    #[garde(length(min = 1))]
    sku: String,
    #[garde(range(min = 1))]
    quantity: i64,
}

impl Task for Reserve {
    type Output = i64;
    fn name() -> &'static str {
        "Reserve"
    }
    async fn work(&self, _: &mut Cx) -> Result<i64, Halt> {
        Ok(self.quantity)
    }
}

fn task() -> Reserve {
    Reserve {
        sku: black_box("SKU-1234").to_owned(),
        quantity: black_box(5),
    }
}

/// The baseline: the finishing thread writes its line, behind one mutex.
struct Synchronous<W>(Mutex<W>);

impl<W: Write + Send + 'static> LedgerSink for Synchronous<W> {
    fn write(&self, line: &[u8], _: &Record) {
        let mut out = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let _ = out.write_all(line).and_then(|()| out.flush());
    }
}

fn devnull() -> File {
    File::options()
        .write(true)
        .open("/dev/null")
        .expect("/dev/null")
}

/// A pipe whose reader thread reads everything as it comes.
fn drained_pipe() -> std::io::PipeWriter {
    let (mut reader, writer) = std::io::pipe().expect("a pipe");
    std::thread::spawn(move || {
        let mut buf = vec![0; 1 << 16];
        while matches!(reader.read(&mut buf), Ok(n) if n > 0) {}
    });
    writer
}

fn runtime(ledger: Ledger) -> Runtime {
    Runtime::builder().ledger(ledger).build()
}

/// `iters` executions split over two threads, each on its own
/// current-thread tokio runtime; the wall time of the whole.
fn two_threads(runtime: &Runtime, iters: u64) -> Duration {
    let start = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..2 {
            scope.spawn(|| {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .build()
                    .expect("a runtime");
                rt.block_on(runtime.scope(async {
                    for _ in 0..iters / 2 {
                        let _ = black_box(task().execute().await);
                    }
                }));
            });
        }
    });
    start.elapsed()
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a current-thread runtime");
    let off = runtime(Ledger::off());
    let null_sync = runtime(Ledger::custom(Synchronous(Mutex::new(devnull()))));
    let null_writer = NonBlocking::writer(devnull());
    let null_async = runtime(null_writer.clone().into());
    let pipe_sync = runtime(Ledger::custom(Synchronous(Mutex::new(drained_pipe()))));
    let pipe_writer = NonBlocking::writer(drained_pipe());
    let pipe_async = runtime(pipe_writer.clone().into());

    let mut group = c.benchmark_group("ledger_writer");
    group
        .sample_size(30)
        .measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_secs(1));
    group.bench_function("ledger off", |b| {
        b.to_async(&rt).iter(|| off.scope(task().execute()));
    });
    group.bench_function("/dev/null, write_all per line (baseline)", |b| {
        b.to_async(&rt).iter(|| null_sync.scope(task().execute()));
    });
    group.bench_function("/dev/null, NonBlocking", |b| {
        b.to_async(&rt).iter(|| null_async.scope(task().execute()));
    });
    group.bench_function("pipe, write_all per line (baseline)", |b| {
        b.to_async(&rt).iter(|| pipe_sync.scope(task().execute()));
    });
    group.bench_function("pipe, NonBlocking", |b| {
        b.to_async(&rt).iter(|| pipe_async.scope(task().execute()));
    });
    group.bench_function("pipe, 2 threads, write_all per line (baseline)", |b| {
        b.iter_custom(|iters| two_threads(&pipe_sync, iters));
    });
    group.bench_function("pipe, 2 threads, NonBlocking", |b| {
        b.iter_custom(|iters| two_threads(&pipe_async, iters));
    });
    group.finish();
    for (name, writer) in [("/dev/null", &null_writer), ("pipe", &pipe_writer)] {
        writer.flush().expect("the destination is read");
        let stats = writer.stats();
        assert_eq!(stats.lost(), 0, "{name}: {stats:?}");
        eprintln!("# {name}: {} lines written, 0 lost", stats.written);
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
