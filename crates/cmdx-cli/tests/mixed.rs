//! A ledger file mixing schema v1 and v2 lines (an upgrade mid-file): every
//! query answers as on the all-v1 file, on every backend.

#[macro_use]
mod common;

use common::{column, fixture, inventory, ndjson, ok, query};
use serde_json::Value;

/// The inventory demo ledger, every other execution line rewritten as v2
/// (its `code`, `errors` and framework keys moved out of `metadata`).
fn mixed() -> String {
    fixture("mixed.ndjson")
}

fn tids(rows: &[Value]) -> Vec<String> {
    column(rows, "/tid")
}

fn versions(file: &str) -> Vec<u64> {
    common::lines(file)
        .iter()
        .filter_map(|l| l["v"].as_u64())
        .collect()
}

on_every_backend! {
    fn the_mixed_file_has_both_versions_and_answers_every_query_like_the_v1_file() {
        let v = versions(&mixed());
        assert!(v.contains(&1) && v.contains(&2), "{v:?}");
        for question in [
            vec!["--where", "code=out_of_stock"],
            vec!["--where", "code=invalid_input"],
            vec!["--where", "metadata.code=invalid_input"],
            vec!["--where", "metadata.code=out_of_stock"],
            vec!["--where", "errors.sku.0~lower"],
            vec!["--where", "metadata.errors.quantity.0~lower"],
            vec!["--where", "sku=SKU-1234"],
            vec!["--where", "metadata.available=0"],
            vec!["--status", "failed"],
        ] {
            let old = query(&question, &[&inventory()]);
            let new = query(&question, &[&mixed()]);
            assert!(!old.is_empty(), "{question:?} finds something");
            assert_eq!(tids(&new), tids(&old), "{question:?}");
        }
    }

    fn a_code_query_finds_the_v1_and_the_v2_line() {
        let rows = query(&["--where", "code~_"], &[&mixed()]);
        let found: Vec<(u64, String)> = rows
            .iter()
            .map(|l| (l["v"].as_u64().unwrap(), l["code"].as_str().or(l["metadata"]["code"].as_str()).unwrap().to_owned()))
            .collect();
        assert!(found.contains(&(1, "out_of_stock".to_owned())), "{found:?}");
        assert!(found.contains(&(2, "invalid_input".to_owned())), "{found:?}");
        // v2's `metadata` is the user's alone: no code there.
        assert!(query(&["--where", "metadata~invalid_input"], &[&mixed()]).is_empty());
    }

    fn stats_by_code_count_both_versions() {
        let stats = |file: &str| ndjson(&ok(&["ledger", "stats", "--by", "code", "--format", "ndjson", file]));
        assert_eq!(stats(&mixed()), stats(&inventory()));
        let rows = stats(&mixed());
        assert!(rows.iter().any(|r| r["code"] == "out_of_stock"), "{rows:?}");
        assert!(rows.iter().any(|r| r["code"] == "invalid_input"), "{rows:?}");
    }

    fn the_support_ticket_timeline_reads_both_versions() {
        let ticket = |file: &str| ok(&["ledger", "timeline", "--where", "sku=SKU-1234", "--format", "table", file]);
        assert_eq!(ticket(&mixed()), ticket(&inventory()));
    }
}
