//! `TestApp::spawn()`: a real server on a free port over a fresh database, a manual clock,
//! and helpers to make keys, tenants, creditors, debtors and claims.

#![allow(dead_code)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use recouvre::api::pb;
use recouvre::api::pb::api_key_service_client::ApiKeyServiceClient;
use recouvre::api::pb::claim_service_client::ClaimServiceClient;
use recouvre::api::pb::creditor_service_client::CreditorServiceClient;
use recouvre::api::pb::debtor_service_client::DebtorServiceClient;
use recouvre::api::pb::rate_service_client::RateServiceClient;
use recouvre::app::renderer::Renderer;
use recouvre::app::{App, Clock, create_api_key};
use recouvre::server::{ServerConfig, serve};
use recouvre_domain::{Role, TenantId, TenantKind};
use recouvre_store::access::{Tenant, insert_tenant};
use recouvre_test_db::TestDatabase;
use tonic::metadata::MetadataValue;
use tonic::service::Interceptor;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;
use tonic::{Code, Request, Status};
use tonic_types::StatusExt;

/// A clock the test moves by hand. Starts at 2026-11-20 10:00 UTC.
pub struct ManualClock(Mutex<DateTime<Utc>>);

impl ManualClock {
    pub fn set(&self, at: DateTime<Utc>) {
        *self.0.lock().expect("clock lock") = at;
    }
    pub fn now_at(&self) -> DateTime<Utc> {
        *self.0.lock().expect("clock lock")
    }
    pub fn advance_days(&self, days: i64) {
        let mut t = self.0.lock().expect("clock lock");
        *t += chrono::Duration::days(days);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().expect("clock lock")
    }
}

/// Adds `authorization: Bearer <key>` to every call (no header when the key is empty).
#[derive(Clone)]
pub struct Auth(pub String);

impl Interceptor for Auth {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        if !self.0.is_empty() {
            let value: MetadataValue<_> = format!("Bearer {}", self.0).parse().expect("ascii key");
            request.metadata_mut().insert("authorization", value);
        }
        Ok(request)
    }
}

pub type Claims = ClaimServiceClient<InterceptedService<Channel, Auth>>;
pub type Creditors = CreditorServiceClient<InterceptedService<Channel, Auth>>;
pub type Debtors = DebtorServiceClient<InterceptedService<Channel, Auth>>;
pub type ApiKeys = ApiKeyServiceClient<InterceptedService<Channel, Auth>>;
pub type Rates = RateServiceClient<InterceptedService<Channel, Auth>>;

