//! The statement of account (décompte): what is owed on a date, and why, line by line.
//!
//! Pure arithmetic over the claim's invoices, payments and legal facts, the rate tables and
//! the counting conventions (law-fr.md §0–§4, §9). Money is `rust_decimal`; each interest
//! segment is rounded half-up to the minor unit, then summed (law-fr.md §3.2); pro-rata
//! imputation shares are floored to the minor unit and the remaining units go to the largest
//! remainders. Nothing here reads the clock: `as_of` is given.

use chrono::{Datelike, Months, NaiveDate};
use rust_decimal::{Decimal, RoundingStrategy};

use crate::claim::{Invoice, Payment};
use crate::ids::PaymentId;
use crate::money::Currency;
use crate::rates::{LegalRateCategory, RateError, RateTable, Semester};
use crate::terms::{MAX_AGREED_DAYS, PaymentTerms};

/// The fixed recovery indemnity between professionals, in euros (C. com. D441-5).
pub const FIXED_INDEMNITY_EUR: Decimal = Decimal::from_parts(40, 0, 0, false, 0);
/// Points added to the ECB reference for the default B2B penalty rate (C. com. L441-10 II).
pub const ECB_MARGIN_POINTS: Decimal = Decimal::TEN;
/// Points added to the legal rate two months after a judgment became enforceable (CMF L313-3).
pub const JUDGMENT_MAJORATION_POINTS: Decimal = Decimal::from_parts(5, 0, 0, false, 0);
/// Years a judgment can be enforced (CPCE L111-4).
pub const JUDGMENT_ENFORCEMENT_YEARS: u32 = 10;

/// Which body of rules governs interest, indemnities and limitation, decided when the claim is
/// created from the debtor's kind and the creditor's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InterestRegime {
    /// Between professionals: L441-10 penalties from the day after the due date, no reminder
    /// needed; €40 per late invoice (D441-5); 5-year limitation (C. com. L110-4).
    Commercial,
    /// A professional against a consumer: legal interest from the formal notice (C. civ.
    /// 1231-6, 1344-1); no indemnity or recovery fees (CPCE L111-8); 2-year limitation
    /// (C. consom. L218-2).
    Consumer,
    /// Civil: a creditor who is a natural person acting outside a profession. Legal interest
    /// from the formal notice; 5-year limitation (C. civ. 2224).
    Civil,
}

impl InterestRegime {
    /// The regime of a claim of `creditor_natural_person` on a debtor that is a business or not.
    pub fn of(debtor_is_business: bool, creditor_natural_person: bool) -> InterestRegime {
        if creditor_natural_person {
            InterestRegime::Civil
        } else if debtor_is_business {
            InterestRegime::Commercial
        } else {
            InterestRegime::Consumer
        }
    }

    /// The legal-rate category that goes with the regime (CMF L313-2; law-fr.md §3.2).
    pub fn legal_rate_category(self) -> LegalRateCategory {
        match self {
            InterestRegime::Civil => LegalRateCategory::Individual,
            InterestRegime::Commercial | InterestRegime::Consumer => LegalRateCategory::Other,
        }
    }

    /// The limitation period in years and its basis.
    pub fn limitation(self) -> (u32, &'static str) {
        match self {
            InterestRegime::Commercial => (5, "C. com. L110-4"),
            InterestRegime::Consumer => (2, "C. consom. L218-2"),
            InterestRegime::Civil => (5, "C. civ. 2224"),
        }
    }

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            InterestRegime::Commercial => "commercial",
            InterestRegime::Consumer => "consumer",
            InterestRegime::Civil => "civil",
        }
    }

    /// Parses the stored name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "commercial" => Some(InterestRegime::Commercial),
            "consumer" => Some(InterestRegime::Consumer),
            "civil" => Some(InterestRegime::Civil),
            _ => None,
        }
    }
}

/// The day-count basis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DayCount {
    /// Actual days over 365, even in leap years (divisor 36 500): the official guidance
    /// (service-public F783/F20688, law-fr.md §3.2).
    #[default]
    Act365Fixed,
    /// Actual days over the actual days of the year (366 in leap years).
    ActualActual,
}

/// How days are counted; printed on every statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Conventions {
    /// The day-count basis.
    pub day_count: DayCount,
    /// When true, the day interest starts from is itself counted (both ends included, as some
    /// published examples do); by default it is not: penalties are due "le jour suivant la
    /// date de règlement" (L441-10 II), so days = end − start.
    pub count_start_day: bool,
}

impl Conventions {
    /// The conventions in words, for the statement and the documents.
    pub fn describe(&self) -> String {
        let basis = match self.day_count {
            DayCount::Act365Fixed => "actual days / 365 (divisor 36 500, even in leap years)",
            DayCount::ActualActual => "actual days / actual days of the year (366 in leap years)",
        };
        let ends = if self.count_start_day {
            "start day and end day both counted"
        } else {
            "start day excluded, end day included"
        };
        format!(
            "Simple interest, {basis}; {ends}; split at each 1 January and 1 July, at each \
             payment and at each change of legal basis; each segment rounded half-up to the \
             cent, then summed; payments imputed to interest and accessories before principal \
             (C. civ. 1343-1), across invoices as designated, else per C. civ. 1342-10."
        )
    }
}

/// A formal notice (mise en demeure, C. civ. 1344) sent by registered letter, and when it was
/// received: its receipt starts legal interest (C. civ. 1231-6, 1344-1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormalNoticeDelivery {
    /// Date it was sent.
    pub sent_on: NaiveDate,
    /// Date of receipt or first presentation (avis de réception).
    pub received_on: NaiveDate,
    /// Registered-letter tracking number.
    pub tracking_number: String,
}

