//! Payment plans (échéancier): the schedule of instalments (échéances) agreed with a debtor.
//!
//! A plan is proposed for what is owed on the day, agreed, paid instalment by instalment, and
//! ends completed, defaulted or cancelled; a missed instalment past its grace period defaults
//! the plan and escalation resumes where the claim stood (PRODUCT.md §3–§4). This module is the
//! arithmetic of that: which schedules are acceptable, how an amount splits into equal
//! instalments, how payments cover instalments, and when one counts as missed. Moving a claim
//! between states is the claim's business, not this module's.
//!
//! Invariants of a valid plan, all checked at once by [`plan_violations`]:
//! - 1 to [`MAX_INSTALMENTS`] instalments, each strictly positive and in the currency owed;
//! - due dates strictly increasing, the first on or after the proposal date and none later than
//!   [`MAX_PLAN_MONTHS`] months after it;
//! - the instalments sum exactly to the amount owed, which becomes the plan's `total`;
//! - a grace period of at most [`MAX_GRACE_DAYS`] days.
//!
//! Amounts are [`Money`] throughout, never floats; the only rounding is the split documented on
//! [`equal_instalments`]. The queries on [`PaymentPlan`] never panic and never fail, even on a
//! plan that breaks these invariants (a row edited by hand, say): an instalment in another
//! currency than the payments counts as unpaid, and a date too far to compute saturates at
//! [`NaiveDate::MAX`]. They only subtract amounts no larger than what they subtract from, so
//! nothing can overflow. Like the rest of the crate, nothing here reads the clock: `today` is a
//! parameter.

use chrono::{Days, Months, NaiveDate};
use rust_decimal::Decimal;

use crate::claim::FieldViolation;
use crate::money::Money;

/// The most instalments a plan may have.
///
/// Enough for monthly instalments over the whole [`MAX_PLAN_MONTHS`] (37 at most) and for
/// fortnightly ones over two years (53), while bounding what one request may send and one plan
/// may store. Weekly plans are thereby limited to about fourteen months.
pub const MAX_INSTALMENTS: usize = 60;

/// The longest grace period, in days after an instalment's due date, before it counts as missed.
///
/// About a month at most: with a grace longer than the interval between two monthly
/// instalments, a debtor could stay a whole instalment behind for good without the plan ever
/// defaulting, each payment covering the oldest instalment (C. civ. art. 1342-10) just before
/// its grace ran out. A debtor who needs more time needs another schedule.
pub const MAX_GRACE_DAYS: u32 = 30;

/// The latest an instalment may fall due, in months after the day the plan is proposed.
///
/// A judge may defer or stagger payment of a debt over at most two years (C. civ. art. 1343-5).
/// A plan agreed amicably is a contract and is not bound by that limit, but Recouvre caps it at
/// 36 months as a house rule: longer plans seldom complete, and they keep a claim out of
/// escalation while the evidence and the debtor's solvency age.
pub const MAX_PLAN_MONTHS: u32 = 36;

/// The field [`equal_instalments`] reports a bad count on.
const COUNT_FIELD: &str = "instalment_count";

/// One instalment (échéance): an amount due on a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Instalment {
    /// The day it is due.
    pub due_date: NaiveDate,
    /// The amount due; strictly positive in a valid plan.
    pub amount: Money,
}

/// Where a plan stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanStatus {
    /// Offered to the debtor, not yet agreed.
    Proposed,
    /// Agreed and running: escalation waits while instalments are met.
    Active,
    /// Every instalment paid; terminal.
    Completed,
    /// An instalment was missed past its grace period; terminal, escalation resumes.
    Defaulted,
    /// Withdrawn or replaced before completion; terminal.
    Cancelled,
}

impl PlanStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            PlanStatus::Proposed => "proposed",
            PlanStatus::Active => "active",
            PlanStatus::Completed => "completed",
            PlanStatus::Defaulted => "defaulted",
            PlanStatus::Cancelled => "cancelled",
        }
    }

    /// Parses the stored name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "proposed" => Some(PlanStatus::Proposed),
            "active" => Some(PlanStatus::Active),
            "completed" => Some(PlanStatus::Completed),
            "defaulted" => Some(PlanStatus::Defaulted),
            "cancelled" => Some(PlanStatus::Cancelled),
            _ => None,
        }
    }
}

