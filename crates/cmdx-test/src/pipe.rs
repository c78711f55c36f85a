//! Real pipes for testing a ledger writer against a hostile stdout: a
//! reader that does not read until told to, a pipe filled to the brim so
//! the next write blocks, non-blocking descriptors.
//!
//! ```
//! use cmdx_test::pipe::{self, PausedReader};
//! use std::io::Write;
//!
//! let (reader, mut writer) = std::io::pipe().unwrap();
//! pipe::fill(&mut writer).unwrap(); // a blocking write would now wait
//! let mut reader = PausedReader::new(reader);
//! reader.resume();
//! writer.write_all(b"{\"n\":1}\n").unwrap();
//! drop(writer);
//! let output = reader.finish();
//! assert_eq!(cmdx_test::json_lines(&output).len(), 1);
//! ```

use std::io::{self, PipeWriter, Read, Write};
use std::os::fd::AsFd;
use std::sync::mpsc;
use std::thread::JoinHandle;

/// A thread holding the read end of a pipe: it reads nothing until
/// [`resume`](Self::resume), then everything until end of file.
#[derive(Debug)]
pub struct PausedReader {
    go: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<Vec<u8>>>,
}

impl PausedReader {
    /// Starts the thread, paused.
    pub fn new(mut reader: impl Read + Send + 'static) -> Self {
        let (go, wait) = mpsc::channel::<()>();
        let thread = std::thread::spawn(move || {
            let _ = wait.recv();
            let mut bytes = Vec::new();
            let _ = reader.read_to_end(&mut bytes);
            bytes
        });
        Self {
            go: Some(go),
            thread: Some(thread),
        }
    }

    /// Starts reading (once; later calls do nothing).
    pub fn resume(&mut self) {
        if let Some(go) = self.go.take() {
            let _ = go.send(());
        }
    }

    /// Resumes if needed and returns everything read until every write end
    /// of the pipe was closed.
    pub fn finish(mut self) -> Vec<u8> {
        self.resume();
        self.thread
            .take()
            .expect("finish is called once")
            .join()
            .expect("the reader thread does not panic")
    }
}

impl Drop for PausedReader {
    /// A test that failed early still lets its reader drain and end.
    fn drop(&mut self) {
        self.resume();
    }
}

/// Fills `pipe` until a write would block, with 4 KiB lines of `#` (writes
/// of at most `PIPE_BUF` bytes are all-or-nothing, so no line is cut), then
/// makes it blocking again. Gives back how many bytes it wrote. Skip the
/// filler with [`json_lines`](crate::json_lines).
pub fn fill(pipe: &mut PipeWriter) -> io::Result<usize> {
    let mut filler = vec![b'#'; 4096];
    filler[4095] = b'\n';
    set_nonblocking(&*pipe, true)?;
    let mut total = 0;
    let result = loop {
        match pipe.write(&filler) {
            Ok(n) => total += n,
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => break Ok(total),
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => break Err(error),
        }
    };
    set_nonblocking(&*pipe, false)?;
    result
}

/// Sets or clears `O_NONBLOCK` on a descriptor (a pipe handed to a child
/// as its stdout, for example).
pub fn set_nonblocking(fd: impl AsFd, on: bool) -> io::Result<()> {
    rustix::io::ioctl_fionbio(fd, on).map_err(io::Error::from)
}
