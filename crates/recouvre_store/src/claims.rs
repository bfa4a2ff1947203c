//! Claims, their invoices and payments, and the event timeline.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use recouvre_domain::statement::InterestRegime;
use recouvre_domain::terms::PaymentTerms;
use recouvre_domain::{
    Claim, ClaimId, ClaimState, CreditorId, Currency, DebtorId, Invoice, Money, Payment, PaymentId,
    PaymentMethod, StoredEvent, TenantId,
};
use rust_decimal::Decimal;
use serde_json::Value;
use uuid::Uuid;

use crate::json::{
    closure_from_json, closure_to_json, corrupt, dispute_from_json, dispute_to_json,
    legal_facts_from_json, legal_facts_to_json, promise_from_json, promise_to_json,
};
use crate::schema::{claim_events, claims, invoices, payments};
use crate::{Conn, StoreError};

// `treat_none_as_default_value = false` binds NULL for `None` instead of writing DEFAULT, so
// the INSERT's text never varies and its prepared statement is cached.
/// Inserts `rows` into `table` as one statement, pipelined on `conn` (a shared connection).
/// Up to four rows go as a fixed-size array, whose statement Diesel caches; a `Vec` INSERT's
/// text depends on the row count and is prepared every time. (A macro: the equivalent generic function needs bounds
/// Diesel's trait solver cannot finish.)
macro_rules! insert_rows {
    ($table:expr, $rows:expr, $conn:expr) => {
        async {
            match $rows.as_slice() {
                [] => Ok::<usize, diesel::result::Error>(0),
                [one] => {
                    diesel::insert_into($table)
                        .values(one)
                        .execute(&mut &*$conn)
                        .await
                }
                many => {
                    diesel::insert_into($table)
                        .values(many)
                        .execute(&mut &*$conn)
                        .await
                }
            }
        }
    };
}

#[derive(Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = claims, check_for_backend(diesel::pg::Pg), treat_none_as_null = true)]
#[diesel(treat_none_as_default_value = false)]
struct ClaimRow {
    id: Uuid,
    tenant_id: Uuid,
    creditor_id: Uuid,
    debtor_id: Uuid,
    external_reference: String,
    currency: String,
    state: String,
    principal_total: Decimal,
    paid_total: Decimal,
    dispute: Option<Value>,
    promise: Option<Value>,
    closure: Option<Value>,
    next_action_at: Option<DateTime<Utc>>,
    version: i64,
    head_hash: Vec<u8>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    interest_regime: String,
    legal_facts: Value,
    limitation_deadline: Option<NaiveDate>,
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = invoices, check_for_backend(diesel::pg::Pg))]
#[diesel(treat_none_as_default_value = false)]
struct InvoiceRow {
    claim_id: Uuid,
    position: i32,
    tenant_id: Uuid,
    number: String,
    issue_date: NaiveDate,
    service_completion_date: Option<NaiveDate>,
    due_date: NaiveDate,
    amount: Decimal,
    payment_terms: Option<String>,
    payment_terms_days: Option<i32>,
    contractual_rate: Option<Decimal>,
}

impl ClaimRow {
    fn new(tenant: TenantId, c: &Claim, limitation_deadline: Option<NaiveDate>) -> Self {
        ClaimRow {
            id: c.id.0,
            tenant_id: tenant.0,
            creditor_id: c.creditor_id.0,
            debtor_id: c.debtor_id.0,
            external_reference: c.external_reference.clone(),
            currency: c.currency.code().to_owned(),
            state: c.state.as_str().to_owned(),
            principal_total: c.principal_total.amount(),
            paid_total: c.paid_total.amount(),
            dispute: c.dispute.as_ref().map(dispute_to_json),
            promise: c.promise.as_ref().map(promise_to_json),
            closure: c.closure.as_ref().map(closure_to_json),
            next_action_at: c.next_action_at,
            version: c.version,
            head_hash: c.head_hash.to_vec(),
            created_at: c.created_at,
            updated_at: c.updated_at,
            interest_regime: c.regime.as_str().to_owned(),
            legal_facts: legal_facts_to_json(&c.legal),
            limitation_deadline,
        }
    }

