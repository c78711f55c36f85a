//! Unit tests of the lenient deserializer.
#![expect(
    dead_code,
    reason = "test inputs are built to be deserialized and compared, not read field by field"
)]
use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::json;

use super::read::{BOOLEAN, CHARACTER, INTEGER, LIST, NUMBER, OBJECT, STRING};
use super::*;

/// Coerces `input`, asserting success.
fn ok<T: DeserializeOwned>(input: Value) -> T {
    let coerced = coerce::<T>(&input);
    assert!(
        coerced.errors.is_empty(),
        "unexpected errors: {:?}",
        coerced.errors
    );
    coerced.value.expect("a value without errors")
}

/// Coerces `input`, returning only the errors.
fn errs<T: DeserializeOwned>(input: Value) -> FieldErrors {
    coerce::<T>(&input).errors
}

/// Builds an expected error map with one message per path.
fn expect(pairs: &[(&str, &str)]) -> FieldErrors {
    pairs
        .iter()
        .map(|(path, message)| ((*path).to_owned(), vec![(*message).to_owned()]))
        .collect()
}

/// Asserts no message mentions `secret`.
fn assert_no_leak(errors: &FieldErrors, secret: &str) {
    for (path, messages) in errors {
        for message in messages {
            assert!(
                !message.contains(secret),
                "{path}: {message} leaks the input"
            );
        }
    }
}

#[derive(Debug, Deserialize, PartialEq)]
struct Ints {
    a: i8,
    b: i16,
    c: i32,
    d: i64,
    e: i128,
    f: u8,
    g: u16,
    h: u32,
    i: u64,
    j: u128,
}

#[test]
fn integers_from_numbers_whole_floats_and_text() {
    let value: Ints = ok(json!({
        "a": -8, "b": " 16 ", "c": 32.0, "d": "-64",
        "e": "-170141183460469231731687303715884105728", "f": 255, "g": "+16", "h": 1e3,
        "i": u64::MAX, "j": "340282366920938463463374607431768211455",
    }));
    let want = Ints {
        a: -8,
        b: 16,
        c: 32,
        d: -64,
        e: i128::MIN,
        f: 255,
        g: 16,
        h: 1000,
        i: u64::MAX,
        j: u128::MAX,
    };
    assert_eq!(value, want);
}

#[test]
fn integer_range_is_checked_per_width() {
    let errors = errs::<Ints>(json!({
        "a": "-129", "b": 0, "c": 0, "d": 0, "e": format!("-1{}", "0".repeat(40)), "f": 256,
        "g": 0, "h": -1, "i": 1.8446744073709552e19, "j": "9".repeat(40),
    }));
    let want = expect(&[
        ("a", "must be between -128 and 127"),
        (
            "e",
            "must be between -170141183460469231731687303715884105728 and 170141183460469231731687303715884105727",
        ),
        ("f", "must be between 0 and 255"),
        ("h", "must be between 0 and 4294967295"),
        ("i", "must be between 0 and 18446744073709551615"),
        (
            "j",
            "must be between 0 and 340282366920938463463374607431768211455",
        ),
    ]);
    assert_eq!(errors, want);
}

#[test]
fn integer_rejects_non_integers() {
    for bad in [
        json!("abc"),
        json!(1.5),
        json!(true),
        json!([1]),
        json!({}),
        json!("4.0"),
        json!(""),
    ] {
        assert_eq!(
            errs::<Ints>(
                json!({"a": 1, "b": 1, "c": bad, "d": 1, "e": 1, "f": 1, "g": 1, "h": 1, "i": 1, "j": 1})
            ),
            expect(&[("c", INTEGER)])
        );
    }
}

#[derive(Debug, Deserialize, PartialEq)]
struct Floats {
    x: f64,
    y: f32,
}

