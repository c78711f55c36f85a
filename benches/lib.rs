//! Benchmarks live in `benches/*.rs` next to this file; see `benches/README.md`.
