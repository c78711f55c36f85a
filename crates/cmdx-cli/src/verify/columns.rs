//! A database row's columns against its `line`: the seal covers the line
//! only, so a column edited apart from it (`UPDATE … SET status = 'success'`)
//! is caught by re-deriving the columns from the line
//! ([`cmdx_store::Row::from_line`]) and comparing.

use serde_json::Value;

use crate::db::RowRef;
use crate::db::pushdown::Dialect;

/// How a column is stored, and so read back and compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Type {
    /// Text on both.
    Text,
    /// Text on SQLite, `uuid` on PostgreSQL (compared lowercase).
    Uuid,
    /// Integer.
    Int,
    /// Double.
    Real,
    /// 0/1 on SQLite, `boolean` on PostgreSQL.
    Bool,
    /// JSON text on SQLite (compared as written), `jsonb` on PostgreSQL
    /// (compared as JSON values).
    Json,
    /// Text on SQLite (as written), `timestamptz` on PostgreSQL (compared
    /// to the microsecond).
    Time,
}

/// Every column but `id` and `line`, in the order they are selected.
const COLUMNS: &[(&str, Type)] = &[
    ("wid", Type::Uuid),
    ("seq", Type::Int),
    ("hash", Type::Text),
    ("line_kind", Type::Text),
    ("v", Type::Int),
    ("ts", Type::Time),
    ("cid", Type::Uuid),
    ("xid", Type::Text),
    ("tid", Type::Uuid),
    ("idx", Type::Int),
    ("parent", Type::Uuid),
    ("root", Type::Bool),
    ("task", Type::Text),
    ("kind", Type::Text),
    ("state", Type::Text),
    ("status", Type::Text),
    ("reason", Type::Text),
    ("metadata", Type::Json),
    ("input", Type::Json),
    ("duration_ms", Type::Real),
    ("retries", Type::Int),
    ("rolled_back", Type::Bool),
    ("cause", Type::Text),
    ("origin", Type::Uuid),
    ("compensates", Type::Uuid),
    ("trace_id", Type::Text),
    ("span_id", Type::Text),
    ("tags", Type::Json),
    ("level", Type::Text),
    ("target", Type::Text),
    ("message", Type::Text),
    ("fields", Type::Json),
    ("code", Type::Text),
];

/// One column's value, as read or as derived.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cell {
    /// SQL NULL.
    Null,
    /// Text (also UUIDs, times on SQLite, JSON).
    Text(String),
    /// An integer (also booleans as 0/1).
    Int(i64),
    /// A double.
    Real(f64),
    /// A value of a type the column should not hold.
    Unreadable(String),
}

impl std::fmt::Display for Cell {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Null => f.write_str("NULL"),
            Self::Text(t) => write!(f, "{t:?}"),
            Self::Int(i) => write!(f, "{i}"),
            Self::Real(r) => write!(f, "{r}"),
            Self::Unreadable(why) => write!(f, "unreadable ({why})"),
        }
    }
}

/// `SELECT id, line, <columns> FROM cmdx_lines ORDER BY id` for `dialect`.
pub(crate) fn select(dialect: Dialect) -> String {
    let columns: Vec<String> = COLUMNS
        .iter()
        .map(|(name, ty)| match (dialect, ty) {
            (Dialect::Sqlite, _) | (Dialect::Postgres, Type::Text | Type::Real | Type::Bool) => {
                (*name).to_owned()
            }
            (Dialect::Postgres, Type::Uuid | Type::Json) => format!("{name}::text"),
            (Dialect::Postgres, Type::Int) => format!("{name}::bigint"),
            // Microseconds since the epoch, exactly (numeric).
            (Dialect::Postgres, Type::Time) => {
                format!("(extract(epoch from {name}) * 1000000)::bigint")
            }
        })
        .collect();
    format!(
        "SELECT id, line, {} FROM cmdx_lines ORDER BY id",
        columns.join(", ")
    )
}

/// The stored cells of `row` (from [`select`]), in [`COLUMNS`] order; a
/// value of a type its column should not hold is [`Cell::Unreadable`].
pub(crate) fn read(row: &RowRef<'_>, dialect: Dialect) -> Vec<Cell> {
    COLUMNS
        .iter()
        .enumerate()
        .map(|(i, (_, ty))| {
            let at = i + 2;
            let cell = match (dialect, ty) {
                (Dialect::Postgres, Type::Time) | (_, Type::Int) => {
                    row.get::<Option<i64>>(at).map(|v| v.map(Cell::Int))
                }
                (_, Type::Real) => row.get::<Option<f64>>(at).map(|v| v.map(Cell::Real)),
                (_, Type::Bool) => row
                    .get::<Option<bool>>(at)
                    .map(|v| v.map(|b| Cell::Int(i64::from(b)))),
                _ => row.get::<Option<String>>(at).map(|v| v.map(Cell::Text)),
            };
            match cell {
                Ok(Some(cell)) => cell,
                Ok(None) => Cell::Null,
                Err(e) => Cell::Unreadable(e.to_string()),
            }
        })
        .collect()
}

