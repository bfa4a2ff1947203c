//! Every test gets its own PostgreSQL database, cloned from a migrated template.
//!
//! ```no_run
//! # async fn demo() {
//! let db = recouvre_test_db::TestDatabase::new().await;
//! let url = db.url(); // postgres://…/recouvre_test_<uuid>, migrated, empty
//! # let _ = url;
//! # } // dropping `db` drops the database
//! ```
//!
//! # Which server
//!
//! - `DATABASE_URL`, when set: its database part is ignored; databases are created and dropped
//!   from the maintenance database `postgres` of that server (CI starts one for the run).
//! - Otherwise one throwaway cluster started from the installed PostgreSQL binaries (through
//!   `recouvre_pg`), shared by all test processes of the user: nextest runs one process per
//!   test, and a cluster per process would cost an `initdb` per test. It lives in
//!   `$TMPDIR/recouvre-test-pg-<euid>/`, is started under a lock by the first process that
//!   needs it, runs with `fsync=off`, and is stopped and deleted by a small watchdog process
//!   about 20 s after the last test process exited (see `cluster.rs` for the protocol).
//!
//! # Template
//!
//! The template is named after a hash of the `migrations/` files (`recouvre_tpl_<hash>`), so a
//! changed migration never reuses a stale template. It is built once per server under a
//! PostgreSQL advisory lock (safe across concurrent processes): created as
//! `recouvre_tpl_<hash>_building`, migrated, closed to connections, then renamed — the rename
//! is the commit, so a process that crashed mid-migration leaves no half-built template.
//! Nobody may stay connected to a template while it is cloned (`source database is being
//! accessed by other users`), hence `ALLOW_CONNECTIONS false` and retries on that error.

mod cluster;

use std::future::Future;
use std::path::Path;
use std::sync::OnceLock;
use std::time::Duration;

use diesel::sql_types::{BigInt, Bool, Text};
use diesel::{QueryableByName, sql_query};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use sha2::{Digest, Sha256};

/// Folder of the diesel migrations, read at run time to name the template.
const MIGRATIONS_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../migrations");
/// Advisory lock key serialising template builds across processes ("recouvre" in ASCII).
const TEMPLATE_LOCK_KEY: i64 = 0x7265_636f_7576_7265;
/// Prefix of every test database (and nothing else).
const DATABASE_PREFIX: &str = "recouvre_test_";

/// A migrated database of its own for one test; dropped (`WITH (FORCE)`) on `Drop`.
#[derive(Debug)]
pub struct TestDatabase {
    name: String,
    url: String,
    admin_url: String,
}

impl TestDatabase {
    /// A fresh, migrated, empty database.
    ///
    /// # Panics
    ///
    /// When no server can be reached or started, or migrations fail: this is test support, and
    /// the message says what to install or set.
    pub async fn new() -> TestDatabase {
        match Self::try_new().await {
            Ok(db) => db,
            Err(e) => panic!("recouvre_test_db: cannot create a test database: {e}"),
        }
    }

    /// The `postgres://` URL of this test's database.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The database's name (`recouvre_test_<uuid>`).
    pub fn name(&self) -> &str {
        &self.name
    }

    async fn try_new() -> Result<TestDatabase, String> {
        let admin_url = admin_url().await?;
        let template = template(&admin_url).await?;
        let name = format!("{DATABASE_PREFIX}{}", uuid::Uuid::new_v4().simple());
        let mut conn = connect(&admin_url).await?;
        execute_retrying(
            &mut conn,
            &format!(
                "CREATE DATABASE {} TEMPLATE {}",
                ident(&name),
                ident(&template)
            ),
        )
        .await?;
        Ok(TestDatabase {
            url: with_database(&admin_url, &name),
            name,
            admin_url,
        })
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let admin_url = self.admin_url.clone();
        let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", ident(&self.name));
        let result = block_on_own_runtime(async move {
            let mut conn = connect(&admin_url).await?;
            conn.batch_execute(&sql)
                .await
                .map_err(|e| format!("{sql}: {e}"))
        });
        if let Err(e) = result {
            // Best effort: a leaked database goes with the throwaway cluster.
            eprintln!("recouvre_test_db: could not drop {}: {e}", self.name);
        }
    }
}

