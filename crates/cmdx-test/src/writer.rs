//! [`SharedWriter`]: a `Write` into memory that tests can read back.

use serde_json::Value;
use std::io::{self, Write};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A [`Write`] into shared memory, optionally slow, for
/// `Ledger::writer`: clones share the bytes, so the test keeps one and
/// reads what the ledger wrote.
///
/// ```
/// use cmdx_test::SharedWriter;
/// use std::io::Write;
///
/// let out = SharedWriter::new();
/// out.clone().write_all(b"{\"n\":1}\n").unwrap();
/// assert_eq!(out.lines()[0]["n"], 1);
/// assert_eq!(out.threads(), vec![std::thread::current().name().unwrap_or("").to_owned()]);
/// ```
#[derive(Debug, Clone, Default)]
pub struct SharedWriter {
    bytes: Arc<Mutex<Vec<u8>>>,
    threads: Arc<Mutex<Vec<String>>>,
    delay: Duration,
}

impl SharedWriter {
    /// An empty, fast writer.
    pub fn new() -> Self {
        Self::default()
    }

    /// A writer whose every `write` call first sleeps `delay` (a slow
    /// destination).
    pub fn slow(delay: Duration) -> Self {
        Self {
            delay,
            ..Self::default()
        }
    }

    /// Everything written so far.
    pub fn bytes(&self) -> Vec<u8> {
        lock(&self.bytes).clone()
    }

    /// The JSON lines written so far, parsed (see
    /// [`json_lines`](crate::json_lines) for the rules).
    pub fn lines(&self) -> Vec<Value> {
        crate::json_lines(&lock(&self.bytes))
    }

    /// The name of the thread of each `write` call, in order (`""` for
    /// unnamed threads).
    pub fn threads(&self) -> Vec<String> {
        lock(&self.threads).clone()
    }
}

impl Write for SharedWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if !self.delay.is_zero() {
            std::thread::sleep(self.delay);
        }
        let name = std::thread::current().name().unwrap_or("").to_owned();
        lock(&self.threads).push(name);
        lock(&self.bytes).extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
