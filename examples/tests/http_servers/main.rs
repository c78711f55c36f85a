//! The HTTP examples as real child processes (`axum_inventory` and
//! `actix_inventory`, built by Cargo, ledger on their stdout), driven over
//! loopback by real clients and raw sockets. Every test body runs against
//! both servers: they must answer and behave the same.
//!
//! `CMDX_LONG_TESTS=1` makes the disconnect storms longer.

mod limits;
mod parity;
mod storm;
mod support;
mod transient;