/// A running server and what a test needs around it.
pub struct TestApp {
    pub addr: std::net::SocketAddr,
    pub db: TestDatabase,
    pub clock: Arc<ManualClock>,
    pub channel: Channel,
    /// The first tenant.
    pub tenant: TenantId,
    /// Keys of the first tenant, one per role.
    pub admin: String,
    pub agent: String,
    pub legal: String,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

pub fn start_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 10, 0, 0)
        .single()
        .expect("valid time")
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        Self::spawn_with(ServerConfig {
            health_probe_interval: Duration::from_millis(200),
            ..ServerConfig::default()
        })
        .await
    }

    pub async fn spawn_with(config: ServerConfig) -> TestApp {
        Self::spawn_rendering_with(config, Renderer::InProcess).await
    }

    /// A server typesetting documents with `renderer` (e.g. a docgen sidecar).
    pub async fn spawn_rendering_with(config: ServerConfig, renderer: Renderer) -> TestApp {
        let started = start_server(config, renderer).await;
        let (addr, db, clock, tx) = (started.addr, started.db, started.clock, started.shutdown);
        let channel = Channel::from_shared(format!("http://{addr}"))
            .expect("uri")
            .connect()
            .await
            .expect("connect");
        let mut test = TestApp {
            addr,
            db,
            clock,
            channel,
            tenant: TenantId(uuid::Uuid::nil()),
            admin: String::new(),
            agent: String::new(),
            legal: String::new(),
            shutdown: Some(tx),
        };
        let (tenant, admin) = test.new_tenant("first").await;
        test.tenant = tenant;
        test.admin = admin;
        test.agent = test.key(tenant, Role::Agent).await;
        test.legal = test.key(tenant, Role::Legal).await;
        test
    }

    async fn conn(&self) -> AsyncPgConnection {
        AsyncPgConnection::establish(self.db.url())
            .await
            .expect("connect to test db")
    }

    /// A new tenant with an admin key.
    pub async fn new_tenant(&self, name: &str) -> (TenantId, String) {
        let mut conn = self.conn().await;
        let now = recouvre::app::now_facts(self.clock.now());
        let tenant = Tenant {
            id: TenantId::new_at(now.at),
            name: name.to_owned(),
            kind: TenantKind::Creditor,
            created_at: now.at,
        };
        insert_tenant(&mut conn, &tenant).await.expect("tenant");
        let admin = create_api_key(&mut conn, tenant.id, Role::Admin, "test admin", now.at)
            .await
            .expect("key");
        (tenant.id, admin.token)
    }

    /// A key of `tenant` with `role`.
    pub async fn key(&self, tenant: TenantId, role: Role) -> String {
        let mut conn = self.conn().await;
        let now = recouvre::app::now_facts(self.clock.now());
        create_api_key(&mut conn, tenant, role, "test", now.at)
            .await
            .expect("key")
            .token
    }

    /// Runs raw SQL on the test database (to tamper with rows).
    pub async fn sql(&self, sql: &str) {
        use diesel_async::SimpleAsyncConnection;
        self.conn().await.batch_execute(sql).await.expect("sql");
    }

    pub fn claims(&self, key: &str) -> Claims {
        ClaimServiceClient::with_interceptor(self.channel.clone(), Auth(key.to_owned()))
    }
    pub fn creditors(&self, key: &str) -> Creditors {
        CreditorServiceClient::with_interceptor(self.channel.clone(), Auth(key.to_owned()))
    }
    pub fn debtors(&self, key: &str) -> Debtors {
        DebtorServiceClient::with_interceptor(self.channel.clone(), Auth(key.to_owned()))
    }
    pub fn api_keys(&self, key: &str) -> ApiKeys {
        ApiKeyServiceClient::with_interceptor(self.channel.clone(), Auth(key.to_owned()))
    }
    pub fn rates(&self, key: &str) -> Rates {
        RateServiceClient::with_interceptor(self.channel.clone(), Auth(key.to_owned()))
    }

    /// A key of the first tenant with the operator role, as `recouvre admin create-api-key
    /// --role operator` makes (no API call can mint one).
    pub async fn operator(&self) -> String {
        self.key(self.tenant, Role::Operator).await
    }

    /// Creates a valid creditor with `admin`.
    pub async fn creditor(&self, admin: &str) -> pb::Creditor {
        self.creditors(admin)
            .create_creditor(pb::CreateCreditorRequest {
                request_id: new_request_id(),
                creditor: Some(sample_creditor()),
            })
            .await
            .expect("create creditor")
            .into_inner()
    }

    /// Creates a valid business debtor with `key`.
    pub async fn debtor(&self, key: &str) -> pb::Debtor {
        self.debtors(key)
            .create_debtor(pb::CreateDebtorRequest {
                request_id: new_request_id(),
                debtor: Some(sample_business_debtor()),
            })
            .await
            .expect("create debtor")
            .into_inner()
    }

    /// A creditor, a debtor and a claim of one invoice of `amount` EUR, made with the first
    /// tenant's keys.
    pub async fn claim(&self, amount: &str) -> pb::Claim {
        let creditor = self.creditor(&self.admin).await;
        let debtor = self.debtor(&self.agent).await;
        self.claims(&self.agent)
            .create_claim(pb::CreateClaimRequest {
                request_id: new_request_id(),
                claim: Some(sample_claim(
                    &creditor.id,
                    &debtor.id,
                    &new_request_id(),
                    &[amount],
                )),
            })
            .await
            .expect("create claim")
            .into_inner()
    }
}

pub fn new_request_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

pub fn date(year: i32, month: i32, day: i32) -> pb::google::r#type::Date {
    pb::google::r#type::Date { year, month, day }
}

pub fn eur(amount: &str) -> pb::Money {
    pb::Money {
        currency_code: "EUR".into(),
        amount: amount.into(),
    }
}

pub fn paris_address() -> pb::PostalAddress {
    pb::PostalAddress {
        address_lines: vec!["12 rue de la Paix".into()],
        postal_code: "75002".into(),
        locality: "Paris".into(),
        region_code: "FR".into(),
    }
}

pub fn sample_creditor() -> pb::Creditor {
    pb::Creditor {
        legal_name: "ACME Fournitures SAS".into(),
        legal_form: "SAS".into(),
        siren: "552100554".into(),
        siret: "55210055400013".into(),
        vat_number: "FR96552100554".into(),
        address: Some(paris_address()),
        iban: "FR7630006000011234567890189".into(),
        bic: "AGRIFRPP".into(),
        contact_email: "recouvrement@acme.fr".into(),
        contact_phone: "+33 1 23 45 67 89".into(),
        ..Default::default()
    }
}

