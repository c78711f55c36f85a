//! Memory stays bounded whatever the input: an endless line is skipped
//! without being held, and sorts beyond `--sort-memory` spill to temporary
//! files and merge into exactly the in-memory order. Through the real
//! binary, with real pipes and files.

#[macro_use]
mod common;

use std::io::Write;
use std::process::{Command, Stdio};

use common::{inventory, read, temp_file};

fn good_line() -> String {
    String::from_utf8(read(&inventory()))
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .to_owned()
}

/// Runs `cmdx` with `stdin` written from a thread of its own (so a large
/// input cannot deadlock against the child's output); returns (exit code,
/// stdout, stderr).
fn run_streaming(
    args: &[&str],
    stdin: impl FnOnce(&mut dyn Write) -> std::io::Result<()> + Send + 'static,
) -> (Option<i32>, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_cmdx"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the cmdx binary runs");
    let mut pipe = child.stdin.take().expect("stdin is piped");
    let writer = std::thread::spawn(move || stdin(&mut pipe));
    let out = child.wait_with_output().expect("cmdx finishes");
    writer
        .join()
        .expect("the writer thread")
        .expect("cmdx read its whole input");
    (
        out.status.code(),
        String::from_utf8(out.stdout).expect("UTF-8"),
        String::from_utf8(out.stderr).expect("UTF-8"),
    )
}

#[test]
fn a_64_mib_line_without_newline_is_skipped_reported_and_the_rest_is_read() {
    let good = good_line();
    let line = good.clone();
    let (code, stdout, stderr) = run_streaming(
        &["ledger", "query", "--format", "ndjson", "-"],
        move |pipe| {
            writeln!(pipe, "{line}")?;
            let block = vec![b'x'; 1 << 20];
            for _ in 0..64 {
                pipe.write_all(&block)?;
            }
            // The over-long line ends; a good line follows it.
            writeln!(pipe)?;
            writeln!(pipe, "{line}")
        },
    );
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(stdout.lines().collect::<Vec<_>>(), [&good, &good]);
    assert!(
        stderr.contains("<stdin>:2: line longer than 1048576 bytes; line skipped"),
        "{stderr}"
    );
    assert!(stderr.contains("--max-line-bytes"), "{stderr}");
    assert!(stderr.contains("skipped 1 bad line in total"), "{stderr}");
}

#[test]
fn a_stream_that_never_ends_its_line_finishes_with_the_report() {
    // 64 MiB, no newline at all, then end of input.
    let (code, stdout, stderr) = run_streaming(
        &["ledger", "query", "--format", "ndjson", "--strict", "-"],
        |pipe| {
            let block = vec![b'{'; 1 << 20];
            for _ in 0..64 {
                pipe.write_all(&block)?;
            }
            Ok(())
        },
    );
    assert_eq!(stdout, "");
    assert!(
        stderr.contains("<stdin>:1: line longer than 1048576 bytes"),
        "{stderr}"
    );
    assert_eq!(code, Some(1), "--strict counts it as a bad line: {stderr}");
}

