//! The throwaway cluster shared by every test process of this user on this machine.
//!
//! Layout of `$TMPDIR/recouvre-test-pg-<euid>/`:
//! - `data/`: the cluster (owned by the server user when we are root);
//! - `lock/`: held (created with `mkdir`, which is atomic) while a process inspects, starts or
//!   stops the server; `lock/owner` names the holder's pid so a crashed holder's lock is broken;
//! - `clients/<pid>`: one file per test process that uses the server;
//! - `watchdog.sh`, `watchdog.pid`: the shell loop that stops the server once no client is
//!   alive, and its pid.
//!
//! Statics are never dropped, so no test process can stop the server at exit; and under
//! nextest (one process per test) no single process knows it is the last. Hence the watchdog:
//! once every registered pid is gone for [`GRACE_SECONDS`], it takes the lock, stops the
//! server (SIGINT: fast shutdown) and deletes `data/` — with it any database a killed test
//! could not drop — then exits. The next test run initialises a new cluster (about a second).

use std::fs;
use std::io::ErrorKind;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use recouvre_pg::{PgBinaries, PgCluster, PgOptions, effective_uid, running_port};

/// How long the server outlives its last client: long enough to bridge the gaps between
/// nextest's test processes, short enough not to leave a server behind for long.
const GRACE_SECONDS: u32 = 20;
/// A lock whose holder never wrote its pid (it died right after `mkdir`) is broken after this.
const ORPHAN_LOCK_AGE: Duration = Duration::from_secs(60);
/// Generous: initdb and a first start on a loaded 2-core CI machine.
const LOCK_TIMEOUT: Duration = Duration::from_secs(300);

/// Starts the shared cluster if it is not running, registers this process as a client, and
/// returns the server's port.
pub(crate) fn ensure_running() -> Result<u16, String> {
    let uid = effective_uid().map_err(|e| e.to_string())?;
    let base = std::env::temp_dir().join(format!("recouvre-test-pg-{uid}"));
    create_private_base(&base, uid)?;
    let binaries = PgBinaries::locate().map_err(|e| e.to_string())?;

    let _lock = DirLock::acquire(&base.join("lock"))?;
    let clients = base.join("clients");
    fs::create_dir_all(&clients).map_err(|e| io_error(&clients, e))?;
    let me = clients.join(std::process::id().to_string());
    fs::write(&me, b"").map_err(|e| io_error(&me, e))?;

    let data = base.join("data");
    let port = match running_port(&data).map_err(|e| e.to_string())? {
        Some(port) => port,
        None => start(&binaries, &data)?,
    };
    ensure_watchdog(&base)?;
    Ok(port)
}

fn start(binaries: &PgBinaries, data: &Path) -> Result<u16, String> {
    let options = PgOptions {
        port: None,
        durable: false,
        // Parallel test processes each hold a few connections.
        max_connections: Some(300),
    };
    match PgCluster::start_with(binaries.clone(), data, options.clone()) {
        Ok(cluster) => Ok(cluster.detach()),
        Err(first) => {
            // A cluster left by a crash or by another PostgreSQL major version: it only held
            // test databases, start afresh.
            eprintln!("recouvre_test_db: recreating the test cluster after: {first}");
            match fs::remove_dir_all(data) {
                Ok(()) => {}
                Err(e) if e.kind() == ErrorKind::NotFound => {}
                Err(e) => return Err(io_error(data, e)),
            }
            PgCluster::start_with(binaries.clone(), data, options)
                .map(PgCluster::detach)
                .map_err(|e| format!("cannot start the test PostgreSQL cluster: {e}"))
        }
    }
}

/// Creates `base` (0755: a server user must traverse it when we are root) and checks that
/// it is ours — it lives in a shared temp dir.
fn create_private_base(base: &Path, uid: u32) -> Result<(), String> {
    fs::create_dir_all(base).map_err(|e| io_error(base, e))?;
    let meta = fs::metadata(base).map_err(|e| io_error(base, e))?;
    if meta.uid() != uid {
        return Err(format!(
            "{} belongs to uid {}, not to us (uid {uid}); remove it",
            base.display(),
            meta.uid()
        ));
    }
    if meta.permissions().mode() & 0o777 != 0o755 {
        fs::set_permissions(base, fs::Permissions::from_mode(0o755))
            .map_err(|e| io_error(base, e))?;
    }
    Ok(())
}