#[test]
fn floats_from_numbers_and_text() {
    assert_eq!(
        ok::<Floats>(json!({"x": "2.25", "y": 3})),
        Floats { x: 2.25, y: 3.0 }
    );
    assert_eq!(
        ok::<Floats>(json!({"x": 1.5, "y": " 1e3 "})),
        Floats { x: 1.5, y: 1000.0 }
    );
    for bad in [
        json!("abc"),
        json!("NaN"),
        json!("inf"),
        json!(true),
        json!([]),
    ] {
        assert_eq!(
            errs::<Floats>(json!({"x": bad, "y": 1})),
            expect(&[("x", NUMBER)])
        );
    }
    assert_eq!(
        errs::<Floats>(json!({"x": 1, "y": 1e300})),
        expect(&[("y", "must be between -3.4028235e38 and 3.4028235e38")])
    );
}

#[derive(Debug, Deserialize)]
struct Flag {
    on: bool,
}

#[test]
fn booleans_from_spellings_and_numbers() {
    let truthy = ["true", "YES", "On", "1", "t", "Y", " yes "];
    let falsy = ["false", "No", "OFF", "0", "f", "n"];
    for text in truthy {
        assert!(ok::<Flag>(json!({"on": text})).on, "{text}");
    }
    for text in falsy {
        assert!(!ok::<Flag>(json!({"on": text})).on, "{text}");
    }
    assert!(ok::<Flag>(json!({"on": 1})).on);
    assert!(!ok::<Flag>(json!({"on": 0})).on);
    assert!(ok::<Flag>(json!({"on": true})).on);
    for bad in [json!("maybe"), json!(2), json!([]), json!("")] {
        assert_eq!(errs::<Flag>(json!({"on": bad})), expect(&[("on", BOOLEAN)]));
    }
}

#[derive(Debug, Deserialize, PartialEq)]
struct Texts {
    s: String,
    c: char,
}

#[test]
fn strings_and_chars() {
    assert_eq!(
        ok::<Texts>(json!({"s": "x", "c": "é"})),
        Texts {
            s: "x".into(),
            c: 'é'
        }
    );
    assert_eq!(
        ok::<Texts>(json!({"s": 42, "c": 7})),
        Texts {
            s: "42".into(),
            c: '7'
        }
    );
    assert_eq!(ok::<Texts>(json!({"s": true, "c": " "})).s, "true");
    assert_eq!(ok::<Texts>(json!({"s": 1.5, "c": "a"})).s, "1.5");
    assert_eq!(
        errs::<Texts>(json!({"s": [], "c": "ab"})),
        expect(&[("s", STRING), ("c", CHARACTER)])
    );
    assert_eq!(
        errs::<Texts>(json!({"s": {}, "c": ""})),
        expect(&[("s", STRING), ("c", CHARACTER)])
    );
}

#[derive(Debug, Deserialize, PartialEq)]
struct Optional {
    n: Option<u32>,
    s: Option<String>,
}

#[test]
fn options_from_null_missing_or_inner_value() {
    assert_eq!(
        ok::<Optional>(json!({"n": null})),
        Optional { n: None, s: None }
    );
    assert_eq!(
        ok::<Optional>(json!({"n": "5", "s": 6})),
        Optional {
            n: Some(5),
            s: Some("6".into())
        }
    );
    assert_eq!(
        errs::<Optional>(json!({"n": "x"})),
        expect(&[("n", INTEGER)])
    );
}

#[derive(Debug, Deserialize, PartialEq)]
struct Order {
    quantity: u32,
    active: bool,
    name: String,
    price: f64,
}

#[test]
fn every_bad_field_is_reported_at_once() {
    let coerced =
        coerce::<Order>(&json!({"quantity": "many", "active": "maybe", "name": [], "price": 2}));
    assert_eq!(
        coerced.errors,
        expect(&[("quantity", INTEGER), ("active", BOOLEAN), ("name", STRING)])
    );
    let placeholder = Order {
        quantity: 0,
        active: false,
        name: String::new(),
        price: 2.0,
    };
    assert_eq!(coerced.value, Some(placeholder));
}

