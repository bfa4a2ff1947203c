//! PostgreSQL persistence for Recouvre.
//!
//! Invariants: every query filters on the caller's tenant (the reference rates of `rates` are
//! the law's figures, shared by all); Diesel errors are classified into
//! [`StoreError`] here and nowhere else; rows are parsed into domain values at this boundary
//! (`TryFrom<Row>`), so a hand-edited row surfaces as [`StoreError::Corrupt`], never a panic.
//! Functions take a connection: the caller (the app layer) owns the transaction.

pub mod access;
pub mod claims;
pub mod create;
pub mod documents;
mod error;
pub mod idempotency;
mod json;
mod migrate;
pub mod outbox;
pub mod parties;
pub mod policies;
mod pool;
pub mod rates;
pub mod schema;
pub mod tasks;

pub use error::StoreError;
pub use migrate::run_migrations;
pub use pool::{Conn, Pool, PooledConn, build_pool, checkout};