/// A court decision ordering payment (condamnation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Judgment {
    /// Date pronounced: legal interest runs from it (C. civ. 1231-7).
    pub pronounced_on: NaiveDate,
    /// Date it became enforceable (in practice its service, signification): the legal rate is
    /// raised by 5 points two months after it (CMF L313-3). Unknown: no majoration.
    pub enforceable_on: Option<NaiveDate>,
    /// The court.
    pub court: String,
    /// The decision's number (numéro RG).
    pub reference: String,
}

impl Judgment {
    /// The last day without the L313-3 majoration: enforceable + 2 months (a delay in months
    /// ends on the same-numbered day, CPC 641); the +5 points count from the day after.
    pub fn majoration_after(&self) -> Option<NaiveDate> {
        self.enforceable_on
            .and_then(|d| d.checked_add_months(Months::new(2)))
    }
}

/// What interrupts limitation: a new full period starts on its date (C. civ. 2231).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InterruptionCause {
    /// The debtor acknowledged the debt (C. civ. 2240), e.g. a signed acknowledgment or a
    /// request for payment terms.
    Acknowledgment,
    /// A claim brought before a court, even in référé (C. civ. 2241).
    CourtAction,
    /// A conservatory or enforcement measure (C. civ. 2244).
    EnforcementMeasure,
    /// A payment imputed to the invoice (a partial payment acknowledges the debt, 2240).
    Payment,
}

impl InterruptionCause {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            InterruptionCause::Acknowledgment => "acknowledgment",
            InterruptionCause::CourtAction => "court_action",
            InterruptionCause::EnforcementMeasure => "enforcement_measure",
            InterruptionCause::Payment => "payment",
        }
    }

    /// Parses the stored name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "acknowledgment" => Some(InterruptionCause::Acknowledgment),
            "court_action" => Some(InterruptionCause::CourtAction),
            "enforcement_measure" => Some(InterruptionCause::EnforcementMeasure),
            "payment" => Some(InterruptionCause::Payment),
            _ => None,
        }
    }

    /// The article.
    pub fn basis(self) -> &'static str {
        match self {
            InterruptionCause::Acknowledgment | InterruptionCause::Payment => "C. civ. 2240",
            InterruptionCause::CourtAction => "C. civ. 2241",
            InterruptionCause::EnforcementMeasure => "C. civ. 2244",
        }
    }
}

/// An event recorded on the claim that interrupts limitation for all its invoices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interruption {
    /// Its date.
    pub on: NaiveDate,
    /// What it is.
    pub cause: InterruptionCause,
    /// Free note (the document, the court…).
    pub note: String,
}

/// Recovery costs above the fixed indemnity, claimed on proof (indemnité complémentaire sur
/// justification, C. com. L441-10 II). Commercial claims only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecoveryCost {
    /// The invoice it belongs to.
    pub invoice_number: String,
    /// The amount claimed, in the claim's currency.
    pub amount: Decimal,
    /// When incurred.
    pub incurred_on: NaiveDate,
    /// The proof (invoice of the lawyer or agency, its reference).
    pub proof: String,
}

/// The legal facts recorded on a claim that the statement depends on.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LegalFacts {
    /// The formal notice and its receipt, once recorded.
    pub formal_notice: Option<FormalNoticeDelivery>,
    /// A recorded start of interest other than the formal notice (e.g. a summons, 1231-6 as
    /// read by the courts); the earlier of the two counts.
    pub interest_start: Option<NaiveDate>,
    /// The judgment, once recorded.
    pub judgment: Option<Judgment>,
    /// Acknowledgments, court actions and enforcement measures.
    pub interruptions: Vec<Interruption>,
    /// Complementary recovery costs with their proof.
    pub recovery_costs: Vec<RecoveryCost>,
    /// The contract provides for compound interest (anatocisme, C. civ. 1343-2).
    pub compound_interest: bool,
    /// Interest stops accruing after this date (over-indebtedness admissibility, C. consom.
    /// L722-14).
    pub interest_frozen_from: Option<NaiveDate>,
}

/// Everything the statement is computed from.
#[derive(Debug, Clone, Copy)]
pub struct StatementInput<'a> {
    /// The claim's currency.
    pub currency: Currency,
    /// The regime.
    pub regime: InterestRegime,
    /// The invoices.
    pub invoices: &'a [Invoice],
    /// The payments, in the order recorded.
    pub payments: &'a [Payment],
    /// The legal facts.
    pub facts: &'a LegalFacts,
}

/// Why an interest segment bears the rate it does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InterestBasis {
    /// The invoice's contractual penalty rate (C. com. L441-10 II).
    ContractualRate {
        /// 3 × the "autres cas" legal rate of the semester, when published.
        floor: Option<Decimal>,
    },
    /// The ECB reference of the semester + 10 points (C. com. L441-10 II).
    EcbPlusTen {
        /// The ECB reference rate.
        ecb: Decimal,
    },
    /// Legal interest from the formal notice (C. civ. 1231-6, 1344-1).
    LegalInterest,
    /// Legal interest after a judgment (C. civ. 1231-7).
    Judgment,
    /// Legal interest + 5 points, two months after the judgment became enforceable (CMF L313-3).
    JudgmentMajorated,
}

impl InterestBasis {
    /// The article.
    pub fn citation(self) -> &'static str {
        match self {
            InterestBasis::ContractualRate { .. } | InterestBasis::EcbPlusTen { .. } => {
                "C. com. L441-10 II"
            }
            InterestBasis::LegalInterest => "C. civ. 1231-6, 1344-1",
            InterestBasis::Judgment => "C. civ. 1231-7",
            InterestBasis::JudgmentMajorated => "CMF L313-3",
        }
    }

    /// Stable machine name.
    pub fn as_str(self) -> &'static str {
        match self {
            InterestBasis::ContractualRate { .. } => "contractual_rate",
            InterestBasis::EcbPlusTen { .. } => "ecb_plus_ten",
            InterestBasis::LegalInterest => "legal_interest",
            InterestBasis::Judgment => "judgment",
            InterestBasis::JudgmentMajorated => "judgment_majorated",
        }
    }

    /// True for a contractual rate below the 3 × legal-rate floor: flagged for review, never
    /// silently replaced (law-fr.md §1.3).
    pub fn below_floor(self, rate: Decimal) -> bool {
        matches!(self, InterestBasis::ContractualRate { floor: Some(f) } if rate < f)
    }
}