/// A payment plan (échéancier) agreed, or offered, to a debtor.
///
/// The fields are public so that the store can rebuild a plan from its row; a new plan comes
/// from [`PaymentPlan::propose`], which checks it. The queries below assume the invariants of
/// the module documentation and stay total when they do not hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentPlan {
    /// The instalments, in strictly increasing due-date order.
    pub instalments: Vec<Instalment>,
    /// Days after an instalment's due date before it counts as missed.
    pub grace_days: u32,
    /// The sum of the instalments: what was owed when the plan was proposed.
    pub total: Money,
    /// Where the plan stands.
    pub status: PlanStatus,
    /// The day the plan was proposed.
    pub proposed_on: NaiveDate,
    /// The day the debtor agreed to it, once agreed.
    pub agreed_on: Option<NaiveDate>,
    /// Amount paid towards the plan (payments valued on or after `proposed_on`), filled by the
    /// caller.
    pub paid: Money,
}

/// How much of one instalment the payments cover.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Coverage {
    /// The part of the instalment paid.
    pub covered: Money,
    /// The part still owed: the instalment's amount less `covered`.
    pub outstanding: Money,
    /// Whether nothing of the instalment is still owed.
    pub fully_covered: bool,
}

/// Checks a proposed schedule against the invariants of the module documentation, for a plan
/// proposed on `today` for `owed`; returns every violation at once, empty when it is valid.
///
/// Paths name the request fields: `instalments`, `instalments[2].due_date`,
/// `instalments[0].amount.amount`, `instalments[0].amount.currency_code`, `grace_days`. A sum
/// that misses `owed` is reported on `instalments` with both amounts and the difference; it is
/// not reported when an instalment is in another currency, since the sum then means nothing.
pub fn plan_violations(
    instalments: &[Instalment],
    grace_days: u32,
    owed: Money,
    today: NaiveDate,
) -> Vec<FieldViolation> {
    let mut violations = Vec::new();
    let currency = owed.currency();
    if instalments.is_empty() {
        violations.push(FieldViolation::new(
            "instalments",
            "at least one instalment is required",
        ));
    } else if instalments.len() > MAX_INSTALMENTS {
        violations.push(FieldViolation::new(
            "instalments",
            format!("at most {MAX_INSTALMENTS} instalments per plan"),
        ));
    }
    // `None` only for a `today` within three years of the end of the calendar: no cap then.
    let latest = today.checked_add_months(Months::new(MAX_PLAN_MONTHS));
    // Every amount is below 10^15, so the sum only fails when it reaches 10^15: far more than
    // anything owed, and reported as such below.
    let mut sum = Ok(Money::zero(currency));
    let mut one_currency = true;
    for (i, instalment) in instalments.iter().enumerate() {
        let path = |f: &str| format!("instalments[{i}].{f}");
        let due = instalment.due_date;
        if due < today {
            violations.push(FieldViolation::new(
                path("due_date"),
                format!("must not be before today ({today})"),
            ));
        }
        if let Some(latest) = latest
            && due > latest
        {
            violations.push(FieldViolation::new(
                path("due_date"),
                format!("must be on or before {latest}, {MAX_PLAN_MONTHS} months after today"),
            ));
        }
        // Against the previous instalment only: each break in the order is reported once.
        if let Some(p) = i.checked_sub(1)
            && let Some(previous) = instalments.get(p)
        {
            let previous_due = previous.due_date;
            if due == previous_due {
                violations.push(FieldViolation::new(
                    path("due_date"),
                    format!(
                        "falls on the same day as instalments[{p}].due_date ({due}): due dates must be strictly increasing"
                    ),
                ));
            } else if due < previous_due {
                violations.push(FieldViolation::new(
                    path("due_date"),
                    format!(
                        "must be after instalments[{p}].due_date ({previous_due}): due dates must be strictly increasing"
                    ),
                ));
            }
        }
        let amount = instalment.amount;
        if amount.currency() != currency {
            one_currency = false;
            violations.push(FieldViolation::new(
                path("amount.currency_code"),
                format!("must be {currency}, the currency of the amount owed"),
            ));
            continue;
        }
        if amount.is_zero() {
            violations.push(FieldViolation::new(
                path("amount.amount"),
                "must be greater than zero",
            ));
        }
        sum = sum.and_then(|s| s.checked_add(amount));
    }
    if !instalments.is_empty() && one_currency {
        match sum {
            Ok(sum) => match (owed.checked_sub(sum), sum.checked_sub(owed)) {
                (Ok(short), _) if !short.is_zero() => violations.push(FieldViolation::new(
                    "instalments",
                    format!("instalments sum to {sum}, {short} short of the {owed} owed"),
                )),
                (_, Ok(excess)) if !excess.is_zero() => violations.push(FieldViolation::new(
                    "instalments",
                    format!("instalments sum to {sum}, {excess} more than the {owed} owed"),
                )),
                _ => {}
            },
            Err(_) => violations.push(FieldViolation::new(
                "instalments",
                format!(
                    "instalments sum to more than the largest supported amount, more than the {owed} owed"
                ),
            )),
        }
    }
    if grace_days > MAX_GRACE_DAYS {
        violations.push(FieldViolation::new(
            "grace_days",
            format!("must be at most {MAX_GRACE_DAYS} days"),
        ));
    }
    violations
}

