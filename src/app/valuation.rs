//! What the statement engine says of a claim today: the amount owed, the limitation deadline,
//! and the facts the lifecycle transitions need (overpayment, close as paid, legal action).

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use recouvre_domain::rates::{RateError, RateTable};
use recouvre_domain::statement::{
    Conventions, Statement, conservative_limitation_deadline, statement,
};
use recouvre_domain::{Claim, ClaimState, Money, Payment, Settlement};
use rust_decimal::Decimal;
use tokio::sync::RwLock;

use super::AppError;

/// How long a replica trusts its copy of the rate tables: a rate set on another replica (or
/// with `recouvre admin set-rate`) is used everywhere within this delay; a rate set through
/// this replica's API at once.
const RATES_TTL: Duration = Duration::from_secs(30);

/// The rate tables, loaded from the database and kept for [`RATES_TTL`].
#[derive(Default)]
pub struct RateCache {
    current: RwLock<Option<(Instant, Arc<RateTable>)>>,
}

impl RateCache {
    /// The cached tables, if still fresh.
    pub async fn fresh(&self) -> Option<Arc<RateTable>> {
        let guard = self.current.read().await;
        guard
            .as_ref()
            .filter(|(at, _)| at.elapsed() < RATES_TTL)
            .map(|(_, table)| Arc::clone(table))
    }

    /// Keeps `table` as the current tables.
    pub async fn store(&self, table: RateTable) -> Arc<RateTable> {
        let table = Arc::new(table);
        *self.current.write().await = Some((Instant::now(), Arc::clone(&table)));
        table
    }

    /// Forgets the tables: the next use reloads them.
    pub async fn invalidate(&self) {
        *self.current.write().await = None;
    }
}

/// A claim's standing today.
#[derive(Debug, Clone)]
pub struct Valuation {
    /// The date.
    pub as_of: NaiveDate,
    /// The statement, when every rate it needs is published.
    pub statement: Result<Statement, RateError>,
    /// The earliest limitation deadline of an invoice still owing: the statement's, else the
    /// conservative one.
    pub limitation_deadline: Option<NaiveDate>,
    /// When today's statement cannot be computed, the statement as of the last payment's
    /// value date, if that one can: a payment's imputation depends only on what happened up
    /// to its value date, so it is final even while a later semester's rate is missing.
    pub payments_statement: Option<Statement>,
}

impl Valuation {
    /// The statement the payments' imputations come from, if any.
    pub fn imputations(&self) -> Option<&Statement> {
        self.statement
            .as_ref()
            .ok()
            .or(self.payments_statement.as_ref())
    }

    /// Everything owed, when known.
    pub fn owed(&self, claim: &Claim) -> Result<Money, RateError> {
        match &self.statement {
            Ok(s) => Ok(money(s.totals.owed, claim)),
            Err(e) => Err(*e),
        }
    }
}

fn money(amount: Decimal, claim: &Claim) -> Money {
    // The engine's amounts are sums of values already at the currency's precision.
    Money::new(amount.max(Decimal::ZERO), claim.currency).unwrap_or(Money::zero(claim.currency))
}

/// Values `claim` on `today`.
pub fn value(claim: &Claim, rates: &RateTable, today: NaiveDate) -> Valuation {
    let today_statement = statement(
        claim.statement_input(),
        rates,
        today,
        Conventions::default(),
    );
    let limitation_deadline = match &today_statement {
        Ok(s) => s.next_limitation_deadline,
        // Interest may still be owed when the principal is paid: only a closed claim has no
        // deadline to watch.
        Err(_) => conservative_limitation_deadline(
            claim.statement_input(),
            matches!(claim.state, ClaimState::Closed(_)),
            today,
        ),
    };
    let payments_statement = match (
        &today_statement,
        claim.payments.iter().map(|p| p.value_date).max(),
    ) {
        (Err(_), Some(last)) if last <= today => {
            statement(claim.statement_input(), rates, last, Conventions::default()).ok()
        }
        _ => None,
    };
    Valuation {
        as_of: today,
        statement: today_statement,
        limitation_deadline,
        payments_statement,
    }
}

/// What imputing `payment` on `claim` does, for [`Claim::record_payment`].
pub fn settlement(
    claim: &Claim,
    payment: &Payment,
    rates: &RateTable,
    today: NaiveDate,
) -> Settlement {
    let before = value(claim, rates, today);
    let mut input = claim.statement_input();
    let mut payments = claim.payments.clone();
    payments.push(payment.clone());
    input.payments = &payments;
    let after = statement(input, rates, today, Conventions::default());
    match (before.statement, after) {
        (Ok(before), Ok(after)) => Settlement::Imputed {
            owed_before: money(before.totals.owed, claim),
            owed_after: money(after.totals.owed, claim),
            excess: money(after.totals.unapplied, claim),
        },
        (Err(e), _) | (_, Err(e)) => Settlement::Unpriced(e),
    }
}

impl super::App {
    /// The rate tables: cached, reloaded after [`RATES_TTL`].
    pub async fn rates(&self) -> Result<Arc<RateTable>, AppError> {
        if let Some(table) = self.rates.fresh().await {
            return Ok(table);
        }
        let mut conn = self.conn().await?;
        let table = recouvre_store::rates::load_rates(&mut conn).await?;
        Ok(self.rates.store(table).await)
    }
}