#[test]
fn the_line_cap_is_configurable_and_applies_to_lines_of_any_position() {
    let good = good_line();
    let long = format!(r#"{{"v":1,"pad":"{}"}}"#, "y".repeat(5_000));
    let file = temp_file(format!("{good}\n{long}\n{good}\n{long}").as_bytes());
    let path = file.path().to_str().unwrap();
    let out = common::cmdx(&[
        "ledger",
        "query",
        "--format",
        "ndjson",
        "--max-line-bytes",
        "4096",
        path,
    ]);
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(String::from_utf8(out.stdout).unwrap().lines().count(), 2);
    for line in [2, 4] {
        assert!(
            stderr.contains(&format!(":{line}: line longer than 4096 bytes")),
            "{stderr}"
        );
    }
    // The good lines are shorter than 4 KiB but not than 100 bytes.
    let out = common::cmdx(&["ledger", "query", "--max-line-bytes", "100", path]);
    assert_eq!(out.stdout, b"");
    assert!(
        String::from_utf8(out.stderr)
            .unwrap()
            .contains("skipped 4 bad lines in total")
    );
}

/// `count` valid lines with many equal times and durations (ties keep
/// file order), in no particular order.
fn shuffled_ledger(count: u32) -> tempfile::NamedTempFile {
    let good: serde_json::Value = serde_json::from_str(&good_line()).unwrap();
    let mut text = String::new();
    for i in 0..count {
        let mut line = good.clone();
        let second = (i * 7_919) % 53;
        line["ts"] = format!("2026-11-26T15:13:{second:02}.000Z").into();
        line["duration_ms"] = f64::from((i * 104_729) % 97).into();
        line["index"] = i.into();
        text.push_str(&line.to_string());
        text.push('\n');
    }
    temp_file(text.as_bytes())
}

fn stdout_of(args: &[&str], tmpdir: Option<&str>) -> String {
    let mut command = Command::new(env!("CARGO_BIN_EXE_cmdx"));
    command.args(common::backend::rewrite(args));
    if let Some(dir) = tmpdir {
        command.env("TMPDIR", dir);
    }
    let out = command.output().expect("cmdx runs");
    assert!(
        out.status.success(),
        "cmdx {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A valid ledger line of exactly `len` bytes (its input padded).
fn line_of(len: usize) -> String {
    let mut line: serde_json::Value = serde_json::from_str(&good_line()).unwrap();
    line["input"] = serde_json::json!({ "pad": "" });
    let bare = line.to_string().len();
    line["input"] = serde_json::json!({ "pad": "p".repeat(len - bare) });
    let text = line.to_string();
    assert_eq!(text.len(), len);
    text
}

#[test]
fn a_line_of_exactly_the_cap_is_read_and_one_byte_more_is_not() {
    // The cap equals the 2 MiB read chunk: the buffer is full of one line
    // exactly when the cap is reached.
    const CAP: usize = 2 << 20;
    let good = good_line();
    for (len, kept) in [(CAP, true), (CAP + 1, false)] {
        let file = temp_file(format!("{}\n{good}\n", line_of(len)).as_bytes());
        let out = common::cmdx(&[
            "ledger",
            "query",
            "--format",
            "ndjson",
            "--max-line-bytes",
            &CAP.to_string(),
            file.path().to_str().unwrap(),
        ]);
        let stderr = String::from_utf8(out.stderr).unwrap();
        let stdout = String::from_utf8(out.stdout).unwrap();
        let lines: Vec<&str> = stdout.lines().collect();
        assert_eq!(out.status.code(), Some(0), "{stderr}");
        if kept {
            assert_eq!(lines.len(), 2, "{len} bytes: {stderr}");
            assert_eq!(lines[0].len(), CAP);
            assert_eq!(stderr, "");
        } else {
            assert_eq!(lines, [good.as_str()], "{len} bytes");
            assert!(
                stderr.contains(":1: line longer than 2097152 bytes"),
                "{stderr}"
            );
        }
    }
}

#[test]
fn lines_after_a_skipped_one_keep_their_numbers_and_bytes() {
    // A file: the read that finds the over-long line's newline also holds
    // the lines after it.
    let good = good_line();
    let mut text = vec![b'x'; 3 << 20];
    text.extend_from_slice(format!("\n{good}\noops\n{good}\n").as_bytes());
    let file = temp_file(&text);
    let out = common::cmdx(&[
        "ledger",
        "query",
        "--format",
        "ndjson",
        file.path().to_str().unwrap(),
    ]);
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout.lines().collect::<Vec<_>>(), [&good, &good]);
    assert!(stderr.contains(":1: line longer than"), "{stderr}");
    assert!(stderr.contains(":3: not a JSON object"), "{stderr}");
    assert!(stderr.contains("skipped 2 bad lines in total"), "{stderr}");
}

on_every_backend! {
    fn sorts_spilled_to_disk_print_exactly_what_the_in_memory_sort_prints() {
        let file = shuffled_ledger(3_000);
        let path = file.path().to_str().unwrap();
        let cases: [&[&str]; 6] = [
            &["ledger", "query", "--format", "ndjson", "--sort", "ts"],
            &["ledger", "query", "--format", "json", "--sort", "duration"],
            &[
                "ledger", "query", "--format", "ndjson", "--sort", "ts", "--limit", "777",
            ],
            &["ledger", "timeline", "--format", "ndjson"],
            &["ledger", "timeline", "--format", "json", "--limit", "1500"],
            &[
                "ledger",
                "timeline",
                "--format",
                "ndjson",
                "--where",
                "quantity>=100",
            ],
        ];
        for case in cases {
            let in_memory = stdout_of(&[case, &[path]].concat(), None);
            // About 4 lines per run: hundreds of runs, merged in two passes.
            let spilled = stdout_of(&[case, &["--sort-memory", "2048", path]].concat(), None);
            assert!(!in_memory.is_empty());
            assert_eq!(spilled, in_memory, "{case:?}");
        }
        // The in-memory order is the stable sort by time.
        let rows: Vec<serde_json::Value> = common::ndjson(&stdout_of(
            &["ledger", "timeline", "--format", "ndjson", path],
            None,
        ));
        assert_eq!(rows.len(), 3_000);
        let keys: Vec<(String, u64)> = rows
            .iter()
            .map(|r| {
                (
                    r["ts"].as_str().unwrap().to_owned(),
                    r["index"].as_u64().unwrap(),
                )
            })
            .collect();
        let mut expected = keys.clone();
        expected.sort();
        assert_eq!(keys, expected, "by time, then file order");
    }

    fn a_sort_beyond_its_memory_uses_tmpdir_and_says_so_when_it_cannot() {
        let file = shuffled_ledger(50);
        let path = file.path().to_str().unwrap();
        let missing = tempfile::tempdir().unwrap();
        let nowhere = missing.path().join("gone");
        let nowhere = nowhere.to_str().unwrap();
        // Within its memory the sort never touches TMPDIR…
        stdout_of(
            &["ledger", "timeline", "--format", "ndjson", path],
            Some(nowhere),
        );
        // …beyond it, it writes runs there.
        let out = Command::new(env!("CARGO_BIN_EXE_cmdx"))
            .args(common::backend::rewrite(&[
                "ledger",
                "query",
                "--sort",
                "ts",
                "--sort-memory",
                "1",
                path,
            ]))
            .env("TMPDIR", nowhere)
            .output()
            .expect("cmdx runs");
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(
            stderr.contains(&format!(
                "cmdx: error: cannot sort: cannot create a temporary file for sorting in {nowhere}"
            )),
            "{stderr}"
        );
        assert!(
            stderr.contains("set TMPDIR to a writable directory"),
            "{stderr}"
        );
        assert_eq!(out.stdout, b"");
    }

    fn the_sort_memory_budget_counts_the_lines_bytes() {
        let file = shuffled_ledger(50);
        let size = std::fs::metadata(file.path()).unwrap().len();
        let path = file.path().to_str().unwrap();
        let missing = tempfile::tempdir().unwrap();
        let nowhere = missing.path().join("gone");
        let sort = |budget: u64| {
            Command::new(env!("CARGO_BIN_EXE_cmdx"))
                .args(common::backend::rewrite(&[
                    "ledger",
                    "timeline",
                    "--format",
                    "ndjson",
                    "--sort-memory",
                    &budget.to_string(),
                    path,
                ]))
                .env("TMPDIR", &nowhere)
                .output()
                .expect("cmdx runs")
                .status
                .code()
        };
        // Twice the input holds it all (the bookkeeping is tens of bytes a
        // line): TMPDIR, unwritable, is never touched…
        assert_eq!(sort(2 * size), Some(0));
        // …half of it does not: the sort spills, and cannot.
        assert_eq!(sort(size / 2), Some(2));
    }
}
