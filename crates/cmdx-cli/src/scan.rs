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

use std::io::{self, Read};

use memchr::memmem::Finder;

use crate::diagnostics::Diagnostics;
use crate::error::Failure;
use crate::filter::Filter;
use crate::input;
use crate::line::{LedgerLine, looks_like_v1, parse_line};

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

/// The per-line work, with its pre-filter finders.
struct LineScanner<'f, V> {
    filter: &'f Filter,
    first: Option<Finder<'static>>,
    rest: Vec<Finder<'static>>,
    escape: Finder<'static>,
    diagnostics: Diagnostics,
    visit: V,
}

impl<V> std::fmt::Debug for LineScanner<'_, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LineScanner")
            .field("filter", self.filter)
            .finish_non_exhaustive()
    }
}

/// Scans every input, calling `visit` with each line that passes `filter`
/// (parsed, and its raw bytes without the newline).
pub(crate) fn scan<V>(
    files: &[String],
    strict: bool,
    filter: &Filter,
    visit: V,
) -> Result<Summary, Failure>
where
    V: FnMut(&LedgerLine<'_>, &[u8]) -> io::Result<Flow>,
{
    let names = input::names(files);
    let progress = input::progress_bar(&names);
    let needles = if strict { Vec::new() } else { filter.needles() };
    let mut finders = needles.iter().map(|n| Finder::new(n).into_owned());
    let first = finders.next();
    let mut scanner = LineScanner {
        filter,
        first,
        rest: finders.collect(),
        escape: Finder::new(b"\\u").into_owned(),
        diagnostics: Diagnostics::new(progress.clone()),
        visit,
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

impl<V> LineScanner<'_, V>
where
    V: FnMut(&LedgerLine<'_>, &[u8]) -> io::Result<Flow>,
{
    fn read_all(&mut self, reader: &mut dyn Read, name: &str) -> Result<Flow, Failure> {
        let mut buf = vec![0u8; CHUNK];
        let mut filled = 0;
        let mut line_no = 0u64;
        loop {
            if filled == buf.len() {
                buf.resize(buf.len() * 2, 0);
            }
            let n = match reader.read(&mut buf[filled..]) {
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(Failure::input(name, &e)),
            };
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
            let Some(last) = memchr::memrchr(b'\n', &buf[filled..filled + n]) else {
                filled += n;
                continue;
            };
            let end = filled + last + 1;
            filled += n;
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
            if line.iter().all(u8::is_ascii_whitespace) {
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
                        if self.filter.matches(&parsed)
                            && (self.visit)(&parsed, line)? == Flow::Stop
                        {
                            return Ok(Flow::Stop);
                        }
                    }
                    Err(e) => self.diagnostics.report(name, *line_no, &e),
                }
            } else if !looks_like_v1(line)
                && let Err(e) = parse_line(line)
            {
                self.diagnostics.report(name, *line_no, &e);
            }
        }
        Ok(Flow::Continue)
    }
}
