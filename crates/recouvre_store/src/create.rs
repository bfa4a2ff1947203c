//! CreateClaim as one statement: the claim, its invoices, its first events and the request-id
//! ledger row are written by a single `WITH … INSERT` statement — atomic on its own, so no
//! `BEGIN`/`COMMIT`, and one round trip instead of four. Its text never varies (invoices and
//! events go in as arrays through `unnest`), so Diesel prepares it once per connection.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::pg::Pg;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::sql_types::{
    Array, Bytea, Date, Int4, Int8, Jsonb, Nullable, Numeric, Text, Timestamptz, Uuid as SqlUuid,
};
use diesel_async::RunQueryDsl;
use recouvre_domain::{Claim, StoredEvent, TenantId};
use rust_decimal::Decimal;
use serde_json::Value;
use uuid::Uuid;

use crate::{Conn, StoreError};

/// The request-id ledger row written with the claim.
#[derive(Debug, Clone)]
pub struct LedgerEntry<'a> {
    /// The client's request id.
    pub request_id: &'a str,
    /// The gRPC method.
    pub method: &'a str,
    /// Hash of the request content.
    pub request_hash: &'a [u8],
    /// The encoded response, replayed to retries.
    pub response: &'a [u8],
}

struct CreateClaimStatement {
    id: Uuid,
    tenant_id: Uuid,
    creditor_id: Uuid,
    debtor_id: Uuid,
    external_reference: String,
    currency: String,
    state: String,
    principal_total: Decimal,
    paid_total: Decimal,
    next_action_at: Option<DateTime<Utc>>,
    version: i64,
    head_hash: Vec<u8>,
    created_at: DateTime<Utc>,
    interest_regime: String,
    legal_facts: Value,
    limitation_deadline: Option<NaiveDate>,
    policy_id: Option<Uuid>,
    planned_action_at: Option<DateTime<Utc>>,
    debtor_hold: Option<Value>,
    invoice_position: Vec<i32>,
    invoice_number: Vec<String>,
    invoice_issue_date: Vec<NaiveDate>,
    invoice_completion_date: Vec<Option<NaiveDate>>,
    invoice_due_date: Vec<NaiveDate>,
    invoice_amount: Vec<Decimal>,
    invoice_terms: Vec<Option<String>>,
    invoice_terms_days: Vec<Option<i32>>,
    invoice_contractual_rate: Vec<Option<Decimal>>,
    event_seq: Vec<i64>,
    event_kind: Vec<String>,
    event_occurred_at: Vec<DateTime<Utc>>,
    event_actor: Vec<String>,
    event_payload: Vec<Value>,
    event_prev_hash: Vec<Vec<u8>>,
    event_hash: Vec<Vec<u8>>,
    request_id: String,
    method: String,
    request_hash: Vec<u8>,
    response: Vec<u8>,
}

