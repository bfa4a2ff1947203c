//! JSON shapes of the `jsonb` columns, parsed back into domain values at this boundary.

use chrono::{DateTime, NaiveDate, Utc};
use recouvre_domain::identifiers::{CountryCode, PostalCode};
use recouvre_domain::statement::{
    FormalNoticeDelivery, Interruption, InterruptionCause, Judgment, LegalFacts, RecoveryCost,
};
use recouvre_domain::{Address, Closure, ClosureKind, Currency, Dispute, Money, Promise};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::StoreError;

#[derive(Serialize, Deserialize)]
struct AddressJson {
    lines: Vec<String>,
    postal_code: String,
    city: String,
    country: String,
}

pub(crate) fn address_to_json(a: &Address) -> Value {
    serde_json::to_value(AddressJson {
        lines: a.lines.clone(),
        postal_code: a.postal_code.as_str().to_owned(),
        city: a.city.clone(),
        country: a.country.as_str().to_owned(),
    })
    .unwrap_or(Value::Null)
}

pub(crate) fn address_from_json(v: Value) -> Result<Address, StoreError> {
    let a: AddressJson = serde_json::from_value(v).map_err(corrupt)?;
    let country = CountryCode::parse(&a.country).map_err(corrupt)?;
    let postal_code = PostalCode::parse(&country, &a.postal_code).map_err(corrupt)?;
    Ok(Address {
        lines: a.lines,
        postal_code,
        city: a.city,
        country,
    })
}

pub(crate) fn addresses_to_json(list: &[Address]) -> Value {
    Value::Array(list.iter().map(address_to_json).collect())
}

pub(crate) fn addresses_from_json(v: Value) -> Result<Vec<Address>, StoreError> {
    match v {
        Value::Array(items) => items.into_iter().map(address_from_json).collect(),
        other => Err(StoreError::Corrupt(format!(
            "expected an address list, got {other}"
        ))),
    }
}

pub(crate) fn strings_to_json<T: AsRef<str>>(list: &[T]) -> Value {
    Value::Array(
        list.iter()
            .map(|s| Value::String(s.as_ref().to_owned()))
            .collect(),
    )
}

pub(crate) fn strings_from_json(v: Value) -> Result<Vec<String>, StoreError> {
    serde_json::from_value(v).map_err(corrupt)
}

#[derive(Serialize, Deserialize)]
struct DisputeJson {
    reason: String,
    opened_at: DateTime<Utc>,
}

#[derive(Serialize, Deserialize)]
struct PromiseJson {
    amount: String,
    due_date: NaiveDate,
    paid: String,
    recorded_at: DateTime<Utc>,
}

#[derive(Serialize, Deserialize)]
struct ClosureJson {
    kind: String,
    reason: String,
    closed_at: DateTime<Utc>,
}

pub(crate) fn dispute_to_json(d: &Dispute) -> Value {
    serde_json::to_value(DisputeJson {
        reason: d.reason.clone(),
        opened_at: d.opened_at,
    })
    .unwrap_or(Value::Null)
}

pub(crate) fn dispute_from_json(v: Value) -> Result<Dispute, StoreError> {
    let d: DisputeJson = serde_json::from_value(v).map_err(corrupt)?;
    Ok(Dispute {
        reason: d.reason,
        opened_at: d.opened_at,
    })
}

pub(crate) fn promise_to_json(p: &Promise) -> Value {
    serde_json::to_value(PromiseJson {
        amount: p.amount.to_amount_string(),
        due_date: p.due_date,
        paid: p.paid.to_amount_string(),
        recorded_at: p.recorded_at,
    })
    .unwrap_or(Value::Null)
}

pub(crate) fn promise_from_json(v: Value, currency: Currency) -> Result<Promise, StoreError> {
    let p: PromiseJson = serde_json::from_value(v).map_err(corrupt)?;
    Ok(Promise {
        amount: Money::parse_in(&p.amount, currency).map_err(corrupt)?,
        due_date: p.due_date,
        paid: Money::parse_in(&p.paid, currency).map_err(corrupt)?,
        recorded_at: p.recorded_at,
    })
}

pub(crate) fn closure_to_json(c: &Closure) -> Value {
    serde_json::to_value(ClosureJson {
        kind: c.kind.as_str().to_owned(),
        reason: c.reason.clone(),
        closed_at: c.closed_at,
    })
    .unwrap_or(Value::Null)
}