#[test]
fn null_for_a_required_field_is_required() {
    let errors = errs::<Order>(json!({"quantity": null, "active": true, "name": "a", "price": 1}));
    assert_eq!(errors, expect(&[("quantity", REQUIRED)]));
}

#[test]
fn every_missing_field_is_reported() {
    let coerced = coerce::<Order>(&json!({"active": "yes", "price": 1}));
    assert_eq!(
        coerced.errors,
        expect(&[("quantity", REQUIRED), ("name", REQUIRED)])
    );
    let placeholder = Order {
        quantity: 0,
        active: true,
        name: String::new(),
        price: 1.0,
    };
    assert_eq!(coerced.value, Some(placeholder));
}

fn default_name() -> String {
    "anon".into()
}

#[derive(Debug, Deserialize, PartialEq)]
struct WithDefaults {
    #[serde(default)]
    retries: u8,
    #[serde(default = "default_name")]
    name: String,
    note: Option<String>,
    id: u64,
}

#[derive(Debug, Default, Deserialize, PartialEq)]
#[serde(default)]
struct AllDefault {
    retries: u8,
    verbose: bool,
}

#[test]
fn serde_defaults_are_not_reported_missing() {
    let coerced = coerce::<WithDefaults>(&json!({}));
    assert_eq!(coerced.errors, expect(&[("id", REQUIRED)]));
    let want = WithDefaults {
        retries: 0,
        name: "anon".into(),
        note: None,
        id: 0,
    };
    assert_eq!(coerced.value, Some(want));
    assert_eq!(
        ok::<AllDefault>(json!({"verbose": "on"})),
        AllDefault {
            retries: 0,
            verbose: true
        }
    );
}

#[derive(Debug, Deserialize, PartialEq)]
struct Geo {
    lat: f64,
}

#[derive(Debug, Deserialize, PartialEq)]
struct Address {
    zip: String,
    city: String,
    geo: Geo,
}

#[derive(Debug, Deserialize, PartialEq)]
struct Customer {
    name: String,
    address: Address,
}

#[test]
fn nested_fields_use_dotted_paths() {
    let errors =
        errs::<Customer>(json!({"name": "a", "address": {"city": 5, "geo": {"lat": "north"}}}));
    assert_eq!(
        errors,
        expect(&[("address.zip", REQUIRED), ("address.geo.lat", NUMBER)])
    );
    let value: Customer =
        ok(json!({"name": "a", "address": {"zip": 12345, "city": "x", "geo": {"lat": "1.5"}}}));
    assert_eq!(value.address.zip, "12345");
}

#[test]
fn a_wrongly_shaped_or_absent_object_is_one_error() {
    assert_eq!(
        errs::<Customer>(json!({"name": "a", "address": "x"})),
        expect(&[("address", OBJECT)])
    );
    assert_eq!(
        errs::<Customer>(json!({"name": "a", "address": null})),
        expect(&[("address", REQUIRED)])
    );
    assert_eq!(
        errs::<Customer>(json!({"name": "a"})),
        expect(&[("address", REQUIRED)])
    );
}

#[derive(Debug, Deserialize)]
struct Line {
    sku: String,
    qty: u16,
}

#[derive(Debug, Deserialize)]
struct Cart {
    flags: Vec<bool>,
    lines: Vec<Line>,
    pair: (u8, String),
}

#[test]
fn list_elements_use_indexed_paths() {
    let errors = errs::<Cart>(json!({
        "flags": [true, "maybe", "yes", 3],
        "lines": [{"sku": "a", "qty": "1"}, {"qty": "x"}],
        "pair": ["7", 8],
    }));
    let want = expect(&[
        ("flags[1]", BOOLEAN),
        ("flags[3]", BOOLEAN),
        ("lines[1].sku", REQUIRED),
        ("lines[1].qty", INTEGER),
    ]);
    assert_eq!(errors, want);
    let cart: Cart = ok(json!({"flags": [], "lines": [{"sku": 1, "qty": 2}], "pair": [1, "b"]}));
    assert_eq!((cart.lines[0].sku.as_str(), cart.pair.0), ("1", 1));
}

