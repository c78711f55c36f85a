//! `cmdx ledger stats`: counts and duration percentiles.

#[macro_use]
mod common;

use common::{inventory, lines, ndjson, ok, workflow};
use serde_json::Value;

fn stats(args: &[&str], files: &[&str]) -> Vec<Value> {
    let mut all = vec!["ledger", "stats", "--format", "ndjson"];
    all.extend_from_slice(args);
    all.extend_from_slice(files);
    ndjson(&ok(&all))
}

fn row<'a>(rows: &'a [Value], key: &str, value: &str) -> &'a Value {
    rows.iter()
        .find(|r| r[key] == value)
        .unwrap_or_else(|| panic!("no row {key}={value} in {rows:?}"))
}

on_every_backend! {
    fn stats_per_task_count_successes_and_failures() {
        let rows = stats(&[], &[&inventory()]);
        let oracle = lines(&inventory());
        let reserve: Vec<&Value> = oracle
            .iter()
            .filter(|l| l["task"] == "Inventory::ReserveStock")
            .collect();
        let r = row(&rows, "task", "Inventory::ReserveStock");
        assert_eq!(r["count"], reserve.len());
        assert_eq!(
            r["success"],
            reserve.iter().filter(|l| l["status"] == "success").count()
        );
        assert_eq!(
            r["failed"],
            reserve.iter().filter(|l| l["status"] == "failed").count()
        );
        assert_eq!(r["skipped"], 0);
        assert_eq!(
            rows.len(),
            4,
            "ReceiveStock, ReserveStock, FulfillStock, ProcessOrder"
        );
    }

    fn stats_give_nearest_rank_percentiles_and_the_max() {
        let rows = stats(&["--task", "Inventory::ReserveStock"], &[&inventory()]);
        let mut durations: Vec<f64> = lines(&inventory())
            .iter()
            .filter(|l| l["task"] == "Inventory::ReserveStock")
            .map(|l| l["duration_ms"].as_f64().unwrap())
            .collect();
        durations.sort_by(f64::total_cmp);
        let rank = |p: f64| durations[((p * durations.len() as f64).ceil() as usize).max(1) - 1];
        let r = &rows[0];
        assert_eq!(r["p50_ms"].as_f64().unwrap(), rank(0.50));
        assert_eq!(r["p95_ms"].as_f64().unwrap(), rank(0.95));
        assert_eq!(r["p99_ms"].as_f64().unwrap(), rank(0.99));
        assert_eq!(r["max_ms"].as_f64().unwrap(), *durations.last().unwrap());
    }

    fn stats_by_status_group_every_line() {
        let rows = stats(&["--by", "status"], &[&inventory(), &workflow()]);
        let total: u64 = rows.iter().map(|r| r["count"].as_u64().unwrap()).sum();
        assert_eq!(
            total as usize,
            lines(&inventory()).len() + lines(&workflow()).len()
        );
        assert_eq!(
            row(&rows, "status", "failed")["failed"],
            row(&rows, "status", "failed")["count"]
        );
    }

    fn stats_by_code_group_failures_by_their_metadata_code() {
        let rows = stats(&["--by", "code"], &[&inventory()]);
        let oos = row(&rows, "code", "out_of_stock");
        assert_eq!(oos["count"], 1);
        assert_eq!(oos["failed"], 1);
        assert!(row(&rows, "code", "-")["count"].as_u64().unwrap() > 1);
    }

    fn compensations_are_counted_apart_from_the_task_they_undo() {
        let rows = stats(&[], &[&workflow()]);
        assert_eq!(row(&rows, "task", "Checkout::ChargeCard")["count"], 1);
        assert_eq!(
            row(&rows, "task", "Checkout::ChargeCard (rollback)")["count"],
            1
        );
    }

    fn the_stats_table_has_the_percentile_columns() {
        let out = ok(&["ledger", "stats", "--format", "table", &inventory()]);
        for header in [
            "TASK", "COUNT", "SUCCESS", "SKIPPED", "FAILED", "P50", "P95", "P99", "MAX",
        ] {
            assert!(out.contains(header), "{header} in\n{out}");
        }
        assert!(out.contains("Inventory::ReserveStock"));
    }
}
