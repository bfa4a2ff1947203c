//! Claims (créances) and their lifecycle.
//!
//! A claim moves amicable → formal notice (mise en demeure, C. civ. art. 1344) → legal, or ends
//! paid, settled, written off or cancelled. Holds (an open dispute, a promise to pay until its
//! date) pause escalation without changing the stage. Every transition is a pure function of
//! the claim, its inputs and [`Now`]; it returns the events to append, never writes anything.

use chrono::{DateTime, Days, NaiveDate, Utc};
use serde_json::{Value, json};

use rust_decimal::Decimal;

use crate::Now;
use crate::ids::{ClaimId, CreditorId, DebtorId, PaymentId, PolicyId, TaskId};
use crate::money::{Currency, Money, MoneyError};
use crate::policy::StepAction;
use crate::rates::RateError;
use crate::statement::{
    FormalNoticeDelivery, InterestRegime, Interruption, InterruptionCause, Judgment, LegalFacts,
    RecoveryCost,
};
use crate::terms::PaymentTerms;

/// The most invoices one claim may carry.
pub const MAX_INVOICES: usize = 500;
/// The longest free text (reasons, notes) accepted, in characters.
pub const MAX_TEXT: usize = 2000;
/// How far ahead a promise to pay may be dated.
pub const MAX_PROMISE_DAYS: u64 = 366;

/// One invoice (facture) of a claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invoice {
    /// The creditor's invoice number, unique within the claim.
    pub number: String,
    /// Date of issue.
    pub issue_date: NaiveDate,
    /// When the goods were delivered or the service completed: the limitation period runs from
    /// it (C. civ. art. 2224, C. com. L110-4, C. consom. L218-2).
    pub service_completion_date: Option<NaiveDate>,
    /// Payment due date (date de règlement, C. com. L441-10 II): given, or derived from
    /// `payment_terms` when the invoice gives terms instead.
    pub due_date: NaiveDate,
    /// The payment terms the due date was derived from, if it was.
    pub payment_terms: Option<PaymentTerms>,
    /// Amount including VAT (TTC), the base of late penalties.
    pub amount: Money,
    /// The contractual late-penalty rate, percent per year (L441-10 II); `None`: the default
    /// ECB + 10 points. Only used between professionals.
    pub contractual_rate: Option<Decimal>,
}

/// Where a live claim stands on the escalation ladder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Stage {
    /// Amicable collection (recouvrement amiable): reminders.
    Amicable,
    /// Formal notice sent (mise en demeure), its deadline running.
    FormalNotice,
    /// Handed to a commissaire de justice or the court.
    Legal,
}

impl Stage {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Amicable => "amicable",
            Stage::FormalNotice => "formal_notice",
            Stage::Legal => "legal",
        }
    }

    /// The stage an escalation from this one leads to.
    pub fn next(self) -> Option<Stage> {
        match self {
            Stage::Amicable => Some(Stage::FormalNotice),
            Stage::FormalNotice => Some(Stage::Legal),
            Stage::Legal => None,
        }
    }
}

/// How a claim ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClosureKind {
    /// Paid in full.
    Paid,
    /// Settled for less by agreement (transaction, C. civ. art. 2044).
    Settled,
    /// Written off as unrecoverable.
    WrittenOff,
    /// Cancelled (sent in error, credit note, dispute upheld).
    Cancelled,
}

impl ClosureKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            ClosureKind::Paid => "paid",
            ClosureKind::Settled => "settled",
            ClosureKind::WrittenOff => "written_off",
            ClosureKind::Cancelled => "cancelled",
        }
    }

    /// Parses the stored name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "paid" => Some(ClosureKind::Paid),
            "settled" => Some(ClosureKind::Settled),
            "written_off" => Some(ClosureKind::WrittenOff),
            "cancelled" => Some(ClosureKind::Cancelled),
            _ => None,
        }
    }
}

/// The lifecycle state of a claim: a live stage, or how it ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimState {
    /// Live, at this stage.
    Open(Stage),
    /// Ended; terminal.
    Closed(ClosureKind),
}

impl ClaimState {
    /// The stored name ("amicable", "formal_notice", "legal", "paid", …).
    pub fn as_str(self) -> &'static str {
        match self {
            ClaimState::Open(stage) => stage.as_str(),
            ClaimState::Closed(kind) => kind.as_str(),
        }
    }

    /// Parses the stored name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "amicable" => Some(ClaimState::Open(Stage::Amicable)),
            "formal_notice" => Some(ClaimState::Open(Stage::FormalNotice)),
            "legal" => Some(ClaimState::Open(Stage::Legal)),
            other => ClosureKind::parse(other).map(ClaimState::Closed),
        }
    }
}

/// An open dispute (contestation): a hold until resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dispute {
    /// What the debtor contests.
    pub reason: String,
    /// When it was opened.
    pub opened_at: DateTime<Utc>,
}

/// How a dispute ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DisputeResolution {
    /// The claim stands; collection resumes.
    CreditorUpheld,
    /// The debtor was right; the claim should be adjusted or cancelled.
    DebtorUpheld,
    /// The debtor withdrew the dispute.
    Withdrawn,
}

impl DisputeResolution {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            DisputeResolution::CreditorUpheld => "creditor_upheld",
            DisputeResolution::DebtorUpheld => "debtor_upheld",
            DisputeResolution::Withdrawn => "withdrawn",
        }
    }
}

/// A promise to pay (promesse de paiement): a hold until its date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Promise {
    /// What the debtor promised.
    pub amount: Money,
    /// The date by which it is to be paid (inclusive).
    pub due_date: NaiveDate,
    /// Paid towards it so far (payments valued on or before `due_date`).
    pub paid: Money,
    /// When it was recorded.
    pub recorded_at: DateTime<Utc>,
}

/// How a claim was closed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Closure {
    /// Paid, settled, written off or cancelled.
    pub kind: ClosureKind,
    /// Why, in the operator's words.
    pub reason: String,
    /// When.
    pub closed_at: DateTime<Utc>,
}

/// How a payment was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentMethod {
    /// Bank transfer (virement).
    BankTransfer,
    /// Direct debit (prélèvement).
    DirectDebit,
    /// Card.
    Card,
    /// Cheque.
    Cheque,
    /// Cash.
    Cash,
    /// Anything else.
    Other,
}

impl PaymentMethod {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentMethod::BankTransfer => "bank_transfer",
            PaymentMethod::DirectDebit => "direct_debit",
            PaymentMethod::Card => "card",
            PaymentMethod::Cheque => "cheque",
            PaymentMethod::Cash => "cash",
            PaymentMethod::Other => "other",
        }
    }

    /// Parses the stored name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "bank_transfer" => Some(PaymentMethod::BankTransfer),
            "direct_debit" => Some(PaymentMethod::DirectDebit),
            "card" => Some(PaymentMethod::Card),
            "cheque" => Some(PaymentMethod::Cheque),
            "cash" => Some(PaymentMethod::Cash),
            "other" => Some(PaymentMethod::Other),
            _ => None,
        }
    }
}

/// A payment received on a claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payment {
    /// Identifier.
    pub id: PaymentId,
    /// Amount, in the claim's currency, strictly positive.
    pub amount: Money,
    /// Date the funds were available to the creditor: interest stops there on the part paid.
    pub value_date: NaiveDate,
    /// How it was paid.
    pub method: PaymentMethod,
    /// The payer's or bank's reference.
    pub reference: String,
    /// The invoice the debtor said it pays (C. civ. 1342-10 al. 1), if any.
    pub invoice_number: Option<String>,
}

/// The channel of a contact with the debtor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContactChannel {
    /// Postal letter.
    Letter,
    /// E-mail.
    Email,
    /// SMS.
    Sms,
    /// Phone call.
    Phone,
    /// Home or site visit (the debtor may refuse it).
    Visit,
}

