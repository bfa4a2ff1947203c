//! Which database to use: `DATABASE_URL`, or a private PostgreSQL cluster started from the
//! installed server binaries in the data directory (kept across restarts, stopped on
//! shutdown). Migrations run on open; the first start creates a default tenant and prints an
//! admin API key.

use std::path::PathBuf;

use anyhow::Context;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use recouvre_domain::{Role, TenantId, TenantKind};
use recouvre_pg::{PgCluster, PgOptions};
use recouvre_store::access::{Tenant, insert_tenant, list_tenants};

use crate::app::{create_api_key, now_facts};
use crate::config::DbArgs;

/// Name of the database inside the private cluster.
pub const EMBEDDED_DATABASE: &str = "recouvre";

/// An open database: its URL, and the private cluster when we started one.
pub struct Database {
    /// Connection URL.
    pub url: String,
    /// The cluster we own; stopped when dropped.
    pub cluster: Option<PgCluster>,
}

/// The default data directory: `$XDG_DATA_HOME/recouvre` (`~/.local/share/recouvre`).
pub fn default_data_dir() -> PathBuf {
    dirs::data_dir()
        .unwrap_or_else(|| PathBuf::from("."))
        .join("recouvre")
}

/// Opens the database described by `args`, migrated.
///
/// Without a URL: attaches to the private cluster when one already runs in the data directory
/// (a `serve` in another terminal), else starts it and owns it.
pub async fn open(args: &DbArgs) -> anyhow::Result<Database> {
    if let Some(url) = &args.database_url {
        recouvre_store::run_migrations(url)
            .await
            .with_context(|| "migrating the database at DATABASE_URL")?;
        return Ok(Database {
            url: url.clone(),
            cluster: None,
        });
    }
    let data_dir = args.data_dir.clone().unwrap_or_else(default_data_dir);
    let pg_dir = data_dir.join("pg");
    std::fs::create_dir_all(&data_dir)
        .with_context(|| format!("creating {}", data_dir.display()))?;
    let running = recouvre_pg::running_port(&pg_dir)?;
    let (port, cluster) = match running {
        Some(port) => (port, None),
        None => {
            let dir = pg_dir.clone();
            let cluster = tokio::task::spawn_blocking(move || {
                PgCluster::start(
                    &dir,
                    PgOptions {
                        durable: true,
                        ..PgOptions::default()
                    },
                )
            })
            .await??;
            tracing::info!(data_dir = %pg_dir.display(), port = cluster.port(), "started the private PostgreSQL");
            (cluster.port(), Some(cluster))
        }
    };
    let admin_url = format!("postgres://postgres@127.0.0.1:{port}/postgres");
    let mut conn = AsyncPgConnection::establish(&admin_url).await?;
    let exists: bool = diesel::select(diesel::dsl::sql::<diesel::sql_types::Bool>(&format!(
        "EXISTS (SELECT 1 FROM pg_database WHERE datname = '{EMBEDDED_DATABASE}')"
    )))
    .get_result(&mut conn)
    .await?;
    if !exists {
        conn.batch_execute(&format!("CREATE DATABASE {EMBEDDED_DATABASE}"))
            .await?;
    }
    drop(conn);
    let url = format!("postgres://postgres@127.0.0.1:{port}/{EMBEDDED_DATABASE}");
    recouvre_store::run_migrations(&url).await?;
    Ok(Database { url, cluster })
}

/// On an empty database, creates the default tenant and an admin key, and returns the token.
pub async fn bootstrap(url: &str) -> anyhow::Result<Option<String>> {
    let mut conn = AsyncPgConnection::establish(url).await?;
    if !list_tenants(&mut conn).await?.is_empty() {
        return Ok(None);
    }
    let now = now_facts(chrono::Utc::now());
    let tenant = Tenant {
        id: TenantId::new_at(now.at),
        name: "default".to_owned(),
        kind: TenantKind::Creditor,
        created_at: now.at,
    };
    insert_tenant(&mut conn, &tenant).await?;
    let key = create_api_key(&mut conn, tenant.id, Role::Admin, "bootstrap admin", now.at)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(Some(key.token))
}