pub fn sample_business_debtor() -> pb::Debtor {
    pb::Debtor {
        kind: pb::DebtorKind::Business as i32,
        legal_name: "Dupont Bâtiment SARL".into(),
        siren: "732829320".into(),
        addresses: vec![pb::PostalAddress {
            address_lines: vec!["2 avenue Foch".into()],
            postal_code: "69006".into(),
            locality: "Lyon".into(),
            region_code: "FR".into(),
        }],
        emails: vec!["compta@dupont-batiment.fr".into()],
        phones: vec!["04 72 00 00 00".into()],
        language_code: "fr".into(),
        ..Default::default()
    }
}

pub fn sample_consumer_debtor() -> pb::Debtor {
    pb::Debtor {
        kind: pb::DebtorKind::Consumer as i32,
        given_name: "Marie".into(),
        family_name: "Martin".into(),
        addresses: vec![paris_address()],
        ..Default::default()
    }
}

/// A claim with one invoice per amount, issued 2026-11-02, due 2026-12-16: not yet due while
/// the tests run (the clock starts on 2026-11-20), so no interest or indemnity accrues and
/// what is owed is principal minus payments. Interest is tested with its own claims.
pub fn sample_claim(
    creditor_id: &str,
    debtor_id: &str,
    reference: &str,
    amounts: &[&str],
) -> pb::Claim {
    pb::Claim {
        creditor_id: creditor_id.into(),
        debtor_id: debtor_id.into(),
        external_reference: reference.into(),
        currency_code: "EUR".into(),
        invoices: amounts
            .iter()
            .enumerate()
            .map(|(i, a)| pb::Invoice {
                number: format!("F-2026-{i:04}"),
                issue_date: Some(date(2026, 11, 2)),
                service_completion_date: Some(date(2026, 11, 1)),
                due_date: Some(date(2026, 12, 16)),
                amount: Some(eur(a)),
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    }
}

/// The `ErrorInfo` reason of a status.
pub fn reason(status: &Status) -> String {
    status
        .get_details_error_info()
        .map(|i| i.reason)
        .unwrap_or_default()
}

/// The fields named by a status's `BadRequest` violations.
pub fn bad_fields(status: &Status) -> Vec<String> {
    status
        .get_details_bad_request()
        .map(|b| b.field_violations.into_iter().map(|v| v.field).collect())
        .unwrap_or_default()
}

/// Asserts a call failed with `code` and `reason`.
#[track_caller]
pub fn assert_refused<T: std::fmt::Debug>(
    result: Result<T, Status>,
    code: Code,
    expected_reason: &str,
) -> Status {
    let status = result.expect_err("the call should have been refused");
    assert_eq!(status.code(), code, "code of {status:?}");
    assert_eq!(reason(&status), expected_reason, "reason of {status:?}");
    status
}

impl TestApp {
    /// Signals the server to shut down gracefully, as SIGTERM does: it stops accepting
    /// connections and drains the requests in flight.
    pub fn begin_shutdown(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

impl TestApp {
    /// A server speaking TLS (the harness's own channel is not connected: TLS tests make
    /// their own).
    pub async fn spawn_tls(config: ServerConfig) -> TlsApp {
        let started = start_server(config, Renderer::InProcess).await;
        let (addr, db, tx) = (started.addr, started.db, started.shutdown);
        TlsApp {
            addr,
            _db: db,
            shutdown: Some(tx),
        }
    }
}

/// A TLS server of [`TestApp::spawn_tls`].
pub struct TlsApp {
    pub addr: std::net::SocketAddr,
    _db: TestDatabase,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for TlsApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// A server running on a free port over a fresh database, with a manual clock.
struct Started {
    addr: std::net::SocketAddr,
    db: TestDatabase,
    clock: Arc<ManualClock>,
    shutdown: tokio::sync::oneshot::Sender<()>,
}

async fn start_server(config: ServerConfig, renderer: Renderer) -> Started {
    let db = TestDatabase::new().await;
    let clock = Arc::new(ManualClock(Mutex::new(start_time())));
    let pool = recouvre_store::build_pool(db.url(), 20, Duration::from_secs(10)).expect("pool");
    let app = App::new(pool, clock.clone()).with_renderer(renderer);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (shutdown, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        let _ = serve(app, config, listener, async {
            let _ = rx.await;
        })
        .await;
    });
    Started {
        addr,
        db,
        clock,
        shutdown,
    }
}
