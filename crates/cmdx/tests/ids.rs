//! Ids are unique everywhere (design invariant 12): `tid`s and chain ids
//! drawn by several real processes, each on several threads, never repeat.
//!
//! The test binary re-runs itself as the child processes: with
//! `CMDX_IDS_CHILD` set, `child_prints_ids` executes tasks and prints their
//! ids; without it, that test does nothing.

use cmdx::prelude::*;
use cmdx::{Ledger, Runtime};
use std::collections::HashSet;
use std::io::{BufWriter, Write};
use std::process::{Command, Stdio};
use uuid::Uuid;

const CHILD: &str = "CMDX_IDS_CHILD";
const PROCESSES: usize = 4;
const THREADS: usize = 4;
/// Root executions per thread; each draws two ids (its chain's and its own).
const ROOTS_PER_THREAD: usize = 25_000;
/// Ids per process: 200,000.
const IDS_PER_PROCESS: usize = THREADS * ROOTS_PER_THREAD * 2;

#[derive(Debug, Serialize, Deserialize, Validate)]
struct Ping {}

impl Task for Ping {
    type Output = ();
    fn name() -> &'static str {
        "Ping"
    }
    async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
        Ok(())
    }
}

/// One thread's ids: `ROOTS_PER_THREAD` roots on its own tokio runtime.
fn draw() -> Vec<Uuid> {
    let tokio = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a tokio runtime");
    let runtime = Runtime::builder().ledger(Ledger::off()).build();
    tokio.block_on(runtime.scope(async {
        let mut ids = Vec::with_capacity(ROOTS_PER_THREAD * 2);
        for _ in 0..ROOTS_PER_THREAD {
            let outcome = Ping {}.execute().await;
            ids.extend([outcome.chain_id(), outcome.tid()]);
        }
        ids
    }))
}

#[test]
fn child_prints_ids() {
    if std::env::var_os(CHILD).is_none() {
        return;
    }
    let threads: Vec<_> = (0..THREADS).map(|_| std::thread::spawn(draw)).collect();
    let mut out = BufWriter::new(std::io::stdout().lock());
    for thread in threads {
        for id in thread.join().expect("a drawing thread") {
            writeln!(out, "ID {}", id.simple()).expect("stdout");
        }
    }
    out.flush().expect("stdout");
}

#[test]
fn ids_drawn_by_several_processes_and_threads_never_repeat() {
    let exe = std::env::current_exe().expect("the test binary");
    let children: Vec<_> = (0..PROCESSES)
        .map(|_| {
            Command::new(&exe)
                .args(["--exact", "child_prints_ids", "--nocapture"])
                .env(CHILD, "1")
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .expect("a child process")
        })
        .collect();
    let mut seen = HashSet::with_capacity(PROCESSES * IDS_PER_PROCESS);
    for child in children {
        let output = child.wait_with_output().expect("the child ran");
        assert!(
            output.status.success(),
            "a child failed: {:?}",
            output.status
        );
        let text = String::from_utf8(output.stdout).expect("utf-8 ids");
        let ids: Vec<Uuid> = text
            .lines()
            .filter_map(|line| line.strip_prefix("ID "))
            .map(|hex| Uuid::parse_str(hex).expect("a printed id"))
            .collect();
        assert_eq!(ids.len(), IDS_PER_PROCESS, "every id came back");
        for id in ids {
            assert_eq!(id.get_version_num(), 7);
            assert!(seen.insert(id), "{id} was drawn twice");
        }
    }
    assert_eq!(seen.len(), PROCESSES * IDS_PER_PROCESS);
}
