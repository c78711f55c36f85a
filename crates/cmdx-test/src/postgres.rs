//! [`Cluster`]: a throwaway PostgreSQL server for tests, on 127.0.0.1 and a
//! free port, in a temporary directory, stopped and removed on drop (also
//! when the test panics).
//!
//! The server refuses to run as root, so as root it runs as the `postgres`
//! user the Debian package creates (through `runuser`). `fsync=off`: for
//! tests only. PostgreSQL missing is an error (the test fails with what to
//! install), never a skip: `bash .ci/run` installs it.

use std::fmt;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU64, Ordering};

/// A PostgreSQL cluster of its own: `initdb` in a temporary directory,
/// `pg_ctl start` on a free port of 127.0.0.1. Stopped (`pg_ctl stop -m
/// fast`) and removed on drop.
///
/// ```no_run
/// let mut cluster = cmdx_test::postgres::Cluster::start().expect("PostgreSQL is installed");
/// let url = cluster.url(); // postgres://postgres@127.0.0.1:PORT/postgres
/// cluster.stop().unwrap(); // the database goes away …
/// cluster.restart().unwrap(); // … and comes back on the same port, with its data
/// # let _ = url;
/// ```
#[derive(Debug)]
pub struct Cluster {
    bin: PathBuf,
    dir: PathBuf,
    port: u16,
    as_postgres: bool,
    running: bool,
}

impl Cluster {
    /// Creates and starts a cluster. Fails with a clear message when
    /// PostgreSQL is not installed (set `CMDX_PG_BIN` to its `bin`
    /// directory if it is somewhere else) or does not start.
    pub fn start() -> Result<Self, ClusterError> {
        let bin = find_bin()?;
        let as_postgres = is_root();
        static N: AtomicU64 = AtomicU64::new(0);
        let dir = std::env::temp_dir().join(format!(
            "cmdx-pg-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir)
            .map_err(|e| ClusterError(format!("cannot create {}: {e}", dir.display())))?;
        let mut cluster = Self {
            bin,
            dir,
            port: 0,
            as_postgres,
            running: false,
        };
        if as_postgres {
            run(Command::new("chown").arg("postgres").arg(&cluster.dir))?;
        }
        let data = cluster.data();
        cluster.pg("initdb", |c| {
            c.arg("-D")
                .arg(&data)
                .args(["-A", "trust", "-U", "postgres", "-E", "UTF8"]);
            c.args(["--no-sync", "--locale=C"]);
        })?;
        let mut last = None;
        for _ in 0..3 {
            cluster.port = free_port()?;
            match cluster.restart() {
                Ok(()) => return Ok(cluster),
                Err(error) => last = Some(error),
            }
        }
        Err(last.expect("three attempts"))
    }

    /// `postgres://postgres@127.0.0.1:PORT/postgres` (trust authentication).
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// The port it listens on (the same after [`restart`](Self::restart)).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Stops the server (`pg_ctl stop -m fast`: connections are closed,
    /// committed data is kept). [`restart`](Self::restart) brings it back.
    pub fn stop(&mut self) -> Result<(), ClusterError> {
        if !self.running {
            return Ok(());
        }
        let data = self.data();
        self.pg("pg_ctl", |c| {
            c.arg("-D").arg(&data).args(["stop", "-m", "fast", "-w"]);
        })?;
        self.running = false;
        Ok(())
    }

    /// Starts the server again on the same data and port (waits until it
    /// accepts connections).
    pub fn restart(&mut self) -> Result<(), ClusterError> {
        if self.running {
            return Ok(());
        }
        let (data, log, dir, port) = (
            self.data(),
            self.dir.join("log"),
            self.dir.clone(),
            self.port,
        );
        self.pg("pg_ctl", |c| {
            c.arg("-D").arg(&data).arg("-l").arg(&log).args(["-w", "-t", "60"]);
            c.arg("-o").arg(format!(
                "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off",
                dir.display()
            ));
            c.arg("start");
        })
        .map_err(|error| {
            let log = std::fs::read_to_string(&log).unwrap_or_default();
            ClusterError(format!("{error}\nserver log:\n{log}"))
        })?;
        self.running = true;
        Ok(())
    }

    /// Whether the server is started.
    pub fn is_running(&self) -> bool {
        self.running
    }

    fn data(&self) -> PathBuf {
        self.dir.join("data")
    }

    /// Runs `tool` from the PostgreSQL `bin` directory, as `postgres` when
    /// we are root.
    fn pg(&self, tool: &str, args: impl FnOnce(&mut Command)) -> Result<(), ClusterError> {
        let program = self.bin.join(tool);
        let mut command = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&program);
            c
        } else {
            Command::new(&program)
        };
        command.current_dir(&self.dir);
        args(&mut command);
        run(&mut command)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if let Err(error) = self.stop() {
            eprintln!("cmdx-test: could not stop the PostgreSQL cluster: {error}");
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// PostgreSQL is missing, or a step of the cluster's life failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterError(String);

impl fmt::Display for ClusterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ClusterError {}

/// `$CMDX_PG_BIN`, or the newest `/usr/lib/postgresql/*/bin` with `initdb`.
fn find_bin() -> Result<PathBuf, ClusterError> {
    if let Some(bin) = std::env::var_os("CMDX_PG_BIN") {
        let bin = PathBuf::from(bin);
        return if bin.join("initdb").is_file() {
            Ok(bin)
        } else {
            Err(ClusterError(format!(
                "CMDX_PG_BIN={} has no initdb",
                bin.display()
            )))
        };
    }
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").is_file().then_some((version, bin))
        })
        .collect();
    found.sort();
    found.pop().map(|(_, bin)| bin).ok_or_else(|| {
        ClusterError(
            "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): install it with \
             `apt-get install -y postgresql` (bash .ci/run does), or set CMDX_PG_BIN to its bin \
             directory"
                .into(),
        )
    })
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
}

fn free_port() -> Result<u16, ClusterError> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .map_err(|e| ClusterError(format!("no free port on 127.0.0.1: {e}")))
}

fn run(command: &mut Command) -> Result<(), ClusterError> {
    let describe = format!("{command:?}");
    let output: Output = command
        .output()
        .map_err(|e| ClusterError(format!("cannot run {describe}: {e}")))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(ClusterError(format!(
            "{} failed ({}): {}{}",
            describe,
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )))
    }
}
