//! `cmdx ledger verify`: an intact sealed file or database passes with a
//! summary; an edited line, an edited column, a deleted row, a reordering
//! and an unsealed line each fail at the right first broken link.

#[macro_use]
mod common;

use cmdx_store::seal::Sealer;
use common::backend::{database_with, execute, row_ids};
use common::{cmdx, inventory, temp_file, workflow};

/// The inventory and workflow demo lines, sealed by two writers whose lines
/// interleave (as two processes writing one ledger), and the writers' ids.
fn sealed_ledger() -> (Vec<String>, [String; 2]) {
    let read = |path: &str| -> Vec<String> {
        std::fs::read_to_string(path)
            .unwrap()
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(str::to_owned)
            .collect()
    };
    let (a, b) = (read(&inventory()), read(&workflow()));
    let mut one = Sealer::new(uuid::Uuid::now_v7());
    let mut two = Sealer::new(uuid::Uuid::now_v7());
    let wids = [one.wid().to_string(), two.wid().to_string()];
    let mut lines = Vec::new();
    for i in 0..a.len().max(b.len()) {
        if let Some(line) = a.get(i) {
            lines.push(one.seal(line).unwrap());
        }
        if let Some(line) = b.get(i) {
            lines.push(two.seal(line).unwrap());
        }
    }
    (lines, wids)
}

fn file_of(lines: &[String]) -> tempfile::NamedTempFile {
    temp_file(format!("{}\n", lines.join("\n")).as_bytes())
}

