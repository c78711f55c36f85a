//! `--db` specifics: bad URLs, unreachable or foreign databases and newer
//! schemas fail with a clear message (exit status 2, no panic, no password
//! echoed); log lines stored beside ledger lines are not executions; a row
//! the CLI cannot read is reported by id; `CMDX_LEDGER_DB` names the
//! default database.

#[macro_use]
mod common;

use std::process::{Command, Output};

use cmdx_store::seal::Sealer;
use common::backend::{Backend, database_with, execute};
use common::{cmdx, inventory, ndjson, ok};

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The inventory demo sealed by one writer, with `extra` lines (sealed
/// too) after its first line.
fn sealed_inventory(extra: &[&str]) -> Vec<String> {
    let text = std::fs::read_to_string(inventory()).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    for (i, line) in extra.iter().enumerate() {
        lines.insert(1 + i, line);
    }
    let mut sealer = Sealer::new(uuid::Uuid::now_v7());
    lines.iter().map(|l| sealer.seal(l).unwrap()).collect()
}

fn assert_clear_failure(out: &Output, expected: &str) {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains(expected), "`{expected}` in {err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(out.stdout.is_empty());
}

#[test]
fn a_url_of_another_scheme_is_a_usage_error() {
    let out = cmdx(&["ledger", "query", "--db", "mysql://db/ledger"]);
    assert_clear_failure(
        &out,
        "`mysql://db/ledger` is not a ledger database URL: use sqlite:PATH or postgres://",
    );
}

#[test]
fn a_missing_sqlite_file_is_an_error_and_is_not_created() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("typo.db");
    let url = format!("sqlite:{}", path.display());
    for command in ["query", "verify"] {
        let out = cmdx(&["ledger", command, "--db", &url]);
        assert_clear_failure(&out, &format!("cannot open {url}: no such file"));
    }
    assert!(!path.exists(), "a read never creates a database");
}

#[test]
fn an_unreachable_server_is_a_clear_error_that_hides_the_password() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    // The listener is dropped: nothing listens on the port any more.
    let url = format!("postgres://app:s3cret@127.0.0.1:{port}/ledger");
    let out = cmdx(&["ledger", "timeline", "--db", &url]);
    assert_clear_failure(
        &out,
        &format!("cannot open postgres://app:***@127.0.0.1:{port}/ledger: "),
    );
    assert!(!stderr(&out).contains("s3cret"), "{}", stderr(&out));
}

#[test]
fn a_file_that_is_not_a_ledger_database_is_refused() {
    let text = common::temp_file(b"not a database at all\n");
    let out = cmdx(&[
        "ledger",
        "stats",
        "--db",
        &format!("sqlite:{}", text.path().display()),
    ]);
    assert_clear_failure(&out, "file is not a database");
}

#[test]
fn db_and_files_together_are_a_usage_error() {
    let out = cmdx(&["ledger", "query", "--db", "sqlite:x.db", &inventory()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("cannot be used with"),
        "{}",
        stderr(&out)
    );
}

on_databases! {
    fn a_database_without_the_ledger_tables_is_refused() {
        let url = database_with(&[]);
        execute(&url, "DROP TABLE cmdx_lines");
        let out = cmdx(&["ledger", "query", "--db", &url]);
        assert_clear_failure(&out, "is not a cmdx ledger database: it has no cmdx_lines");
    }

    fn a_database_of_a_newer_schema_version_is_refused() {
        let url = database_with(&sealed_inventory(&[]));
        execute(
            &url,
            "INSERT INTO cmdx_migrations (version, applied_at) VALUES (3, '2026-12-01T00:00:00Z')",
        );
        for command in ["query", "verify"] {
            let out = cmdx(&["ledger", command, "--db", &url]);
            assert_clear_failure(
                &out,
                "has ledger schema version 3, newer than version 2 that this cmdx reads: upgrade cmdx",
            );
        }
    }

    fn a_wrong_database_on_a_live_server_is_a_clear_error() {
        let Backend::Postgres(cluster) = common::backend::current() else {
            return;
        };
        let url = common::backend::database_url(&cluster, "no_such_ledger");
        let out = cmdx(&["ledger", "query", "--db", &url]);
        assert_clear_failure(&out, "database \"no_such_ledger\" does not exist");
    }

    fn log_lines_in_the_database_are_not_executions_but_are_verified() {
        let log = r#"{"log":1,"ts":"2026-11-26T15:13:23.526Z","level":"INFO","cid":"01a2186b-2047-792b-a62f-618a63ec9c03","tid":"01a2186b-2047-711e-a9c4-06716e13c440","task":"Inventory::ReserveStock","trace_id":null,"span_id":null,"target":"inventory","message":"Reserved 10 of SKU-1234","fields":{"sku":"SKU-1234"}}"#;
        let lines = sealed_inventory(&[log, log]);
        let url = database_with(&lines);
        let rows = ndjson(&ok(&["ledger", "query", "--format", "ndjson", "--db", &url]));
        assert_eq!(rows.len(), lines.len() - 2);
        assert!(rows.iter().all(|r| r["v"] == 1));
        let sku = ndjson(&ok(&[
            "ledger", "timeline", "--where", "sku=SKU-1234", "--format", "ndjson", "--db", &url,
        ]));
        assert_eq!(sku.len(), 6, "the log line's fields are not input or metadata");
        let verified = ok(&["ledger", "verify", "--db", &url]);
        assert!(
            verified.starts_with(&format!("intact: {} lines from 1 writer\n", lines.len())),
            "{verified}"
        );
    }

    fn a_row_the_cli_cannot_read_is_reported_by_id_and_fails_strict() {
        let bad = r#"{"v":1,"ts":"2026-11-26T15:13:23.526Z","cid":"01a2186b-2047-792b-a62f-618a63ec9c03","tid":"01a2186b-2047-711e-a9c4-06716e13c441","index":0,"task":"Inventory::ReserveStock","kind":"task","state":"complete","status":"success","surprise":true}"#;
        let lines = sealed_inventory(&[bad]);
        let url = database_with(&lines);
        let good = lines.len() - 1;
        let out = cmdx(&["ledger", "query", "--format", "ndjson", "--db", &url]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(0), "{err}");
        assert_eq!(ndjson(&String::from_utf8(out.stdout).unwrap()).len(), good);
        assert!(
            err.contains(&format!("{url} row 2: invalid ledger line: unknown field `surprise`")),
            "{err}"
        );
        let strict = cmdx(&["ledger", "query", "--strict", "--db", &url]);
        assert_eq!(strict.status.code(), Some(1), "{}", stderr(&strict));
        assert!(stderr(&strict).contains("--strict: 1 bad line"));
    }

    fn cmdx_ledger_db_names_the_database_when_no_file_is_given() {
        let url = database_with(&sealed_inventory(&[]));
        let run = |args: &[&str]| {
            Command::new(env!("CARGO_BIN_EXE_cmdx"))
                .args(args)
                .env("CMDX_LEDGER_DB", &url)
                .output()
                .expect("cmdx runs")
        };
        let from_env = run(&["ledger", "query", "--status", "failed", "--format", "ndjson"]);
        assert!(from_env.status.success(), "{}", stderr(&from_env));
        assert_eq!(ndjson(&String::from_utf8(from_env.stdout).unwrap()).len(), 2);
        // A FILE given wins over the variable.
        let other = common::temp_file(b"");
        let from_file = run(&["ledger", "query", other.path().to_str().unwrap()]);
        assert!(from_file.status.success() && from_file.stdout.is_empty());
        let verified = run(&["ledger", "verify"]);
        assert!(verified.status.success(), "{}", stderr(&verified));
    }
}