impl ContactChannel {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            ContactChannel::Letter => "letter",
            ContactChannel::Email => "email",
            ContactChannel::Sms => "sms",
            ContactChannel::Phone => "phone",
            ContactChannel::Visit => "visit",
        }
    }
}

/// Who started the contact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContactDirection {
    /// We contacted the debtor.
    Outbound,
    /// The debtor contacted us.
    Inbound,
}

impl ContactDirection {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            ContactDirection::Outbound => "outbound",
            ContactDirection::Inbound => "inbound",
        }
    }
}

/// What came of a contact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContactOutcome {
    /// Sent (letter, e-mail, SMS).
    Sent,
    /// Delivery confirmed.
    Delivered,
    /// Returned or bounced.
    Undeliverable,
    /// Spoke with the debtor (call, visit, inbound message).
    Reached,
    /// Nobody answered or was present.
    NoAnswer,
    /// A voicemail or note was left.
    LeftMessage,
    /// The debtor refused the call or the visit.
    Refused,
    /// Wrong number or address.
    WrongContact,
}

impl ContactOutcome {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            ContactOutcome::Sent => "sent",
            ContactOutcome::Delivered => "delivered",
            ContactOutcome::Undeliverable => "undeliverable",
            ContactOutcome::Reached => "reached",
            ContactOutcome::NoAnswer => "no_answer",
            ContactOutcome::LeftMessage => "left_message",
            ContactOutcome::Refused => "refused",
            ContactOutcome::WrongContact => "wrong_contact",
        }
    }

    /// Whether this outcome can happen on `channel` in `direction`.
    pub fn fits(self, channel: ContactChannel, direction: ContactDirection) -> bool {
        use ContactChannel as C;
        use ContactOutcome as O;
        match direction {
            // Whatever the debtor sent us reached us.
            ContactDirection::Inbound => matches!(self, O::Reached),
            ContactDirection::Outbound => match channel {
                C::Letter | C::Email | C::Sms => {
                    matches!(
                        self,
                        O::Sent | O::Delivered | O::Undeliverable | O::WrongContact
                    )
                }
                C::Phone => matches!(
                    self,
                    O::Reached | O::NoAnswer | O::LeftMessage | O::Refused | O::WrongContact
                ),
                C::Visit => matches!(
                    self,
                    O::Reached | O::NoAnswer | O::LeftMessage | O::Refused | O::WrongContact
                ),
            },
        }
    }
}

/// A contact with the debtor: the proof of amicable attempts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    /// Channel.
    pub channel: ContactChannel,
    /// Who started it.
    pub direction: ContactDirection,
    /// What came of it.
    pub outcome: ContactOutcome,
    /// Free note.
    pub note: String,
    /// When it happened.
    pub occurred_at: DateTime<Utc>,
}

/// The parts of an invoice that parsed, so the claim rules can be checked on a request whose
/// other parts are malformed, and every bad field be reported at once.
#[derive(Debug, Clone, Copy)]
pub struct InvoiceParts<'a> {
    /// Invoice number as sent.
    pub number: &'a str,
    /// Issue date, if it parsed.
    pub issue_date: Option<NaiveDate>,
    /// Service-completion date, if given and parsed.
    pub service_completion_date: Option<NaiveDate>,
    /// Due date, if it parsed.
    pub due_date: Option<NaiveDate>,
    /// Amount, if it parsed.
    pub amount: Option<Money>,
}

impl<'a> InvoiceParts<'a> {
    /// All parts of a complete invoice.
    pub fn of(invoice: &'a Invoice) -> Self {
        InvoiceParts {
            number: &invoice.number,
            issue_date: Some(invoice.issue_date),
            service_completion_date: invoice.service_completion_date,
            due_date: Some(invoice.due_date),
            amount: Some(invoice.amount),
        }
    }
}

/// The rules a new claim follows, on whichever parts are known: reference, invoice count,
/// unique numbers, date order, no future dates, amounts in the claim's currency and above
/// zero, a total that fits. Field paths are relative to the claim (`invoices[2].due_date`).
pub fn claim_violations(
    external_reference: &str,
    invoices: &[InvoiceParts<'_>],
    currency: Option<Currency>,
    today: NaiveDate,
) -> Vec<FieldViolation> {
    let mut violations = Vec::new();
    let reference = external_reference.trim();
    if let Some(problem) = text_problem(reference) {
        violations.push(FieldViolation::new("external_reference", problem));
    } else if reference.is_empty() {
        violations.push(FieldViolation::new(
            "external_reference",
            "must not be empty",
        ));
    } else if reference.chars().count() > 128 {
        violations.push(FieldViolation::new(
            "external_reference",
            "must be at most 128 characters",
        ));
    }
    if invoices.is_empty() {
        violations.push(FieldViolation::new(
            "invoices",
            "at least one invoice is required",
        ));
    } else if invoices.len() > MAX_INVOICES {
        violations.push(FieldViolation::new(
            "invoices",
            format!("at most {MAX_INVOICES} invoices per claim"),
        ));
    }
    let mut total = currency.map(Money::zero);
    let mut seen = std::collections::HashSet::new();
    for (i, invoice) in invoices.iter().enumerate() {
        let path = |f: &str| format!("invoices[{i}].{f}");
        let number = invoice.number.trim();
        if let Some(problem) = text_problem(number) {
            violations.push(FieldViolation::new(path("number"), problem));
        } else if number.is_empty() {
            violations.push(FieldViolation::new(path("number"), "must not be empty"));
        } else if number.chars().count() > 64 {
            violations.push(FieldViolation::new(
                path("number"),
                "must be at most 64 characters",
            ));
        } else if !seen.insert(number) {
            violations.push(FieldViolation::new(
                path("number"),
                "appears twice in this claim",
            ));
        }
        if let (Some(issue), Some(due)) = (invoice.issue_date, invoice.due_date)
            && due < issue
        {
            violations.push(FieldViolation::new(
                path("due_date"),
                "must not be before the issue date",
            ));
        }
        if invoice.issue_date.is_some_and(|d| d > today) {
            violations.push(FieldViolation::new(
                path("issue_date"),
                "must not be in the future",
            ));
        }
        if invoice.service_completion_date.is_some_and(|d| d > today) {
            violations.push(FieldViolation::new(
                path("service_completion_date"),
                "must not be in the future",
            ));
        }
        let Some(amount) = invoice.amount else {
            continue;
        };
        match currency {
            Some(c) if amount.currency() != c => violations.push(FieldViolation::new(
                path("amount.currency_code"),
                format!("must be the claim's currency {}", c.code()),
            )),
            _ if amount.is_zero() => violations.push(FieldViolation::new(
                path("amount.amount"),
                "must be greater than zero",
            )),
            _ => {
                if let Some(sum) = total {
                    match sum.checked_add(amount) {
                        Ok(next) => total = Some(next),
                        Err(_) => violations.push(FieldViolation::new(
                            path("amount.amount"),
                            "makes the claim's total too large",
                        )),
                    }
                }
            }
        }
    }
    violations
}

/// A document generated for the claim, as its timeline records it: the hash proves later that
/// the stored bytes are the ones generated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedDocument {
    /// The stored document.
    pub document_id: uuid::Uuid,
    /// Its kind (`formal_notice`, …).
    pub kind: String,
    /// Its language (`fr`, `en`).
    pub language: String,
    /// Hex SHA-256 of its bytes.
    pub sha256: String,
    /// The template it was rendered from.
    pub template_version: String,
}

