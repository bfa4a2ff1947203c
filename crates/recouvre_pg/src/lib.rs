//! A private PostgreSQL cluster run from the installed server binaries.
//!
//! [`PgBinaries::locate`] finds `initdb`/`pg_ctl`/`postgres`; [`PgCluster::start`] initialises a
//! data directory (once) and starts a server on `127.0.0.1` with trust authentication, so that
//! the service and its tests need nothing but the PostgreSQL packages installed.
//!
//! Invariants:
//! - The server listens on `127.0.0.1` only (plus a unix socket inside the data directory when
//!   its path is short enough), and `initdb --auth=trust` therefore trusts local clients only.
//! - PostgreSQL refuses to run as root: when the effective uid is 0, the data directory is
//!   owned by, and every server binary runs as, an unprivileged user (`postgres`, else `nobody`).
//! - The crate does no networking beyond binding `127.0.0.1:0` to find a free port; it talks to
//!   the server only through `pg_ctl`.

use std::ffi::OsString;
use std::fmt::Write as _;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// Name of the server log written by `pg_ctl -l`, inside the data directory.
const LOG_FILE: &str = "recouvre-server.log";
/// Unix socket paths are limited to 107 bytes (`sun_path`); longer ones make the server fail.
const MAX_SOCKET_PATH: usize = 100;
/// How many fresh ports to try when another process grabs the one we picked.
const PORT_ATTEMPTS: usize = 5;

/// Everything that can go wrong finding the binaries or running the cluster.
#[derive(Debug, thiserror::Error)]
pub enum PgError {
    /// No `initdb`/`pg_ctl` pair was found; the message lists where we looked.
    #[error(
        "PostgreSQL server binaries (initdb, pg_ctl, postgres) not found ({0}); install PostgreSQL \
         server binaries, e.g. `apt-get install postgresql`, or set DATABASE_URL"
    )]
    BinariesNotFound(String),
    /// A file-system or process-spawning error.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// A PostgreSQL tool exited unsuccessfully; `output` holds its output and the server log tail.
    #[error("`{command}` failed:\n{output}")]
    CommandFailed { command: String, output: String },
    /// Running as root, but no unprivileged user exists to run the server as.
    #[error(
        "running as root and neither the `postgres` nor the `nobody` user exists; PostgreSQL \
         refuses to run as root"
    )]
    NoUnprivilegedUser,
    /// Running as root, and the server user cannot reach the data directory's parent.
    #[error(
        "the PostgreSQL server runs as `{user}` (we are root) but `{user}` cannot access {}; \
         choose a data directory whose parents are traversable (e.g. mode 0755)",
        path.display()
    )]
    DataDirNotAccessible { path: PathBuf, user: String },
}

/// Where the PostgreSQL server binaries live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgBinaries {
    pub bin_dir: PathBuf,
}

impl PgBinaries {
    /// Finds initdb/pg_ctl/postgres.
    ///
    /// Looks 1) on `PATH` for a directory holding both `initdb` and `pg_ctl` (symlinks are
    /// followed to the real directory, so `psql` and friends are found beside them), 2) in
    /// `pg_config --bindir`, 3) in the highest-version `/usr/lib/postgresql/*/bin` (Debian and
    /// Ubuntu install the server there, off `PATH`).
    pub fn locate() -> Result<PgBinaries, PgError> {
        let mut looked = Vec::new();

        if let Some(path) = std::env::var_os("PATH") {
            for dir in std::env::split_paths(&path) {
                if let Some(bin_dir) = server_bin_dir(&dir) {
                    return Ok(PgBinaries { bin_dir });
                }
            }
            looked.push("PATH".to_owned());
        }

        match Command::new("pg_config").arg("--bindir").output() {
            Ok(out) if out.status.success() => {
                let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
                if let Some(bin_dir) = server_bin_dir(&dir) {
                    return Ok(PgBinaries { bin_dir });
                }
                looked.push(format!("`pg_config --bindir` ({})", dir.display()));
            }
            _ => looked.push("`pg_config --bindir` (no pg_config)".to_owned()),
        }

        let mut versions: Vec<(Vec<u32>, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|entry| {
                let name = entry.file_name().to_string_lossy().into_owned();
                let version = name
                    .split('.')
                    .map(|part| part.parse::<u32>().ok())
                    .collect::<Option<Vec<u32>>>()?;
                Some((version, entry.path().join("bin")))
            })
            .collect();
        versions.sort();
        if let Some(bin_dir) = versions
            .iter()
            .rev()
            .find_map(|(_, dir)| server_bin_dir(dir))
        {
            return Ok(PgBinaries { bin_dir });
        }
        looked.push("/usr/lib/postgresql/*/bin".to_owned());

        Err(PgError::BinariesNotFound(format!(
            "looked in {}",
            looked.join(", ")
        )))
    }

