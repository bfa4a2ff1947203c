//! Tenants and API keys.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use recouvre_domain::{ApiKeyId, Role, TenantId, TenantKind};
use uuid::Uuid;

use crate::schema::{api_keys, tenants};
use crate::{Conn, StoreError};

/// A tenant as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tenant {
    /// Identifier.
    pub id: TenantId,
    /// Display name.
    pub name: String,
    /// Creditor or agency.
    pub kind: TenantKind,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

/// An API key as stored: only the hash of its token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKey {
    /// Identifier.
    pub id: ApiKeyId,
    /// The tenant it acts for.
    pub tenant_id: TenantId,
    /// What it may do.
    pub role: Role,
    /// Label given at creation.
    pub label: String,
    /// SHA-256 of the token.
    pub token_hash: Vec<u8>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it was revoked.
    pub revoked_at: Option<DateTime<Utc>>,
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = tenants, check_for_backend(diesel::pg::Pg))]
struct TenantRow {
    id: Uuid,
    name: String,
    kind: String,
    created_at: DateTime<Utc>,
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = api_keys, check_for_backend(diesel::pg::Pg))]
struct ApiKeyRow {
    id: Uuid,
    tenant_id: Uuid,
    role: String,
    label: String,
    token_hash: Vec<u8>,
    created_at: DateTime<Utc>,
    revoked_at: Option<DateTime<Utc>>,
}

impl TryFrom<ApiKeyRow> for ApiKey {
    type Error = StoreError;
    fn try_from(r: ApiKeyRow) -> Result<Self, StoreError> {
        Ok(ApiKey {
            id: ApiKeyId(r.id),
            tenant_id: TenantId(r.tenant_id),
            role: Role::parse(&r.role)
                .ok_or_else(|| StoreError::Corrupt(format!("role {}", r.role)))?,
            label: r.label,
            token_hash: r.token_hash,
            created_at: r.created_at,
            revoked_at: r.revoked_at,
        })
    }
}

impl TryFrom<TenantRow> for Tenant {
    type Error = StoreError;
    fn try_from(r: TenantRow) -> Result<Self, StoreError> {
        Ok(Tenant {
            id: TenantId(r.id),
            name: r.name,
            kind: TenantKind::parse(&r.kind)
                .ok_or_else(|| StoreError::Corrupt(format!("tenant kind {}", r.kind)))?,
            created_at: r.created_at,
        })
    }
}

/// Stores a new tenant.
pub async fn insert_tenant(conn: &mut Conn, t: &Tenant) -> Result<(), StoreError> {
    diesel::insert_into(tenants::table)
        .values(TenantRow {
            id: t.id.0,
            name: t.name.clone(),
            kind: t.kind.as_str().to_owned(),
            created_at: t.created_at,
        })
        .execute(conn)
        .await?;
    Ok(())
}

/// All tenants, oldest first.
pub async fn list_tenants(conn: &mut Conn) -> Result<Vec<Tenant>, StoreError> {
    tenants::table
        .order(tenants::id)
        .select(TenantRow::as_select())
        .load(conn)
        .await?
        .into_iter()
        .map(Tenant::try_from)
        .collect()
}

/// One tenant.
pub async fn get_tenant(conn: &mut Conn, id: TenantId) -> Result<Tenant, StoreError> {
    tenants::table
        .find(id.0)
        .select(TenantRow::as_select())
        .first(conn)
        .await?
        .try_into()
}

/// Stores a new API key.
pub async fn insert_api_key(conn: &mut Conn, k: &ApiKey) -> Result<(), StoreError> {
    diesel::insert_into(api_keys::table)
        .values(ApiKeyRow {
            id: k.id.0,
            tenant_id: k.tenant_id.0,
            role: k.role.as_str().to_owned(),
            label: k.label.clone(),
            token_hash: k.token_hash.clone(),
            created_at: k.created_at,
            revoked_at: k.revoked_at,
        })
        .execute(conn)
        .await?;
    Ok(())
}

/// The key whose token hashes to `hash`, revoked or not.
pub async fn find_api_key_by_hash(
    conn: &mut Conn,
    hash: &[u8],
) -> Result<Option<ApiKey>, StoreError> {
    api_keys::table
        .filter(api_keys::token_hash.eq(hash))
        .select(ApiKeyRow::as_select())
        .first(conn)
        .await
        .optional()?
        .map(ApiKey::try_from)
        .transpose()
}

/// A page of the tenant's keys after `after`, oldest first.
pub async fn list_api_keys(
    conn: &mut Conn,
    tenant: TenantId,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<ApiKey>, StoreError> {
    let mut query = api_keys::table
        .filter(api_keys::tenant_id.eq(tenant.0))
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(api_keys::id.gt(after));
    }
    query
        .order(api_keys::id)
        .limit(limit)
        .select(ApiKeyRow::as_select())
        .load(conn)
        .await?
        .into_iter()
        .map(ApiKey::try_from)
        .collect()
}

/// Revokes a key of the tenant (keeps the first revocation time) and returns it.
pub async fn revoke_api_key(
    conn: &mut Conn,
    tenant: TenantId,
    id: ApiKeyId,
    at: DateTime<Utc>,
) -> Result<ApiKey, StoreError> {
    diesel::update(
        api_keys::table
            .filter(api_keys::tenant_id.eq(tenant.0))
            .filter(api_keys::id.eq(id.0)),
    )
    .set(
        api_keys::revoked_at.eq(diesel::dsl::sql::<
            diesel::sql_types::Nullable<diesel::sql_types::Timestamptz>,
        >("coalesce(revoked_at, ")
        .bind::<diesel::sql_types::Timestamptz, _>(at)
        .sql(")")),
    )
    .returning(ApiKeyRow::as_returning())
    .get_result(conn)
    .await?
    .try_into()
}

/// A collection agency's identity as stored (its fields validated by the caller).
pub async fn get_agency_profile(
    conn: &mut Conn,
    tenant: TenantId,
) -> Result<Option<serde_json::Value>, StoreError> {
    use crate::schema::agency_profiles;
    Ok(agency_profiles::table
        .filter(agency_profiles::tenant_id.eq(tenant.0))
        .select(agency_profiles::profile)
        .first(conn)
        .await
        .optional()?)
}

/// Sets a collection agency's identity.
pub async fn upsert_agency_profile(
    conn: &mut Conn,
    tenant: TenantId,
    profile: &serde_json::Value,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    use crate::schema::agency_profiles;
    diesel::insert_into(agency_profiles::table)
        .values((
            agency_profiles::tenant_id.eq(tenant.0),
            agency_profiles::profile.eq(profile),
            agency_profiles::updated_at.eq(at),
        ))
        .on_conflict(agency_profiles::tenant_id)
        .do_update()
        .set((
            agency_profiles::profile.eq(profile),
            agency_profiles::updated_at.eq(at),
        ))
        .execute(conn)
        .await?;
    Ok(())
}