/// Splits `owed` into `count` monthly instalments, the first due on `first_due`.
///
/// Each instalment falls on the same day of the month as `first_due`, counted from `first_due`
/// itself, so a day the month lacks is clamped to its last day without drifting: from 31
/// January, 28 (or 29) February, then 31 March.
///
/// Rounding: every instalment but the last is `owed / count` rounded down to the currency's
/// minor unit, and the last takes the remainder, so the instalments sum exactly to `owed` and
/// the last is larger than the others by less than `count` minor units (1000.00 EUR in 3:
/// 333.33, 333.33, 333.34). Putting the remainder last keeps the early instalments, the ones a
/// debtor must meet first, no larger than the others.
///
/// Refused on `instalment_count` for 0, for more than [`MAX_INSTALMENTS`], or for more
/// instalments than `owed` has minor units (each must be positive); on `first_due_date` when
/// the dates run past the end of the calendar. The result still goes through
/// [`plan_violations`], which checks the dates against the day the plan is proposed.
pub fn equal_instalments(
    owed: Money,
    count: u32,
    first_due: NaiveDate,
) -> Result<Vec<Instalment>, FieldViolation> {
    if count == 0 {
        return Err(FieldViolation::new(COUNT_FIELD, "must be at least 1"));
    }
    if !usize::try_from(count).is_ok_and(|c| c <= MAX_INSTALMENTS) {
        return Err(FieldViolation::new(
            COUNT_FIELD,
            format!("must be at most {MAX_INSTALMENTS}"),
        ));
    }
    // Money keeps the scale at the currency's minor digits, so the mantissa counts minor units
    // (below 10^19: at most 15 integer and 4 minor digits).
    let amount = owed.amount();
    let scale = amount.scale();
    let units = amount.mantissa();
    let parts = i128::from(count);
    if units <= 0 {
        return Err(FieldViolation::new(
            COUNT_FIELD,
            format!("nothing is owed ({owed}), so there is nothing to split into instalments"),
        ));
    }
    if units < parts {
        return Err(FieldViolation::new(
            COUNT_FIELD,
            format!(
                "must be at most {units}: {owed} cannot be split into {count} non-zero instalments"
            ),
        ));
    }
    let base = units / parts;
    let last = base + units % parts;
    // Both are at most `units`, so they always make valid amounts; the error is never seen.
    let money = |minor_units: i128| {
        Decimal::try_from_i128_with_scale(minor_units, scale)
            .ok()
            .and_then(|value| Money::new(value, owed.currency()).ok())
            .ok_or_else(|| FieldViolation::new(COUNT_FIELD, format!("cannot split {owed}")))
    };
    let (each, last) = (money(base)?, money(last)?);
    (0..count)
        .map(|k| {
            let due_date = first_due
                .checked_add_months(Months::new(k))
                .ok_or_else(|| {
                    FieldViolation::new(
                        "first_due_date",
                        "is too late: the monthly due dates would run past the end of the calendar",
                    )
                })?;
            let amount = if k + 1 == count { last } else { each };
            Ok(Instalment { due_date, amount })
        })
        .collect()
}

