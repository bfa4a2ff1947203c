//! The gRPC server: every `recouvre.v1` service, health, reflection, limits, TLS, tracing
//! and graceful shutdown.

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use tokio::net::TcpListener;
use tonic::transport::server::TcpIncoming;
use tonic::transport::{Identity, Server, ServerTlsConfig};
use tonic_health::ServingStatus;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::api::Api;
use crate::api::pb::{
    FILE_DESCRIPTOR_SET, api_key_service_server::ApiKeyServiceServer,
    claim_service_server::ClaimServiceServer, creditor_service_server::CreditorServiceServer,
    debtor_service_server::DebtorServiceServer, document_service_server::DocumentServiceServer,
    event_service_server::EventServiceServer, outbox_service_server::OutboxServiceServer,
    policy_service_server::PolicyServiceServer, rate_service_server::RateServiceServer,
    scheduler_service_server::SchedulerServiceServer, task_service_server::TaskServiceServer,
    tenant_service_server::TenantServiceServer,
};
use crate::app::App;

/// How the server listens and protects itself.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Largest request or response message, in bytes.
    pub max_message_bytes: usize,
    /// Requests handled at once across all connections; more wait.
    pub max_concurrent_requests: usize,
    /// Deadline of a request when the client sets none (a shorter client deadline wins).
    pub request_timeout: Duration,
    /// PEM certificate chain and key, to serve TLS.
    pub tls: Option<(PathBuf, PathBuf)>,
    /// How often the database is probed for the health service.
    pub health_probe_interval: Duration,
    /// After the shutdown signal, how long in-flight requests may take to finish before the
    /// server stops anyway (an idle client keeping its connection open must not hold it up).
    pub drain_timeout: Duration,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            max_message_bytes: 4 * 1024 * 1024,
            max_concurrent_requests: 512,
            request_timeout: Duration::from_secs(30),
            tls: None,
            health_probe_interval: Duration::from_secs(2),
            drain_timeout: Duration::from_secs(10),
        }
    }
}

/// Services whose health is reported (besides the server as a whole, "").
const SERVICE_NAMES: &[&str] = &[
    "recouvre.v1.ClaimService",
    "recouvre.v1.CreditorService",
    "recouvre.v1.DebtorService",
    "recouvre.v1.ApiKeyService",
    "recouvre.v1.RateService",
    "recouvre.v1.DocumentService",
    "recouvre.v1.TenantService",
    "recouvre.v1.PolicyService",
    "recouvre.v1.TaskService",
    "recouvre.v1.SchedulerService",
    "recouvre.v1.OutboxService",
    "recouvre.v1.EventService",
];

async fn database_ok(app: &App) -> bool {
    use diesel_async::SimpleAsyncConnection;
    let probe = async {
        let mut conn = recouvre_store::checkout(app.pool()).await.ok()?;
        conn.batch_execute("SELECT 1").await.ok()
    };
    matches!(
        tokio::time::timeout(Duration::from_secs(2), probe).await,
        Ok(Some(()))
    )
}

