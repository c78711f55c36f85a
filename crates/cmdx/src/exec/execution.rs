//! [`Execution`]: an execution under way, and the guard that ends it exactly once.

use super::Ending;
use crate::chain::scope::ChainState;
use crate::chain::shared::SharedRecord;
use crate::contain::{Panicked, Plugin};
use crate::events::EventKind;
use crate::fault::{Failure, SharedError};
use crate::ledger::{Record, SCHEMA_VERSION};
use crate::outcome::Finished;
use crate::settings::LedgerLevel;
use crate::{Kind, Runtime, State, Status};
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::cell::Cell;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use uuid::Uuid;

/// What the task is, for the record: name, kind, tags.
#[derive(Debug, Clone)]
pub(crate) struct Spec {
    pub(crate) task: Cow<'static, str>,
    pub(crate) kind: Kind,
    pub(crate) tags: &'static [&'static str],
    pub(crate) compensates: Option<Uuid>,
    /// For compensations: the undone execution's span, to link to.
    pub(crate) link: Option<Box<crate::TraceIds>>,
    /// A plug-in panic met while making this spec (`Task::name`),
    /// reported once the execution has its ids.
    pub(crate) panicked: Option<Box<Panicked>>,
}

/// An execution that has started and not yet written its record.
pub(crate) struct Execution {
    pub(crate) chain: Arc<ChainState>,
    pub(crate) spec: Spec,
    pub(crate) tid: Uuid,
    pub(crate) index: u32,
    pub(crate) parent: Option<Uuid>,
    pub(crate) span: tracing::Span,
    pub(crate) input: Option<Box<RawValue>>,
    /// The output, when the settings ask for it on the line
    /// (`Settings::record_output`) and the execution succeeded.
    pub(crate) output: Option<Box<RawValue>>,
    /// Executed through `execute_strict`.
    pub(crate) strict: bool,
    /// The settings mark the task deprecated.
    pub(crate) deprecated: bool,
    pub(crate) clock: Clock,
    /// Which endings write a ledger line.
    pub(crate) level: LedgerLevel,
}

/// When an execution started. The wall-clock time is derived from the
/// monotonic clock and a per-thread anchor (one wall-clock read per thread
/// and [`ANCHOR_FOR`]), so an execution reads the clock twice: when it
/// starts and when it ends. The same start time serves both UUIDs and the
/// line's `ts` (start + monotonic elapsed time).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Clock {
    started: Instant,
    since_epoch: Duration,
}

/// How long a thread's wall-clock anchor is trusted: a wall-clock step
/// (NTP, an operator) shows in `ts` within this time.
const ANCHOR_FOR: Duration = Duration::from_secs(1);

thread_local! {
    /// A monotonic instant and the wall-clock time (since the epoch) it was.
    static ANCHOR: Cell<Option<(Instant, Duration)>> = const { Cell::new(None) };
}

impl Clock {
    pub(crate) fn now() -> Self {
        let started = Instant::now();
        let since_epoch = ANCHOR.with(|anchor| match anchor.get() {
            Some((at, wall))
                if let Some(since) = started.checked_duration_since(at)
                    && since < ANCHOR_FOR =>
            {
                wall + since
            }
            _ => {
                let wall = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .unwrap_or_default();
                anchor.set(Some((started, wall)));
                wall
            }
        });
        Self {
            started,
            since_epoch,
        }
    }

    /// A UUIDv7 for this instant (see [`crate::id`]).
    pub(crate) fn uuid_v7(&self) -> Uuid {
        crate::id::uuid_v7(self.since_epoch)
    }

    /// Time since start, and the wall-clock time it ended.
    fn end(&self) -> (Duration, DateTime<Utc>) {
        let elapsed = self.started.elapsed();
        (elapsed, utc(self.since_epoch + elapsed))
    }
}

thread_local! {
    /// The last day a timestamp fell on (days since the epoch, its date):
    /// the calendar arithmetic runs once a day and thread.
    static TODAY: Cell<Option<(u64, NaiveDate)>> = const { Cell::new(None) };
}

