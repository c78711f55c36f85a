//! `cmdx ledger tree CID`: the chain drawn through its parent links.

#[macro_use]
mod common;

use common::{cid_of_root, cmdx, inventory, ok, workflow};
use serde_json::Value;

fn tree_json(cid: &str, file: &str) -> Value {
    serde_json::from_str(&ok(&["ledger", "tree", cid, "--format", "json", file]))
        .expect("tree JSON parses")
}

fn indexes(nodes: &Value) -> Vec<u64> {
    nodes
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["index"].as_u64().unwrap())
        .collect()
}

on_every_backend! {
    fn the_process_order_tree_has_index_zero_with_children_one_and_two() {
        let cid = cid_of_root("Inventory::ProcessOrder", &inventory());
        let tree = tree_json(&cid, &inventory());
        assert_eq!(indexes(&tree["roots"]), [0]);
        let root = &tree["roots"][0];
        assert_eq!(root["task"], "Inventory::ProcessOrder");
        assert_eq!(indexes(&root["children"]), [1, 2]);
        assert_eq!(root["children"][0]["task"], "Inventory::ReserveStock");
        assert_eq!(root["children"][1]["task"], "Inventory::FulfillStock");
    }

    fn the_text_tree_draws_children_under_their_parent() {
        let cid = cid_of_root("Inventory::ProcessOrder", &inventory());
        let out = ok(&["ledger", "tree", &cid, &inventory()]);
        let lines: Vec<&str> = out.lines().collect();
        assert!(lines[0].contains(&cid), "{out}");
        assert!(
            lines[1].starts_with("[0] Inventory::ProcessOrder") && lines[1].contains("success"),
            "{out}"
        );
        assert!(
            lines[2].starts_with("├── [1] Inventory::ReserveStock"),
            "{out}"
        );
        assert!(
            lines[3].starts_with("└── [2] Inventory::FulfillStock"),
            "{out}"
        );
        assert!(lines[1].contains(" ms"), "durations are shown: {out}");
    }

    fn compensations_hang_under_the_execution_they_undo() {
        let cid = cid_of_root("Checkout::PlaceOrder", &workflow());
        let tree = tree_json(&cid, &workflow());
        let root = &tree["roots"][0];
        assert_eq!(root["kind"], "workflow");
        assert_eq!(root["status"], "failed");
        let steps = root["children"].as_array().unwrap();
        let names: Vec<&str> = steps.iter().map(|s| s["task"].as_str().unwrap()).collect();
        assert_eq!(
            names,
            [
                "Checkout::ReserveInventory",
                "Checkout::ChargeCard",
                "Checkout::SendConfirmation"
            ]
        );
        for step in &steps[..2] {
            let undo = step["compensations"].as_array().unwrap();
            assert_eq!(undo.len(), 1, "{step}");
            assert_eq!(undo[0]["kind"], "rollback");
            assert_eq!(undo[0]["task"], step["task"]);
            assert_eq!(undo[0]["compensates"], step["tid"]);
        }
        assert!(steps[2]["compensations"].as_array().unwrap().is_empty());
        assert_eq!(steps[2]["status"], "failed");
    }

    fn the_charge_card_compensation_ran_before_the_reserve_inventory_one() {
        let cid = cid_of_root("Checkout::PlaceOrder", &workflow());
        let tree = tree_json(&cid, &workflow());
        let steps = &tree["roots"][0]["children"];
        let reserve_undo = steps[0]["compensations"][0]["index"].as_u64().unwrap();
        let charge_undo = steps[1]["compensations"][0]["index"].as_u64().unwrap();
        assert!(
            charge_undo < reserve_undo,
            "compensations run in reverse step order"
        );
    }

    fn the_text_tree_shows_reasons_and_marks_rollbacks() {
        let cid = cid_of_root("Checkout::PlaceOrder", &workflow());
        let out = ok(&["ledger", "tree", &cid, &workflow()]);
        let failed = out
            .lines()
            .find(|l| l.contains("Checkout::SendConfirmation"))
            .unwrap();
        let reason = common::lines(&workflow())
            .into_iter()
            .find(|l| l["task"] == "Checkout::SendConfirmation")
            .unwrap()["reason"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(
            failed.contains("failed") && failed.contains(&reason),
            "{out}"
        );
        assert_eq!(out.matches("↺ rollback").count(), 2, "{out}");
        let charge = out
            .lines()
            .position(|l| l.contains("] Checkout::ChargeCard"))
            .unwrap();
        assert!(
            out.lines()
                .nth(charge + 1)
                .unwrap()
                .contains("↺ rollback Checkout::ChargeCard"),
            "{out}"
        );
    }

    fn the_tree_has_no_colours_when_stdout_is_not_a_terminal() {
        let cid = cid_of_root("Checkout::PlaceOrder", &workflow());
        assert!(!ok(&["ledger", "tree", &cid, &workflow()]).contains('\x1b'));
    }

    fn colours_can_be_forced() {
        let cid = cid_of_root("Checkout::PlaceOrder", &workflow());
        let out = ok(&["ledger", "tree", &cid, "--color", "always", &workflow()]);
        assert!(out.contains("\x1b[31mfailed\x1b[0m"), "{out}");
        assert!(out.contains("\x1b[32msuccess\x1b[0m"), "{out}");
    }

    fn an_unknown_chain_id_fails_with_a_message() {
        let out = cmdx(&[
            "ledger",
            "tree",
            "00000000-0000-7000-8000-000000000000",
            &inventory(),
        ]);
        assert_eq!(out.status.code(), Some(1));
        assert!(String::from_utf8_lossy(&out.stderr).contains("no ledger line with chain id"));
    }

    fn a_missing_parent_leaves_the_child_at_the_top_marked() {
        let cid = cid_of_root("Inventory::ProcessOrder", &inventory());
        let text = std::fs::read_to_string(inventory()).unwrap();
        let without_root: Vec<&str> = text
            .lines()
            .filter(|l| !(l.contains("\"Inventory::ProcessOrder\"") && l.contains(&cid)))
            .collect();
        let file = common::temp_file(without_root.join("\n").as_bytes());
        let out = ok(&["ledger", "tree", &cid, file.path().to_str().unwrap()]);
        assert_eq!(out.matches("(parent not in the input)").count(), 2, "{out}");
    }
}
