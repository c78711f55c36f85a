//! Output helpers: the default format, tables, the buffered stdout writer.

use std::io::{self, BufWriter, IsTerminal, StdoutLock, Write};

use comfy_table::{ContentArrangement, Table, presets};

use crate::cli::Format;

/// The format asked for, or table on a terminal and ndjson otherwise.
pub(crate) fn resolve(format: Option<Format>) -> Format {
    format.unwrap_or_else(|| {
        if io::stdout().is_terminal() {
            Format::Table
        } else {
            Format::Ndjson
        }
    })
}

/// Buffered, locked stdout.
pub(crate) fn stdout() -> BufWriter<StdoutLock<'static>> {
    BufWriter::with_capacity(256 * 1024, io::stdout().lock())
}

/// A table with the given header, fitted to the terminal when there is one.
pub(crate) fn table(header: &[&str]) -> Table {
    let mut table = Table::new();
    table.load_preset(presets::UTF8_FULL_CONDENSED);
    table.set_content_arrangement(if io::stdout().is_terminal() {
        ContentArrangement::Dynamic
    } else {
        ContentArrangement::Disabled
    });
    table.set_header(header.iter().copied());
    table
}

/// Writes `table` followed by a newline.
pub(crate) fn write_table(out: &mut impl Write, table: &Table) -> io::Result<()> {
    writeln!(out, "{table}")
}

/// Writes serialisable rows as a JSON array or one object per line.
pub(crate) fn write_json_rows<T: serde::Serialize>(
    out: &mut impl Write,
    rows: &[T],
    format: Format,
) -> io::Result<()> {
    if format == Format::Json {
        serde_json::to_writer_pretty(&mut *out, rows)?;
        writeln!(out)
    } else {
        for row in rows {
            serde_json::to_writer(&mut *out, row)?;
            writeln!(out)?;
        }
        Ok(())
    }
}

/// A duration in milliseconds for people: `0.82 ms`, `1.2 s`.
pub(crate) fn duration(ms: f64) -> String {
    if ms >= 1000.0 {
        format!("{:.2} s", ms / 1000.0)
    } else {
        format!("{ms:.2} ms")
    }
}

/// Shortens a UUID-like id to its last 8 characters for tables.
pub(crate) fn short_id(id: &str) -> &str {
    let cut = id.len().saturating_sub(8);
    id.get(cut..).unwrap_or(id)
}