/// One interest segment: a run of days at one rate on one base.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InterestSegment {
    /// First day counted.
    pub first_day: NaiveDate,
    /// Last day counted.
    pub last_day: NaiveDate,
    /// Days counted: `last_day − first_day + 1`.
    pub days: i64,
    /// The amount bearing interest: outstanding principal plus capitalised interest.
    pub base: Decimal,
    /// Annual rate in percent.
    pub rate: Decimal,
    /// Why this rate.
    pub basis: InterestBasis,
    /// The semester the segment lies in.
    pub semester: Semester,
    /// `base × rate × days / divisor`, rounded half-up to the minor unit.
    pub amount: Decimal,
}

/// Interest added to the base on an anniversary (C. civ. 1343-2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capitalisation {
    /// The anniversary.
    pub on: NaiveDate,
    /// Unpaid interest added to the base.
    pub amount: Decimal,
}

/// How much of one payment went to one invoice, and to what.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ImputationLine {
    /// The invoice.
    pub invoice_number: String,
    /// To interest (capitalised first).
    pub interest: Decimal,
    /// To the fixed indemnity.
    pub fixed_indemnity: Decimal,
    /// To complementary recovery costs.
    pub recovery_costs: Decimal,
    /// To principal.
    pub principal: Decimal,
}

impl ImputationLine {
    /// The line's total.
    pub fn total(&self) -> Decimal {
        self.interest + self.fixed_indemnity + self.recovery_costs + self.principal
    }
}

/// How a payment was imputed (C. civ. 1342-10, 1343-1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentImputation {
    /// The payment.
    pub payment_id: PaymentId,
    /// Its value date.
    pub value_date: NaiveDate,
    /// Its amount.
    pub amount: Decimal,
    /// The invoice the debtor designated, if any.
    pub designated_invoice: Option<String>,
    /// Per invoice, in imputation order.
    pub lines: Vec<ImputationLine>,
    /// What exceeded everything owed at its value date (trop-perçu, to refund).
    pub unapplied: Decimal,
}

/// The limitation period of one invoice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limitation {
    /// Length in years.
    pub years: u32,
    /// The article.
    pub basis: &'static str,
    /// What the period first ran from.
    pub starts_on: NaiveDate,
    /// True when that is the invoice date because no service-completion date was given
    /// (the courts count from completion, law-fr.md §4.2): flagged for review.
    pub counted_from_invoice_date: bool,
    /// The last interruption that restarted it, if any.
    pub restarted: Option<(NaiveDate, InterruptionCause)>,
    /// The last day an action can be brought.
    pub deadline: NaiveDate,
    /// `as_of` is after the deadline.
    pub expired: bool,
}

/// One invoice on the statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceStatement {
    /// Invoice number.
    pub number: String,
    /// Issue date.
    pub issue_date: NaiveDate,
    /// Due date.
    pub due_date: NaiveDate,
    /// Principal (amount incl. VAT, the base of penalties).
    pub principal: Decimal,
    /// The day interest runs from (excluded unless the start day is counted); `None` when
    /// none runs (no formal notice received on a consumer or civil claim).
    pub interest_from: Option<NaiveDate>,
    /// Interest segments, in date order.
    pub segments: Vec<InterestSegment>,
    /// Capitalisations (compound interest).
    pub capitalisations: Vec<Capitalisation>,
    /// Sum of the segments.
    pub interest: Decimal,
    /// The fixed indemnity (D441-5), 0 when not due.
    pub fixed_indemnity: Decimal,
    /// Complementary recovery costs claimed on proof.
    pub recovery_costs: Decimal,
    /// What payments brought to each part.
    pub paid: ImputationLine,
    /// Outstanding principal.
    pub outstanding_principal: Decimal,
    /// Outstanding interest.
    pub outstanding_interest: Decimal,
    /// Outstanding fixed indemnity and recovery costs.
    pub outstanding_accessories: Decimal,
    /// Everything still owed on this invoice.
    pub balance: Decimal,
    /// Its limitation period.
    pub limitation: Limitation,
}

/// Something on the statement a human should look at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatementNote {
    /// A contractual rate below 3 × the legal rate (L441-10 II): applied as agreed, flagged.
    ContractualRateBelowFloor {
        /// The invoice.
        invoice: String,
        /// The semester.
        semester: Semester,
        /// The contractual rate.
        rate: Decimal,
        /// The floor.
        floor: Decimal,
    },
    /// Limitation counted from the invoice date for lack of a completion date.
    LimitationFromInvoiceDate {
        /// The invoice.
        invoice: String,
    },
    /// No interest runs: no formal notice receipt or start of interest recorded.
    InterestNotRunning,
    /// The fixed indemnity is €40 and the claim is in another currency: not added.
    IndemnityNotInEuro,
    /// An interruption dated after the period had expired restarts nothing.
    InterruptionAfterExpiry {
        /// The invoice.
        invoice: String,
        /// Its date.
        on: NaiveDate,
    },
    /// Part of a payment exceeded everything owed at its value date.
    UnappliedPayment {
        /// The payment.
        payment_id: PaymentId,
        /// The excess.
        amount: Decimal,
    },
    /// Default 30-day terms counted from the invoice date for lack of a completion date.
    DueDateFromInvoiceDate {
        /// The invoice.
        invoice: String,
    },
    /// Agreed terms beyond the 60 days L441-10 I allows between professionals.
    AgreedTermsAboveLegalCap {
        /// The invoice.
        invoice: String,
        /// The agreed days.
        days: u16,
    },
    /// Interest stopped accruing on this date (over-indebtedness).
    InterestFrozen {
        /// The date.
        from: NaiveDate,
    },
}

