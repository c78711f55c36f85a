//! Where a writer thread puts its batches: the [`Destination`] trait, and
//! the stream destinations behind [`NonBlocking::stdout`] and
//! [`NonBlocking::writer`].
//!
//! [`NonBlocking::stdout`]: super::NonBlocking::stdout
//! [`NonBlocking::writer`]: super::NonBlocking::writer

use std::io::{self, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// A destination for batches of whole ledger lines, driven by one writer
/// thread. `write` may block (that is what the thread is for) and may fail;
/// a panic is caught by the thread and counted as a failure of the batch.
pub(crate) trait Destination: Send + 'static {
    /// Writes every line of `batch`, in order.
    fn write(&mut self, batch: &Batch<'_>) -> Result<(), Failure>;

    /// The writer thread is ending normally (the queue closed and is
    /// empty): release what needs a clean goodbye (a database connection).
    fn close(&mut self) {}
}

/// Whole lines, each ending in `\n`, in the order they were queued.
pub(crate) struct Batch<'a> {
    bytes: &'a [u8],
    lines: u64,
    progress: &'a AtomicU64,
}

impl<'a> Batch<'a> {
    pub(super) fn new(bytes: &'a [u8], lines: u64, progress: &'a AtomicU64) -> Self {
        Self {
            bytes,
            lines,
            progress,
        }
    }

    /// The lines, back to back.
    pub(crate) fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// How many lines there are.
    pub(crate) fn len(&self) -> u64 {
        self.lines
    }

    /// The counter of bytes accepted, for a batch derived from this one.
    pub(super) fn progress(&self) -> &'a AtomicU64 {
        self.progress
    }

    /// Each line, without its `\n`.
    pub(crate) fn lines(&self) -> impl Iterator<Item = &'a [u8]> {
        let bytes = self.bytes.strip_suffix(b"\n").unwrap_or(self.bytes);
        bytes
            .split(|&b| b == b'\n')
            .filter(|_| !self.bytes.is_empty())
    }

    /// Tells waiting flushes that `bytes` more bytes reached the
    /// destination (a slow but live reader is not a stuck one).
    pub(crate) fn advanced(&self, bytes: usize) {
        self.progress.fetch_add(bytes as u64, Ordering::Relaxed);
    }
}

/// A batch that did not make it whole.
#[derive(Debug)]
pub(crate) struct Failure {
    /// How many lines, from the start of the batch, were written whole.
    pub(crate) written: u64,
    /// What went wrong, for the note on stderr.
    pub(crate) reason: String,
}

/// Any [`Write`]: one `write_all` per batch (`EINTR` retried at once,
/// `WouldBlock` retried after a short sleep, never dropped), then `flush`.
pub(super) struct Stream<W> {
    out: W,
    /// The last failure stopped in the middle of a line: the next batch
    /// starts with a `\n`, so the torn piece stays a line of its own instead
    /// of corrupting the next one.
    torn: bool,
}

impl<W: Write> Stream<W> {
    pub(super) fn new(out: W) -> Self {
        Self { out, torn: false }
    }

    fn write_batch(&mut self, batch: &Batch<'_>) -> Result<(), Failure> {
        if self.torn && write_all(&mut self.out, b"\n", &|_| {}).is_ok() {
            self.torn = false;
        }
        let bytes = batch.bytes();
        if let Err((done, error)) = write_all(&mut self.out, bytes, &|n| batch.advanced(n)) {
            self.torn = done > 0 && bytes[done - 1] != b'\n';
            let written = bytes[..done].iter().filter(|&&b| b == b'\n').count() as u64;
            return Err(Failure {
                written,
                reason: error.to_string(),
            });
        }
        retrying(|| self.out.flush()).map_err(|error| Failure {
            written: 0,
            reason: format!("flush failed: {error}"),
        })
    }
}

impl<W: Write + Send + 'static> Destination for Stream<W> {
    fn write(&mut self, batch: &Batch<'_>) -> Result<(), Failure> {
        self.write_batch(batch)
    }
}

/// The process's stdout. Batches are written through a duplicate of file
/// descriptor 1 (no hidden `LineWriter` buffer: what `write` accepted is on
/// the pipe), while holding `std::io::stdout()`'s lock, so a `println!`
/// elsewhere never lands inside a line. The descriptor is duplicated at the
/// first batch; if stdout is closed, every batch fails and is counted.
pub(super) struct Stdout {
    stream: Option<Result<Stream<std::fs::File>, String>>,
}

impl Stdout {
    pub(super) fn new() -> Self {
        Self { stream: None }
    }
}

impl Destination for Stdout {
    fn write(&mut self, batch: &Batch<'_>) -> Result<(), Failure> {
        let _serialized = io::stdout().lock();
        let stream = self.stream.get_or_insert_with(|| {
            duplicate_stdout()
                .map(Stream::new)
                .map_err(|error| format!("stdout is not open ({error})"))
        });
        match stream {
            Ok(stream) => stream.write_batch(batch),
            Err(reason) => Err(Failure {
                written: 0,
                reason: reason.clone(),
            }),
        }
    }
}

#[cfg(unix)]
fn duplicate_stdout() -> io::Result<std::fs::File> {
    use std::os::fd::AsFd;
    io::stdout()
        .as_fd()
        .try_clone_to_owned()
        .map(std::fs::File::from)
}

