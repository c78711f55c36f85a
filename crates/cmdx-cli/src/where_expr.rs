//! `--where PATH OP VALUE` expressions.
//!
//! | written            | matches when the field…                                   |
//! |--------------------|-----------------------------------------------------------|
//! | `PATH=VALUE`       | equals VALUE (numbers compare as numbers, `true`/`false`/`null` as JSON) |
//! | `PATH!=VALUE`      | is missing or differs (the negation of `=`)               |
//! | `PATH>VALUE`, `>=` | is greater: numerically when both are numbers, else as text |
//! | `PATH<VALUE`, `<=` | is smaller, same rules                                     |
//! | `PATH~TEXT`        | contains TEXT as a substring                               |
//! | `PATH~/REGEX/`     | matches the regular expression (Rust `regex` syntax)       |
//!
//! PATH is a top-level field (`task`, `status`, `code`, `duration_ms`, …) or
//! a dotted path into an object or array (`input.sku`, `errors.quantity.0`,
//! `framework.hook`). A bare key that is not a top-level field
//! (`sku=SKU-1234`) matches `input.KEY` or `metadata.KEY`.
//!
//! v1 and v2 lines are read in one shape, v2's: on a v1 line, `code`,
//! `errors` and the framework's keys are read out of `metadata` (so
//! `code=out_of_stock` matches both versions, and `metadata` holds only the
//! user's keys on both). The v1 paths keep working on both too:
//! `metadata.code`, `metadata.errors…` and `metadata.<framework key>…`
//! fall back to where v2 keeps them.

use std::cell::OnceCell;
use std::cmp::Ordering;
use std::fmt;

use regex::Regex;
use serde_json::{Number, Value};

use crate::line::{LedgerLine, V1_FRAMEWORK_KEYS};
use serde_json::value::RawValue;

/// The comparison of a [`WhereExpr`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Op {
    /// `=`
    Eq,
    /// `!=`
    Ne,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `~TEXT`: substring.
    Contains,
    /// `~/REGEX/`: regular expression.
    Matches,
}

/// Why a `--where` expression could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WhereError(String);

impl fmt::Display for WhereError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for WhereError {}

/// The top-level field names of a line (v2; a v1 line is read in v2's
/// shape).
pub const TOP_LEVEL_FIELDS: &[&str] = &[
    "v",
    "ts",
    "cid",
    "xid",
    "tid",
    "index",
    "parent",
    "root",
    "task",
    "kind",
    "state",
    "status",
    "reason",
    "code",
    "errors",
    "metadata",
    "framework",
    "input",
    "output",
    "duration_ms",
    "retries",
    "rolled_back",
    "strict",
    "deprecated",
    "cause",
    "origin",
    "compensates",
    "trace_id",
    "span_id",
    "tags",
];

/// One parsed `--where` expression.
#[derive(Debug, Clone)]
pub struct WhereExpr {
    segments: Vec<String>,
    bare: bool,
    op: Op,
    value: String,
    number: Option<f64>,
    regex: Option<Regex>,
}

impl WhereExpr {
    /// Reads `PATH OP VALUE`. Never panics, whatever the text.
    ///
    /// # Errors
    /// A [`WhereError`] naming what is wrong and what is expected.
    pub fn parse(text: &str) -> Result<Self, WhereError> {
        let Some(at) = text.find(['=', '!', '<', '>', '~']) else {
            return Err(WhereError(format!(
                "`{text}`: expected PATH=VALUE (operators: = != > >= < <= ~)"
            )));
        };
        let path = text[..at].trim();
        let rest = &text[at..];
        let (op, value) = if let Some(v) = rest.strip_prefix("!=") {
            (Op::Ne, v)
        } else if let Some(v) = rest.strip_prefix(">=") {
            (Op::Ge, v)
        } else if let Some(v) = rest.strip_prefix("<=") {
            (Op::Le, v)
        } else if let Some(v) = rest.strip_prefix("==") {
            (Op::Eq, v)
        } else if let Some(v) = rest.strip_prefix('=') {
            (Op::Eq, v)
        } else if let Some(v) = rest.strip_prefix('>') {
            (Op::Gt, v)
        } else if let Some(v) = rest.strip_prefix('<') {
            (Op::Lt, v)
        } else if let Some(v) = rest.strip_prefix('~') {
            (Op::Contains, v)
        } else {
            return Err(WhereError(format!("`{text}`: `!` must be followed by `=`")));
        };
        if path.is_empty() {
            return Err(WhereError(format!(
                "`{text}`: the field path before the operator is empty"
            )));
        }
        let segments: Vec<String> = path.split('.').map(str::to_owned).collect();
        if segments.iter().any(String::is_empty) {
            return Err(WhereError(format!(
                "`{text}`: empty segment in the path `{path}`"
            )));
        }
        let bare = segments.len() == 1 && !TOP_LEVEL_FIELDS.contains(&segments[0].as_str());
        let mut op = op;
        let mut regex = None;
        if op == Op::Contains && value.len() >= 2 && value.starts_with('/') && value.ends_with('/')
        {
            let pattern = &value[1..value.len() - 1];
            let compiled = Regex::new(pattern)
                .map_err(|e| WhereError(format!("`{text}`: invalid regular expression: {e}")))?;
            regex = Some(compiled);
            op = Op::Matches;
        }
        let number = value.trim().parse::<f64>().ok().filter(|n| n.is_finite());
        Ok(Self {
            segments,
            bare,
            op,
            value: value.to_owned(),
            number,
            regex,
        })
    }