/// Totals of the statement.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StatementTotals {
    /// Sum of the invoices.
    pub principal: Decimal,
    /// Interest accrued.
    pub interest: Decimal,
    /// Fixed indemnities.
    pub fixed_indemnities: Decimal,
    /// Complementary recovery costs.
    pub recovery_costs: Decimal,
    /// Payments imputed (excluding any unapplied excess).
    pub paid: Decimal,
    /// Outstanding principal.
    pub outstanding_principal: Decimal,
    /// Outstanding interest.
    pub outstanding_interest: Decimal,
    /// Outstanding indemnities and costs.
    pub outstanding_accessories: Decimal,
    /// Everything owed: the sum of the invoices' balances.
    pub owed: Decimal,
    /// Payments in excess, to refund.
    pub unapplied: Decimal,
}

/// The statement of account as of a date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// The date.
    pub as_of: NaiveDate,
    /// The currency.
    pub currency: Currency,
    /// The regime.
    pub regime: InterestRegime,
    /// The legal-rate category.
    pub legal_rate_category: LegalRateCategory,
    /// The conventions used.
    pub conventions: Conventions,
    /// Per invoice, in the claim's order.
    pub invoices: Vec<InvoiceStatement>,
    /// Per payment valued on or before `as_of`, in value-date order.
    pub payments: Vec<PaymentImputation>,
    /// Totals.
    pub totals: StatementTotals,
    /// The earliest limitation deadline of an invoice still owing.
    pub next_limitation_deadline: Option<NaiveDate>,
    /// Points to review.
    pub notes: Vec<StatementNote>,
}

/// The running state of one invoice while the statement is computed.
struct Running<'a> {
    invoice: &'a Invoice,
    principal: Decimal,
    capitalised: Decimal,
    interest: Decimal,
    indemnity: Decimal,
    costs: Decimal,
    /// Last day accrued; `None` while interest does not run.
    accrued_through: Option<NaiveDate>,
    anchor: Option<NaiveDate>,
    anniversaries: u32,
    late: bool,
    segments: Vec<InterestSegment>,
    capitalisations: Vec<Capitalisation>,
    interest_total: Decimal,
    indemnity_total: Decimal,
    costs_total: Decimal,
    paid: ImputationLine,
    restarts: Vec<NaiveDate>,
}

impl Running<'_> {
    fn owed(&self) -> Decimal {
        self.principal + self.capitalised + self.interest + self.indemnity + self.costs
    }

    fn next_anniversary(&self) -> Option<NaiveDate> {
        self.anchor
            .and_then(|a| a.checked_add_months(Months::new(12 * (self.anniversaries + 1))))
    }
}

fn round_half_up(value: Decimal, digits: u32) -> Decimal {
    value.round_dp_with_strategy(digits, RoundingStrategy::MidpointAwayFromZero)
}

/// `base × rate × days / divisor`, rounded half-up to `digits` decimals: the amount of one
/// interest segment.
///
/// Computed exactly in `i128` on the mantissas: `n / d` minor units, where
/// `n = base × rate × days` (mantissas, times `10^(digits − scale)` if needed) and
/// `d = 10^(scale − digits) × divisor`. This avoids dividing and rounding a 28-digit `Decimal`
/// quotient, which took most of the statement's time, and gives the same result: the exact
/// quotient is either on a half unit or at least `1 / (2d)` away from one, while the `Decimal`
/// quotient is within `|n| × 10^-27 / d` of it, so both round alike while `|n| < 10^25`
/// (a real segment is below 10^23). Beyond that, or if anything overflows, the `Decimal`
/// computation is used.
fn segment_interest(base: Decimal, rate: Decimal, days: i64, divisor: i64, digits: u32) -> Decimal {
    const EXACT_BELOW: u128 = 10_u128.pow(25);
    let by_decimal = || {
        round_half_up(
            base * rate * Decimal::from(days) / Decimal::from(divisor),
            digits,
        )
    };
    let scale = base.scale() + rate.scale();
    let product = base
        .mantissa()
        .checked_mul(rate.mantissa())
        .and_then(|n| n.checked_mul(i128::from(days)));
    let fraction = product.and_then(|n| match scale.checked_sub(digits) {
        Some(extra) => Some((
            n,
            10_i128
                .checked_pow(extra)?
                .checked_mul(i128::from(divisor))?,
        )),
        None => Some((
            n.checked_mul(10_i128.checked_pow(digits - scale)?)?,
            i128::from(divisor),
        )),
    });
    let Some((n, d)) = fraction.filter(|&(n, d)| n.unsigned_abs() < EXACT_BELOW && d > 0) else {
        return by_decimal();
    };
    let (quotient, remainder) = (n / d, n % d);
    // Half-up, away from zero: a remainder of at least half the divisor rounds outwards.
    let units = if remainder.unsigned_abs() * 2 >= d.unsigned_abs() {
        quotient + n.signum()
    } else {
        quotient
    };
    Decimal::try_from_i128_with_scale(units, digits).unwrap_or_else(|_| by_decimal())
}

fn floor_to(value: Decimal, digits: u32) -> Decimal {
    value.round_dp_with_strategy(digits, RoundingStrategy::ToZero)
}

fn day_after(date: NaiveDate) -> NaiveDate {
    date.succ_opt().unwrap_or(date)
}

fn day_before(date: NaiveDate) -> NaiveDate {
    date.pred_opt().unwrap_or(date)
}

fn add_years(date: NaiveDate, years: u32) -> NaiveDate {
    date.checked_add_months(Months::new(12 * years))
        .unwrap_or(NaiveDate::MAX)
}

struct Engine<'a> {
    input: StatementInput<'a>,
    rates: &'a RateTable,
    conventions: Conventions,
    as_of: NaiveDate,
    digits: u32,
    category: LegalRateCategory,
    judgment: Option<&'a Judgment>,
    majoration_after: Option<NaiveDate>,
    frozen_from: Option<NaiveDate>,
    /// Recovery costs by date.
    costs: Vec<&'a RecoveryCost>,
    notes: Vec<StatementNote>,
}

