//! `cmdx ledger query`: each filter, sorting, limits and output formats.

#[macro_use]
mod common;

use common::{
    cid_of_root, column, expected_tids, inventory, lines, ok, query, temp_file, workflow,
};
use serde_json::Value;

fn tids(rows: &[Value]) -> Vec<String> {
    column(rows, "/tid")
}

on_every_backend! {
    fn filtering_by_chain_id_returns_the_whole_chain_in_file_order() {
        let cid = common::cid_of_root("Inventory::ProcessOrder", &inventory());
        let rows = query(&["--cid", &cid], &[&inventory()]);
        assert_eq!(
            tids(&rows),
            expected_tids(&inventory(), |l| l["cid"] == cid.as_str())
        );
        assert_eq!(column(&rows, "/index"), ["1", "2", "0"]);
    }

    fn filtering_by_external_id_returns_the_lines_of_that_request() {
        let rows = lines(&workflow());
        let xid = rows
            .iter()
            .find_map(|l| l["xid"].as_str())
            .expect("the workflow demo carries an xid")
            .to_owned();
        let found = query(&["--xid", &xid], &[&workflow(), &inventory()]);
        assert!(!found.is_empty());
        assert!(found.iter().all(|l| l["xid"] == xid.as_str()));
    }

    fn a_task_glob_matches_every_task_of_the_namespace() {
        let rows = query(&["--task", "Checkout::*"], &[&inventory(), &workflow()]);
        assert_eq!(
            tids(&rows),
            expected_tids(&workflow(), |l| l["task"]
                .as_str()
                .unwrap()
                .starts_with("Checkout::"))
        );
    }

    fn an_exact_task_name_matches_only_that_task() {
        let rows = query(&["--task", "Inventory::ReserveStock"], &[&inventory()]);
        assert_eq!(
            tids(&rows),
            expected_tids(&inventory(), |l| l["task"] == "Inventory::ReserveStock")
        );
        let orders = column(&rows, "/input/order_id");
        for order in ["201", "202", "203", "204"] {
            assert!(
                orders.contains(&order.to_owned()),
                "order {order} in {orders:?}"
            );
        }
    }

    fn filtering_by_status_finds_every_failure() {
        let rows = query(&["--status", "failed"], &[&inventory()]);
        assert_eq!(
            tids(&rows),
            expected_tids(&inventory(), |l| l["status"] == "failed")
        );
        assert!(column(&rows, "/reason").contains(&"Insufficient stock".to_owned()));
    }

    fn several_statuses_are_given_comma_separated() {
        let rows = query(&["--status", "failed,skipped"], &[&inventory()]);
        assert_eq!(
            tids(&rows),
            expected_tids(&inventory(), |l| l["status"] != "success")
        );
    }

    fn filtering_by_state_finds_interrupted_executions() {
        let rows = query(&["--state", "interrupted"], &[&workflow()]);
        assert_eq!(
            tids(&rows),
            expected_tids(&workflow(), |l| l["state"] == "interrupted")
        );
        assert!(!rows.is_empty());
    }

    fn filtering_by_kind_finds_the_compensations() {
        let rows = query(&["--kind", "rollback"], &[&workflow(), &inventory()]);
        assert_eq!(
            tids(&rows),
            expected_tids(&workflow(), |l| l["kind"] == "rollback")
        );
        assert!(rows.iter().all(|l| l["compensates"].is_string()));
        let checkout = cid_of_root("Checkout::PlaceOrder", &workflow());
        let saga = query(&["--kind", "rollback", "--cid", &checkout], &[&workflow()]);
        assert_eq!(
            column(&saga, "/task"),
            ["Checkout::ChargeCard", "Checkout::ReserveInventory"]
        );
    }

    fn the_root_flag_keeps_only_index_zero() {
        let rows = query(&["--root"], &[&inventory()]);
        assert_eq!(
            tids(&rows),
            expected_tids(&inventory(), |l| l["index"] == 0)
        );
        assert!(rows.iter().all(|l| l["root"] == true));
    }

    fn since_and_until_take_rfc3339_times() {
        let all = lines(&inventory());
        let mut stamps = column(&all, "/ts");
        stamps.sort();
        stamps.dedup();
        assert!(
            stamps.len() >= 3,
            "the fixture spans at least three milliseconds"
        );
        let (from, to) = (&stamps[1], &stamps[stamps.len() - 2]);
        let rows = query(&["--since", from, "--until", to], &[&inventory()]);
        let expected = expected_tids(&inventory(), |l| {
            let ts = l["ts"].as_str().unwrap();
            ts >= from.as_str() && ts <= to.as_str()
        });
        assert!(!expected.is_empty() && expected.len() < all.len());
        assert_eq!(tids(&rows), expected);
    }

    fn a_relative_since_counts_back_from_now() {
        let template = lines(&inventory()).remove(0);
        let stamped = |ts: String, task: &str| {
            let mut line = template.clone();
            line["ts"] = ts.into();
            line["task"] = task.into();
            line.to_string()
        };
        let now = chrono::Utc::now();
        let recent =
            (now - chrono::Duration::minutes(5)).to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let content = format!(
            "{}\n{}\n",
            stamped("2020-01-01T00:00:00.000Z".into(), "Old"),
            stamped(recent, "Recent")
        );
        let file = temp_file(content.as_bytes());
        let path = file.path().to_str().unwrap();
        let last_hour = query(&["--since", "1h"], &[path]);
        assert_eq!(column(&last_hour, "/task"), vec!["Recent"]);
        let all = query(&["--since", "36500d"], &[path]);
        assert_eq!(all.len(), 2);
    }

    fn where_on_a_nested_input_field_matches_equal_values() {
        let rows = query(&["--where", "input.sku=SKU-1234"], &[&inventory()]);
        assert_eq!(
            tids(&rows),
            expected_tids(&inventory(), |l| l["input"]["sku"] == "SKU-1234")
        );
    }

    fn where_compares_numbers_as_numbers() {
        let rows = query(
            &[
                "--where",
                "input.quantity>=30",
                "--task",
                "Inventory::ReserveStock",
            ],
            &[&inventory()],
        );
        let quantities = column(&rows, "/input/quantity");
        assert!(quantities.contains(&"50".to_owned()) && quantities.contains(&"30".to_owned()));
        assert!(!quantities.contains(&"20".to_owned()) && !quantities.contains(&"10".to_owned()));
        let exact = query(&["--where", "input.quantity=100"], &[&inventory()]);
        assert_eq!(column(&exact, "/task"), ["Inventory::ReceiveStock"]);
    }

    fn where_less_than_finds_small_quantities() {
        let rows = query(
            &["--where", "input.quantity<15", "--where", "sku=SKU-1234"],
            &[&inventory()],
        );
        assert_eq!(column(&rows, "/input/order_id"), ["204"]);
    }

    fn where_not_equal_excludes_the_value_and_keeps_lines_without_the_field() {
        let rows = query(&["--where", "metadata.code!=out_of_stock"], &[&inventory()]);
        assert_eq!(
            tids(&rows),
            expected_tids(&inventory(), |l| l["metadata"]["code"] != "out_of_stock")
        );
        assert_eq!(rows.len(), lines(&inventory()).len() - 1);
    }

    fn where_tilde_matches_a_substring() {
        let rows = query(&["--where", "reason~stock"], &[&inventory()]);
        assert_eq!(column(&rows, "/reason"), ["Insufficient stock"]);
    }

    fn where_tilde_with_slashes_matches_a_regex() {
        let rows = query(
            &["--where", "task~/^Inventory::(Fulfill|Receive)Stock$/"],
            &[&inventory()],
        );
        assert_eq!(
            tids(&rows),
            expected_tids(&inventory(), |l| matches!(
                l["task"].as_str(),
                Some("Inventory::FulfillStock" | "Inventory::ReceiveStock")
            ))
        );
    }

    fn a_bare_key_matches_the_input_field() {
        let rows = query(&["--where", "sku=SKU-5678"], &[&inventory()]);
        assert_eq!(
            tids(&rows),
            expected_tids(&inventory(), |l| l["input"]["sku"] == "SKU-5678")
        );
        assert!(rows.len() >= 3, "the ProcessOrder chain has three lines");
    }

    fn a_bare_key_matches_the_metadata_field() {
        let rows = query(&["--where", "code=out_of_stock"], &[&inventory()]);
        assert_eq!(column(&rows, "/input/order_id"), ["204"]);
        let by_path = query(&["--where", "metadata.code=out_of_stock"], &[&inventory()]);
        assert_eq!(tids(&rows), tids(&by_path));
    }

    fn where_reaches_validation_errors_of_an_invalid_call() {
        let rows = query(
            &["--where", "metadata.errors.quantity~/./"],
            &[&inventory()],
        );
        assert_eq!(rows.len(), 1);
        assert!(rows[0]["metadata"]["errors"]["sku"].is_array());
    }

    fn filters_combine_with_and() {
        let rows = query(
            &[
                "--task",
                "Inventory::ReserveStock",
                "--status",
                "success",
                "--where",
                "sku=SKU-1234",
            ],
            &[&inventory()],
        );
        assert_eq!(column(&rows, "/input/order_id"), ["201", "202", "203"]);
    }

    fn sorting_by_duration_puts_the_slowest_first() {
        let rows = query(&["--sort", "duration"], &[&workflow()]);
        let durations: Vec<f64> = rows
            .iter()
            .map(|r| r["duration_ms"].as_f64().unwrap())
            .collect();
        assert!(durations.windows(2).all(|w| w[0] >= w[1]), "{durations:?}");
        assert_eq!(rows[0]["task"], "Checkout::PlaceOrder");
    }

    fn sorting_by_time_orders_lines_written_children_first() {
        let rows = query(&["--sort", "ts"], &[&workflow(), &inventory()]);
        let stamps = column(&rows, "/ts");
        assert!(stamps.windows(2).all(|w| w[0] <= w[1]), "{stamps:?}");
        assert_eq!(
            rows.len(),
            lines(&workflow()).len() + lines(&inventory()).len()
        );
    }

    fn limit_stops_after_n_lines() {
        let rows = query(&["--limit", "2"], &[&inventory()]);
        assert_eq!(tids(&rows), expected_tids(&inventory(), |_| true)[..2]);
    }

    fn limit_applies_after_sorting() {
        let rows = query(&["--sort", "duration", "--limit", "1"], &[&workflow()]);
        assert_eq!(column(&rows, "/task"), ["Checkout::PlaceOrder"]);
    }

    fn json_format_prints_one_parseable_array() {
        let out = ok(&[
            "ledger",
            "query",
            "--format",
            "json",
            "--status",
            "failed",
            &inventory(),
        ]);
        let array: Vec<Value> = serde_json::from_str(&out).expect("--format json parses");
        assert_eq!(
            tids(&array),
            expected_tids(&inventory(), |l| l["status"] == "failed")
        );
    }

    fn json_format_with_no_match_is_an_empty_array() {
        let out = ok(&[
            "ledger",
            "query",
            "--format",
            "json",
            "--task",
            "Nope::*",
            &inventory(),
        ]);
        assert_eq!(
            serde_json::from_str::<Vec<Value>>(&out).unwrap(),
            Vec::<Value>::new()
        );
    }

    fn without_a_terminal_the_default_format_is_ndjson_of_the_original_lines() {
        let out = ok(&["ledger", "query", "--root", &inventory()]);
        let original = std::fs::read_to_string(inventory()).unwrap();
        for line in out.lines() {
            assert!(
                original.lines().any(|o| o == line),
                "printed line is verbatim: {line}"
            );
        }
        assert!(!out.is_empty());
    }

    fn table_format_shows_task_status_and_reason() {
        let out = ok(&[
            "ledger",
            "query",
            "--format",
            "table",
            "--status",
            "failed",
            &inventory(),
        ]);
        assert!(
            out.contains("TASK") && out.contains("STATUS") && out.contains("REASON"),
            "{out}"
        );
        assert!(
            out.contains("Inventory::ReserveStock") && out.contains("Insufficient stock"),
            "{out}"
        );
        assert!(!out.contains("Inventory::ReceiveStock"), "{out}");
    }

    fn a_bad_where_expression_is_a_usage_error() {
        let out = common::cmdx(&["ledger", "query", "--where", "sku", &inventory()]);
        assert_eq!(out.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&out.stderr).contains("expected PATH=VALUE"));
    }
}
