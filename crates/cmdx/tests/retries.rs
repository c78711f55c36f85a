//! Retries: which failures rerun `work`, how long the waits are, what is
//! recorded. Waits run on tokio's paused clock: nothing really sleeps.

use cmdx::prelude::*;
use cmdx::{Backoff, ChainScope, Event, EventKind};
use cmdx_test::{Capture, Journal};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

const BASE: Duration = Duration::from_millis(100);

/// Always fails with an I/O error.
#[derive(Debug, Serialize, Deserialize, Validate)]
struct AlwaysDown {}

impl Task for AlwaysDown {
    type Output = ();
    fn name() -> &'static str {
        "AlwaysDown"
    }
    async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
        Err(std::io::Error::other("service unavailable"))?
    }
}

/// Runs `AlwaysDown` under `policy`; returns the waits announced in
/// `Retried` events, checking the paused clock advanced by them.
async fn waits(policy: RetryPolicy) -> Vec<Duration> {
    let announced = Arc::new(Mutex::new(Vec::new()));
    let sink = announced.clone();
    let capture = Capture::with(|b| {
        b.retry(policy).subscribe(move |event: &Event<'_>| {
            if let EventKind::Retried { delay, .. } = event.kind {
                sink.lock().unwrap().push(delay);
            }
        })
    });
    let started = Instant::now();
    let outcome = capture.run(AlwaysDown {}.execute()).await;
    let elapsed = started.elapsed();
    let waits = announced.lock().unwrap().clone();
    assert_eq!(outcome.retries() as usize, waits.len());
    let slept: Duration = waits.iter().sum();
    // tokio timers tick in whole milliseconds: each wait may round up by one.
    assert!(
        elapsed >= slept && elapsed <= slept + Duration::from_millis(waits.len() as u64),
        "slept {elapsed:?} for waits summing to {slept:?}"
    );
    waits
}

