//! Reference rates: read by anyone, set by the operator (they are the law's figures and every
//! tenant shares them).

use std::sync::Arc;

use recouvre_domain::Role;
use recouvre_domain::claim::{FieldViolation, text_problem};
use recouvre_domain::rates::{EcbRate, LegalRate, RateTable, rate_problem};

use super::{App, AppError, Mutation, Principal};

fn check_source(field: &str, source: &str, out: &mut Vec<FieldViolation>) {
    if let Some(problem) = text_problem(source) {
        out.push(FieldViolation::new(field, problem));
    } else if source.trim().is_empty() {
        out.push(FieldViolation::new(
            field,
            "must name where the figure comes from (arrêté, ECB decision, URL)",
        ));
    } else if source.chars().count() > 2000 {
        out.push(FieldViolation::new(
            field,
            "must be at most 2000 characters",
        ));
    }
}

/// Why an ECB row cannot be stored, field by field (paths under `rate.`).
pub fn ecb_violations(rate: &EcbRate) -> Vec<FieldViolation> {
    let mut out = Vec::new();
    if let Some(problem) = rate_problem(rate.rate) {
        out.push(FieldViolation::new("rate.rate", problem));
    }
    check_source("rate.source", &rate.source, &mut out);
    out
}

/// Why a legal-rate row cannot be stored, field by field (paths under `rate.`).
pub fn legal_violations(rate: &LegalRate) -> Vec<FieldViolation> {
    let mut out = Vec::new();
    for (field, value) in [
        ("rate.individual_rate", rate.individual),
        ("rate.other_rate", rate.other),
    ] {
        if let Some(problem) = rate_problem(value) {
            out.push(FieldViolation::new(field, problem));
        }
    }
    check_source("rate.source", &rate.source, &mut out);
    out
}

impl App {
    /// Both tables (any role).
    pub async fn list_rates(&self, p: &Principal) -> Result<Arc<RateTable>, AppError> {
        p.require(Role::Legal)?;
        self.rates().await
    }

    /// Adds or corrects an ECB row (`Role::Operator`).
    pub async fn set_ecb_rate<R: prost::Message + Default>(
        &self,
        p: &Principal,
        m: &Mutation,
        rate: EcbRate,
        render: impl FnOnce(&EcbRate) -> R,
    ) -> Result<R, AppError> {
        p.require(Role::Operator)?;
        let violations = ecb_violations(&rate);
        if !violations.is_empty() {
            return Err(AppError::Invalid(violations));
        }
        let result = self
            .in_transaction(p, m, async |conn, now| {
                recouvre_store::rates::upsert_ecb_rate(conn, &rate, now.at).await?;
                Ok(render(&rate))
            })
            .await;
        self.rates.invalidate().await;
        result
    }

    /// Adds or corrects a semester's legal rates (`Role::Operator`).
    pub async fn set_legal_rate<R: prost::Message + Default>(
        &self,
        p: &Principal,
        m: &Mutation,
        rate: LegalRate,
        render: impl FnOnce(&LegalRate) -> R,
    ) -> Result<R, AppError> {
        p.require(Role::Operator)?;
        let violations = legal_violations(&rate);
        if !violations.is_empty() {
            return Err(AppError::Invalid(violations));
        }
        let result = self
            .in_transaction(p, m, async |conn, now| {
                recouvre_store::rates::upsert_legal_rate(conn, &rate, now.at).await?;
                Ok(render(&rate))
            })
            .await;
        self.rates.invalidate().await;
        result
    }
}
