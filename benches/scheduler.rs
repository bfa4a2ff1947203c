//! Scheduler throughput: a pass over 100,000 claims of which 10,000 are due, on a fresh
//! database (a private PostgreSQL is started when none is reachable, as for the tests).
//!
//! Two cases, each on its own database:
//! - **without letters**: the due claims stand at the B2B policy's e-mail, phone-call and visit
//!   steps (a third each): e-mails rendered into the outbox, call tasks with their script, visit
//!   tasks;
//! - **with letters**: the due claims stand at warning letter 1 or 2: a PDF rendered, hashed
//!   and stored for each;
//! - **mixed** (`CASES=mixed`, not run by default): the due claims spread evenly over the first
//!   five steps of the B2B policy (e-mail, letter 1, call, letter 2, visit), as in a pass over
//!   a book of claims at every stage: two steps in five render a letter.
//!
//! The 90,000 claims not due are there so the pass must find the due ones by index. Claims are
//! seeded with SQL (one invoice each, no timeline: the pass continues a chain from the stored
//! head). The pass runs with `WORKERS` concurrent workers, as `serve` replicas would.
//!
//! `cargo bench --bench scheduler` (env: `CLAIMS`, `DUE`, `WORKERS`, `BATCH`, `CASES`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use recouvre::app::{App, Clock};
use recouvre_test_db::TestDatabase;

/// Which policy steps the due claims stand at.
#[derive(Clone, Copy)]
enum Mix {
    /// E-mail, phone call, visit.
    NoLetters,
    /// Warning letters 1 and 2.
    Letters,
    /// The first five steps of the B2B policy in equal shares.
    AllSteps,
}

/// The allocator the server runs with (`src/main.rs`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

struct FixedClock(chrono::DateTime<Utc>);

impl Clock for FixedClock {
    fn now(&self) -> chrono::DateTime<Utc> {
        self.0
    }
}

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

