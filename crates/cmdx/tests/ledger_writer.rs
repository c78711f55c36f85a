//! The non-blocking ledger writer against real pipes: slow, stuck, closed
//! and non-blocking readers. Counts only, no timings (timeouts only catch
//! hangs).

use cmdx::ledger::{FullQueue, NonBlocking, WriterStats};
use cmdx::prelude::*;
use cmdx::{Ledger, LedgerLevel, Runtime};
use cmdx_test::pipe::{self, PausedReader};
use cmdx_test::{SharedWriter, json_lines};
use serde_json::Value;
use std::collections::HashMap;
use std::io::{self, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One line per execution, numbered.
#[derive(Debug, Serialize, Deserialize, Validate)]
struct Numbered {
    #[garde(skip)]
    n: usize,
    #[garde(skip)]
    padding: String,
}

impl Numbered {
    fn new(n: usize) -> Self {
        Self {
            n,
            padding: String::new(),
        }
    }

    /// A line of about `bytes` bytes.
    fn sized(n: usize, bytes: usize) -> Self {
        Self {
            n,
            padding: "x".repeat(bytes),
        }
    }
}

impl Task for Numbered {
    type Output = ();
    fn name() -> &'static str {
        "Numbered"
    }
    async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
        Ok(())
    }
}

/// A root with two children: three lines, children first.
#[derive(Debug, Serialize, Deserialize, Validate)]
struct Parent {
    #[garde(skip)]
    n: usize,
}

impl Task for Parent {
    type Output = ();
    fn name() -> &'static str {
        "Parent"
    }
    async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
        let (a, b) = tokio::join!(Numbered::new(0).execute(), Numbered::new(1).execute());
        assert!(a.is_success() && b.is_success());
        Ok(())
    }
}

/// Writes no line (a read).
#[derive(Debug, Serialize, Deserialize, Validate)]
struct Quiet {}

impl Task for Quiet {
    type Output = ();
    fn name() -> &'static str {
        "Quiet"
    }
    fn settings() -> Settings {
        Settings::new().ledger(LedgerLevel::Off)
    }
    async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
        Ok(())
    }
}

fn runtime(ledger: &NonBlocking) -> Runtime {
    Runtime::builder().ledger(ledger.clone()).build()
}

/// `task.execute()` under `runtime`, as a `'static` future to spawn.
fn scoped<T: Task>(
    runtime: &Runtime,
    task: T,
) -> impl Future<Output = Outcome<T::Output>> + use<T> {
    let runtime = runtime.clone();
    async move { runtime.scope(task.execute()).await }
}

fn multi_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn current_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn numbers(lines: &[Value]) -> Vec<usize> {
    lines
        .iter()
        .map(|line| line["input"]["n"].as_u64().unwrap() as usize)
        .collect()
}

/// Closes the pipe (drops every handle) and reads what reached it.
fn close_and_read(ledger: NonBlocking, reader: PausedReader) -> (Vec<Value>, WriterStats) {
    let mut reader = reader;
    reader.resume();
    ledger.flush().expect("the reader reads");
    let stats = ledger.stats();
    drop(ledger);
    (json_lines(&reader.finish()), stats)
}

#[test]
fn lines_reach_the_pipe_in_the_order_executions_finished() {
    let (reader, writer) = io::pipe().unwrap();
    let reader = PausedReader::new(reader);
    let ledger = NonBlocking::writer(writer);
    let runtime = runtime(&ledger);
    current_thread().block_on(runtime.scope(async {
        for n in 0..300 {
            assert!(Numbered::new(n).execute().await.is_success());
        }
    }));
    drop(runtime);
    let (lines, stats) = close_and_read(ledger, reader);
    assert_eq!(numbers(&lines), (0..300).collect::<Vec<_>>());
    assert_eq!((stats.written, stats.lost()), (300, 0));
}

#[test]
fn concurrent_chains_keep_children_before_their_parent() {
    let (reader, writer) = io::pipe().unwrap();
    let mut reader = PausedReader::new(reader);
    reader.resume();
    let ledger = NonBlocking::writer(writer);
    let runtime = runtime(&ledger);
    multi_thread().block_on(async {
        let roots: Vec<_> = (0..200)
            .map(|n| tokio::spawn(scoped(&runtime, Parent { n })))
            .collect();
        for root in roots {
            assert!(root.await.unwrap().is_success());
        }
    });
    drop(runtime);
    let (lines, stats) = close_and_read(ledger, reader);
    assert_eq!((lines.len(), stats.lost()), (600, 0));
    let mut seen: HashMap<&str, Vec<u64>> = HashMap::new();
    for line in &lines {
        let cid = line["cid"].as_str().unwrap();
        seen.entry(cid)
            .or_default()
            .push(line["index"].as_u64().unwrap());
    }
    assert_eq!(seen.len(), 200);
    for (cid, indexes) in seen {
        assert_eq!(indexes.len(), 3, "{cid}");
        assert_eq!(indexes[2], 0, "chain {cid}: the root's line is last");
    }
}