    /// The comparison operator.
    pub fn op(&self) -> Op {
        self.op
    }

    /// The value text after the operator (for `~/re/`, with its slashes).
    pub fn value(&self) -> &str {
        &self.value
    }

    /// The field path, one segment per dot (`["input", "sku"]`).
    pub fn path(&self) -> &[String] {
        &self.segments
    }

    /// Whether the path is a bare key, matched in `input` or `metadata`.
    pub fn is_bare(&self) -> bool {
        self.bare
    }

    /// The value as a number, when it reads as a finite one.
    pub fn number(&self) -> Option<f64> {
        self.number
    }

    /// The input key this expression pins to one value (`sku=…` or
    /// `input.sku=…`), if any.
    pub fn pinned_input_key(&self) -> Option<&str> {
        if self.op != Op::Eq {
            return None;
        }
        match self.segments.as_slice() {
            [key] if self.bare => Some(key),
            [input, key] if input == "input" => Some(key),
            _ => None,
        }
    }

    /// Bytes that every matching line must contain literally, when that can
    /// be known (used to skip lines before parsing them). Conservative: a
    /// line carrying a `\u` escape is always parsed by the scan.
    pub fn needle(&self) -> Option<Vec<u8>> {
        let v = self.value.as_str();
        let plain = !v.is_empty()
            && !v
                .chars()
                .any(|c| c.is_control() || matches!(c, '"' | '\\' | '/'));
        match self.op {
            Op::Eq
                if plain
                    && self.number.is_none()
                    && !matches!(v, "true" | "false" | "null")
                    && !v.starts_with(['[', '{']) =>
            {
                Some(format!("\"{v}\"").into_bytes())
            }
            Op::Contains
                if plain
                    && !v
                        .chars()
                        .any(|c| matches!(c, ':' | ',' | '{' | '}' | '[' | ']'))
                    && v.chars()
                        .any(|c| !matches!(c, '0'..='9' | '.' | '-' | '+' | 'e' | 'E')) =>
            {
                Some(v.as_bytes().to_vec())
            }
            _ => None,
        }
    }

    /// Whether the line's fields satisfy the expression.
    pub fn matches(&self, fields: &LineFields<'_, '_>) -> bool {
        if self.op == Op::Ne {
            return !self.any_value(fields, |v| self.equals(v));
        }
        self.any_value(fields, |v| self.test(v))
    }

    fn any_value(&self, fields: &LineFields<'_, '_>, mut test: impl FnMut(&Value) -> bool) -> bool {
        if self.bare {
            let key = &self.segments[0];
            [fields.input(), fields.metadata()]
                .into_iter()
                .flatten()
                .filter_map(|obj| obj.get(key))
                .any(test)
        } else {
            fields.resolve(&self.segments).is_some_and(|v| test(&v))
        }
    }

    fn equals(&self, found: &Value) -> bool {
        match found {
            Value::String(s) => *s == self.value,
            Value::Number(n) => self.number.is_some() && n.as_f64() == self.number,
            Value::Bool(b) => self.value == if *b { "true" } else { "false" },
            Value::Null => self.value == "null",
            other => serde_json::to_string(other).is_ok_and(|text| text == self.value),
        }
    }

