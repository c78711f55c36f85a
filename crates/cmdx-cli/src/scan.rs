//! The streaming scan: reads inputs in big chunks, skips lines that cannot
//! match before parsing them, parses the rest and hands matches on.
//!
//! Pre-filter: when the filters imply literal bytes a matching line must
//! contain (a quoted `--where` value, the chain id, …), the longest one is
//! searched over the whole chunk with `memchr::memmem`; only lines holding
//! every such literal (or a `\u` escape, which could hide one) are parsed.
//! The other lines get a cheap shape check (`{"v":1,` … `}`) and are fully
//! parsed only when that fails, to report them. `--strict` turns the
//! pre-filter off so every line is validated.
//!
//! Log lines (`{"log":…`, application events) are not executions: the scan
//! skips them silently (validating them under `--strict`), or hands them to
//! a log visitor ([`scan_with_logs`], for `timeline --with-logs`).

use std::io::{self, Read};

use memchr::memmem::Finder;

use crate::cli::InputArgs;
use crate::diagnostics::Diagnostics;
use crate::error::Failure;
use crate::filter::Filter;
use crate::input;
use crate::line::{
    LedgerLine, LogLine, is_log_line, looks_like_ledger_line, parse_line, parse_log_line,
};
use crate::sealed;

/// Bytes asked of the reader at a time.
const CHUNK: usize = 1 << 21;

/// Whether the scan goes on after a match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flow {
    /// Keep scanning.
    Continue,
    /// Enough: stop reading.
    Stop,
}

/// What the scan saw.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Summary {
    /// Malformed, foreign or unknown-version lines skipped.
    pub(crate) bad: u64,
}

/// What a log visitor is shown ([`scan_with_logs`]).
pub(crate) enum Seen<'l, 'a> {
    /// A log line, parsed, and its raw bytes.
    Log(&'l LogLine<'a>, &'l [u8]),
    /// An execution line that did not pass the filters (its log lines,
    /// seen before it, are not wanted).
    Unmatched(&'l LedgerLine<'a>),
}

/// No log visitor: log lines are skipped.
type NoLogs = fn(Seen<'_, '_>) -> io::Result<Flow>;

/// The per-line work, with its pre-filter finders.
struct LineScanner<'f, V, L> {
    filter: &'f Filter,
    first: Option<Finder<'static>>,
    rest: Vec<Finder<'static>>,
    escape: Finder<'static>,
    /// Longest line kept, in bytes (newline excluded).
    max_line: usize,
    diagnostics: Diagnostics,
    visit: V,
    strict: bool,
    logs: Option<L>,
}

impl<V, L> std::fmt::Debug for LineScanner<'_, V, L> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LineScanner")
            .field("filter", self.filter)
            .finish_non_exhaustive()
    }
}