fn policy(backoff: Backoff, max: Duration) -> RetryPolicy {
    RetryPolicy::any_failure()
        .limit(6)
        .delay(BASE)
        .max_delay(max)
        .backoff(backoff)
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn assert_close(actual: &[Duration], expected: &[Duration]) {
    assert_eq!(actual.len(), expected.len(), "{actual:?} vs {expected:?}");
    for (a, e) in actual.iter().zip(expected) {
        let diff = a.abs_diff(*e);
        assert!(diff <= e.mul_f64(1e-6), "{actual:?} vs {expected:?}");
    }
}

#[tokio::test(start_paused = true)]
async fn constant_waits_the_base_delay_every_time() {
    let waits = waits(policy(Backoff::constant(), ms(1000))).await;
    assert_eq!(waits, [BASE; 6]);
}

#[tokio::test(start_paused = true)]
async fn exponential_doubles_the_wait_up_to_the_max_delay() {
    let waits = waits(policy(Backoff::exponential(), ms(1000))).await;
    assert_close(
        &waits,
        &[ms(100), ms(200), ms(400), ms(800), ms(1000), ms(1000)],
    );
}

#[tokio::test(start_paused = true)]
async fn linear_grows_by_the_base_delay_up_to_the_max_delay() {
    let waits = waits(policy(Backoff::linear(), ms(350))).await;
    assert_eq!(
        waits,
        [ms(100), ms(200), ms(300), ms(350), ms(350), ms(350)]
    );
}

#[tokio::test(start_paused = true)]
async fn fibonacci_follows_the_sequence_up_to_the_max_delay() {
    let waits = waits(policy(Backoff::fibonacci(), ms(400))).await;
    assert_eq!(
        waits,
        [ms(100), ms(100), ms(200), ms(300), ms(400), ms(400)]
    );
}

#[tokio::test(start_paused = true)]
async fn full_random_waits_between_zero_and_the_base_delay() {
    let waits = waits(policy(Backoff::full_random(), ms(1000))).await;
    assert!(waits.iter().all(|w| *w <= BASE), "{waits:?}");
}

#[tokio::test(start_paused = true)]
async fn half_random_waits_between_half_and_all_of_the_base_delay() {
    let waits = waits(policy(Backoff::half_random(), ms(1000))).await;
    assert!(
        waits.iter().all(|w| *w >= BASE / 2 && *w <= BASE),
        "{waits:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn bounded_random_waits_between_one_and_two_base_delays_capped_by_the_max() {
    let waits = waits(policy(Backoff::bounded_random(), ms(150))).await;
    assert!(
        waits.iter().all(|w| *w >= BASE && *w <= ms(150)),
        "{waits:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn decorrelated_jitter_stays_between_the_base_and_three_times_the_previous_wait() {
    let max = ms(700);
    let waits = waits(policy(Backoff::decorrelated_jitter(), max)).await;
    let mut previous = BASE;
    for wait in &waits {
        let high = (previous * 3).min(max);
        assert!(
            *wait >= BASE && *wait <= high,
            "{wait:?} outside [{BASE:?}, {high:?}] in {waits:?}"
        );
        previous = *wait;
    }
}

#[tokio::test(start_paused = true)]
async fn a_custom_backoff_is_used_and_capped_by_the_max_delay() {
    let custom = Backoff::custom(|attempt, base, _| base * (attempt + 1) * 3);
    let waits = waits(policy(custom, ms(1000))).await;
    assert_eq!(
        waits,
        [ms(300), ms(600), ms(900), ms(1000), ms(1000), ms(1000)]
    );
}

#[derive(Debug, Serialize, Deserialize, Validate)]
struct Breaks {
    #[garde(skip)]
    parse: bool,
}

impl Task for Breaks {
    type Output = ();
    fn name() -> &'static str {
        "Breaks"
    }
    fn settings() -> Settings {
        Settings::new().retry(
            RetryPolicy::on::<std::io::Error>()
                .limit(2)
                .delay(Duration::ZERO),
        )
    }
    async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
        if self.parse {
            let _: i64 = "not a number".parse()?;
        }
        Err(std::io::Error::other("connection reset"))?
    }
}

#[tokio::test]
async fn a_failure_of_the_listed_error_type_is_retried_up_to_the_limit() {
    let outcome = Capture::new().run(Breaks { parse: false }.execute()).await;
    assert!(outcome.is_failed());
    assert_eq!(outcome.retries(), 2);
}

#[tokio::test]
async fn a_failure_of_another_error_type_is_not_retried() {
    let outcome = Capture::new().run(Breaks { parse: true }.execute()).await;
    assert!(outcome.is_failed());
    assert_eq!(outcome.retries(), 0);
}

#[tokio::test]
async fn a_predicate_over_the_failure_and_attempt_decides_each_retry() {
    let policy = RetryPolicy::when(|halt, attempt| {
        halt.reason() == Some("service unavailable") && attempt < 1
    })
    .delay(Duration::ZERO);
    let capture = Capture::with(|b| b.retry(policy));
    let outcome = capture.run(AlwaysDown {}.execute()).await;
    assert_eq!(outcome.retries(), 1);
}

/// Fails on its first two attempts, records each attempt's idempotency key.
#[derive(Debug, Serialize, Deserialize, Validate)]
struct Charge {
    #[garde(custom(count_validation))]
    cents: i64,
}

thread_local! {
    /// Validations run on this thread. Per thread, because other tests run
    /// `Charge` at the same time on theirs; each test's current-thread
    /// runtime validates on the test's own thread.
    static VALIDATIONS: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

fn count_validation(_: &i64, _: &()) -> garde::Result {
    VALIDATIONS.set(VALIDATIONS.get() + 1);
    Ok(())
}

impl Task for Charge {
    type Output = u32;
    fn name() -> &'static str {
        "Charge"
    }
    fn settings() -> Settings {
        Settings::new().retry(RetryPolicy::any_failure().limit(3).delay(ms(10)))
    }
    async fn work(&self, cx: &mut Cx) -> Result<u32, Halt> {
        if let Ok(keys) = cx.resource::<Journal>() {
            keys.push(cx.idempotency_key());
        }
        if cx.attempt() < 2 {
            fail!("gateway timeout", code = "gateway_timeout");
        }
        Ok(cx.attempt())
    }
}

#[tokio::test(start_paused = true)]
async fn a_flaky_task_succeeds_on_its_third_attempt_with_two_retries_on_the_line() {
    let capture = Capture::new();
    let outcome = capture.run(Charge { cents: 500 }.execute()).await;
    assert!(outcome.is_success());
    assert_eq!(outcome.value(), Some(&2));
    assert_eq!(outcome.retries(), 2);
    assert_eq!(capture.values()[0]["retries"], 2);
    capture.assert_one_line_per_execution();
}

#[tokio::test(start_paused = true)]
async fn inputs_are_validated_once_across_retries() {
    let before = VALIDATIONS.get();
    let outcome = Capture::new().run(Charge { cents: 500 }.execute()).await;
    assert_eq!(outcome.retries(), 2);
    assert_eq!(VALIDATIONS.get() - before, 1);
}

#[tokio::test(start_paused = true)]
async fn the_idempotency_key_is_stable_across_retries_and_distinct_between_executions() {
    let keys = Journal::new();
    let capture = Capture::with(|b| b.resource(keys.clone()));
    let first = capture.run(Charge { cents: 500 }.execute()).await;
    let second = capture.run(Charge { cents: 500 }.execute()).await;
    let keys = keys.entries();
    assert_eq!((first.retries(), second.retries()), (2, 2));
    assert_eq!(keys.len(), 6);
    assert!(keys[..3].iter().all(|k| *k == keys[0]), "{keys:?}");
    assert!(keys[3..].iter().all(|k| *k == keys[3]), "{keys:?}");
    assert_ne!(keys[0], keys[3]);
    assert_eq!(keys[0], first.tid().to_string(), "the key is the tid");
    assert_eq!(keys[3], second.tid().to_string());
}

/// Each service a chain crosses continues it with `ChainScope::with_id`,
/// where indexes start again at 0: keys must not collide there.
#[tokio::test(start_paused = true)]
async fn scopes_continuing_one_chain_give_their_first_executions_different_keys() {
    let keys = Journal::new();
    let capture = Capture::with(|b| b.resource(keys.clone()));
    let cid = uuid::Uuid::now_v7();
    let mut outcomes = Vec::new();
    for _ in 0..2 {
        let scope = ChainScope::with_id(cid).parent(uuid::Uuid::now_v7());
        outcomes.push(
            capture
                .run(scope.run(Charge { cents: 500 }.execute()))
                .await,
        );
    }
    assert!(
        outcomes
            .iter()
            .all(|o| o.chain_id() == cid && o.index() == 0)
    );
    let keys = keys.entries();
    assert_eq!(keys.len(), 6, "three attempts each");
    assert!(keys[..3].iter().all(|k| *k == keys[0]), "{keys:?}");
    assert!(keys[3..].iter().all(|k| *k == keys[3]), "{keys:?}");
    assert_ne!(keys[0], keys[3], "same cid, same index, different keys");
}

#[tokio::test]
async fn exhausted_retries_fail_with_the_last_cause_kept() {
    let policy = RetryPolicy::on::<std::io::Error>()
        .limit(3)
        .delay(Duration::ZERO);
    let capture = Capture::with(|b| b.retry(policy));
    let outcome = capture.run(AlwaysDown {}.execute()).await;
    assert!(outcome.is_failed());
    assert_eq!(outcome.retries(), 3);
    assert_eq!(outcome.reason(), Some("service unavailable"));
    assert_eq!(outcome.cause(), Some("service unavailable"));
    assert_eq!(capture.values()[0]["retries"], 3);
}

#[tokio::test]
async fn skips_are_never_retried() {
    #[derive(Debug, Serialize, Deserialize, Validate)]
    struct NothingToDo {}
    impl Task for NothingToDo {
        type Output = ();
        fn name() -> &'static str {
            "NothingToDo"
        }
        async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
            skip!("nothing to do")
        }
    }
    let capture = Capture::with(|b| b.retry(RetryPolicy::any_failure().delay(Duration::ZERO)));
    let outcome = capture.run(NothingToDo {}.execute()).await;
    assert!(outcome.is_skipped());
    assert_eq!(outcome.retries(), 0);
}