/// URL of the maintenance database `postgres` on the server the tests use.
async fn admin_url() -> Result<String, String> {
    static SERVER: OnceLock<Result<String, String>> = OnceLock::new();
    if let Some(url) = SERVER.get() {
        return url.clone();
    }
    // Starting the cluster runs processes and waits on a lock: keep it off the async threads.
    tokio::task::spawn_blocking(|| SERVER.get_or_init(find_or_start_server).clone())
        .await
        .map_err(|e| format!("server start-up task failed: {e}"))?
}

fn find_or_start_server() -> Result<String, String> {
    match std::env::var("DATABASE_URL") {
        Ok(url) if !url.trim().is_empty() => Ok(with_database(url.trim(), "postgres")),
        _ => {
            let port = cluster::ensure_running()?;
            Ok(format!("postgres://postgres@127.0.0.1:{port}/postgres"))
        }
    }
}

/// Name of the migrated template on the server of `admin_url`, built if missing.
async fn template(admin_url: &str) -> Result<String, String> {
    static TEMPLATE: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
    TEMPLATE
        .get_or_try_init(|| build_template(admin_url))
        .await
        .cloned()
}

async fn build_template(admin_url: &str) -> Result<String, String> {
    let name = format!("recouvre_tpl_{}", migrations_hash()?);
    let mut conn = connect(admin_url).await?;
    if database_exists(&mut conn, &name).await? {
        return Ok(name);
    }
    sql_query("SELECT pg_advisory_lock($1)")
        .bind::<BigInt, _>(TEMPLATE_LOCK_KEY)
        .execute(&mut conn)
        .await
        .map_err(|e| format!("pg_advisory_lock: {e}"))?;
    let built = build_template_locked(&mut conn, admin_url, &name).await;
    // Also released when the connection closes, e.g. if this process dies.
    let _ = sql_query("SELECT pg_advisory_unlock($1)")
        .bind::<BigInt, _>(TEMPLATE_LOCK_KEY)
        .execute(&mut conn)
        .await;
    built.map(|()| name)
}

async fn build_template_locked(
    conn: &mut AsyncPgConnection,
    admin_url: &str,
    name: &str,
) -> Result<(), String> {
    // Another process may have built it while we waited for the lock.
    if database_exists(conn, name).await? {
        return Ok(());
    }
    let building = format!("{name}_building");
    let b = ident(&building);
    // Left by a process that died mid-migration.
    execute(conn, &format!("DROP DATABASE IF EXISTS {b} WITH (FORCE)")).await?;
    execute(conn, &format!("CREATE DATABASE {b}")).await?;
    recouvre_store::run_migrations(&with_database(admin_url, &building))
        .await
        .map_err(|e| format!("migrating the template database: {e}"))?;
    // The migration's connection is closed, but its backend may take a moment to exit.
    execute_retrying(
        conn,
        &format!("ALTER DATABASE {b} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false"),
    )
    .await?;
    execute_retrying(
        conn,
        &format!("ALTER DATABASE {b} RENAME TO {}", ident(name)),
    )
    .await
}

async fn connect(url: &str) -> Result<AsyncPgConnection, String> {
    let mut conn = AsyncPgConnection::establish(url)
        .await
        .map_err(|e| format!("cannot connect to {}: {e}", redact(url)))?;
    // Error messages in English whatever the server's locale: we match on one below.
    // Superuser-only; a non-superuser DATABASE_URL just keeps its locale.
    let _ = conn.batch_execute("SET lc_messages = 'C'").await;
    Ok(conn)
}

async fn execute(conn: &mut AsyncPgConnection, sql: &str) -> Result<(), String> {
    conn.batch_execute(sql)
        .await
        .map_err(|e| format!("{sql}: {e}"))
}

/// Runs `sql`, retrying while another session is still connected to the database it needs.
async fn execute_retrying(conn: &mut AsyncPgConnection, sql: &str) -> Result<(), String> {
    let mut delay = Duration::from_millis(20);
    for _ in 0..40 {
        match conn.batch_execute(sql).await {
            Ok(()) => return Ok(()),
            Err(e) if e.to_string().contains("is being accessed by other users") => {
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_millis(500));
            }
            Err(e) => return Err(format!("{sql}: {e}")),
        }
    }
    Err(format!(
        "{sql}: the database stayed in use by other sessions"
    ))
}

