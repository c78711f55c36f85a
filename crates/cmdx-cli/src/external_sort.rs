//! Sorting more lines than fit in memory: an external merge sort.
//!
//! Lines are gathered in memory up to a budget (`--sort-memory`); a full
//! batch is sorted and written to an anonymous temporary file (a *run*,
//! in `$TMPDIR`, deleted by the OS when closed), and at the end the runs
//! are merged, at most [`FAN_IN`] at a time. Memory is the budget plus one
//! read buffer per merged run, whatever the input size. When everything
//! fits in the budget nothing touches the disk.
//!
//! The order is total and stable: by key (`f64::total_cmp`), then by
//! arrival, so the result equals a stable in-memory sort.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Seek, Write};

use crate::error::Failure;
use crate::scan::Flow;

/// At most this many runs are merged at once (open files, read buffers).
const FAN_IN: usize = 64;

/// Read buffer per run while merging.
const RUN_BUFFER: usize = 64 * 1024;

/// Bookkeeping counted per kept line on top of its bytes.
const OVERHEAD: usize = std::mem::size_of::<Record>();

/// One line to sort.
#[derive(Debug)]
struct Record {
    key: f64,
    seq: u64,
    raw: Vec<u8>,
}

impl Record {
    fn order(&self, other: &Self) -> Ordering {
        self.key
            .total_cmp(&other.key)
            .then(self.seq.cmp(&other.seq))
    }

    fn write_to(&self, out: &mut impl Write) -> io::Result<()> {
        out.write_all(&self.key.to_bits().to_le_bytes())?;
        out.write_all(&self.seq.to_le_bytes())?;
        out.write_all(&(self.raw.len() as u64).to_le_bytes())?;
        out.write_all(&self.raw)
    }

    /// The next record of a run; `None` at its end.
    fn read_from(input: &mut impl Read) -> io::Result<Option<Self>> {
        let mut word = [0u8; 8];
        match input.read_exact(&mut word) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
            Err(e) => return Err(e),
        }
        let key = f64::from_bits(u64::from_le_bytes(word));
        input.read_exact(&mut word)?;
        let seq = u64::from_le_bytes(word);
        input.read_exact(&mut word)?;
        let len = usize::try_from(u64::from_le_bytes(word))
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "corrupt sort run"))?;
        let mut raw = vec![0u8; len];
        input.read_exact(&mut raw)?;
        Ok(Some(Self { key, seq, raw }))
    }
}

/// A record at the head of a run, ordered for a min-heap.
struct Head {
    record: Record,
    run: usize,
}

impl PartialEq for Head {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Head {}

impl PartialOrd for Head {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Head {
    fn cmp(&self, other: &Self) -> Ordering {
        self.record.order(&other.record)
    }
}

/// Lines sorted by a key, spilling sorted runs to temporary files beyond
/// a memory budget.
#[derive(Debug)]
pub(crate) struct ExternalSort {
    budget: usize,
    batch: Vec<Record>,
    batch_bytes: usize,
    runs: Vec<File>,
    seq: u64,
}

impl ExternalSort {
    /// A sort keeping at most about `budget` bytes of lines in memory.
    pub(crate) fn new(budget: usize) -> Self {
        Self {
            budget: budget.max(1),
            batch: Vec::new(),
            batch_bytes: 0,
            runs: Vec::new(),
            seq: 0,
        }
    }

    /// Adds a line (without its newline) with its sort key.
    pub(crate) fn push(&mut self, key: f64, raw: &[u8]) -> io::Result<()> {
        self.batch.push(Record {
            key,
            seq: self.seq,
            raw: raw.to_vec(),
        });
        self.seq += 1;
        self.batch_bytes += raw.len() + OVERHEAD;
        if self.batch_bytes >= self.budget {
            self.spill()?;
        }
        Ok(())
    }

    /// How many sorted runs went to temporary files so far.
    #[cfg(test)]
    fn runs(&self) -> usize {
        self.runs.len()
    }

    /// Calls `emit` with every line in order, until it says stop. An error
    /// of `emit` (writing the output) is returned as such; one of the sort
    /// (its temporary files) says so.
    pub(crate) fn finish(
        self,
        mut emit: impl FnMut(&[u8]) -> io::Result<Flow>,
    ) -> Result<(), Failure> {
        let mut emitted = Ok(());
        let sorted = self.merge_all(|raw| match emit(raw) {
            Ok(flow) => Ok(flow),
            Err(e) => {
                emitted = Err(e);
                Ok(Flow::Stop)
            }
        });
        emitted?;
        sorted.map_err(|e| Failure::sort(&e))
    }

