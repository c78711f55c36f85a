//! Log lines (application events, `{"log":1,…}`) in ledger files: every
//! command skips them silently (they are not executions), and
//! `timeline --with-logs` shows each under its execution.

mod common;

use common::{cmdx, cmdx_with_stdin, fixture, ndjson, ok};
use serde_json::Value;

fn with_logs() -> String {
    fixture("with_logs.ndjson")
}

/// stdout of a successful run, and its stderr.
fn run(args: &[&str]) -> (String, String) {
    let out = cmdx(args);
    assert!(
        out.status.success(),
        "cmdx {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn every_command_skips_log_lines_silently() {
    let file = with_logs();
    let (query, stderr) = run(&["ledger", "query", "--format", "ndjson", &file]);
    assert_eq!(ndjson(&query).len(), 4, "{query}");
    assert!(ndjson(&query).iter().all(|l| l["v"] == 1));
    assert_eq!(stderr, "");
    let (stats, stderr) = run(&[
        "ledger", "stats", "--by", "status", "--format", "ndjson", &file,
    ]);
    let counts: u64 = ndjson(&stats)
        .iter()
        .map(|r| r["count"].as_u64().unwrap())
        .sum();
    assert_eq!(counts, 4, "{stats}");
    assert_eq!(stderr, "");
    let cid = "01a2186b-2046-774d-9937-bdaf9037255d";
    let (tree, stderr) = run(&["ledger", "tree", cid, "--color", "never", &file]);
    assert!(tree.contains("Inventory::ProcessOrder") && tree.contains("Inventory::ReserveStock"));
    assert!(!tree.contains("Mail::Send"), "{tree}");
    assert_eq!(stderr, "");
    let (timeline, stderr) = run(&["ledger", "timeline", "--format", "ndjson", &file]);
    assert_eq!(ndjson(&timeline).len(), 4);
    assert_eq!(stderr, "");
    // --strict validates log lines too: these are valid.
    let (_, stderr) = run(&["ledger", "query", "--strict", &file]);
    assert_eq!(stderr, "");
}

#[test]
fn a_broken_log_line_is_skipped_silently_and_reported_under_strict() {
    let input = b"{\"log\":2,\"future\":true}\n{\"log\":1,\"ts\":\"x\"}\n";
    let out = cmdx_with_stdin(&["ledger", "query", "--format", "ndjson"], input);
    assert!(out.status.success());
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = cmdx_with_stdin(&["ledger", "query", "--strict"], input);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("<stdin>:1: unknown log-line schema version log=2"),
        "{stderr}"
    );
    assert!(
        stderr.contains("<stdin>:2: invalid log line: missing field `level`"),
        "{stderr}"
    );
}

/// `kind message-or-status index` of each row.
fn rows(output: &str) -> Vec<String> {
    ndjson(output)
        .iter()
        .map(|r| match r["kind"].as_str().unwrap() {
            "log" => format!(
                "  log {} {} {}",
                r["level"].as_str().unwrap(),
                r["message"].as_str().unwrap(),
                r["index"]
            ),
            kind => format!(
                "{kind} {} {} {}",
                r["task"].as_str().unwrap(),
                r["status"].as_str().unwrap(),
                r["index"]
            ),
        })
        .collect()
}

#[test]
fn with_logs_each_log_line_is_shown_under_its_execution() {
    let out = cmdx(&[
        "ledger",
        "timeline",
        "--with-logs",
        "--format",
        "ndjson",
        &with_logs(),
    ]);
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        rows(&stdout),
        [
            "task Inventory::ReceiveStock success 0",
            "  log INFO received 100 units 0",
            "task Inventory::ReserveStock success 1",
            "  log INFO reserving 1",
            "workflow Inventory::ProcessOrder success 0",
            "  log INFO processing order 201 0",
            "  log WARN carrier slow 0",
            "task Inventory::ReserveStock failed 0",
            "  log ERROR stock check failed 0",
        ]
    );
    let log = &ndjson(&stdout)[6];
    assert_eq!(
        log["fields"],
        serde_json::json!({"carrier": "ACME", "delay_ms": 250.5})
    );
    assert_eq!(log["target"], "inventory");
    assert_eq!(log["ts"], "2026-11-26T15:13:23.133Z");
    assert_eq!(log["cid"], "01a2186b-2046-774d-9937-bdaf9037255d");
    // The orphan (spawned work that outlived its execution) is reported.
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("1 log line(s) not shown"), "{stderr}");
}