/// Serves on `listener` until `shutdown` completes, then drains in-flight requests.
pub async fn serve(
    app: App,
    config: ServerConfig,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let (reporter, health) = tonic_health::server::health_reporter();
    // Health follows the database: NOT_SERVING while it cannot be reached.
    let probe_app = app.clone();
    let interval = config.health_probe_interval;
    let prober = tokio::spawn(async move {
        let mut last = None;
        loop {
            let status = if database_ok(&probe_app).await {
                ServingStatus::Serving
            } else {
                ServingStatus::NotServing
            };
            if last != Some(status) {
                if status == ServingStatus::NotServing {
                    tracing::warn!("database unreachable: health is NOT_SERVING");
                } else if last.is_some() {
                    tracing::info!("database reachable again: health is SERVING");
                }
                for name in std::iter::once("").chain(SERVICE_NAMES.iter().copied()) {
                    reporter.set_service_status(name, status).await;
                }
                last = Some(status);
            }
            tokio::time::sleep(interval).await;
        }
    });

    let reflection_v1 = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1()?;
    let reflection_v1alpha = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1alpha()?;

    let api = Api::new(app);
    let max = config.max_message_bytes;
    let mut builder = Server::builder()
        .timeout(config.request_timeout)
        .tcp_nodelay(true)
        .http2_keepalive_interval(Some(Duration::from_secs(30)));
    if let Some((cert, key)) = &config.tls {
        let identity = Identity::from_pem(std::fs::read(cert)?, std::fs::read(key)?);
        builder = builder.tls_config(ServerTlsConfig::new().identity(identity))?;
    }
    let trace = TraceLayer::new_for_grpc()
        .make_span_with(|request: &http::Request<_>| {
            let request_id = request
                .headers()
                .get("x-request-id")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
                .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
            tracing::info_span!("grpc", method = %request.uri().path(), request_id = %request_id)
        })
        .on_response(DefaultOnResponse::new().level(Level::INFO));
    let mut routes = tonic::service::RoutesBuilder::default();
    routes
        .add_service(health)
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha)
        .add_service(
            ClaimServiceServer::new(api.clone())
                .max_decoding_message_size(max)
                .max_encoding_message_size(max),
        )
        .add_service(
            CreditorServiceServer::new(api.clone())
                .max_decoding_message_size(max)
                .max_encoding_message_size(max),
        )
        .add_service(
            DebtorServiceServer::new(api.clone())
                .max_decoding_message_size(max)
                .max_encoding_message_size(max),
        )
        .add_service(
            RateServiceServer::new(api.clone())
                .max_decoding_message_size(max)
                .max_encoding_message_size(max),
        )
        .add_service(
            DocumentServiceServer::new(api.clone())
                .max_decoding_message_size(max)
                .max_encoding_message_size(max),
        )
        .add_service(
            TenantServiceServer::new(api.clone())
                .max_decoding_message_size(max)
                .max_encoding_message_size(max),
        )
        .add_service(
            PolicyServiceServer::new(api.clone())
                .max_decoding_message_size(max)
                .max_encoding_message_size(max),
        )
        .add_service(
            TaskServiceServer::new(api.clone())
                .max_decoding_message_size(max)
                .max_encoding_message_size(max),
        )
        .add_service(
            EventServiceServer::new(api.clone())
                .max_decoding_message_size(max)
                .max_encoding_message_size(max),
        )
        .add_service(
            OutboxServiceServer::new(api.clone())
                .max_decoding_message_size(max)
                .max_encoding_message_size(max),
        )
        .add_service(
            SchedulerServiceServer::new(api.clone())
                .max_decoding_message_size(max)
                .max_encoding_message_size(max),
        )
        .add_service(
            ApiKeyServiceServer::new(api.clone())
                .max_decoding_message_size(max)
                .max_encoding_message_size(max),
        );
    // Plain HTTP beside gRPC on the same port: legal teams download documents with a browser.
    let http_api = api;
    let routes = routes.routes().into_axum_router().route(
        "/v1/documents/{id}",
        axum::routing::get(move |path, headers| {
            crate::api::http::download(http_api.clone(), path, headers)
        }),
    );
    let router = builder
        .accept_http1(true)
        .layer(tower::limit::GlobalConcurrencyLimitLayer::new(
            config.max_concurrent_requests,
        ))
        .layer(trace)
        .add_routes(tonic::service::Routes::from(routes));
    let (draining_tx, draining_rx) = tokio::sync::oneshot::channel::<()>();
    let signal = async move {
        shutdown.await;
        let _ = draining_tx.send(());
    };
    // The builder's tcp_nodelay does not reach an incoming stream we hand over: set it here, or
    // Nagle's algorithm holds small responses for ~40 ms.
    let incoming = TcpIncoming::from(listener).with_nodelay(Some(true));
    let server = router.serve_with_incoming_shutdown(incoming, signal);
    let drain_timeout = config.drain_timeout;
    let deadline = async move {
        if draining_rx.await.is_ok() {
            tokio::time::sleep(drain_timeout).await;
        } else {
            std::future::pending::<()>().await;
        }
    };
    let result = tokio::select! {
        result = server => result.map_err(anyhow::Error::from),
        () = deadline => {
            tracing::warn!(timeout = ?drain_timeout, "requests still open after the drain timeout: stopping anyway");
            Ok(())
        }
    };
    prober.abort();
    result
}

/// Resolves when the process gets SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
    tracing::info!("shutdown signal received: draining requests");
}

/// Binds `addr`.
pub async fn bind(addr: SocketAddr) -> anyhow::Result<TcpListener> {
    Ok(TcpListener::bind(addr).await?)
}

/// Serves the document renderer (`recouvre docgen`) on `listener` until `shutdown` completes.
pub async fn serve_docgen(
    listener: TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    use crate::api::pb::recouvre::docgen::v1::docgen_service_server::DocgenServiceServer;
    let (reporter, health) = tonic_health::server::health_reporter();
    reporter
        .set_serving::<DocgenServiceServer<crate::app::renderer::DocgenServer>>()
        .await;
    let incoming = TcpIncoming::from(listener).with_nodelay(Some(true));
    Server::builder()
        .add_service(health)
        .add_service(
            DocgenServiceServer::new(crate::app::renderer::DocgenServer)
                .max_decoding_message_size(64 * 1024 * 1024)
                .max_encoding_message_size(64 * 1024 * 1024),
        )
        .serve_with_incoming_shutdown(incoming, shutdown)
        .await?;
    Ok(())
}