impl PaymentPlan {
    /// A new plan, proposed on `today` for `owed`, if the schedule passes [`plan_violations`];
    /// otherwise every violation.
    pub fn propose(
        instalments: Vec<Instalment>,
        grace_days: u32,
        owed: Money,
        today: NaiveDate,
    ) -> Result<PaymentPlan, Vec<FieldViolation>> {
        let violations = plan_violations(&instalments, grace_days, owed, today);
        if !violations.is_empty() {
            return Err(violations);
        }
        Ok(PaymentPlan {
            instalments,
            grace_days,
            total: owed,
            status: PlanStatus::Proposed,
            proposed_on: today,
            agreed_on: None,
            paid: Money::zero(owed.currency()),
        })
    }

    /// How `paid` covers the instalments, one [`Coverage`] per instalment, in the same order.
    ///
    /// Payments fill the instalments oldest first, as C. civ. art. 1342-10 imputes a payment
    /// on the oldest of debts equally due: what exceeds one instalment goes to the next, and
    /// what exceeds them all is ignored. An instalment in another currency than `paid` is
    /// covered by nothing.
    pub fn coverage(&self) -> Vec<Coverage> {
        let mut left = self.paid;
        self.instalments
            .iter()
            .map(|instalment| {
                let amount = instalment.amount;
                let covered = if amount.currency() != left.currency() {
                    Money::zero(amount.currency())
                } else {
                    match left.checked_sub(amount) {
                        Ok(rest) => {
                            left = rest;
                            amount
                        }
                        // Less left than the instalment: all of it goes there.
                        Err(_) => std::mem::replace(&mut left, Money::zero(amount.currency())),
                    }
                };
                // `covered` is at most `amount`, in its currency: the fallback is never taken.
                let outstanding = amount.checked_sub(covered).unwrap_or(amount);
                Coverage {
                    covered,
                    outstanding,
                    fully_covered: outstanding.is_zero(),
                }
            })
            .collect()
    }

    /// The first instalment not fully covered whose grace period ended before `today`: it is
    /// missed, and the plan defaults. `None` while every unpaid instalment is within its grace.
    ///
    /// An instalment due on 10 January with 5 days of grace may be paid up to 15 January and is
    /// missed from 16 January. The status is not looked at: the caller asks about live plans.
    pub fn missed_instalment(&self, today: NaiveDate) -> Option<(usize, &Instalment)> {
        self.coverage()
            .iter()
            .zip(&self.instalments)
            .enumerate()
            .find(|(_, (coverage, instalment))| {
                !coverage.fully_covered && self.last_day_to_pay(instalment) < today
            })
            .map(|(index, (_, instalment))| (index, instalment))
    }

    /// The day the plan must next be looked at: the first day an instalment not fully covered
    /// would be missed (the day after its due date plus grace), the earliest such day over all
    /// of them; `None` when every instalment is covered.
    ///
    /// In a valid plan this is the first instalment not fully covered, and
    /// [`PaymentPlan::missed_instalment`] finds one exactly from that day on. It may lie in the
    /// past, when an instalment is already missed.
    pub fn next_check(&self) -> Option<NaiveDate> {
        self.coverage()
            .iter()
            .zip(&self.instalments)
            .filter(|(coverage, _)| !coverage.fully_covered)
            .map(|(_, instalment)| {
                self.last_day_to_pay(instalment)
                    .succ_opt()
                    .unwrap_or(NaiveDate::MAX)
            })
            .min()
    }