/// What the statement engine found once a payment is imputed, for [`Claim::record_payment`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settlement {
    /// The payment was imputed on a statement as of today.
    Imputed {
        /// Everything owed on its value date before it (reported on an overpayment).
        owed_before: Money,
        /// Everything owed today after it.
        owed_after: Money,
        /// What exceeded everything owed: the payment is refused when not zero.
        excess: Money,
    },
    /// A rate the statement needs is not published.
    Unpriced(RateError),
}

/// What a performed step produced, as recorded on the timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepRecord {
    /// Its index in the policy.
    pub index: u32,
    /// Its action.
    pub action: StepAction,
    /// The policy it belongs to (`None`: the tenant's default).
    pub policy_id: Option<PolicyId>,
    /// The letter it generated.
    pub document_id: Option<uuid::Uuid>,
    /// The task it created.
    pub task_id: Option<TaskId>,
    /// The e-mail or SMS it queued in the outbox.
    pub message_id: Option<uuid::Uuid>,
}

/// Input of [`Claim::open`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewClaim {
    /// The creditor owed.
    pub creditor_id: CreditorId,
    /// The debtor owing.
    pub debtor_id: DebtorId,
    /// The caller's reference, unique per creditor.
    pub external_reference: String,
    /// The currency of every amount.
    pub currency: Currency,
    /// One or more invoices.
    pub invoices: Vec<Invoice>,
    /// The rules for interest, indemnities and limitation.
    pub regime: InterestRegime,
    /// The contract provides for compound interest (C. civ. 1343-2).
    pub compound_interest: bool,
    /// The escalation policy it follows; `None`: the tenant's default for the debtor's kind.
    pub policy_id: Option<PolicyId>,
    /// When the policy's first step falls due; `None`: the due date + 7 days (PRODUCT.md §4).
    pub first_step_at: Option<DateTime<Utc>>,
}

/// Where a claim stands in its escalation policy.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Automation {
    /// The policy; `None`: the tenant's default for the debtor's kind.
    pub policy_id: Option<PolicyId>,
    /// Index of the next step to perform.
    pub next_step: u32,
    /// The day the last step ran (or the formal notice was escalated to by hand).
    pub last_step_on: Option<NaiveDate>,
    /// When the next step falls due, holds aside; `None` when nothing more is planned.
    pub planned_at: Option<DateTime<Utc>>,
}

/// A claim (créance): what one debtor owes one creditor, and where its collection stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    /// Identifier.
    pub id: ClaimId,
    /// The creditor owed.
    pub creditor_id: CreditorId,
    /// The debtor owing.
    pub debtor_id: DebtorId,
    /// The caller's reference, unique per creditor.
    pub external_reference: String,
    /// The currency of every amount.
    pub currency: Currency,
    /// Lifecycle state.
    pub state: ClaimState,
    /// The invoices, in the order given.
    pub invoices: Vec<Invoice>,
    /// The rules for interest, indemnities and limitation.
    pub regime: InterestRegime,
    /// Formal notice, judgment, interruptions, recovery costs, compound interest.
    pub legal: LegalFacts,
    /// Sum of the invoices.
    pub principal_total: Money,
    /// Sum of the payments.
    pub paid_total: Money,
    /// The payments, in the order recorded.
    pub payments: Vec<Payment>,
    /// Open dispute, if any (a hold).
    pub dispute: Option<Dispute>,
    /// Promise to pay being waited on, if any (a hold until its date).
    pub promise: Option<Promise>,
    /// The debtor's collective proceedings or over-indebtedness (a hold on collection).
    pub debtor_hold: Option<crate::proceedings::DebtorProceedings>,
    /// The payment plan proposed or running (an agreed plan is a hold), if any.
    pub plan: Option<crate::plan::PaymentPlan>,
    /// How it ended, once closed.
    pub closure: Option<Closure>,
    /// When the scheduler must next look at the claim: the next step, or the end of a hold;
    /// `None` when nothing is scheduled.
    pub next_action_at: Option<DateTime<Utc>>,
    /// Where it stands in its escalation policy.
    pub automation: Automation,
    /// Sequence number of the last event; the etag.
    pub version: i64,
    /// Hash of the last event (head of the chain).
    pub head_hash: [u8; 32],
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// A field the caller got wrong, for a `BadRequest` field violation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldViolation {
    /// Path of the field in the request, e.g. `invoices[2].due_date`.
    pub field: String,
    /// What is wrong, in a sentence.
    pub description: String,
}

impl FieldViolation {
    /// A violation of `field`.
    pub fn new(field: impl Into<String>, description: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            description: description.into(),
        }
    }
}