/// Spawns the watchdog unless a live one is recorded in `watchdog.pid`. Called under the lock.
fn ensure_watchdog(base: &Path) -> Result<(), String> {
    let pid_file = base.join("watchdog.pid");
    if let Ok(pid) = fs::read_to_string(&pid_file)
        && let Ok(pid) = pid.trim().parse::<u32>()
        && process_alive(pid)
    {
        return Ok(());
    }
    let script = base.join("watchdog.sh");
    fs::write(&script, WATCHDOG).map_err(|e| io_error(&script, e))?;
    // setsid: out of the test's process group, which nextest signals when a test times out.
    let mut cmd = if which("setsid") {
        let mut cmd = Command::new("setsid");
        cmd.arg("sh");
        cmd
    } else {
        Command::new("sh")
    };
    // Null stdio: nextest would otherwise wait for the watchdog as a leaked output pipe.
    let child = cmd
        .arg(&script)
        .arg(base)
        .arg(GRACE_SECONDS.to_string())
        .current_dir("/")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot spawn the test cluster watchdog: {e}"))?;
    // setsid execs in place (we are not a group leader), so this is the shell's pid.
    fs::write(&pid_file, child.id().to_string()).map_err(|e| io_error(&pid_file, e))
}

/// The watchdog, run as `sh BASE/watchdog.sh BASE GRACE_SECONDS`. Mirrors [`DirLock`]'s protocol.
const WATCHDOG: &str = r#"
base=$1; grace=$2
data="$base/data"; clients="$base/clients"; lock="$base/lock"
alive_clients() {
    n=0
    for f in "$clients"/*; do
        [ -e "$f" ] || continue
        if kill -0 "${f##*/}" 2>/dev/null; then n=$((n + 1)); else rm -f "$f"; fi
    done
    [ "$n" -gt 0 ]
}
take_lock() {
    while ! mkdir "$lock" 2>/dev/null; do
        owner=$(cat "$lock/owner" 2>/dev/null || true)
        if [ -n "$owner" ]; then
            kill -0 "$owner" 2>/dev/null || rm -rf "$lock"
        elif [ -n "$(find "$lock" -maxdepth 0 -mmin +1 2>/dev/null)" ]; then
            rm -rf "$lock"
        fi
        sleep 0.1
    done
    echo $$ > "$lock/owner"
}
idle=0
while sleep 1; do
    # Replaced by a newer watchdog, or the server was removed by hand.
    [ "$(cat "$base/watchdog.pid" 2>/dev/null)" = "$$" ] || exit 0
    if alive_clients; then idle=0; continue; fi
    idle=$((idle + 1))
    [ "$idle" -ge "$grace" ] || continue
    take_lock
    if alive_clients; then rm -rf "$lock"; idle=0; continue; fi
    pm=$(head -n 1 "$data/postmaster.pid" 2>/dev/null || true)
    if [ -n "$pm" ] && kill -0 "$pm" 2>/dev/null; then
        # Not a pid reused by something else after a crash.
        if [ ! -r "/proc/$pm/comm" ] || [ "$(cat "/proc/$pm/comm")" = postgres ]; then
            kill -INT "$pm"
            i=0
            while kill -0 "$pm" 2>/dev/null && [ "$i" -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
        fi
    fi
    rm -rf "$data" "$base/watchdog.pid" "$base/watchdog.sh"
    rm -rf "$lock"
    exit 0
done
"#;

/// An exclusive lock between processes: a directory created with `mkdir`.
struct DirLock {
    path: PathBuf,
}

impl DirLock {
    fn acquire(path: &Path) -> Result<DirLock, String> {
        let started = Instant::now();
        loop {
            match fs::create_dir(path) {
                Ok(()) => {
                    let owner = path.join("owner");
                    fs::write(&owner, std::process::id().to_string())
                        .map_err(|e| io_error(&owner, e))?;
                    return Ok(DirLock {
                        path: path.to_path_buf(),
                    });
                }
                Err(e) if e.kind() == ErrorKind::AlreadyExists => {
                    if Self::is_abandoned(path) {
                        let _ = fs::remove_dir_all(path);
                        continue;
                    }
                }
                Err(e) => return Err(io_error(path, e)),
            }
            if started.elapsed() > LOCK_TIMEOUT {
                return Err(format!(
                    "timed out waiting for {} (held by pid {}); remove it if that process is stuck",
                    path.display(),
                    fs::read_to_string(path.join("owner"))
                        .unwrap_or_default()
                        .trim()
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The holder died (its pid is gone), or died before writing its pid long ago.
    fn is_abandoned(path: &Path) -> bool {
        match fs::read_to_string(path.join("owner")) {
            Ok(owner) => match owner.trim().parse::<u32>() {
                Ok(pid) => !process_alive(pid),
                Err(_) => false, // being written
            },
            Err(_) => fs::metadata(path)
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| SystemTime::now().duration_since(t).ok())
                .is_some_and(|age| age > ORPHAN_LOCK_AGE),
        }
    }
}

impl Drop for DirLock {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.path);
    }
}

fn process_alive(pid: u32) -> bool {
    if Path::new("/proc/self").exists() {
        return Path::new("/proc").join(pid.to_string()).exists();
    }
    Command::new("kill")
        .args(["-0", &pid.to_string()])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn which(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(program).is_file()))
}

fn io_error(path: &Path, e: std::io::Error) -> String {
    format!("{}: {e}", path.display())
}
