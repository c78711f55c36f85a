//! How a command fails: a message for stderr and an exit status.

use std::fmt;
use std::io;

/// A failed command. Exit status 1: `--strict` saw bad lines, or nothing was
/// found; 2: bad arguments or unreadable input.
#[derive(Debug)]
pub(crate) struct Failure {
    code: u8,
    message: String,
    broken_pipe: bool,
}

impl Failure {
    /// Bad arguments (exit status 2).
    pub(crate) fn usage(message: impl Into<String>) -> Self {
        Self {
            code: 2,
            message: message.into(),
            broken_pipe: false,
        }
    }

    /// The command ran but its answer is a failure (exit status 1).
    pub(crate) fn answer(message: impl Into<String>) -> Self {
        Self {
            code: 1,
            message: message.into(),
            broken_pipe: false,
        }
    }

    /// An input could not be read (exit status 2).
    pub(crate) fn input(name: &str, err: &io::Error) -> Self {
        Self::usage(format!("cannot read {name}: {err}"))
    }

    /// Sorting failed: its temporary files could not be written or read
    /// back (exit status 2).
    pub(crate) fn sort(err: &io::Error) -> Self {
        Self::usage(format!("cannot sort: {err}"))
    }

    /// The exit status.
    pub(crate) fn code(&self) -> u8 {
        self.code
    }

    /// Whether the reader of stdout went away (`cmdx … | head`): not an error.
    pub(crate) fn is_broken_pipe(&self) -> bool {
        self.broken_pipe
    }
}

impl From<io::Error> for Failure {
    fn from(err: io::Error) -> Self {
        Self {
            code: 2,
            broken_pipe: err.kind() == io::ErrorKind::BrokenPipe,
            message: format!("cannot write the output: {err}"),
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}
