//! Bad input is counted, reported with file:line and skipped; gzip and stdin.

#[macro_use]
mod common;

use std::io::Write;

use common::{cmdx, cmdx_with_stdin, expected_tids, inventory, ndjson, read, temp_file};

/// The inventory fixture with `bad` inserted after its first line; the bad
/// line is line 2 of the file.
fn with_bad_line(bad: &str) -> tempfile::NamedTempFile {
    let text = String::from_utf8(read(&inventory())).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    lines.insert(1, bad);
    temp_file(format!("{}\n", lines.join("\n")).as_bytes())
}

fn good_line() -> String {
    String::from_utf8(read(&inventory()))
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .to_owned()
}

/// Runs a query over `file`; returns (exit code, stdout lines, stderr).
fn run(args: &[&str], file: &tempfile::NamedTempFile) -> (Option<i32>, usize, String) {
    let path = file.path().to_str().unwrap();
    let mut all = vec!["ledger", "query", "--format", "ndjson"];
    all.extend_from_slice(args);
    all.push(path);
    let out = cmdx(&all);
    let stdout = String::from_utf8(out.stdout).unwrap();
    (
        out.status.code(),
        stdout.lines().count(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn assert_skipped_with_location(bad: &str, reason: &str) {
    let file = with_bad_line(bad);
    let (code, printed, stderr) = run(&[], &file);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(
        printed,
        common::lines(&inventory()).len(),
        "every good line still answers"
    );
    let location = format!("{}:2:", file.path().display());
    assert!(stderr.contains(&location), "file:line in {stderr}");
    assert!(stderr.contains(reason), "`{reason}` in {stderr}");
    assert!(stderr.contains("skipped 1 bad line in total"), "{stderr}");
}

#[test]
fn a_malformed_line_is_reported_and_skipped() {
    assert_skipped_with_location(r#"{"v":1,"ts":,,}"#, "invalid ledger line");
}

#[test]
fn a_truncated_line_is_reported_as_truncated() {
    let line = good_line();
    assert_skipped_with_location(&line[..line.len() / 2], "truncated");
}

#[test]
fn another_programs_text_log_line_is_reported_as_foreign() {
    assert_skipped_with_location(
        "2026-11-26 10:00:01 INFO nginx started",
        "not a JSON object",
    );
}

#[test]
fn another_programs_json_log_line_is_reported_as_not_a_ledger_line() {
    assert_skipped_with_location(
        r#"{"level":"info","msg":"listening","port":8080}"#,
        "without a schema version",
    );
}

#[test]
fn a_line_of_an_unknown_schema_version_is_reported() {
    let line = good_line().replacen(r#""v":1"#, r#""v":3"#, 1);
    assert_skipped_with_location(&line, "unknown schema version v=3");
}

#[test]
fn a_line_with_an_unknown_field_is_reported() {
    let line = good_line().replacen(r#""tags":[]"#, r#""tags":[],"colour":"red""#, 1);
    assert_skipped_with_location(&line, "unknown field `colour`");
}

#[test]
fn a_bad_line_is_reported_even_when_the_prefilter_skips_it() {
    let file = with_bad_line("garbage");
    let (code, printed, stderr) = run(&["--where", "sku=SKU-5678"], &file);
    assert_eq!(code, Some(0));
    let expected = expected_tids(&inventory(), |l| l["input"]["sku"] == "SKU-5678").len();
    assert!(expected >= 3);
    assert_eq!(printed, expected);
    assert!(stderr.contains(":2: not a JSON object"), "{stderr}");
}

#[test]
fn strict_mode_exits_non_zero_after_answering() {
    let file = with_bad_line("garbage");
    let (code, printed, stderr) = run(&["--strict"], &file);
    assert_eq!(code, Some(1), "{stderr}");
    assert_eq!(printed, common::lines(&inventory()).len());
    assert!(stderr.contains("--strict: 1 bad line"), "{stderr}");
}

#[test]
fn only_the_first_five_bad_lines_are_listed_then_a_count() {
    let mut text = String::new();
    for i in 0..8 {
        text.push_str(&format!("junk {i}\n"));
    }
    text.push_str(&good_line());
    let file = temp_file(text.as_bytes());
    let (code, printed, stderr) = run(&[], &file);
    assert_eq!((code, printed), (Some(0), 1));
    assert_eq!(stderr.matches("line skipped").count(), 5, "{stderr}");
    assert!(
        stderr.contains(":5: ") && !stderr.contains(":6: "),
        "{stderr}"
    );
    assert!(stderr.contains("and 3 more bad lines"), "{stderr}");
    assert!(stderr.contains("skipped 8 bad lines in total"), "{stderr}");
}

#[test]
fn blank_lines_and_crlf_endings_are_not_errors() {
    let text = String::from_utf8(read(&inventory()))
        .unwrap()
        .replace('\n', "\r\n\n");
    let file = temp_file(text.as_bytes());
    let (code, printed, stderr) = run(&[], &file);
    assert_eq!(
        (code, printed),
        (Some(0), common::lines(&inventory()).len())
    );
    assert!(stderr.is_empty(), "{stderr}");
}

#[test]
fn a_last_line_without_newline_is_read() {
    let text = String::from_utf8(read(&inventory())).unwrap();
    let file = temp_file(text.trim_end().as_bytes());
    let (_, printed, _) = run(&[], &file);
    assert_eq!(printed, common::lines(&inventory()).len());
}

#[test]
fn gzip_files_are_read_transparently() {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&read(&inventory())).unwrap();
    let file = temp_file(&gz.finish().unwrap());
    let (code, printed, stderr) = run(&["--status", "failed"], &file);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(
        printed,
        expected_tids(&inventory(), |l| l["status"] == "failed").len()
    );
}

#[test]
fn a_dash_reads_stdin() {
    let out = cmdx_with_stdin(
        &["ledger", "query", "--format", "ndjson", "--root", "-"],
        &read(&inventory()),
    );
    assert!(out.status.success());
    let rows = ndjson(&String::from_utf8(out.stdout).unwrap());
    assert_eq!(
        common::column(&rows, "/tid"),
        expected_tids(&inventory(), |l| l["root"] == true)
    );
}

#[test]
fn no_file_reads_stdin_and_reports_it_by_name() {
    let mut input = read(&inventory());
    input.extend_from_slice(b"oops\n");
    let out = cmdx_with_stdin(&["ledger", "stats", "--format", "ndjson"], &input);
    assert!(out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    let line = common::lines(&inventory()).len() + 1;
    assert!(stderr.contains(&format!("<stdin>:{line}:")), "{stderr}");
}

#[test]
fn a_missing_file_is_an_error_naming_it() {
    let out = cmdx(&["ledger", "query", "/no/such/ledger.ndjson"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/no/such/ledger.ndjson"));
}

// Where robustness applies to databases too: a clean ledger passes
// `--strict`, and an escaped value still matches (in SQL, `json_extract`
// and `@>` compare decoded strings).
on_every_backend! {
    fn strict_mode_passes_on_a_clean_ledger() {
        let out = cmdx(&[
            "ledger",
            "query",
            "--strict",
            "--format",
            "ndjson",
            &inventory(),
        ]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.stderr.is_empty());
    }

    fn an_escaped_value_still_matches_through_the_prefilter() {
        let line = good_line().replacen(r#""sku":"SKU-1234""#, r#""sku":"SKU\u002d1234""#, 1);
        let file = temp_file(format!("{line}\n").as_bytes());
        let (_, printed, stderr) = run(&["--where", "sku=SKU-1234"], &file);
        assert_eq!(printed, 1, "{stderr}");
    }
}
