//! `recouvre bench`: a bounded load test of a running server over loopback.
//!
//! It creates one creditor and a few debtors, then runs up to two phases, each bounded by both
//! a request count and a duration so that it always stops by itself:
//!
//! - `create`: `CreateClaim` with a fresh `request_id` and `external_reference`, 1 to 3 invoices;
//! - `get`: `GetClaim` over the claims just created (1,000 are created first when the phase
//!   runs alone).
//!
//! Each phase prints its successes, its errors by gRPC code, wall time, throughput and latency
//! percentiles, and a Markdown table row to paste into `BENCHMARKS.md`.
//!
//! Invariant: it only ever talks to a loopback address (127.0.0.0/8, `localhost`, `::1`); any
//! other host is refused before a connection is attempted.

use std::collections::BTreeMap;
use std::future::Future;
use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use anyhow::{Context, bail};
use chrono::{Datelike, NaiveDate};
use clap::{Args, ValueEnum};
use http::Uri;
use tokio::time::Instant;
use tonic::metadata::{AsciiMetadataValue, MetadataValue};
use tonic::service::Interceptor;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::{Channel, Endpoint};
use tonic::{Code, Request, Status};

use crate::api::pb;
use crate::api::pb::claim_service_client::ClaimServiceClient;
use crate::api::pb::creditor_service_client::CreditorServiceClient;
use crate::api::pb::debtor_service_client::DebtorServiceClient;

/// Options of `bench`.
#[derive(Debug, Clone, Args)]
pub struct BenchArgs {
    /// Server address (loopback only: 127.0.0.0/8, localhost or ::1).
    #[arg(long, default_value = "http://127.0.0.1:50051")]
    pub addr: String,
    /// API key of the `admin` role (the setup creates a creditor).
    #[arg(long, env = "RECOUVRE_API_KEY", hide_env_values = true)]
    pub api_key: String,
    /// Requests per phase (upper bound).
    #[arg(long, default_value_t = 20_000)]
    pub requests: usize,
    /// Duration cap per phase, in seconds.
    #[arg(long, default_value_t = 30)]
    pub duration_secs: u64,
    /// Requests in flight at once.
    #[arg(long, default_value_t = 64)]
    pub concurrency: usize,
    /// HTTP/2 connections the requests are spread over.
    #[arg(long, default_value_t = 4)]
    pub connections: usize,
    /// Which phase(s) to run.
    #[arg(long, value_enum, default_value_t = Phase::All)]
    pub phase: Phase,
}

/// A phase of the benchmark.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Phase {
    /// `CreateClaim` only.
    Create,
    /// `GetClaim` only (1,000 claims are created first, unmeasured).
    Get,
    /// `RecordPayment` only (1,000 claims are created first, unmeasured): the lifecycle path
    /// (row lock, transition, pipelined writes, request-id ledger).
    Pay,
    /// `create`, then `get` and `pay` over the claims it created.
    All,
}

/// Claims created before a `get` or `pay` phase that runs alone.
const SEED_CLAIMS: usize = 1_000;
/// Debtors the claims are spread over.
const DEBTORS: usize = 8;