#[cfg(windows)]
fn duplicate_stdout() -> io::Result<std::fs::File> {
    use std::os::windows::io::AsHandle;
    io::stdout()
        .as_handle()
        .try_clone_to_owned()
        .map(std::fs::File::from)
}

#[cfg(not(any(unix, windows)))]
fn duplicate_stdout() -> io::Result<std::fs::File> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "no way to reach stdout's descriptor on this platform",
    ))
}

/// `write_all` that retries `Interrupted` at once and `WouldBlock` after a
/// short sleep; on another error, how far it got and the error.
fn write_all(
    out: &mut impl Write,
    bytes: &[u8],
    advanced: &dyn Fn(usize),
) -> Result<(), (usize, io::Error)> {
    let mut done = 0;
    let mut backoff = Backoff::default();
    while done < bytes.len() {
        match out.write(&bytes[done..]) {
            Ok(0) => return Err((done, io::ErrorKind::WriteZero.into())),
            Ok(n) => {
                done += n;
                advanced(n);
                backoff = Backoff::default();
            }
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => backoff.sleep(),
            Err(error) => return Err((done, error)),
        }
    }
    Ok(())
}

/// Runs `op` until it succeeds or fails with something other than
/// `Interrupted` / `WouldBlock`.
fn retrying(mut op: impl FnMut() -> io::Result<()>) -> io::Result<()> {
    let mut backoff = Backoff::default();
    loop {
        match op() {
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => backoff.sleep(),
            other => return other,
        }
    }
}

/// 50 µs, doubling up to 10 ms: a non-blocking pipe that is full is polled
/// often enough to keep up with its reader, rarely enough to cost nothing.
#[derive(Default)]
struct Backoff(u32);

impl Backoff {
    const FIRST: Duration = Duration::from_micros(50);
    const MAX: Duration = Duration::from_millis(10);

    fn sleep(&mut self) {
        let delay = Self::FIRST
            .saturating_mul(1 << self.0.min(16))
            .min(Self::MAX);
        self.0 += 1;
        std::thread::sleep(delay);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::VecDeque;

    /// Replays scripted results, then accepts everything.
    struct Scripted {
        script: VecDeque<io::Result<usize>>,
        out: Vec<u8>,
    }

    impl Write for Scripted {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            let n = match self.script.pop_front() {
                Some(Ok(n)) => n.min(buf.len()),
                Some(Err(error)) => return Err(error),
                None => buf.len(),
            };
            self.out.extend_from_slice(&buf[..n]);
            Ok(n)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn stream(script: Vec<io::Result<usize>>) -> Stream<Scripted> {
        Stream::new(Scripted {
            script: script.into(),
            out: Vec::new(),
        })
    }

    fn batch<'a>(bytes: &'a [u8], progress: &'a AtomicU64) -> Batch<'a> {
        let lines = bytes.iter().filter(|&&b| b == b'\n').count() as u64;
        Batch::new(bytes, lines, progress)
    }

    #[test]
    fn interrupted_and_would_block_are_retried_without_losing_a_byte() {
        let progress = AtomicU64::new(0);
        let mut out = stream(vec![
            Err(io::ErrorKind::Interrupted.into()),
            Ok(3),
            Err(io::ErrorKind::WouldBlock.into()),
            Err(io::ErrorKind::WouldBlock.into()),
            Ok(2),
        ]);
        out.write_batch(&batch(b"one\ntwo\nthree\n", &progress))
            .unwrap();
        assert_eq!(out.out.out, b"one\ntwo\nthree\n");
        assert_eq!(progress.load(Ordering::Relaxed), 14);
    }

    #[test]
    fn a_failure_counts_the_whole_lines_written_and_the_next_batch_closes_the_torn_one() {
        let progress = AtomicU64::new(0);
        let mut out = stream(vec![Ok(6), Err(io::ErrorKind::BrokenPipe.into())]);
        let failure = out
            .write_batch(&batch(b"one\ntwo\nthree\n", &progress))
            .unwrap_err();
        assert_eq!(failure.written, 1, "only `one` made it whole");
        assert!(failure.reason.contains("pipe"), "{}", failure.reason);
        out.write_batch(&batch(b"four\n", &progress)).unwrap();
        assert_eq!(out.out.out, b"one\ntw\nfour\n", "`four` stays parseable");
    }

    #[test]
    fn a_failure_on_a_line_boundary_adds_no_newline() {
        let progress = AtomicU64::new(0);
        let mut out = stream(vec![Ok(4), Err(io::ErrorKind::Other.into())]);
        assert!(out.write_batch(&batch(b"one\ntwo\n", &progress)).is_err());
        out.write_batch(&batch(b"six\n", &progress)).unwrap();
        assert_eq!(out.out.out, b"one\nsix\n");
    }

    #[test]
    fn a_writer_accepting_nothing_fails_instead_of_spinning() {
        let progress = AtomicU64::new(0);
        let mut out = stream(vec![Ok(0)]);
        let failure = out.write_batch(&batch(b"one\n", &progress)).unwrap_err();
        assert_eq!(failure.written, 0);
    }

    #[test]
    fn a_batch_splits_into_its_lines() {
        let progress = AtomicU64::new(0);
        let lines: Vec<&[u8]> = batch(b"a\nbc\n", &progress).lines().collect();
        assert_eq!(lines, vec![&b"a"[..], &b"bc"[..]]);
        assert_eq!(batch(b"a\nbc\n", &progress).len(), 2);
        assert_eq!(batch(b"", &progress).lines().count(), 0);
    }
}
