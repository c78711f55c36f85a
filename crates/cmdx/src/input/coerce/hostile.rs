//! Hostile inputs: cost linear in the input's size, whatever its shape.
//! Cost is asserted as work done (passes, nodes visited), not time.
#![expect(
    dead_code,
    reason = "test inputs are built to be deserialized, not read field by field"
)]

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::{Value, json};

use super::log::LISTED;
use super::plan::ATTEMPTS;
use super::read::{INVALID, REQUIRED};
use super::{Coerced, ROOT, coerce};

/// Every JSON value in `input`.
fn nodes(input: &Value) -> u64 {
    match input {
        Value::Array(items) => 1 + items.iter().map(nodes).sum::<u64>(),
        Value::Object(map) => 1 + map.values().map(nodes).sum::<u64>(),
        _ => 1,
    }
}

/// Coerces `input` as `T`, asserting that the passes together visited at
/// most `factor` nodes per input node (plus the fields the type adds).
fn linear<T: serde::de::DeserializeOwned>(input: &Value, factor: u64) -> Coerced<T> {
    let coerced = coerce::<T>(input);
    let budget = factor * nodes(input) + 1_000;
    assert!(
        coerced.visited <= budget,
        "{} nodes visited in {} passes for {} input nodes",
        coerced.visited,
        coerced.passes,
        nodes(input)
    );
    coerced
}

#[derive(Debug, Deserialize)]
struct Item {
    a: i64,
}

#[derive(Debug, Deserialize)]
struct Items {
    items: Vec<Item>,
}

#[test]
fn elements_that_each_lack_a_field_take_two_passes_and_are_all_counted() {
    let n = 20_000;
    let input = json!({"items": vec![json!({}); n]});
    let coerced = linear::<Items>(&input, 3);
    assert_eq!(coerced.passes, 2);
    assert!(coerced.value.is_none(), "too many errors for a value");
    assert_eq!(coerced.errors.len(), LISTED + 1);
    assert_eq!(coerced.errors["items[0].a"], [REQUIRED]);
    assert_eq!(coerced.errors["items[99].a"], [REQUIRED]);
    let note = format!(
        "{} more invalid field(s) not listed: only the first {LISTED} are",
        n - LISTED
    );
    assert_eq!(coerced.errors[ROOT], [note]);
}

#[derive(Debug, Deserialize)]
struct Dated {
    on: NaiveDate,
    n: std::num::NonZeroU32,
}

#[test]
fn refused_values_in_a_long_list_are_checked_once_each_up_to_the_listed_limit() {
    for n in [2_000, 8_000] {
        let line = json!({"on": "2026-13-45", "n": 1});
        let input = json!({"lines": vec![line; n]});
        #[derive(Debug, Deserialize)]
        struct Lines {
            lines: Vec<Dated>,
        }
        let coerced = linear::<Lines>(&input, 3);
        assert!(
            coerced.passes <= LISTED + ATTEMPTS + 2,
            "{} passes",
            coerced.passes
        );
        assert_eq!(coerced.errors["lines[0].on"], [INVALID]);
        assert!(
            coerced.errors[ROOT][0].starts_with("checking stopped after 100 invalid fields"),
            "{:?}",
            coerced.errors[ROOT]
        );
    }
}

#[test]
fn a_placeholder_refused_once_is_not_tried_again_for_every_element() {
    let input = json!({"lines": vec![json!({"on": "2026-01-01", "n": "x"}); 10_000]});
    #[derive(Debug, Deserialize)]
    struct Lines {
        lines: Vec<Dated>,
    }
    let coerced = linear::<Lines>(&input, 3);
    // Zero is refused by `NonZeroU32` once; every later element gets 1.
    assert!(coerced.passes <= 3, "{} passes", coerced.passes);
    assert_eq!(coerced.errors["lines[9].n"], ["must be an integer"]);
}

#[test]
fn refused_values_at_the_end_of_a_large_map_skip_what_was_checked() {
    let mut map: serde_json::Map<String, Value> = (0..20_000)
        .map(|i| (format!("a{i:05}"), json!("2026-01-01")))
        .collect();
    for i in 0..150 {
        map.insert(format!("z{i:03}"), json!("not a date"));
    }
    let input = json!({"days": map});
    #[derive(Debug, Deserialize)]
    struct Days {
        days: BTreeMap<String, NaiveDate>,
    }
    let coerced = linear::<Days>(&input, 3);
    assert!(
        coerced.passes <= LISTED + ATTEMPTS + 2,
        "{} passes",
        coerced.passes
    );
    assert_eq!(coerced.errors["days.z000"], [INVALID]);
}