    fn merge_all(mut self, mut emit: impl FnMut(&[u8]) -> io::Result<Flow>) -> io::Result<()> {
        self.batch.sort_by(Record::order);
        if self.runs.is_empty() {
            for record in &self.batch {
                if emit(&record.raw)? == Flow::Stop {
                    break;
                }
            }
            return Ok(());
        }
        self.spill()?;
        while self.runs.len() > FAN_IN {
            let group: Vec<File> = self.runs.drain(..FAN_IN).collect();
            let mut out = BufWriter::new(temporary()?);
            merge(group, |record| {
                record.write_to(&mut out)?;
                Ok(Flow::Continue)
            })?;
            self.runs.push(rewound(out)?);
        }
        merge(std::mem::take(&mut self.runs), |record| emit(&record.raw))
    }

    /// Sorts the batch and writes it as a run.
    fn spill(&mut self) -> io::Result<()> {
        if self.batch.is_empty() {
            return Ok(());
        }
        self.batch.sort_by(Record::order);
        let mut out = BufWriter::new(temporary()?);
        for record in self.batch.drain(..) {
            record.write_to(&mut out)?;
        }
        self.batch_bytes = 0;
        self.runs.push(rewound(out)?);
        Ok(())
    }
}

/// A new anonymous temporary file for a run, or an error saying where and
/// what to do.
fn temporary() -> io::Result<File> {
    tempfile::tempfile().map_err(|e| {
        io::Error::new(
            e.kind(),
            format!(
                "cannot create a temporary file for sorting in {}: {e} \
                 (set TMPDIR to a writable directory, or raise --sort-memory)",
                std::env::temp_dir().display()
            ),
        )
    })
}

/// The written file, flushed and read from its start.
fn rewound(out: BufWriter<File>) -> io::Result<File> {
    let mut file = out.into_inner().map_err(io::IntoInnerError::into_error)?;
    file.rewind()?;
    Ok(file)
}

/// Merges sorted runs, calling `emit` in order until it says stop.
fn merge(runs: Vec<File>, mut emit: impl FnMut(&Record) -> io::Result<Flow>) -> io::Result<()> {
    let mut readers: Vec<BufReader<File>> = runs
        .into_iter()
        .map(|file| BufReader::with_capacity(RUN_BUFFER, file))
        .collect();
    let mut heap = BinaryHeap::with_capacity(readers.len());
    for (run, reader) in readers.iter_mut().enumerate() {
        if let Some(record) = Record::read_from(reader)? {
            heap.push(Reverse(Head { record, run }));
        }
    }
    while let Some(Reverse(Head { record, run })) = heap.pop() {
        if emit(&record)? == Flow::Stop {
            break;
        }
        if let Some(next) = Record::read_from(&mut readers[run])? {
            heap.push(Reverse(Head { record: next, run }));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sorted(budget: usize, lines: &[(f64, &str)]) -> (Vec<String>, usize) {
        let mut sort = ExternalSort::new(budget);
        for (key, raw) in lines {
            sort.push(*key, raw.as_bytes()).expect("pushed");
        }
        let runs = sort.runs();
        let mut out = Vec::new();
        sort.finish(|raw| {
            out.push(String::from_utf8_lossy(raw).into_owned());
            Ok(Flow::Continue)
        })
        .expect("sorted");
        (out, runs)
    }

    #[test]
    fn spilled_runs_merge_into_the_stable_in_memory_order() {
        let lines: Vec<(f64, String)> = (0..1_000u32)
            .map(|i| (f64::from((i * 7919) % 37), format!("line {i}")))
            .collect();
        let borrowed: Vec<(f64, &str)> = lines.iter().map(|(k, s)| (*k, s.as_str())).collect();
        let (in_memory, no_runs) = sorted(usize::MAX, &borrowed);
        assert_eq!(no_runs, 0);
        // About 10 lines per run: ~100 runs, more than FAN_IN, so the
        // merge also goes through an intermediate pass.
        let (external, runs) = sorted(10 * (8 + OVERHEAD), &borrowed);
        assert!(runs > FAN_IN, "{runs} runs");
        assert_eq!(external, in_memory);
        let mut expected = lines.clone();
        expected.sort_by(|a, b| a.0.total_cmp(&b.0));
        let expected: Vec<String> = expected.into_iter().map(|(_, s)| s).collect();
        assert_eq!(in_memory, expected);
    }

    #[test]
    fn stop_ends_the_merge() {
        let lines = [(3.0, "c"), (1.0, "a"), (2.0, "b"), (0.5, "z")];
        let mut sort = ExternalSort::new(1);
        for (key, raw) in lines {
            sort.push(key, raw.as_bytes()).expect("pushed");
        }
        assert_eq!(sort.runs(), 4);
        let mut out = Vec::new();
        sort.finish(|raw| {
            out.push(raw.to_vec());
            Ok(if out.len() == 2 {
                Flow::Stop
            } else {
                Flow::Continue
            })
        })
        .expect("sorted");
        assert_eq!(out, [b"z".to_vec(), b"a".to_vec()]);
    }
}
