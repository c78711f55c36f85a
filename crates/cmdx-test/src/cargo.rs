//! [`build_example`]: a workspace example as a real child process.

use serde_json::Value;
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// Builds `example` of `package` in this workspace with Cargo (a no-op
/// when it is fresh: `cargo test` builds examples already) and gives back
/// the path of its executable, as Cargo reports it. `release` builds with
/// `--release` (for measurements).
///
/// # Panics
///
/// If the build fails (with the compiler's messages) or Cargo names no
/// executable.
pub fn build_example(package: &str, example: &str, release: bool) -> PathBuf {
    let manifest = concat!(env!("CARGO_MANIFEST_DIR"), "/../../Cargo.toml");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| env!("CARGO").to_owned());
    let mut command = Command::new(cargo);
    command
        .args(["build", "-q", "--manifest-path", manifest])
        .args(["-p", package, "--example", example])
        .arg("--message-format=json")
        .stderr(Stdio::inherit());
    if release {
        command.arg("--release");
    }
    let output = command.output().expect("cargo runs");
    let messages: Vec<Value> = output
        .stdout
        .split(|&b| b == b'\n')
        .filter_map(|line| serde_json::from_slice(line).ok())
        .collect();
    let diagnostics: Vec<&str> = messages
        .iter()
        .filter_map(|message| message["message"]["rendered"].as_str())
        .collect();
    assert!(
        output.status.success(),
        "building the example {example} failed:\n{}",
        diagnostics.join("\n")
    );
    messages
        .iter()
        .filter(|message| message["target"]["name"] == example)
        .find_map(|message| message["executable"].as_str().map(PathBuf::from))
        .unwrap_or_else(|| panic!("cargo named no executable for the example {example}"))
}