#[test]
fn the_destination_is_written_by_the_writer_thread_never_by_the_finishing_task() {
    let out = SharedWriter::new();
    let ledger = NonBlocking::writer(out.clone());
    let runtime = runtime(&ledger);
    multi_thread().block_on(async {
        for n in 0..50 {
            let _ = tokio::spawn(scoped(&runtime, Numbered::new(n))).await;
        }
    });
    ledger.flush().unwrap();
    assert_eq!(out.lines().len(), 50);
    let threads = out.threads();
    assert!(!threads.is_empty());
    assert!(
        threads.iter().all(|name| name == "cmdx-ledger"),
        "{threads:?}"
    );
}

#[test]
fn executions_finish_while_the_reader_of_the_pipe_is_not_reading() {
    let (reader, mut writer) = io::pipe().unwrap();
    pipe::fill(&mut writer).unwrap();
    let reader = PausedReader::new(reader);
    let ledger = NonBlocking::writer(writer); // Block, 1 MiB
    let runtime = runtime(&ledger);
    current_thread().block_on(runtime.scope(async {
        for n in 0..200 {
            assert!(Numbered::sized(n, 200).execute().await.is_success());
        }
    }));
    // The writer thread is stuck on the full pipe; the lines wait in memory.
    assert!(ledger.stats().queued > 0, "{:?}", ledger.stats());
    drop(runtime);
    let (lines, stats) = close_and_read(ledger, reader);
    assert_eq!(numbers(&lines), (0..200).collect::<Vec<_>>());
    assert_eq!(stats.lost(), 0);
}

#[test]
fn with_block_a_full_queue_makes_only_line_writing_executions_wait_and_loses_nothing() {
    // Declared first, dropped last: if an assertion fails, the reader is
    // dropped (and resumes) first, so the blocked workers can end.
    let tokio = multi_thread();
    let (reader, mut writer) = io::pipe().unwrap();
    pipe::fill(&mut writer).unwrap();
    let mut reader = PausedReader::new(reader);
    let capacity = 2048;
    let ledger = NonBlocking::builder().capacity(capacity).writer(writer);
    let runtime = runtime(&ledger);
    let writers = 40;
    let finished = Arc::new(AtomicUsize::new(0));
    let handles: Vec<_> = (0..writers)
        .map(|n| {
            let (runtime, finished) = (runtime.clone(), finished.clone());
            tokio.spawn(async move {
                let outcome = runtime.scope(Numbered::sized(n, 300).execute()).await;
                finished.fetch_add(1, Ordering::SeqCst);
                outcome
            })
        })
        .collect();
    // Let the writers fill the pipe and the queue, and block.
    let mut last = usize::MAX;
    for _ in 0..100 {
        std::thread::sleep(Duration::from_millis(50));
        let now = finished.load(Ordering::SeqCst);
        if now == last && ledger.stats().queued_bytes > capacity / 2 {
            break;
        }
        last = now;
    }
    let stats = ledger.stats();
    assert!(stats.queued_bytes <= capacity, "{stats:?}");
    // Executions that write no line run on the same two workers meanwhile.
    // (Waited for on this thread: a tokio timer would need a free worker.)
    let (done, quiet_done) = std::sync::mpsc::channel();
    let quiet_runtime = runtime.clone();
    tokio.spawn(async move {
        let mut successes = 0;
        for _ in 0..20 {
            let outcome = quiet_runtime.scope(Quiet {}.execute()).await;
            successes += usize::from(outcome.is_success());
        }
        let _ = done.send(successes);
    });
    let successes = quiet_done
        .recv_timeout(Duration::from_secs(20))
        .expect("executions writing no line are not blocked by a full queue");
    assert_eq!(successes, 20);
    let blocked = writers - finished.load(Ordering::SeqCst);
    assert!(blocked > 0, "with the reader paused, line writers wait");
    reader.resume();
    tokio.block_on(async {
        for handle in handles {
            let outcome = tokio::time::timeout(Duration::from_secs(60), handle)
                .await
                .expect("the writers resume with the reader")
                .unwrap();
            assert!(outcome.is_success());
        }
    });
    drop((runtime, tokio));
    let (lines, stats) = close_and_read(ledger, reader);
    let mut seen = numbers(&lines);
    seen.sort_unstable();
    assert_eq!(seen, (0..writers).collect::<Vec<_>>(), "no line lost");
    assert_eq!((stats.written, stats.lost()), (writers as u64, 0));
}