impl QueryId for CreateClaimStatement {
    type QueryId = CreateClaimStatement;
    // The SQL text is the same for every value: safe to prepare once and cache.
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl QueryFragment<Pg> for CreateClaimStatement {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> diesel::QueryResult<()> {
        out.push_sql(
            "WITH claim AS (INSERT INTO claims (id, tenant_id, creditor_id, debtor_id, \
             external_reference, currency, state, principal_total, paid_total, next_action_at, \
             version, head_hash, created_at, updated_at, interest_regime, legal_facts, \
             limitation_deadline, policy_id, next_step, planned_action_at, debtor_hold) VALUES (",
        );
        out.push_bind_param::<SqlUuid, _>(&self.id)?;
        out.push_sql(", ");
        out.push_bind_param::<SqlUuid, _>(&self.tenant_id)?;
        out.push_sql(", ");
        out.push_bind_param::<SqlUuid, _>(&self.creditor_id)?;
        out.push_sql(", ");
        out.push_bind_param::<SqlUuid, _>(&self.debtor_id)?;
        out.push_sql(", ");
        out.push_bind_param::<Text, _>(&self.external_reference)?;
        out.push_sql(", ");
        out.push_bind_param::<Text, _>(&self.currency)?;
        out.push_sql(", ");
        out.push_bind_param::<Text, _>(&self.state)?;
        out.push_sql(", ");
        out.push_bind_param::<Numeric, _>(&self.principal_total)?;
        out.push_sql(", ");
        out.push_bind_param::<Numeric, _>(&self.paid_total)?;
        out.push_sql(", ");
        out.push_bind_param::<Nullable<Timestamptz>, _>(&self.next_action_at)?;
        out.push_sql(", ");
        out.push_bind_param::<Int8, _>(&self.version)?;
        out.push_sql(", ");
        out.push_bind_param::<Bytea, _>(&self.head_hash)?;
        out.push_sql(", ");
        out.push_bind_param::<Timestamptz, _>(&self.created_at)?;
        out.push_sql(", ");
        out.push_bind_param::<Timestamptz, _>(&self.created_at)?;
        out.push_sql(", ");
        out.push_bind_param::<Text, _>(&self.interest_regime)?;
        out.push_sql(", ");
        out.push_bind_param::<Jsonb, _>(&self.legal_facts)?;
        out.push_sql(", ");
        out.push_bind_param::<Nullable<Date>, _>(&self.limitation_deadline)?;
        out.push_sql(", ");
        out.push_bind_param::<Nullable<SqlUuid>, _>(&self.policy_id)?;
        out.push_sql(", 0, ");
        out.push_bind_param::<Nullable<Timestamptz>, _>(&self.planned_action_at)?;
        out.push_sql(", ");
        out.push_bind_param::<Nullable<Jsonb>, _>(&self.debtor_hold)?;
        out.push_sql(
            ") RETURNING id, tenant_id), \
             invoice AS (INSERT INTO invoices (claim_id, position, tenant_id, number, issue_date, \
             service_completion_date, due_date, amount, payment_terms, payment_terms_days, \
             contractual_rate) \
             SELECT claim.id, i.position, claim.tenant_id, i.number, i.issue_date, \
             i.service_completion_date, i.due_date, i.amount, i.payment_terms, \
             i.payment_terms_days, i.contractual_rate FROM claim, unnest(",
        );
        out.push_bind_param::<Array<Int4>, _>(&self.invoice_position)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&self.invoice_number)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Date>, _>(&self.invoice_issue_date)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<Date>>, _>(&self.invoice_completion_date)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Date>, _>(&self.invoice_due_date)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Numeric>, _>(&self.invoice_amount)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<Text>>, _>(&self.invoice_terms)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<Int4>>, _>(&self.invoice_terms_days)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<Numeric>>, _>(&self.invoice_contractual_rate)?;
        out.push_sql(
            ") AS i(position, number, issue_date, service_completion_date, due_date, amount, \
             payment_terms, payment_terms_days, contractual_rate)), \
             event AS (INSERT INTO claim_events (claim_id, seq, tenant_id, kind, occurred_at, \
             actor, payload, prev_hash, hash) \
             SELECT claim.id, e.seq, claim.tenant_id, e.kind, e.occurred_at, e.actor, e.payload, \
             e.prev_hash, e.hash FROM claim, unnest(",
        );
        out.push_bind_param::<Array<Int8>, _>(&self.event_seq)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&self.event_kind)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Timestamptz>, _>(&self.event_occurred_at)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&self.event_actor)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Jsonb>, _>(&self.event_payload)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Bytea>, _>(&self.event_prev_hash)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Bytea>, _>(&self.event_hash)?;
        out.push_sql(
            ") AS e(seq, kind, occurred_at, actor, payload, prev_hash, hash)) \
             INSERT INTO idempotency_keys (tenant_id, request_id, method, request_hash, response, \
             created_at) SELECT claim.tenant_id, ",
        );
        out.push_bind_param::<Text, _>(&self.request_id)?;
        out.push_sql(", ");
        out.push_bind_param::<Text, _>(&self.method)?;
        out.push_sql(", ");
        out.push_bind_param::<Bytea, _>(&self.request_hash)?;
        out.push_sql(", ");
        out.push_bind_param::<Bytea, _>(&self.response)?;
        out.push_sql(", ");
        out.push_bind_param::<Timestamptz, _>(&self.created_at)?;
        out.push_sql(" FROM claim");
        Ok(())
    }
}