/// Why a claim transition was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClaimError {
    /// The input is invalid, field by field.
    #[error("invalid input: {0:?}")]
    Invalid(Vec<FieldViolation>),
    /// The claim is closed; nothing more can happen to it.
    #[error("the claim is closed ({0})")]
    Closed(&'static str),
    /// A hold (dispute or promise) forbids escalation.
    #[error("the claim is on hold ({0})")]
    OnHold(&'static str),
    /// The payment exceeds what is owed.
    #[error("payment of {amount} exceeds the balance of {balance}")]
    Overpayment {
        /// The payment.
        amount: Money,
        /// What is owed.
        balance: Money,
    },
    /// The promise exceeds what is owed.
    #[error("promise of {amount} exceeds the balance of {balance}")]
    PromiseExceedsBalance {
        /// The promise.
        amount: Money,
        /// What is owed.
        balance: Money,
    },
    /// A dispute is already open.
    #[error("a dispute is already open")]
    DisputeAlreadyOpen,
    /// No dispute is open.
    #[error("no dispute is open")]
    NoOpenDispute,
    /// A promise to pay is already running.
    #[error("a promise to pay is already running until {0}")]
    PromiseAlreadyActive(NaiveDate),
    /// The move is not allowed from this state.
    #[error("cannot move from {from} to {to}")]
    InvalidTransition {
        /// Current state.
        from: &'static str,
        /// Requested state.
        to: &'static str,
    },
    /// Closing as paid while money is still owed.
    #[error("{0} is still owed")]
    BalanceOutstanding(Money),
    /// The decision needs a rate that is not published.
    #[error(transparent)]
    RateNotPublished(#[from] RateError),
    /// Legal action past the limitation deadline of an invoice still owing.
    #[error("the limitation period expired on {deadline}")]
    LimitationExpired {
        /// The earliest deadline of an invoice still owing.
        deadline: NaiveDate,
    },
    /// An agreed payment plan runs: it must default or complete before another.
    #[error("a payment plan is running")]
    PlanAlreadyActive,
    /// No payment plan is waiting for the debtor's agreement.
    #[error("no payment plan is proposed")]
    NoPlanProposed,
    /// A fact that can be recorded once already is.
    #[error("{0} is already recorded on this claim")]
    AlreadyRecorded(&'static str),
    /// Recovery costs cannot be charged on this claim (C. com. L441-10 II applies between
    /// professionals only; CPCE L111-8 forbids charging them to a consumer).
    #[error("recovery costs cannot be charged on a {0} claim")]
    RecoveryCostsNotAllowed(&'static str),
}

impl ClaimError {
    pub(crate) fn field(field: impl Into<String>, description: impl Into<String>) -> Self {
        ClaimError::Invalid(vec![FieldViolation::new(field, description)])
    }
}

/// Something that happened to a claim; each becomes one entry of the hash-chained timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClaimEvent {
    /// A step of the escalation policy ran.
    StepPerformed(StepRecord),
    /// A step of the escalation policy was skipped.
    StepSkipped {
        /// Its index in the policy.
        index: u32,
        /// Its action.
        action: StepAction,
        /// Why, as a stable code (`debtor_kind`, `below_min_unpaid`, `stage_passed`,
        /// `no_email_address`, `no_phone_number`).
        reason: &'static str,
    },
    /// The debtor's collective proceedings or over-indebtedness were recorded: collection stops.
    DebtorProceedingsRecorded(crate::proceedings::DebtorProceedings),
    /// A payment plan (échéancier) was proposed to the debtor.
    PaymentPlanProposed(crate::plan::PaymentPlan),
    /// The debtor agreed the proposed plan: collection waits while it is kept.
    PaymentPlanAgreed,
    /// An instalment was missed past its grace: the plan fell, collection resumes.
    PaymentPlanDefaulted {
        /// Index of the instalment missed.
        instalment: usize,
        /// Its due date.
        due_date: NaiveDate,
    },
    /// Every instalment was paid.
    PaymentPlanCompleted,
    /// A task for a human was completed.
    TaskCompleted {
        /// The task.
        task_id: TaskId,
        /// Its kind (stored name).
        kind: String,
        /// Its outcome (stored name).
        outcome: String,
        /// The agent's note.
        note: String,
    },
    /// The claim was handed over.
    Created {
        /// Invoices and their total, as received.
        invoices: Vec<Invoice>,
        /// Sum of the invoices.
        principal_total: Money,
        /// The caller's reference.
        external_reference: String,
    },
    /// A payment was received.
    PaymentRecorded {
        /// The payment.
        payment: Payment,
        /// Everything owed today after it; `None` when a rate it needs is not published.
        balance_after: Option<Money>,
    },
    /// A formal notice's receipt was recorded: legal interest runs from it (C. civ. 1344-1).
    FormalNoticeDelivered(FormalNoticeDelivery),
    /// A judgment was recorded (C. civ. 1231-7, CMF L313-3, CPCE L111-4).
    JudgmentRecorded(Judgment),
    /// An acknowledgment, court action or enforcement measure interrupting limitation.
    InterruptionRecorded(Interruption),
    /// Complementary recovery costs claimed on proof (C. com. L441-10 II).
    RecoveryCostRecorded(RecoveryCost),
    /// A document (letter, formal notice, dossier, reminder text) was generated and stored.
    DocumentGenerated(GeneratedDocument),
    /// A contact with the debtor happened.
    ContactRecorded(Contact),
    /// The debtor disputes the claim.
    DisputeOpened {
        /// What is contested.
        reason: String,
    },
    /// The dispute ended.
    DisputeResolved {
        /// How.
        resolution: DisputeResolution,
        /// Why.
        note: String,
    },
    /// The debtor promised to pay.
    PromiseRecorded {
        /// Amount promised.
        amount: Money,
        /// By when.
        due_date: NaiveDate,
    },
    /// The promise was paid in time.
    PromiseKept {
        /// Amount promised.
        amount: Money,
        /// By when.
        due_date: NaiveDate,
    },
    /// The promise's date passed without full payment.
    PromiseBroken {
        /// Amount promised.
        amount: Money,
        /// By when.
        due_date: NaiveDate,
        /// What was paid towards it.
        paid: Money,
    },
    /// The claim moved up the ladder.
    Escalated {
        /// From.
        from: Stage,
        /// To.
        to: Stage,
    },
    /// The claim ended.
    Closed {
        /// How.
        kind: ClosureKind,
        /// Why.
        reason: String,
    },
}

fn date_str(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

fn money_json(m: Money) -> Value {
    json!({ "amount": m.to_amount_string(), "currency": m.currency().code() })
}

impl ClaimEvent {
    /// Stable machine name of the event kind.
    pub fn kind(&self) -> &'static str {
        match self {
            ClaimEvent::Created { .. } => "claim_created",
            ClaimEvent::PaymentRecorded { .. } => "payment_recorded",
            ClaimEvent::FormalNoticeDelivered(_) => "formal_notice_delivered",
            ClaimEvent::JudgmentRecorded(_) => "judgment_recorded",
            ClaimEvent::InterruptionRecorded(_) => "interruption_recorded",
            ClaimEvent::RecoveryCostRecorded(_) => "recovery_cost_recorded",
            ClaimEvent::DocumentGenerated(_) => "document_generated",
            ClaimEvent::ContactRecorded(_) => "contact_recorded",
            ClaimEvent::DisputeOpened { .. } => "dispute_opened",
            ClaimEvent::DisputeResolved { .. } => "dispute_resolved",
            ClaimEvent::PromiseRecorded { .. } => "promise_recorded",
            ClaimEvent::PromiseKept { .. } => "promise_kept",
            ClaimEvent::PromiseBroken { .. } => "promise_broken",
            ClaimEvent::Escalated { .. } => "escalated",
            ClaimEvent::Closed { .. } => "claim_closed",
            ClaimEvent::StepPerformed(_) => "step_performed",
            ClaimEvent::StepSkipped { .. } => "step_skipped",
            ClaimEvent::TaskCompleted { .. } => "task_completed",
            ClaimEvent::PaymentPlanProposed(_) => "payment_plan_proposed",
            ClaimEvent::PaymentPlanAgreed => "payment_plan_agreed",
            ClaimEvent::PaymentPlanDefaulted { .. } => "payment_plan_defaulted",
            ClaimEvent::PaymentPlanCompleted => "payment_plan_completed",
            ClaimEvent::DebtorProceedingsRecorded(_) => "debtor_proceedings_recorded",
        }
    }

    /// The event's content as JSON: amounts as exact decimal strings, dates ISO 8601, so the
    /// canonical form hashes the same after a round trip through PostgreSQL's `jsonb`.
    pub fn payload(&self) -> Value {
        match self {
            ClaimEvent::Created {
                invoices,
                principal_total,
                external_reference,
            } => json!({
                "external_reference": external_reference,
                "principal_total": money_json(*principal_total),
                "invoices": invoices.iter().map(|i| json!({
                    "number": i.number,
                    "issue_date": date_str(i.issue_date),
                    "service_completion_date": i.service_completion_date.map(date_str),
                    "due_date": date_str(i.due_date),
                    "payment_terms": i.payment_terms.map(|t| json!({
                        "kind": t.kind_str(), "days": t.days(),
                    })),
                    "amount": money_json(i.amount),
                    "contractual_rate": i.contractual_rate.map(|r| r.normalize().to_string()),
                })).collect::<Vec<_>>(),
            }),
            ClaimEvent::PaymentRecorded {
                payment,
                balance_after,
            } => json!({
                "payment_id": payment.id.to_string(),
                "amount": money_json(payment.amount),
                "value_date": date_str(payment.value_date),
                "method": payment.method.as_str(),
                "reference": payment.reference,
                "invoice_number": payment.invoice_number,
                "balance_after": balance_after.map(money_json),
            }),
            ClaimEvent::FormalNoticeDelivered(n) => json!({
                "sent_on": date_str(n.sent_on),
                "received_on": date_str(n.received_on),
                "tracking_number": n.tracking_number,
            }),
            ClaimEvent::JudgmentRecorded(j) => json!({
                "pronounced_on": date_str(j.pronounced_on),
                "enforceable_on": j.enforceable_on.map(date_str),
                "court": j.court,
                "reference": j.reference,
            }),
            ClaimEvent::InterruptionRecorded(i) => json!({
                "on": date_str(i.on),
                "cause": i.cause.as_str(),
                "note": i.note,
            }),
            ClaimEvent::DocumentGenerated(d) => json!({
                "document_id": d.document_id.to_string(),
                "kind": d.kind,
                "language": d.language,
                "sha256": d.sha256,
                "template_version": d.template_version,
            }),
            ClaimEvent::RecoveryCostRecorded(c) => json!({
                "invoice_number": c.invoice_number,
                "amount": c.amount.to_string(),
                "incurred_on": date_str(c.incurred_on),
                "proof": c.proof,
            }),
            ClaimEvent::ContactRecorded(c) => json!({
                "channel": c.channel.as_str(),
                "direction": c.direction.as_str(),
                "outcome": c.outcome.as_str(),
                "note": c.note,
                "occurred_at": crate::events::timestamp_str(c.occurred_at),
            }),
            ClaimEvent::DisputeOpened { reason } => json!({ "reason": reason }),
            ClaimEvent::DisputeResolved { resolution, note } => {
                json!({ "resolution": resolution.as_str(), "note": note })
            }
            ClaimEvent::PromiseRecorded { amount, due_date }
            | ClaimEvent::PromiseKept { amount, due_date } => {
                json!({ "amount": money_json(*amount), "due_date": date_str(*due_date) })
            }
            ClaimEvent::PromiseBroken {
                amount,
                due_date,
                paid,
            } => json!({
                "amount": money_json(*amount),
                "due_date": date_str(*due_date),
                "paid": money_json(*paid),
            }),
            ClaimEvent::Escalated { from, to } => {
                json!({ "from": from.as_str(), "to": to.as_str() })
            }
            ClaimEvent::Closed { kind, reason } => {
                json!({ "kind": kind.as_str(), "reason": reason })
            }
            ClaimEvent::StepPerformed(r) => json!({
                "index": r.index,
                "action": r.action.as_str(),
                "policy_id": r.policy_id.map(|p| p.to_string()),
                "document_id": r.document_id.map(|d| d.to_string()),
                "task_id": r.task_id.map(|t| t.to_string()),
                "message_id": r.message_id.map(|m| m.to_string()),
            }),
            ClaimEvent::StepSkipped {
                index,
                action,
                reason,
            } => json!({ "index": index, "action": action.as_str(), "reason": reason }),
            ClaimEvent::DebtorProceedingsRecorded(p) => crate::proceedings::payload(p),
            ClaimEvent::PaymentPlanProposed(plan) => crate::plan::payload(plan),
            ClaimEvent::PaymentPlanAgreed | ClaimEvent::PaymentPlanCompleted => json!({}),
            ClaimEvent::PaymentPlanDefaulted {
                instalment,
                due_date,
            } => json!({ "instalment": instalment, "due_date": date_str(*due_date) }),
            ClaimEvent::TaskCompleted {
                task_id,
                kind,
                outcome,
                note,
            } => json!({
                "task_id": task_id.to_string(),
                "kind": kind,
                "outcome": outcome,
                "note": note,
            }),
        }
    }
}

/// Why `text` cannot be stored, if it cannot: PostgreSQL's `text` and `jsonb` refuse the NUL
/// character, so it is the caller's mistake, reported on its field.
pub fn text_problem(text: &str) -> Option<&'static str> {
    text.contains('\0')
        .then_some("must not contain the NUL character")
}

fn check_text(field: &str, text: &str, required: bool, out: &mut Vec<FieldViolation>) {
    if let Some(problem) = text_problem(text) {
        out.push(FieldViolation::new(field, problem));
    } else if required && text.trim().is_empty() {
        out.push(FieldViolation::new(field, "must not be empty"));
    } else if text.chars().count() > MAX_TEXT {
        out.push(FieldViolation::new(
            field,
            format!("must be at most {MAX_TEXT} characters"),
        ));
    }
}

/// Morning of `date` (08:00 UTC): when a step scheduled for that day becomes due.
pub(crate) fn morning_of(date: NaiveDate) -> DateTime<Utc> {
    crate::calendar::morning_in_paris(date)
}

/// Delay before the first reminder, and between formal notice and legal review (PRODUCT.md §4
/// default policy: reminder at due date + 7 days; legal review the day after an 8-day notice).
const FIRST_REMINDER_DAYS: u64 = 7;
const FORMAL_NOTICE_DEADLINE_DAYS: u64 = crate::policy::FORMAL_NOTICE_DEADLINE_DAYS as u64;

impl Claim {
    /// Opens a claim from the invoices handed over. Checks every invoice and reports every
    /// problem at once.
    pub fn open(
        id: ClaimId,
        new: NewClaim,
        now: Now,
    ) -> Result<(Claim, Vec<ClaimEvent>), ClaimError> {
        let parts: Vec<InvoiceParts<'_>> = new.invoices.iter().map(InvoiceParts::of).collect();
        let violations = claim_violations(
            &new.external_reference,
            &parts,
            Some(new.currency),
            now.today,
        );
        if !violations.is_empty() {
            return Err(ClaimError::Invalid(violations));
        }
        let reference = new.external_reference.trim();
        let total = new
            .invoices
            .iter()
            .try_fold(Money::zero(new.currency), |sum, i| {
                sum.checked_add(i.amount)
            })
            .map_err(|e| ClaimError::field("invoices", e.to_string()))?;
        let first_due = new
            .invoices
            .iter()
            .map(|i| i.due_date)
            .min()
            .unwrap_or(now.today);
        let claim = Claim {
            id,
            creditor_id: new.creditor_id,
            debtor_id: new.debtor_id,
            external_reference: reference.to_owned(),
            currency: new.currency,
            state: ClaimState::Open(Stage::Amicable),
            invoices: new
                .invoices
                .iter()
                .map(|i| Invoice {
                    number: i.number.trim().to_owned(),
                    ..i.clone()
                })
                .collect(),
            regime: new.regime,
            legal: LegalFacts {
                compound_interest: new.compound_interest,
                ..LegalFacts::default()
            },
            principal_total: total,
            paid_total: Money::zero(new.currency),
            payments: Vec::new(),
            dispute: None,
            promise: None,
            debtor_hold: None,
            plan: None,
            closure: None,
            next_action_at: None,
            automation: Automation {
                policy_id: new.policy_id,
                next_step: 0,
                last_step_on: None,
                planned_at: Some(
                    new.first_step_at
                        .unwrap_or_else(|| morning_of(first_due + Days::new(FIRST_REMINDER_DAYS)))
                        .max(now.at),
                ),
            },
            version: 0,
            head_hash: [0; 32],
            created_at: now.at,
            updated_at: now.at,
        };
        let mut claim = claim;
        claim.reschedule();
        let event = ClaimEvent::Created {
            invoices: claim.invoices.clone(),
            principal_total: total,
            external_reference: claim.external_reference.clone(),
        };
        Ok((claim, vec![event]))
    }

    /// What is still owed: invoices minus payments (the statement engine will add interest).
    pub fn balance(&self) -> Money {
        self.principal_total
            .checked_sub(self.paid_total)
            .unwrap_or(Money::zero(self.currency))
    }

    /// Whether a dispute or a running promise holds escalation.
    pub fn hold(&self, today: NaiveDate) -> Option<&'static str> {
        if matches!(self.state, ClaimState::Closed(_)) {
            None
        } else if let Some(proceedings) = &self.debtor_hold {
            Some(proceedings.hold())
        } else if self.dispute.is_some() {
            Some("dispute")
        } else if self
            .plan
            .as_ref()
            .is_some_and(|p| p.status == crate::plan::PlanStatus::Active)
        {
            Some("payment_plan")
        } else if self.promise.as_ref().is_some_and(|p| p.due_date >= today) {
            Some("promise_to_pay")
        } else {
            None
        }
    }

    fn ensure_open(&self) -> Result<Stage, ClaimError> {
        match self.state {
            ClaimState::Open(stage) => Ok(stage),
            ClaimState::Closed(kind) => Err(ClaimError::Closed(kind.as_str())),
        }
    }

    /// Marks a promise whose date has passed without full payment as broken. Runs before
    /// every transition, so the timeline shows the break before what followed it.
    pub(crate) fn expire_promise(&mut self, now: Now, events: &mut Vec<ClaimEvent>) {
        if let Some(promise) = &self.promise
            && promise.due_date < now.today
        {
            events.push(ClaimEvent::PromiseBroken {
                amount: promise.amount,
                due_date: promise.due_date,
                paid: promise.paid,
            });
            self.promise = None;
        }
    }

    /// Recomputes when the scheduler must next look at the claim: never while closed, disputed
    /// or with the legal team; the day after a promise's date (to break it or resume);
    /// otherwise when the next step of its policy falls due.
    pub(crate) fn reschedule(&mut self) {
        self.next_action_at = match self.state {
            ClaimState::Closed(_) => None,
            ClaimState::Open(_) if self.dispute.is_some() || self.debtor_hold.is_some() => None,
            ClaimState::Open(Stage::Legal) => None,
            // An agreed plan is looked at the day after an instalment's grace runs out.
            ClaimState::Open(_)
                if self
                    .plan
                    .as_ref()
                    .is_some_and(|p| p.status == crate::plan::PlanStatus::Active) =>
            {
                self.plan
                    .as_ref()
                    .and_then(crate::plan::PaymentPlan::next_check)
                    .map(morning_of)
            }
            ClaimState::Open(_) if self.promise.is_some() => self
                .promise
                .as_ref()
                .map(|p| morning_of(p.due_date + Days::new(1))),
            ClaimState::Open(Stage::Amicable | Stage::FormalNotice) => self.automation.planned_at,
        };
    }

    fn finish(&mut self, now: Now, events: Vec<ClaimEvent>) -> Vec<ClaimEvent> {
        self.reschedule();
        self.updated_at = now.at;
        events
    }

    /// Runs `change` on a copy and keeps it only on success, so a refused transition leaves
    /// the claim exactly as it was (expiring a promise is part of the change, not a side
    /// effect of a refusal).
    fn transact(
        &mut self,
        change: impl FnOnce(&mut Claim) -> Result<Vec<ClaimEvent>, ClaimError>,
    ) -> Result<Vec<ClaimEvent>, ClaimError> {
        let mut next = self.clone();
        let events = change(&mut next)?;
        *self = next;
        Ok(events)
    }

    /// Records a payment (C. civ. art. 1342). Refused on a closed claim and beyond the balance;
    /// counts towards a running promise when valued by its date; closes the claim as paid when
    /// nothing remains owed.
    fn record_payment_inner(
        &mut self,
        payment: Payment,
        settlement: Settlement,
        now: Now,
    ) -> Result<Vec<ClaimEvent>, ClaimError> {
        self.ensure_open()?;
        let mut violations = Vec::new();
        if payment.amount.currency() != self.currency {
            violations.push(FieldViolation::new(
                "amount.currency_code",
                format!("must be the claim's currency {}", self.currency.code()),
            ));
        } else if payment.amount.is_zero() {
            violations.push(FieldViolation::new(
                "amount.amount",
                "must be greater than zero",
            ));
        }
        if payment.value_date > now.today {
            violations.push(FieldViolation::new(
                "value_date",
                "must not be in the future",
            ));
        }
        check_text("reference", &payment.reference, false, &mut violations);
        if let Some(number) = &payment.invoice_number
            && !self.invoices.iter().any(|i| &i.number == number)
        {
            violations.push(FieldViolation::new(
                "invoice_number",
                "is not an invoice of this claim",
            ));
        }
        if !violations.is_empty() {
            return Err(ClaimError::Invalid(violations));
        }
        let balance_after = match settlement {
            Settlement::Imputed {
                owed_before,
                owed_after,
                excess,
            } => {
                if !excess.is_zero() {
                    return Err(ClaimError::Overpayment {
                        amount: payment.amount,
                        balance: owed_before,
                    });
                }
                Some(owed_after)
            }
            // Without the rate the payment cannot be imputed; it is still certain not to
            // overpay when it stays within the principal not yet paid.
            Settlement::Unpriced(missing) => {
                if payment.amount > self.balance() {
                    return Err(ClaimError::RateNotPublished(missing));
                }
                None
            }
        };
        let mut events = Vec::new();
        // A payment valued after a lapsed promise cannot keep it: the break comes first. One
        // valued by the promise's date (even if recorded late) counts towards it.
        if self
            .promise
            .as_ref()
            .is_some_and(|p| payment.value_date > p.due_date)
        {
            self.expire_promise(now, &mut events);
        }
        let mut promise_kept = None;
        if let Some(promise) = &mut self.promise
            && payment.value_date <= promise.due_date
        {
            promise.paid = promise
                .paid
                .checked_add(payment.amount)
                .map_err(money_invalid)?;
            if promise.paid >= promise.amount || balance_after.is_some_and(Money::is_zero) {
                promise_kept = Some((promise.amount, promise.due_date));
            }
        }
        self.paid_total = self
            .paid_total
            .checked_add(payment.amount)
            .map_err(money_invalid)?;
        let mut plan_completed = false;
        if let Some(plan) = &mut self.plan
            && plan.status == crate::plan::PlanStatus::Active
        {
            plan.paid = plan
                .paid
                .checked_add(payment.amount)
                .map_err(money_invalid)?;
            if plan.is_complete() || balance_after.is_some_and(Money::is_zero) {
                plan.status = crate::plan::PlanStatus::Completed;
                plan_completed = true;
            }
        }
        self.payments.push(payment.clone());
        events.push(ClaimEvent::PaymentRecorded {
            payment,
            balance_after,
        });
        if let Some((amount, due_date)) = promise_kept {
            self.promise = None;
            events.push(ClaimEvent::PromiseKept { amount, due_date });
        }
        if plan_completed {
            events.push(ClaimEvent::PaymentPlanCompleted);
        }
        self.expire_promise(now, &mut events);
        if balance_after.is_some_and(Money::is_zero) {
            let reason = "paid in full".to_owned();
            self.close_with(ClosureKind::Paid, reason.clone(), now);
            events.push(ClaimEvent::Closed {
                kind: ClosureKind::Paid,
                reason,
            });
        }
        Ok(self.finish(now, events))
    }

    /// Records a contact with the debtor (call, letter, visit…).
    fn record_contact_inner(
        &mut self,
        contact: Contact,
        now: Now,
    ) -> Result<Vec<ClaimEvent>, ClaimError> {
        self.ensure_open()?;
        let mut violations = Vec::new();
        if !contact.outcome.fits(contact.channel, contact.direction) {
            violations.push(FieldViolation::new(
                "outcome",
                format!(
                    "{} does not fit an {} {} contact",
                    contact.outcome.as_str(),
                    contact.direction.as_str(),
                    contact.channel.as_str()
                ),
            ));
        }
        if contact.occurred_at > now.at + chrono::Duration::minutes(5) {
            violations.push(FieldViolation::new(
                "occur_time",
                "must not be in the future",
            ));
        }
        check_text("note", &contact.note, false, &mut violations);
        if !violations.is_empty() {
            return Err(ClaimError::Invalid(violations));
        }
        let mut events = Vec::new();
        self.expire_promise(now, &mut events);
        events.push(ClaimEvent::ContactRecorded(contact));
        Ok(self.finish(now, events))
    }

    /// Opens a dispute: a hold on escalation until resolved.
    fn open_dispute_inner(
        &mut self,
        reason: String,
        now: Now,
    ) -> Result<Vec<ClaimEvent>, ClaimError> {
        self.ensure_open()?;
        let mut violations = Vec::new();
        check_text("reason", &reason, true, &mut violations);
        if !violations.is_empty() {
            return Err(ClaimError::Invalid(violations));
        }
        if self.dispute.is_some() {
            return Err(ClaimError::DisputeAlreadyOpen);
        }
        let mut events = Vec::new();
        self.expire_promise(now, &mut events);
        self.dispute = Some(Dispute {
            reason: reason.clone(),
            opened_at: now.at,
        });
        events.push(ClaimEvent::DisputeOpened { reason });
        Ok(self.finish(now, events))
    }

    /// Resolves the open dispute, lifting its hold.
    fn resolve_dispute_inner(
        &mut self,
        resolution: DisputeResolution,
        note: String,
        now: Now,
    ) -> Result<Vec<ClaimEvent>, ClaimError> {
        self.ensure_open()?;
        let mut violations = Vec::new();
        check_text("note", &note, true, &mut violations);
        if !violations.is_empty() {
            return Err(ClaimError::Invalid(violations));
        }
        if self.dispute.is_none() {
            return Err(ClaimError::NoOpenDispute);
        }
        let mut events = Vec::new();
        self.expire_promise(now, &mut events);
        self.dispute = None;
        events.push(ClaimEvent::DisputeResolved { resolution, note });
        Ok(self.finish(now, events))
    }

    /// Records a promise to pay by a date: a hold until then.
    fn record_promise_inner(
        &mut self,
        amount: Money,
        due_date: NaiveDate,
        owed: Result<Money, RateError>,
        now: Now,
    ) -> Result<Vec<ClaimEvent>, ClaimError> {
        self.ensure_open()?;
        let mut violations = Vec::new();
        if amount.currency() != self.currency {
            violations.push(FieldViolation::new(
                "amount.currency_code",
                format!("must be the claim's currency {}", self.currency.code()),
            ));
        } else if amount.is_zero() {
            violations.push(FieldViolation::new(
                "amount.amount",
                "must be greater than zero",
            ));
        }
        if due_date < now.today {
            violations.push(FieldViolation::new("due_date", "must not be in the past"));
        } else if due_date > now.today + Days::new(MAX_PROMISE_DAYS) {
            violations.push(FieldViolation::new(
                "due_date",
                format!("must be within {MAX_PROMISE_DAYS} days"),
            ));
        }
        if !violations.is_empty() {
            return Err(ClaimError::Invalid(violations));
        }
        let mut events = Vec::new();
        self.expire_promise(now, &mut events);
        if let Some(p) = &self.promise {
            return Err(ClaimError::PromiseAlreadyActive(p.due_date));
        }
        match owed {
            Ok(balance) if amount > balance => {
                return Err(ClaimError::PromiseExceedsBalance { amount, balance });
            }
            Err(missing) if amount > self.balance() => {
                return Err(ClaimError::RateNotPublished(missing));
            }
            Ok(_) | Err(_) => {}
        }
        self.promise = Some(Promise {
            amount,
            due_date,
            paid: Money::zero(self.currency),
            recorded_at: now.at,
        });
        events.push(ClaimEvent::PromiseRecorded { amount, due_date });
        Ok(self.finish(now, events))
    }

    /// Moves the claim one stage up: amicable → formal notice → legal. Refused on hold, on a
    /// closed claim, and for any other target than the next stage.
    fn escalate_inner(
        &mut self,
        to: Stage,
        limitation_deadline: Option<NaiveDate>,
        now: Now,
    ) -> Result<Vec<ClaimEvent>, ClaimError> {
        let from = self.ensure_open()?;
        let mut events = Vec::new();
        self.expire_promise(now, &mut events);
        if from.next() != Some(to) {
            return Err(ClaimError::InvalidTransition {
                from: from.as_str(),
                to: to.as_str(),
            });
        }
        if let Some(hold) = self.hold(now.today) {
            return Err(ClaimError::OnHold(hold));
        }
        // No legal action on a time-barred debt (C. civ. 2219): refused past the deadline.
        if to == Stage::Legal
            && let Some(deadline) = limitation_deadline
            && now.today > deadline
        {
            return Err(ClaimError::LimitationExpired { deadline });
        }
        self.state = ClaimState::Open(to);
        // A formal notice sent by hand counts as the policy's: the scheduler skips the steps
        // up to the policy's own notice and plans what follows from today.
        self.automation.planned_at = match to {
            Stage::FormalNotice => {
                self.automation.last_step_on = Some(now.today);
                Some(morning_of(
                    now.today + Days::new(FORMAL_NOTICE_DEADLINE_DAYS + 1),
                ))
            }
            Stage::Amicable | Stage::Legal => None,
        };
        events.push(ClaimEvent::Escalated { from, to });
        Ok(self.finish(now, events))
    }

    /// Closes the claim. Closing as paid requires a zero balance.
    fn close_inner(
        &mut self,
        kind: ClosureKind,
        reason: String,
        owed: Result<Money, RateError>,
        now: Now,
    ) -> Result<Vec<ClaimEvent>, ClaimError> {
        self.ensure_open()?;
        let mut violations = Vec::new();
        check_text("reason", &reason, true, &mut violations);
        if !violations.is_empty() {
            return Err(ClaimError::Invalid(violations));
        }
        match (kind, owed) {
            (ClosureKind::Paid, Ok(owed)) if !owed.is_zero() => {
                return Err(ClaimError::BalanceOutstanding(owed));
            }
            (ClosureKind::Paid, Err(missing)) => {
                return Err(ClaimError::RateNotPublished(missing));
            }
            (ClosureKind::Paid, Ok(_)) => {}
            (ClosureKind::Settled | ClosureKind::WrittenOff | ClosureKind::Cancelled, _) => {}
        }
        let mut events = Vec::new();
        self.expire_promise(now, &mut events);
        self.close_with(kind, reason.clone(), now);
        events.push(ClaimEvent::Closed { kind, reason });
        Ok(self.finish(now, events))
    }

    fn close_with(&mut self, kind: ClosureKind, reason: String, now: Now) {
        self.state = ClaimState::Closed(kind);
        self.promise = None;
        self.closure = Some(Closure {
            kind,
            reason,
            closed_at: now.at,
        });
    }
}

impl Claim {
    /// The claim as the statement engine reads it.
    pub fn statement_input(&self) -> crate::statement::StatementInput<'_> {
        crate::statement::StatementInput {
            currency: self.currency,
            regime: self.regime,
            invoices: &self.invoices,
            payments: &self.payments,
            facts: &self.legal,
        }
    }
}