#[test]
fn with_drop_newest_a_full_queue_drops_and_counts_every_line() {
    let (reader, mut writer) = io::pipe().unwrap();
    pipe::fill(&mut writer).unwrap();
    let reader = PausedReader::new(reader);
    let ledger = NonBlocking::builder()
        .capacity(2048)
        .full_queue(FullQueue::DropNewest)
        .writer(writer);
    let runtime = runtime(&ledger);
    current_thread().block_on(runtime.scope(async {
        for n in 0..100 {
            assert!(Numbered::sized(n, 300).execute().await.is_success());
        }
    }));
    let dropped = ledger.stats().dropped;
    assert!(dropped > 0, "{:?}", ledger.stats());
    drop(runtime);
    let (lines, stats) = close_and_read(ledger, reader);
    assert_eq!(
        stats.dropped, dropped,
        "nothing dropped after the executions"
    );
    assert_eq!(stats.written + stats.dropped, 100);
    assert_eq!((stats.failed, stats.queued), (0, 0));
    assert_eq!(lines.len() as u64, stats.written, "every line counted");
    let numbers = numbers(&lines);
    assert!(numbers.windows(2).all(|w| w[0] < w[1]), "{numbers:?}");
}

#[test]
fn a_closed_pipe_fails_lines_and_never_blocks_an_execution() {
    let (reader, writer) = io::pipe().unwrap();
    drop(reader);
    let ledger = NonBlocking::builder().capacity(512).writer(writer);
    let runtime = runtime(&ledger);
    current_thread().block_on(runtime.scope(async {
        for n in 0..200 {
            assert!(Numbered::new(n).execute().await.is_success());
        }
    }));
    ledger
        .flush()
        .expect("a dead destination is not a stuck one");
    let stats = ledger.stats();
    assert_eq!((stats.written, stats.failed, stats.queued), (0, 200, 0));
}

#[test]
fn a_non_blocking_pipe_loses_no_line() {
    let (reader, mut writer) = io::pipe().unwrap();
    pipe::fill(&mut writer).unwrap();
    pipe::set_nonblocking(&writer, true).unwrap();
    let mut reader = PausedReader::new(reader);
    let ledger = NonBlocking::writer(writer);
    let runtime = runtime(&ledger);
    current_thread().block_on(runtime.scope(async {
        for n in 0..500 {
            assert!(Numbered::sized(n, 200).execute().await.is_success());
        }
    }));
    // The writer has been getting `WouldBlock`; the reader now drains.
    std::thread::sleep(Duration::from_millis(100));
    reader.resume();
    drop(runtime);
    let (lines, stats) = close_and_read(ledger, reader);
    assert_eq!(numbers(&lines), (0..500).collect::<Vec<_>>());
    assert_eq!((stats.written, stats.lost()), (500, 0));
}