async fn seed(url: &str, claims: usize, due: usize, mix: Mix) {
    let mut conn = AsyncPgConnection::establish(url).await.expect("connect");
    let tenant = uuid::Uuid::now_v7();
    let creditor = uuid::Uuid::now_v7();
    // Steps of the B2B default: 0 e-mail, 1 letter 1, 2 call, 3 letter 2, 4 visit.
    let step = match mix {
        Mix::Letters => "CASE WHEN g % 2 = 0 THEN 1 ELSE 3 END",
        Mix::NoLetters => "CASE g % 3 WHEN 0 THEN 0 WHEN 1 THEN 2 ELSE 4 END",
        Mix::AllSteps => "g % 5",
    };
    let sql = format!(
        r#"
        INSERT INTO ecb_rates (effective_date, rate, source) VALUES ('2026-07-01', 2.15, 'bench')
            ON CONFLICT DO NOTHING;
        INSERT INTO legal_interest_rates (year, half, individual_rate, other_rate, source)
            VALUES (2026, 2, 6.5, 2.5, 'bench') ON CONFLICT DO NOTHING;
        INSERT INTO tenants (id, name, kind, created_at) VALUES ('{tenant}', 'bench', 'creditor', now());
        INSERT INTO creditors (id, tenant_id, legal_name, legal_form, siren, siret, vat_number,
            address, iban, bic, contact_email, contact_phone, agency_client, version, created_at,
            updated_at, natural_person, end_of_month_method)
        VALUES ('{creditor}', '{tenant}', 'ACME Fournitures SAS', 'SAS', '552100554',
            '55210055400013', 'FR96552100554',
            '{{"lines": ["12 rue de la Paix"], "postal_code": "75002", "city": "Paris", "country": "FR"}}',
            'FR7630006000011234567890189', 'AGRIFRPP', 'recouvrement@acme.fr', '+33 1 23 45 67 89',
            false, 1, now(), now(), false, 'add_then_end_of_month');
        CREATE TEMP TABLE bench_debtors AS
            SELECT gen_random_uuid() AS id, d FROM generate_series(0, 999) d;
        INSERT INTO debtors (id, tenant_id, kind, legal_name, siren, addresses, emails, phones,
            preferred_language, version, created_at, updated_at)
        SELECT id, '{tenant}', 'business',
            (ARRAY['Boulangerie', 'Garage', 'Menuiserie', 'Pharmacie', 'Transports',
                   'Imprimerie', 'Bistrot', 'Atelier'])[d % 8 + 1] || ' '
                || (ARRAY['Martin', 'Bernard', 'Dubois', 'Thomas', 'Robert', 'Richard', 'Petit',
                          'Durand', 'Leroy', 'Moreau', 'Lefèvre'])[d % 11 + 1] || ' ' || d,
            '732829320',
            jsonb_build_array(jsonb_build_object(
                'lines', jsonb_build_array((d % 180 + 1) || ' '
                    || (ARRAY['avenue Foch', 'rue de la République', 'boulevard Voltaire',
                              'place Bellecour', 'rue Nationale', 'quai Saint-Vincent',
                              'chemin des Vignes'])[d % 7 + 1]),
                'postal_code', lpad(((d * 37) % 95 + 1)::text, 2, '0') || '0' || (d % 10) || '0',
                'city', (ARRAY['Lyon', 'Marseille', 'Lille', 'Nantes', 'Rennes', 'Dijon', 'Tours',
                               'Annecy', 'Brest'])[d % 9 + 1],
                'country', 'FR')),
            jsonb_build_array('compta' || d || '@example.fr'),
            jsonb_build_array('04 72 ' || lpad((d % 100)::text, 2, '0') || ' 00 00'),
            'fr', 1, now(), now()
        FROM bench_debtors;
        "#
    );
    conn.batch_execute(&sql).await.expect("seed parties");
    let now = "'2026-11-23 09:00:00+00'";
    let sql = format!(
        r#"
        SELECT 1;
        INSERT INTO claims (id, tenant_id, creditor_id, debtor_id, external_reference, currency,
            state, principal_total, paid_total, next_action_at, version, head_hash, created_at,
            updated_at, interest_regime, legal_facts, next_step, last_step_on, planned_action_at,
            limitation_deadline)
        SELECT gen_random_uuid(), '{tenant}', '{creditor}', bd.id, 'B-' || g, 'EUR', 'amicable',
            round(100 + (g * 7919) % 900000 / 100.0, 2), 0,
            CASE WHEN g < {due} THEN {now}::timestamptz - interval '1 hour'
                 ELSE {now}::timestamptz + interval '20 days' END,
            1, decode(repeat('00', 32), 'hex'), {now}, {now}, 'commercial', '{{}}', {step},
            '2026-11-10',
            CASE WHEN g < {due} THEN {now}::timestamptz - interval '1 hour'
                 ELSE {now}::timestamptz + interval '20 days' END,
            -- As CreateClaim sets it: five years from the service's completion (C. com. L110-4).
            '2031-10-01'
        FROM generate_series(0, {last}) g JOIN bench_debtors bd ON bd.d = g % 1000;
        INSERT INTO invoices (claim_id, position, tenant_id, number, issue_date,
            service_completion_date, due_date, amount)
        SELECT id, 0, tenant_id, 'F-' || external_reference, '2026-10-01', '2026-10-01',
            '2026-11-02', principal_total FROM claims WHERE tenant_id = '{tenant}';
        "#,
        last = claims - 1,
    );
    conn.batch_execute(&sql).await.expect("seed claims");
    // A table that has just taken 100,000 rows gets vacuumed by autovacuum soon after; done
    // here, it does not run during the measured pass (a steady-state database, not a freshly
    // loaded one).
    conn.batch_execute("VACUUM ANALYZE")
        .await
        .expect("vacuum the seed");
}

/// User plus system CPU time of `/proc/<pid>` (Linux; zero elsewhere); with `children`, plus
/// that of the children it has waited for.
fn process_cpu(pid: &str, children: bool) -> Duration {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return Duration::ZERO;
    };
    // Fields after the command name, which is in parentheses and may hold spaces.
    let Some((_, rest)) = stat.rsplit_once(')') else {
        return Duration::ZERO;
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime, stime, cutime and cstime are the 14th to 17th fields, in clock ticks (100 Hz).
    let ticks: u64 = fields
        .get(11..if children { 15 } else { 13 })
        .map(|f| f.iter().filter_map(|v| v.parse::<u64>().ok()).sum())
        .unwrap_or(0);
    Duration::from_millis(ticks * 10)
}

/// CPU time of the processes named `postgres`: the running ones, and through the postmaster's
/// count of its exited children, those that ended (an autovacuum worker, say).
fn postgres_cpu() -> Duration {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Duration::ZERO;
    };
    entries
        .filter_map(Result::ok)
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .bytes()
                .all(|b| b.is_ascii_digit())
        })
        .filter(|e| {
            std::fs::read_to_string(e.path().join("comm")).is_ok_and(|c| c.trim() == "postgres")
        })
        .map(|e| process_cpu(&e.file_name().to_string_lossy(), true))
        .sum()
}