/// The public transitions: each runs on a copy (see `transact`), so an `Err` leaves the claim
/// untouched.
impl Claim {
    /// Records a payment (C. civ. art. 1342). Refused on a closed claim and beyond the balance;
    /// counts towards a running promise when valued by its date; closes the claim as paid when
    /// nothing remains owed.
    pub fn record_payment(
        &mut self,
        payment: Payment,
        settlement: Settlement,
        now: Now,
    ) -> Result<Vec<ClaimEvent>, ClaimError> {
        self.transact(|c| c.record_payment_inner(payment, settlement, now))
    }

    /// Records a contact with the debtor (call, letter, visit…).
    pub fn record_contact(
        &mut self,
        contact: Contact,
        now: Now,
    ) -> Result<Vec<ClaimEvent>, ClaimError> {
        self.transact(|c| c.record_contact_inner(contact, now))
    }

    /// Opens a dispute: a hold on escalation until resolved.
    pub fn open_dispute(
        &mut self,
        reason: String,
        now: Now,
    ) -> Result<Vec<ClaimEvent>, ClaimError> {
        self.transact(|c| c.open_dispute_inner(reason, now))
    }

    /// Resolves the open dispute, lifting its hold.
    pub fn resolve_dispute(
        &mut self,
        resolution: DisputeResolution,
        note: String,
        now: Now,
    ) -> Result<Vec<ClaimEvent>, ClaimError> {
        self.transact(|c| c.resolve_dispute_inner(resolution, note, now))
    }

