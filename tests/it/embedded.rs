//! The README's first command for real: `recouvre serve` with no DATABASE_URL starts a private
//! PostgreSQL in the data directory, prints an admin key once, serves, stops the cluster on
//! SIGTERM, and on restart reuses the data (the old key still works, no new key is printed).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use recouvre::api::pb;
use recouvre::api::pb::creditor_service_client::CreditorServiceClient;
use tonic::transport::Channel;

use crate::support::{Auth, new_request_id, sample_creditor};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

fn start(data_dir: &std::path::Path, port: u16) -> (Child, std::sync::mpsc::Receiver<String>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_recouvre"))
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .env_remove("DATABASE_URL")
        .env("RECOUVRE_DATA_DIR", data_dir)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn recouvre serve");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    (child, rx)
}

async fn connect(port: u16) -> Channel {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        match Channel::from_shared(format!("http://127.0.0.1:{port}"))
            .expect("uri")
            .connect()
            .await
        {
            Ok(channel) => return channel,
            Err(e) if Instant::now() > deadline => panic!("server did not come up: {e}"),
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
}

fn terminate(mut child: Child) {
    let pid = child.id().to_string();
    let status = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill");
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            assert!(status.success(), "serve exited with {status} on SIGTERM");
            return;
        }
        assert!(Instant::now() < deadline, "serve did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[tokio::test]
async fn serve_without_database_url_runs_its_own_postgres_and_keeps_data() {
    let dir = tempfile::tempdir().expect("tempdir");
    let port = free_port();

    let (child, lines) = start(dir.path(), port);
    let channel = connect(port).await;
    let key = lines
        .iter()
        .take(10)
        .find_map(|l| {
            l.trim()
                .strip_prefix("rcv_")
                .map(|rest| format!("rcv_{rest}"))
        })
        .expect("the first start prints an admin key");
    let mut creditors = CreditorServiceClient::with_interceptor(channel, Auth(key.clone()));
    let created = creditors
        .create_creditor(pb::CreateCreditorRequest {
            request_id: new_request_id(),
            creditor: Some(sample_creditor()),
        })
        .await
        .expect("create creditor with the bootstrap key")
        .into_inner();
    drop(creditors);
    terminate(child);
    assert_eq!(
        recouvre_pg::running_port(&dir.path().join("pg")).expect("pid file readable"),
        None,
        "the private PostgreSQL is stopped with the server"
    );

    let (child, lines) = start(dir.path(), port);
    let channel = connect(port).await;
    let mut creditors = CreditorServiceClient::with_interceptor(channel, Auth(key));
    let got = creditors
        .get_creditor(pb::GetCreditorRequest {
            id: created.id.clone(),
        })
        .await
        .expect("the old key and the data survive a restart")
        .into_inner();
    assert_eq!(got, created);
    drop(creditors);
    terminate(child);
    let printed: Vec<String> = lines.try_iter().collect();
    assert!(
        !printed.iter().any(|l| l.contains("rcv_")),
        "no second key on restart: {printed:?}"
    );
}
