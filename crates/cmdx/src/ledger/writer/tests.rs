//! What the public API cannot show: wake-ups, the writer's state, the
//! fallback when no thread can start. Behaviour through the public API
//! (pipes, policies, flushes) is in `tests/ledger_writer.rs`.

use super::*;
use std::io;
use std::sync::Mutex;

/// A writer into shared memory.
#[derive(Clone, Default)]
struct Shared(Arc<Mutex<Vec<u8>>>);

impl Shared {
    fn lines(&self) -> Vec<String> {
        let bytes = self.0.lock().unwrap().clone();
        String::from_utf8(bytes)
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect()
    }
}

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn line(i: usize) -> Vec<u8> {
    format!("{{\"n\":{i}}}\n").into_bytes()
}

#[test]
fn lines_pushed_back_to_back_do_not_wake_the_writer_each_time() {
    let out = Shared::default();
    let writer = NonBlocking::writer(out.clone());
    let lines = 20_000;
    for i in 0..lines {
        writer.push(&line(i));
    }
    writer.flush().unwrap();
    assert_eq!(out.lines().len(), lines);
    let wakes = writer.queue().wakes();
    // One wake-up per quiet spell of the pushing thread, not per line.
    assert!(
        wakes < lines as u64 / 100,
        "{wakes} wake-ups for {lines} lines"
    );
}

#[test]
fn a_quiet_writer_sleeps_and_the_next_line_wakes_it() {
    let out = Shared::default();
    let writer = NonBlocking::writer(out.clone());
    writer.push(&line(0));
    writer.flush().unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while writer.queue().writer() != queue::Writer::Asleep {
        assert!(
            std::time::Instant::now() < deadline,
            "the writer never slept"
        );
        std::thread::sleep(worker::LINGER);
    }
    let before = writer.queue().wakes();
    writer.push(&line(1));
    assert_eq!(writer.queue().wakes(), before + 1);
    writer.flush().unwrap();
    assert_eq!(out.lines(), vec!["{\"n\":0}", "{\"n\":1}"]);
}

#[test]
fn without_a_writer_thread_the_finishing_thread_writes_and_nothing_is_lost() {
    let out = Shared::default();
    let writer = NonBlocking::builder()
        .capacity(64)
        .spawn_fails()
        .writer(out.clone());
    for i in 0..100 {
        writer.push(&line(i));
        // Written at once, by this thread: no flush needed.
        assert_eq!(out.lines().len(), i + 1);
    }
    assert_eq!(writer.queue().writer(), queue::Writer::Inline);
    let stats = writer.stats();
    assert_eq!((stats.written, stats.lost(), stats.queued), (100, 0, 0));
    writer.flush().unwrap();
}

#[test]
fn after_the_writer_thread_stopped_lines_are_failed_and_nobody_waits() {
    let writer = NonBlocking::builder()
        .capacity(1)
        .flush_timeout(Duration::from_secs(60))
        .writer(Shared::default());
    writer.queue().stopped(Some("a bug".into()));
    for i in 0..10 {
        writer.push(&line(i)); // Block policy, tiny queue: must not wait
    }
    writer.flush().unwrap();
    let stats = writer.stats();
    assert_eq!((stats.written, stats.failed, stats.queued), (0, 10, 0));
}

#[test]
fn a_line_larger_than_the_capacity_goes_through_an_empty_queue() {
    let out = Shared::default();
    let writer = NonBlocking::builder().capacity(8).writer(out.clone());
    let big = format!("{}\n", "x".repeat(1000));
    writer.push(big.as_bytes());
    writer.push(big.as_bytes());
    writer.flush().unwrap();
    assert_eq!(out.lines().len(), 2);
    assert_eq!(writer.stats().lost(), 0);
}

#[test]
fn a_push_waiting_for_room_gives_up_when_the_writer_thread_stops() {
    /// Blocks every write until the test lets it go.
    struct Gate(Arc<(Mutex<bool>, std::sync::Condvar)>);
    impl Write for Gate {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            let (open, opened) = &*self.0;
            let mut open = open.lock().unwrap();
            while !*open {
                open = opened.wait(open).unwrap();
            }
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    let gate = Arc::new((Mutex::new(false), std::sync::Condvar::new()));
    let writer = NonBlocking::builder()
        .capacity(1)
        .writer(Gate(gate.clone()));
    writer.push(&line(0)); // taken by the thread, which blocks in `write`
    let (pushed, waited) = std::sync::mpsc::channel();
    let blocked = writer.clone();
    std::thread::spawn(move || {
        blocked.push(&line(1)); // Block: waits for room
        let _ = pushed.send(());
    });
    std::thread::sleep(Duration::from_millis(100));
    assert!(waited.try_recv().is_err(), "the push waits for room");
    writer.queue().stopped(Some("a bug".into()));
    waited
        .recv_timeout(Duration::from_secs(10))
        .expect("a stopped writer releases the waiting push");
    let stats = writer.stats();
    // Line 0 was stranded in flight, line 1 came after the stop: both
    // counted, none left queued for a thread that is gone.
    assert_eq!((stats.failed, stats.queued), (2, 0), "{stats:?}");
    // (A real stop ends the thread; this one lives on: let it finish.)
    drop(writer);
    *gate.0.lock().unwrap() = true;
    gate.1.notify_all();
}

#[test]
fn the_batch_buffer_is_kept_for_reuse_unless_an_outsized_line_grew_it() {
    let writer = NonBlocking::builder()
        .capacity(1024)
        .writer(Shared::default());
    writer.push(&line(0));
    writer.flush().unwrap();
    assert!(
        writer.queue().spare_capacity() > 0,
        "kept for the next batch"
    );
    let huge = format!("{}\n", "x".repeat(64 * 1024));
    writer.push(huge.as_bytes());
    writer.flush().unwrap();
    assert_eq!(writer.queue().spare_capacity(), 0, "64 KiB not kept");
}

#[test]
fn flush_returns_once_the_lines_are_written_not_at_the_timeout() {
    let out = Shared::default();
    let writer = NonBlocking::builder()
        .flush_timeout(Duration::from_secs(120))
        .writer(SlowShared(out.clone()));
    let (flushed, done) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for i in 0..3 {
            writer.push(&line(i));
            writer.flush().unwrap();
        }
        let _ = flushed.send(());
    });
    done.recv_timeout(Duration::from_secs(30))
        .expect("each flush returns when its lines are written");
    assert_eq!(out.lines().len(), 3);
}

/// Sleeps 50 ms per write: flushes have to wait a little.
struct SlowShared(Shared);

impl Write for SlowShared {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        std::thread::sleep(Duration::from_millis(50));
        self.0.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn the_last_handle_dropped_by_the_writer_itself_does_not_wait_for_itself() {
    /// Drops the handle it holds at its first write.
    struct DropsHandle {
        handle: Arc<Mutex<Option<NonBlocking>>>,
        dropped: std::sync::mpsc::Sender<()>,
    }
    impl Write for DropsHandle {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            let handle = self.handle.lock().unwrap().take();
            drop(handle); // the last one: closes the queue, from its own thread
            let _ = self.dropped.send(());
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    let slot = Arc::new(Mutex::new(None));
    let (dropped, closed) = std::sync::mpsc::channel();
    let writer = NonBlocking::builder()
        .flush_timeout(Duration::from_secs(120))
        .writer(DropsHandle {
            handle: slot.clone(),
            dropped,
        });
    *slot.lock().unwrap() = Some(writer.clone());
    writer.push(&line(0));
    drop(writer);
    closed
        .recv_timeout(Duration::from_secs(30))
        .expect("closing from the writer thread returns at once");
}