    /// Records a promise to pay by a date: a hold until then.
    pub fn record_promise(
        &mut self,
        amount: Money,
        due_date: NaiveDate,
        owed_today: Result<Money, RateError>,
        now: Now,
    ) -> Result<Vec<ClaimEvent>, ClaimError> {
        self.transact(|c| c.record_promise_inner(amount, due_date, owed_today, now))
    }

    /// Moves the claim one stage up: amicable → formal notice → legal. Refused on hold, on a
    /// closed claim, and for any other target than the next stage.
    /// Escalating to the legal stage is refused past `limitation_deadline` (the earliest
    /// deadline of an invoice still owing).
    pub fn escalate(
        &mut self,
        to: Stage,
        limitation_deadline: Option<NaiveDate>,
        now: Now,
    ) -> Result<Vec<ClaimEvent>, ClaimError> {
        self.transact(|c| c.escalate_inner(to, limitation_deadline, now))
    }

    /// Closes the claim. Closing as paid requires a zero balance.
    /// `owed_today` is everything owed today per the statement.
    pub fn close(
        &mut self,
        kind: ClosureKind,
        reason: String,
        owed_today: Result<Money, RateError>,
        now: Now,
    ) -> Result<Vec<ClaimEvent>, ClaimError> {
        self.transact(|c| c.close_inner(kind, reason, owed_today, now))
    }