#[test]
fn lists_must_be_arrays_of_the_right_length() {
    let errors = errs::<Cart>(json!({"flags": "yes", "lines": {}, "pair": [1]}));
    let want = expect(&[
        ("flags", LIST),
        ("lines", LIST),
        (
            "pair",
            "is not a valid value for this field (expected a tuple of size 2)",
        ),
    ]);
    assert_eq!(errors, want);
    let errors = errs::<Cart>(json!({"flags": [], "lines": [], "pair": [1, "a", "secret"]}));
    assert_eq!(
        errors,
        expect(&[(
            "pair",
            "is not a valid value for this field (too many elements)"
        )])
    );
    assert_eq!(
        errs::<Vec<u8>>(json!([1, "x"])),
        expect(&[("input[1]", INTEGER)])
    );
}

#[derive(Debug, Deserialize, PartialEq)]
#[serde(rename_all = "lowercase")]
enum Status {
    Draft,
    Published,
    Archived,
}

#[derive(Debug, Deserialize, PartialEq)]
enum Payment {
    Free,
    Card { last4: String },
    Cash(u32),
    Split(u8, u8),
}

#[derive(Debug, Deserialize, PartialEq)]
struct Post {
    status: Status,
    payment: Payment,
}

#[test]
fn unit_enums_check_membership() {
    assert_eq!(
        ok::<Post>(json!({"status": "archived", "payment": "Free"})).status,
        Status::Archived
    );
    let one_of = "must be one of: draft, published, archived";
    for bad in [json!("Draft"), json!(5), json!([]), json!({"a": 1, "b": 2})] {
        let coerced = coerce::<Post>(&json!({"status": bad, "payment": "Free"}));
        assert_eq!(coerced.errors, expect(&[("status", one_of)]));
        assert_eq!(coerced.value.map(|post| post.status), Some(Status::Draft));
    }
    assert_eq!(
        errs::<Post>(json!({"payment": "Free"})),
        expect(&[("status", REQUIRED)])
    );
    assert_eq!(
        errs::<Post>(json!({"status": null, "payment": "Free"})),
        expect(&[("status", REQUIRED)])
    );
}

#[test]
fn data_enums_from_single_key_objects() {
    let card = ok::<Post>(json!({"status": "draft", "payment": {"Card": {"last4": 1234}}}));
    assert_eq!(
        card.payment,
        Payment::Card {
            last4: "1234".into()
        }
    );
    let cash = ok::<Post>(json!({"status": "draft", "payment": {"Cash": " 12 "}}));
    assert_eq!(cash.payment, Payment::Cash(12));
    let split = ok::<Post>(json!({"status": "draft", "payment": {"Split": ["1", 2]}}));
    assert_eq!(split.payment, Payment::Split(1, 2));
    let errors = errs::<Post>(json!({"status": "draft", "payment": {"Bitcoin": 1}}));
    assert_eq!(
        errors,
        expect(&[("payment", "must be one of: Free, Card, Cash, Split")])
    );
    let errors = errs::<Post>(json!({"status": "draft", "payment": {"Cash": "x"}}));
    assert_eq!(errors, expect(&[("payment.Cash", INTEGER)]));
    let errors = errs::<Post>(json!({"status": "draft", "payment": {"Card": {}}}));
    assert_eq!(errors, expect(&[("payment.Card.last4", REQUIRED)]));
    let errors = errs::<Post>(json!({"status": "draft", "payment": "Card"}));
    assert_eq!(errors, expect(&[("payment", OBJECT)]));
}

