//! The `cmdx` binary: a thin shell around [`cmdx_cli::run`].

use std::process::ExitCode;

fn main() -> ExitCode {
    cmdx_cli::run()
}
