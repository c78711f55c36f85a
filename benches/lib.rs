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

/// The baseline: the same work as [`Add`] as a plain `async fn`.
#[inline(never)]
pub async fn add(a: i64, b: i64) -> Result<i64, Halt> {
    Ok(a + b)
}