/// The cells `line` should have been stored as, in [`COLUMNS`] order.
pub(crate) fn derive(row: &cmdx_store::Row, dialect: Dialect) -> Vec<Cell> {
    let text = |v: &Option<String>| v.clone().map_or(Cell::Null, Cell::Text);
    let int = |v: Option<i64>| v.map_or(Cell::Null, Cell::Int);
    let boolean = |v: Option<bool>| v.map_or(Cell::Null, |b| Cell::Int(i64::from(b)));
    let uuid = |v: &Option<String>| match (dialect, v) {
        (Dialect::Postgres, Some(id)) => uuid::Uuid::parse_str(id)
            .map_or_else(|_| Cell::Text(id.clone()), |u| Cell::Text(u.to_string())),
        _ => text(v),
    };
    let time = match dialect {
        Dialect::Sqlite => Cell::Text(row.ts.clone()),
        Dialect::Postgres => chrono::DateTime::parse_from_rfc3339(&row.ts).map_or_else(
            |_| Cell::Text(row.ts.clone()),
            |t| Cell::Int(t.timestamp_micros()),
        ),
    };
    vec![
        uuid(&Some(row.wid.clone())),
        Cell::Int(row.seq),
        Cell::Text(row.hash.clone()),
        Cell::Text(row.line_kind.as_str().to_owned()),
        int(row.v),
        time,
        uuid(&row.cid),
        text(&row.xid),
        uuid(&row.tid),
        int(row.idx),
        uuid(&row.parent),
        boolean(row.root),
        text(&row.task),
        text(&row.kind),
        text(&row.state),
        text(&row.status),
        text(&row.reason),
        text(&row.metadata),
        text(&row.input),
        row.duration_ms.map_or(Cell::Null, Cell::Real),
        int(row.retries),
        boolean(row.rolled_back),
        text(&row.cause),
        uuid(&row.origin),
        uuid(&row.compensates),
        text(&row.trace_id),
        text(&row.span_id),
        text(&row.tags),
        text(&row.level),
        text(&row.target),
        text(&row.message),
        text(&row.fields),
        text(&row.code),
    ]
}

/// The first column whose stored cell differs from the derived one:
/// `(column, stored, derived)`.
pub(crate) fn first_difference(
    stored: &[Cell],
    derived: &[Cell],
    dialect: Dialect,
) -> Option<(&'static str, Cell, Cell)> {
    COLUMNS
        .iter()
        .zip(stored.iter().zip(derived))
        .find(|((_, ty), (s, d))| !same(s, d, *ty, dialect))
        .map(|((name, _), (s, d))| (*name, s.clone(), d.clone()))
}

fn same(stored: &Cell, derived: &Cell, ty: Type, dialect: Dialect) -> bool {
    match (ty, dialect, stored, derived) {
        // jsonb keeps neither the key order nor the spacing: compare values.
        (Type::Json, Dialect::Postgres, Cell::Text(s), Cell::Text(d)) => {
            match (
                serde_json::from_str::<Value>(s),
                serde_json::from_str::<Value>(d),
            ) {
                (Ok(s), Ok(d)) => json_equal(&s, &d),
                _ => false,
            }
        }
        _ => stored == derived,
    }
}

/// JSON equality with numbers compared by value (`1.0` as `jsonb` may
/// print it is the `1.0` of the line).
fn json_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            x == y || (x.as_f64().is_some() && x.as_f64() == y.as_f64())
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| json_equal(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_equal(v, w)))
        }
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jsonb_order_and_spacing_do_not_count_but_values_do() {
        let s = Cell::Text(r#"{"a": 1.0, "b": [1, 2]}"#.into());
        let d = Cell::Text(r#"{"b":[1,2],"a":1.0}"#.into());
        assert!(same(&s, &d, Type::Json, Dialect::Postgres));
        assert!(!same(&s, &d, Type::Json, Dialect::Sqlite));
        let other = Cell::Text(r#"{"b":[1,3],"a":1.0}"#.into());
        assert!(!same(&s, &other, Type::Json, Dialect::Postgres));
    }

    #[test]
    fn the_select_names_every_column_once() {
        let sql = select(Dialect::Postgres);
        assert!(
            sql.contains("status, reason, metadata::text, input::text"),
            "{sql}"
        );
        assert_eq!(COLUMNS.len(), 33);
    }
}
