//! Embedded migrations from the workspace's `migrations/` folder.

use diesel_async::AsyncPgConnection;
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::StoreError;

const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations");

/// Applies every pending migration to the database at `database_url`.
///
/// Diesel's migration harness is synchronous, so it runs on the blocking pool over an async
/// connection wrapped for sync use.
pub async fn run_migrations(database_url: &str) -> Result<(), StoreError> {
    use diesel::Connection;
    let url = database_url.to_owned();
    tokio::task::spawn_blocking(move || {
        let mut conn = AsyncConnectionWrapper::<AsyncPgConnection>::establish(&url)
            .map_err(|e| StoreError::Unavailable(e.to_string()))?;
        conn.run_pending_migrations(MIGRATIONS)
            .map(|_| ())
            .map_err(|e| StoreError::Query(format!("migration failed: {e}")))
    })
    .await
    .map_err(|e| StoreError::Query(format!("migration task failed: {e}")))?
}
