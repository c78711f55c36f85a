//! [`JsonTaskConfig`]: how [`JsonTask`](crate::JsonTask) reads a body.

use std::time::Duration;

/// How [`JsonTask`](crate::JsonTask) reads a request body: at most
/// [`limit`](JsonTaskConfig::limit) bytes (2 MiB by default, axum's
/// default), within [`timeout`](JsonTaskConfig::timeout) (none by
/// default). Set it with `App::app_data`:
///
/// ```
/// use actix_web::App;
/// use cmdx_actix::JsonTaskConfig;
/// use std::time::Duration;
///
/// let app = App::new().app_data(
///     JsonTaskConfig::default().limit(64 * 1024).timeout(Duration::from_secs(30)),
/// );
/// # drop(app);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct JsonTaskConfig {
    pub(crate) limit: usize,
    pub(crate) timeout: Option<Duration>,
}

impl JsonTaskConfig {
    /// The default limit: 2 MiB.
    pub const DEFAULT_LIMIT: usize = 2 * 1024 * 1024;

    /// The largest body read; a larger one answers `413` `body_too_large`.
    #[must_use]
    pub fn limit(mut self, bytes: usize) -> Self {
        self.limit = bytes;
        self
    }

    /// How long the whole body may take to arrive; a slower one answers
    /// `408` `request_timeout` (and frees the worker).
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }
}

impl Default for JsonTaskConfig {
    fn default() -> Self {
        Self {
            limit: Self::DEFAULT_LIMIT,
            timeout: None,
        }
    }
}