    /// Records the receipt of the formal notice (mise en demeure): legal interest on a
    /// consumer or civil claim runs from it (C. civ. 1231-6, 1344-1). Once per claim.
    pub fn record_formal_notice_delivery(
        &mut self,
        delivery: FormalNoticeDelivery,
        now: Now,
    ) -> Result<Vec<ClaimEvent>, ClaimError> {
        self.transact(|c| {
            c.ensure_open()?;
            let mut violations = Vec::new();
            if delivery.sent_on > now.today {
                violations.push(FieldViolation::new(
                    "sent_date",
                    "must not be in the future",
                ));
            }
            if delivery.received_on > now.today {
                violations.push(FieldViolation::new(
                    "receipt_date",
                    "must not be in the future",
                ));
            } else if delivery.received_on < delivery.sent_on {
                violations.push(FieldViolation::new(
                    "receipt_date",
                    "must not be before the sending date",
                ));
            }
            check_text(
                "tracking_number",
                &delivery.tracking_number,
                true,
                &mut violations,
            );
            if !violations.is_empty() {
                return Err(ClaimError::Invalid(violations));
            }
            if c.legal.formal_notice.is_some() {
                return Err(ClaimError::AlreadyRecorded("a formal notice receipt"));
            }
            let mut events = Vec::new();
            c.expire_promise(now, &mut events);
            c.legal.formal_notice = Some(delivery.clone());
            events.push(ClaimEvent::FormalNoticeDelivered(delivery));
            Ok(c.finish(now, events))
        })
    }