#[test]
fn bad_enums_and_bad_values_in_nested_maps_take_one_pass() {
    #[derive(Debug, Deserialize)]
    enum Kind {
        Standard,
        Express,
    }
    #[derive(Debug, Deserialize)]
    struct Shipment {
        kinds: Vec<Kind>,
        weights: HashMap<String, HashMap<String, f64>>,
    }
    let weights: serde_json::Map<String, Value> = (0..2_000)
        .map(|i| (format!("k{i}"), json!({"a": "heavy", "b": 1})))
        .collect();
    let input = json!({"kinds": vec![json!("Overnight"); 2_000], "weights": weights});
    let coerced = linear::<Shipment>(&input, 2);
    assert_eq!(coerced.passes, 1);
    assert_eq!(
        coerced.errors["kinds[0]"],
        ["must be one of: Standard, Express"]
    );
    assert!(coerced.errors[ROOT][0].starts_with("3900 more invalid field(s)"));
}

#[test]
fn many_unknown_keys_in_a_strict_struct_are_bounded() {
    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Strict {
        #[serde(default)]
        a: u8,
    }
    let input: serde_json::Map<String, Value> =
        (0..5_000).map(|i| (format!("k{i:04}"), json!(i))).collect();
    let coerced = linear::<Strict>(&Value::Object(input), 2);
    assert!(
        coerced.passes <= LISTED + ATTEMPTS + 2,
        "{} passes",
        coerced.passes
    );
    assert_eq!(coerced.errors.len(), LISTED + 1);
}

#[test]
fn missing_fields_deep_in_nested_lists_are_learnt_once() {
    #[derive(Debug, Deserialize)]
    struct Outer {
        groups: Vec<Group>,
    }
    #[derive(Debug, Deserialize)]
    struct Group {
        name: String,
        items: Vec<Item>,
    }
    let group = json!({"items": vec![json!({}); 50]});
    let input = json!({"groups": vec![group; 200]});
    let coerced = linear::<Outer>(&input, 3);
    // One pass per fact learnt (`Group.name`, `Item.a`) and one to finish.
    assert!(coerced.passes <= 3, "{} passes", coerced.passes);
    assert_eq!(coerced.errors["groups[0].items[0].a"], [REQUIRED]);
}

#[test]
fn a_few_errors_after_resumed_passes_still_build_the_value_with_real_fields() {
    #[derive(Debug, Deserialize, PartialEq)]
    struct Line {
        sku: String,
        on: NaiveDate,
    }
    let input = json!({"lines": [
        {"sku": "a", "on": "2026-01-01"},
        {"sku": "b", "on": "bad"},
        {"sku": "c", "on": "2026-01-03"},
        {"sku": "d", "on": "worse"},
    ]});
    #[derive(Debug, Deserialize)]
    struct Lines {
        lines: Vec<Line>,
    }
    let coerced = coerce::<Lines>(&input);
    // One pass stopped by each refused date, three finding a placeholder a
    // date accepts (`""`, `"0"` and a date-time are refused), one to finish,
    // one to build the value.
    assert_eq!(coerced.passes, 7);
    assert_eq!(coerced.errors.len(), 2);
    let lines = coerced
        .value
        .expect("rebuilt with every field it could read")
        .lines;
    let skus: Vec<&str> = lines.iter().map(|l| l.sku.as_str()).collect();
    assert_eq!(
        skus,
        ["a", "b", "c", "d"],
        "nothing before a resume point is lost"
    );
    assert_eq!(lines[2].on, NaiveDate::from_ymd_opt(2026, 1, 3).unwrap());
    assert_eq!(lines[1].on, NaiveDate::default());
}

/// A type that refuses every placeholder (as `try_from` types often do).
#[derive(Debug, Deserialize, PartialEq)]
#[serde(try_from = "String")]
struct Email(String);

impl TryFrom<String> for Email {
    type Error = &'static str;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        if text.contains('@') {
            Ok(Self(text))
        } else {
            Err("not an email")
        }
    }
}

#[derive(Debug, Deserialize)]
struct Signup {
    email: Email,
    age: u8,
}