/// The UTC date and time `since_epoch` after the Unix epoch.
fn utc(since_epoch: Duration) -> DateTime<Utc> {
    const DAY: u64 = 86_400;
    let (day, second) = (since_epoch.as_secs() / DAY, since_epoch.as_secs() % DAY);
    let date = TODAY.with(|today| match today.get() {
        Some((cached, date)) if cached == day => Some(date),
        _ => {
            let midnight = i64::try_from(day * DAY).ok()?;
            let date = DateTime::from_timestamp(midnight, 0)?.date_naive();
            today.set(Some((day, date)));
            Some(date)
        }
    });
    let time =
        NaiveTime::from_num_seconds_from_midnight_opt(second as u32, since_epoch.subsec_nanos());
    match (date, time) {
        (Some(date), Some(time)) => date.and_time(time).and_utc(),
        _ => DateTime::default(),
    }
}

impl Execution {
    pub(crate) fn is_root(&self) -> bool {
        self.parent.is_none() && self.index == 0
    }

    /// The [`Cx`](crate::Cx) of this execution's `work` or `rollback`.
    pub(crate) fn cx(&self, context: crate::Context) -> crate::Cx {
        let ids = (self.tid, self.index);
        crate::Cx::new(self.chain.clone(), self.spec.task.clone(), ids, context)
    }

    /// The runtime this execution runs under (its chain's).
    pub(crate) fn runtime(&self) -> &Runtime {
        &self.chain.runtime
    }

    /// Delivers a telemetry event about this execution (one branch when
    /// nobody subscribed).
    #[inline]
    pub(crate) fn emit(&self, kind: EventKind<'_>) {
        let ids = (self.chain.cid, self.tid, self.index);
        self.runtime().config().emit(&self.spec.task, ids, kind);
    }

    /// Runs plug-in code `f` for this execution; a panic is contained and
    /// reported (counted, stderr once per kind, a `PluginPanicked` event).
    pub(crate) fn contain<R>(&self, plugin: Plugin, f: impl FnOnce() -> R) -> Result<R, Panicked> {
        let ids = (self.chain.cid, self.tid, self.index);
        self.runtime()
            .config()
            .contain(plugin, &self.spec.task, ids, f)
    }

    /// Reports a plug-in panic caught around this execution.
    pub(crate) fn report(&self, panicked: &Panicked) {
        let ids = (self.chain.cid, self.tid, self.index);
        self.runtime()
            .config()
            .report(&self.spec.task, ids, panicked);
    }

    /// Writes the one record of this execution: span fields, ledger line,
    /// chain.
    pub(crate) fn finish(self, ending: Ending) -> Finished {
        let status = ending.status;
        let (retries, rolled_back) = (ending.retries, ending.rolled_back);
        let detail = ending.into_detail();
        // Only a failure has an origin (this execution, or the one whose
        // record a propagated `Fault` carried up) and keeps its error.
        let failed = status == Status::Failed;
        let origin_tid = failed.then(|| detail.origin.as_ref().map_or(self.tid, |o| o.tid));
        let trace = self.chain.runtime.trace();
        let (elapsed, ended) = self.clock.end();
        let mut record = Record {
            v: SCHEMA_VERSION,
            ts: ended,
            cid: self.chain.cid,
            xid: self.chain.xid().map(|xid| String::from(&**xid)),
            tid: self.tid,
            index: self.index,
            parent: self.parent,
            root: self.is_root(),
            task: self.spec.task,
            kind: self.spec.kind,
            state: State::of(status),
            status,
            reason: detail.reason,
            code: detail.code,
            errors: detail.errors,
            metadata: detail.metadata,
            framework: detail.framework,
            input: self.input,
            output: self.output,
            duration_ms: millis(elapsed),
            retries,
            rolled_back,
            strict: self.strict,
            deprecated: self.deprecated,
            cause: detail.cause,
            origin: origin_tid,
            compensates: self.spec.compensates,
            trace_id: None,
            span_id: None,
            tags: tags(&self.chain.runtime, self.spec.tags),
        };
        // Span fields first, trace ids last: a tracer that starts its span
        // only when asked for ids then takes every field in one go.
        super::span::record_end(&self.span, &record);
        // Plug-ins: a panicking bridge or sink costs the ids or the line,
        // never the outcome (and never an abort, from `Pending`'s drop).
        let global = self.chain.runtime.config();
        let ids = (record.cid, record.tid, record.index);
        if let Some(trace) = trace {
            let _ = global.contain(Plugin::TraceBridge, &record.task, ids, || {
                trace.finish(&self.span, &record)
            });
            let read = || trace.trace_ids(&self.span);
            if let Ok(Some(read)) = global.contain(Plugin::TraceBridge, &record.task, ids, read) {
                record.trace_id = Some(read.trace_id);
                record.span_id = Some(read.span_id);
            }
        }
        let ledger = self.chain.runtime.ledger();
        if self.level.admits(status) && ledger.is_enabled() {
            let _ = global.contain(Plugin::LedgerSink, &record.task, ids, || {
                ledger.write(&record)
            });
        }
        let executed = EventKind::Executed { record: &record };
        global.emit(&record.task, ids, executed);
        // A root's record is kept in its chain's state (one allocation for
        // both); descendants are offered to the chain state, which keeps a
        // bounded window of them.
        let record = if record.root {
            SharedRecord::root(record, self.chain)
        } else {
            let record = SharedRecord::own(record);
            self.chain.push(record.clone());
            record
        };
        let failure = failed.then(|| {
            Box::new(Failure {
                origin: detail.origin.unwrap_or_else(|| record.clone()),
                error: detail.error.map(SharedError::from),
            })
        });
        Finished { record, failure }
    }
}