    /// Whether `paid` covers the total (more is fine). False when they are in different
    /// currencies.
    pub fn is_complete(&self) -> bool {
        self.paid >= self.total
    }

    /// What remains to pay on the plan: the total less `paid`, never below zero. All of the
    /// total when `paid` is in another currency.
    pub fn remaining(&self) -> Money {
        if self.paid.currency() != self.total.currency() {
            return self.total;
        }
        self.total
            .checked_sub(self.paid)
            .unwrap_or_else(|_| Money::zero(self.total.currency()))
    }

    /// The next instalment still owed (the first not fully covered), with its index and, as its
    /// amount, what remains of it; `None` when everything is covered.
    pub fn next_instalment(&self) -> Option<(usize, Instalment)> {
        self.coverage()
            .into_iter()
            .zip(&self.instalments)
            .enumerate()
            .find(|(_, (coverage, _))| !coverage.fully_covered)
            .map(|(index, (coverage, instalment))| {
                (
                    index,
                    Instalment {
                        due_date: instalment.due_date,
                        amount: coverage.outstanding,
                    },
                )
            })
    }

    /// The last day `instalment` may be paid without being missed: its due date plus the grace
    /// period, or [`NaiveDate::MAX`] past the end of the calendar.
    fn last_day_to_pay(&self, instalment: &Instalment) -> NaiveDate {
        instalment
            .due_date
            .checked_add_days(Days::new(u64::from(self.grace_days)))
            .unwrap_or(NaiveDate::MAX)
    }
}

