//! Sealed NDJSON: every line gets a `seal` (writer id, sequence number,
//! chained hash; see `cmdx_store::seal`) on the writer thread, before it
//! reaches the stream. Chosen with [`NonBlockingBuilder::sealed`].
//!
//! [`NonBlockingBuilder::sealed`]: super::NonBlockingBuilder::sealed

use super::destination::{Batch, Destination, Failure};
use cmdx_store::seal::Sealer;

/// Seals each line of a batch, then hands the sealed batch to `inner`.
pub(super) struct Sealed<D> {
    inner: D,
    sealer: Sealer,
    /// The sealed batch, reused.
    buffer: Vec<u8>,
    /// The sealer's state before each line of the batch, to carry on from
    /// the first line that did not make it whole.
    before: Vec<Sealer>,
}

impl<D: Destination> Sealed<D> {
    pub(super) fn new(inner: D, sealer: Sealer) -> Self {
        Self {
            inner,
            sealer,
            buffer: Vec::new(),
            before: Vec::new(),
        }
    }
}

impl<D: Destination> Destination for Sealed<D> {
    fn write(&mut self, batch: &Batch<'_>) -> Result<(), Failure> {
        self.buffer.clear();
        self.before.clear();
        for line in batch.lines() {
            self.before.push(self.sealer.clone());
            // A line that is not a JSON object cannot be sealed: it is
            // written as it is, and `cmdx ledger verify` reports it.
            if self.sealer.seal_into(line, &mut self.buffer).is_err() {
                self.buffer.extend_from_slice(line);
            }
            self.buffer.push(b'\n');
        }
        let sealed = Batch::new(&self.buffer, batch.len(), batch.progress());
        let result = self.inner.write(&sealed);
        if let Err(failure) = &result
            && let Some(state) = self.before.get(failure.written as usize)
        {
            // Lines that did not make it are not part of the chain.
            self.sealer = state.clone();
        }
        result
    }

    fn close(&mut self) {
        self.inner.close();
    }
}
