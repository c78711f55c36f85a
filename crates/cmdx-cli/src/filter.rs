//! The filters shared by `query`, `timeline` and `stats`, combined with AND.

use chrono::{DateTime, Utc};
use globset::{Glob, GlobMatcher};

use crate::cli::FilterArgs;
use crate::line::{Kind, LedgerLine, State, Status};
use crate::where_expr::{LineFields, WhereExpr};

/// A compiled set of filters.
#[derive(Debug, Default)]
pub(crate) struct Filter {
    pub(crate) cid: Option<String>,
    pub(crate) xid: Option<String>,
    /// The pattern as written, and its compiled glob.
    pub(crate) task: Option<(String, GlobMatcher)>,
    pub(crate) status: Vec<Status>,
    pub(crate) state: Vec<State>,
    pub(crate) kind: Vec<Kind>,
    pub(crate) root: bool,
    /// Milliseconds since the epoch, inclusive.
    pub(crate) since: Option<i64>,
    /// Milliseconds since the epoch, inclusive.
    pub(crate) until: Option<i64>,
    pub(crate) wheres: Vec<WhereExpr>,
}

impl Filter {
    /// Compiles the command-line filters; `now` anchors relative times.
    pub(crate) fn new(args: &FilterArgs, now: DateTime<Utc>) -> Result<Self, String> {
        let task = match &args.task {
            Some(pattern) => {
                let glob = Glob::new(pattern).map_err(|e| format!("--task `{pattern}`: {e}"))?;
                Some((pattern.clone(), glob.compile_matcher()))
            }
            None => None,
        };
        let wheres = args
            .r#where
            .iter()
            .map(|w| WhereExpr::parse(w).map_err(|e| format!("--where {e}")))
            .collect::<Result<_, _>>()?;
        let time = |flag: &str, v: &Option<String>| -> Result<Option<i64>, String> {
            v.as_deref()
                .map(|t| parse_time(t, now).map_err(|e| format!("{flag} `{t}`: {e}")))
                .transpose()
        };
        Ok(Self {
            cid: args.cid.clone(),
            xid: args.xid.clone(),
            task,
            status: args.status.clone(),
            state: args.state.clone(),
            kind: args.kind.clone(),
            root: args.root,
            since: time("--since", &args.since)?,
            until: time("--until", &args.until)?,
            wheres,
        })
    }

    /// A filter on one chain id only (for `tree`).
    pub(crate) fn chain(cid: &str) -> Self {
        Self {
            cid: Some(cid.to_owned()),
            ..Self::default()
        }
    }

    /// The `--where` expressions.
    pub(crate) fn wheres(&self) -> &[WhereExpr] {
        &self.wheres
    }

    /// Literal byte strings every matching line must contain.
    pub(crate) fn needles(&self) -> Vec<Vec<u8>> {
        let mut needles: Vec<Vec<u8>> = self.wheres.iter().filter_map(WhereExpr::needle).collect();
        needles.extend(
            [&self.cid, &self.xid]
                .into_iter()
                .flatten()
                .filter_map(|v| quoted(v)),
        );
        if let Some((pattern, _)) = &self.task
            && !pattern.contains(['*', '?', '[', '{', '\\'])
        {
            needles.extend(quoted(pattern));
        }
        for word in [
            one(&self.status).map(Status::as_str),
            one(&self.state).map(State::as_str),
            one(&self.kind).map(Kind::as_str),
        ]
        .into_iter()
        .flatten()
        {
            needles.extend(quoted(word));
        }
        needles.sort_by_key(|n| std::cmp::Reverse(n.len()));
        needles
    }

    /// Whether a parsed line passes every filter.
    pub(crate) fn matches(&self, line: &LedgerLine<'_>) -> bool {
        if self.cid.as_deref().is_some_and(|c| c != line.cid.as_str())
            || self
                .xid
                .as_deref()
                .is_some_and(|x| Some(x) != line.xid.as_deref())
            || (self.root && !line.root)
            || (!self.status.is_empty() && !self.status.contains(&line.status))
            || (!self.state.is_empty() && !self.state.contains(&line.state))
            || (!self.kind.is_empty() && !self.kind.contains(&line.kind))
            || self
                .task
                .as_ref()
                .is_some_and(|(_, g)| !g.is_match(line.task.as_str()))
        {
            return false;
        }
        if self.since.is_some() || self.until.is_some() {
            let Some(ts) = ts_millis(&line.ts) else {
                return false;
            };
            if self.since.is_some_and(|s| ts < s) || self.until.is_some_and(|u| ts > u) {
                return false;
            }
        }
        if self.wheres.is_empty() {
            return true;
        }
        let fields = LineFields::new(line);
        self.wheres.iter().all(|w| w.matches(&fields))
    }
}

fn one<T: Copy>(values: &[T]) -> Option<T> {
    match values {
        [only] => Some(*only),
        _ => None,
    }
}

fn quoted(value: &str) -> Option<Vec<u8>> {
    let plain = !value.is_empty()
        && !value
            .chars()
            .any(|c| c.is_control() || matches!(c, '"' | '\\' | '/'));
    plain.then(|| format!("\"{value}\"").into_bytes())
}

/// Milliseconds since the epoch of an RFC 3339 timestamp.
pub(crate) fn ts_millis(ts: &str) -> Option<i64> {
    DateTime::parse_from_rfc3339(ts)
        .ok()
        .map(|t| t.timestamp_millis())
}

/// Reads `--since`/`--until`: RFC 3339, or a span back from `now` such as
/// `90s`, `30m`, `1h`, `2d`, `1w`.
pub(crate) fn parse_time(text: &str, now: DateTime<Utc>) -> Result<i64, String> {
    if let Some(ms) = ts_millis(text) {
        return Ok(ms);
    }
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let amount: i64 = digits.parse().map_err(|_| {
        "expected RFC 3339 (2026-11-26T10:00:00Z) or a span like 30m, 1h, 2d".to_owned()
    })?;
    let seconds = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        "w" => 604_800,
        _ => return Err(format!("unknown unit `{unit}`: use s, m, h, d or w")),
    };
    amount
        .checked_mul(seconds * 1000)
        .map(|back| now.timestamp_millis() - back)
        .ok_or_else(|| "span too large".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_spans_count_back_from_now() {
        let now = DateTime::parse_from_rfc3339("2026-11-26T12:00:00Z")
            .unwrap()
            .to_utc();
        assert_eq!(
            parse_time("1h", now).unwrap(),
            now.timestamp_millis() - 3_600_000
        );
        assert_eq!(
            parse_time("2d", now).unwrap(),
            now.timestamp_millis() - 172_800_000
        );
        assert!(parse_time("1y", now).is_err());
    }
}