#[derive(Debug, Deserialize)]
struct Money {
    a: Decimal,
    b: Decimal,
    c: Decimal,
    d: Option<Decimal>,
}

#[test]
fn decimals_from_strings_and_numbers() {
    let money: Money = ok(json!({"a": "12.50", "b": 3, "c": 1.25, "d": "-0.001"}));
    assert_eq!(money.a, Decimal::new(1250, 2));
    assert_eq!(money.b, Decimal::new(3, 0));
    assert_eq!(money.c, Decimal::new(125, 2));
    assert_eq!(money.d, Some(Decimal::new(-1, 3)));
    let coerced = coerce::<Money>(&json!({"a": "12.5secret", "b": true, "c": 1, "d": "x"}));
    assert_eq!(coerced.errors.keys().collect::<Vec<_>>(), ["a", "b", "d"]);
    for messages in coerced.errors.values() {
        assert!(messages[0].starts_with(INVALID), "{messages:?}");
    }
    assert_no_leak(&coerced.errors, "secret");
    assert_eq!(
        errs::<Money>(json!({"a": 1, "c": 1})),
        expect(&[("b", REQUIRED)])
    );
}

#[derive(Debug, Deserialize)]
struct Schedule {
    day: NaiveDate,
    at: DateTime<Utc>,
    local: NaiveDateTime,
    until: Option<NaiveDate>,
    count: u8,
}

#[test]
fn dates_parse_from_strings() {
    let schedule: Schedule = ok(json!({
        "day": "2024-02-29", "at": "2024-01-02T03:04:05Z", "local": "2024-01-02T03:04:05",
        "until": null, "count": "3",
    }));
    assert_eq!(
        schedule.day,
        NaiveDate::from_ymd_opt(2024, 2, 29).expect("valid date")
    );
    assert_eq!(schedule.at.to_rfc3339(), "2024-01-02T03:04:05+00:00");
    assert_eq!(schedule.local.to_string(), "2024-01-02 03:04:05");
    assert_eq!(schedule.until, None);
    assert_eq!(schedule.count, 3);
}

#[test]
fn visitor_errors_are_located_and_do_not_leak_values() {
    let coerced = coerce::<Schedule>(&json!({
        "day": "2024-13-45-secret", "at": 17, "local": "secret", "until": "secret", "count": "x",
    }));
    let paths: Vec<_> = coerced.errors.keys().map(String::as_str).collect();
    assert_eq!(paths, ["at", "count", "day", "local", "until"]);
    assert_eq!(coerced.errors["count"], [INTEGER]);
    assert_eq!(coerced.errors["day"], [INVALID]);
    assert_no_leak(&coerced.errors, "secret");
    assert_no_leak(&coerced.errors, "17");
}

#[test]
fn refused_placeholders_give_way_so_later_fields_are_still_checked() {
    let coerced = coerce::<Schedule>(&json!({"day": "bad", "local": [], "until": "x"}));
    let want = expect(&[
        ("day", INVALID),
        ("at", REQUIRED),
        ("local", STRING),
        ("until", INVALID),
        ("count", REQUIRED),
    ]);
    assert_eq!(coerced.errors, want);
    let value = coerced.value.expect("placeholders for every field");
    assert_eq!(value.day, NaiveDate::default());
    assert_eq!((value.until, value.count), (None, 0));
    let coerced = coerce::<NonZero>(&json!({}));
    assert_eq!(coerced.errors, expect(&[("n", REQUIRED)]));
    assert_eq!(coerced.value.map(|v| v.n.get()), Some(1));
}

#[derive(Debug, Deserialize)]
struct NonZero {
    n: std::num::NonZeroU32,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "type")]
enum Tagged {
    A { x: u8 },
}

#[derive(Debug, Deserialize)]
struct HasTagged {
    kind: Tagged,
    n: u8,
}

