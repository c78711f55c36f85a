//! Running the same CLI test against files, SQLite and PostgreSQL.
//!
//! A test body written for files (`ok(&["ledger", "query", …, &inventory()])`)
//! runs unchanged on a database: while a test runs on [`Backend::Sqlite`] or
//! [`Backend::Postgres`], [`rewrite`] replaces the FILE arguments of every
//! `cmdx` command by `--db URL`, URL naming a fresh database loaded with
//! those files' lines, in order, sealed and appended through `cmdx_store`
//! (as a ledger sink writes them). Each test gets its own databases.
//!
//! [`on_every_backend!`] turns each test into `NAME::files` and
//! `NAME::sqlite`, plus one `on_postgres` test per test binary that starts
//! one throwaway cluster, runs every test on a fresh database of it, stops
//! the cluster and reports each failing test by name.

use std::cell::RefCell;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use cmdx_store::Store;
use cmdx_store::seal::Sealer;

/// Where `cmdx` reads the test's ledger from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Backend {
    /// The FILE arguments, as written.
    Files,
    /// A SQLite file per set of FILE arguments.
    Sqlite,
    /// A database per set of FILE arguments, on the cluster at this URL.
    Postgres(String),
}

/// The backend of the running test, and the databases it loaded.
struct Current {
    backend: Backend,
    dir: tempfile::TempDir,
    loaded: Vec<(Vec<String>, String)>,
}

thread_local! {
    static CURRENT: RefCell<Option<Current>> = const { RefCell::new(None) };
}

/// Runs `test` with `cmdx` commands reading from `backend`.
pub fn on(backend: Backend, test: impl FnOnce()) {
    CURRENT.with(|c| {
        *c.borrow_mut() = Some(Current {
            backend,
            dir: tempfile::tempdir().expect("a temp dir"),
            loaded: Vec::new(),
        });
    });
    struct Reset;
    impl Drop for Reset {
        fn drop(&mut self) {
            CURRENT.with(|c| c.borrow_mut().take());
        }
    }
    let _reset = Reset;
    test();
}

/// The running test's backend.
pub fn current() -> Backend {
    CURRENT.with(|c| {
        c.borrow()
            .as_ref()
            .map_or(Backend::Files, |c| c.backend.clone())
    })
}

/// `args` for the running test's backend: on a database, the existing files
/// among the arguments after `ledger SUBCOMMAND` become `--db URL`.
pub fn rewrite(args: &[&str]) -> Vec<String> {
    let owned = || args.iter().map(|a| (*a).to_owned()).collect();
    CURRENT.with(|c| {
        let mut current = c.borrow_mut();
        let Some(current) = current.as_mut() else {
            return owned();
        };
        if current.backend == Backend::Files || args.len() < 2 {
            return owned();
        }
        let (head, tail) = args.split_at(2);
        let (files, rest): (Vec<&str>, Vec<&str>) =
            tail.iter().partition(|a| Path::new(a).is_file());
        if files.is_empty() {
            return owned();
        }
        let files: Vec<String> = files.into_iter().map(str::to_owned).collect();
        let url = match current.loaded.iter().find(|(f, _)| *f == files) {
            Some((_, url)) => url.clone(),
            None => {
                let url = current.load(&files);
                current.loaded.push((files, url.clone()));
                url
            }
        };
        head.iter()
            .chain(&rest)
            .map(|a| (*a).to_owned())
            .chain(["--db".to_owned(), url])
            .collect()
    })
}

impl Current {
    /// A fresh database holding `files`' lines, sealed by one writer.
    fn load(&self, files: &[String]) -> String {
        let mut sealer = Sealer::new(uuid::Uuid::now_v7());
        let mut sealed = Vec::new();
        for file in files {
            let text = std::fs::read_to_string(file).expect("a UTF-8 ledger file");
            for line in text.lines().filter(|l| !l.trim().is_empty()) {
                let line = as_written(line);
                sealed.push(sealer.seal(&line).unwrap_or_else(|e| {
                    panic!("this test does not apply to databases: cannot seal {line}: {e}")
                }));
            }
        }
        let url = self.fresh();
        append(&url, &sealed);
        url
    }

    /// The URL of a new, empty database (created on PostgreSQL; the SQLite
    /// file is created by the first [`append`]).
    fn fresh(&self) -> String {
        static N: AtomicU64 = AtomicU64::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        match &self.backend {
            Backend::Files => panic!("this test runs on databases only"),
            Backend::Sqlite => format!(
                "sqlite:{}",
                self.dir.path().join(format!("l{n}.db")).display()
            ),
            Backend::Postgres(cluster) => {
                let name = format!("t{}_{n}", std::process::id());
                admin(cluster, &format!("CREATE DATABASE {name}"));
                database_url(cluster, &name)
            }
        }
    }
}

/// A fresh database of the running test's backend holding `sealed` lines
/// (appended through `cmdx_store`, in one transaction); its URL.
pub fn database_with(sealed: &[String]) -> String {
    let url = CURRENT.with(|c| c.borrow().as_ref().expect("inside backend::on").fresh());
    append(&url, sealed);
    url
}

/// Appends sealed lines to the ledger database at `url` (migrated first).
pub fn append(url: &str, sealed: &[String]) {
    runtime().block_on(async {
        let mut store = Store::open(url)
            .await
            .unwrap_or_else(|e| panic!("open {url}: {e}"));
        let lines: Vec<&str> = sealed.iter().map(String::as_str).collect();
        store.append(&lines).await.unwrap_or_else(|e| {
            panic!("this test does not apply to databases: cannot store its lines: {e}")
        });
        store.close().await;
    });
}