    fn test(&self, found: &Value) -> bool {
        let ordering = || -> Option<Ordering> {
            match found {
                Value::Number(n) => n.as_f64()?.partial_cmp(&self.number?),
                Value::String(s) => Some(s.as_str().cmp(self.value.as_str())),
                _ => None,
            }
        };
        match self.op {
            Op::Eq | Op::Ne => self.equals(found),
            Op::Gt => ordering() == Some(Ordering::Greater),
            Op::Ge => matches!(ordering(), Some(Ordering::Greater | Ordering::Equal)),
            Op::Lt => ordering() == Some(Ordering::Less),
            Op::Le => matches!(ordering(), Some(Ordering::Less | Ordering::Equal)),
            Op::Contains => text_of(found).contains(self.value.as_str()),
            Op::Matches => self
                .regex
                .as_ref()
                .is_some_and(|re| re.is_match(&text_of(found))),
        }
    }
}

fn text_of(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A line's fields as JSON values, in the v2 shape whatever the line's
/// version, with `input`, `metadata` (and for v2 `errors`, `framework`,
/// `output`) parsed at most once however many expressions look at them.
#[derive(Debug)]
pub struct LineFields<'l, 'a> {
    line: &'l LedgerLine<'a>,
    input: OnceCell<Option<Value>>,
    output: OnceCell<Option<Value>>,
    split: OnceCell<Split>,
}

/// `metadata`, `errors`, `framework` and `code` in the v2 shape.
#[derive(Debug, Default)]
struct Split {
    metadata: Option<Value>,
    errors: Option<Value>,
    framework: Option<Value>,
    code: Option<Value>,
}

fn parsed(raw: Option<&RawValue>) -> Option<Value> {
    raw.and_then(|raw| serde_json::from_str(raw.get()).ok())
}

impl<'l, 'a> LineFields<'l, 'a> {
    /// Wraps a parsed line.
    pub fn new(line: &'l LedgerLine<'a>) -> Self {
        Self {
            line,
            input: OnceCell::new(),
            output: OnceCell::new(),
            split: OnceCell::new(),
        }
    }

    fn split(&self) -> &Split {
        self.split.get_or_init(|| {
            let l = self.line;
            if l.v >= 2 {
                return Split {
                    metadata: parsed(l.metadata),
                    errors: parsed(l.errors),
                    framework: parsed(l.framework),
                    code: l
                        .code
                        .as_ref()
                        .map(|code| Value::String(code.as_str().to_owned())),
                };
            }
            // v1: the framework's keys shared `metadata` with the user's.
            let mut split = Split::default();
            let Some(Value::Object(mut metadata)) = parsed(l.metadata) else {
                return split;
            };
            let mut framework = serde_json::Map::new();
            for key in V1_FRAMEWORK_KEYS {
                let Some(value) = metadata.remove(*key) else {
                    continue;
                };
                match *key {
                    "code" => split.code = Some(value),
                    "errors" => split.errors = Some(value),
                    key => {
                        framework.insert(key.to_owned(), value);
                    }
                }
            }
            split.metadata = Some(Value::Object(metadata));
            split.framework = Some(Value::Object(framework));
            split
        })
    }

    /// The parsed `errors` object (v1: `metadata.errors`), if any.
    pub fn errors(&self) -> Option<&Value> {
        self.split().errors.as_ref().filter(|v| !v.is_null())
    }

    /// The parsed `framework` object (v1: the framework's keys of
    /// `metadata`), if any.
    pub fn framework(&self) -> Option<&Value> {
        self.split().framework.as_ref()
    }

    /// The parsed `output`, if any.
    pub fn output(&self) -> Option<&Value> {
        self.output
            .get_or_init(|| parsed(self.line.output))
            .as_ref()
    }

    /// The parsed `input` object (or value), if any.
    pub fn input(&self) -> Option<&Value> {
        self.input
            .get_or_init(|| {
                self.line
                    .input
                    .and_then(|raw| serde_json::from_str(raw.get()).ok())
            })
            .as_ref()
    }

    /// The parsed `metadata` object, the user's keys only (a v1 line's
    /// framework keys are left out), if any.
    pub fn metadata(&self) -> Option<&Value> {
        self.split().metadata.as_ref()
    }

    /// `metadata.KEY…`, falling back — for the keys v1 kept there — to
    /// where v2 keeps them, so v1 queries read both versions.
    fn in_metadata(&self, rest: &[String]) -> Option<Value> {
        if let Some(found) = self.metadata().and_then(|m| walk(m, rest)) {
            return Some(found);
        }
        let (key, deeper) = rest.split_first()?;
        match key.as_str() {
            "code" if deeper.is_empty() => self.split().code.clone(),
            "errors" => walk(self.errors()?, deeper),
            key if V1_FRAMEWORK_KEYS.contains(&key) => walk(self.framework()?, rest),
            _ => None,
        }
    }

    /// The value at a dotted path, or `None` when absent.
    pub fn resolve(&self, segments: &[String]) -> Option<Value> {
        let (head, rest) = segments.split_first()?;
        let l = self.line;
        let text = |t: &Option<crate::line::Text<'_>>| {
            t.as_ref()
                .map_or(Value::Null, |t| Value::String(t.as_str().to_owned()))
        };
        let top = match head.as_str() {
            "input" => return walk(self.input()?, rest),
            "metadata" if rest.is_empty() => return self.metadata().cloned(),
            "metadata" => return self.in_metadata(rest),
            "errors" => return walk(self.errors()?, rest),
            "framework" => return walk(self.framework()?, rest),
            "output" => return walk(self.output()?, rest),
            "code" => self.split().code.clone().unwrap_or(Value::Null),
            "tags" => {
                let tags: Value = serde_json::from_str(l.tags?.get()).ok()?;
                return walk(&tags, rest);
            }
            "v" => Value::from(l.v),
            "ts" => Value::String(l.ts.as_str().to_owned()),
            "cid" => Value::String(l.cid.as_str().to_owned()),
            "tid" => Value::String(l.tid.as_str().to_owned()),
            "task" => Value::String(l.task.as_str().to_owned()),
            "kind" => Value::String(l.kind.as_str().to_owned()),
            "state" => Value::String(l.state.as_str().to_owned()),
            "status" => Value::String(l.status.as_str().to_owned()),
            "xid" => text(&l.xid),
            "parent" => text(&l.parent),
            "reason" => text(&l.reason),
            "cause" => text(&l.cause),
            "origin" => text(&l.origin),
            "compensates" => text(&l.compensates),
            "trace_id" => text(&l.trace_id),
            "span_id" => text(&l.span_id),
            "index" => Value::from(l.index),
            "retries" => Value::from(l.retries),
            "root" => Value::Bool(l.root),
            "rolled_back" => Value::Bool(l.rolled_back),
            "strict" => Value::Bool(l.strict),
            "deprecated" => Value::Bool(l.deprecated),
            "duration_ms" => Number::from_f64(l.duration_ms).map_or(Value::Null, Value::Number),
            _ => return None,
        };
        if rest.is_empty() { Some(top) } else { None }
    }
}

fn walk(mut value: &Value, segments: &[String]) -> Option<Value> {
    for segment in segments {
        value = match value {
            Value::Object(map) => map.get(segment)?,
            Value::Array(items) => items.get(segment.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(value.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operators_are_read_longest_first() {
        assert_eq!(WhereExpr::parse("a!=b").unwrap().op(), Op::Ne);
        assert_eq!(WhereExpr::parse("a>=1").unwrap().op(), Op::Ge);
        assert_eq!(WhereExpr::parse("a~/x+/").unwrap().op(), Op::Matches);
        assert_eq!(WhereExpr::parse("a~x").unwrap().op(), Op::Contains);
    }

    #[test]
    fn string_equality_has_a_quoted_needle_and_numbers_have_none() {
        assert_eq!(
            WhereExpr::parse("sku=SKU-1").unwrap().needle(),
            Some(b"\"SKU-1\"".to_vec())
        );
        assert_eq!(WhereExpr::parse("quantity=10").unwrap().needle(), None);
    }

    #[test]
    fn a_missing_operator_is_an_error() {
        assert!(WhereExpr::parse("sku").is_err());
        assert!(WhereExpr::parse("=x").is_err());
        assert!(WhereExpr::parse("a!b").is_err());
    }
}