async fn database_exists(conn: &mut AsyncPgConnection, name: &str) -> Result<bool, String> {
    #[derive(QueryableByName)]
    struct Exists {
        #[diesel(sql_type = Bool)]
        exists: bool,
    }
    let rows: Vec<Exists> =
        sql_query("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1) AS exists")
            .bind::<Text, _>(name)
            .load(conn)
            .await
            .map_err(|e| format!("checking for database {name}: {e}"))?;
    Ok(rows.into_iter().next().is_some_and(|row| row.exists))
}

/// First 16 hex digits of a SHA-256 over the migration files' paths and contents.
fn migrations_hash() -> Result<String, String> {
    let root = Path::new(MIGRATIONS_DIR);
    let mut files = Vec::new();
    collect_files(root, &mut files)?;
    files.sort();
    let mut hasher = Sha256::new();
    for file in &files {
        let relative = file.strip_prefix(root).unwrap_or(file);
        let contents = std::fs::read(file).map_err(|e| format!("{}: {e}", file.display()))?;
        let relative = relative.to_string_lossy();
        // Lengths first, so no two file sets hash the same bytes.
        hasher.update((relative.len() as u64).to_le_bytes());
        hasher.update(relative.as_bytes());
        hasher.update((contents.len() as u64).to_le_bytes());
        hasher.update(&contents);
    }
    let digest = hasher.finalize();
    Ok(digest[..8].iter().map(|b| format!("{b:02x}")).collect())
}

fn collect_files(dir: &Path, files: &mut Vec<std::path::PathBuf>) -> Result<(), String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for entry in entries {
        let path = entry.map_err(|e| format!("{}: {e}", dir.display()))?.path();
        if path.is_dir() {
            collect_files(&path, files)?;
        } else {
            files.push(path);
        }
    }
    Ok(())
}

/// `url` with its database replaced by `database` (query parameters kept).
fn with_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let server = match base[authority_start..].find('/') {
        Some(slash) => &base[..authority_start + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{server}/{database}?{query}"),
        None => format!("{server}/{database}"),
    }
}

/// `url` without its password, for error messages.
fn redact(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return url.to_owned();
    };
    let rest = &url[scheme_end..];
    let authority_end = rest.find('/').unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => match rest[..at].find(':') {
            Some(colon) => format!(
                "{}{}:***{}",
                &url[..scheme_end],
                &rest[..colon],
                &rest[at..]
            ),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

/// A quoted SQL identifier.
fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Runs `future` to completion on a new current-thread runtime in a new thread.
///
/// `Drop` is synchronous and may run inside a runtime, where `block_on` is not allowed.
fn block_on_own_runtime<T, F>(future: F) -> Result<T, String>
where
    F: Future<Output = Result<T, String>> + Send + 'static,
    T: Send + 'static,
{
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("cannot build a runtime: {e}"))?
            .block_on(future)
    })
    .join()
    .map_err(|_| "drop thread panicked".to_owned())?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_the_database_of_a_url() {
        let cases = [
            ("postgres://u:p@h:5432/app", "postgres://u:p@h:5432/x"),
            (
                "postgres://u@h/app?sslmode=disable",
                "postgres://u@h/x?sslmode=disable",
            ),
            ("postgres://h:5432", "postgres://h:5432/x"),
            (
                "postgresql://h?sslmode=require",
                "postgresql://h/x?sslmode=require",
            ),
        ];
        for (url, expected) in cases {
            assert_eq!(with_database(url, "x"), expected, "{url}");
        }
    }

    #[test]
    fn redacts_passwords() {
        assert_eq!(redact("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
    }

    #[test]
    fn hashes_the_migrations() {
        let hash = migrations_hash().expect("migrations readable");
        assert_eq!(hash.len(), 16);
        assert_eq!(hash, migrations_hash().expect("stable"));
    }

    #[test]
    fn quotes_identifiers() {
        assert_eq!(ident(r#"a"b"#), r#""a""b""#);
    }
}
