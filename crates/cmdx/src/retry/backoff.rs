//! [`Backoff`]: how long to wait before each retry.

use backon::{BackoffBuilder, ExponentialBuilder, FibonacciBuilder};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

type Custom = dyn Fn(u32, Duration, Option<Duration>) -> Duration + Send + Sync;

/// The delay before each retry, computed from the retry number, the base
/// delay and the previous delay, then capped by the policy's `max_delay`.
///
/// `attempt` is zero-based: 0 is the wait before the first retry. With a
/// base delay `d`, the strategies wait:
///
/// | strategy | wait before retry `n + 1` (`attempt = n`) |
/// | --- | --- |
/// | [`constant`](Backoff::constant) (default) | `d` |
/// | [`exponential`](Backoff::exponential) | `d · 2ⁿ` (computed by `backon` in `f32`: within 10⁻⁶ of it) |
/// | [`linear`](Backoff::linear) | `d · (n + 1)` |
/// | [`fibonacci`](Backoff::fibonacci) | `d · fib(n + 1)`: `d, d, 2d, 3d, 5d, …` (by `backon`) |
/// | [`full_random`](Backoff::full_random) | uniform in `[0, d]` |
/// | [`half_random`](Backoff::half_random) | uniform in `[d/2, d]` |
/// | [`bounded_random`](Backoff::bounded_random) | uniform in `[d, 2d]` |
/// | [`decorrelated_jitter`](Backoff::decorrelated_jitter) | uniform in `[d, max(3 · previous, d)]`, previous = `d` at first (AWS) |
/// | [`custom`](Backoff::custom) | your function of `(attempt, d, previous)` |
/// | [`backon`](Backoff::backon) | the `n`th delay of any `backon` builder |
///
/// Every result is then clamped to `max_delay` when the policy sets one.
///
/// ```
/// use cmdx::Backoff;
/// use std::time::Duration;
///
/// let d = Duration::from_millis(100);
/// assert_eq!(Backoff::linear().delay(2, d, None), Duration::from_millis(300));
/// assert_eq!(Backoff::fibonacci().delay(4, d, None), Duration::from_millis(500));
/// let capped = Backoff::custom(|attempt, base, _| base * (attempt + 1) * 10);
/// assert_eq!(capped.delay(0, d, None), Duration::from_secs(1));
/// ```
#[derive(Clone)]
pub struct Backoff(Strategy);

#[derive(Clone)]
enum Strategy {
    Constant,
    Exponential,
    Linear,
    Fibonacci,
    FullRandom,
    HalfRandom,
    BoundedRandom,
    Decorrelated,
    Custom(&'static str, Arc<Custom>),
}

impl Backoff {
    /// Always the base delay.
    pub const fn constant() -> Self {
        Self(Strategy::Constant)
    }

    /// `base · 2^attempt`.
    pub const fn exponential() -> Self {
        Self(Strategy::Exponential)
    }

    /// `base · (attempt + 1)`.
    pub const fn linear() -> Self {
        Self(Strategy::Linear)
    }

    /// `base · fib(attempt + 1)`: `base, base, 2·base, 3·base, 5·base, …`.
    pub const fn fibonacci() -> Self {
        Self(Strategy::Fibonacci)
    }

    /// Uniform in `[0, base]` ("full jitter").
    pub const fn full_random() -> Self {
        Self(Strategy::FullRandom)
    }

    /// Uniform in `[base/2, base]` ("equal jitter").
    pub const fn half_random() -> Self {
        Self(Strategy::HalfRandom)
    }

    /// Uniform in `[base, 2·base]`.
    pub const fn bounded_random() -> Self {
        Self(Strategy::BoundedRandom)
    }

    /// AWS "decorrelated jitter": uniform in `[base, max(3·previous, base)]`,
    /// where `previous` is the last wait of this execution (`base` at first).
    pub const fn decorrelated_jitter() -> Self {
        Self(Strategy::Decorrelated)
    }

    /// Your own strategy: `f(attempt, base, previous)` → wait.
    pub fn custom(
        f: impl Fn(u32, Duration, Option<Duration>) -> Duration + Send + Sync + 'static,
    ) -> Self {
        Self(Strategy::Custom("custom", Arc::new(f)))
    }

    /// The `attempt`th delay of a [`backon`] builder (its own min/max delay
    /// and jitter apply; the policy's base delay is ignored). A builder that
    /// runs out of delays yields the policy's `max_delay`, or the base delay.
    pub fn backon<B>(builder: B) -> Self
    where
        B: BackoffBuilder + Clone + 'static,
    {
        Self(Strategy::Custom(
            "backon",
            Arc::new(move |attempt, base, _| {
                builder
                    .clone()
                    .build()
                    .nth(attempt as usize)
                    .unwrap_or(base)
            }),
        ))
    }

    /// The wait before retry `attempt + 1`, before `max_delay` is applied.
    pub fn delay(&self, attempt: u32, base: Duration, previous: Option<Duration>) -> Duration {
        match &self.0 {
            Strategy::Constant => base,
            Strategy::Exponential => ExponentialBuilder::new()
                .with_min_delay(base)
                .with_factor(2.0)
                .without_max_delay()
                .without_max_times()
                .build()
                .nth(attempt as usize)
                .unwrap_or(Duration::MAX),
            Strategy::Linear => base.saturating_mul(attempt.saturating_add(1)),
            Strategy::Fibonacci => FibonacciBuilder::new()
                .with_min_delay(base)
                .without_max_delay()
                .without_max_times()
                .build()
                .nth(attempt as usize)
                .unwrap_or(Duration::MAX),
            Strategy::FullRandom => uniform(Duration::ZERO, base),
            Strategy::HalfRandom => uniform(base / 2, base),
            Strategy::BoundedRandom => uniform(base, base.saturating_mul(2)),
            Strategy::Decorrelated => {
                let high = previous.unwrap_or(base).saturating_mul(3).max(base);
                uniform(base, high)
            }
            Strategy::Custom(_, f) => f(attempt, base, previous),
        }
    }

    fn name(&self) -> &'static str {
        match &self.0 {
            Strategy::Constant => "constant",
            Strategy::Exponential => "exponential",
            Strategy::Linear => "linear",
            Strategy::Fibonacci => "fibonacci",
            Strategy::FullRandom => "full_random",
            Strategy::HalfRandom => "half_random",
            Strategy::BoundedRandom => "bounded_random",
            Strategy::Decorrelated => "decorrelated_jitter",
            Strategy::Custom(name, _) => name,
        }
    }
}

impl Default for Backoff {
    fn default() -> Self {
        Self::constant()
    }
}

impl fmt::Debug for Backoff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Uniform in `[low, high]`.
fn uniform(low: Duration, high: Duration) -> Duration {
    if high <= low {
        return low;
    }
    low + (high - low).mul_f64(fastrand::f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: Duration = Duration::from_millis(100);

    #[test]
    fn exponential_doubles_from_the_base() {
        let waits: Vec<u128> = (0..4)
            .map(|n| Backoff::exponential().delay(n, D, None).as_micros())
            .collect();
        assert_eq!(waits, [100_000, 200_000, 400_000, 800_000]);
    }

    #[test]
    fn fibonacci_follows_the_sequence() {
        let waits: Vec<Duration> = (0..6)
            .map(|n| Backoff::fibonacci().delay(n, D, None))
            .collect();
        assert_eq!(waits, [1, 1, 2, 3, 5, 8].map(|k| D * k));
    }
}