/// The runtime's tags, then the task's.
fn tags(runtime: &Runtime, task: &'static [&'static str]) -> Vec<Cow<'static, str>> {
    let global = &runtime.config().tags;
    if global.is_empty() {
        return task.iter().map(|t| Cow::Borrowed(*t)).collect();
    }
    global
        .iter()
        .cloned()
        .chain(task.iter().map(|t| Cow::Borrowed(*t)))
        .collect()
}

/// Milliseconds, rounded to the microsecond.
fn millis(elapsed: Duration) -> f64 {
    elapsed.as_secs() as f64 * 1000.0 + f64::from(elapsed.subsec_micros()) / 1000.0
}

/// Ends the execution as `cancelled` if dropped before [`Pending::finish`]:
/// the caller dropped the future (client disconnect, `select!`, timeout) —
/// or as `interrupted by shutdown` when dropped after its runtime's
/// shutdown deadline.
pub(crate) struct Pending(Option<Execution>);

impl Pending {
    pub(crate) fn new(execution: Execution) -> Self {
        Self(Some(execution))
    }

    pub(crate) fn get(&self) -> &Execution {
        self.0
            .as_ref()
            .expect("an execution is only taken by finish")
    }

    pub(crate) fn get_mut(&mut self) -> &mut Execution {
        self.0
            .as_mut()
            .expect("an execution is only taken by finish")
    }

    pub(crate) fn finish(mut self, ending: Ending) -> Finished {
        self.0
            .take()
            .expect("an execution is only taken by finish")
            .finish(ending)
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        if let Some(execution) = self.0.take() {
            let ending = Ending::dropped(execution.runtime());
            let _ = execution.finish(ending);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Clock;
    use uuid::{Variant, Version};

    #[test]
    fn ids_are_rfc_9562_version_7_with_the_start_time() {
        let clock = Clock::now();
        let (a, b) = (clock.uuid_v7(), clock.uuid_v7());
        assert_ne!(a, b);
        for id in [a, b] {
            assert_eq!(id.get_version(), Some(Version::SortRand));
            assert_eq!(id.get_variant(), Variant::RFC4122);
            let (secs, nanos) = id.get_timestamp().expect("a v7 timestamp").to_unix();
            let millis = u128::from(secs) * 1000 + u128::from(nanos / 1_000_000);
            assert_eq!(millis, clock.since_epoch.as_millis());
        }
    }

    #[test]
    fn timestamps_match_chrono_across_midnight() {
        use chrono::DateTime;
        use std::time::Duration;
        // 2026-11-26T23:59:59.999999Z, midnight, and the day after.
        for (secs, nanos) in [
            (1_795_823_999, 999_999_000),
            (1_795_824_000, 0),
            (1_795_910_401, 5),
        ] {
            let expected = DateTime::from_timestamp(secs as i64, nanos).unwrap();
            assert_eq!(super::utc(Duration::new(secs, nanos)), expected);
        }
    }
}
