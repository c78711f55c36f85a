//! Filters pushed down to SQL, so the database's indexes do the searching.
//!
//! The SQL selects a *superset* of the matching lines: every condition it
//! holds is implied by a filter, and a filter it cannot express (`!=`,
//! `>`, `~`, numbers, array paths, …) is simply left out. The command then
//! parses each returned line and applies the whole [`Filter`] to it, exactly
//! as on files, so the answer is the same whatever was pushed down.
//!
//! | filter | SQLite | PostgreSQL |
//! |---|---|---|
//! | `--cid`, `--xid`, `--where cid=…` | `cid = ?` | `cid = $1::uuid` |
//! | `--task Inventory::*` | `task >= 'Inventory::' AND task < 'Inventory:;'` | `task LIKE 'Inventory::%'` (escaped) |
//! | `--task NAME` | `task = ?` | `task = $1` |
//! | `--status/--state/--kind` | `status IN (?, …)` | `status IN ($1, …)` |
//! | `--root` | `root = 1` | `root` |
//! | `--since/--until` | `ts >= ?` / `ts < ?` (text: the schema's `…T…​.mmmZ` sorts as time) | `ts >= $1::timestamptz` / `ts < $2::timestamptz` |
//! | `--where sku=V` (bare key) | `json_extract(input,'$.sku') = ? OR json_extract(metadata,'$.sku') = ?` | `input @> $1::jsonb OR metadata @> $1::jsonb` |
//! | `--where input.a.b=V` | `json_extract(input,'$.a.b') = ?` | `input @> '{"a":{"b":V}}'` |
//! | `--where status=V`, `code=V` (text column) | `status = ?` | `status = $1` |
//! | `--where metadata.code=V` (v1's place, v2's too) | `(json_extract(metadata,'$.code') = ? OR code = ?)` | `(metadata @> $1::jsonb OR code = $2)` |
//! | `--where metadata.errors…=V`, other v1 paths to framework keys | not pushed down | not pushed down |
//!
//! `--until T` becomes `ts < T + 1 ms`: a line's time counts to the
//! millisecond on files, and a PostgreSQL `timestamptz` keeps microseconds.
//! SQLite's expression indexes match only the same expression text, so JSON
//! paths are written into the SQL (`'$.sku'`), never bound: a key goes into
//! the SQL only when it is a plain identifier (`[A-Za-z_][A-Za-z0-9_]*`);
//! any other key is filtered after, like on files.

use serde_json::{Map, Value};

use crate::filter::Filter;
use crate::line::{Kind, State, Status, V1_FRAMEWORK_KEYS};
use crate::where_expr::{Op, WhereExpr};

/// The SQL flavour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    /// SQLite: `?` placeholders, JSON as text with `json_extract`.
    Sqlite,
    /// PostgreSQL: `$n` placeholders, `jsonb` containment, `uuid` and
    /// `timestamptz` columns.
    Postgres,
}

/// A bound value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Param {
    /// A text value.
    Text(String),
}

/// A `SELECT id, line …` statement and its parameters.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Select {
    /// The statement.
    pub(crate) sql: String,
    /// Its parameters, in placeholder order.
    pub(crate) params: Vec<Param>,
}

/// Top-level fields stored as text columns of the same name.
/// (`code`: a v2 line's `code`, a v1 line's `metadata.code`, the store
/// fills one column for both.)
const TEXT_COLUMNS: &[&str] = &[
    "task", "kind", "state", "status", "xid", "reason", "cause", "trace_id", "span_id", "code",
];

/// Top-level fields stored as `uuid` on PostgreSQL (text on SQLite).
const UUID_COLUMNS: &[&str] = &["cid", "tid", "parent", "origin", "compensates"];

/// Builds the conditions of one statement.
#[derive(Debug)]
struct Builder {
    dialect: Dialect,
    conditions: Vec<String>,
    params: Vec<Param>,
}

impl Builder {
    /// Binds `value`, returning its placeholder.
    fn bind(&mut self, value: impl Into<String>) -> String {
        self.params.push(Param::Text(value.into()));
        match self.dialect {
            Dialect::Sqlite => "?".to_owned(),
            Dialect::Postgres => format!("${}", self.params.len()),
        }
    }

    fn push(&mut self, condition: String) {
        self.conditions.push(condition);
    }

    /// `column = value` for a top-level field, when the column can hold it.
    fn column_equals(&mut self, column: &str, value: &str) {
        if TEXT_COLUMNS.contains(&column) {
            let p = self.bind(value);
            self.push(format!("{column} = {p}"));
        } else if UUID_COLUMNS.contains(&column) {
            match self.dialect {
                Dialect::Sqlite => {
                    let p = self.bind(value);
                    self.push(format!("{column} = {p}"));
                }
                // A value that is not a UUID cannot be cast: left to the
                // exact filter after.
                Dialect::Postgres if is_uuid(value) => {
                    let p = self.bind(value);
                    self.push(format!("{column} = {p}::uuid"));
                }
                Dialect::Postgres => {}
            }
        }
    }