fn date_text(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// The event payload (and stored form) of a plan.
pub fn payload(plan: &PaymentPlan) -> serde_json::Value {
    serde_json::json!({
        "instalments": plan.instalments.iter().map(|i| serde_json::json!({
            "due_date": date_text(i.due_date),
            "amount": i.amount.to_amount_string(),
        })).collect::<Vec<_>>(),
        "grace_days": plan.grace_days,
        "total": plan.total.to_amount_string(),
        "currency": plan.total.currency().code(),
        "status": plan.status.as_str(),
        "proposed_on": date_text(plan.proposed_on),
        "agreed_on": plan.agreed_on.map(date_text),
        "paid": plan.paid.to_amount_string(),
    })
}

/// Reads back [`payload`]; `None` when it is not one.
pub fn from_payload(v: &serde_json::Value) -> Option<PaymentPlan> {
    let currency = crate::money::Currency::parse(v.get("currency")?.as_str()?).ok()?;
    let money = |s: &serde_json::Value| Money::parse_in(s.as_str()?, currency).ok();
    let date = |s: &serde_json::Value| NaiveDate::parse_from_str(s.as_str()?, "%Y-%m-%d").ok();
    let instalments = v
        .get("instalments")?
        .as_array()?
        .iter()
        .map(|i| {
            Some(Instalment {
                due_date: date(i.get("due_date")?)?,
                amount: money(i.get("amount")?)?,
            })
        })
        .collect::<Option<Vec<_>>>()?;
    Some(PaymentPlan {
        instalments,
        grace_days: u32::try_from(v.get("grace_days")?.as_u64()?).ok()?,
        total: money(v.get("total")?)?,
        status: PlanStatus::parse(v.get("status")?.as_str()?)?,
        proposed_on: date(v.get("proposed_on")?)?,
        agreed_on: match v.get("agreed_on") {
            Some(serde_json::Value::Null) | None => None,
            Some(d) => Some(date(d)?),
        },
        paid: money(v.get("paid")?)?,
    })
}

impl crate::claim::Claim {
    /// Proposes a payment plan (échéancier) for everything owed today; it replaces a proposal
    /// not yet agreed. Refused on a closed claim, at the legal stage (the court route has
    /// started) and while an agreed plan runs.
    pub fn propose_plan(
        &mut self,
        instalments: Vec<Instalment>,
        grace_days: u32,
        owed: Result<Money, crate::rates::RateError>,
        now: crate::Now,
    ) -> Result<Vec<crate::claim::ClaimEvent>, crate::claim::ClaimError> {
        use crate::claim::{ClaimError, ClaimEvent, ClaimState, Stage};
        match self.state {
            ClaimState::Closed(kind) => return Err(ClaimError::Closed(kind.as_str())),
            ClaimState::Open(Stage::Legal) => {
                return Err(ClaimError::InvalidTransition {
                    from: "legal",
                    to: "payment_plan",
                });
            }
            ClaimState::Open(_) => {}
        }
        if self
            .plan
            .as_ref()
            .is_some_and(|p| p.status == PlanStatus::Active)
        {
            return Err(ClaimError::PlanAlreadyActive);
        }
        let owed = owed?;
        let plan = PaymentPlan::propose(instalments, grace_days, owed, now.today)
            .map_err(ClaimError::Invalid)?;
        let mut events = Vec::new();
        self.expire_promise(now, &mut events);
        self.plan = Some(plan.clone());
        events.push(ClaimEvent::PaymentPlanProposed(plan));
        self.reschedule();
        self.updated_at = now.at;
        Ok(events)
    }

    /// The debtor agrees the proposed plan. While it is kept, collection waits (a hold) and
    /// interest stops from the day it was proposed: the plan's total is what the debtor owes,
    /// the creditor's concession for the schedule. A missed instalment ends the concession.
    pub fn agree_plan(
        &mut self,
        now: crate::Now,
    ) -> Result<Vec<crate::claim::ClaimEvent>, crate::claim::ClaimError> {
        use crate::claim::{ClaimError, ClaimEvent, ClaimState, Stage};
        match self.state {
            ClaimState::Closed(kind) => return Err(ClaimError::Closed(kind.as_str())),
            ClaimState::Open(Stage::Legal) => {
                return Err(ClaimError::InvalidTransition {
                    from: "legal",
                    to: "payment_plan",
                });
            }
            ClaimState::Open(_) => {}
        }
        let Some(plan) = self
            .plan
            .as_mut()
            .filter(|p| p.status == PlanStatus::Proposed)
        else {
            return Err(ClaimError::NoPlanProposed);
        };
        if plan.missed_instalment(now.today).is_some() {
            return Err(ClaimError::field(
                "payment_plan",
                "an instalment of the proposal is already past due: propose a new plan",
            ));
        }
        plan.status = PlanStatus::Active;
        plan.agreed_on = Some(now.today);
        let proposed_on = plan.proposed_on;
        self.legal.interest_frozen_from = Some(
            self.legal
                .interest_frozen_from
                .map_or(proposed_on, |d| d.min(proposed_on)),
        );
        let mut events = Vec::new();
        self.expire_promise(now, &mut events);
        self.promise = None;
        events.push(ClaimEvent::PaymentPlanAgreed);
        self.reschedule();
        self.updated_at = now.at;
        Ok(events)
    }

    /// Defaults an agreed plan whose instalment is missed past its grace: interest counts again
    /// (unless the debtor's over-indebtedness freezes it) and collection resumes where it
    /// stood. Called by the scheduler's pass.
    pub(crate) fn default_missed_plan(
        &mut self,
        today: NaiveDate,
        events: &mut Vec<crate::claim::ClaimEvent>,
    ) {
        let Some(plan) = self
            .plan
            .as_mut()
            .filter(|p| p.status == PlanStatus::Active)
        else {
            return;
        };
        let Some((index, instalment)) = plan
            .missed_instalment(today)
            .map(|(i, inst)| (i, inst.due_date))
        else {
            return;
        };
        plan.status = PlanStatus::Defaulted;
        let proposed_on = plan.proposed_on;
        let over_indebted = matches!(
            self.debtor_hold,
            Some(crate::proceedings::DebtorProceedings::OverIndebtedness { .. })
        );
        if !over_indebted && self.legal.interest_frozen_from == Some(proposed_on) {
            self.legal.interest_frozen_from = None;
        }
        events.push(crate::claim::ClaimEvent::PaymentPlanDefaulted {
            instalment: index,
            due_date: instalment,
        });
    }
}
