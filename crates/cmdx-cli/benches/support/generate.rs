//! The generated ledger the CLI benchmarks read: the inventory demo's
//! tasks over 20 000 SKUs, deterministic (a fixed xorshift seed), about
//! 550 bytes a line. Shared by `ledger_query` and `ledger_db` through
//! `#[path]`.

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::Path;

/// Number of distinct SKUs in the ledger.
const SKUS: u64 = 20_000;

/// xorshift64*: deterministic and dependency-free.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn uuid(rng: &mut Rng, millis: u64) -> String {
    let a = rng.next();
    let b = rng.next();
    format!(
        "{:08x}-{:04x}-7{:03x}-{:04x}-{:012x}",
        millis >> 16,
        millis & 0xffff,
        a & 0xfff,
        0x8000 | ((a >> 12) & 0x3fff),
        b & 0xffff_ffff_ffff
    )
}

fn ts(millis: u64) -> String {
    let secs = (millis / 1000) as i64;
    let t = chrono::DateTime::from_timestamp(secs, ((millis % 1000) * 1_000_000) as u32)
        .unwrap_or_default();
    t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

#[expect(clippy::too_many_arguments, reason = "a line has many fields")]
fn write_line(
    out: &mut impl Write,
    rng: &mut Rng,
    millis: u64,
    cid: &str,
    tid: &str,
    index: u64,
    parent: Option<&str>,
    task: &str,
    input: &str,
    failed: bool,
    xid: &str,
) -> std::io::Result<()> {
    let parent = parent.map_or("null".to_owned(), |p| format!("\"{p}\""));
    let (state, status, reason, metadata, origin) = if failed {
        let available = rng.below(10);
        (
            "interrupted",
            "failed",
            "\"Insufficient stock\"",
            format!(
                r#"{{"code":"out_of_stock","available":{available},"requested":{}}}"#,
                available + 1 + rng.below(50)
            ),
            format!("\"{tid}\""),
        )
    } else {
        (
            "complete",
            "success",
            "null",
            "{}".to_owned(),
            "null".to_owned(),
        )
    };
    let trace = format!("{:016x}{:016x}", rng.next(), rng.next());
    let span = format!("{:016x}", rng.next());
    writeln!(
        out,
        r#"{{"v":1,"ts":"{}","cid":"{cid}","xid":"{xid}","tid":"{tid}","index":{index},"parent":{parent},"root":{},"task":"{task}","kind":"task","state":"{state}","status":"{status}","reason":{reason},"metadata":{metadata},"input":{input},"duration_ms":{}.{:02},"retries":0,"rolled_back":{failed},"cause":null,"origin":{origin},"trace_id":"{trace}","span_id":"{span}","tags":["inventory"]}}"#,
        ts(millis),
        index == 0,
        rng.below(5),
        rng.below(100),
    )
}

/// Writes a deterministic ledger to `path` (through a `.partial` file, so
/// an interrupted run never leaves a short ledger behind) until `done(bytes,
/// lines)` says so.
pub(crate) fn generate(path: &Path, done: impl Fn(u64, u64) -> bool) -> std::io::Result<()> {
    let tmp = path.with_extension("partial");
    let mut out = BufWriter::with_capacity(1 << 20, File::create(&tmp)?);
    let mut rng = Rng(0x5EED_1234_ABCD_0001);
    let mut millis: u64 = 1_795_600_000_000;
    let mut written = 0u64;
    let mut lines = 0u64;
    let mut counter = CountingWriter {
        inner: &mut out,
        bytes: &mut written,
        lines: &mut lines,
    };
    while !done(*counter.bytes, *counter.lines) {
        millis += 1 + rng.below(40);
        let sku = format!("SKU-{:05}", rng.below(SKUS));
        let order = 100_000 + rng.below(900_000);
        let qty = 1 + rng.below(100);
        let xid = format!("req-{:012x}", rng.next() & 0xffff_ffff_ffff);
        let cid = uuid(&mut rng, millis);
        match rng.below(10) {
            0..=2 => {
                let input = format!(
                    r#"{{"sku":"{sku}","quantity":{qty},"warehouse_id":{}}}"#,
                    1 + rng.below(9)
                );
                write_line(
                    &mut counter,
                    &mut rng,
                    millis,
                    &cid,
                    &cid,
                    0,
                    None,
                    "Inventory::ReceiveStock",
                    &input,
                    false,
                    &xid,
                )?;
            }
            3..=6 => {
                let failed = rng.below(8) == 0;
                let input = format!(r#"{{"sku":"{sku}","quantity":{qty},"order_id":{order}}}"#);
                write_line(
                    &mut counter,
                    &mut rng,
                    millis,
                    &cid,
                    &cid,
                    0,
                    None,
                    "Inventory::ReserveStock",
                    &input,
                    failed,
                    &xid,
                )?;
            }
            _ => {
                let root = cid.clone();
                let wh = 1 + rng.below(9);
                let reserve = format!(r#"{{"sku":"{sku}","quantity":{qty},"order_id":{order}}}"#);
                let full = format!(
                    r#"{{"sku":"{sku}","quantity":{qty},"order_id":{order},"warehouse_id":{wh}}}"#
                );
                let t1 = uuid(&mut rng, millis);
                let t2 = uuid(&mut rng, millis + 1);
                write_line(
                    &mut counter,
                    &mut rng,
                    millis,
                    &cid,
                    &t1,
                    1,
                    Some(&root),
                    "Inventory::ReserveStock",
                    &reserve,
                    false,
                    &xid,
                )?;
                write_line(
                    &mut counter,
                    &mut rng,
                    millis + 1,
                    &cid,
                    &t2,
                    2,
                    Some(&root),
                    "Inventory::FulfillStock",
                    &full,
                    false,
                    &xid,
                )?;
                write_line(
                    &mut counter,
                    &mut rng,
                    millis + 2,
                    &cid,
                    &root,
                    0,
                    None,
                    "Inventory::ProcessOrder",
                    &full,
                    false,
                    &xid,
                )?;
            }
        }
    }
    out.flush()?;
    drop(out);
    fs::rename(tmp, path)
}

struct CountingWriter<'a, W> {
    inner: &'a mut W,
    bytes: &'a mut u64,
    lines: &'a mut u64,
}

impl<W: Write> Write for CountingWriter<'_, W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        *self.bytes += n as u64;
        *self.lines += memchr_count(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

fn memchr_count(bytes: &[u8]) -> u64 {
    bytes.iter().filter(|&&b| b == b'\n').count() as u64
}
