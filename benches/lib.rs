//! Shared pieces of the benchmarks in `benches/*.rs` (see `benches/README.md`).

use cmdx::prelude::*;

/// The trivial task the core benchmarks execute: `a + b`.
#[derive(Debug, Serialize, Deserialize, Validate)]
pub struct Add {
    /// Left operand.
    #[garde(skip)]
    pub a: i64,
    /// Right operand.
    #[garde(skip)]
    pub b: i64,
}

impl Task for Add {
    type Output = i64;
    fn name() -> &'static str {
        "Add"
    }
    async fn work(&self, _: &mut Cx) -> Result<i64, Halt> {
        Ok(self.a + self.b)
    }
}

/// The ledger the example benchmarks write to: the default non-blocking
/// writer on the null device, so every line is encoded, queued and
/// written, and nothing is kept.
pub fn null_ledger() -> cmdx::Ledger {
    let null = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/null")
        .expect("the null device");
    cmdx::Ledger::writer(null)
}

/// The process's CPU time, every thread, user + system
/// (`CLOCK_PROCESS_CPUTIME_ID`: time the host gives to other jobs does not
/// count).
pub fn process_cpu_time() -> std::time::Duration {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ProcessCPUTime);
    std::time::Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
}

/// The median of `values` (the mean of the middle two for an even count).
pub fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

/// The baseline: the same work as [`Add`] as a plain `async fn`.
#[inline(never)]
pub async fn add(a: i64, b: i64) -> Result<i64, Halt> {
    Ok(a + b)
}

/// `nested3`: an outer task awaits a child that awaits a grandchild, one
/// chain (the peer scenario, the allocation count, the two-core batches).
#[derive(Debug, Serialize, Deserialize, Validate)]
pub struct Outer {}

impl Task for Outer {
    type Output = ();
    fn name() -> &'static str {
        "Outer"
    }
    async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
        Child { depth: 1 }.execute_strict().await?;
        Ok(())
    }
}

/// The middle of [`Outer`]'s chain.
#[derive(Debug, Serialize, Deserialize, Validate)]
pub struct Child {
    /// How deep in the chain.
    #[garde(skip)]
    pub depth: u32,
}

impl Task for Child {
    type Output = ();
    fn name() -> &'static str {
        "Child"
    }
    async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
        let _ = Grandchild {
            depth: self.depth + 1,
        }
        .execute_strict()
        .await?;
        Ok(())
    }
}

/// The leaf of [`Outer`]'s chain.
#[derive(Debug, Serialize, Deserialize, Validate)]
pub struct Grandchild {
    /// How deep in the chain.
    #[garde(skip)]
    pub depth: u32,
}

impl Task for Grandchild {
    type Output = u32;
    fn name() -> &'static str {
        "Grandchild"
    }
    async fn work(&self, _: &mut Cx) -> Result<u32, Halt> {
        Ok(self.depth)
    }
}

/// One workflow step: reads `order_id` from the context, adds one key (or
/// fails); its rollback does nothing but exist.
macro_rules! step {
    ($name:ident, $key:ident, $fails:expr) => {
        #[doc = concat!("A workflow step adding `", stringify!($key), "` to the context.")]
        #[derive(Debug, Serialize, Deserialize, Validate)]
        pub struct $name {
            /// Read from the context.
            #[garde(skip)]
            pub order_id: i64,
        }

        impl Task for $name {
            type Output = serde_json::Value;
            fn name() -> &'static str {
                stringify!($name)
            }
            async fn work(&self, _: &mut Cx) -> Result<serde_json::Value, Halt> {
                if $fails {
                    fail!("declined", code = "declined");
                }
                Ok(serde_json::json!({ stringify!($key): self.order_id }))
            }
            async fn rollback(&self, cx: &mut Cx) -> Result<(), cmdx::BoxError> {
                std::hint::black_box(cx.is_compensating());
                Ok(())
            }
        }
    };
}

step!(StepA, a, false);
step!(StepB, b, false);
step!(StepC, c, false);
step!(StepCFails, c, true);

/// What a Rust team would write instead of a cmdx task: a span with the
/// inputs, one JSON event with the outcome (the baseline of
/// `benches/telemetry.rs` and `examples/otel_logs_cost.rs`).
#[inline(never)]
#[tracing::instrument(name = "Reserve", skip_all, fields(sku = %sku, quantity))]
pub async fn hand_rolled(sku: &str, quantity: i64) -> i64 {
    let reserved = std::hint::black_box(quantity);
    tracing::info!(status = "success", reserved, "reserve finished");
    reserved
}