    /// Records a judgment ordering payment: legal interest from it (C. civ. 1231-7), +5 points
    /// two months after it became enforceable (CMF L313-3), 10 years to enforce it (CPCE
    /// L111-4). Once per claim.
    pub fn record_judgment(
        &mut self,
        judgment: Judgment,
        now: Now,
    ) -> Result<Vec<ClaimEvent>, ClaimError> {
        self.transact(|c| {
            c.ensure_open()?;
            let mut violations = Vec::new();
            if judgment.pronounced_on > now.today {
                violations.push(FieldViolation::new(
                    "judgment_date",
                    "must not be in the future",
                ));
            }
            if let Some(enforceable) = judgment.enforceable_on {
                if enforceable > now.today {
                    violations.push(FieldViolation::new(
                        "enforceable_date",
                        "must not be in the future",
                    ));
                } else if enforceable < judgment.pronounced_on {
                    violations.push(FieldViolation::new(
                        "enforceable_date",
                        "must not be before the judgment date",
                    ));
                }
            }
            check_text("court", &judgment.court, true, &mut violations);
            check_text("reference", &judgment.reference, true, &mut violations);
            if !violations.is_empty() {
                return Err(ClaimError::Invalid(violations));
            }
            if c.legal.judgment.is_some() {
                return Err(ClaimError::AlreadyRecorded("a judgment"));
            }
            let mut events = Vec::new();
            c.expire_promise(now, &mut events);
            c.legal.judgment = Some(judgment.clone());
            events.push(ClaimEvent::JudgmentRecorded(judgment));
            Ok(c.finish(now, events))
        })
    }

    /// Records an acknowledgment of debt, a court action or an enforcement measure: each
    /// restarts the limitation period of every invoice (C. civ. 2231, 2240, 2241, 2244).
    pub fn record_interruption(
        &mut self,
        interruption: Interruption,
        now: Now,
    ) -> Result<Vec<ClaimEvent>, ClaimError> {
        self.transact(|c| {
            c.ensure_open()?;
            let mut violations = Vec::new();
            if interruption.on > now.today {
                violations.push(FieldViolation::new("date", "must not be in the future"));
            }
            if interruption.cause == InterruptionCause::Payment {
                violations.push(FieldViolation::new(
                    "cause",
                    "payments are recorded with RecordPayment",
                ));
            }
            check_text("note", &interruption.note, false, &mut violations);
            if !violations.is_empty() {
                return Err(ClaimError::Invalid(violations));
            }
            let mut events = Vec::new();
            c.expire_promise(now, &mut events);
            c.legal.interruptions.push(interruption.clone());
            events.push(ClaimEvent::InterruptionRecorded(interruption));
            Ok(c.finish(now, events))
        })
    }

    /// Records that a document was generated. Refused on a closed claim: nothing is sent about
    /// a claim that ended.
    pub fn record_document(
        &mut self,
        document: GeneratedDocument,
        now: Now,
    ) -> Result<Vec<ClaimEvent>, ClaimError> {
        self.transact(|c| {
            c.ensure_open()?;
            let mut events = Vec::new();
            c.expire_promise(now, &mut events);
            events.push(ClaimEvent::DocumentGenerated(document));
            Ok(c.finish(now, events))
        })
    }

    /// Records recovery costs above the fixed indemnity, with their proof (C. com. L441-10
    /// II). Refused on consumer and civil claims (CPCE L111-8).
    pub fn record_recovery_cost(
        &mut self,
        cost: RecoveryCost,
        now: Now,
    ) -> Result<Vec<ClaimEvent>, ClaimError> {
        self.transact(|c| {
            c.ensure_open()?;
            let mut violations = Vec::new();
            if !c.invoices.iter().any(|i| i.number == cost.invoice_number) {
                violations.push(FieldViolation::new(
                    "invoice_number",
                    "is not an invoice of this claim",
                ));
            }
            if cost.amount <= Decimal::ZERO {
                violations.push(FieldViolation::new(
                    "amount.amount",
                    "must be greater than zero",
                ));
            }
            if cost.incurred_on > now.today {
                violations.push(FieldViolation::new(
                    "incurred_date",
                    "must not be in the future",
                ));
            }
            check_text("proof", &cost.proof, true, &mut violations);
            if !violations.is_empty() {
                return Err(ClaimError::Invalid(violations));
            }
            if c.regime != InterestRegime::Commercial {
                return Err(ClaimError::RecoveryCostsNotAllowed(c.regime.as_str()));
            }
            let mut events = Vec::new();
            c.expire_promise(now, &mut events);
            c.legal.recovery_costs.push(cost.clone());
            events.push(ClaimEvent::RecoveryCostRecorded(cost));
            Ok(c.finish(now, events))
        })
    }
}

fn money_invalid(e: MoneyError) -> ClaimError {
    ClaimError::field("amount", e.to_string())
}
