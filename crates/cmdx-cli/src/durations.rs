//! Duration percentiles in bounded memory: exact up to [`EXACT_LIMIT`]
//! samples, then a log-scale histogram with buckets 1 % wide.

use std::collections::BTreeMap;

/// Samples kept exactly before switching to the histogram.
const EXACT_LIMIT: usize = 100_000;
/// Relative width of a histogram bucket.
const GROWTH: f64 = 1.01;
/// Durations at or below this (in ms) share bucket 0.
const FLOOR_MS: f64 = 1e-4;

/// Collected durations of one group.
#[derive(Debug, Default, Clone)]
pub(crate) struct Durations {
    exact: Vec<f64>,
    buckets: BTreeMap<u32, u64>,
    count: u64,
    max: f64,
}

impl Durations {
    /// Adds one duration (ms); negative or NaN values count as 0.
    pub(crate) fn add(&mut self, ms: f64) {
        let ms = if ms.is_finite() && ms > 0.0 { ms } else { 0.0 };
        self.count += 1;
        self.max = self.max.max(ms);
        if self.buckets.is_empty() && self.exact.len() < EXACT_LIMIT {
            self.exact.push(ms);
            return;
        }
        for sample in std::mem::take(&mut self.exact) {
            *self.buckets.entry(bucket(sample)).or_default() += 1;
        }
        *self.buckets.entry(bucket(ms)).or_default() += 1;
    }

    /// The largest duration.
    pub(crate) fn max(&self) -> f64 {
        self.max
    }

    /// The nearest-rank percentile `p` in (0, 1]; exact while few samples
    /// were added, within 1 % after.
    pub(crate) fn percentile(&mut self, p: f64) -> f64 {
        if self.count == 0 {
            return 0.0;
        }
        let rank = ((p * self.count as f64).ceil() as u64).clamp(1, self.count);
        if self.buckets.is_empty() {
            self.exact.sort_by(f64::total_cmp);
            return self.exact[(rank - 1) as usize];
        }
        let mut seen = 0;
        for (&b, &n) in &self.buckets {
            seen += n;
            if seen >= rank {
                return if b == 0 {
                    0.0
                } else {
                    (FLOOR_MS * GROWTH.powf(f64::from(b) - 0.5)).min(self.max)
                };
            }
        }
        self.max
    }
}

fn bucket(ms: f64) -> u32 {
    if ms <= FLOOR_MS {
        0
    } else {
        ((ms / FLOOR_MS).ln() / GROWTH.ln()).ceil() as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn few_samples_give_exact_nearest_rank_percentiles() {
        let mut d = Durations::default();
        for ms in [5.0, 1.0, 3.0, 2.0, 4.0] {
            d.add(ms);
        }
        assert_eq!(d.percentile(0.5), 3.0);
        assert_eq!(d.percentile(0.99), 5.0);
        assert_eq!(d.max(), 5.0);
    }

    #[test]
    fn many_samples_stay_within_one_percent() {
        let mut d = Durations::default();
        for i in 1..=200_000 {
            d.add(f64::from(i) / 100.0);
        }
        let p50 = d.percentile(0.5);
        assert!((p50 - 1000.0).abs() / 1000.0 < 0.01, "{p50}");
    }
}