/// Runs `cmdx ledger verify ARGS`: (exit code, stdout, stderr).
fn verify(args: &[&str]) -> (Option<i32>, String, String) {
    let mut all = vec!["ledger", "verify"];
    all.extend_from_slice(args);
    let out = cmdx(&all);
    (
        out.status.code(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// The 1-based position of the line of `writer`'s `seq` in `lines`.
fn position(lines: &[String], wid: &str, seq: u64) -> usize {
    let seal = format!(r#""seal":{{"wid":"{wid}","seq":{seq},"#);
    lines.iter().position(|l| l.contains(&seal)).unwrap() + 1
}

#[test]
fn an_intact_sealed_file_passes_with_a_summary_of_its_writers() {
    let (lines, wids) = sealed_ledger();
    let file = file_of(&lines);
    let (code, stdout, stderr) = verify(&[file.path().to_str().unwrap()]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stdout.starts_with(&format!("intact: {} lines from 2 writers\n", lines.len())),
        "{stdout}"
    );
    for wid in &wids {
        assert!(stdout.contains(&format!("writer {wid}: ")), "{stdout}");
    }
}

#[test]
fn a_chain_goes_on_across_rotated_files_given_in_order() {
    let (lines, _) = sealed_ledger();
    let (first, second) = lines.split_at(lines.len() / 2);
    let (a, b) = (file_of(first), file_of(second));
    let (a, b) = (a.path().to_str().unwrap(), b.path().to_str().unwrap());
    assert_eq!(verify(&[a, b]).0, Some(0));
    let (code, _, stderr) = verify(&[b, a]);
    assert_eq!(code, Some(1));
    assert!(
        stderr.contains(&format!("broken chain at {b}:1: ")),
        "{stderr}"
    );
}

#[test]
fn an_edited_line_is_a_hash_mismatch_at_its_line() {
    let (mut lines, wids) = sealed_ledger();
    let at = position(&lines, &wids[0], 3);
    lines[at - 1] = lines[at - 1].replacen("\"success\"", "\"failed\"", 1);
    let file = file_of(&lines);
    let path = file.path().to_str().unwrap();
    let (code, stdout, stderr) = verify(&[path]);
    assert_eq!(code, Some(1), "{stdout}");
    assert!(
        stderr.contains(&format!(
            "broken chain at {path}:{at}: writer {}: hash mismatch at seq 3",
            wids[0]
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("; {} line(s) verified before it", at - 1)),
        "{stderr}"
    );
    assert!(stdout.is_empty());
}

#[test]
fn a_deleted_line_is_a_missing_seq_at_the_next_line_of_its_writer() {
    let (mut lines, wids) = sealed_ledger();
    let at = position(&lines, &wids[1], 2);
    lines.remove(at - 1);
    let next = position(&lines, &wids[1], 3);
    let file = file_of(&lines);
    let path = file.path().to_str().unwrap();
    let (code, _, stderr) = verify(&[path]);
    assert_eq!(code, Some(1));
    assert!(
        stderr.contains(&format!(
            "{path}:{next}: writer {}: seq 2 missing (found seq 3)",
            wids[1]
        )),
        "{stderr}"
    );
}

#[test]
fn two_lines_of_a_writer_swapped_break_at_the_first_of_them() {
    let (mut lines, wids) = sealed_ledger();
    let (x, y) = (position(&lines, &wids[0], 4), position(&lines, &wids[0], 5));
    lines.swap(x - 1, y - 1);
    let file = file_of(&lines);
    let path = file.path().to_str().unwrap();
    let (code, _, stderr) = verify(&[path]);
    assert_eq!(code, Some(1));
    assert!(
        stderr.contains(&format!(
            "{path}:{x}: writer {}: seq 4 missing (found seq 5)",
            wids[0]
        )),
        "{stderr}"
    );
}

#[test]
fn a_line_without_a_seal_is_reported_as_unsealed() {
    let (mut lines, _) = sealed_ledger();
    let plain = std::fs::read_to_string(inventory()).unwrap();
    lines.insert(6, plain.lines().next().unwrap().to_owned());
    let file = file_of(&lines);
    let path = file.path().to_str().unwrap();
    let (code, _, stderr) = verify(&[path]);
    assert_eq!(code, Some(1));
    assert!(
        stderr.contains(&format!("broken chain at {path}:7: unsealed line")),
        "{stderr}"
    );
}

#[test]
fn a_line_over_the_cap_cannot_be_verified_and_fails() {
    let (lines, _) = sealed_ledger();
    let file = file_of(&lines);
    let path = file.path().to_str().unwrap();
    let (code, _, stderr) = verify(&["--max-line-bytes", "100", path]);
    assert_eq!(code, Some(1));
    assert!(
        stderr.contains(&format!(
            "cannot verify {path}:1: line longer than 100 bytes"
        )),
        "{stderr}"
    );
}

#[test]
fn the_other_commands_read_a_sealed_file_and_print_lines_without_their_seal() {
    let (lines, _) = sealed_ledger();
    let file = file_of(&lines);
    let out = common::ok(&[
        "ledger",
        "query",
        "--format",
        "ndjson",
        file.path().to_str().unwrap(),
    ]);
    let originals: String = [inventory(), workflow()]
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect();
    assert_eq!(out.lines().count(), lines.len());
    for line in out.lines() {
        assert!(!line.contains("\"seal\""), "{line}");
        assert!(originals.lines().any(|o| o == line), "verbatim: {line}");
    }
}

/// The id of the row holding the line of `wid`'s `seq`.
fn row_of(url: &str, lines: &[String], wid: &str, seq: u64) -> i64 {
    row_ids(url)[position(lines, wid, seq) - 1]
}

fn db_verify(url: &str) -> (Option<i32>, String, String) {
    verify(&["--db", url])
}

on_databases! {
    fn an_intact_database_passes_with_a_summary_of_its_writers() {
        let (lines, wids) = sealed_ledger();
        let url = database_with(&lines);
        let (code, stdout, stderr) = db_verify(&url);
        assert_eq!(code, Some(0), "{stderr}");
        assert!(
            stdout.starts_with(&format!("intact: {} lines from 2 writers\n", lines.len())),
            "{stdout}"
        );
        assert!(stdout.contains(&wids[1]), "{stdout}");
    }

    fn a_status_edited_in_its_column_only_is_caught_against_the_line() {
        let (lines, _) = sealed_ledger();
        let url = database_with(&lines);
        let failed = lines
            .iter()
            .position(|l| l.contains("\"status\":\"failed\""))
            .expect("a failed line");
        let id = row_ids(&url)[failed];
        execute(&url, &format!("UPDATE cmdx_lines SET status = 'success' WHERE id = {id}"));
        let (code, _, stderr) = db_verify(&url);
        assert_eq!(code, Some(1));
        assert!(
            stderr.contains(&format!(
                "row {id}: column status is \"success\" but the row's sealed line says \"failed\""
            )),
            "{stderr}"
        );
    }

    fn an_edited_line_is_a_hash_mismatch_at_its_row() {
        let (lines, wids) = sealed_ledger();
        let url = database_with(&lines);
        let id = row_of(&url, &lines, &wids[1], 4);
        execute(
            &url,
            &format!("UPDATE cmdx_lines SET line = replace(line, '\"index\":', '\"index\": ') WHERE id = {id}"),
        );
        let (code, _, stderr) = db_verify(&url);
        assert_eq!(code, Some(1));
        assert!(
            stderr.contains(&format!("row {id}: writer {}: hash mismatch at seq 4", wids[1])),
            "{stderr}"
        );
    }

    fn a_deleted_row_is_a_missing_seq_at_the_next_row_of_its_writer() {
        let (lines, wids) = sealed_ledger();
        let url = database_with(&lines);
        let gone = row_of(&url, &lines, &wids[0], 5);
        let next = row_of(&url, &lines, &wids[0], 6);
        execute(&url, &format!("DELETE FROM cmdx_lines WHERE id = {gone}"));
        let (code, _, stderr) = db_verify(&url);
        assert_eq!(code, Some(1));
        assert!(
            stderr.contains(&format!("row {next}: writer {}: seq 5 missing (found seq 6)", wids[0])),
            "{stderr}"
        );
    }

    fn two_rows_swapped_break_at_the_first_of_them() {
        let (lines, wids) = sealed_ledger();
        let url = database_with(&lines);
        let (x, y) = (row_of(&url, &lines, &wids[1], 1), row_of(&url, &lines, &wids[1], 2));
        // Every column but `id` trades places (through a copy: (wid, seq) is unique).
        let columns = "wid, seq, hash, line_kind, v, ts, cid, xid, tid, idx, parent, root, task, \
                       kind, state, status, reason, metadata, input, duration_ms, retries, \
                       rolled_back, cause, origin, compensates, trace_id, span_id, tags, level, \
                       target, message, fields, line";
        execute(&url, &format!(
            "CREATE TEMP TABLE swap AS SELECT * FROM cmdx_lines WHERE id IN ({x}, {y});
             UPDATE cmdx_lines SET seq = -1 - seq WHERE id IN ({x}, {y});
             UPDATE cmdx_lines SET ({columns}) = (SELECT {columns} FROM swap WHERE swap.id = {y}) WHERE id = {x};
             UPDATE cmdx_lines SET ({columns}) = (SELECT {columns} FROM swap WHERE swap.id = {x}) WHERE id = {y};"
        ));
        let (code, _, stderr) = db_verify(&url);
        assert_eq!(code, Some(1));
        assert!(
            stderr.contains(&format!("row {x}: writer {}: seq 1 missing (found seq 2)", wids[1])),
            "{stderr}"
        );
    }

    fn a_row_whose_line_has_no_seal_is_reported_as_unsealed() {
        let (lines, _) = sealed_ledger();
        let url = database_with(&lines);
        let plain = std::fs::read_to_string(inventory()).unwrap();
        let line = plain.lines().next().unwrap().replace('\'', "''");
        execute(
            &url,
            &format!(
                "INSERT INTO cmdx_lines (wid, seq, hash, line_kind, ts, line) VALUES \
                 ('00000000-0000-0000-0000-000000000000', 0, '', 'execution', \
                 '2026-11-26T15:13:23.526Z', '{line}')"
            ),
        );
        let last = *row_ids(&url).last().unwrap();
        let (code, _, stderr) = db_verify(&url);
        assert_eq!(code, Some(1));
        assert!(
            stderr.contains(&format!("row {last}: unsealed line")),
            "{stderr}"
        );
    }
}
