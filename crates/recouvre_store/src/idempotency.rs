//! The request-id ledger (AIP-155), written in the same transaction as the work it records.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use recouvre_domain::TenantId;

use crate::schema::idempotency_keys;
use crate::{Conn, StoreError};

/// A request id already used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeenRequest {
    /// The method it was used with.
    pub method: String,
    /// Hash of the request content.
    pub request_hash: Vec<u8>,
    /// The encoded response returned the first time.
    pub response: Option<Vec<u8>>,
}

/// The first use of `request_id` in the tenant, if any.
pub async fn find_request(
    conn: &mut Conn,
    tenant: TenantId,
    request_id: &str,
) -> Result<Option<SeenRequest>, StoreError> {
    Ok(idempotency_keys::table
        .filter(idempotency_keys::tenant_id.eq(tenant.0))
        .filter(idempotency_keys::request_id.eq(request_id))
        .select((
            idempotency_keys::method,
            idempotency_keys::request_hash,
            idempotency_keys::response,
        ))
        .first::<(String, Vec<u8>, Option<Vec<u8>>)>(conn)
        .await
        .optional()?
        .map(|(method, request_hash, response)| SeenRequest {
            method,
            request_hash,
            response,
        }))
}

/// Records the request and its response. Returns false when a concurrent transaction recorded
/// the same request id first (this one waited for it to commit): the caller must roll back
/// and replay that first result.
pub async fn record_request(
    conn: &mut Conn,
    tenant: TenantId,
    request_id: &str,
    method: &str,
    request_hash: &[u8],
    response: &[u8],
    at: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let inserted = diesel::insert_into(idempotency_keys::table)
        .values((
            idempotency_keys::tenant_id.eq(tenant.0),
            idempotency_keys::request_id.eq(request_id),
            idempotency_keys::method.eq(method),
            idempotency_keys::request_hash.eq(request_hash),
            idempotency_keys::response.eq(Some(response)),
            idempotency_keys::created_at.eq(at),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    Ok(inserted == 1)
}