/// Scans every input, calling `visit` with each line that passes `filter`
/// (parsed, and its raw bytes without the newline and without a trailing
/// `seal` key). Lines longer than `--max-line-bytes` are skipped, never held
/// whole, and reported. With `--db` (or `CMDX_LEDGER_DB`), the lines come
/// from the database instead ([`crate::db::scan`]), with the same contract.
pub(crate) fn scan<V>(input: &InputArgs, filter: &Filter, visit: V) -> Result<Summary, Failure>
where
    V: FnMut(&LedgerLine<'_>, &[u8]) -> io::Result<Flow>,
{
    scan_with_logs(input, filter, visit, None::<NoLogs>)
}

/// [`scan`], also showing `logs` every log line and every execution line
/// that did not pass the filters. With `logs`, the literal pre-filter is
/// off: every line is parsed.
pub(crate) fn scan_with_logs<V, L>(
    input: &InputArgs,
    filter: &Filter,
    visit: V,
    logs: Option<L>,
) -> Result<Summary, Failure>
where
    V: FnMut(&LedgerLine<'_>, &[u8]) -> io::Result<Flow>,
    L: FnMut(Seen<'_, '_>) -> io::Result<Flow>,
{
    if let Some(url) = crate::source::database(&input.files, input.db.as_deref()) {
        return crate::db::scan(&url, input, filter, visit, logs);
    }
    let strict = input.strict;
    let names = input::names(&input.files);
    let progress = input::progress_bar(&names);
    let needles = if strict || logs.is_some() {
        Vec::new()
    } else {
        filter.needles()
    };
    let mut finders = needles.iter().map(|n| Finder::new(n).into_owned());
    let first = finders.next();
    let mut scanner = LineScanner {
        filter,
        first,
        rest: finders.collect(),
        escape: Finder::new(b"\\u").into_owned(),
        max_line: usize::try_from(input.max_line_bytes).unwrap_or(usize::MAX),
        diagnostics: Diagnostics::new(progress.clone()),
        visit,
        strict,
        logs,
    };
    let mut result = Ok(());
    for name in &names {
        let mut source =
            input::open(name, progress.as_ref()).map_err(|e| Failure::input(name, &e))?;
        match scanner.read_all(&mut source.reader, &source.name) {
            Ok(Flow::Continue) => {}
            Ok(Flow::Stop) => break,
            Err(e) => {
                result = Err(e);
                break;
            }
        }
    }
    if let Some(bar) = &progress {
        bar.finish_and_clear();
    }
    scanner.diagnostics.finish();
    result?;
    Ok(Summary {
        bad: scanner.diagnostics.total(),
    })
}

impl<V, L> LineScanner<'_, V, L>
where
    V: FnMut(&LedgerLine<'_>, &[u8]) -> io::Result<Flow>,
    L: FnMut(Seen<'_, '_>) -> io::Result<Flow>,
{
    /// Reads `reader` to its end in chunks, handing complete lines to
    /// [`chunk`](Self::chunk). The buffer grows for a long line up to
    /// `max_line + 1` bytes only: a line still without its newline then is
    /// over-long, so it is reported and the rest of it is read and dropped.
    fn read_all(&mut self, reader: &mut dyn Read, name: &str) -> Result<Flow, Failure> {
        let mut buf = vec![0u8; CHUNK];
        // `buf[..filled]`: the start of a line whose end is not read yet.
        let mut filled = 0;
        // Dropping the rest of an over-long line, up to its newline.
        let mut skipping = false;
        let mut line_no = 0u64;
        loop {
            if filled > self.max_line {
                line_no += 1;
                self.diagnostics
                    .report_overlong(name, line_no, self.max_line);
                filled = 0;
                skipping = true;
            } else if filled == buf.len() {
                // Grows: `filled <= max_line` here, so `max_line + 1` is
                // more than the buffer holds now.
                buf.resize((buf.len() * 2).min(self.max_line.saturating_add(1)), 0);
            }
            let n = match reader.read(&mut buf[filled..]) {
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(Failure::input(name, &e)),
            };
            let mut fresh = filled;
            if skipping && n > 0 {
                let Some(newline) = memchr::memchr(b'\n', &buf[..n]) else {
                    continue;
                };
                skipping = false;
                buf.copy_within(newline + 1..n, 0);
                filled = n - newline - 1;
                fresh = 0;
            } else {
                filled += n;
            }
            if n == 0 {
                if filled == 0 {
                    return Ok(Flow::Continue);
                }
                if buf[filled - 1] != b'\n' {
                    if filled == buf.len() {
                        buf.push(b'\n');
                    } else {
                        buf[filled] = b'\n';
                    }
                    filled += 1;
                }
                return Ok(self.chunk(&buf[..filled], name, &mut line_no)?);
            }
            let Some(last) = memchr::memrchr(b'\n', &buf[fresh..filled]) else {
                continue;
            };
            let end = fresh + last + 1;
            if self.chunk(&buf[..end], name, &mut line_no)? == Flow::Stop {
                return Ok(Flow::Stop);
            }
            buf.copy_within(end..filled, 0);
            filled -= end;
        }
    }

    /// Handles complete lines, each ending in `\n`.
    fn chunk(&mut self, chunk: &[u8], name: &str, line_no: &mut u64) -> io::Result<Flow> {
        let first_len = self.first.as_ref().map_or(0, |f| f.needle().len());
        let mut hits = self.first.as_ref().map(|f| f.find_iter(chunk).peekable());
        let mut escapes = self.escape.find_iter(chunk).peekable();
        let mut start = 0;
        for end in memchr::memchr_iter(b'\n', chunk) {
            let line_start = start;
            let raw = &chunk[start..end];
            start = end + 1;
            *line_no += 1;
            let line = raw.strip_suffix(b"\r").unwrap_or(raw);
            if line.len() > self.max_line {
                self.diagnostics
                    .report_overlong(name, *line_no, self.max_line);
                continue;
            }
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            if is_log_line(line) {
                let seen = (&mut self.logs, &mut self.diagnostics, self.strict);
                if log_line(seen, line, name, *line_no)? == Flow::Stop {
                    return Ok(Flow::Stop);
                }
                continue;
            }
            let candidate = match hits.as_mut() {
                None => true,
                Some(hits) => {
                    while hits.next_if(|&p| p < line_start).is_some() {}
                    let hit = hits.peek().is_some_and(|&p| p + first_len <= end);
                    let mut escaped = || {
                        while escapes.next_if(|&p| p < line_start).is_some() {}
                        escapes.peek().is_some_and(|&p| p < end)
                    };
                    (hit && self.rest.iter().all(|f| f.find(line).is_some())) || escaped()
                }
            };
            if candidate {
                match parse_line(line) {
                    Ok(parsed) => {
                        let flow = if self.filter.matches(&parsed) {
                            (self.visit)(&parsed, &sealed::record(&parsed, line))?
                        } else if let Some(logs) = self.logs.as_mut() {
                            logs(Seen::Unmatched(&parsed))?
                        } else {
                            Flow::Continue
                        };
                        if flow == Flow::Stop {
                            return Ok(Flow::Stop);
                        }
                    }
                    Err(e) => self.diagnostics.report(name, *line_no, &e),
                }
            } else if !looks_like_ledger_line(line)
                && let Err(e) = parse_line(line)
            {
                self.diagnostics.report(name, *line_no, &e);
            }
        }
        Ok(Flow::Continue)
    }
}

/// A log line: to the log visitor, validated under `--strict`, else
/// skipped without being parsed.
fn log_line<L>(
    (logs, diagnostics, strict): (&mut Option<L>, &mut Diagnostics, bool),
    line: &[u8],
    name: &str,
    line_no: u64,
) -> io::Result<Flow>
where
    L: FnMut(Seen<'_, '_>) -> io::Result<Flow>,
{
    if logs.is_none() && !strict {
        return Ok(Flow::Continue);
    }
    match parse_log_line(line) {
        Ok(parsed) => match logs.as_mut() {
            Some(logs) => logs(Seen::Log(&parsed, line)),
            None => Ok(Flow::Continue),
        },
        Err(e) => {
            diagnostics.report(name, line_no, &e);
            Ok(Flow::Continue)
        }
    }
}