/// Updates of `claims` rows since the database was created, and how many were heap-only.
async fn claim_updates(url: &str) -> (i64, i64) {
    use diesel::sql_types::BigInt;
    #[derive(diesel::QueryableByName)]
    struct Counts {
        #[diesel(sql_type = BigInt)]
        updates: i64,
        #[diesel(sql_type = BigInt)]
        hot: i64,
    }
    let mut conn = AsyncPgConnection::establish(url).await.expect("connect");
    let counts: Counts = diesel::sql_query(
        "SELECT n_tup_upd AS updates, n_tup_hot_upd AS hot FROM pg_stat_user_tables \
         WHERE relname = 'claims'",
    )
    .get_result(&mut conn)
    .await
    .expect("claims statistics");
    (counts.updates, counts.hot)
}

async fn case(name: &str, claims: usize, due: usize, workers: usize, batch: i64, mix: Mix) {
    let db = TestDatabase::new().await;
    let started = Instant::now();
    seed(db.url(), claims, due, mix).await;
    let seeded = started.elapsed();
    let at = Utc
        .with_ymd_and_hms(2026, 11, 23, 9, 0, 0)
        .single()
        .expect("time");
    let pool =
        recouvre_store::build_pool(db.url(), workers + 2, Duration::from_secs(30)).expect("pool");
    let app = App::new(pool, Arc::new(FixedClock(at)));
    let cpu_before = (process_cpu("self", false), postgres_cpu());
    let started = Instant::now();
    let reports = futures::future::join_all((0..workers).map(|_| {
        let app = app.clone();
        async move { app.run_due_actions(at, batch).await.expect("pass") }
    }))
    .await;
    let elapsed = started.elapsed();
    let cpu_after = (process_cpu("self", false), postgres_cpu());
    let performed: u64 = reports.iter().map(|r| r.performed).sum();
    let blocked: u64 = reports.iter().map(|r| r.blocked).sum();
    let documents: u64 = reports.iter().map(|r| r.documents).sum();
    let tasks: u64 = reports.iter().map(|r| r.tasks).sum();
    let messages: u64 = reports.iter().map(|r| r.messages).sum();
    assert_eq!(
        performed as usize, due,
        "every due step performed: {reports:?}"
    );
    assert_eq!(blocked, 0, "{reports:?}");
    let rate = performed as f64 / elapsed.as_secs_f64();
    // CPU time per step is steadier than the rate on a shared machine: the pass's own, and
    // PostgreSQL's (every process named postgres: backends, writers, checkpointer).
    let per_step = |before: Duration, after: Duration| {
        after.saturating_sub(before).as_secs_f64() * 1e6 / performed.max(1) as f64
    };
    println!(
        "CPU per step: {:.0} µs in the pass, {:.0} µs in PostgreSQL",
        per_step(cpu_before.0, cpu_after.0),
        per_step(cpu_before.1, cpu_after.1)
    );
    // Closing the pool ends its backends, which report their table statistics as they exit.
    drop(app);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (updates, hot) = claim_updates(db.url()).await;
    println!("claims rows updated: {updates}, of which heap-only (HOT): {hot}");
    println!(
        "{name}: {claims} claims, {due} due, {workers} workers, batch {batch}: {performed} steps in {:.2} s = {rate:.0} due actions/s ({documents} letters, {tasks} tasks, {messages} messages; seeded in {:.1} s)",
        elapsed.as_secs_f64(),
        seeded.as_secs_f64()
    );
    println!(
        "| {name} | {claims} | {due} | {workers} | {batch} | {:.2} s | {rate:.0} |",
        elapsed.as_secs_f64()
    );
}

fn main() {
    let claims = env("CLAIMS", 100_000);
    let due = env("DUE", 10_000);
    let workers = env("WORKERS", 4);
    let batch = env("BATCH", 200) as i64;
    let cases = std::env::var("CASES").unwrap_or_else(|_| "plain,letters".into());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        for c in cases.split(',') {
            match c.trim() {
                "plain" => {
                    case(
                        "without letters",
                        claims,
                        due,
                        workers,
                        batch,
                        Mix::NoLetters,
                    )
                    .await
                }
                "letters" => case("with letters", claims, due, workers, batch, Mix::Letters).await,
                "mixed" => case("mixed steps", claims, due, workers, batch, Mix::AllSteps).await,
                other => eprintln!("unknown case {other}"),
            }
        }
    });
}