/// Runs the benchmark.
pub async fn run(args: BenchArgs) -> anyhow::Result<()> {
    let uri = loopback_uri(&args.addr)?;
    if args.concurrency == 0 || args.connections == 0 || args.requests == 0 {
        bail!("--concurrency, --connections and --requests must be at least 1");
    }
    let auth = Auth::new(&args.api_key)?;
    let limits = Limits {
        requests: args.requests,
        duration: Duration::from_secs(args.duration_secs),
        concurrency: args.concurrency,
    };
    let mut channels = Vec::with_capacity(args.connections);
    for _ in 0..args.connections {
        // `connect_lazy` would hide a wrong address until the first request: connect now.
        let channel = Endpoint::from(uri.clone())
            .tcp_nodelay(true)
            .connect_timeout(Duration::from_secs(5))
            .connect()
            .await
            .with_context(|| format!("connecting to {uri}"))?;
        channels.push(channel);
    }
    let clients = Clients { channels, auth };

    println!(
        "recouvre bench: {uri}, phase {:?}, up to {} requests or {} s per phase, concurrency {}, {} connections",
        args.phase, limits.requests, args.duration_secs, limits.concurrency, args.connections,
    );
    let fixture = setup(&clients).await?;
    println!(
        "setup: creditor {}, {} debtors",
        fixture.creditor_id,
        fixture.debtor_ids.len()
    );

    let mut reports = Vec::new();
    let mut created = Vec::new();
    if matches!(args.phase, Phase::Create | Phase::All) {
        let (report, ids) = create_phase(&clients, &fixture, limits).await;
        report.print();
        reports.push(report);
        created = ids;
    }
    if matches!(args.phase, Phase::Get | Phase::Pay) && created.is_empty() {
        let seed = Limits {
            requests: SEED_CLAIMS,
            duration: Duration::from_secs(120),
            ..limits
        };
        let (report, ids) = create_phase(&clients, &fixture, seed).await;
        if report.errors() > 0 || ids.is_empty() {
            report.print();
            bail!("could not create the claims the phase works on");
        }
        println!("seeded {} claims (not measured)", ids.len());
        created = ids;
    }
    let created = Arc::new(created);
    if matches!(args.phase, Phase::Get | Phase::All) {
        let report = get_phase(&clients, created.clone(), limits).await;
        report.print();
        reports.push(report);
    }
    if matches!(args.phase, Phase::Pay | Phase::All) {
        let report = pay_phase(&clients, created, limits).await;
        report.print();
        reports.push(report);
    }

    println!();
    println!("Rows for BENCHMARKS.md:");
    println!("{}", Report::TABLE_HEADER);
    println!("{}", Report::TABLE_RULE);
    for report in &reports {
        println!("{}", report.table_row(args.connections));
    }
    let failed: Vec<&str> = reports
        .iter()
        .filter(|r| r.errors() > 0)
        .map(|r| r.phase)
        .collect();
    if !failed.is_empty() {
        bail!(
            "phase(s) {} had errors: their figures are not valid",
            failed.join(", ")
        );
    }
    Ok(())
}

/// Parses `addr` and refuses any host that is not loopback.
fn loopback_uri(addr: &str) -> anyhow::Result<Uri> {
    let uri: Uri = addr
        .parse()
        .with_context(|| format!("--addr {addr:?} is not a URI"))?;
    match uri.scheme_str() {
        Some("http" | "https") => {}
        _ => bail!("--addr {addr:?} must start with http:// or https://"),
    }
    let host = uri
        .host()
        .with_context(|| format!("--addr {addr:?} has no host"))?;
    if !is_loopback_host(host) {
        bail!(
            "--addr {addr:?}: refusing host {host:?}; the bench only talks to loopback (127.0.0.0/8, localhost, ::1)"
        );
    }
    Ok(uri)
}

/// True for `localhost`, 127.0.0.0/8 and `::1` (bracketed or not).
fn is_loopback_host(host: &str) -> bool {
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    let bare = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    match bare.parse::<IpAddr>() {
        Ok(IpAddr::V4(ip)) => ip.is_loopback(),
        Ok(IpAddr::V6(ip)) => ip.is_loopback(),
        Err(_) => false,
    }
}

/// Adds `authorization: Bearer <key>` to every call.
#[derive(Clone)]
struct Auth(AsciiMetadataValue);

impl Auth {
    fn new(key: &str) -> anyhow::Result<Self> {
        let key = key.trim();
        if key.is_empty() {
            bail!("--api-key (or RECOUVRE_API_KEY) is required: an admin key");
        }
        let value: AsciiMetadataValue = MetadataValue::try_from(format!("Bearer {key}"))
            .context("the API key is not printable ASCII")?;
        Ok(Auth(value))
    }
}

impl Interceptor for Auth {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        request
            .metadata_mut()
            .insert("authorization", self.0.clone());
        Ok(request)
    }
}

type Claims = ClaimServiceClient<InterceptedService<Channel, Auth>>;

/// The connections, and the key every call carries.
struct Clients {
    channels: Vec<Channel>,
    auth: Auth,
}

impl Clients {
    /// A claim client on connection `i` (modulo the number of connections).
    fn claims(&self, i: usize) -> Claims {
        let channel = self.channels[i % self.channels.len()].clone();
        ClaimServiceClient::with_interceptor(channel, self.auth.clone())
    }
}

/// What the setup created.
struct Fixture {
    /// Tells this run's external references from earlier runs' on the same database.
    run: String,
    creditor_id: String,
    debtor_ids: Vec<String>,
    /// Invoice dates, in the past relative to today.
    issue: pb::google::r#type::Date,
    completion: pb::google::r#type::Date,
    due: pb::google::r#type::Date,
}

fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

fn pb_date(d: NaiveDate) -> pb::google::r#type::Date {
    pb::google::r#type::Date {
        year: d.year(),
        month: d.month() as i32,
        day: d.day() as i32,
    }
}

