//! Verifying sealed NDJSON files (plain or gzip, or stdin), line by line.

use std::io::{BufRead, BufReader, Read};

use cmdx_store::seal::Verifier;

use super::{Verified, broken};
use crate::error::Failure;
use crate::input;

/// Verifies `files` as one stream (stdin when none), stopping at the first
/// broken link. A line longer than `max_line` bytes cannot be verified and
/// fails the verification too.
pub(super) fn verify(files: &[String], max_line: usize) -> Result<Verified, Failure> {
    let mut verifier = Verifier::new();
    let mut lines = 0u64;
    let limit = u64::try_from(max_line)
        .unwrap_or(u64::MAX)
        .saturating_add(1);
    let mut buf = Vec::new();
    for name in input::names(files) {
        let source = input::open(&name, None).map_err(|e| Failure::input(&name, &e))?;
        let mut reader = BufReader::with_capacity(256 * 1024, source.reader);
        let mut line_no = 0u64;
        loop {
            buf.clear();
            Read::take(&mut reader, limit)
                .read_until(b'\n', &mut buf)
                .map_err(|e| Failure::input(&source.name, &e))?;
            if buf.is_empty() {
                break;
            }
            line_no += 1;
            let location = || format!("{}:{line_no}", source.name);
            if buf.last() != Some(&b'\n') && buf.len() as u64 >= limit {
                return Err(Failure::answer(format!(
                    "cannot verify {}: line longer than {max_line} bytes (raise the limit with \
                     --max-line-bytes)",
                    location()
                )));
            }
            let line = buf.strip_suffix(b"\n").unwrap_or(&buf);
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let Ok(text) = std::str::from_utf8(line) else {
                return Err(broken(&location(), &"not UTF-8 text", lines));
            };
            if let Err(what) = verifier.check(text) {
                return Err(broken(&location(), &what, lines));
            }
            lines += 1;
        }
    }
    Ok(Verified::new(lines, &verifier))
}
