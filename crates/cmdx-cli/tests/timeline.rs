//! `cmdx ledger timeline`: "why does SKU-1234 show 0 available?"

#[macro_use]
mod common;

use common::{column, inventory, ndjson, ok, read, temp_file};

on_every_backend! {
    fn the_sku_timeline_tells_the_inventory_story_in_order() {
        let rows = ndjson(&ok(&[
            "ledger",
            "timeline",
            "--where",
            "sku=SKU-1234",
            "--format",
            "ndjson",
            &inventory(),
        ]));
        let story: Vec<String> = rows
            .iter()
            .map(|r| {
                let task = r["task"]
                    .as_str()
                    .unwrap()
                    .trim_start_matches("Inventory::");
                let status = r["status"].as_str().unwrap();
                let qty = &r["input"]["quantity"];
                match r["input"].get("order_id") {
                    Some(order) => format!("{task} {status} {qty}/{order}"),
                    None => format!("{task} {status} {qty}"),
                }
            })
            .collect();
        assert_eq!(
            story,
            [
                "ReceiveStock success 100",
                "ReserveStock success 50/201",
                "ReserveStock success 30/202",
                "ReserveStock success 20/203",
                "FulfillStock success 50/201",
                "ReserveStock failed 10/204",
            ]
        );
        assert_eq!(rows[5]["reason"], "Insufficient stock");
    }

    fn the_timeline_is_time_ordered_whatever_the_file_order() {
        let text = String::from_utf8(read(&inventory())).unwrap();
        let reversed: Vec<&str> = text.lines().rev().collect();
        let file = temp_file(reversed.join("\n").as_bytes());
        let path = file.path().to_str().unwrap();
        let rows = ndjson(&ok(&[
            "ledger",
            "timeline",
            "--where",
            "sku=SKU-1234",
            "--format",
            "ndjson",
            path,
        ]));
        let stamps = column(&rows, "/ts");
        assert!(stamps.windows(2).all(|w| w[0] <= w[1]), "{stamps:?}");
        assert_eq!(rows.len(), 6);
    }

    fn the_timeline_table_shows_time_task_status_key_inputs_and_the_reason() {
        let out = ok(&[
            "ledger",
            "timeline",
            "--where",
            "sku=SKU-1234",
            "--format",
            "table",
            &inventory(),
        ]);
        for header in ["TIME", "TASK", "STATUS", "INPUT", "REASON"] {
            assert!(out.contains(header), "{header} in\n{out}");
        }
        let received = out
            .lines()
            .position(|l| l.contains("quantity=100 warehouse_id=1"))
            .expect("receive row");
        let failed = out
            .lines()
            .position(|l| l.contains("quantity=10 order_id=204"))
            .expect("failed row");
        assert!(received < failed);
        let failed_row = out.lines().nth(failed).unwrap();
        assert!(
            failed_row.contains("failed") && failed_row.contains("Insufficient stock"),
            "{failed_row}"
        );
        assert!(
            !out.contains("sku=SKU-1234"),
            "the pinned key is left out of every row:\n{out}"
        );
    }

    fn the_timeline_json_format_is_one_array() {
        let out = ok(&[
            "ledger",
            "timeline",
            "--where",
            "sku=SKU-5678",
            "--format",
            "json",
            &inventory(),
        ]);
        let rows: Vec<serde_json::Value> = serde_json::from_str(&out).expect("--format json parses");
        assert_eq!(
            column(&rows, "/task"),
            [
                "Inventory::ReceiveStock",
                "Inventory::ReserveStock",
                "Inventory::FulfillStock",
                "Inventory::ProcessOrder"
            ]
        );
    }
}