/// Creates the creditor and debtors the claims belong to.
async fn setup(clients: &Clients) -> anyhow::Result<Fixture> {
    let channel = clients.channels[0].clone();
    let mut creditors =
        CreditorServiceClient::with_interceptor(channel.clone(), clients.auth.clone());
    let mut debtors = DebtorServiceClient::with_interceptor(channel, clients.auth.clone());
    let creditor = creditors
        .create_creditor(pb::CreateCreditorRequest {
            request_id: new_id(),
            creditor: Some(sample_creditor()),
        })
        .await
        .map_err(|s| status_error("CreateCreditor (is the key an admin key?)", &s))?
        .into_inner();
    let mut debtor_ids = Vec::with_capacity(DEBTORS);
    for _ in 0..DEBTORS {
        let debtor = debtors
            .create_debtor(pb::CreateDebtorRequest {
                request_id: new_id(),
                debtor: Some(sample_debtor()),
            })
            .await
            .map_err(|s| status_error("CreateDebtor", &s))?
            .into_inner();
        debtor_ids.push(debtor.id);
    }
    let today = chrono::Utc::now().date_naive();
    Ok(Fixture {
        run: new_id(),
        creditor_id: creditor.id,
        debtor_ids,
        issue: pb_date(today - chrono::Days::new(60)),
        completion: pb_date(today - chrono::Days::new(61)),
        due: pb_date(today - chrono::Days::new(30)),
    })
}

fn status_error(what: &str, s: &Status) -> anyhow::Error {
    anyhow::anyhow!("{what} failed: {:?}: {}", s.code(), s.message())
}

fn paris_address() -> pb::PostalAddress {
    pb::PostalAddress {
        address_lines: vec!["12 rue de la Paix".into()],
        postal_code: "75002".into(),
        locality: "Paris".into(),
        region_code: "FR".into(),
    }
}

fn sample_creditor() -> pb::Creditor {
    pb::Creditor {
        legal_name: "Banc d'essai SAS".into(),
        legal_form: "SAS".into(),
        siren: "552100554".into(),
        siret: "55210055400013".into(),
        vat_number: "FR96552100554".into(),
        address: Some(paris_address()),
        iban: "FR7630006000011234567890189".into(),
        bic: "AGRIFRPP".into(),
        contact_email: "recouvrement@example.fr".into(),
        contact_phone: "+33 1 23 45 67 89".into(),
        ..Default::default()
    }
}

fn sample_debtor() -> pb::Debtor {
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
        emails: vec!["compta@example.fr".into()],
        phones: vec!["04 72 00 00 00".into()],
        language_code: "fr".into(),
        ..Default::default()
    }
}

impl Fixture {
    /// The `i`-th claim of this run: 1 to 3 invoices, a unique reference.
    fn claim(&self, i: usize) -> pb::Claim {
        let invoices = (0..1 + i % 3)
            .map(|n| pb::Invoice {
                number: format!("F-{i:07}-{n}"),
                issue_date: Some(self.issue),
                service_completion_date: Some(self.completion),
                due_date: Some(self.due),
                amount: Some(pb::Money {
                    currency_code: "EUR".into(),
                    amount: format!("{}.{:02}", 100 + (i * 37 + n * 11) % 9_900, i % 100),
                }),
                ..Default::default()
            })
            .collect();
        pb::Claim {
            creditor_id: self.creditor_id.clone(),
            debtor_id: self.debtor_ids[i % self.debtor_ids.len()].clone(),
            external_reference: format!("bench-{}-{i}", self.run),
            currency_code: "EUR".into(),
            invoices,
            ..Default::default()
        }
    }
}

/// How much load a phase sends.
#[derive(Debug, Clone, Copy)]
struct Limits {
    requests: usize,
    duration: Duration,
    concurrency: usize,
}

/// What one worker saw.
struct Tally<T> {
    latencies: Vec<Duration>,
    /// Per gRPC code: count and the first message seen.
    errors: BTreeMap<i32, (usize, String)>,
    /// Requests still in flight when the duration cap hit; neither success nor error.
    cut_off: usize,
    outputs: Vec<T>,
}