    /// Path of one of the binaries, e.g. `psql`.
    pub fn tool(&self, name: &str) -> PathBuf {
        self.bin_dir.join(name)
    }
}

/// `dir` (or the directory its `initdb` symlink points into) if it holds `initdb` and `pg_ctl`.
fn server_bin_dir(dir: &Path) -> Option<PathBuf> {
    let has_tools = |d: &Path| d.join("initdb").is_file() && d.join("pg_ctl").is_file();
    if !has_tools(dir) {
        return None;
    }
    // /usr/local/bin/initdb -> /usr/lib/postgresql/15/bin/initdb: prefer the real directory,
    // where pg_ctl finds `postgres` and where psql lives too.
    let real = std::fs::canonicalize(dir.join("initdb"))
        .ok()
        .and_then(|p| p.parent().map(Path::to_path_buf));
    match real {
        Some(real) if has_tools(&real) => Some(real),
        _ => Some(dir.to_path_buf()),
    }
}

/// How to run the cluster.
#[derive(Debug, Default, Clone)]
pub struct PgOptions {
    /// TCP port on 127.0.0.1; a free one is picked when `None`.
    pub port: Option<u16>,
    /// `false` (tests) turns off fsync, synchronous_commit and full_page_writes: a crash may
    /// lose or corrupt data, which a throwaway cluster does not mind.
    pub durable: bool,
    /// `max_connections`; PostgreSQL's default (100) when `None`.
    pub max_connections: Option<u32>,
}

/// A private cluster in a data directory, started on a TCP port on 127.0.0.1.
///
/// Dropping it stops the server (fast shutdown), unless [`PgCluster::detach`] was called.
#[derive(Debug)]
pub struct PgCluster {
    data_dir: PathBuf,
    port: u16,
    binaries: PgBinaries,
    /// The unprivileged user the server runs as when we are root.
    run_as: Option<String>,
    running: bool,
}

impl PgCluster {
    /// Initialises `data_dir` if it holds no cluster yet, then starts the server.
    ///
    /// An existing cluster is reused with its data. A `postmaster.pid` left by a crashed run is
    /// removed when its process is gone; a server still running on `data_dir` (a previous
    /// owner died without stopping it) is stopped and started again with `options`.
    pub fn start(data_dir: &Path, options: PgOptions) -> Result<PgCluster, PgError> {
        let binaries = PgBinaries::locate()?;
        Self::start_with(binaries, data_dir, options)
    }