/// Runs SQL statements on the database at `url` (to tamper with it).
pub fn execute(url: &str, sql: &str) {
    use sqlx::Connection as _;
    runtime().block_on(async {
        if url.starts_with("sqlite:") {
            let mut conn = sqlx::SqliteConnection::connect(url)
                .await
                .unwrap_or_else(|e| panic!("connect to {url}: {e}"));
            sqlx::raw_sql(sql)
                .execute(&mut conn)
                .await
                .unwrap_or_else(|e| panic!("{sql}: {e}"));
            let _ = conn.close().await;
        } else {
            let mut conn = sqlx::PgConnection::connect(url)
                .await
                .unwrap_or_else(|e| panic!("connect to {url}: {e}"));
            sqlx::raw_sql(sql)
                .execute(&mut conn)
                .await
                .unwrap_or_else(|e| panic!("{sql}: {e}"));
            let _ = conn.close().await;
        }
    });
}

/// The `id` of each row, in order.
pub fn row_ids(url: &str) -> Vec<i64> {
    use sqlx::Connection as _;
    runtime().block_on(async {
        let sql = "SELECT id FROM cmdx_lines ORDER BY id";
        if url.starts_with("sqlite:") {
            let mut conn = sqlx::SqliteConnection::connect(url).await.expect("connect");
            sqlx::query_scalar(sql)
                .fetch_all(&mut conn)
                .await
                .expect(sql)
        } else {
            let mut conn = sqlx::PgConnection::connect(url).await.expect("connect");
            sqlx::query_scalar(sql)
                .fetch_all(&mut conn)
                .await
                .expect(sql)
        }
    })
}

/// `line` with `v` as its first key, as the runtime writes it (and as a
/// database requires: the first key tells ledger lines from log lines).
/// Tests that build lines with `serde_json::Value` get their keys sorted.
fn as_written(line: &str) -> String {
    if line.starts_with(r#"{"v":"#) {
        return line.to_owned();
    }
    match serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(line) {
        Ok(mut fields) if fields.contains_key("v") => {
            let v = fields.remove("v").expect("checked");
            let rest = serde_json::Value::Object(fields).to_string();
            let rest = rest.strip_prefix('{').expect("an object");
            if rest == "}" {
                format!(r#"{{"v":{v}}}"#)
            } else {
                format!(r#"{{"v":{v},{rest}"#)
            }
        }
        _ => line.to_owned(),
    }
}

/// A one-thread runtime for the async store.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

/// The cluster URL with its database replaced by `name`.
pub fn database_url(cluster: &str, name: &str) -> String {
    let slash = cluster.rfind('/').expect("a database in the URL");
    format!("{}/{name}", &cluster[..slash])
}

/// Runs one statement on the cluster's `postgres` database.
pub fn admin(cluster: &str, sql: &str) {
    use sqlx::Connection as _;
    runtime().block_on(async {
        let mut conn = sqlx::PgConnection::connect(cluster)
            .await
            .unwrap_or_else(|e| panic!("connect to {cluster}: {e}"));
        sqlx::raw_sql(sql)
            .execute(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        let _ = conn.close().await;
    });
}

/// Runs every `(name, test)` on a fresh database of one throwaway
/// PostgreSQL cluster, then stops it; panics naming each failed test.
pub fn on_postgres(tests: &[(&str, fn())]) {
    let cluster = cmdx_test::postgres::Cluster::start()
        .unwrap_or_else(|e| panic!("a PostgreSQL cluster for the tests: {e}"));
    let url = cluster.url();
    let mut failed = Vec::new();
    for (name, test) in tests {
        let outcome = std::panic::catch_unwind(|| on(Backend::Postgres(url.clone()), *test));
        if outcome.is_err() {
            eprintln!("on PostgreSQL: {name} FAILED");
            failed.push(*name);
        }
    }
    drop(cluster);
    assert!(failed.is_empty(), "failed on PostgreSQL: {failed:?}");
}

/// Declares each test (`fn name() { … }`, written for files) three times:
/// `name::files`, `name::sqlite`, and as a case of the test binary's single
/// `on_postgres` test (one cluster for all).
#[allow(unused_macros, reason = "each test file uses a subset")]
macro_rules! on_every_backend {
    ($( $(#[$meta:meta])* fn $name:ident() $body:block )*) => {
        $(
            $(#[$meta])*
            mod $name {
                use super::*;

                pub(super) fn body() $body

                #[test]
                fn files() {
                    common::backend::on(common::backend::Backend::Files, body);
                }

                #[test]
                fn sqlite() {
                    common::backend::on(common::backend::Backend::Sqlite, body);
                }
            }
        )*

        #[test]
        fn on_postgres() {
            common::backend::on_postgres(&[$( (stringify!($name), $name::body) ),*]);
        }
    };
}

/// Like [`on_every_backend!`] for tests of databases only: `name::sqlite`
/// and a case of `on_postgres`.
#[allow(unused_macros, reason = "each test file uses a subset")]
macro_rules! on_databases {
    ($( $(#[$meta:meta])* fn $name:ident() $body:block )*) => {
        $(
            $(#[$meta])*
            mod $name {
                use super::*;

                pub(super) fn body() $body

                #[test]
                fn sqlite() {
                    common::backend::on(common::backend::Backend::Sqlite, body);
                }
            }
        )*

        #[test]
        fn on_postgres() {
            common::backend::on_postgres(&[$( (stringify!($name), $name::body) ),*]);
        }
    };
}
