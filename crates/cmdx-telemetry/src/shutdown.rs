//! How the exporter's shutdown went, as the SDK's error enum says it.
//!
//! [`SdkTracerProvider::shutdown_with_timeout`] folds its processors'
//! errors into one `OTelSdkError::InternalFailure` *string*, so the typed
//! error — was it [`OTelSdkError::Timeout`]? — is lost there.
//! [`Recorded`] wraps the batch processor and keeps the typed result of its
//! shutdown, which [`classify`] then matches.
//!
//! [`SdkTracerProvider::shutdown_with_timeout`]: opentelemetry_sdk::trace::SdkTracerProvider::shutdown_with_timeout

use crate::ShutdownError;
use opentelemetry::Context;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use opentelemetry_sdk::trace::{BatchSpanProcessor, Span, SpanData, SpanProcessor};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// The typed result of the processor's last shutdown, if it was shut down.
pub(crate) type Outcome = Arc<Mutex<Option<OTelSdkResult>>>;

/// The batch processor, keeping the typed result of its shutdown in an
/// [`Outcome`] shared with [`Exporting`](crate::telemetry::Exporting).
#[derive(Debug)]
pub(crate) struct Recorded {
    inner: BatchSpanProcessor,
    outcome: Outcome,
}

impl Recorded {
    pub(crate) fn new(inner: BatchSpanProcessor) -> (Self, Outcome) {
        let outcome = Outcome::default();
        let recorded = Self {
            inner,
            outcome: outcome.clone(),
        };
        (recorded, outcome)
    }
}

impl SpanProcessor for Recorded {
    fn on_start(&self, span: &mut Span, cx: &Context) {
        self.inner.on_start(span, cx);
    }

    fn on_end(&self, span: SpanData) {
        self.inner.on_end(span);
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.inner.force_flush()
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        let result = self.inner.shutdown_with_timeout(timeout);
        keep(&self.outcome, &result);
        result
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.inner.set_resource(resource);
    }
}

/// Stores a copy of a processor's shutdown result in `outcome`.
pub(crate) fn keep(outcome: &Outcome, result: &OTelSdkResult) {
    let kept = match result {
        Ok(()) => Ok(()),
        Err(OTelSdkError::AlreadyShutdown) => Err(OTelSdkError::AlreadyShutdown),
        Err(OTelSdkError::Timeout(after)) => Err(OTelSdkError::Timeout(*after)),
        Err(OTelSdkError::InternalFailure(reason)) => {
            Err(OTelSdkError::InternalFailure(reason.clone()))
        }
    };
    *outcome.lock().unwrap_or_else(PoisonError::into_inner) = Some(kept);
}

/// Turns the provider's shutdown result, and the processor's own (typed)
/// one, into ours: a timeout is [`OTelSdkError::Timeout`] from either,
/// never a guess from an error's text. `what` names the signal (`"span"`,
/// `"log"`).
pub(crate) fn classify(
    what: &str,
    provider: OTelSdkResult,
    processor: Option<OTelSdkResult>,
    timeout: Duration,
) -> Result<(), ShutdownError> {
    match provider {
        Ok(()) | Err(OTelSdkError::AlreadyShutdown) => Ok(()),
        Err(OTelSdkError::Timeout(_)) => Err(ShutdownError::timed_out(what, timeout)),
        Err(OTelSdkError::InternalFailure(summary)) => match processor {
            Some(Err(OTelSdkError::Timeout(_))) => Err(ShutdownError::timed_out(what, timeout)),
            Some(Err(OTelSdkError::InternalFailure(reason))) => {
                Err(ShutdownError::failed(what, reason))
            }
            // The processor was fine (or not reached): the provider's own
            // summary is all there is.
            Some(Ok(()) | Err(OTelSdkError::AlreadyShutdown)) | None => {
                Err(ShutdownError::failed(what, summary))
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: Duration = Duration::from_millis(300);

    fn failure(text: &str) -> OTelSdkResult {
        Err(OTelSdkError::InternalFailure(text.into()))
    }

    #[test]
    fn success_and_a_second_shutdown_are_fine() {
        assert!(classify("span", Ok(()), Some(Ok(())), T).is_ok());
        assert!(classify("span", Err(OTelSdkError::AlreadyShutdown), None, T).is_ok());
    }

    #[test]
    fn a_processor_timeout_folded_into_a_provider_failure_is_a_timeout() {
        let error = classify(
            "span",
            failure("Shutdown errors: [Timeout(300ms)]"),
            Some(Err(OTelSdkError::Timeout(T))),
            T,
        )
        .expect_err("a timeout");
        assert!(error.is_timeout());
        assert!(error.to_string().contains("300ms"), "{error}");
        let error =
            classify("span", Err(OTelSdkError::Timeout(T)), None, T).expect_err("a timeout");
        assert!(error.is_timeout());
    }

    #[test]
    fn a_failure_is_not_a_timeout_whatever_its_text_says() {
        let error = classify(
            "span",
            failure("Shutdown errors: [InternalFailure(\"Timeout talking to the collector\")]"),
            Some(failure("Timeout talking to the collector")),
            T,
        )
        .expect_err("a failure");
        assert!(!error.is_timeout());
        assert!(
            error
                .to_string()
                .ends_with("span export failed at shutdown: Timeout talking to the collector"),
            "{error}"
        );
        let error = classify("span", failure("summary"), None, T).expect_err("a failure");
        assert!(!error.is_timeout());
        assert!(error.to_string().ends_with("summary"), "{error}");
        let error = classify("span", failure("summary"), Some(Ok(())), T).expect_err("a failure");
        assert!(!error.is_timeout());
    }
}
