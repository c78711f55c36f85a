//! Execution and chain ids: UUIDv7 (RFC 9562) whose random bits come from
//! a per-thread generator seeded from the operating system. The one
//! generator of `tid`s and `cid`s.
//!
//! `fastrand`'s own thread-local generator seeds itself from a hash of the
//! monotonic clock and the thread's number — not from the OS — so two
//! processes whose threads start at the same clock tick (same number, same
//! nanosecond; coarser clocks elsewhere) would draw the same sequence. Ours
//! is the same generator (wyrand, 64-bit state) seeded from the OS's
//! entropy (`getrandom`), read once per thread. See `docs/decisions.md`.

use std::cell::Cell;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use uuid::Uuid;

/// A UUIDv7 for the instant `since_epoch` after the Unix epoch: the 48-bit
/// millisecond time, version 7, then 74 random bits (ids need uniqueness,
/// not secrecy; this is ~10× cheaper than a CSPRNG).
pub(crate) fn uuid_v7(since_epoch: Duration) -> Uuid {
    const RANDOM: u128 = (0xfff << 64) | ((1 << 62) - 1);
    const VERSION_AND_VARIANT: u128 = (0x7 << 76) | (0b10 << 62);
    let millis = since_epoch.as_millis() & 0xffff_ffff_ffff;
    Uuid::from_u128((millis << 80) | VERSION_AND_VARIANT | (u128() & RANDOM))
}

/// A UUIDv7 for now.
pub(crate) fn uuid_v7_now() -> Uuid {
    uuid_v7(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default(),
    )
}

thread_local! {
    /// The generator's state; seeded from the OS on the thread's first id.
    static STATE: Cell<u64> = Cell::new(seed());
}

/// 128 random bits from this thread's generator.
#[inline]
fn u128() -> u128 {
    STATE.with(|state| {
        let mut rng = fastrand::Rng::with_seed(state.get());
        let bits = rng.u128(..);
        state.set(rng.get_seed());
        bits
    })
}

/// A seed from the OS; should it have none to give, a hash of what tells
/// threads and processes apart (wall and monotonic time, process id,
/// thread, a stack address), so ids stay distinct at worst as `fastrand`'s.
fn seed() -> u64 {
    getrandom::u64().unwrap_or_else(|_| fallback_seed())
}

fn fallback_seed() -> u64 {
    use std::hash::{DefaultHasher, Hash, Hasher};
    let mut hasher = DefaultHasher::new();
    std::time::SystemTime::now().hash(&mut hasher);
    std::time::Instant::now().hash(&mut hasher);
    std::process::id().hash(&mut hasher);
    std::thread::current().id().hash(&mut hasher);
    let local = 0_u8;
    std::ptr::addr_of!(local).addr().hash(&mut hasher);
    hasher.finish()
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    #[test]
    fn threads_draw_different_sequences() {
        let first = |_| std::thread::spawn(|| (0..4).map(|_| super::u128()).collect::<Vec<_>>());
        let threads: Vec<_> = (0..8).map(first).collect();
        let mut seen = HashSet::new();
        for thread in threads {
            for bits in thread.join().expect("the thread ran") {
                assert!(seen.insert(bits), "a value was drawn twice");
            }
        }
    }

    #[test]
    fn the_fallback_seed_differs_between_threads() {
        let a = std::thread::spawn(super::fallback_seed).join().unwrap();
        let b = std::thread::spawn(super::fallback_seed).join().unwrap();
        assert_ne!(a, b);
    }
}
