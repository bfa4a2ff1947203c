//! Starts real clusters from the installed binaries (as `postgres` when run as root).

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use recouvre_pg::{PgBinaries, PgCluster, PgOptions, running_port};

/// A temp dir the server user can traverse even when we are root (tempdir makes it 0700).
fn temp_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755))
        .expect("chmod tempdir");
    dir
}

/// Runs `sql` through psql over TCP and returns its unaligned, tuples-only output.
fn psql(cluster: &PgCluster, sql: &str) -> Result<String, String> {
    let binaries = PgBinaries::locate().expect("binaries");
    let out = Command::new(binaries.tool("psql"))
        .args([
            "-X",
            "-At",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            "127.0.0.1",
            "-U",
            "postgres",
        ])
        .args([
            "-p",
            &cluster.port().to_string(),
            "-d",
            "postgres",
            "-c",
            sql,
        ])
        .output()
        .expect("run psql");
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

fn data_dir(dir: &tempfile::TempDir) -> std::path::PathBuf {
    dir.path().join("data")
}

#[test]
fn locates_binaries() {
    let binaries = PgBinaries::locate().expect("PostgreSQL binaries installed");
    for tool in ["initdb", "pg_ctl", "postgres"] {
        assert!(
            binaries.tool(tool).is_file(),
            "{tool} in {}",
            binaries.bin_dir.display()
        );
    }
}

#[test]
fn starts_stops_and_keeps_data_across_restarts() {
    let dir = temp_dir();
    let mut cluster = PgCluster::start(&data_dir(&dir), PgOptions::default()).expect("start");
    assert_eq!(psql(&cluster, "select 1").expect("select 1"), "1");
    assert_eq!(psql(&cluster, "show fsync").expect("show fsync"), "off");
    assert_eq!(
        cluster.url("app"),
        format!("postgres://postgres@127.0.0.1:{}/app", cluster.port())
    );
    psql(
        &cluster,
        "create table kept (x int); insert into kept values (42)",
    )
    .expect("create");
    cluster.stop().expect("stop");
    cluster.stop().expect("second stop is a no-op");
    assert!(
        psql(&cluster, "select 1").is_err(),
        "server still answers after stop"
    );
    assert_eq!(running_port(&data_dir(&dir)).expect("status"), None);
    drop(cluster);

    let options = PgOptions {
        durable: true,
        max_connections: Some(20),
        ..PgOptions::default()
    };
    let cluster = PgCluster::start(&data_dir(&dir), options).expect("restart");
    assert_eq!(
        psql(&cluster, "select x from kept").expect("table kept"),
        "42"
    );
    assert_eq!(psql(&cluster, "show fsync").expect("show fsync"), "on");
    assert_eq!(psql(&cluster, "show max_connections").expect("max"), "20");
    let port = cluster.port();
    drop(cluster);
    // Drop stops the server.
    assert_eq!(running_port(&data_dir(&dir)).expect("status"), None);
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
        "port {port} still open after drop"
    );
}

#[test]
fn recovers_from_a_stale_pid_file_and_a_leftover_server() {
    let dir = temp_dir();
    let data = data_dir(&dir);
    let cluster = PgCluster::start(&data, PgOptions::default()).expect("start");
    // A previous owner that died without stopping its server.
    let leaked_port = cluster.detach();
    assert_eq!(running_port(&data).expect("status"), Some(leaked_port));

    let mut cluster = PgCluster::start(&data, PgOptions::default()).expect("start over leftover");
    assert_eq!(psql(&cluster, "select 2").expect("select"), "2");
    cluster.stop().expect("stop");

    // A crash leaves postmaster.pid behind, naming a pid that is now something else: us.
    let pid_file = data.join("postmaster.pid");
    let stale = format!(
        "{}\n{}\n0\n{}\n\n127.0.0.1\n0 0\nready\n",
        std::process::id(),
        data.display(),
        leaked_port
    );
    std::fs::write(&pid_file, stale).expect("write stale pid file");
    assert_eq!(running_port(&data).expect("status"), None);
    let cluster = PgCluster::start(&data, PgOptions::default()).expect("start over stale pid");
    assert_eq!(psql(&cluster, "select 3").expect("select"), "3");
    assert!(Path::new(&pid_file).exists());
}

#[test]
fn uses_the_requested_port() {
    let port = std::net::TcpListener::bind(("127.0.0.1", 0))
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let dir = temp_dir();
    let options = PgOptions {
        port: Some(port),
        ..PgOptions::default()
    };
    let cluster = PgCluster::start(&data_dir(&dir), options).expect("start");
    assert_eq!(cluster.port(), port);
    assert_eq!(psql(&cluster, "select 4").expect("select"), "4");
}