#[test]
fn failures_after_buffering_are_located_at_the_field() {
    let coerced = coerce::<HasTagged>(&json!({"kind": {"type": "A", "x": []}, "n": "x"}));
    let want = expect(&[
        ("kind", "is not a valid value for this field (expected u8)"),
        ("n", INTEGER),
    ]);
    assert_eq!(coerced.errors, want);
    assert!(coerced.value.is_none());
    let ok: HasTagged = ok(json!({"kind": {"type": "A", "x": 1}, "n": 2}));
    assert!(matches!(ok.kind, Tagged::A { x: 1 }));
}

/// A type whose own impl fails with a message quoting the input.
#[derive(Debug)]
struct Pin;

impl<'de> Deserialize<'de> for Pin {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Err(serde::de::Error::custom(format!("bad pin {text}")))
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Login {
    user: String,
    pin: Option<Pin>,
    token: uuid::Uuid,
}

#[test]
fn custom_impls_uuids_and_unknown_fields_do_not_leak_values() {
    let coerced = coerce::<Login>(&json!({
        "user": "a", "pin": "secret-1", "token": "secret-2", "password": "secret-3", "x": [1],
    }));
    let not_allowed = "is not an allowed field (expected one of: user, pin, token)";
    let want = expect(&[
        ("pin", INVALID),
        ("token", INVALID),
        ("password", not_allowed),
        ("x", not_allowed),
    ]);
    assert_eq!(coerced.errors, want);
    assert_no_leak(&coerced.errors, "secret");
    let token = "67e55044-10b1-426f-9247-bb680e5fe0c8";
    let login: Login = ok(json!({"user": "a", "token": token}));
    assert_eq!(login.token.to_string(), token);
}

#[derive(Debug, Deserialize)]
struct Loose {
    n: u8,
    extra: Value,
    keyed: HashMap<u8, bool>,
}

#[test]
fn unknown_keys_are_ignored_and_map_keys_are_coerced() {
    let loose: Loose = ok(json!({"n": 1, "extra": {"a": [1]}, "keyed": {"7": "yes"}, "other": 2}));
    assert_eq!(loose.extra, json!({"a": [1]}));
    assert_eq!(loose.keyed.get(&7), Some(&true));
    let errors = errs::<Loose>(json!({"n": 1, "extra": 1, "keyed": {"300": true, "x": 1}}));
    assert_eq!(
        errors,
        expect(&[
            ("keyed.300", "must be between 0 and 255"),
            ("keyed.x", INTEGER)
        ])
    );
}

#[test]
fn root_that_is_not_an_object() {
    for root in [
        json!([1, 2]),
        json!("text"),
        json!(null),
        json!(42),
        json!(true),
    ] {
        let coerced = coerce::<Order>(&root);
        assert_eq!(coerced.errors, expect(&[(ROOT, OBJECT)]), "{root}");
    }
}

#[derive(Debug, Deserialize)]
struct Tree {
    name: String,
    children: Vec<Tree>,
}

/// Nests `1` `depth` times inside arrays or `Tree`-shaped objects
/// (without `json!`, which would clone the inner value recursively).
fn nested(depth: usize, in_object: bool) -> Value {
    let mut value = json!(1);
    for _ in 0..depth {
        value = Value::Array(vec![value]);
        if in_object {
            let mut map = serde_json::Map::new();
            map.insert("children".into(), value);
            map.insert("name".into(), json!("n"));
            value = Value::Object(map);
        }
    }
    value
}

#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct Everything {
    order: Order,
    post: Option<Post>,
    cart: Cart,
    money: Money,
    when: Schedule,
    map: HashMap<String, Vec<Option<u8>>>,
    any: Value,
}