#[tokio::test]
async fn a_task_can_turn_off_the_runtime_default_retry_policy() {
    #[derive(Debug, Serialize, Deserialize, Validate)]
    struct NoRetry {}
    impl Task for NoRetry {
        type Output = ();
        fn name() -> &'static str {
            "NoRetry"
        }
        fn settings() -> Settings {
            Settings::new().retry(RetryPolicy::none())
        }
        async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
            fail!("no")
        }
    }
    let capture = Capture::with(|b| b.retry(RetryPolicy::any_failure().delay(Duration::ZERO)));
    assert_eq!(capture.run(NoRetry {}.execute()).await.retries(), 0);
    assert_eq!(capture.run(AlwaysDown {}.execute()).await.retries(), 3);
}

#[tokio::test(start_paused = true)]
async fn each_retry_is_a_tracing_event_in_the_execution_span() {
    let traces = cmdx_test::Traces::new();
    let _guard = traces.install();
    let outcome = Capture::new().run(Charge { cents: 500 }.execute()).await;
    let retries: Vec<_> = traces
        .events()
        .into_iter()
        .filter(|event| event.fields.contains_key("attempt"))
        .collect();
    assert_eq!(retries.len(), 2);
    for (n, event) in retries.iter().enumerate() {
        assert_eq!(event.span["cmdx.tid"], outcome.tid().to_string());
        assert_eq!(event.fields["attempt"], (n + 1).to_string());
        assert_eq!(event.fields["error"], "gateway timeout");
        assert_eq!(event.fields["delay_ms"], "10.0");
    }
}