impl<'a> Engine<'a> {
    /// The day interest on `invoice` runs from (the first counted day is the next one, or
    /// this one when the start day is counted).
    fn interest_anchor(&self, invoice: &Invoice) -> Option<NaiveDate> {
        let facts = self.input.facts;
        let start = match self.input.regime {
            // L441-10 II: due the day after the due date, no reminder needed.
            InterestRegime::Commercial => Some(invoice.due_date),
            // 1231-6 / 1344-1: from the formal notice (its receipt), or a recorded start;
            // 1231-7: from the judgment at the latest.
            InterestRegime::Consumer | InterestRegime::Civil => [
                facts
                    .formal_notice
                    .as_ref()
                    .map(|n| n.received_on)
                    .filter(|d| *d <= self.as_of),
                facts.interest_start.filter(|d| *d <= self.as_of),
                self.judgment.map(|j| j.pronounced_on),
            ]
            .into_iter()
            .flatten()
            .min(),
        };
        start.map(|s| s.max(invoice.due_date))
    }

    fn rate_for(
        &mut self,
        invoice: &Invoice,
        first: NaiveDate,
        semester: Semester,
    ) -> Result<(Decimal, InterestBasis), RateError> {
        if let Some(judgment) = self.judgment
            && first > judgment.pronounced_on
        {
            let legal = self.rates.legal(semester, self.category)?;
            return Ok(match self.majoration_after {
                Some(m) if first > m => (
                    legal + JUDGMENT_MAJORATION_POINTS,
                    InterestBasis::JudgmentMajorated,
                ),
                _ => (legal, InterestBasis::Judgment),
            });
        }
        match self.input.regime {
            InterestRegime::Commercial => match invoice.contractual_rate {
                Some(rate) => {
                    let floor = self
                        .rates
                        .legal(semester, LegalRateCategory::Other)
                        .ok()
                        .map(|other| other * Decimal::from(3));
                    if let Some(floor) = floor
                        && rate < floor
                    {
                        let note = StatementNote::ContractualRateBelowFloor {
                            invoice: invoice.number.clone(),
                            semester,
                            rate,
                            floor,
                        };
                        if !self.notes.contains(&note) {
                            self.notes.push(note);
                        }
                    }
                    Ok((rate, InterestBasis::ContractualRate { floor }))
                }
                None => {
                    let ecb = self.rates.ecb_reference(semester)?;
                    Ok((ecb + ECB_MARGIN_POINTS, InterestBasis::EcbPlusTen { ecb }))
                }
            },
            InterestRegime::Consumer | InterestRegime::Civil => Ok((
                self.rates.legal(semester, self.category)?,
                InterestBasis::LegalInterest,
            )),
        }
    }

    fn divisor(&self, year: i32) -> i64 {
        let leap = NaiveDate::from_ymd_opt(year, 2, 29).is_some();
        match self.conventions.day_count {
            DayCount::ActualActual if leap => 36_600,
            DayCount::Act365Fixed | DayCount::ActualActual => 36_500,
        }
    }

    /// Accrues interest on `run` through `through` (inclusive), segment by segment.
    fn accrue(&mut self, run: &mut Running<'a>, through: NaiveDate) -> Result<(), RateError> {
        let Some(mut cursor) = run.accrued_through else {
            return Ok(());
        };
        let limit = match self.frozen_from {
            Some(frozen) => through.min(frozen),
            None => through,
        };
        while cursor < limit {
            let base = run.principal + run.capitalised;
            if base <= Decimal::ZERO {
                cursor = limit;
                break;
            }
            let first = day_after(cursor);
            let semester = Semester::of(first);
            let mut last = limit.min(semester.last_day());
            let anniversary = if self.input.facts.compound_interest {
                run.next_anniversary()
            } else {
                None
            };
            let breaks = [
                self.judgment.map(|j| j.pronounced_on),
                self.majoration_after,
                anniversary,
            ];
            for b in breaks.into_iter().flatten() {
                if first <= b {
                    last = last.min(b);
                }
            }
            let (rate, basis) = self.rate_for(run.invoice, first, semester)?;
            let days = (last - first).num_days() + 1;
            let amount =
                segment_interest(base, rate, days, self.divisor(first.year()), self.digits);
            run.segments.push(InterestSegment {
                first_day: first,
                last_day: last,
                days,
                base,
                rate,
                basis,
                semester,
                amount,
            });
            run.interest += amount;
            run.interest_total += amount;
            cursor = last;
            if anniversary == Some(last) {
                // 1343-2: interest due for a whole year bears interest from then on.
                run.anniversaries += 1;
                if run.interest > Decimal::ZERO {
                    run.capitalisations.push(Capitalisation {
                        on: last,
                        amount: run.interest,
                    });
                    run.capitalised += run.interest;
                    run.interest = Decimal::ZERO;
                }
            }
        }
        run.accrued_through = Some(cursor.max(run.accrued_through.unwrap_or(cursor)));
        Ok(())
    }

