//! Database destinations: the durable ledger in SQLite or PostgreSQL
//! (`cmdx_store::Store`), behind the same queue as stdout.
//!
//! The writer thread owns a current-thread tokio runtime of its own for
//! sqlx: nothing runs on the application's tokio workers. It seals every
//! line (database rows always carry a seal) and inserts each batch in one
//! transaction. While the database is unavailable it retries the batch
//! with a backoff (50 ms doubling to 5 s) until the database is back:
//! nothing is lost, the queue fills, and then [`FullQueue`] decides
//! (executions wait, or their lines are dropped and counted).
//!
//! [`FullQueue`]: super::FullQueue

use super::destination::{Batch, Destination, Failure};
use super::{NonBlocking, NonBlockingBuilder, report};
use cmdx_store::seal::Sealer;
use cmdx_store::{ErrorKind, Row, Store, StoreError, StoreUrl};
use std::time::{Duration, Instant};
use tokio::runtime::Runtime;

/// The first wait before retrying a batch the database did not take.
const FIRST_RETRY: Duration = Duration::from_millis(50);
/// The longest wait between two attempts.
const MAX_RETRY: Duration = Duration::from_secs(5);
/// How long opening a store, or one attempt at a batch, may take.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(30);

impl NonBlockingBuilder {
    /// Lines go to the SQLite file at `path` (created if missing, WAL
    /// mode), sealed, one transaction per batch. Fails at once if the file
    /// cannot be opened and written (a missing directory, a read-only
    /// file, not a database).
    ///
    /// ```
    /// use cmdx::ledger::{FullQueue, NonBlocking};
    ///
    /// let dir = std::env::temp_dir().join(format!("cmdx-doc-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir).unwrap();
    /// let writer = NonBlocking::builder()
    ///     .capacity(4 << 20)
    ///     .full_queue(FullQueue::Block)
    ///     .sqlite(dir.join("ledger.db"))
    ///     .expect("the directory exists and is writable");
    /// assert!(writer.wid().is_some(), "database rows are always sealed");
    /// let error = NonBlocking::builder().sqlite("/no/such/dir/ledger.db").unwrap_err();
    /// assert!(error.to_string().contains("does not exist"), "{error}");
    /// # drop(writer); std::fs::remove_dir_all(dir).unwrap();
    /// ```
    #[cfg(feature = "sqlite")]
    pub fn sqlite(self, path: impl AsRef<std::path::Path>) -> Result<NonBlocking, StoreError> {
        self.store(StoreUrl::Sqlite(path.as_ref().to_owned()))
    }

    /// Lines go to the PostgreSQL database at `url`
    /// (`postgres://user:password@host:port/database`), sealed, one
    /// transaction per batch. Fails at once if the URL is malformed or the
    /// server cannot be reached or refuses the login.
    ///
    /// ```no_run
    /// let url = std::env::var("DATABASE_URL").unwrap();
    /// let writer = cmdx::ledger::NonBlocking::builder()
    ///     .capacity(8 << 20)
    ///     .postgres(&url)?;
    /// # Ok::<(), cmdx::ledger::StoreError>(())
    /// ```
    #[cfg(feature = "postgres")]
    pub fn postgres(self, url: &str) -> Result<NonBlocking, StoreError> {
        match StoreUrl::parse(url)? {
            url @ StoreUrl::Postgres(_) => self.store(url),
            other => Err(StoreError::new(
                ErrorKind::Url,
                format!(
                    "{other} is not a PostgreSQL URL (postgres://user:password@host:port/database)"
                ),
            )),
        }
    }

    /// Lines go to the store `url` names: `sqlite:PATH` or `postgres://…`
    /// (for a URL from the environment or the command line).
    ///
    /// ```
    /// let error = cmdx::ledger::NonBlocking::builder().database("mysql://db").unwrap_err();
    /// assert!(error.to_string().contains("sqlite:PATH or postgres://"), "{error}");
    /// ```
    pub fn database(self, url: &str) -> Result<NonBlocking, StoreError> {
        self.store(StoreUrl::parse(url)?)
    }

    fn store(self, url: StoreUrl) -> Result<NonBlocking, StoreError> {
        let (runtime, store) = open(&url)?;
        let wid = crate::id::uuid_v7_now();
        let name = match url {
            StoreUrl::Sqlite(_) => "sqlite",
            _ => "postgres",
        };
        let database = Database {
            runtime: Some(runtime),
            store: Some(store),
            sealer: Sealer::new(wid),
            url: url.redacted(),
            line: Vec::new(),
            rows: Vec::new(),
            outage: None,
        };
        Ok(self.destination(name, Box::new(database), Some(wid)))
    }
}

/// Opens the store on a thread of its own (the caller may be a tokio
/// worker, where a runtime cannot block), with the runtime the writer
/// thread will use.
fn open(url: &StoreUrl) -> Result<(Runtime, Store), StoreError> {
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(|error| {
                        StoreError::new(
                            ErrorKind::Database,
                            "cannot start the ledger writer's runtime",
                        )
                        .with_source(error)
                    })?;
                let store = runtime.block_on(async {
                    tokio::time::timeout(ATTEMPT_TIMEOUT, Store::open_url(url))
                        .await
                        .unwrap_or_else(|_| Err(timed_out(url)))
                })?;
                Ok((runtime, store))
            })
            .join()
            .unwrap_or_else(|_| {
                Err(StoreError::new(
                    ErrorKind::Database,
                    format!("{url}: opening the store panicked"),
                ))
            })
    })
}