#[test]
fn never_panics_and_always_explains_a_missing_value() {
    let weird = [
        json!(null),
        json!([]),
        json!({}),
        json!(""),
        json!(-1),
        json!(1e308),
        json!("\u{0}"),
        json!([null, {}, [], "x"]),
        json!({"order": [], "post": {"payment": {"Cash": {"Cash": 1}}}, "cart": {"pair": [[], {}]}}),
        json!({"money": {"a": {}, "b": [], "c": null}, "when": {"day": [], "at": {}}, "map": {"k": [1, "x", {}]}}),
        json!({"": null, "order": {"quantity": 1e300, "price": "1e999"}, "any": nested(50, false)}),
        nested(1_000, false),
        nested(300, true),
    ];
    for input in &weird {
        check::<Everything>(input);
        check::<Tree>(input);
        check::<Value>(input);
        check::<Vec<Payment>>(input);
        check::<(u8, Status)>(input);
        check::<HashMap<i64, Tree>>(input);
        check::<Option<Customer>>(input);
        check::<Login>(input);
    }
}

/// Coerces `input` and checks the result is explained.
fn check<T: DeserializeOwned>(input: &Value) {
    let coerced = coerce::<T>(input);
    assert!(coerced.value.is_some() || !coerced.errors.is_empty());
}

#[test]
fn deep_nesting_is_reported_not_overflowed() {
    let coerced = coerce::<Value>(&nested(1_000, false));
    assert!(
        coerced
            .errors
            .values()
            .flatten()
            .any(|m| m.ends_with("(nested too deeply)"))
    );
    let coerced = coerce::<Tree>(&nested(300, true));
    assert!(!coerced.errors.is_empty());
    let mut input = json!({"name": "leaf", "children": []});
    for _ in 0..40 {
        input = Value::Object(
            [
                ("name".to_owned(), json!("n")),
                ("children".to_owned(), Value::Array(vec![input])),
            ]
            .into_iter()
            .collect(),
        );
    }
    input["name"] = json!("root");
    let tree: Tree = ok(input);
    assert_eq!(tree.name, "root");
}

/// A chain of enum variants, each holding the next.
#[derive(Debug, Deserialize, PartialEq)]
enum Chain {
    End,
    Link(Box<Chain>),
}

/// `End` inside `depth` links.
fn chain(depth: usize) -> Value {
    let mut value = json!("End");
    for _ in 0..depth {
        value = json!({ "Link": value });
    }
    value
}

#[test]
fn the_direct_and_the_full_walk_stop_at_the_same_depth() {
    // The innermost list at depth 128 is read; one at 129 is refused, by
    // both walks (`coerce` checks they agree).
    let _: Value = ok(nested(129, false));
    assert!(!errs::<Value>(nested(130, false)).is_empty());
    let mut value: Chain = ok(chain(128));
    let mut links = 0;
    while let Chain::Link(next) = value {
        links += 1;
        value = *next;
    }
    assert_eq!(links, 128);
    assert!(!errs::<Chain>(chain(129)).is_empty());
}

#[test]
fn an_enum_object_names_one_variant_only() {
    let errors = errs::<Payment>(json!({"Cash": 1, "Free": null}));
    assert_eq!(errors.len(), 1, "{errors:?}");
    let _: Payment = ok(json!({"Cash": 1}));
}

/// Scalars that hit the coercion rules: numbers as text, whole floats,
/// boolean spellings, variant names, dates, out-of-range numbers.
const SCALARS: &[&str] = &[
    "null",
    "true",
    "false",
    "0",
    "1",
    "-1",
    "255",
    "256",
    "1.0",
    "1.5",
    "1e300",
    "18446744073709551615",
    "-9223372036854775808",
    r#""""#,
    r#"" 7 ""#,
    r#""-3""#,
    r#""1.5""#,
    r#""yes""#,
    r#""off""#,
    r#""t""#,
    r#""x""#,
    r#""ab""#,
    r#""é""#,
    r#""Draft""#,
    r#""Cash""#,
    r#""Free""#,
    r#""Split""#,
    r#""2026-01-01""#,
    r#""2026-01-01T00:00:00Z""#,
    r#""2026-01-01T10:00:00""#,
    r#""12.5""#,
    r#""67e55044-10b1-426f-9247-bb680e5fe0c8""#,
];