#[test]
fn with_logs_only_the_logs_of_matching_executions_are_shown() {
    let out = ok(&[
        "ledger",
        "timeline",
        "--with-logs",
        "--where",
        "sku=SKU-1234",
        "--format",
        "ndjson",
        &with_logs(),
    ]);
    assert_eq!(
        rows(&out),
        [
            "task Inventory::ReceiveStock success 0",
            "  log INFO received 100 units 0",
            "task Inventory::ReserveStock success 1",
            "  log INFO reserving 1",
        ]
    );
    let limited = ok(&[
        "ledger",
        "timeline",
        "--with-logs",
        "--limit",
        "1",
        "--format",
        "ndjson",
        &with_logs(),
    ]);
    assert_eq!(
        rows(&limited),
        [
            "task Inventory::ReceiveStock success 0",
            "  log INFO received 100 units 0",
        ]
    );
}

#[test]
fn with_logs_the_table_and_json_formats_show_log_rows() {
    let table = ok(&[
        "ledger",
        "timeline",
        "--with-logs",
        "--status",
        "failed",
        "--format",
        "table",
        &with_logs(),
    ]);
    assert!(table.contains("↳ inventory"), "{table}");
    assert!(
        table.contains("ERROR") && table.contains("stock check failed"),
        "{table}"
    );
    assert!(table.contains("sku=SKU-9999"), "{table}");
    let table = ok(&[
        "ledger",
        "timeline",
        "--with-logs",
        "--task",
        "Inventory::ProcessOrder",
        "--format",
        "table",
        &with_logs(),
    ]);
    assert!(
        table.contains("carrier=ACME delay_ms=250.5"),
        "fields in written order: {table}"
    );
    let json = ok(&[
        "ledger",
        "timeline",
        "--with-logs",
        "--status",
        "failed",
        "--format",
        "json",
        &with_logs(),
    ]);
    let rows: Vec<Value> = serde_json::from_str(&json).unwrap();
    let kinds: Vec<&str> = rows.iter().map(|r| r["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["task", "log"]);
}

#[test]
fn with_logs_waiting_log_lines_are_bounded_by_sort_memory() {
    let out = cmdx(&[
        "ledger",
        "timeline",
        "--with-logs",
        "--sort-memory",
        "300",
        "--format",
        "ndjson",
        &with_logs(),
    ]);
    assert!(out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("log line(s) not shown: more than --sort-memory"),
        "{stderr}"
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        rows(&stdout)
            .iter()
            .filter(|r| !r.starts_with("  log"))
            .count(),
        4,
        "every execution is still shown"
    );
}

const LOG: &str = r#"{"log":1,"ts":"2026-11-26T15:13:23.101Z","level":"INFO","cid":"01a2186b-203f-747b-9ab1-03561d3622f1","tid":"01a2186b-203f-7c81-a44d-bdb8391a9466","task":"Inventory::ReceiveStock","trace_id":null,"span_id":null,"target":"inventory","message":"received","fields":{"units":100}}"#;

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(5_000))]

    #[test]
    fn the_log_line_parser_never_panics_and_every_prefix_is_an_error(
        cut in 0..LOG.len(),
        at in 0..LOG.len(),
        byte in proptest::prelude::any::<u8>(),
    ) {
        proptest::prop_assert!(cmdx_cli::line::parse_log_line(&LOG.as_bytes()[..cut]).is_err());
        let mut bytes = LOG.as_bytes().to_vec();
        bytes[at] = byte;
        let _ = cmdx_cli::line::parse_log_line(&bytes);
    }
}
