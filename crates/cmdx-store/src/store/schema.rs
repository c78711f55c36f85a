//! The versioned migrations of both databases. A migration is never edited
//! once released: a change is a new version.

/// `(version, SQL)` for SQLite, applied in order.
#[cfg(feature = "sqlite")]
pub(super) const SQLITE: &[(i64, &str)] = &[
    (
        1,
        r#"
CREATE TABLE cmdx_lines (
    id INTEGER PRIMARY KEY,
    wid TEXT NOT NULL,
    seq INTEGER NOT NULL,
    hash TEXT NOT NULL,
    line_kind TEXT NOT NULL,
    v INTEGER,
    ts TEXT NOT NULL,
    cid TEXT,
    xid TEXT,
    tid TEXT,
    idx INTEGER,
    parent TEXT,
    root INTEGER,
    task TEXT,
    kind TEXT,
    state TEXT,
    status TEXT,
    reason TEXT,
    metadata TEXT,
    input TEXT,
    duration_ms REAL,
    retries INTEGER,
    rolled_back INTEGER,
    cause TEXT,
    origin TEXT,
    compensates TEXT,
    trace_id TEXT,
    span_id TEXT,
    tags TEXT,
    level TEXT,
    target TEXT,
    message TEXT,
    fields TEXT,
    line TEXT NOT NULL,
    UNIQUE (wid, seq)
);
CREATE INDEX cmdx_lines_cid ON cmdx_lines (cid);
CREATE INDEX cmdx_lines_task_ts ON cmdx_lines (task, ts);
CREATE INDEX cmdx_lines_status_ts ON cmdx_lines (status, ts);
CREATE INDEX cmdx_lines_ts ON cmdx_lines (ts);
CREATE INDEX cmdx_lines_tid ON cmdx_lines (tid);
CREATE INDEX cmdx_lines_input_sku ON cmdx_lines (json_extract(input, '$.sku'));
CREATE INDEX cmdx_lines_metadata_code ON cmdx_lines (json_extract(metadata, '$.code'));
CREATE INDEX cmdx_lines_metadata_sku ON cmdx_lines (json_extract(metadata, '$.sku'))
    WHERE json_extract(metadata, '$.sku') IS NOT NULL;
CREATE INDEX cmdx_lines_input_code ON cmdx_lines (json_extract(input, '$.code'))
    WHERE json_extract(input, '$.code') IS NOT NULL;
"#,
    ),
    // Ledger line v2 keeps the code in its own key: one column for both
    // versions (a v1 line's `metadata.code`), filled for the rows stored.
    (
        2,
        r#"
ALTER TABLE cmdx_lines ADD COLUMN code TEXT;
UPDATE cmdx_lines SET code = json_extract(metadata, '$.code')
    WHERE line_kind = 'execution' AND v = 1 AND json_type(metadata, '$.code') = 'text';
CREATE INDEX cmdx_lines_code ON cmdx_lines (code) WHERE code IS NOT NULL;
"#,
    ),
];

/// `(version, SQL)` for PostgreSQL, applied in order.
#[cfg(feature = "postgres")]
pub(super) const POSTGRES: &[(i64, &str)] = &[
    (
        1,
        r#"
CREATE TABLE cmdx_lines (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    wid UUID NOT NULL,
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL,
    line_kind TEXT NOT NULL,
    v INTEGER,
    ts TIMESTAMPTZ NOT NULL,
    cid UUID,
    xid TEXT,
    tid UUID,
    idx INTEGER,
    parent UUID,
    root BOOLEAN,
    task TEXT,
    kind TEXT,
    state TEXT,
    status TEXT,
    reason TEXT,
    metadata JSONB,
    input JSONB,
    duration_ms DOUBLE PRECISION,
    retries INTEGER,
    rolled_back BOOLEAN,
    cause TEXT,
    origin UUID,
    compensates UUID,
    trace_id TEXT,
    span_id TEXT,
    tags JSONB,
    level TEXT,
    target TEXT,
    message TEXT,
    fields JSONB,
    line TEXT NOT NULL,
    UNIQUE (wid, seq)
);
CREATE INDEX cmdx_lines_cid ON cmdx_lines (cid);
CREATE INDEX cmdx_lines_task_ts ON cmdx_lines (task text_pattern_ops, ts);
CREATE INDEX cmdx_lines_status_ts ON cmdx_lines (status, ts);
CREATE INDEX cmdx_lines_ts ON cmdx_lines (ts);
CREATE INDEX cmdx_lines_tid ON cmdx_lines (tid);
CREATE INDEX cmdx_lines_input ON cmdx_lines USING GIN (input jsonb_path_ops);
CREATE INDEX cmdx_lines_metadata ON cmdx_lines USING GIN (metadata jsonb_path_ops);
"#,
    ),
    (
        2,
        r#"
ALTER TABLE cmdx_lines ADD COLUMN code TEXT;
UPDATE cmdx_lines SET code = metadata->>'code'
    WHERE line_kind = 'execution' AND v = 1 AND jsonb_typeof(metadata->'code') = 'string';
CREATE INDEX cmdx_lines_code ON cmdx_lines (code) WHERE code IS NOT NULL;
"#,
    ),
];

/// The columns every insert fills, in order (all but `id`).
pub(super) const COLUMNS: &str = "wid, seq, hash, line_kind, v, ts, cid, xid, tid, idx, parent, \
     root, task, kind, state, status, reason, metadata, input, duration_ms, retries, rolled_back, \
     cause, origin, compensates, trace_id, span_id, tags, level, target, message, fields, line, code";

/// The key of the PostgreSQL advisory lock held while migrating
/// (`pg_advisory_xact_lock`): "cmdx" in ASCII.
#[cfg(feature = "postgres")]
pub(super) const MIGRATION_LOCK: i64 = 0x636d_6478;

#[cfg(test)]
mod tests {
    #[test]
    fn the_newest_migration_is_the_schema_version() {
        #[cfg(feature = "sqlite")]
        assert_eq!(super::SQLITE.last().unwrap().0, crate::SCHEMA_VERSION);
        #[cfg(feature = "postgres")]
        assert_eq!(super::POSTGRES.last().unwrap().0, crate::SCHEMA_VERSION);
        assert_eq!(super::COLUMNS.split(',').count(), 34);
    }
}