/// Field lists of the types below, so random objects often have the
/// right keys; plus keys no type has.
const FIELDS: &[&[&str]] = &[
    &["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"],
    &["x", "y"],
    &["on"],
    &["s", "c"],
    &["n", "s"],
    &["quantity", "active", "name", "price"],
    &["zip", "city", "geo", "lat"],
    &["name", "address"],
    &["sku", "qty"],
    &["flags", "lines", "pair"],
    &["status", "payment"],
    &["Card", "last4"],
    &["Cash"],
    &["Split"],
    &["day", "at", "local", "until", "count"],
    &["kind", "type", "n"],
    &["user", "pin", "token"],
    &["n", "extra", "keyed"],
    &["name", "children"],
    &["order", "post", "cart", "money", "when", "map", "any"],
    &["7", "-2", "300", "k", "password"],
];

/// A seeded generator (wyrand), so a failure can be replayed.
struct Random(u64);

impl Random {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_add(0xa076_1d64_78bd_642f);
        let t = u128::from(self.0) * u128::from(self.0 ^ 0xe703_7ed1_a0b4_28db);
        (((t >> 64) as u64 ^ t as u64) % n as u64) as usize
    }

    fn value(&mut self, depth: u32) -> Value {
        match self.below(if depth == 0 { 1 } else { 8 }) {
            0..=3 => serde_json::from_str(SCALARS[self.below(SCALARS.len())]).expect("JSON"),
            4 => (0..self.below(4)).map(|_| self.value(depth - 1)).collect(),
            _ => {
                let fields = FIELDS[self.below(FIELDS.len())];
                let mut object = serde_json::Map::new();
                for field in fields {
                    if self.below(6) > 0 {
                        object.insert((*field).to_owned(), self.value(depth - 1));
                    }
                }
                Value::Object(object)
            }
        }
    }
}

#[test]
fn the_direct_and_the_full_walk_agree_on_random_inputs() {
    // `coerce` asserts, for every input, that the direct walk read it
    // exactly when the full walk read it in one pass without an error.
    let mut random = Random(0x5eed);
    let mut read = 0;
    for _ in 0..400 {
        let input = random.value(4);
        let mut clean = |ok: bool| read += usize::from(ok);
        clean(coerce::<Ints>(&input).errors.is_empty());
        clean(coerce::<Floats>(&input).errors.is_empty());
        clean(coerce::<Flag>(&input).errors.is_empty());
        clean(coerce::<Texts>(&input).errors.is_empty());
        clean(coerce::<Optional>(&input).errors.is_empty());
        clean(coerce::<Customer>(&input).errors.is_empty());
        clean(coerce::<Geo>(&input).errors.is_empty());
        clean(coerce::<Cart>(&input).errors.is_empty());
        clean(coerce::<Post>(&input).errors.is_empty());
        clean(coerce::<Payment>(&input).errors.is_empty());
        clean(coerce::<Schedule>(&input).errors.is_empty());
        clean(coerce::<HasTagged>(&input).errors.is_empty());
        clean(coerce::<Login>(&input).errors.is_empty());
        clean(coerce::<Loose>(&input).errors.is_empty());
        clean(coerce::<NonZero>(&input).errors.is_empty());
        clean(coerce::<Tree>(&input).errors.is_empty());
        clean(coerce::<Everything>(&input).errors.is_empty());
        clean(coerce::<Value>(&input).errors.is_empty());
        clean(coerce::<Vec<Option<u8>>>(&input).errors.is_empty());
        clean(coerce::<(u8, Status)>(&input).errors.is_empty());
        clean(coerce::<HashMap<i64, bool>>(&input).errors.is_empty());
        clean(coerce::<Option<Chain>>(&input).errors.is_empty());
    }
    // Both outcomes occur often enough to test both directions.
    assert!(read > 400, "{read} clean reads");
}