    fn one_of(&mut self, column: &str, words: &[&'static str]) {
        if words.is_empty() {
            return;
        }
        let placeholders: Vec<String> = words.iter().map(|w| self.bind(*w)).collect();
        self.push(format!("{column} IN ({})", placeholders.join(", ")));
    }

    fn task(&mut self, pattern: &str) {
        let Some(first_meta) = pattern.find(['*', '?', '[', '{', '\\']) else {
            return self.column_equals("task", pattern);
        };
        let prefix = &pattern[..first_meta];
        if prefix.is_empty() {
            return;
        }
        match self.dialect {
            Dialect::Sqlite => {
                // A range on the (task, ts) index: exact for the prefix,
                // since SQLite compares text bytewise and UTF-8 byte order is
                // code-point order.
                let low = self.bind(prefix);
                match successor(prefix) {
                    Some(high) => {
                        let high = self.bind(high);
                        self.push(format!("task >= {low} AND task < {high}"));
                    }
                    None => self.push(format!("task >= {low}")),
                }
            }
            Dialect::Postgres => {
                let like = format!("{}%", escape_like(prefix));
                let p = self.bind(like);
                self.push(format!("task LIKE {p} ESCAPE '\\'"));
            }
        }
    }

    fn time(&mut self, since: Option<i64>, until: Option<i64>) {
        let bound = |ms: i64| {
            chrono::DateTime::from_timestamp_millis(ms)
                .map(|t| t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
        };
        let cast = match self.dialect {
            Dialect::Sqlite => "",
            Dialect::Postgres => "::timestamptz",
        };
        if let Some(text) = since.and_then(bound) {
            let p = self.bind(text);
            self.push(format!("ts >= {p}{cast}"));
        }
        if let Some(text) = until.and_then(|u| u.checked_add(1)).and_then(bound) {
            let p = self.bind(text);
            self.push(format!("ts < {p}{cast}"));
        }
    }

    fn where_expr(&mut self, expr: &WhereExpr) {
        let Some(value) = pushable_text(expr) else {
            return;
        };
        let path = expr.path();
        if expr.is_bare() {
            let [key] = path else { return };
            if !is_identifier(key) {
                return;
            }
            match self.dialect {
                Dialect::Sqlite => {
                    let a = self.bind(value);
                    let b = self.bind(value);
                    self.push(format!(
                        "(json_extract(input, '$.{key}') = {a} OR json_extract(metadata, '$.{key}') = {b})"
                    ));
                }
                Dialect::Postgres => {
                    let p = self.bind(nested(std::slice::from_ref(key), value));
                    self.push(format!("(input @> {p}::jsonb OR metadata @> {p}::jsonb)"));
                }
            }
            return;
        }
        match path {
            [column] => self.column_equals(column, value),
            // `metadata.code` also matches a v2 line's `code` (see
            // `where_expr`): either place; `metadata.errors…`, … also match
            // where v2 keeps them, which no column holds: not pushed down.
            [object, key] if object == "metadata" && key == "code" => match self.dialect {
                Dialect::Sqlite => {
                    let a = self.bind(value);
                    let b = self.bind(value);
                    self.push(format!(
                        "(json_extract(metadata, '$.code') = {a} OR code = {b})"
                    ));
                }
                Dialect::Postgres => {
                    let a = self.bind(nested(std::slice::from_ref(key), value));
                    let b = self.bind(value);
                    self.push(format!("(metadata @> {a}::jsonb OR code = {b})"));
                }
            },
            [object, key, ..]
                if object == "metadata" && V1_FRAMEWORK_KEYS.contains(&key.as_str()) => {}
            [object, rest @ ..]
                if (object == "input" || object == "metadata")
                    && !rest.is_empty()
                    && rest.iter().all(|k| is_identifier(k)) =>
            {
                match self.dialect {
                    Dialect::Sqlite => {
                        let p = self.bind(value);
                        self.push(format!(
                            "json_extract({object}, '$.{}') = {p}",
                            rest.join(".")
                        ));
                    }
                    Dialect::Postgres => {
                        let p = self.bind(nested(rest, value));
                        self.push(format!("{object} @> {p}::jsonb"));
                    }
                }
            }
            _ => {}
        }
    }
}

/// Every line, execution and log lines, in insertion order: for
/// `timeline --with-logs`, which joins log lines to their executions the
/// way it does in a file (no pushdown, as on files no pre-filter).
pub(crate) fn select_all() -> Select {
    Select {
        sql: "SELECT id, line FROM cmdx_lines ORDER BY id".to_owned(),
        params: Vec::new(),
    }
}

/// The statement selecting the execution lines (not log lines) that may
/// pass `filter`, in insertion order. With `pushdown` false (`--strict`),
/// every execution line, so each is validated.
pub(crate) fn select(filter: &Filter, dialect: Dialect, pushdown: bool) -> Select {
    let mut b = Builder {
        dialect,
        conditions: vec!["line_kind = 'execution'".to_owned()],
        params: Vec::new(),
    };
    if pushdown {
        if let Some(cid) = &filter.cid {
            b.column_equals("cid", cid);
        }
        if let Some(xid) = &filter.xid {
            b.column_equals("xid", xid);
        }
        if let Some((pattern, _)) = &filter.task {
            b.task(pattern);
        }
        let status: Vec<&str> = filter.status.iter().map(|s| Status::as_str(*s)).collect();
        b.one_of("status", &status);
        let state: Vec<&str> = filter.state.iter().map(|s| State::as_str(*s)).collect();
        b.one_of("state", &state);
        let kind: Vec<&str> = filter.kind.iter().map(|k| Kind::as_str(*k)).collect();
        b.one_of("kind", &kind);
        if filter.root {
            b.push(match dialect {
                Dialect::Sqlite => "root = 1".to_owned(),
                Dialect::Postgres => "root".to_owned(),
            });
        }
        b.time(filter.since, filter.until);
        for expr in &filter.wheres {
            b.where_expr(expr);
        }
    }
    Select {
        sql: format!(
            "SELECT id, line FROM cmdx_lines WHERE {} ORDER BY id",
            b.conditions.join(" AND ")
        ),
        params: b.params,
    }
}

/// The text an `=` expression pins its field to, when SQL can test it: a
/// string (not a number, `true`/`false`/`null` or JSON, which `=` also
/// matches in other forms).
fn pushable_text(expr: &WhereExpr) -> Option<&str> {
    let value = expr.value();
    let plain = expr.op() == Op::Eq
        && expr.number().is_none()
        && !matches!(value, "true" | "false" | "null")
        && !value.starts_with(['[', '{']);
    plain.then_some(value)
}

/// `{"a":{"b":"value"}}` for the path `a.b`.
fn nested(path: &[String], value: &str) -> String {
    let mut json = Value::String(value.to_owned());
    for key in path.iter().rev() {
        let mut object = Map::new();
        object.insert(key.clone(), json);
        json = Value::Object(object);
    }
    json.to_string()
}

fn is_identifier(key: &str) -> bool {
    let mut chars = key.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The canonical 8-4-4-4-12 hex form.
fn is_uuid(value: &str) -> bool {
    value.len() == 36
        && value.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// `LIKE` metacharacters escaped with `\`.
fn escape_like(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

/// The smallest string above every string starting with `prefix`: its last
/// character incremented (`None` when that cannot be done).
fn successor(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        let next = (u32::from(last) + 1..=u32::from(char::MAX)).find_map(char::from_u32);
        if let Some(next) = next {
            chars.push(next);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;
    use crate::cli::FilterArgs;

    fn filter(args: FilterArgs) -> Filter {
        Filter::new(&args, Utc::now()).unwrap()
    }

    fn wheres(exprs: &[&str]) -> Filter {
        filter(FilterArgs {
            r#where: exprs.iter().map(|s| (*s).to_owned()).collect(),
            ..FilterArgs::default()
        })
    }

    fn texts(select: &Select) -> Vec<&str> {
        select
            .params
            .iter()
            .map(|Param::Text(t)| t.as_str())
            .collect()
    }

    #[test]
    fn the_support_ticket_uses_the_sku_expression_on_sqlite_and_containment_on_postgres() {
        let f = wheres(&["sku=SKU-04242"]);
        let lite = select(&f, Dialect::Sqlite, true);
        assert!(
            lite.sql.contains("json_extract(input, '$.sku') = ?")
                && lite.sql.contains("json_extract(metadata, '$.sku') = ?"),
            "{}",
            lite.sql
        );
        assert_eq!(texts(&lite), ["SKU-04242", "SKU-04242"]);
        let pg = select(&f, Dialect::Postgres, true);
        assert!(
            pg.sql
                .contains("(input @> $1::jsonb OR metadata @> $1::jsonb)"),
            "{}",
            pg.sql
        );
        assert_eq!(texts(&pg), [r#"{"sku":"SKU-04242"}"#]);
    }

    #[test]
    fn operators_and_values_sql_cannot_test_exactly_are_left_to_the_filter() {
        for expr in [
            "quantity=10",
            "sku!=A",
            "sku~A",
            "sku>A",
            "flag=true",
            "x=null",
            "input.items.0=A",
            "input.a-b=A",
            "ts=2026",
        ] {
            let s = select(&wheres(&[expr]), Dialect::Sqlite, true);
            assert!(s.params.is_empty(), "{expr}: {}", s.sql);
        }
    }

    #[test]
    fn the_code_is_a_column_and_v1_paths_to_framework_keys_stay_in_the_filter() {
        let s = select(&wheres(&["code=out_of_stock"]), Dialect::Sqlite, true);
        assert!(s.sql.contains("code = ?"), "{}", s.sql);
        let s = select(&wheres(&["metadata.code=x"]), Dialect::Postgres, true);
        assert!(
            s.sql.contains("(metadata @> $1::jsonb OR code = $2)"),
            "{}",
            s.sql
        );
        for expr in ["metadata.errors.sku=x", "metadata.hook=x"] {
            let s = select(&wheres(&[expr]), Dialect::Postgres, true);
            assert!(s.params.is_empty(), "{expr}: {}", s.sql);
        }
    }

    #[test]
    fn nested_paths_and_top_level_columns_are_pushed() {
        let f = wheres(&["metadata.order.code=E1", "status=failed"]);
        let pg = select(&f, Dialect::Postgres, true);
        assert!(pg.sql.contains("metadata @> $1::jsonb"), "{}", pg.sql);
        assert!(pg.sql.contains("status = $2"), "{}", pg.sql);
        assert_eq!(texts(&pg), [r#"{"order":{"code":"E1"}}"#, "failed"]);
        let lite = select(&f, Dialect::Sqlite, true);
        assert!(
            lite.sql
                .contains("json_extract(metadata, '$.order.code') = ?"),
            "{}",
            lite.sql
        );
    }

    #[test]
    fn a_task_glob_becomes_a_prefix_range_or_an_escaped_like() {
        let f = filter(FilterArgs {
            task: Some("Inv_%::*".into()),
            ..FilterArgs::default()
        });
        let lite = select(&f, Dialect::Sqlite, true);
        assert!(lite.sql.contains("task >= ? AND task < ?"), "{}", lite.sql);
        assert_eq!(texts(&lite), ["Inv_%::", "Inv_%:;"]);
        let pg = select(&f, Dialect::Postgres, true);
        assert_eq!(texts(&pg), [r"Inv\_\%::%"]);
        let any = filter(FilterArgs {
            task: Some("*Stock".into()),
            ..FilterArgs::default()
        });
        assert!(select(&any, Dialect::Sqlite, true).params.is_empty());
    }

    #[test]
    fn until_is_exclusive_one_millisecond_later() {
        let f = filter(FilterArgs {
            since: Some("2026-11-26T10:00:00.100Z".into()),
            until: Some("2026-11-26T10:00:00.200Z".into()),
            ..FilterArgs::default()
        });
        let pg = select(&f, Dialect::Postgres, true);
        assert!(
            pg.sql
                .contains("ts >= $1::timestamptz AND ts < $2::timestamptz"),
            "{}",
            pg.sql
        );
        assert_eq!(
            texts(&pg),
            ["2026-11-26T10:00:00.100Z", "2026-11-26T10:00:00.201Z"]
        );
    }

    #[test]
    fn a_chain_id_is_cast_only_when_it_is_a_uuid() {
        let id = "01a2186b-2048-7609-9343-92ca0a32b25c";
        let pg = select(&Filter::chain(id), Dialect::Postgres, true);
        assert!(pg.sql.contains("cid = $1::uuid"), "{}", pg.sql);
        let odd = select(&Filter::chain("not-a-uuid"), Dialect::Postgres, true);
        assert!(odd.params.is_empty(), "{}", odd.sql);
        // 36 characters, but not the 8-4-4-4-12 hex form.
        let long = "x".repeat(36);
        let odd = select(&Filter::chain(&long), Dialect::Postgres, true);
        assert!(odd.params.is_empty(), "{}", odd.sql);
        assert!(!is_uuid("01a2186b-2048-7609-9343-92ca0a32b25"));
        let lite = select(&Filter::chain("not-a-uuid"), Dialect::Sqlite, true);
        assert!(lite.sql.contains("cid = ?"), "{}", lite.sql);
    }

    #[test]
    fn strict_pushes_nothing_but_the_line_kind() {
        let s = select(&wheres(&["sku=A"]), Dialect::Sqlite, false);
        assert_eq!(
            s.sql,
            "SELECT id, line FROM cmdx_lines WHERE line_kind = 'execution' ORDER BY id"
        );
    }

    #[test]
    fn successor_increments_the_last_character() {
        assert_eq!(successor("ab").as_deref(), Some("ac"));
        assert_eq!(successor("a\u{10FFFF}").as_deref(), Some("b"));
        assert_eq!(successor("\u{10FFFF}"), None);
        // The surrogate gap is skipped.
        assert_eq!(successor("\u{D7FF}").as_deref(), Some("\u{E000}"));
    }
}