/// Writes a new claim, its invoices, its sealed events and the ledger row in one statement.
///
/// Refusals come back as the constraint that fired: `AlreadyExists("idempotency_keys_pkey")`
/// (the request id is taken: a retry), `AlreadyExists("claims_external_reference_unique")`,
/// `MissingReference("claims_creditor_fk" | "claims_debtor_fk")` (not in this tenant).
pub async fn create_claim(
    conn: &mut Conn,
    tenant: TenantId,
    claim: &Claim,
    events: &[StoredEvent],
    limitation_deadline: Option<NaiveDate>,
    ledger: &LedgerEntry<'_>,
) -> Result<(), StoreError> {
    let statement = CreateClaimStatement {
        id: claim.id.0,
        tenant_id: tenant.0,
        creditor_id: claim.creditor_id.0,
        debtor_id: claim.debtor_id.0,
        external_reference: claim.external_reference.clone(),
        currency: claim.currency.code().to_owned(),
        state: claim.state.as_str().to_owned(),
        principal_total: claim.principal_total.amount(),
        paid_total: claim.paid_total.amount(),
        next_action_at: claim.next_action_at,
        version: claim.version,
        head_hash: claim.head_hash.to_vec(),
        created_at: claim.created_at,
        interest_regime: claim.regime.as_str().to_owned(),
        legal_facts: crate::json::legal_facts_to_json(&claim.legal),
        limitation_deadline,
        policy_id: claim.automation.policy_id.map(|p| p.0),
        planned_action_at: claim.automation.planned_at,
        debtor_hold: claim
            .debtor_hold
            .as_ref()
            .map(recouvre_domain::proceedings::payload),
        invoice_position: (0..claim.invoices.len() as i32).collect(),
        invoice_number: claim.invoices.iter().map(|i| i.number.clone()).collect(),
        invoice_issue_date: claim.invoices.iter().map(|i| i.issue_date).collect(),
        invoice_completion_date: claim
            .invoices
            .iter()
            .map(|i| i.service_completion_date)
            .collect(),
        invoice_due_date: claim.invoices.iter().map(|i| i.due_date).collect(),
        invoice_amount: claim.invoices.iter().map(|i| i.amount.amount()).collect(),
        invoice_terms: claim
            .invoices
            .iter()
            .map(|i| i.payment_terms.map(|t| t.kind_str().to_owned()))
            .collect(),
        invoice_terms_days: claim
            .invoices
            .iter()
            .map(|i| i.payment_terms.and_then(|t| t.days()).map(i32::from))
            .collect(),
        invoice_contractual_rate: claim.invoices.iter().map(|i| i.contractual_rate).collect(),
        event_seq: events.iter().map(|e| e.seq).collect(),
        event_kind: events.iter().map(|e| e.kind.clone()).collect(),
        event_occurred_at: events.iter().map(|e| e.occurred_at).collect(),
        event_actor: events.iter().map(|e| e.actor.clone()).collect(),
        event_payload: events.iter().map(|e| e.payload.clone()).collect(),
        event_prev_hash: events.iter().map(|e| e.prev_hash.to_vec()).collect(),
        event_hash: events.iter().map(|e| e.hash.to_vec()).collect(),
        request_id: ledger.request_id.to_owned(),
        method: ledger.method.to_owned(),
        request_hash: ledger.request_hash.to_vec(),
        response: ledger.response.to_vec(),
    };
    statement.execute(conn).await?;
    Ok(())
}
