//! [`Tee`]: the ledger the user chose, and the OpenTelemetry log sink.
//!
//! A minimal forwarding sink, private to this crate. (`cmdx`'s own
//! `Ledger::tee`, for stdout plus a database, is being added separately;
//! once it exists this can become `Ledger::tee(user, otel)`.)

use super::OtelLogSink;
use cmdx::ledger::FlushError;
use cmdx::{Ledger, LedgerSink, Record};
use std::panic::AssertUnwindSafe;

/// Writes every line to the user's ledger first, then to the log export.
///
/// A panic in the user's sink still lets the line reach the export, then
/// goes on to the runtime, which contains and counts it as a ledger sink
/// panic (so the failure is reported, never swallowed).
#[derive(Debug)]
pub(crate) struct Tee {
    ledger: Ledger,
    otel: OtelLogSink,
}

impl Tee {
    pub(crate) fn new(ledger: Ledger, otel: OtelLogSink) -> Self {
        Self { ledger, otel }
    }
}

impl LedgerSink for Tee {
    fn write(&self, line: &[u8], record: &Record) {
        let first = std::panic::catch_unwind(AssertUnwindSafe(|| {
            LedgerSink::write(&self.ledger, line, record);
        }));
        self.otel.write(line, record);
        if let Err(panic) = first {
            std::panic::resume_unwind(panic);
        }
    }

    fn write_log(&self, line: &[u8]) {
        let first = std::panic::catch_unwind(AssertUnwindSafe(|| {
            LedgerSink::write_log(&self.ledger, line);
        }));
        self.otel.write_log(line);
        if let Err(panic) = first {
            std::panic::resume_unwind(panic);
        }
    }

    /// Flushes the user's ledger (its result is returned), then exports
    /// the queued log records.
    fn flush(&self) -> Result<(), FlushError> {
        let ledger = LedgerSink::flush(&self.ledger);
        let _ = self.otel.flush();
        ledger
    }
}
