//! Sealed NDJSON (`NonBlockingBuilder::sealed(true)`): every line carries
//! a seal that chains it to the previous one; `cmdx_store::seal` verifies
//! the chain and finds an edited, removed or reordered line.

use cmdx::ledger::NonBlocking;
use cmdx::prelude::*;
use cmdx::{LedgerSink, Runtime};
use cmdx_store::seal::{Broken, Verifier, unseal};
use cmdx_test::SharedWriter;

#[derive(Debug, Serialize, Deserialize, Validate)]
struct Numbered {
    #[garde(skip)]
    n: usize,
}

impl Task for Numbered {
    type Output = ();
    fn name() -> &'static str {
        "Numbered"
    }
    async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
        Ok(())
    }
}

fn text_lines(out: &SharedWriter) -> Vec<String> {
    String::from_utf8(out.bytes())
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_sealed_line_links_and_unseals_to_a_schema_v2_line() {
    let out = SharedWriter::new();
    let writer = NonBlocking::builder().sealed(true).writer(out.clone());
    let wid = writer.wid().expect("a sealing writer has an id");
    let runtime = Runtime::builder().ledger(writer.clone()).build();
    let handles: Vec<_> = (0..1000)
        .map(|n| tokio::spawn(runtime.scope(Numbered { n }.execute())))
        .collect();
    for handle in handles {
        let _ = handle.await.unwrap();
    }
    writer.write_log(b"{\"log\":1,\"ts\":\"2026-11-30T10:15:00.123Z\",\"message\":\"hi\"}\n");
    writer.flush().unwrap();

    let lines = text_lines(&out);
    assert_eq!(lines.len(), 1001);
    let mut verifier = Verifier::new();
    for (i, line) in lines.iter().enumerate() {
        let seal = verifier
            .check(line)
            .unwrap_or_else(|e| panic!("line {}: {e}", i + 1));
        assert_eq!((seal.wid, seal.seq), (wid, i as u64));
        let original: serde_json::Value =
            serde_json::from_str(&unseal(line).unwrap().line()).unwrap();
        assert!(original.get("seal").is_none());
        if i < 1000 {
            assert_eq!(original["v"], 2);
            serde_json::from_value::<cmdx::Record>(original).expect("a v2 record");
        }
    }

    // Tampering is found at the line tampered with.
    let mut edited = lines.clone();
    edited[500] = edited[500].replace("\"status\":\"success\"", "\"status\":\"failed\"");
    assert_eq!(first_break(&edited), Some((500, "hash mismatch")));
    let mut removed = lines.clone();
    removed.remove(300);
    assert_eq!(first_break(&removed), Some((300, "missing")));
    let mut swapped = lines.clone();
    swapped.swap(10, 11);
    assert_eq!(first_break(&swapped), Some((10, "missing")));
}

fn first_break(lines: &[String]) -> Option<(usize, &'static str)> {
    let mut verifier = Verifier::new();
    lines
        .iter()
        .enumerate()
        .find_map(|(i, line)| match verifier.check(line) {
            Ok(_) => None,
            Err(Broken::HashMismatch { .. }) => Some((i, "hash mismatch")),
            Err(Broken::Missing { .. }) => Some((i, "missing")),
            Err(other) => panic!("{other}"),
        })
}

#[test]
fn plain_ndjson_stays_unsealed() {
    let out = SharedWriter::new();
    let writer = NonBlocking::builder().writer(out.clone());
    assert!(writer.wid().is_none());
    writer.write_log(b"{\"log\":1}\n");
    writer.flush().unwrap();
    assert_eq!(out.bytes(), b"{\"log\":1}\n");
}

/// Two sealed writers: each has its own chain; interleaved in one file
/// they still verify.
#[test]
fn two_writers_have_two_chains() {
    let out = SharedWriter::new();
    let a = NonBlocking::builder().sealed(true).writer(out.clone());
    let b = NonBlocking::builder().sealed(true).writer(out.clone());
    assert_ne!(a.wid(), b.wid());
    for i in 0..50 {
        let line = format!("{{\"log\":1,\"n\":{i}}}\n");
        a.write_log(line.as_bytes());
        a.flush().unwrap();
        b.write_log(line.as_bytes());
        b.flush().unwrap();
    }
    let lines = text_lines(&out);
    assert_eq!(lines.len(), 100);
    let mut verifier = Verifier::new();
    for line in &lines {
        verifier.check(line).unwrap();
    }
    assert_eq!(verifier.writers().count(), 2);
}
