//! Claims, their invoices and payments, and the event timeline.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use recouvre_domain::statement::InterestRegime;
use recouvre_domain::terms::PaymentTerms;
use recouvre_domain::{
    Automation, Claim, ClaimId, ClaimState, CreditorId, Currency, DebtorId, Invoice, Money,
    Payment, PaymentId, PaymentMethod, PolicyId, StoredEvent, TenantId,
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
    policy_id: Option<Uuid>,
    next_step: i32,
    last_step_on: Option<NaiveDate>,
    planned_action_at: Option<DateTime<Utc>>,
    debtor_hold: Option<Value>,
    payment_plan: Option<Value>,
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
            policy_id: c.automation.policy_id.map(|p| p.0),
            next_step: i32::try_from(c.automation.next_step).unwrap_or(i32::MAX),
            last_step_on: c.automation.last_step_on,
            planned_action_at: c.automation.planned_at,
            debtor_hold: c
                .debtor_hold
                .as_ref()
                .map(recouvre_domain::proceedings::payload),
            payment_plan: c.plan.as_ref().map(recouvre_domain::plan::payload),
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
            plan: self
                .payment_plan
                .map(|v| {
                    recouvre_domain::plan::from_payload(&v)
                        .ok_or_else(|| StoreError::Corrupt(format!("payment plan {v}")))
                })
                .transpose()?,
            debtor_hold: self
                .debtor_hold
                .map(|v| {
                    recouvre_domain::proceedings::from_payload(&v)
                        .ok_or_else(|| StoreError::Corrupt(format!("debtor hold {v}")))
                })
                .transpose()?,
            next_action_at: self.next_action_at,
            automation: Automation {
                policy_id: self.policy_id.map(PolicyId),
                next_step: u32::try_from(self.next_step)
                    .map_err(|_| StoreError::Corrupt(format!("next step {}", self.next_step)))?,
                last_step_on: self.last_step_on,
                planned_at: self.planned_action_at,
            },
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
        claims::next_step.eq(row.next_step),
        claims::last_step_on.eq(row.last_step_on),
        claims::planned_action_at.eq(row.planned_action_at),
        claims::debtor_hold.eq(row.debtor_hold),
        claims::payment_plan.eq(row.payment_plan),
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
    /// Only open claims whose limitation deadline is on or before this day.
    pub limitation_before: Option<NaiveDate>,
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
    if let Some(d) = filter.limitation_before {
        query = query
            .filter(claims::limitation_deadline.le(d))
            .filter(claims::state.eq_any(["amicable", "formal_notice", "legal"]));
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

/// Locks up to `limit` claims whose next action is due at `as_of`, across tenants, soonest
/// first, skipping claims another worker holds (`FOR UPDATE SKIP LOCKED`), and loads them with
/// their invoices and payments in two more queries. The locks last until the caller's
/// transaction ends, so each due claim is worked by one worker at a time.
///
/// `only` restricts the batch to these claims (the scheduler retrying a failed batch claim by
/// claim). The ids locked are pushed to `locked` before the rows are parsed, so a caller whose
/// batch fails — a row that does not parse included — knows which claims it held.
pub async fn lock_due_claims(
    conn: &mut Conn,
    as_of: DateTime<Utc>,
    limit: i64,
    only: Option<&[Uuid]>,
    locked: &mut Vec<Uuid>,
) -> Result<Vec<(TenantId, Claim)>, StoreError> {
    let due = claims::table
        .filter(claims::next_action_at.le(as_of))
        .order(claims::next_action_at)
        .limit(limit)
        .select(ClaimRow::as_select())
        .for_update()
        .skip_locked();
    let rows = match only {
        None => due.load::<ClaimRow>(conn).await?,
        Some(ids) => {
            due.filter(claims::id.eq_any(ids))
                .load::<ClaimRow>(conn)
                .await?
        }
    };
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    locked.extend_from_slice(&ids);
    let shared: &Conn = conn;
    let invoices = invoices::table
        .filter(invoices::claim_id.eq_any(&ids))
        .order((invoices::claim_id, invoices::position))
        .select(InvoiceRow::as_select())
        .load::<InvoiceRow>(&mut &*shared);
    let payments = payments::table
        .filter(payments::claim_id.eq_any(&ids))
        .order((
            payments::claim_id,
            payments::recorded_at,
            payments::recorded_seq,
            payments::id,
        ))
        .select(PaymentRow::as_select())
        .load::<PaymentRow>(&mut &*shared);
    let (invoices, payments) = futures::join!(invoices, payments);
    let mut invoices_by: std::collections::HashMap<Uuid, Vec<InvoiceRow>> =
        std::collections::HashMap::new();
    for row in invoices? {
        invoices_by.entry(row.claim_id).or_default().push(row);
    }
    let mut payments_by: std::collections::HashMap<Uuid, Vec<PaymentRow>> =
        std::collections::HashMap::new();
    for row in payments? {
        payments_by.entry(row.claim_id).or_default().push(row);
    }
    rows.into_iter()
        .map(|row| {
            let tenant = TenantId(row.tenant_id);
            let invoices = invoices_by.remove(&row.id).unwrap_or_default();
            let payments = payments_by.remove(&row.id).unwrap_or_default();
            Ok((tenant, row.into_claim(invoices, payments)?))
        })
        .collect()
}

/// One claim's change made by the scheduler.
#[derive(Debug)]
pub struct ScheduledChange<'a> {
    /// Its tenant.
    pub tenant: TenantId,
    /// The claim after the pass.
    pub claim: &'a Claim,
    /// The sealed events of the pass.
    pub events: &'a [StoredEvent],
    /// The limitation deadline after it.
    pub limitation_deadline: Option<NaiveDate>,
}

/// Saves the scheduler's changes to many claims in two statements (one `UPDATE … FROM
/// unnest`, one `INSERT … SELECT unnest`). A pass changes only the stage, the promise, the
/// payment plan (a default) and the interest freeze it lifts, the schedule and the policy
/// position, with the chain head; those are the columns written.
pub async fn save_scheduled_changes(
    conn: &mut Conn,
    changes: &[ScheduledChange<'_>],
) -> Result<(), StoreError> {
    use diesel::sql_types::{
        Array, Bytea, Date, Int4, Int8, Jsonb, Nullable, Text, Timestamptz, Uuid as SqlUuid,
    };
    if changes.is_empty() {
        return Ok(());
    }
    let rows: Vec<ClaimRow> = changes
        .iter()
        .map(|c| ClaimRow::new(c.tenant, c.claim, c.limitation_deadline))
        .collect();
    let update = diesel::sql_query(
        "UPDATE claims SET state = u.state, promise = u.promise, next_action_at = u.next_action_at, \
         version = u.version, head_hash = u.head_hash, updated_at = u.updated_at, \
         next_step = u.next_step, last_step_on = u.last_step_on, \
         planned_action_at = u.planned_action_at, limitation_deadline = u.limitation_deadline, \
         payment_plan = u.payment_plan, legal_facts = u.legal_facts \
         FROM unnest($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) \
         AS u(id, tenant_id, state, promise, next_action_at, version, head_hash, updated_at, \
         next_step, last_step_on, planned_action_at, limitation_deadline, payment_plan, \
         legal_facts) \
         WHERE claims.id = u.id AND claims.tenant_id = u.tenant_id",
    )
    .bind::<Array<SqlUuid>, _>(rows.iter().map(|r| r.id).collect::<Vec<_>>())
    .bind::<Array<SqlUuid>, _>(rows.iter().map(|r| r.tenant_id).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(rows.iter().map(|r| r.state.clone()).collect::<Vec<_>>())
    .bind::<Array<Nullable<Jsonb>>, _>(rows.iter().map(|r| r.promise.clone()).collect::<Vec<_>>())
    .bind::<Array<Nullable<Timestamptz>>, _>(
        rows.iter().map(|r| r.next_action_at).collect::<Vec<_>>(),
    )
    .bind::<Array<Int8>, _>(rows.iter().map(|r| r.version).collect::<Vec<_>>())
    .bind::<Array<Bytea>, _>(rows.iter().map(|r| r.head_hash.clone()).collect::<Vec<_>>())
    .bind::<Array<Timestamptz>, _>(rows.iter().map(|r| r.updated_at).collect::<Vec<_>>())
    .bind::<Array<Int4>, _>(rows.iter().map(|r| r.next_step).collect::<Vec<_>>())
    .bind::<Array<Nullable<Date>>, _>(rows.iter().map(|r| r.last_step_on).collect::<Vec<_>>())
    .bind::<Array<Nullable<Timestamptz>>, _>(
        rows.iter().map(|r| r.planned_action_at).collect::<Vec<_>>(),
    )
    .bind::<Array<Nullable<Date>>, _>(
        rows.iter()
            .map(|r| r.limitation_deadline)
            .collect::<Vec<_>>(),
    )
    .bind::<Array<Nullable<Jsonb>>, _>(
        rows.iter()
            .map(|r| r.payment_plan.clone())
            .collect::<Vec<_>>(),
    )
    .bind::<Array<Jsonb>, _>(rows.iter().map(|r| r.legal_facts.clone()).collect::<Vec<_>>());
    let events: Vec<(Uuid, &StoredEvent)> = changes
        .iter()
        .flat_map(|c| c.events.iter().map(move |e| (c.tenant.0, e)))
        .collect();
    let insert = diesel::sql_query(
        "INSERT INTO claim_events (claim_id, seq, tenant_id, kind, occurred_at, actor, payload, \
         prev_hash, hash) SELECT * FROM unnest($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind::<Array<SqlUuid>, _>(events.iter().map(|(_, e)| e.claim_id.0).collect::<Vec<_>>())
    .bind::<Array<Int8>, _>(events.iter().map(|(_, e)| e.seq).collect::<Vec<_>>())
    .bind::<Array<SqlUuid>, _>(events.iter().map(|(t, _)| *t).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(
        events
            .iter()
            .map(|(_, e)| e.kind.clone())
            .collect::<Vec<_>>(),
    )
    .bind::<Array<Timestamptz>, _>(
        events
            .iter()
            .map(|(_, e)| e.occurred_at)
            .collect::<Vec<_>>(),
    )
    .bind::<Array<Text>, _>(
        events
            .iter()
            .map(|(_, e)| e.actor.clone())
            .collect::<Vec<_>>(),
    )
    .bind::<Array<Jsonb>, _>(
        events
            .iter()
            .map(|(_, e)| e.payload.clone())
            .collect::<Vec<_>>(),
    )
    .bind::<Array<Bytea>, _>(
        events
            .iter()
            .map(|(_, e)| e.prev_hash.to_vec())
            .collect::<Vec<_>>(),
    )
    .bind::<Array<Bytea>, _>(
        events
            .iter()
            .map(|(_, e)| e.hash.to_vec())
            .collect::<Vec<_>>(),
    );
    let shared: &Conn = conn;
    let (updated, inserted) = futures::join!(update.execute(&mut &*shared), async {
        if events.is_empty() {
            Ok(0)
        } else {
            insert.execute(&mut &*shared).await
        }
    });
    if updated? != changes.len() {
        return Err(StoreError::NotFound);
    }
    inserted?;
    Ok(())
}

/// Where a reader of the event stream stands: after this (transaction, claim, sequence).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StreamCursor {
    /// The writing transaction's id (`xid8` as a number).
    pub txid: i64,
    /// The claim.
    pub claim_id: Uuid,
    /// The event's sequence in its claim.
    pub seq: i64,
}

#[derive(QueryableByName)]
struct StreamRow {
    #[diesel(sql_type = diesel::sql_types::Int8)]
    txid: i64,
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    claim_id: Uuid,
    #[diesel(sql_type = diesel::sql_types::Int8)]
    seq: i64,
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    tenant_id: Uuid,
    #[diesel(sql_type = diesel::sql_types::Text)]
    kind: String,
    #[diesel(sql_type = diesel::sql_types::Timestamptz)]
    occurred_at: DateTime<Utc>,
    #[diesel(sql_type = diesel::sql_types::Text)]
    actor: String,
    #[diesel(sql_type = diesel::sql_types::Jsonb)]
    payload: Value,
    #[diesel(sql_type = diesel::sql_types::Bytea)]
    prev_hash: Vec<u8>,
    #[diesel(sql_type = diesel::sql_types::Bytea)]
    hash: Vec<u8>,
}

/// The tenant's events after `after`, in stream order, at most `limit`; only those written by
/// transactions older than any still running, so that no event can later appear before the
/// cursor. `claim`: only that claim's.
pub async fn stream_events(
    conn: &mut Conn,
    tenant: TenantId,
    after: StreamCursor,
    claim: Option<ClaimId>,
    limit: i64,
) -> Result<Vec<(StreamCursor, StoredEvent)>, StoreError> {
    use diesel::sql_types::{Int8, Nullable, Uuid as SqlUuid};
    let rows: Vec<StreamRow> = diesel::sql_query(
        "SELECT txid::text::bigint AS txid, claim_id, seq, tenant_id, kind, occurred_at, actor, \
         payload, prev_hash, hash FROM claim_events \
         WHERE tenant_id = $1 AND txid < pg_snapshot_xmin(pg_current_snapshot()) \
         AND (txid, claim_id, seq) > ($2::text::xid8, $3, $4) \
         AND ($5::uuid IS NULL OR claim_id = $5) \
         ORDER BY txid, claim_id, seq LIMIT $6",
    )
    .bind::<SqlUuid, _>(tenant.0)
    .bind::<Int8, _>(after.txid)
    .bind::<SqlUuid, _>(after.claim_id)
    .bind::<Int8, _>(after.seq)
    .bind::<Nullable<SqlUuid>, _>(claim.map(|c| c.0))
    .bind::<Int8, _>(limit)
    .load(conn)
    .await?;
    rows.into_iter()
        .map(|r| {
            let cursor = StreamCursor {
                txid: r.txid,
                claim_id: r.claim_id,
                seq: r.seq,
            };
            let event = EventRow {
                claim_id: r.claim_id,
                seq: r.seq,
                tenant_id: r.tenant_id,
                kind: r.kind,
                occurred_at: r.occurred_at,
                actor: r.actor,
                payload: r.payload,
                prev_hash: r.prev_hash,
                hash: r.hash,
            }
            .into_event()?;
            Ok((cursor, event))
        })
        .collect()
}
