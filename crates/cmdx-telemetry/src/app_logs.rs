//! The application-log layer [`Telemetry`](crate::Telemetry) installs:
//! [`cmdx::logs::layer`] behind a filter that admits events up to a level
//! and never a span, so that without an exporter spans stay disabled and
//! executions pay nothing for them.

use tracing::level_filters::LevelFilter;
use tracing::subscriber::Interest;
use tracing::{Metadata, Subscriber};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::{Context, Filter};

/// The default level of the application logs `init()` writes.
pub(crate) const DEFAULT_LEVEL: LevelFilter = LevelFilter::INFO;

/// The log layer filtered to events at `level` or more severe; `None` for
/// [`LevelFilter::OFF`].
pub(crate) fn layer<S>(level: LevelFilter) -> Option<impl Layer<S>>
where
    S: Subscriber + for<'span> tracing_subscriber::registry::LookupSpan<'span>,
{
    (level != LevelFilter::OFF).then(|| cmdx::logs::layer().with_filter(EventsUpTo(level)))
}

/// Events at the level or more severe; no spans.
struct EventsUpTo(LevelFilter);

impl EventsUpTo {
    fn admits(&self, meta: &Metadata<'_>) -> bool {
        meta.is_event() && *meta.level() <= self.0
    }
}

impl<S> Filter<S> for EventsUpTo {
    fn enabled(&self, meta: &Metadata<'_>, _: &Context<'_, S>) -> bool {
        self.admits(meta)
    }

    fn callsite_enabled(&self, meta: &'static Metadata<'static>) -> Interest {
        if self.admits(meta) {
            Interest::always()
        } else {
            Interest::never()
        }
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        Some(self.0)
    }
}