    /// [`PgCluster::start`] with binaries already located.
    pub fn start_with(
        binaries: PgBinaries,
        data_dir: &Path,
        options: PgOptions,
    ) -> Result<PgCluster, PgError> {
        std::fs::create_dir_all(data_dir)?;
        let data_dir = std::fs::canonicalize(data_dir)?;
        let run_as = if effective_uid()? == 0 {
            Some(unprivileged_user()?)
        } else {
            None
        };
        let mut cluster = PgCluster {
            data_dir,
            port: 0,
            binaries,
            run_as,
            running: false,
        };
        if let Some(user) = &cluster.run_as {
            cluster.prepare_for_user(user)?;
        }
        if !cluster.data_dir.join("PG_VERSION").exists() {
            cluster.initdb(options.durable)?;
        }
        cluster.clear_previous_server()?;

        let mut attempt = 0;
        loop {
            attempt += 1;
            let port = match options.port {
                Some(port) => port,
                None => free_port()?,
            };
            match cluster.pg_ctl_start(port, &options) {
                Ok(()) => {
                    cluster.port = port;
                    cluster.running = true;
                    tracing::info!(data_dir = %cluster.data_dir.display(), port, "PostgreSQL started");
                    return Ok(cluster);
                }
                // Another process may have bound the port between our probe and the server's
                // bind: pick another one.
                Err(PgError::CommandFailed { output, .. })
                    if options.port.is_none()
                        && attempt < PORT_ATTEMPTS
                        && output.contains("could not bind") =>
                {
                    tracing::warn!(port, "port taken before PostgreSQL could bind it; retrying");
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// The TCP port the server listens on (127.0.0.1).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The data directory (canonical path).
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// `postgres://postgres@127.0.0.1:PORT/DATABASE`.
    pub fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    /// Fast shutdown (`pg_ctl -m fast stop`): open sessions are rolled back. Idempotent.
    pub fn stop(&mut self) -> Result<(), PgError> {
        if !self.running {
            return Ok(());
        }
        if running_port(&self.data_dir)?.is_some() {
            let mut cmd = self.pg_command("pg_ctl");
            cmd.arg("stop")
                .arg("-D")
                .arg(&self.data_dir)
                .args(["-m", "fast", "-w", "-t", "60"]);
            run(cmd, None)?;
        }
        self.running = false;
        tracing::info!(data_dir = %self.data_dir.display(), "PostgreSQL stopped");
        Ok(())
    }

    /// Leaves the server running after this value is dropped; returns its port.
    ///
    /// For a cluster shared by several processes, which someone else stops.
    pub fn detach(mut self) -> u16 {
        self.running = false;
        self.port
    }

    /// Creates `data_dir` for the server user and checks that user can reach it.
    fn prepare_for_user(&self, user: &str) -> Result<(), PgError> {
        let (uid, gid) = user_ids(user)?;
        // initdb wants to own the directory; do not touch a populated cluster's files.
        std::os::unix::fs::chown(&self.data_dir, Some(uid), Some(gid))?;
        let parent = self.data_dir.parent().unwrap_or(Path::new("/"));
        let ok = self
            .as_user(user, "test", &["-x".into(), parent.as_os_str().to_owned()])
            .stdin(Stdio::null())
            .status()?
            .success();
        if ok {
            Ok(())
        } else {
            Err(PgError::DataDirNotAccessible {
                path: parent.to_path_buf(),
                user: user.to_owned(),
            })
        }
    }

    fn initdb(&self, durable: bool) -> Result<(), PgError> {
        // C.UTF-8 gives Unicode-aware lower()/upper() (French names); it exists on every
        // glibc system, but fall back to plain C where it does not (e.g. macOS).
        let locales = ["C.UTF-8", "C"];
        for (i, locale) in locales.iter().enumerate() {
            let mut cmd = self.pg_command("initdb");
            cmd.arg("-D")
                .arg(&self.data_dir)
                .args(["-U", "postgres", "--auth=trust", "-E", "UTF8"])
                .arg(format!("--locale={locale}"));
            if !durable {
                cmd.arg("--no-sync");
            }
            match run(cmd, None) {
                Ok(_) => {
                    tracing::info!(data_dir = %self.data_dir.display(), locale, "initialised PostgreSQL cluster");
                    break;
                }
                // initdb removes what it wrote on failure, so the directory is empty again.
                Err(e) if i + 1 < locales.len() => {
                    tracing::debug!(locale, error = %e, "initdb failed; trying the next locale");
                }
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Deals with what a previous server on this data directory left behind.
    fn clear_previous_server(&self) -> Result<(), PgError> {
        let pid_file = self.data_dir.join("postmaster.pid");
        if !pid_file.exists() {
            return Ok(());
        }
        if running_port(&self.data_dir)?.is_some() {
            tracing::warn!(data_dir = %self.data_dir.display(), "a PostgreSQL server is already running on this data directory; restarting it");
            let mut cmd = self.pg_command("pg_ctl");
            cmd.arg("stop")
                .arg("-D")
                .arg(&self.data_dir)
                .args(["-m", "fast", "-w", "-t", "60"]);
            run(cmd, None)?;
        } else {
            tracing::warn!(path = %pid_file.display(), "removing stale postmaster.pid from a crashed run");
            match std::fs::remove_file(&pid_file) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }

    fn pg_ctl_start(&self, port: u16, options: &PgOptions) -> Result<(), PgError> {
        let mut server_options = format!("-p {port} -c listen_addresses=127.0.0.1");
        let socket_dir = self.data_dir.to_string_lossy();
        if socket_dir.len() + "/.s.PGSQL.65535.lock".len() <= MAX_SOCKET_PATH {
            let _ = write!(server_options, " -k {}", shell_quote(&socket_dir));
        } else {
            // Too long for a unix socket: TCP only (pg_ctl -w waits on postmaster.pid, not on
            // a connection, so it does not need the socket).
            server_options.push_str(" -c unix_socket_directories=''");
        }
        if !options.durable {
            server_options
                .push_str(" -c fsync=off -c synchronous_commit=off -c full_page_writes=off");
        }
        if let Some(max) = options.max_connections {
            let _ = write!(server_options, " -c max_connections={max}");
        }
        let log = self.data_dir.join(LOG_FILE);
        let mut cmd = self.pg_command("pg_ctl");
        cmd.arg("start")
            .arg("-D")
            .arg(&self.data_dir)
            .arg("-l")
            .arg(&log)
            .args(["-w", "-t", "120", "-o"])
            .arg(server_options);
        run(cmd, Some(&log)).map(|_| ())
    }

    /// A command for a PostgreSQL binary, run as the server user when we are root.
    fn pg_command(&self, tool: &str) -> Command {
        let program = self.binaries.tool(tool);
        match &self.run_as {
            Some(user) => self.as_user(user, &program.to_string_lossy(), &[]),
            None => {
                let mut cmd = Command::new(program);
                cmd.current_dir("/");
                cmd
            }
        }
    }

    /// `program args…` run as `user` (we are root): `runuser`, else `su`.
    fn as_user(&self, user: &str, program: &str, args: &[OsString]) -> Command {
        let mut cmd = if which("runuser").is_some() {
            let mut cmd = Command::new("runuser");
            cmd.args(["-u", user, "--", program]).args(args);
            cmd
        } else {
            // su needs one shell command line; `nobody` has no login shell, hence -s.
            let mut line = shell_quote(program);
            for arg in args {
                line.push(' ');
                line.push_str(&shell_quote(&arg.to_string_lossy()));
            }
            let mut cmd = Command::new("su");
            cmd.args([user, "-s", "/bin/sh", "-c"]).arg(line);
            cmd
        };
        // The caller's cwd (e.g. /root) may be unreadable by the server user.
        cmd.current_dir("/");
        cmd
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        if let Err(e) = self.stop() {
            tracing::warn!(data_dir = %self.data_dir.display(), error = %e, "could not stop PostgreSQL");
        }
    }
}

/// The port of the server running on `data_dir`, or `None` when none runs there.
///
/// A `postmaster.pid` whose process is gone, or whose pid now belongs to something other than
/// PostgreSQL (reused after a crash), counts as not running. (`pg_ctl status` would not do:
/// it refuses to run as root, and trusts a reused pid.)
pub fn running_port(data_dir: &Path) -> Result<Option<u16>, PgError> {
    let contents = match std::fs::read_to_string(data_dir.join("postmaster.pid")) {
        Ok(contents) => contents,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    // Line 1: pid; line 4: port (see PostgreSQL's pidfile.h).
    let mut lines = contents.lines();
    let pid = lines.next().and_then(|l| l.trim().parse::<u32>().ok());
    let port = lines.nth(2).and_then(|l| l.trim().parse::<u16>().ok());
    let (Some(pid), Some(port)) = (pid, port) else {
        return Ok(None);
    };
    Ok(is_postgres_process(pid)?.then_some(port))
}

/// Whether `pid` is alive and, where /proc tells, a PostgreSQL process.
fn is_postgres_process(pid: u32) -> Result<bool, PgError> {
    if Path::new("/proc/self").exists() {
        let comm = Path::new("/proc").join(pid.to_string()).join("comm");
        return Ok(match std::fs::read_to_string(comm) {
            Ok(name) => matches!(name.trim(), "postgres" | "postmaster"),
            Err(_) => false,
        });
    }
    let status = Command::new("kill")
        .args(["-0", &pid.to_string()])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .status()?;
    Ok(status.success())
}

/// Runs `cmd`; on failure, the error carries its output and the tail of `log`.
fn run(mut cmd: Command, log: Option<&Path>) -> Result<Output, PgError> {
    let command = describe(&cmd);
    tracing::debug!(%command, "running");
    let output = cmd.stdin(Stdio::null()).output()?;
    if output.status.success() {
        return Ok(output);
    }
    let mut text = format!(
        "{}\n{}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    if let Some(log) = log
        && let Ok(contents) = std::fs::read_to_string(log)
    {
        let lines: Vec<&str> = contents.lines().collect();
        let tail = &lines[lines.len().saturating_sub(20)..];
        let _ = write!(
            text,
            "\nserver log ({}):\n{}",
            log.display(),
            tail.join("\n")
        );
    }
    Err(PgError::CommandFailed {
        command,
        output: text,
    })
}

fn describe(cmd: &Command) -> String {
    std::iter::once(cmd.get_program())
        .chain(cmd.get_args())
        .map(|s| s.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// A port the kernel considers free on 127.0.0.1 right now.
fn free_port() -> Result<u16, PgError> {
    let listener = TcpListener::bind(("127.0.0.1", 0))?;
    Ok(listener.local_addr()?.port())
}

/// The effective uid, from /proc (no libc: the workspace forbids `unsafe`), else `id -u`.
pub fn effective_uid() -> Result<u32, PgError> {
    if let Ok(status) = std::fs::read_to_string("/proc/self/status") {
        // "Uid:\treal\teffective\tsaved\tfs"
        if let Some(euid) = status
            .lines()
            .find_map(|l| l.strip_prefix("Uid:"))
            .and_then(|rest| rest.split_whitespace().nth(1))
            .and_then(|s| s.parse().ok())
        {
            return Ok(euid);
        }
    }
    let out = Command::new("id").arg("-u").output()?;
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .map_err(|_| PgError::CommandFailed {
            command: "id -u".to_owned(),
            output: String::from_utf8_lossy(&out.stderr).into_owned(),
        })
}

/// `postgres` if that user exists, else `nobody`.
fn unprivileged_user() -> Result<String, PgError> {
    for user in ["postgres", "nobody"] {
        if user_ids(user).is_ok() {
            return Ok(user.to_owned());
        }
    }
    Err(PgError::NoUnprivilegedUser)
}

/// (uid, gid) of `user`, through `id` so that NSS sources other than /etc/passwd count.
fn user_ids(user: &str) -> Result<(u32, u32), PgError> {
    let id = |flag: &str| -> Result<u32, PgError> {
        let out = Command::new("id").arg(flag).arg(user).output()?;
        String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .map_err(|_| PgError::NoUnprivilegedUser)
    };
    Ok((id("-u")?, id("-g")?))
}

fn which(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
}

/// Single-quotes `s` for /bin/sh (pg_ctl hands `-o` to a shell).
fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_quote_escapes_single_quotes() {
        assert_eq!(shell_quote("/tmp/a b"), "'/tmp/a b'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
    }

    #[test]
    fn effective_uid_matches_id() {
        let out = Command::new("id").arg("-u").output().expect("id -u");
        let expected: u32 = String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .expect("numeric uid");
        assert_eq!(effective_uid().expect("euid"), expected);
    }
}