    /// Marks invoices late on `day` if still unpaid after their due date: the fixed indemnity
    /// becomes owed (D441-5, once per late invoice) and recovery costs incurred by then.
    fn mark_late(&mut self, runs: &mut [Running<'a>], day: NaiveDate) {
        let commercial = self.input.regime == InterestRegime::Commercial;
        let euro = self.input.currency == Currency::EUR;
        for run in runs.iter_mut() {
            if !run.late && run.invoice.due_date < day && run.principal > Decimal::ZERO {
                run.late = true;
                if commercial && euro {
                    run.indemnity += FIXED_INDEMNITY_EUR;
                    run.indemnity_total += FIXED_INDEMNITY_EUR;
                } else if commercial && !self.notes.contains(&StatementNote::IndemnityNotInEuro) {
                    self.notes.push(StatementNote::IndemnityNotInEuro);
                }
            }
        }
    }

    fn add_costs(&mut self, runs: &mut [Running<'a>], up_to: NaiveDate, added: &mut usize) {
        if self.input.regime != InterestRegime::Commercial {
            // L111-8 CPCE: no recovery costs charged to a consumer; civil claims have no
            // L441-10 indemnity either.
            return;
        }
        while *added < self.costs.len() {
            let cost = self.costs[*added];
            if cost.incurred_on > up_to {
                break;
            }
            if let Some(run) = runs
                .iter_mut()
                .find(|r| r.invoice.number == cost.invoice_number)
            {
                run.costs += cost.amount;
                run.costs_total += cost.amount;
            }
            *added += 1;
        }
    }

    /// Imputes `payment` on its value date: to the designated invoice, then overdue invoices
    /// before the others, oldest due date first, pro rata between equals (C. civ. 1342-10);
    /// within an invoice to interest, then accessories, then principal (1343-1).
    fn impute(&mut self, runs: &mut [Running<'a>], payment: &Payment) -> PaymentImputation {
        let value_date = payment.value_date;
        let mut left = payment.amount.amount();
        let mut lines = Vec::new();
        let designated = payment
            .invoice_number
            .as_deref()
            .and_then(|n| runs.iter().position(|r| r.invoice.number == n));
        let mut order: Vec<usize> = (0..runs.len()).filter(|&i| Some(i) != designated).collect();
        order.sort_by_key(|&i| {
            let due = runs[i].invoice.due_date;
            (due > value_date, due)
        });
        let mut groups: Vec<Vec<usize>> = Vec::new();
        if let Some(d) = designated {
            groups.push(vec![d]);
        }
        for i in order {
            let key = |j: usize| {
                let due = runs[j].invoice.due_date;
                (due > value_date, due)
            };
            match groups.last_mut() {
                Some(group) if Some(group[0]) != designated && key(group[0]) == key(i) => {
                    group.push(i)
                }
                _ => groups.push(vec![i]),
            }
        }
        for group in groups {
            if left <= Decimal::ZERO {
                break;
            }
            let owed: Vec<Decimal> = group.iter().map(|&i| runs[i].owed()).collect();
            let sum: Decimal = owed.iter().sum();
            if sum <= Decimal::ZERO {
                continue;
            }
            let shares = if left >= sum {
                owed.clone()
            } else {
                pro_rata(left, &owed, self.digits)
            };
            for (&i, share) in group.iter().zip(shares) {
                if share <= Decimal::ZERO {
                    continue;
                }
                let line = apply_within(&mut runs[i], share);
                runs[i].restarts.push(value_date);
                left -= share;
                lines.push(line);
            }
        }
        if left > Decimal::ZERO {
            self.notes.push(StatementNote::UnappliedPayment {
                payment_id: payment.id,
                amount: left,
            });
        }
        PaymentImputation {
            payment_id: payment.id,
            value_date,
            amount: payment.amount.amount(),
            designated_invoice: designated.map(|d| runs[d].invoice.number.clone()),
            lines,
            unapplied: left.max(Decimal::ZERO),
        }
    }

    fn limitation(&mut self, run: &Running<'a>) -> Limitation {
        let (years, basis) = self.input.regime.limitation();
        let invoice = run.invoice;
        let starts_on = invoice
            .service_completion_date
            .unwrap_or(invoice.issue_date);
        let counted_from_invoice_date = invoice.service_completion_date.is_none();
        if counted_from_invoice_date {
            self.notes.push(StatementNote::LimitationFromInvoiceDate {
                invoice: invoice.number.clone(),
            });
        }
        let mut causes: Vec<(NaiveDate, InterruptionCause)> = self
            .input
            .facts
            .interruptions
            .iter()
            .filter(|i| i.on <= self.as_of)
            .map(|i| (i.on, i.cause))
            .chain(
                run.restarts
                    .iter()
                    .map(|&d| (d, InterruptionCause::Payment)),
            )
            .collect();
        causes.sort_by_key(|c| c.0);
        let mut deadline = add_years(starts_on, years);
        let mut restarted = None;
        for (on, cause) in causes {
            if on < starts_on {
                continue;
            }
            if on <= deadline {
                // 2231: the interruption erases the time run and starts a new full period.
                deadline = add_years(on, years);
                restarted = Some((on, cause));
            } else {
                self.notes.push(StatementNote::InterruptionAfterExpiry {
                    invoice: invoice.number.clone(),
                    on,
                });
            }
        }
        let (years, basis, deadline) = match self.judgment {
            // CPCE L111-4: a judgment is enforceable for 10 years.
            Some(j) => (
                JUDGMENT_ENFORCEMENT_YEARS,
                "CPCE L111-4",
                add_years(j.pronounced_on, JUDGMENT_ENFORCEMENT_YEARS).max(deadline),
            ),
            None => (years, basis, deadline),
        };
        Limitation {
            years,
            basis,
            starts_on,
            counted_from_invoice_date,
            restarted,
            deadline,
            expired: self.as_of > deadline,
        }
    }
}

/// Shares of `amount` in proportion to `weights` (whose sum exceeds `amount`): each floored
/// to the minor unit, the units left over going one each to the largest remainders, earlier
/// invoices first on ties. The shares sum to `amount` exactly.
fn pro_rata(amount: Decimal, weights: &[Decimal], digits: u32) -> Vec<Decimal> {
    let total: Decimal = weights.iter().sum();
    let unit = Decimal::new(1, digits);
    let exact: Vec<Decimal> = weights.iter().map(|w| amount * *w / total).collect();
    let mut shares: Vec<Decimal> = exact.iter().map(|e| floor_to(*e, digits)).collect();
    let mut left = amount - shares.iter().sum::<Decimal>();
    let mut by_remainder: Vec<usize> = (0..weights.len()).collect();
    by_remainder.sort_by(|&a, &b| (exact[b] - shares[b]).cmp(&(exact[a] - shares[a])));
    for i in by_remainder.into_iter().cycle().take(weights.len() * 2) {
        if left < unit {
            break;
        }
        if shares[i] + unit <= weights[i] {
            shares[i] += unit;
            left -= unit;
        }
    }
    shares
}

/// Imputes `share` within one invoice: interest (capitalised first, the oldest), the fixed
/// indemnity and recovery costs, then principal (C. civ. 1343-1).
fn apply_within(run: &mut Running<'_>, share: Decimal) -> ImputationLine {
    let mut left = share;
    let mut take = |pot: &mut Decimal| {
        let taken = left.min(*pot);
        *pot -= taken;
        left -= taken;
        taken
    };
    let interest = take(&mut run.capitalised) + take(&mut run.interest);
    let fixed_indemnity = take(&mut run.indemnity);
    let recovery_costs = take(&mut run.costs);
    let principal = take(&mut run.principal);
    let line = ImputationLine {
        invoice_number: run.invoice.number.clone(),
        interest,
        fixed_indemnity,
        recovery_costs,
        principal,
    };
    run.paid.interest += line.interest;
    run.paid.fixed_indemnity += line.fixed_indemnity;
    run.paid.recovery_costs += line.recovery_costs;
    run.paid.principal += line.principal;
    line
}

/// Computes the statement of `input` as of `as_of` (inclusive): payments valued after it and
/// facts dated after it are ignored. Refused when a rate it needs is not published.
pub fn statement(
    input: StatementInput<'_>,
    rates: &RateTable,
    as_of: NaiveDate,
    conventions: Conventions,
) -> Result<Statement, RateError> {
    let facts = input.facts;
    let judgment = facts.judgment.as_ref().filter(|j| j.pronounced_on <= as_of);
    let mut engine = Engine {
        input,
        rates,
        conventions,
        as_of,
        digits: input.currency.minor_digits(),
        category: input.regime.legal_rate_category(),
        judgment,
        majoration_after: judgment.and_then(Judgment::majoration_after),
        frozen_from: facts.interest_frozen_from.filter(|d| *d <= as_of),
        costs: {
            let mut costs: Vec<&RecoveryCost> = facts.recovery_costs.iter().collect();
            costs.sort_by_key(|c| c.incurred_on);
            costs
        },
        notes: Vec::new(),
    };
    if let Some(from) = engine.frozen_from {
        engine.notes.push(StatementNote::InterestFrozen { from });
    }
    for invoice in input.invoices {
        match invoice.payment_terms {
            Some(PaymentTerms::Default30) if invoice.service_completion_date.is_none() => {
                engine.notes.push(StatementNote::DueDateFromInvoiceDate {
                    invoice: invoice.number.clone(),
                });
            }
            Some(PaymentTerms::Net(days))
                if days > MAX_AGREED_DAYS && input.regime == InterestRegime::Commercial =>
            {
                engine.notes.push(StatementNote::AgreedTermsAboveLegalCap {
                    invoice: invoice.number.clone(),
                    days,
                });
            }
            _ => {}
        }
    }
    let mut runs: Vec<Running<'_>> = input
        .invoices
        .iter()
        .map(|invoice| {
            let anchor = engine.interest_anchor(invoice);
            Running {
                invoice,
                principal: invoice.amount.amount(),
                capitalised: Decimal::ZERO,
                interest: Decimal::ZERO,
                indemnity: Decimal::ZERO,
                costs: Decimal::ZERO,
                accrued_through: anchor.map(|a| {
                    if conventions.count_start_day {
                        day_before(a)
                    } else {
                        a
                    }
                }),
                anchor,
                anniversaries: 0,
                late: false,
                segments: Vec::new(),
                capitalisations: Vec::new(),
                interest_total: Decimal::ZERO,
                indemnity_total: Decimal::ZERO,
                costs_total: Decimal::ZERO,
                paid: ImputationLine {
                    invoice_number: invoice.number.clone(),
                    ..ImputationLine::default()
                },
                restarts: Vec::new(),
            }
        })
        .collect();
    if runs.iter().all(|r| r.anchor.is_none()) && input.regime != InterestRegime::Commercial {
        engine.notes.push(StatementNote::InterestNotRunning);
    }
    let mut payments: Vec<&Payment> = input
        .payments
        .iter()
        .filter(|p| p.value_date <= as_of)
        .collect();
    // Stable: payments valued the same day keep the order they were recorded in.
    payments.sort_by_key(|p| p.value_date);
    let mut costs_added = 0;
    let mut imputations = Vec::with_capacity(payments.len());
    for payment in payments {
        let day = payment.value_date;
        engine.mark_late(&mut runs, day);
        engine.add_costs(&mut runs, day, &mut costs_added);
        for run in runs.iter_mut() {
            engine.accrue(run, day)?;
        }
        imputations.push(engine.impute(&mut runs, payment));
    }
    engine.mark_late(&mut runs, as_of);
    engine.add_costs(&mut runs, as_of, &mut costs_added);
    for run in runs.iter_mut() {
        engine.accrue(run, as_of)?;
    }
    let mut totals = StatementTotals::default();
    let mut next_limitation_deadline: Option<NaiveDate> = None;
    let mut invoices = Vec::with_capacity(runs.len());
    for run in runs {
        let limitation = engine.limitation(&run);
        let outstanding_interest = run.capitalised + run.interest;
        let outstanding_accessories = run.indemnity + run.costs;
        let balance = run.owed();
        if balance > Decimal::ZERO {
            next_limitation_deadline = Some(match next_limitation_deadline {
                Some(d) => d.min(limitation.deadline),
                None => limitation.deadline,
            });
        }
        totals.principal += run.invoice.amount.amount();
        totals.interest += run.interest_total;
        totals.fixed_indemnities += run.indemnity_total;
        totals.recovery_costs += run.costs_total;
        totals.paid += run.paid.total();
        totals.outstanding_principal += run.principal;
        totals.outstanding_interest += outstanding_interest;
        totals.outstanding_accessories += outstanding_accessories;
        totals.owed += balance;
        invoices.push(InvoiceStatement {
            number: run.invoice.number.clone(),
            issue_date: run.invoice.issue_date,
            due_date: run.invoice.due_date,
            principal: run.invoice.amount.amount(),
            interest_from: run.anchor,
            segments: run.segments,
            capitalisations: run.capitalisations,
            interest: run.interest_total,
            fixed_indemnity: run.indemnity_total,
            recovery_costs: run.costs_total,
            paid: run.paid,
            outstanding_principal: run.principal,
            outstanding_interest,
            outstanding_accessories,
            balance,
            limitation,
        });
    }
    totals.unapplied = imputations.iter().map(|p| p.unapplied).sum();
    Ok(Statement {
        as_of,
        currency: input.currency,
        regime: input.regime,
        legal_rate_category: engine.category,
        conventions,
        invoices,
        payments: imputations,
        totals,
        next_limitation_deadline,
        notes: engine.notes,
    })
}

/// The limitation deadlines when no statement can be computed (a rate is missing): only
/// recorded interruptions and payments designated to an invoice restart its period, which can
/// only make a deadline earlier than the statement's — the safe side for the creditor.
pub fn conservative_limitation_deadline(
    input: StatementInput<'_>,
    nothing_to_watch: bool,
    as_of: NaiveDate,
) -> Option<NaiveDate> {
    if nothing_to_watch {
        return None;
    }
    let (years, _) = input.regime.limitation();
    let judgment = input
        .facts
        .judgment
        .as_ref()
        .filter(|j| j.pronounced_on <= as_of);
    input
        .invoices
        .iter()
        .map(|invoice| {
            let start = invoice
                .service_completion_date
                .unwrap_or(invoice.issue_date);
            let mut dates: Vec<NaiveDate> = input
                .facts
                .interruptions
                .iter()
                .map(|i| i.on)
                .chain(
                    input
                        .payments
                        .iter()
                        .filter(|p| p.invoice_number.as_deref() == Some(&invoice.number))
                        .map(|p| p.value_date),
                )
                .filter(|d| *d <= as_of && *d >= start)
                .collect();
            dates.sort();
            let mut deadline = add_years(start, years);
            for on in dates {
                if on <= deadline {
                    deadline = add_years(on, years);
                }
            }
            match judgment {
                Some(j) => add_years(j.pronounced_on, JUDGMENT_ENFORCEMENT_YEARS).max(deadline),
                None => deadline,
            }
        })
        .min()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn pro_rata_sums_exactly_and_favours_the_largest_remainders() {
        let shares = pro_rata(dec!(100.00), &[dec!(100.00), dec!(100.00), dec!(100.00)], 2);
        assert_eq!(shares, vec![dec!(33.34), dec!(33.33), dec!(33.33)]);
        let shares = pro_rata(dec!(10.00), &[dec!(30.00), dec!(10.00)], 2);
        assert_eq!(shares, vec![dec!(7.50), dec!(2.50)]);
        let shares = pro_rata(dec!(0.01), &[dec!(5.00), dec!(5.00)], 2);
        assert_eq!(shares.iter().sum::<Decimal>(), dec!(0.01));
    }

    fn by_decimal(base: Decimal, rate: Decimal, days: i64, divisor: i64, digits: u32) -> Decimal {
        round_half_up(
            base * rate * Decimal::from(days) / Decimal::from(divisor),
            digits,
        )
    }

    #[test]
    fn segment_interest_rounds_exact_midpoints_half_up_away_from_zero() {
        // 1.00 × 182.5 × 1 / 36500 = 0.005 exactly → 0.01; negative → −0.01.
        assert_eq!(
            segment_interest(dec!(1.00), dec!(182.5), 1, 36_500, 2),
            dec!(0.01)
        );
        assert_eq!(
            segment_interest(dec!(1.00), dec!(-182.5), 1, 36_500, 2),
            dec!(-0.01)
        );
        // Just below the midpoint: 1.00 × 182.4999 / 36500 = 0.0049999… → 0.00.
        assert_eq!(
            segment_interest(dec!(1.00), dec!(182.4999), 1, 36_500, 2),
            dec!(0.00)
        );
        // law-fr.md-style segments.
        assert_eq!(
            segment_interest(dec!(10000.00), dec!(14.50), 182, 36_500, 2),
            dec!(723.01)
        );
        assert_eq!(
            segment_interest(dec!(10000.00), dec!(14.50), 182, 36_600, 2),
            dec!(721.04)
        );
        // Beyond the exact range, the Decimal computation is used.
        let huge = Decimal::from_i128_with_scale(7_000_000_000_000_000_000_000_000, 2);
        assert_eq!(
            segment_interest(huge, dec!(99.9999), 366, 36_500, 2),
            by_decimal(huge, dec!(99.9999), 366, 36_500, 2)
        );
    }

    proptest::proptest! {
        /// The i128 computation gives exactly what the Decimal one gives, for any base, rate
        /// (up to 4 decimals, negative ones too), day count, divisor and minor unit.
        #[test]
        fn segment_interest_matches_the_decimal_computation(
            base in 0..100_000_000_000_000_000_i64,
            base_scale in 0..=4_u32,
            rate in -500_000..1_000_000_i64,
            rate_scale in 0..=4_u32,
            days in 1..=366_i64,
            leap in proptest::bool::ANY,
            digits in 0..=3_u32,
        ) {
            let base = Decimal::new(base, base_scale);
            let rate = Decimal::new(rate, rate_scale);
            let divisor = if leap { 36_600 } else { 36_500 };
            proptest::prop_assert_eq!(
                segment_interest(base, rate, days, divisor, digits),
                by_decimal(base, rate, days, divisor, digits)
            );
        }
    }
}