#[test]
fn a_panicking_writer_loses_only_its_batch_and_the_writer_carries_on() {
    #[derive(Clone, Default)]
    struct PanicsOnce(SharedWriter, Arc<AtomicUsize>);
    impl Write for PanicsOnce {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if self.1.fetch_add(1, Ordering::SeqCst) == 0 {
                panic!("the writer's bug");
            }
            self.0.write(buf)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    let out = PanicsOnce::default();
    let ledger = NonBlocking::writer(out.clone());
    let runtime = runtime(&ledger);
    let tokio = current_thread();
    assert!(
        tokio
            .block_on(runtime.scope(Numbered::new(0).execute()))
            .is_success()
    );
    ledger.flush().unwrap();
    assert_eq!((ledger.stats().written, ledger.stats().failed), (0, 1));
    tokio.block_on(runtime.scope(async {
        let _ = Numbered::new(1).execute().await;
        let _ = Numbered::new(2).execute().await;
    }));
    ledger.flush().unwrap();
    assert_eq!((ledger.stats().written, ledger.stats().failed), (2, 1));
    assert_eq!(numbers(&out.0.lines()), vec![1, 2]);
}

#[test]
fn flush_gives_up_when_the_destination_accepts_nothing() {
    let (reader, mut writer) = io::pipe().unwrap();
    pipe::fill(&mut writer).unwrap();
    let ledger = NonBlocking::builder()
        .flush_timeout(Duration::from_millis(300))
        .writer(writer);
    let runtime = runtime(&ledger);
    current_thread().block_on(runtime.scope(async {
        for n in 0..5 {
            let _ = Numbered::sized(n, 4096).execute().await;
        }
    }));
    let error = ledger.flush().expect_err("nobody reads the pipe");
    assert!(error.pending() > 0 && error.pending() <= 5, "{error}");
    assert!(error.to_string().contains("still queued"), "{error}");
    drop(reader); // the writer's blocked write now fails
    ledger.flush().unwrap();
    assert_eq!(ledger.stats().lost(), ledger.stats().failed);
    assert_eq!(ledger.stats().written + ledger.stats().failed, 5);
}

#[test]
fn dropping_the_last_handle_writes_every_queued_line() {
    let out = SharedWriter::slow(Duration::from_millis(20));
    let ledger = Ledger::writer(out.clone());
    let runtime = Runtime::builder().ledger(ledger.clone()).build();
    current_thread().block_on(runtime.scope(async {
        for n in 0..50 {
            let _ = Numbered::new(n).execute().await;
        }
    }));
    drop((runtime, ledger));
    assert_eq!(numbers(&out.lines()), (0..50).collect::<Vec<_>>());
}

#[test]
fn a_thread_that_exits_flushes_the_lines_it_queued() {
    let out = SharedWriter::slow(Duration::from_millis(50));
    let ledger = NonBlocking::writer(out.clone());
    let runtime = runtime(&ledger);
    std::thread::spawn(move || {
        current_thread().block_on(runtime.scope(async {
            for n in 0..20 {
                let _ = Numbered::new(n).execute().await;
            }
        }));
    })
    .join()
    .unwrap();
    // `ledger` is still alive: the thread's exit did the flush.
    assert_eq!(numbers(&out.lines()), (0..20).collect::<Vec<_>>());
    assert_eq!(ledger.stats().queued, 0);
}

#[test]
fn a_writer_that_executes_tasks_neither_deadlocks_nor_waits_for_itself() {
    /// Each of its first three writes runs a task logging to the same
    /// ledger (whose queue holds one line), and flushes it.
    #[derive(Clone)]
    struct Reentrant {
        out: SharedWriter,
        runtime: Arc<Mutex<Option<Runtime>>>,
        calls: Arc<AtomicUsize>,
    }
    impl Write for Reentrant {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if self.calls.fetch_add(1, Ordering::SeqCst) < 3 {
                let runtime = self.runtime.lock().unwrap().clone().unwrap();
                let outcome =
                    futures::executor::block_on(runtime.scope(Numbered::new(99).execute()));
                assert!(outcome.is_success());
                runtime.ledger().flush().unwrap();
            }
            self.out.write(buf)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    let reentrant = Reentrant {
        out: SharedWriter::new(),
        runtime: Arc::default(),
        calls: Arc::default(),
    };
    let ledger = NonBlocking::builder().capacity(1).writer(reentrant.clone());
    let runtime = runtime(&ledger);
    *reentrant.runtime.lock().unwrap() = Some(runtime.clone());
    current_thread().block_on(runtime.scope(async {
        for n in 0..5 {
            let _ = Numbered::new(n).execute().await;
        }
    }));
    ledger.flush().unwrap();
    let stats = ledger.stats();
    let accepted = stats.written + stats.lost();
    assert_eq!(accepted, 5 + 3, "{stats:?}");
    assert_eq!(stats.failed, 0);
    *reentrant.runtime.lock().unwrap() = None; // break the cycle
}

#[test]
fn a_thread_that_wrote_to_two_ledgers_flushes_both_when_it_exits() {
    // The first is slow and the second fast: only a flush of the first at
    // thread exit (not the second's) waits for the first's lines.
    let (first, second) = (
        SharedWriter::slow(Duration::from_millis(50)),
        SharedWriter::new(),
    );
    let (a, b) = (
        NonBlocking::writer(first.clone()),
        NonBlocking::writer(second.clone()),
    );
    let (runtime_a, runtime_b) = (runtime(&a), runtime(&b));
    std::thread::spawn(move || {
        current_thread().block_on(async {
            for n in 0..10 {
                // Alternating: each switch registers the other ledger again.
                let _ = runtime_a.scope(Numbered::new(n).execute()).await;
                let _ = runtime_b.scope(Numbered::new(n).execute()).await;
            }
        });
    })
    .join()
    .unwrap();
    assert_eq!(numbers(&first.lines()), (0..10).collect::<Vec<_>>());
    assert_eq!(numbers(&second.lines()), (0..10).collect::<Vec<_>>());
}