fn timed_out(url: &StoreUrl) -> StoreError {
    StoreError::new(
        ErrorKind::Unavailable,
        format!(
            "{url}: no answer within {}s: is the server reachable?",
            ATTEMPT_TIMEOUT.as_secs()
        ),
    )
}

/// The writer thread's side of a store.
struct Database {
    /// `None` once closed.
    runtime: Option<Runtime>,
    store: Option<Store>,
    sealer: Sealer,
    url: String,
    /// The line being sealed.
    line: Vec<u8>,
    /// The batch's rows, reused.
    rows: Vec<Row>,
    outage: Option<Outage>,
}

/// The database has been unavailable since `since`.
struct Outage {
    since: Instant,
    attempts: u64,
    noted: Instant,
}

impl Database {
    /// Seals each line into a row; a line that cannot be a row (not a
    /// ledger or log line) is left out, and the chain skips it.
    fn rows(&mut self, batch: &Batch<'_>) -> Option<String> {
        self.rows.clear();
        let mut refused = None;
        for line in batch.lines() {
            let before = self.sealer.clone();
            self.line.clear();
            let row = self
                .sealer
                .seal_into(line, &mut self.line)
                .map_err(|error| error.to_string())
                .and_then(|_| std::str::from_utf8(&self.line).map_err(|error| error.to_string()))
                .and_then(|sealed| Row::from_line(sealed).map_err(|error| error.to_string()));
            match row {
                Ok(row) => self.rows.push(row),
                Err(why) => {
                    self.sealer = before;
                    refused = Some(format!("a line is not a ledger or log line ({why})"));
                }
            }
        }
        refused
    }

    /// Inserts the rows, retrying while the database is unavailable.
    fn insert(&mut self) -> Result<(), StoreError> {
        let (Some(runtime), Some(store)) = (&self.runtime, &mut self.store) else {
            return Err(StoreError::new(ErrorKind::Database, "the store is closed"));
        };
        let url = StoreUrl::parse(&self.url).ok();
        let mut delay = FIRST_RETRY;
        loop {
            let result = runtime.block_on(async {
                match tokio::time::timeout(ATTEMPT_TIMEOUT, store.append_rows(&self.rows)).await {
                    Ok(result) => result,
                    Err(_) => Err(url.as_ref().map_or_else(
                        || StoreError::new(ErrorKind::Unavailable, "no answer"),
                        timed_out,
                    )),
                }
            });
            match result {
                Ok(()) => {
                    if let Some(outage) = self.outage.take() {
                        report::print(Some(format!(
                            "cmdx: ledger writer ({}): the database is back after {:.1?} ({} attempts); \
                             no line was lost",
                            self.url,
                            outage.since.elapsed(),
                            outage.attempts
                        )));
                    }
                    return Ok(());
                }
                Err(error) if error.is_transient() => {
                    let now = Instant::now();
                    let outage = self.outage.get_or_insert(Outage {
                        since: now,
                        attempts: 0,
                        noted: now - report::INTERVAL,
                    });
                    outage.attempts += 1;
                    if now - outage.noted >= report::INTERVAL {
                        outage.noted = now;
                        report::print(Some(format!(
                            "cmdx: ledger writer ({}): {error}. The batch is retried (every {}s at most) \
                             until the database is back: no line is lost meanwhile. Once the queue is \
                             full, executions wait (FullQueue::Block) or their lines are dropped and \
                             counted (FullQueue::DropNewest)",
                            self.url,
                            MAX_RETRY.as_secs()
                        )));
                    }
                    std::thread::sleep(delay);
                    delay = (delay * 2).min(MAX_RETRY);
                }
                Err(error) => return Err(error),
            }
        }
    }
}

impl Destination for Database {
    fn write(&mut self, batch: &Batch<'_>) -> Result<(), Failure> {
        let start = self.sealer.clone();
        let refused = self.rows(batch);
        if !self.rows.is_empty() {
            if let Err(error) = self.insert() {
                // Lines that are not stored are not part of the chain.
                self.sealer = start;
                return Err(Failure {
                    written: 0,
                    reason: error.to_string(),
                });
            }
            batch.advanced(batch.bytes().len());
        }
        match refused {
            // The counts are right; which lines failed is in the note.
            Some(reason) => Err(Failure {
                written: self.rows.len() as u64,
                reason,
            }),
            None => Ok(()),
        }
    }

    fn close(&mut self) {
        if let (Some(runtime), Some(store)) = (self.runtime.take(), self.store.take()) {
            runtime.block_on(store.close());
        }
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        // Not closed by the writer thread (it crashed, or never started):
        // the runtime may be dropped on a tokio worker, where only a
        // background shutdown is allowed.
        drop(self.store.take());
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}
