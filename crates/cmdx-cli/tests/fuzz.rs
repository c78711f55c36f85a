//! Property tests (fuzzing with proptest): the line parser and the `--where`
//! parser never panic, whatever the input, and the scan's pre-filter never
//! changes an answer.

mod common;

use cmdx_cli::line::{LineError, parse_line};
use cmdx_cli::where_expr::{LineFields, WhereExpr};
use proptest::prelude::*;

/// Cases for the in-process parser properties.
const PARSER_CASES: u32 = 20_000;
/// Cases for the properties that run the binary.
const BINARY_CASES: u32 = 64;

const LINE: &str = r#"{"v":1,"ts":"2026-11-26T10:45:00.010Z","cid":"019ac1b0-0000-7000-8000-0000000000a1","xid":null,"tid":"019ac1b0-0000-7000-8000-0000000000a2","index":0,"parent":null,"root":true,"task":"Inventory::ReserveStock","kind":"task","state":"interrupted","status":"failed","reason":"Insufficient stock","metadata":{"code":"out_of_stock","available":0,"requested":10},"input":{"sku":"SKU-1234","quantity":10,"order_id":204},"duration_ms":0.41,"retries":0,"rolled_back":true,"cause":null,"origin":"019ac1b0-0000-7000-8000-0000000000a2","trace_id":null,"span_id":null,"tags":[]}"#;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(PARSER_CASES))]

    #[test]
    fn the_line_parser_never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = parse_line(&bytes);
    }

    #[test]
    fn the_line_parser_never_panics_on_a_mutated_ledger_line(
        cut in 0..LINE.len(),
        at in 0..LINE.len(),
        byte in any::<u8>(),
    ) {
        let mut bytes = LINE.as_bytes()[..cut.max(at)].to_vec();
        if at < bytes.len() {
            bytes[at] = byte;
        }
        let _ = parse_line(&bytes);
    }

    #[test]
    fn every_prefix_of_a_ledger_line_is_reported_as_an_error(cut in 0..LINE.len()) {
        let err = parse_line(&LINE.as_bytes()[..cut]);
        prop_assert!(err.is_err());
        prop_assert!(cut == 0 || matches!(err, Err(LineError::Truncated)), "{:?}", err);
    }

    #[test]
    fn the_where_parser_never_panics_on_arbitrary_text(text in "\\PC{0,64}") {
        let _ = WhereExpr::parse(&text);
    }

    #[test]
    fn any_parsed_where_expression_evaluates_without_panicking(
        path in "[a-z_]{1,12}(\\.[a-z_0-9]{1,8}){0,3}",
        op in prop::sample::select(vec!["=", "!=", ">", ">=", "<", "<=", "~", "=="]),
        value in "\\PC{0,24}",
    ) {
        if let Ok(expr) = WhereExpr::parse(&format!("{path}{op}{value}")) {
            let line = parse_line(LINE.as_bytes()).unwrap();
            let _ = expr.matches(&LineFields::new(&line));
            let _ = expr.needle();
        }
    }

    #[test]
    fn a_needle_is_always_present_in_a_line_the_expression_matches(
        key in prop::sample::select(vec!["sku", "input.sku", "task", "reason", "code", "metadata.code", "status"]),
        op in prop::sample::select(vec!["=", "~"]),
        value in "[A-Za-z0-9 :_-]{1,12}",
    ) {
        if let Ok(expr) = WhereExpr::parse(&format!("{key}{op}{value}")) {
            let line = parse_line(LINE.as_bytes()).unwrap();
            if let (true, Some(needle)) = (expr.matches(&LineFields::new(&line)), expr.needle()) {
                prop_assert!(memchr::memmem::find(LINE.as_bytes(), &needle).is_some());
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(BINARY_CASES))]

    #[test]
    fn the_prefilter_never_changes_the_answer_of_a_where_query(
        key in prop::sample::select(vec!["sku", "input.sku", "task", "reason", "code", "order_id", "status"]),
        op in prop::sample::select(vec!["=", "~", "!="]),
        value in prop::sample::select(vec![
            "SKU-1234", "SKU-5678", "1234", "Inventory::ReserveStock", "Reserve", "stock",
            "Insufficient stock", "out_of_stock", "201", "failed", "x",
        ]),
    ) {
        let expr = format!("{key}{op}{value}");
        let fast = common::query(&["--where", &expr], &[&common::inventory()]);
        let full = common::query(&["--where", &expr, "--strict"], &[&common::inventory()]);
        prop_assert_eq!(fast, full);
    }
}
