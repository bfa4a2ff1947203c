//! Generated documents (bytes, hash, inputs) and the tenants' template overrides.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use recouvre_domain::{ClaimId, TenantId};
use serde_json::Value;
use uuid::Uuid;

use crate::schema::{document_templates, documents};
use crate::{Conn, StoreError};

/// A stored document's metadata.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = documents, check_for_backend(diesel::pg::Pg))]
pub struct DocumentMeta {
    /// Identifier.
    pub id: Uuid,
    /// The claim.
    pub claim_id: Uuid,
    /// Kind's stable name.
    pub kind: String,
    /// Language code.
    pub language: String,
    /// MIME type.
    pub content_type: String,
    /// Suggested file name.
    pub file_name: String,
    /// Size of the bytes.
    pub size_bytes: i64,
    /// SHA-256 of the bytes.
    pub sha256: Vec<u8>,
    /// Template version.
    pub template_version: String,
    /// Pages (0 for text).
    pub page_count: i32,
    /// When generated.
    pub created_at: DateTime<Utc>,
}

/// A document to store.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = documents, check_for_backend(diesel::pg::Pg))]
#[diesel(treat_none_as_default_value = false)]
pub struct NewDocument {
    /// Identifier.
    pub id: Uuid,
    /// The tenant.
    pub tenant_id: Uuid,
    /// The claim.
    pub claim_id: Uuid,
    /// Kind's stable name.
    pub kind: String,
    /// Language code.
    pub language: String,
    /// MIME type.
    pub content_type: String,
    /// Suggested file name.
    pub file_name: String,
    /// The bytes.
    pub content: Vec<u8>,
    /// Their length.
    pub size_bytes: i64,
    /// Their SHA-256.
    pub sha256: Vec<u8>,
    /// Template version.
    pub template_version: String,
    /// The tenant's template source, when one was used.
    pub template_source: Option<String>,
    /// Pages.
    pub page_count: i32,
    /// The data rendered.
    pub inputs: Value,
    /// When generated.
    pub created_at: DateTime<Utc>,
}

/// Stores a document.
pub async fn insert_document(conn: &mut Conn, d: &NewDocument) -> Result<(), StoreError> {
    diesel::insert_into(documents::table)
        .values(d)
        .execute(conn)
        .await?;
    Ok(())
}

/// Stores many documents in one statement per thousand (a scheduler batch's letters).
pub async fn insert_documents(conn: &mut Conn, rows: &[NewDocument]) -> Result<(), StoreError> {
    // 15 parameters a row: a thousand rows stay far below PostgreSQL's 65,535.
    for chunk in rows.chunks(1000) {
        diesel::insert_into(documents::table)
            .values(chunk)
            .execute(conn)
            .await?;
    }
    Ok(())
}

/// One document's metadata, in the tenant.
pub async fn get_document(
    conn: &mut Conn,
    tenant: TenantId,
    id: Uuid,
) -> Result<DocumentMeta, StoreError> {
    Ok(documents::table
        .filter(documents::tenant_id.eq(tenant.0))
        .filter(documents::id.eq(id))
        .select(DocumentMeta::as_select())
        .first(conn)
        .await?)
}

/// One document's bytes, in the tenant.
pub async fn document_content(
    conn: &mut Conn,
    tenant: TenantId,
    id: Uuid,
) -> Result<Vec<u8>, StoreError> {
    Ok(documents::table
        .filter(documents::tenant_id.eq(tenant.0))
        .filter(documents::id.eq(id))
        .select(documents::content)
        .first(conn)
        .await?)
}

/// What re-rendering a document needs: its inputs and its tenant template, if any.
pub async fn document_inputs(
    conn: &mut Conn,
    tenant: TenantId,
    id: Uuid,
) -> Result<(Value, Option<String>), StoreError> {
    Ok(documents::table
        .filter(documents::tenant_id.eq(tenant.0))
        .filter(documents::id.eq(id))
        .select((documents::inputs, documents::template_source))
        .first(conn)
        .await?)
}

