//! TLS: given a certificate and key, the server speaks only TLS.

use std::time::Duration;

use recouvre::server::ServerConfig;
use tonic::transport::{Certificate, Channel, ClientTlsConfig};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

use crate::support::TestApp;

#[tokio::test]
async fn serves_tls_with_the_given_certificate_and_refuses_plaintext() {
    let certified =
        rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).expect("self-signed cert");
    let dir = tempfile::tempdir().expect("tempdir");
    let cert_path = dir.path().join("cert.pem");
    let key_path = dir.path().join("key.pem");
    std::fs::write(&cert_path, certified.cert.pem()).expect("write cert");
    std::fs::write(&key_path, certified.signing_key.serialize_pem()).expect("write key");

    let app = TestApp::spawn_tls(ServerConfig {
        tls: Some((cert_path, key_path)),
        ..ServerConfig::default()
    })
    .await;

    let tls = ClientTlsConfig::new()
        .ca_certificate(Certificate::from_pem(certified.cert.pem()))
        .domain_name("localhost");
    let channel = Channel::from_shared(format!("https://{}", app.addr))
        .expect("uri")
        .tls_config(tls)
        .expect("tls config")
        .connect()
        .await
        .expect("TLS handshake with the server's certificate");
    let status = HealthClient::new(channel)
        .check(HealthCheckRequest {
            service: String::new(),
        })
        .await
        .expect("health over TLS")
        .into_inner()
        .status;
    assert_eq!(status, ServingStatus::Serving as i32);

    let plaintext = Channel::from_shared(format!("http://{}", app.addr))
        .expect("uri")
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(5))
        .connect()
        .await;
    if let Ok(channel) = plaintext {
        let refused = HealthClient::new(channel)
            .check(HealthCheckRequest {
                service: String::new(),
            })
            .await;
        assert!(refused.is_err(), "a plaintext call must not be served");
    }
}
