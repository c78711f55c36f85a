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

#[cfg(test)]
mod tests {
    use super::*;
    use cmdx_store::seal::{Verifier, unseal};
    use std::sync::atomic::AtomicU64;
    use uuid::Uuid;

    /// Takes the first `accept` lines of each batch, fails the rest.
    struct Partial {
        accept: u64,
        out: Vec<String>,
    }

    impl Destination for Partial {
        fn write(&mut self, batch: &Batch<'_>) -> Result<(), Failure> {
            let lines = batch.lines().take(self.accept as usize);
            self.out
                .extend(lines.map(|line| String::from_utf8(line.to_vec()).unwrap()));
            if batch.len() <= self.accept {
                Ok(())
            } else {
                Err(Failure {
                    written: self.accept,
                    reason: "refused".into(),
                })
            }
        }
    }

    #[test]
    fn lines_that_did_not_make_it_are_not_part_of_the_chain() {
        let progress = AtomicU64::new(0);
        let mut sealed = Sealed::new(
            Partial {
                accept: 2,
                out: Vec::new(),
            },
            Sealer::new(Uuid::nil()),
        );
        let batch = b"{\"n\":0}\n{\"n\":1}\n{\"n\":2}\n{\"n\":3}\n";
        let failure = sealed.write(&Batch::new(batch, 4, &progress)).unwrap_err();
        assert_eq!(failure.written, 2);
        sealed.inner.accept = 10;
        sealed
            .write(&Batch::new(b"{\"n\":4}\nnot json\n", 2, &progress))
            .unwrap();
        let out = &sealed.inner.out;
        assert_eq!(out.len(), 4);
        let mut verifier = Verifier::new();
        for line in &out[..3] {
            verifier.check(line).unwrap();
        }
        assert_eq!(
            unseal(&out[2]).unwrap().seal().seq,
            2,
            "carries on after the last written"
        );
        assert_eq!(
            out[3], "not json",
            "what cannot be sealed is written as it is"
        );
    }
}