/// A page of a claim's documents after `after`, oldest first.
pub async fn list_documents(
    conn: &mut Conn,
    tenant: TenantId,
    claim: ClaimId,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<DocumentMeta>, StoreError> {
    let mut query = documents::table
        .filter(documents::tenant_id.eq(tenant.0))
        .filter(documents::claim_id.eq(claim.0))
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(documents::id.gt(after));
    }
    Ok(query
        .order(documents::id)
        .limit(limit)
        .select(DocumentMeta::as_select())
        .load(conn)
        .await?)
}

/// A tenant's template override.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = document_templates, check_for_backend(diesel::pg::Pg))]
pub struct TemplateRow {
    /// Kind's stable name.
    pub kind: String,
    /// Language code.
    pub language: String,
    /// The source.
    pub source: String,
    /// Incremented on every replacement.
    pub version: i64,
    /// SHA-256 of the source.
    pub sha256: Vec<u8>,
    /// When set.
    pub updated_at: DateTime<Utc>,
}

/// The tenant's override of `kind` in `language`, if any.
pub async fn get_template(
    conn: &mut Conn,
    tenant: TenantId,
    kind: &str,
    language: &str,
) -> Result<Option<TemplateRow>, StoreError> {
    Ok(document_templates::table
        .filter(document_templates::tenant_id.eq(tenant.0))
        .filter(document_templates::kind.eq(kind))
        .filter(document_templates::language.eq(language))
        .select(TemplateRow::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// The tenant's overrides.
pub async fn list_templates(
    conn: &mut Conn,
    tenant: TenantId,
) -> Result<Vec<TemplateRow>, StoreError> {
    Ok(document_templates::table
        .filter(document_templates::tenant_id.eq(tenant.0))
        .order((document_templates::kind, document_templates::language))
        .select(TemplateRow::as_select())
        .load(conn)
        .await?)
}

/// Sets the override, bumping its version; returns the stored row.
pub async fn upsert_template(
    conn: &mut Conn,
    tenant: TenantId,
    kind: &str,
    language: &str,
    source: &str,
    sha256: &[u8],
    at: DateTime<Utc>,
) -> Result<TemplateRow, StoreError> {
    Ok(diesel::insert_into(document_templates::table)
        .values((
            document_templates::tenant_id.eq(tenant.0),
            document_templates::kind.eq(kind),
            document_templates::language.eq(language),
            document_templates::source.eq(source),
            document_templates::version.eq(1_i64),
            document_templates::sha256.eq(sha256),
            document_templates::updated_at.eq(at),
        ))
        .on_conflict((
            document_templates::tenant_id,
            document_templates::kind,
            document_templates::language,
        ))
        .do_update()
        .set((
            document_templates::source.eq(source),
            document_templates::version.eq(document_templates::version + 1_i64),
            document_templates::sha256.eq(sha256),
            document_templates::updated_at.eq(at),
        ))
        .returning(TemplateRow::as_returning())
        .get_result(conn)
        .await?)
}

/// Removes the override; true when one existed.
pub async fn delete_template(
    conn: &mut Conn,
    tenant: TenantId,
    kind: &str,
    language: &str,
) -> Result<bool, StoreError> {
    let n = diesel::delete(
        document_templates::table
            .filter(document_templates::tenant_id.eq(tenant.0))
            .filter(document_templates::kind.eq(kind))
            .filter(document_templates::language.eq(language)),
    )
    .execute(conn)
    .await?;
    Ok(n > 0)
}

/// The first agency letter sent to `debtor` (on any of its claims): id and date. Every later
/// letter of the agency recalls it (CPCE R124-4, last paragraph).
pub async fn first_agency_letter(
    conn: &mut Conn,
    tenant: TenantId,
    debtor: recouvre_domain::DebtorId,
) -> Result<Option<(Uuid, DateTime<Utc>)>, StoreError> {
    use crate::schema::claims;
    Ok(documents::table
        .filter(documents::tenant_id.eq(tenant.0))
        .filter(documents::kind.eq("agency_first_letter"))
        .filter(
            documents::claim_id.eq_any(
                claims::table
                    .filter(claims::tenant_id.eq(tenant.0))
                    .filter(claims::debtor_id.eq(debtor.0))
                    .select(claims::id),
            ),
        )
        .order((documents::created_at, documents::id))
        .select((documents::id, documents::created_at))
        .first(conn)
        .await
        .optional()?)
}
