//! Opening ledger inputs: files or stdin, gzip detected by its magic bytes,
//! with a progress bar on stderr for big inputs when stderr is a terminal.

use std::fs::File;
use std::io::{self, BufRead, BufReader, IsTerminal, Read};

use flate2::bufread::MultiGzDecoder;
use indicatif::{ProgressBar, ProgressStyle};

/// Inputs at least this big (in bytes on disk) get a progress bar.
const PROGRESS_THRESHOLD: u64 = 64 * 1024 * 1024;

/// One opened input.
pub(crate) struct Source {
    /// Name for messages: the path, or `<stdin>`.
    pub(crate) name: String,
    /// Decoded bytes.
    pub(crate) reader: Box<dyn Read>,
}

impl std::fmt::Debug for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Source")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// The input names: `-` (stdin) when none were given.
pub(crate) fn names(files: &[String]) -> Vec<String> {
    if files.is_empty() {
        vec!["-".to_owned()]
    } else {
        files.to_vec()
    }
}

/// A progress bar over the total size of the named files, when stderr is a
/// terminal and the files are big; otherwise `None`.
pub(crate) fn progress_bar(names: &[String]) -> Option<ProgressBar> {
    if !io::stderr().is_terminal() {
        return None;
    }
    let total: u64 = names
        .iter()
        .filter(|n| n.as_str() != "-")
        .filter_map(|n| std::fs::metadata(n).ok())
        .map(|m| m.len())
        .sum();
    if total < PROGRESS_THRESHOLD {
        return None;
    }
    let bar = ProgressBar::new(total);
    let style = ProgressStyle::with_template(
        "{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} ({bytes_per_sec}, {eta})",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    Some(bar)
}

/// Opens one input; `-` is stdin. Gzip is recognised by its first two bytes.
pub(crate) fn open(name: &str, progress: Option<&ProgressBar>) -> io::Result<Source> {
    let (display, raw): (String, Box<dyn Read>) = if name == "-" {
        ("<stdin>".to_owned(), Box::new(io::stdin()))
    } else {
        let file = File::open(name)?;
        let raw: Box<dyn Read> = match progress {
            Some(bar) => Box::new(bar.wrap_read(file)),
            None => Box::new(file),
        };
        (name.to_owned(), raw)
    };
    let mut buffered = BufReader::with_capacity(256 * 1024, raw);
    let is_gzip = buffered.fill_buf()?.starts_with(&[0x1f, 0x8b]);
    let reader: Box<dyn Read> = if is_gzip {
        Box::new(MultiGzDecoder::new(buffered))
    } else {
        Box::new(buffered)
    };
    Ok(Source {
        name: display,
        reader,
    })
}