#[test]
fn a_value_whose_type_refuses_every_placeholder_is_still_read_for_real() {
    // Revisiting the struct for its missing `age` feeds `email` a
    // placeholder, which `Email` refuses: only the discovery passes give up
    // on the struct; the last pass reads the real address.
    let coerced = coerce::<Signup>(&json!({"email": "ada@example.com"}));
    assert_eq!(
        coerced.errors,
        [("age".to_owned(), vec![REQUIRED.to_owned()])].into()
    );
    let signup = coerced.value.expect("built from the real email");
    assert_eq!(signup.email, Email("ada@example.com".into()));

    // With no address to stand in for the refused one, serde stops at
    // `email` every time and never says whether `age` is missing.
    let coerced = coerce::<Signup>(&json!({"email": "nobody"}));
    assert_eq!(
        coerced.errors,
        [("email".to_owned(), vec![INVALID.to_owned()])].into()
    );
    assert!(coerced.value.is_none(), "no placeholder makes an email");

    let input = json!({"signups": [{"email": "a@b"}, {"email": "c@d", "age": 3}, {"email": "x"}]});
    #[derive(Debug, Deserialize)]
    struct Signups {
        signups: Vec<Signup>,
    }
    let coerced = coerce::<Signups>(&input);
    let fields: Vec<&str> = coerced.errors.keys().map(String::as_str).collect();
    assert_eq!(
        fields,
        ["signups[0].age", "signups[2].age", "signups[2].email"]
    );
}

#[test]
fn a_field_found_missing_never_takes_the_place_of_a_key_left_out() {
    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Strict {
        a: i64,
    }
    let coerced = coerce::<Strict>(&json!({"zzz": 1}));
    let fields: Vec<&str> = coerced.errors.keys().map(String::as_str).collect();
    assert_eq!(fields, ["a", "zzz"]);
    assert_eq!(coerced.value, Some(Strict { a: 0 }));
}

#[test]
fn valid_input_and_scalar_mismatches_take_one_pass_and_placeholders_report_nothing() {
    #[derive(Debug, Deserialize)]
    struct Inner {
        x: i64,
    }
    #[derive(Debug, Deserialize)]
    struct Outer {
        a: Inner,
        b: NaiveDate,
        n: u8,
    }
    let valid = coerce::<Outer>(&json!({"a": {"x": 1}, "b": "2026-01-01", "n": 1}));
    assert_eq!((valid.passes, valid.errors.len()), (1, 0));
    let mismatch = coerce::<Outer>(&json!({"a": {"x": "one"}, "b": "2026-01-01", "n": "x"}));
    assert_eq!(mismatch.passes, 1, "{:?}", mismatch.errors);
    assert_eq!(mismatch.errors.len(), 2);
    // `a` comes before the refused `b`: later passes feed it an empty
    // placeholder, whose missing `x` is no error of the input.
    let refused = coerce::<Outer>(&json!({"a": {"x": 1}, "b": "2026-13-45", "n": 1}));
    assert_eq!(
        refused.errors,
        [("b".to_owned(), vec![INVALID.to_owned()])].into()
    );
    assert_eq!(refused.value.expect("built").a.x, 1);
}

#[test]
fn valid_input_is_read_once_node_by_node() {
    let input = json!({ "items": vec![json!({"a": 1}); 1_000] });
    let coerced = coerce::<Items>(&input);
    assert!(coerced.errors.is_empty());
    assert_eq!((coerced.passes, coerced.visited), (1, nodes(&input)));
}

#[test]
fn a_field_found_missing_late_resumes_the_next_pass_where_it_was_found() {
    // Only the last element lacks `a`: the direct walk reads everything
    // before it stops there; so does the pass that learns `a` is required;
    // the next starts at that element, not at the root; then the build
    // pass. Three visits per node, not four.
    let n = 20_000;
    let mut items = vec![json!({"a": 1}); n];
    items.push(json!({}));
    let input = json!({ "items": items });
    let coerced = linear::<Items>(&input, 3);
    // The direct walk, the first pass and the build pass each visit every
    // node, and every visit counts.
    assert!(coerced.visited >= 3 * nodes(&input));
    assert_eq!(coerced.passes, 3);
    assert_eq!(coerced.errors.len(), 1);
    assert_eq!(coerced.errors[&format!("items[{n}].a")], [REQUIRED]);
}

#[test]
fn a_type_refusing_every_placeholder_is_tried_a_bounded_number_of_times() {
    // `email` is refused for real; the later passes feed `Email` a
    // placeholder, which it refuses too: ATTEMPTS placeholders in all, then
    // the struct is given up.
    let coerced = coerce::<Signup>(&json!({"email": "nobody"}));
    assert_eq!(coerced.passes, ATTEMPTS + 2, "{:?}", coerced.errors);
}
