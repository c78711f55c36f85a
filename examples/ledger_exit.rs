//! No line is lost when `main` returns: no guard, no flush, the default
//! runtime (ledger on stdout, written by a background thread). The queue
//! is flushed as tokio's worker threads exit (the runtime is dropped at the
//! end of `#[tokio::main]`) and as the main thread exits.
//!
//! `cargo run -q --example ledger_exit -- 1000 > ledger.ndjson` writes 1,000
//! lines, `n` = 0 to 999 in order: even ones executed on the main thread,
//! odd ones on a tokio worker. A second argument picks the ending:
//!
//! | mode | ends with |
//! | --- | --- |
//! | `return` (default) | returning from `#[tokio::main]` |
//! | `exit` | `std::process::exit(0)` on the main thread, runtime still running |
//! | `current-thread` | returning from a `current_thread` runtime's `block_on` |
//! | `drop-newest` | a 4 KiB queue with `FullQueue::DropNewest`: lines that do not fit are dropped, counted, and reported on stderr at exit |
//!
//! With `CMDX_LEDGER_DB=sqlite:PATH` (or `postgres://…`) the lines go to
//! that database instead of stdout (`Ledger::database`), with the same
//! endings: nothing is lost on a normal exit either.
//!
//! `examples/tests/ledger_exit.rs` runs each mode with stdout a pipe.

use cmdx::ledger::{FullQueue, NonBlocking};
use cmdx::prelude::*;
use cmdx::{Ledger, Runtime};

#[derive(Debug, Serialize, Deserialize, Validate)]
struct Step {
    #[garde(skip)]
    n: usize,
}

impl Task for Step {
    type Output = ();
    fn name() -> &'static str {
        "Example::Step"
    }
    async fn work(&self, _: &mut Cx) -> Result<(), Halt> {
        Ok(())
    }
}

/// Executes `Step { n }` for `n` in `0..count`, one after the other;
/// odd ones in a spawned task (on a worker of a multi-thread runtime).
async fn steps(count: usize) {
    for n in 0..count {
        if n % 2 == 0 {
            let _ = Step { n }.execute().await;
        } else {
            let _ = tokio::spawn(Step { n }.execute()).await;
        }
    }
    eprintln!("# executed {count} steps");
}

fn main() {
    let mut args = std::env::args().skip(1);
    let count = args.next().and_then(|n| n.parse().ok()).unwrap_or(1000);
    let mode = args.next().unwrap_or_else(|| "return".to_owned());
    let multi_thread = || {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .build()
            .expect("a tokio runtime")
    };
    if let Ok(url) = std::env::var("CMDX_LEDGER_DB") {
        let ledger = Ledger::database(&url).unwrap_or_else(|error| {
            eprintln!("CMDX_LEDGER_DB: {error}");
            std::process::exit(2);
        });
        Runtime::builder()
            .ledger(ledger)
            .build()
            .set_global()
            .expect("nothing else sets the global runtime");
    }
    match mode.as_str() {
        "return" => multi_thread().block_on(steps(count)),
        "exit" => {
            let runtime = multi_thread();
            runtime.block_on(steps(count));
            std::process::exit(0);
        }
        "current-thread" => tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a tokio runtime")
            .block_on(steps(count)),
        "drop-newest" => {
            let writer = NonBlocking::builder()
                .capacity(4096)
                .full_queue(FullQueue::DropNewest)
                .stdout();
            let runtime = Runtime::builder().ledger(Ledger::from(writer)).build();
            runtime
                .set_global()
                .expect("nothing else sets the global runtime");
            multi_thread().block_on(steps(count));
        }
        other => {
            eprintln!("unknown mode {other}: use return, exit, current-thread or drop-newest");
            std::process::exit(2);
        }
    }
}
