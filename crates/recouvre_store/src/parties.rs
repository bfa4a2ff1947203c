//! Creditors and debtors.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use recouvre_domain::identifiers::{Bic, Email, Iban, Phone, Siren, Siret, VatNumber};
use recouvre_domain::terms::EndOfMonthMethod;
use recouvre_domain::{Creditor, CreditorId, Debtor, DebtorId, DebtorKind, Language, TenantId};
use serde_json::Value;
use uuid::Uuid;

use crate::json::{
    address_from_json, address_to_json, addresses_from_json, addresses_to_json, corrupt,
    strings_from_json, strings_to_json,
};
use crate::schema::{creditors, debtors};
use crate::{Conn, StoreError};

#[derive(Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = creditors, check_for_backend(diesel::pg::Pg), treat_none_as_null = true)]
struct CreditorRow {
    id: Uuid,
    tenant_id: Uuid,
    legal_name: String,
    legal_form: String,
    siren: Option<String>,
    siret: Option<String>,
    vat_number: Option<String>,
    address: Value,
    iban: Option<String>,
    bic: Option<String>,
    contact_email: Option<String>,
    contact_phone: Option<String>,
    agency_client: bool,
    natural_person: bool,
    end_of_month_method: String,
    legal_representative: String,
    version: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

fn opt<T, E: std::fmt::Display>(
    v: Option<String>,
    parse: impl Fn(&str) -> Result<T, E>,
) -> Result<Option<T>, StoreError> {
    v.map(|s| parse(&s).map_err(corrupt)).transpose()
}

impl CreditorRow {
    fn new(tenant: TenantId, c: &Creditor) -> Self {
        CreditorRow {
            id: c.id.0,
            tenant_id: tenant.0,
            legal_name: c.legal_name.clone(),
            legal_form: c.legal_form.clone(),
            siren: c.siren.as_ref().map(|v| v.as_str().to_owned()),
            siret: c.siret.as_ref().map(|v| v.as_str().to_owned()),
            vat_number: c.vat_number.as_ref().map(|v| v.as_str().to_owned()),
            address: address_to_json(&c.address),
            iban: c.iban.as_ref().map(|v| v.as_str().to_owned()),
            bic: c.bic.as_ref().map(|v| v.as_str().to_owned()),
            contact_email: c.contact_email.as_ref().map(|v| v.as_str().to_owned()),
            contact_phone: c.contact_phone.as_ref().map(|v| v.as_str().to_owned()),
            agency_client: c.agency_client,
            natural_person: c.natural_person,
            end_of_month_method: c.end_of_month_method.as_str().to_owned(),
            legal_representative: c.legal_representative.clone(),
            version: c.version,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

impl TryFrom<CreditorRow> for Creditor {
    type Error = StoreError;
    fn try_from(r: CreditorRow) -> Result<Self, StoreError> {
        Ok(Creditor {
            id: CreditorId(r.id),
            legal_name: r.legal_name,
            legal_form: r.legal_form,
            siren: opt(r.siren, Siren::parse)?,
            siret: opt(r.siret, Siret::parse)?,
            vat_number: opt(r.vat_number, VatNumber::parse)?,
            address: address_from_json(r.address)?,
            iban: opt(r.iban, Iban::parse)?,
            bic: opt(r.bic, Bic::parse)?,
            contact_email: opt(r.contact_email, Email::parse)?,
            contact_phone: opt(r.contact_phone, Phone::parse)?,
            agency_client: r.agency_client,
            natural_person: r.natural_person,
            legal_representative: r.legal_representative,
            end_of_month_method: EndOfMonthMethod::parse(&r.end_of_month_method).ok_or_else(
                || StoreError::Corrupt(format!("end-of-month method {}", r.end_of_month_method)),
            )?,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

/// Stores a new creditor.
pub async fn insert_creditor(
    conn: &mut Conn,
    tenant: TenantId,
    c: &Creditor,
) -> Result<(), StoreError> {
    diesel::insert_into(creditors::table)
        .values(CreditorRow::new(tenant, c))
        .execute(conn)
        .await?;
    Ok(())
}

/// One creditor of the tenant; `lock` takes a row lock for the rest of the transaction.
pub async fn get_creditor(
    conn: &mut Conn,
    tenant: TenantId,
    id: CreditorId,
    lock: bool,
) -> Result<Creditor, StoreError> {
    let query = creditors::table
        .filter(creditors::tenant_id.eq(tenant.0))
        .filter(creditors::id.eq(id.0))
        .select(CreditorRow::as_select());
    let row = if lock {
        query.for_update().first(conn).await?
    } else {
        query.first(conn).await?
    };
    row.try_into()
}

/// A page of the tenant's creditors after `after`, oldest first.
pub async fn list_creditors(
    conn: &mut Conn,
    tenant: TenantId,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<Creditor>, StoreError> {
    let mut query = creditors::table
        .filter(creditors::tenant_id.eq(tenant.0))
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(creditors::id.gt(after));
    }
    query
        .order(creditors::id)
        .limit(limit)
        .select(CreditorRow::as_select())
        .load(conn)
        .await?
        .into_iter()
        .map(Creditor::try_from)
        .collect()
}

/// Saves a changed creditor of the tenant.
pub async fn update_creditor(
    conn: &mut Conn,
    tenant: TenantId,
    c: &Creditor,
) -> Result<(), StoreError> {
    let n = diesel::update(
        creditors::table
            .filter(creditors::tenant_id.eq(tenant.0))
            .filter(creditors::id.eq(c.id.0)),
    )
    .set(CreditorRow::new(tenant, c))
    .execute(conn)
    .await?;
    if n == 0 {
        Err(StoreError::NotFound)
    } else {
        Ok(())
    }
}

#[derive(Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = debtors, check_for_backend(diesel::pg::Pg), treat_none_as_null = true)]
struct DebtorRow {
    id: Uuid,
    tenant_id: Uuid,
    kind: String,
    legal_name: Option<String>,
    legal_form: Option<String>,
    given_name: Option<String>,
    family_name: Option<String>,
    siren: Option<String>,
    addresses: Value,
    emails: Value,
    phones: Value,
    preferred_language: String,
    version: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    proceedings: Option<Value>,
}

impl DebtorRow {
    fn new(tenant: TenantId, d: &Debtor) -> Self {
        DebtorRow {
            id: d.id.0,
            tenant_id: tenant.0,
            kind: d.kind.as_str().to_owned(),
            legal_name: d.legal_name.clone(),
            legal_form: d.legal_form.clone(),
            given_name: d.given_name.clone(),
            family_name: d.family_name.clone(),
            siren: d.siren.as_ref().map(|v| v.as_str().to_owned()),
            addresses: addresses_to_json(&d.addresses),
            emails: strings_to_json(&d.emails.iter().map(|e| e.as_str()).collect::<Vec<_>>()),
            phones: strings_to_json(&d.phones.iter().map(|e| e.as_str()).collect::<Vec<_>>()),
            preferred_language: d.preferred_language.as_str().to_owned(),
            version: d.version,
            created_at: d.created_at,
            updated_at: d.updated_at,
            proceedings: d
                .proceedings
                .as_ref()
                .map(recouvre_domain::proceedings::payload),
        }
    }
}

impl TryFrom<DebtorRow> for Debtor {
    type Error = StoreError;
    fn try_from(r: DebtorRow) -> Result<Self, StoreError> {
        Ok(Debtor {
            id: DebtorId(r.id),
            kind: DebtorKind::parse(&r.kind)
                .ok_or_else(|| StoreError::Corrupt(format!("debtor kind {}", r.kind)))?,
            legal_name: r.legal_name,
            legal_form: r.legal_form,
            given_name: r.given_name,
            family_name: r.family_name,
            siren: opt(r.siren, Siren::parse)?,
            addresses: addresses_from_json(r.addresses)?,
            emails: strings_from_json(r.emails)?
                .iter()
                .map(|s| Email::parse(s).map_err(corrupt))
                .collect::<Result<_, _>>()?,
            phones: strings_from_json(r.phones)?
                .iter()
                .map(|s| Phone::parse(s).map_err(corrupt))
                .collect::<Result<_, _>>()?,
            preferred_language: Language::parse(&r.preferred_language)
                .ok_or_else(|| StoreError::Corrupt(format!("language {}", r.preferred_language)))?,
            proceedings: r
                .proceedings
                .map(|v| {
                    recouvre_domain::proceedings::from_payload(&v)
                        .ok_or_else(|| StoreError::Corrupt(format!("debtor proceedings {v}")))
                })
                .transpose()?,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

/// Stores a new debtor.
pub async fn insert_debtor(
    conn: &mut Conn,
    tenant: TenantId,
    d: &Debtor,
) -> Result<(), StoreError> {
    diesel::insert_into(debtors::table)
        .values(DebtorRow::new(tenant, d))
        .execute(conn)
        .await?;
    Ok(())
}

/// One debtor of the tenant; `lock` takes a row lock for the rest of the transaction.
pub async fn get_debtor(
    conn: &mut Conn,
    tenant: TenantId,
    id: DebtorId,
    lock: bool,
) -> Result<Debtor, StoreError> {
    let query = debtors::table
        .filter(debtors::tenant_id.eq(tenant.0))
        .filter(debtors::id.eq(id.0))
        .select(DebtorRow::as_select());
    let row = if lock {
        query.for_update().first(conn).await?
    } else {
        query.first(conn).await?
    };
    row.try_into()
}

/// A page of the tenant's debtors after `after`, oldest first.
pub async fn list_debtors(
    conn: &mut Conn,
    tenant: TenantId,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<Debtor>, StoreError> {
    let mut query = debtors::table
        .filter(debtors::tenant_id.eq(tenant.0))
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(debtors::id.gt(after));
    }
    query
        .order(debtors::id)
        .limit(limit)
        .select(DebtorRow::as_select())
        .load(conn)
        .await?
        .into_iter()
        .map(Debtor::try_from)
        .collect()
}

/// Saves a changed debtor of the tenant.
pub async fn update_debtor(
    conn: &mut Conn,
    tenant: TenantId,
    d: &Debtor,
) -> Result<(), StoreError> {
    let n = diesel::update(
        debtors::table
            .filter(debtors::tenant_id.eq(tenant.0))
            .filter(debtors::id.eq(d.id.0)),
    )
    .set(DebtorRow::new(tenant, d))
    .execute(conn)
    .await?;
    if n == 0 {
        Err(StoreError::NotFound)
    } else {
        Ok(())
    }
}

/// Whether the debtor has any claim (its kind then can no longer change).
pub async fn debtor_has_claims(
    conn: &mut Conn,
    tenant: TenantId,
    id: DebtorId,
) -> Result<bool, StoreError> {
    use crate::schema::claims;
    Ok(diesel::select(diesel::dsl::exists(
        claims::table
            .filter(claims::tenant_id.eq(tenant.0))
            .filter(claims::debtor_id.eq(id.0)),
    ))
    .get_result(conn)
    .await?)
}

/// What a new claim needs to know of its parties, the two SELECTs pipelined: the creditor's
/// status and counting method, and the debtor's kind. `None` when not in the tenant.
pub async fn claim_parties(
    conn: &mut Conn,
    tenant: TenantId,
    creditor: CreditorId,
    debtor: DebtorId,
) -> Result<
    (
        Option<(bool, EndOfMonthMethod)>,
        Option<(
            DebtorKind,
            Option<recouvre_domain::proceedings::DebtorProceedings>,
        )>,
    ),
    StoreError,
> {
    let shared: &Conn = conn;
    let creditor = creditors::table
        .filter(creditors::tenant_id.eq(tenant.0))
        .filter(creditors::id.eq(creditor.0))
        .select((creditors::natural_person, creditors::end_of_month_method))
        .first::<(bool, String)>(&mut &*shared);
    let debtor = debtors::table
        .filter(debtors::tenant_id.eq(tenant.0))
        .filter(debtors::id.eq(debtor.0))
        .select((debtors::kind, debtors::proceedings))
        .first::<(String, Option<Value>)>(&mut &*shared);
    let (creditor, debtor) = futures::join!(creditor, debtor);
    let creditor = match creditor.optional()? {
        Some((natural, method)) => Some((
            natural,
            EndOfMonthMethod::parse(&method)
                .ok_or_else(|| StoreError::Corrupt(format!("end-of-month method {method}")))?,
        )),
        None => None,
    };
    let debtor = match debtor.optional()? {
        Some((kind, proceedings)) => Some((
            DebtorKind::parse(&kind)
                .ok_or_else(|| StoreError::Corrupt(format!("debtor kind {kind}")))?,
            proceedings
                .map(|v| {
                    recouvre_domain::proceedings::from_payload(&v)
                        .ok_or_else(|| StoreError::Corrupt(format!("debtor proceedings {v}")))
                })
                .transpose()?,
        )),
        None => None,
    };
    Ok((creditor, debtor))
}

/// The creditors with these ids (any tenant: the scheduler's batch spans tenants; each claim
/// names its own tenant's creditor, the tenant-scoped foreign key guarantees it), by id.
pub async fn creditors_by_ids(
    conn: &mut Conn,
    ids: &[Uuid],
) -> Result<std::collections::HashMap<Uuid, Creditor>, StoreError> {
    creditors::table
        .filter(creditors::id.eq_any(ids))
        .select(CreditorRow::as_select())
        .load::<CreditorRow>(conn)
        .await?
        .into_iter()
        .map(|r| {
            let c: Creditor = r.try_into()?;
            Ok((c.id.0, c))
        })
        .collect()
}

/// The debtors with these ids (see [`creditors_by_ids`]), by id.
pub async fn debtors_by_ids(
    conn: &mut Conn,
    ids: &[Uuid],
) -> Result<std::collections::HashMap<Uuid, Debtor>, StoreError> {
    debtors::table
        .filter(debtors::id.eq_any(ids))
        .select(DebtorRow::as_select())
        .load::<DebtorRow>(conn)
        .await?
        .into_iter()
        .map(|r| {
            let d: Debtor = r.try_into()?;
            Ok((d.id.0, d))
        })
        .collect()
}
