//! The connection pool.

use diesel_async::AsyncPgConnection;
use diesel_async::pooled_connection::AsyncDieselConnectionManager;
use diesel_async::pooled_connection::deadpool::{Object, Pool as DeadPool, PoolError};

use crate::StoreError;

/// A pool of async PostgreSQL connections.
pub type Pool = DeadPool<AsyncPgConnection>;
/// A connection checked out of the pool.
pub type PooledConn = Object<AsyncPgConnection>;
/// The connection type every repository function takes.
pub type Conn = AsyncPgConnection;

/// Builds a pool of at most `max_size` connections to `database_url`. Connections are opened
/// lazily; a checkout waits at most `wait` for a free one.
pub fn build_pool(
    database_url: &str,
    max_size: usize,
    wait: std::time::Duration,
) -> Result<Pool, StoreError> {
    let manager = AsyncDieselConnectionManager::<AsyncPgConnection>::new(database_url);
    DeadPool::builder(manager)
        .max_size(max_size)
        .wait_timeout(Some(wait))
        .create_timeout(Some(wait))
        .runtime(deadpool::Runtime::Tokio1)
        .build()
        .map_err(|e| StoreError::Unavailable(e.to_string()))
}

/// Checks a connection out of the pool.
pub async fn checkout(pool: &Pool) -> Result<PooledConn, StoreError> {
    pool.get().await.map_err(|e| match e {
        PoolError::Backend(inner) => StoreError::Unavailable(inner.to_string()),
        other => StoreError::Unavailable(other.to_string()),
    })
}