/// Runs `call(i)` for i = 0, 1, … with `limits.concurrency` workers until `limits.requests`
/// calls have started or `limits.duration` has passed. A call in flight at the deadline is
/// abandoned and counted as cut off.
async fn drive<T, F, Fut>(phase: &'static str, limits: Limits, call: F) -> (Report, Vec<T>)
where
    T: Send + 'static,
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<T, Status>> + Send,
{
    let next = Arc::new(AtomicUsize::new(0));
    let call = Arc::new(call);
    let start = Instant::now();
    let deadline = start + limits.duration;
    let mut workers = Vec::with_capacity(limits.concurrency);
    for _ in 0..limits.concurrency {
        let next = next.clone();
        let call = call.clone();
        workers.push(tokio::spawn(async move {
            let mut tally = Tally::<T> {
                latencies: Vec::new(),
                errors: BTreeMap::new(),
                cut_off: 0,
                outputs: Vec::new(),
            };
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= limits.requests || Instant::now() >= deadline {
                    break;
                }
                let sent = Instant::now();
                match tokio::time::timeout_at(deadline, call(i)).await {
                    Ok(Ok(out)) => {
                        tally.latencies.push(sent.elapsed());
                        tally.outputs.push(out);
                    }
                    Ok(Err(status)) => {
                        let entry = tally
                            .errors
                            .entry(status.code() as i32)
                            .or_insert_with(|| (0, status.message().to_owned()));
                        entry.0 += 1;
                    }
                    Err(_elapsed) => {
                        tally.cut_off += 1;
                        break;
                    }
                }
            }
            tally
        }));
    }
    let mut latencies = Vec::new();
    let mut errors: BTreeMap<i32, (usize, String)> = BTreeMap::new();
    let mut cut_off = 0;
    let mut outputs = Vec::new();
    let mut panicked = 0;
    for worker in workers {
        match worker.await {
            Ok(tally) => {
                latencies.extend(tally.latencies);
                for (code, (n, message)) in tally.errors {
                    errors.entry(code).or_insert((0, message)).0 += n;
                }
                cut_off += tally.cut_off;
                outputs.extend(tally.outputs);
            }
            Err(_) => panicked += 1,
        }
    }
    let wall = start.elapsed();
    if panicked > 0 {
        errors
            .entry(Code::Internal as i32)
            .or_insert((0, "bench worker panicked".into()))
            .0 += panicked;
    }
    latencies.sort_unstable();
    let report = Report {
        phase,
        concurrency: limits.concurrency,
        wall,
        latencies,
        errors,
        cut_off,
        hit_deadline: wall >= limits.duration,
    };
    (report, outputs)
}

/// CreateClaim phase: returns its report and the ids of the claims created.
async fn create_phase(
    clients: &Clients,
    fixture: &Fixture,
    limits: Limits,
) -> (Report, Vec<String>) {
    // Each request is built before the clock starts for it: only the RPC is timed.
    let requests: Arc<Vec<pb::CreateClaimRequest>> = Arc::new(
        (0..limits.requests)
            .map(|i| pb::CreateClaimRequest {
                request_id: new_id(),
                claim: Some(fixture.claim(i)),
            })
            .collect(),
    );
    let pool: Arc<Vec<Claims>> = Arc::new(
        (0..limits.concurrency.max(clients.channels.len()))
            .map(|i| clients.claims(i))
            .collect(),
    );
    drive("create", limits, move |i| {
        let mut client = pool[i % pool.len()].clone();
        let request = requests[i].clone();
        async move {
            let claim = client.create_claim(request).await?.into_inner();
            Ok(claim.id)
        }
    })
    .await
}

/// GetClaim phase over `ids`.
async fn get_phase(clients: &Clients, ids: Arc<Vec<String>>, limits: Limits) -> Report {
    let pool: Arc<Vec<Claims>> = Arc::new(
        (0..limits.concurrency.max(clients.channels.len()))
            .map(|i| clients.claims(i))
            .collect(),
    );
    let (report, _) = drive("get", limits, move |i| {
        let mut client = pool[i % pool.len()].clone();
        let id = ids[i % ids.len()].clone();
        async move {
            client.get_claim(pb::GetClaimRequest { id }).await?;
            Ok(())
        }
    })
    .await;
    report
}

/// RecordPayment phase: 0.01 EUR payments spread over `ids` (each claim owes at least 100.00,
/// so no payment is refused as an overpayment), valued yesterday so that no time zone makes
/// the value date "in the future".
async fn pay_phase(clients: &Clients, ids: Arc<Vec<String>>, limits: Limits) -> Report {
    let yesterday = chrono::Utc::now().date_naive() - chrono::Days::new(1);
    let value_date = pb::google::r#type::Date {
        year: yesterday.year(),
        month: yesterday.month() as i32,
        day: yesterday.day() as i32,
    };
    let pool: Arc<Vec<Claims>> = Arc::new(
        (0..limits.concurrency.max(clients.channels.len()))
            .map(|i| clients.claims(i))
            .collect(),
    );
    let (report, _) = drive("pay", limits, move |i| {
        let mut client = pool[i % pool.len()].clone();
        let request = pb::RecordPaymentRequest {
            request_id: new_id(),
            claim_id: ids[i % ids.len()].clone(),
            etag: String::new(),
            amount: Some(pb::Money {
                currency_code: "EUR".into(),
                amount: "0.01".into(),
            }),
            value_date: Some(value_date),
            method: pb::PaymentMethod::BankTransfer as i32,
            reference: format!("bench {i}"),
            invoice_number: String::new(),
        };
        async move {
            client.record_payment(request).await?;
            Ok(())
        }
    })
    .await;
    report
}

