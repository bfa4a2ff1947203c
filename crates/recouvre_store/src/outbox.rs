//! The outbox of e-mails and SMS: written by the scheduler in the step's transaction, picked up
//! by whatever sends them (a dispatcher outside this service), which reports back the status.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use recouvre_domain::{ClaimId, TenantId};
use uuid::Uuid;

use crate::schema::outbox_messages;
use crate::{Conn, StoreError};

/// A message as stored.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = outbox_messages, check_for_backend(diesel::pg::Pg))]
#[diesel(treat_none_as_default_value = false)]
pub struct OutboxRow {
    /// Identifier.
    pub id: Uuid,
    /// Tenant.
    pub tenant_id: Uuid,
    /// The claim it is about.
    pub claim_id: Uuid,
    /// `email` or `sms`.
    pub channel: String,
    /// The address or number.
    pub recipient: String,
    /// Subject line (e-mail; empty for SMS).
    pub subject: String,
    /// The text.
    pub body: String,
    /// Language of the text.
    pub language: String,
    /// The policy step that wrote it.
    pub step_index: Option<i32>,
    /// `pending`, `sent` or `failed`.
    pub status: String,
    /// Dispatch attempts reported.
    pub attempts: i32,
    /// The last failure reported.
    pub last_error: Option<String>,
    /// The provider's id of the sent message.
    pub provider_ref: Option<String>,
    /// When it was written.
    pub created_at: DateTime<Utc>,
    /// When its status last changed.
    pub updated_at: DateTime<Utc>,
}

/// Inserts messages in one statement.
pub async fn insert_messages(conn: &mut Conn, rows: &[OutboxRow]) -> Result<(), StoreError> {
    if rows.is_empty() {
        return Ok(());
    }
    diesel::insert_into(outbox_messages::table)
        .values(rows)
        .execute(conn)
        .await?;
    Ok(())
}

/// A page of the tenant's messages after (created_at, id), oldest first.
pub async fn list_messages(
    conn: &mut Conn,
    tenant: TenantId,
    status: Option<&str>,
    claim: Option<ClaimId>,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> Result<Vec<OutboxRow>, StoreError> {
    let mut query = outbox_messages::table
        .filter(outbox_messages::tenant_id.eq(tenant.0))
        .select(OutboxRow::as_select())
        .order((outbox_messages::created_at, outbox_messages::id))
        .limit(limit)
        .into_boxed();
    if let Some(status) = status {
        query = query.filter(outbox_messages::status.eq(status.to_owned()));
    }
    if let Some(claim) = claim {
        query = query.filter(outbox_messages::claim_id.eq(claim.0));
    }
    if let Some((at, id)) = after {
        query = query.filter(
            outbox_messages::created_at
                .gt(at)
                .or(outbox_messages::created_at
                    .eq(at)
                    .and(outbox_messages::id.gt(id))),
        );
    }
    Ok(query.load::<OutboxRow>(conn).await?)
}

/// One message of the tenant, locked for the transaction.
pub async fn get_message_for_update(
    conn: &mut Conn,
    tenant: TenantId,
    id: Uuid,
) -> Result<OutboxRow, StoreError> {
    Ok(outbox_messages::table
        .filter(outbox_messages::tenant_id.eq(tenant.0))
        .filter(outbox_messages::id.eq(id))
        .select(OutboxRow::as_select())
        .for_update()
        .first::<OutboxRow>(conn)
        .await?)
}

/// Records a dispatch attempt's result.
pub async fn set_message_status(
    conn: &mut Conn,
    tenant: TenantId,
    id: Uuid,
    status: &str,
    error: Option<&str>,
    provider_ref: Option<&str>,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let n = diesel::update(
        outbox_messages::table
            .filter(outbox_messages::tenant_id.eq(tenant.0))
            .filter(outbox_messages::id.eq(id)),
    )
    .set((
        outbox_messages::status.eq(status),
        outbox_messages::attempts.eq(outbox_messages::attempts + 1),
        outbox_messages::last_error.eq(error),
        outbox_messages::provider_ref.eq(provider_ref),
        outbox_messages::updated_at.eq(at),
    ))
    .execute(conn)
    .await?;
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}