    fn into_claim(
        self,
        invoice_rows: Vec<InvoiceRow>,
        payment_rows: Vec<PaymentRow>,
    ) -> Result<Claim, StoreError> {
        let currency = Currency::parse(&self.currency).map_err(corrupt)?;
        let money = |d: Decimal| Money::new(d, currency).map_err(corrupt);
        let invoices = invoice_rows
            .into_iter()
            .map(|r| {
                Ok(Invoice {
                    number: r.number,
                    issue_date: r.issue_date,
                    service_completion_date: r.service_completion_date,
                    due_date: r.due_date,
                    payment_terms: match r.payment_terms {
                        Some(kind) => {
                            Some(PaymentTerms::parse(&kind, r.payment_terms_days).ok_or_else(
                                || StoreError::Corrupt(format!("payment terms {kind}")),
                            )?)
                        }
                        None => None,
                    },
                    amount: money(r.amount)?,
                    contractual_rate: r.contractual_rate,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let payments = payment_rows
            .into_iter()
            .map(|r| {
                Ok(Payment {
                    id: PaymentId(r.id),
                    amount: money(r.amount)?,
                    value_date: r.value_date,
                    method: PaymentMethod::parse(&r.method)
                        .ok_or_else(|| StoreError::Corrupt(format!("method {}", r.method)))?,
                    reference: r.reference,
                    invoice_number: r.invoice_number,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(Claim {
            id: ClaimId(self.id),
            creditor_id: CreditorId(self.creditor_id),
            debtor_id: DebtorId(self.debtor_id),
            external_reference: self.external_reference,
            currency,
            state: ClaimState::parse(&self.state)
                .ok_or_else(|| StoreError::Corrupt(format!("claim state {}", self.state)))?,
            invoices,
            regime: InterestRegime::parse(&self.interest_regime).ok_or_else(|| {
                StoreError::Corrupt(format!("interest regime {}", self.interest_regime))
            })?,
            legal: legal_facts_from_json(self.legal_facts)?,
            principal_total: money(self.principal_total)?,
            paid_total: money(self.paid_total)?,
            payments,
            dispute: self.dispute.map(dispute_from_json).transpose()?,
            promise: self
                .promise
                .map(|v| promise_from_json(v, currency))
                .transpose()?,
            closure: self.closure.map(closure_from_json).transpose()?,
            next_action_at: self.next_action_at,
            version: self.version,
            head_hash: self
                .head_hash
                .as_slice()
                .try_into()
                .map_err(|_| StoreError::Corrupt("head hash is not 32 bytes".into()))?,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

/// The id of the creditor's claim with this external reference, if any.
pub async fn find_claim_by_reference(
    conn: &mut Conn,
    tenant: TenantId,
    creditor: CreditorId,
    external_reference: &str,
) -> Result<Option<ClaimId>, StoreError> {
    Ok(claims::table
        .filter(claims::tenant_id.eq(tenant.0))
        .filter(claims::creditor_id.eq(creditor.0))
        .filter(claims::external_reference.eq(external_reference))
        .select(claims::id)
        .first::<Uuid>(conn)
        .await
        .optional()?
        .map(ClaimId))
}

/// The head of a claim's chain: (version, head hash). NotFound outside the tenant.
pub async fn claim_head(
    conn: &mut Conn,
    tenant: TenantId,
    id: ClaimId,
) -> Result<(i64, [u8; 32]), StoreError> {
    let (version, hash) = claims::table
        .filter(claims::tenant_id.eq(tenant.0))
        .filter(claims::id.eq(id.0))
        .select((claims::version, claims::head_hash))
        .first::<(i64, Vec<u8>)>(conn)
        .await?;
    Ok((version, hash32(&hash)?))
}

/// One claim of the tenant with its invoices, the two SELECTs pipelined; `lock` takes the
/// row lock that serialises changes to this claim for the rest of the transaction.
pub async fn get_claim(
    conn: &mut Conn,
    tenant: TenantId,
    id: ClaimId,
    lock: bool,
) -> Result<Claim, StoreError> {
    let shared: &Conn = conn;
    let query = claims::table
        .filter(claims::tenant_id.eq(tenant.0))
        .filter(claims::id.eq(id.0))
        .select(ClaimRow::as_select());
    // The invoices are filtered on the tenant too, so they come back empty (never another
    // tenant's) when the claim is not this tenant's.
    let invoices = invoices::table
        .filter(invoices::claim_id.eq(id.0))
        .filter(invoices::tenant_id.eq(tenant.0))
        .order(invoices::position)
        .select(InvoiceRow::as_select())
        .load::<InvoiceRow>(&mut &*shared);
    let payments = payments::table
        .filter(payments::claim_id.eq(id.0))
        .filter(payments::tenant_id.eq(tenant.0))
        .order((payments::recorded_at, payments::recorded_seq, payments::id))
        .select(PaymentRow::as_select())
        .load::<PaymentRow>(&mut &*shared);
    let (row, invoice_rows, payment_rows) = if lock {
        futures::join!(
            query.for_update().first::<ClaimRow>(&mut &*shared),
            invoices,
            payments
        )
    } else {
        futures::join!(query.first::<ClaimRow>(&mut &*shared), invoices, payments)
    };
    row?.into_claim(invoice_rows?, payment_rows?)
}

/// Saves a claim's changed state (not its invoices, which never change) with the payments and
/// events of the change, the statements pipelined.
pub async fn save_claim_change(
    conn: &mut Conn,
    tenant: TenantId,
    c: &Claim,
    payments: &[&Payment],
    events: &[StoredEvent],
    limitation_deadline: Option<NaiveDate>,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let row = ClaimRow::new(tenant, c, limitation_deadline);
    let payment_rows: Vec<PaymentRow> = payments
        .iter()
        .map(|p| PaymentRow {
            id: p.id.0,
            tenant_id: tenant.0,
            claim_id: c.id.0,
            amount: p.amount.amount(),
            value_date: p.value_date,
            method: p.method.as_str().to_owned(),
            reference: p.reference.clone(),
            recorded_at: at,
            invoice_number: p.invoice_number.clone(),
            recorded_seq: c.version,
        })
        .collect();
    let event_rows = event_rows(tenant, events);
    let shared: &Conn = conn;
    let update = diesel::update(
        claims::table
            .filter(claims::tenant_id.eq(tenant.0))
            .filter(claims::id.eq(c.id.0)),
    )
    .set((
        claims::state.eq(row.state),
        claims::paid_total.eq(row.paid_total),
        claims::dispute.eq(row.dispute),
        claims::promise.eq(row.promise),
        claims::closure.eq(row.closure),
        claims::next_action_at.eq(row.next_action_at),
        claims::version.eq(row.version),
        claims::head_hash.eq(row.head_hash),
        claims::updated_at.eq(row.updated_at),
        claims::legal_facts.eq(row.legal_facts),
        claims::limitation_deadline.eq(row.limitation_deadline),
    ))
    .execute(&mut &*shared);
    let payments = insert_rows!(payments::table, payment_rows, shared);
    let events = insert_rows!(claim_events::table, event_rows, shared);
    let (updated, payments, events) = futures::join!(update, payments, events);
    if updated? == 0 {
        return Err(StoreError::NotFound);
    }
    payments?;
    events?;
    Ok(())
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = payments, check_for_backend(diesel::pg::Pg))]
#[diesel(treat_none_as_default_value = false)]
struct PaymentRow {
    id: Uuid,
    tenant_id: Uuid,
    claim_id: Uuid,
    amount: Decimal,
    value_date: NaiveDate,
    method: String,
    reference: String,
    recorded_at: DateTime<Utc>,
    invoice_number: Option<String>,
    recorded_seq: i64,
}

/// Filters of [`list_claims`]; `None` means any.
#[derive(Debug, Clone, Default)]
pub struct ClaimFilter {
    /// Only this state (stored name).
    pub state: Option<ClaimState>,
    /// Only this creditor.
    pub creditor_id: Option<CreditorId>,
    /// Only this debtor.
    pub debtor_id: Option<DebtorId>,
    /// Only claims whose next action is strictly before this.
    pub next_action_before: Option<DateTime<Utc>>,
}

/// A page of the tenant's claims after `after`, in id (creation) order, with their invoices
/// loaded in one more query.
pub async fn list_claims(
    conn: &mut Conn,
    tenant: TenantId,
    filter: &ClaimFilter,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<Claim>, StoreError> {
    let mut query = claims::table
        .filter(claims::tenant_id.eq(tenant.0))
        .into_boxed();
    if let Some(state) = filter.state {
        query = query.filter(claims::state.eq(state.as_str()));
    }
    if let Some(c) = filter.creditor_id {
        query = query.filter(claims::creditor_id.eq(c.0));
    }
    if let Some(d) = filter.debtor_id {
        query = query.filter(claims::debtor_id.eq(d.0));
    }
    if let Some(t) = filter.next_action_before {
        query = query.filter(claims::next_action_at.lt(t));
    }
    if let Some(after) = after {
        query = query.filter(claims::id.gt(after));
    }
    let rows = query
        .order(claims::id)
        .limit(limit)
        .select(ClaimRow::as_select())
        .load(conn)
        .await?;
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let mut all_invoices = invoices::table
        .filter(invoices::claim_id.eq_any(&ids))
        .order((invoices::claim_id, invoices::position))
        .select(InvoiceRow::as_select())
        .load(conn)
        .await?;
    let all_payments = payments::table
        .filter(payments::claim_id.eq_any(&ids))
        .filter(payments::tenant_id.eq(tenant.0))
        .order((
            payments::claim_id,
            payments::recorded_at,
            payments::recorded_seq,
            payments::id,
        ))
        .select(PaymentRow::as_select())
        .load(conn)
        .await?;
    let mut by_claim: std::collections::HashMap<Uuid, Vec<InvoiceRow>> =
        std::collections::HashMap::new();
    for inv in all_invoices.drain(..) {
        by_claim.entry(inv.claim_id).or_default().push(inv);
    }
    let mut payments_by_claim: std::collections::HashMap<Uuid, Vec<PaymentRow>> =
        std::collections::HashMap::new();
    for p in all_payments {
        payments_by_claim.entry(p.claim_id).or_default().push(p);
    }
    rows.into_iter()
        .map(|r| {
            let inv = by_claim.remove(&r.id).unwrap_or_default();
            let pay = payments_by_claim.remove(&r.id).unwrap_or_default();
            r.into_claim(inv, pay)
        })
        .collect()
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = claim_events, check_for_backend(diesel::pg::Pg))]
struct EventRow {
    claim_id: Uuid,
    seq: i64,
    tenant_id: Uuid,
    kind: String,
    occurred_at: DateTime<Utc>,
    actor: String,
    payload: Value,
    prev_hash: Vec<u8>,
    hash: Vec<u8>,
}

fn hash32(v: &[u8]) -> Result<[u8; 32], StoreError> {
    v.try_into()
        .map_err(|_| StoreError::Corrupt("event hash is not 32 bytes".into()))
}

impl EventRow {
    fn into_event(self) -> Result<StoredEvent, StoreError> {
        Ok(StoredEvent {
            claim_id: ClaimId(self.claim_id),
            seq: self.seq,
            kind: self.kind,
            occurred_at: self.occurred_at,
            actor: self.actor,
            payload: self.payload,
            prev_hash: hash32(&self.prev_hash)?,
            hash: hash32(&self.hash)?,
        })
    }
}

fn event_rows(tenant: TenantId, events: &[StoredEvent]) -> Vec<EventRow> {
    events
        .iter()
        .map(|e| EventRow {
            claim_id: e.claim_id.0,
            seq: e.seq,
            tenant_id: tenant.0,
            kind: e.kind.clone(),
            occurred_at: e.occurred_at,
            actor: e.actor.clone(),
            payload: e.payload.clone(),
            prev_hash: e.prev_hash.to_vec(),
            hash: e.hash.to_vec(),
        })
        .collect()
}

/// Events of the tenant's claim with `seq > after`, in order, at most `limit` (`None`: all).
pub async fn list_events(
    conn: &mut Conn,
    tenant: TenantId,
    claim: ClaimId,
    after: i64,
    limit: Option<i64>,
) -> Result<Vec<StoredEvent>, StoreError> {
    let mut query = claim_events::table
        .filter(claim_events::tenant_id.eq(tenant.0))
        .filter(claim_events::claim_id.eq(claim.0))
        .filter(claim_events::seq.gt(after))
        .order(claim_events::seq)
        .select(EventRow::as_select())
        .into_boxed();
    if let Some(limit) = limit {
        query = query.limit(limit);
    }
    query
        .load(conn)
        .await?
        .into_iter()
        .map(EventRow::into_event)
        .collect()
}
