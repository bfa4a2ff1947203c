//! The `recouvre` binary: `serve`, `migrate`, `admin …`, `bench`.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use diesel_async::{AsyncConnection, AsyncPgConnection};
use recouvre::app::{App, SystemClock, create_api_key, now_facts};
use recouvre::config::{AdminCommand, Cli, Command, LogFormat, ServeArgs, SetRateCommand};
use recouvre::database;
use recouvre::server::{ServerConfig, bind, serve, shutdown_signal};
use recouvre_domain::claim::FieldViolation;
use recouvre_domain::rates::{EcbRate, LegalRate, Semester};
use recouvre_domain::{Role, TenantId, TenantKind};
use recouvre_store::access::{Tenant, insert_tenant, list_tenants};
use tracing_subscriber::EnvFilter;

/// mimalloc rather than the system allocator: rendering a letter allocates a great deal, on
/// several threads at once (BENCHMARKS.md, scheduler).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn init_tracing(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    init_tracing(cli.log_format);
    match cli.command {
        Command::Serve(args) => run_serve(args).await,
        Command::Migrate(db) => {
            let db = database::open(&db).await?;
            println!("Migrations applied.");
            drop(db);
            Ok(())
        }
        Command::Admin { command } => run_admin(command).await,
        Command::Bench(args) => recouvre::bench::run(args).await,
        Command::RenderSample(args) => render_sample(args),
        Command::Docgen(args) => {
            let listener = bind(args.listen)
                .await
                .with_context(|| format!("binding {}", args.listen))?;
            tracing::info!(address = %listener.local_addr()?, "serving the document renderer");
            recouvre::server::serve_docgen(listener, shutdown_signal()).await
        }
    }
}

async fn run_serve(args: ServeArgs) -> anyhow::Result<()> {
    let mut db = database::open(&args.db).await?;
    if let Some(token) = database::bootstrap(&db.url).await? {
        println!("Created the default tenant. Its admin API key (shown once, keep it):");
        println!();
        println!("    {token}");
        println!();
    }
    let cores = std::thread::available_parallelism().map_or(2, usize::from);
    let pool_size = args.db_pool_size.unwrap_or(2 * cores + 2);
    let pool = recouvre_store::build_pool(&db.url, pool_size, Duration::from_secs(5))?;
    let mut app = App::new(pool, Arc::new(SystemClock))
        .with_limitation_watch_days(args.limitation_watch_days);
    if let Some(addr) = &args.docgen_addr {
        app = app.with_renderer(
            recouvre::app::renderer::Renderer::sidecar(addr)
                .with_context(|| format!("--docgen-addr {addr}"))?,
        );
        tracing::info!(%addr, "documents are typeset by the docgen sidecar");
    }
    let listener = bind(args.listen)
        .await
        .with_context(|| format!("binding {}", args.listen))?;
    let config = ServerConfig {
        max_message_bytes: args.max_message_bytes,
        max_concurrent_requests: args.max_concurrent_requests,
        request_timeout: Duration::from_secs(args.request_timeout_secs),
        tls: args.tls_cert.zip(args.tls_key),
        drain_timeout: Duration::from_secs(args.drain_timeout_secs),
        ..ServerConfig::default()
    };
    if args.scheduler_interval_secs > 0 {
        tokio::spawn(recouvre::app::automation::run_scheduler(
            app.clone(),
            Duration::from_secs(args.scheduler_interval_secs),
            args.scheduler_batch,
        ));
    }
    tracing::info!(address = %listener.local_addr()?, tls = config.tls.is_some(), "serving gRPC");
    let result = serve(app, config, listener, shutdown_signal()).await;
    if let Some(mut cluster) = db.cluster.take() {
        tracing::info!("stopping the private PostgreSQL");
        tokio::task::spawn_blocking(move || cluster.stop()).await??;
    }
    result
}

/// `recouvre render-sample`: renders built-in sample data, no database involved.
fn render_sample(args: recouvre::config::RenderSampleArgs) -> anyhow::Result<()> {
    use recouvre_docs::{DocumentKind, Language};
    let kind: DocumentKind = args.kind.parse().map_err(|_| {
        anyhow::anyhow!(
            "--kind must be one of warning_letter_1, warning_letter_2, agency_first_letter, \
             formal_notice, bailiff_dossier, email_reminder, sms_reminder, call_script"
        )
    })?;
    let language: Language = args
        .language
        .parse()
        .map_err(|_| anyhow::anyhow!("--language must be fr or en"))?;
    let data = recouvre_docs::sample(kind, language);
    let template = args
        .template
        .as_ref()
        .map(std::fs::read_to_string)
        .transpose()
        .context("reading --template")?;
    let bytes = if kind.is_pdf() {
        let pdf = match &template {
            Some(source) => recouvre_docs::render_pdf_with_template(source, kind, language, &data),
            None => recouvre_docs::render_pdf(kind, language, &data),
        }
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        eprintln!(
            "{}: {} page(s), {} bytes, sha256 {}, template {}",
            kind.as_str(),
            pdf.pages,
            pdf.bytes.len(),
            pdf.sha256_hex,
            pdf.template_version
        );
        pdf.bytes
    } else {
        let text = match &template {
            Some(source) => {
                recouvre_docs::render_text_with_template(kind, language, &data, None, source)
            }
            None => recouvre_docs::render_text(kind, language, &data),
        }
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        match text.subject {
            Some(subject) => format!("Subject: {subject}\n\n{}", text.body),
            None => text.body,
        }
        .into_bytes()
    };
    if args.out.as_os_str() == "-" {
        use std::io::Write;
        std::io::stdout().write_all(&bytes)?;
    } else {
        std::fs::write(&args.out, &bytes)
            .with_context(|| format!("writing {}", args.out.display()))?;
    }
    Ok(())
}