/// The figures of one phase.
struct Report {
    phase: &'static str,
    concurrency: usize,
    wall: Duration,
    /// Latencies of the successful requests, sorted.
    latencies: Vec<Duration>,
    errors: BTreeMap<i32, (usize, String)>,
    cut_off: usize,
    hit_deadline: bool,
}

impl Report {
    const TABLE_HEADER: &'static str = "| phase | concurrency | connections | ok | errors | wall (s) | req/s | p50 (ms) | p90 (ms) | p99 (ms) | max (ms) |";
    const TABLE_RULE: &'static str = "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|";

    fn ok(&self) -> usize {
        self.latencies.len()
    }

    fn errors(&self) -> usize {
        self.errors.values().map(|(n, _)| n).sum()
    }

    fn throughput(&self) -> f64 {
        self.ok() as f64 / self.wall.as_secs_f64().max(f64::EPSILON)
    }

    /// The nearest-rank percentile `p` (0–100) of the latencies, in milliseconds.
    fn percentile_ms(&self, p: f64) -> f64 {
        percentile(&self.latencies, p).as_secs_f64() * 1_000.0
    }

    fn print(&self) {
        println!();
        println!("== {} (concurrency {}) ==", self.phase, self.concurrency);
        println!(
            "requests ok: {}   errors: {}   cut off at the deadline: {}",
            self.ok(),
            self.errors(),
            self.cut_off
        );
        println!(
            "wall time: {:.2} s{}   throughput: {:.0} req/s",
            self.wall.as_secs_f64(),
            if self.hit_deadline {
                " (duration cap reached)"
            } else {
                ""
            },
            self.throughput()
        );
        println!(
            "latency ms: p50 {:.2}   p90 {:.2}   p99 {:.2}   max {:.2}",
            self.percentile_ms(50.0),
            self.percentile_ms(90.0),
            self.percentile_ms(99.0),
            self.percentile_ms(100.0)
        );
        if !self.errors.is_empty() {
            eprintln!();
            eprintln!(
                "!!! {} phase: {} ERRORS — its figures are NOT valid !!!",
                self.phase,
                self.errors()
            );
            for (code, (n, message)) in &self.errors {
                eprintln!("!!!   {:?}: {n} (first: {message})", Code::from(*code));
            }
        }
    }

    fn table_row(&self, connections: usize) -> String {
        let errors = if self.errors.is_empty() {
            "0".to_owned()
        } else {
            self.errors
                .iter()
                .map(|(code, (n, _))| format!("{n} {:?}", Code::from(*code)))
                .collect::<Vec<_>>()
                .join(", ")
        };
        format!(
            "| {} | {} | {} | {} | {} | {:.2} | {:.0} | {:.2} | {:.2} | {:.2} | {:.2} |",
            self.phase,
            self.concurrency,
            connections,
            self.ok(),
            errors,
            self.wall.as_secs_f64(),
            self.throughput(),
            self.percentile_ms(50.0),
            self.percentile_ms(90.0),
            self.percentile_ms(99.0),
            self.percentile_ms(100.0),
        )
    }
}

/// Nearest-rank percentile of sorted `values`; zero when empty.
fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_hosts_are_accepted() {
        for ok in [
            "http://127.0.0.1:50051",
            "http://127.1.2.3:1",
            "http://localhost:50051",
            "https://LOCALHOST",
            "http://[::1]:50051",
        ] {
            assert!(loopback_uri(ok).is_ok(), "{ok} should be accepted");
        }
        for refused in [
            "http://10.0.0.1:50051",
            "http://0.0.0.0:50051",
            "http://example.com",
            "http://localhost.example.com",
            "http://[::2]:50051",
            "http://[::ffff:127.0.0.1]:1",
            "127.0.0.1:50051",
            "ftp://127.0.0.1",
        ] {
            assert!(
                loopback_uri(refused).is_err(),
                "{refused} should be refused"
            );
        }
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        let v: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(percentile(&v, 50.0), Duration::from_millis(50));
        assert_eq!(percentile(&v, 99.0), Duration::from_millis(99));
        assert_eq!(percentile(&v, 100.0), Duration::from_millis(100));
        assert_eq!(percentile(&v, 0.0), Duration::from_millis(1));
        assert_eq!(percentile(&[], 50.0), Duration::ZERO);
    }
}