pub(crate) fn closure_from_json(v: Value) -> Result<Closure, StoreError> {
    let c: ClosureJson = serde_json::from_value(v).map_err(corrupt)?;
    Ok(Closure {
        kind: ClosureKind::parse(&c.kind)
            .ok_or_else(|| StoreError::Corrupt(format!("closure kind {}", c.kind)))?,
        reason: c.reason,
        closed_at: c.closed_at,
    })
}

pub(crate) fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
struct LegalFactsJson {
    formal_notice: Option<FormalNoticeJson>,
    interest_start: Option<NaiveDate>,
    judgment: Option<JudgmentJson>,
    interruptions: Vec<InterruptionJson>,
    recovery_costs: Vec<RecoveryCostJson>,
    compound_interest: bool,
    interest_frozen_from: Option<NaiveDate>,
}

#[derive(Serialize, Deserialize)]
struct FormalNoticeJson {
    sent_on: NaiveDate,
    received_on: NaiveDate,
    tracking_number: String,
}

#[derive(Serialize, Deserialize)]
struct JudgmentJson {
    pronounced_on: NaiveDate,
    enforceable_on: Option<NaiveDate>,
    court: String,
    reference: String,
}

#[derive(Serialize, Deserialize)]
struct InterruptionJson {
    on: NaiveDate,
    cause: String,
    note: String,
}

#[derive(Serialize, Deserialize)]
struct RecoveryCostJson {
    invoice_number: String,
    amount: String,
    incurred_on: NaiveDate,
    proof: String,
}

pub(crate) fn legal_facts_to_json(f: &LegalFacts) -> Value {
    serde_json::to_value(LegalFactsJson {
        formal_notice: f.formal_notice.as_ref().map(|n| FormalNoticeJson {
            sent_on: n.sent_on,
            received_on: n.received_on,
            tracking_number: n.tracking_number.clone(),
        }),
        interest_start: f.interest_start,
        judgment: f.judgment.as_ref().map(|j| JudgmentJson {
            pronounced_on: j.pronounced_on,
            enforceable_on: j.enforceable_on,
            court: j.court.clone(),
            reference: j.reference.clone(),
        }),
        interruptions: f
            .interruptions
            .iter()
            .map(|i| InterruptionJson {
                on: i.on,
                cause: i.cause.as_str().to_owned(),
                note: i.note.clone(),
            })
            .collect(),
        recovery_costs: f
            .recovery_costs
            .iter()
            .map(|c| RecoveryCostJson {
                invoice_number: c.invoice_number.clone(),
                amount: c.amount.to_string(),
                incurred_on: c.incurred_on,
                proof: c.proof.clone(),
            })
            .collect(),
        compound_interest: f.compound_interest,
        interest_frozen_from: f.interest_frozen_from,
    })
    .unwrap_or(Value::Null)
}

pub(crate) fn legal_facts_from_json(v: Value) -> Result<LegalFacts, StoreError> {
    let f: LegalFactsJson = serde_json::from_value(v).map_err(corrupt)?;
    Ok(LegalFacts {
        formal_notice: f.formal_notice.map(|n| FormalNoticeDelivery {
            sent_on: n.sent_on,
            received_on: n.received_on,
            tracking_number: n.tracking_number,
        }),
        interest_start: f.interest_start,
        judgment: f.judgment.map(|j| Judgment {
            pronounced_on: j.pronounced_on,
            enforceable_on: j.enforceable_on,
            court: j.court,
            reference: j.reference,
        }),
        interruptions: f
            .interruptions
            .into_iter()
            .map(|i| {
                Ok(Interruption {
                    on: i.on,
                    cause: InterruptionCause::parse(&i.cause)
                        .ok_or_else(|| StoreError::Corrupt(format!("interruption {}", i.cause)))?,
                    note: i.note,
                })
            })
            .collect::<Result<_, StoreError>>()?,
        recovery_costs: f
            .recovery_costs
            .into_iter()
            .map(|c| {
                Ok(RecoveryCost {
                    invoice_number: c.invoice_number,
                    amount: c.amount.parse().map_err(corrupt)?,
                    incurred_on: c.incurred_on,
                    proof: c.proof,
                })
            })
            .collect::<Result<_, StoreError>>()?,
        compound_interest: f.compound_interest,
        interest_frozen_from: f.interest_frozen_from,
    })
}