/// Refuses a rate row with every problem found, one line each.
fn refuse_violations(violations: Vec<FieldViolation>) -> anyhow::Result<()> {
    if violations.is_empty() {
        return Ok(());
    }
    let lines: Vec<String> = violations
        .iter()
        .map(|v| {
            // The RPC's field names, as this command's flags.
            let flag = match v.field.as_str() {
                "rate.individual_rate" => "individual",
                "rate.other_rate" => "other",
                other => other.trim_start_matches("rate."),
            };
            format!("  --{flag}: {}", v.description)
        })
        .collect();
    anyhow::bail!("the rate was not stored:\n{}", lines.join("\n"))
}

async fn run_admin(command: AdminCommand) -> anyhow::Result<()> {
    let now = now_facts(chrono::Utc::now());
    match command {
        AdminCommand::CreateTenant { name, kind, db } => {
            let kind = TenantKind::parse(&kind).context("--kind must be creditor or agency")?;
            let db = database::open(&db).await?;
            let mut conn = AsyncPgConnection::establish(&db.url).await?;
            let tenant = Tenant {
                id: TenantId::new_at(now.at),
                name,
                kind,
                created_at: now.at,
            };
            insert_tenant(&mut conn, &tenant).await?;
            println!("{}", tenant.id);
        }
        AdminCommand::CreateApiKey {
            tenant,
            role,
            label,
            db,
        } => {
            let role =
                Role::parse(&role).context("--role must be legal, agent, admin or operator")?;
            let db = database::open(&db).await?;
            let mut conn = AsyncPgConnection::establish(&db.url).await?;
            let tenant = match tenant {
                Some(id) => TenantId::parse(&id).context("--tenant is not a tenant id")?,
                None => {
                    let tenants = list_tenants(&mut conn).await?;
                    match tenants.as_slice() {
                        [only] => only.id,
                        [] => anyhow::bail!(
                            "there is no tenant yet: run `recouvre admin create-tenant` first"
                        ),
                        _ => anyhow::bail!(
                            "there are several tenants: name one with --tenant (see `recouvre admin list-tenants`)"
                        ),
                    }
                }
            };
            recouvre_store::access::get_tenant(&mut conn, tenant)
                .await
                .map_err(|_| anyhow::anyhow!("no tenant {tenant}"))?;
            let key = create_api_key(&mut conn, tenant, role, &label, now.at)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("{}", key.token);
        }
        AdminCommand::ListTenants { db } => {
            let db = database::open(&db).await?;
            let mut conn = AsyncPgConnection::establish(&db.url).await?;
            for t in list_tenants(&mut conn).await? {
                println!("{}\t{}\t{}", t.id, t.kind.as_str(), t.name);
            }
        }
        AdminCommand::SetRate { rate, db } => {
            let db = database::open(&db).await?;
            let mut conn = AsyncPgConnection::establish(&db.url).await?;
            match rate {
                SetRateCommand::Ecb {
                    effective,
                    rate,
                    source,
                } => {
                    let row = EcbRate {
                        effective,
                        rate,
                        source: source.trim().to_owned(),
                    };
                    refuse_violations(recouvre::app::rates::ecb_violations(&row))?;
                    recouvre_store::rates::upsert_ecb_rate(&mut conn, &row, now.at).await?;
                    println!("ECB {effective}: {} % ({})", row.rate, row.source);
                }
                SetRateCommand::Legal {
                    semester,
                    individual,
                    other,
                    source,
                } => {
                    let semester = Semester::parse(semester.trim())
                        .context("--semester must look like 2026-S2")?;
                    let row = LegalRate {
                        semester,
                        individual,
                        other,
                        source: source.trim().to_owned(),
                    };
                    refuse_violations(recouvre::app::rates::legal_violations(&row))?;
                    recouvre_store::rates::upsert_legal_rate(&mut conn, &row, now.at).await?;
                    println!(
                        "Legal rates {semester}: {individual} % (individual), {other} % (other) ({})",
                        row.source
                    );
                }
            }
            println!("Running servers use it within 30 seconds.");
        }
        AdminCommand::ListRates { db } => {
            let db = database::open(&db).await?;
            let mut conn = AsyncPgConnection::establish(&db.url).await?;
            let table = recouvre_store::rates::load_rates(&mut conn).await?;
            println!("ECB main refinancing rate (effective date, %, source)");
            for r in table.ecb_rates() {
                println!("{}\t{}\t{}", r.effective, r.rate, r.source);
            }
            println!("Legal interest rates (semester, individual %, other %, source)");
            for r in table.legal_rates() {
                println!(
                    "{}\t{}\t{}\t{}",
                    r.semester, r.individual, r.other, r.source
                );
            }
        }
    }
    Ok(())
}
