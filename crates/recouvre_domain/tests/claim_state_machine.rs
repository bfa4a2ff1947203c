//! The claim state machine, as tables: a starting situation built from `Claim::open` and real
//! transitions, one action, and the expected outcome (resulting state, hold and event kinds, or
//! the exact refusal). Then the behaviours worth a name of their own, and property tests on
//! amounts (conservation) and on the timeline (every returned event is sealed, numbered
//! without gaps).

use chrono::{DateTime, Datelike, Days, NaiveDate, Utc};
use proptest::prelude::*;
use recouvre_domain::claim::FieldViolation;
use recouvre_domain::events::{GENESIS, seal};
use recouvre_domain::rates::{RateError, RateKind, Semester};
use recouvre_domain::statement::{
    FormalNoticeDelivery, InterestRegime, Interruption, InterruptionCause, Judgment, RecoveryCost,
};
use recouvre_domain::{
    Claim, ClaimError, ClaimEvent, ClaimId, ClaimState, ClosureKind, Contact, ContactChannel,
    ContactDirection, ContactOutcome, CreditorId, Currency, DebtorId, DisputeResolution, Invoice,
    Money, NewClaim, Now, Payment, PaymentId, PaymentMethod, Settlement, Stage, verify_chain,
};
use rust_decimal::Decimal;

// ---------------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------------

/// The day every table action happens.
fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 3, 10).expect("valid date")
}

/// A date `offset` days from [`today`] (negative: in the past).
fn day(offset: i64) -> NaiveDate {
    let t = today();
    if offset >= 0 {
        t + Days::new(offset.unsigned_abs())
    } else {
        t - Days::new(offset.unsigned_abs())
    }
}

/// Ten in the morning UTC on `date` (still the same day in Paris).
fn at(date: NaiveDate) -> DateTime<Utc> {
    date.and_hms_opt(10, 0, 0).expect("valid time").and_utc()
}

/// "Now" on the day `offset` days from [`today`].
fn now_at(offset: i64) -> Now {
    let today = day(offset);
    Now {
        at: at(today),
        today,
    }
}

fn eur(amount: &str) -> Money {
    Money::parse(amount, "EUR").expect("test amount is valid")
}

fn usd(amount: &str) -> Money {
    Money::parse(amount, "USD").expect("test amount is valid")
}

fn cents(c: i64) -> Money {
    Money::new(Decimal::new(c, 2), Currency::EUR).expect("cents are in range")
}

fn to_cents(m: Money) -> i128 {
    assert_eq!(
        m.amount().scale(),
        2,
        "EUR amounts carry exactly 2 decimals"
    );
    m.amount().mantissa()
}

fn invoice(number: &str, amount: Money) -> Invoice {
    Invoice {
        number: number.to_owned(),
        issue_date: day(-60),
        service_completion_date: Some(day(-61)),
        due_date: day(-45),
        payment_terms: None,
        amount,
        contractual_rate: None,
    }
}

fn new_claim(invoices: Vec<Invoice>) -> NewClaim {
    NewClaim {
        creditor_id: CreditorId(uuid::Uuid::from_u128(1)),
        debtor_id: DebtorId(uuid::Uuid::from_u128(2)),
        external_reference: "DOS-2025-0042".to_owned(),
        currency: Currency::EUR,
        invoices,
        regime: InterestRegime::Commercial,
        compound_interest: false,
        policy_id: None,
        first_step_at: None,
    }
}

/// The settlement a payment of `amount` gets when nothing but principal is owed: the balance is
/// principal − payments, as before the statement engine, so the assertions below keep their
/// meaning. Beyond the balance, the excess is what exceeds it.
fn interest_free(claim: &Claim, amount: Money) -> Settlement {
    let owed = claim.balance();
    let zero = Money::zero(owed.currency());
    Settlement::Imputed {
        owed_before: owed,
        owed_after: owed.checked_sub(amount).unwrap_or(zero),
        excess: amount.checked_sub(owed).unwrap_or(zero),
    }
}

/// What is owed today when nothing but principal is owed (principal − payments).
fn owed(claim: &Claim) -> Result<Money, RateError> {
    Ok(claim.balance())
}

/// The refusal of a statement that needs the unpublished 2026-S2 ECB reference.
fn unpublished() -> RateError {
    RateError::NotPublished {
        semester: Semester::parse("2026-S2").expect("valid semester"),
        kind: RateKind::EcbReference,
    }
}

/// A settlement as the statement engine gives it, owed before and after in EUR.
fn imputed(owed_before: &str, owed_after: &str, excess: &str) -> Settlement {
    Settlement::Imputed {
        owed_before: eur(owed_before),
        owed_after: eur(owed_after),
        excess: eur(excess),
    }
}

fn claim_id() -> ClaimId {
    ClaimId(uuid::Uuid::from_u128(0x42))
}

/// A valid claim of 1000.00 EUR (600 + 400) opened 40 days ago, between professionals.
fn open_claim() -> Claim {
    open_claim_as(InterestRegime::Commercial)
}

/// The same claim under `regime`.
fn open_claim_as(regime: InterestRegime) -> Claim {
    let new = NewClaim {
        regime,
        ..new_claim(vec![
            invoice("F-001", eur("600.00")),
            invoice("F-002", eur("400.00")),
        ])
    };
    let (claim, events) = Claim::open(claim_id(), new, now_at(-40)).expect("valid claim");
    assert_eq!(kinds(&events), ["claim_created"]);
    claim
}

fn payment(amount: Money, value_date: NaiveDate) -> Payment {
    Payment {
        id: PaymentId(uuid::Uuid::from_u128(
            0x9000 + u128::from(value_date.ordinal()),
        )),
        amount,
        value_date,
        method: PaymentMethod::BankTransfer,
        reference: "VIR-123".to_owned(),
        invoice_number: None,
    }
}

fn contact(occurred_at: DateTime<Utc>) -> Contact {
    Contact {
        channel: ContactChannel::Phone,
        direction: ContactDirection::Outbound,
        outcome: ContactOutcome::Reached,
        note: "le débiteur promet de rappeler".to_owned(),
        occurred_at,
    }
}

/// A formal notice sent and received `sent` and `received` days from today.
fn notice(sent: i64, received: i64, tracking_number: &str) -> FormalNoticeDelivery {
    FormalNoticeDelivery {
        sent_on: day(sent),
        received_on: day(received),
        tracking_number: tracking_number.to_owned(),
    }
}

/// A judgment pronounced (and made enforceable) that many days from today.
fn judgment(pronounced: i64, enforceable: Option<i64>, court: &str, reference: &str) -> Judgment {
    Judgment {
        pronounced_on: day(pronounced),
        enforceable_on: enforceable.map(day),
        court: court.to_owned(),
        reference: reference.to_owned(),
    }
}

fn interruption(on: i64, cause: InterruptionCause, note: &str) -> Interruption {
    Interruption {
        on: day(on),
        cause,
        note: note.to_owned(),
    }
}

fn recovery_cost(invoice: &str, amount: &str, incurred: i64, proof: &str) -> RecoveryCost {
    RecoveryCost {
        invoice_number: invoice.to_owned(),
        amount: amount.parse().expect("test amount"),
        incurred_on: day(incurred),
        proof: proof.to_owned(),
    }
}

fn kinds(events: &[ClaimEvent]) -> Vec<&'static str> {
    events.iter().map(ClaimEvent::kind).collect()
}

fn fields(violations: &[FieldViolation]) -> Vec<&str> {
    violations.iter().map(|v| v.field.as_str()).collect()
}

// ---------------------------------------------------------------------------------------------
// Starting situations
// ---------------------------------------------------------------------------------------------

/// The promise (if any) the situation starts with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PromiseAt {
    None,
    /// 300.00 EUR recorded yesterday, due in 5 days.
    Running,
    /// 300.00 EUR recorded 5 days ago, due yesterday, nothing paid: broken, not yet marked.
    Broken,
}

/// A starting situation, built only through `Claim::open` and transitions.
#[derive(Debug, Clone, Copy)]
struct Situation {
    regime: InterestRegime,
    stage: Stage,
    promise: PromiseAt,
    dispute: bool,
    /// A formal notice receipt and a judgment are already recorded.
    facts: bool,
    closed: Option<ClosureKind>,
}

const AMICABLE: Situation = Situation {
    regime: InterestRegime::Commercial,
    stage: Stage::Amicable,
    promise: PromiseAt::None,
    dispute: false,
    facts: false,
    closed: None,
};
const CONSUMER: Situation = Situation {
    regime: InterestRegime::Consumer,
    ..AMICABLE
};
const CIVIL: Situation = Situation {
    regime: InterestRegime::Civil,
    ..AMICABLE
};
const FORMAL_NOTICE: Situation = Situation {
    stage: Stage::FormalNotice,
    ..AMICABLE
};
const LEGAL: Situation = Situation {
    stage: Stage::Legal,
    ..AMICABLE
};

impl Situation {
    const fn dispute(self) -> Self {
        Self {
            dispute: true,
            ..self
        }
    }

    const fn promise(self) -> Self {
        Self {
            promise: PromiseAt::Running,
            ..self
        }
    }

    const fn broken_promise(self) -> Self {
        Self {
            promise: PromiseAt::Broken,
            ..self
        }
    }

    const fn closed(self, kind: ClosureKind) -> Self {
        Self {
            closed: Some(kind),
            ..self
        }
    }

    const fn with_facts(self) -> Self {
        Self {
            facts: true,
            ..self
        }
    }

    fn build(self) -> Claim {
        let mut claim = open_claim_as(self.regime);
        if self.facts {
            claim
                .record_formal_notice_delivery(notice(-12, -10, "1A 234 567 8901 2"), now_at(-9))
                .expect("builder: formal notice receipt");
            claim
                .record_judgment(judgment(-8, Some(-7), "TJ Lyon", "RG 25/01234"), now_at(-7))
                .expect("builder: judgment");
        }
        if self.stage >= Stage::FormalNotice {
            claim
                .escalate(Stage::FormalNotice, None, now_at(-30))
                .expect("builder: to formal notice");
        }
        if self.stage >= Stage::Legal {
            claim
                .escalate(Stage::Legal, None, now_at(-20))
                .expect("builder: to legal");
        }
        match self.promise {
            PromiseAt::None => {}
            PromiseAt::Running => {
                claim
                    .record_promise(eur("300.00"), day(5), owed(&claim), now_at(-1))
                    .expect("builder: running promise");
            }
            PromiseAt::Broken => {
                claim
                    .record_promise(eur("300.00"), day(-1), owed(&claim), now_at(-5))
                    .expect("builder: promise due yesterday");
            }
        }
        if self.dispute {
            claim
                .open_dispute("travaux non conformes".to_owned(), now_at(-1))
                .expect("builder: dispute");
        }
        match self.closed {
            None => {}
            Some(ClosureKind::Paid) => {
                let events = claim
                    .record_payment(
                        payment(eur("1000.00"), day(-1)),
                        interest_free(&claim, eur("1000.00")),
                        now_at(-1),
                    )
                    .expect("builder: paid in full");
                assert!(kinds(&events).contains(&"claim_closed"));
            }
            Some(kind) => {
                claim
                    .close(
                        kind,
                        "décision du créancier".to_owned(),
                        owed(&claim),
                        now_at(-1),
                    )
                    .expect("builder: close");
            }
        }
        // The builder must give the situation it claims to give.
        let expected_state = match self.closed {
            Some(kind) => ClaimState::Closed(kind),
            None => ClaimState::Open(self.stage),
        };
        assert_eq!(claim.state, expected_state, "builder state for {self:?}");
        assert_eq!(claim.regime, self.regime, "builder regime");
        assert_eq!(
            claim.legal.formal_notice.is_some() && claim.legal.judgment.is_some(),
            self.facts,
            "builder facts"
        );
        if self.closed.is_none() {
            assert_eq!(claim.dispute.is_some(), self.dispute, "builder dispute");
            assert_eq!(
                claim.promise.is_some(),
                self.promise != PromiseAt::None,
                "builder promise"
            );
        }
        claim
    }
}

// ---------------------------------------------------------------------------------------------
// Actions and outcomes
// ---------------------------------------------------------------------------------------------

/// One transition, with its inputs. Every action happens at [`now_at`]`(0)`.
#[derive(Debug, Clone)]
enum Action {
    /// A payment valued today.
    Pay(Money),
    /// A payment valued `offset` days from today.
    PayValued(Money, i64),
    /// A valid outbound phone contact, an hour ago.
    Contact,
    /// A contact whose outcome does not fit its channel (a letter cannot "reach" anyone).
    ContactMisfit,
    /// A contact an hour in the future.
    ContactInFuture,
    OpenDispute(&'static str),
    ResolveDispute(DisputeResolution, &'static str),
    /// A promise of this amount due `offset` days from today.
    Promise(Money, i64),
    Escalate(Stage),
    Close(ClosureKind, &'static str),
    /// A payment valued today, with the settlement the statement engine gave it.
    PaySettled(Money, Settlement),
    /// A promise due `offset` days from today, with what the statement says is owed today.
    PromiseOwed(Money, i64, Result<Money, RateError>),
    /// Escalation, the earliest limitation deadline of an invoice still owing being `offset`
    /// days from today.
    EscalateWithDeadline(Stage, i64),
    /// Closing, with what the statement says is owed today.
    CloseOwed(ClosureKind, &'static str, Result<Money, RateError>),
    /// A formal notice sent and received `offsets` days from today, with its tracking number.
    Notice(i64, i64, &'static str),
    /// A judgment pronounced and made enforceable `offsets` days from today; court, reference.
    Judgment(i64, Option<i64>, &'static str, &'static str),
    /// An interruption `offset` days from today, its cause and note.
    Interrupt(i64, InterruptionCause, &'static str),
    /// Recovery costs: invoice, amount, incurred `offset` days from today, proof.
    Cost(&'static str, &'static str, i64, &'static str),
}

impl Action {
    fn apply(&self, claim: &mut Claim) -> Result<Vec<ClaimEvent>, ClaimError> {
        let now = now_at(0);
        match self {
            Action::Pay(amount) => {
                claim.record_payment(payment(*amount, day(0)), interest_free(claim, *amount), now)
            }
            Action::PayValued(amount, offset) => claim.record_payment(
                payment(*amount, day(*offset)),
                interest_free(claim, *amount),
                now,
            ),
            Action::Contact => {
                claim.record_contact(contact(now.at - chrono::Duration::hours(1)), now)
            }
            Action::ContactMisfit => claim.record_contact(
                Contact {
                    channel: ContactChannel::Letter,
                    ..contact(now.at)
                },
                now,
            ),
            Action::ContactInFuture => {
                claim.record_contact(contact(now.at + chrono::Duration::hours(1)), now)
            }
            Action::OpenDispute(reason) => claim.open_dispute((*reason).to_owned(), now),
            Action::ResolveDispute(resolution, note) => {
                claim.resolve_dispute(*resolution, (*note).to_owned(), now)
            }
            Action::Promise(amount, offset) => {
                claim.record_promise(*amount, day(*offset), owed(claim), now)
            }
            Action::Escalate(to) => claim.escalate(*to, None, now),
            Action::Close(kind, reason) => {
                claim.close(*kind, (*reason).to_owned(), owed(claim), now)
            }
            Action::PaySettled(amount, settlement) => {
                claim.record_payment(payment(*amount, day(0)), *settlement, now)
            }
            Action::PromiseOwed(amount, offset, owed_today) => {
                claim.record_promise(*amount, day(*offset), *owed_today, now)
            }
            Action::EscalateWithDeadline(to, offset) => {
                claim.escalate(*to, Some(day(*offset)), now)
            }
            Action::CloseOwed(kind, reason, owed_today) => {
                claim.close(*kind, (*reason).to_owned(), *owed_today, now)
            }
            Action::Notice(sent, received, tracking) => {
                claim.record_formal_notice_delivery(notice(*sent, *received, tracking), now)
            }
            Action::Judgment(pronounced, enforceable, court, reference) => {
                claim.record_judgment(judgment(*pronounced, *enforceable, court, reference), now)
            }
            Action::Interrupt(on, cause, note) => {
                claim.record_interruption(interruption(*on, *cause, note), now)
            }
            Action::Cost(invoice, amount, incurred, proof) => {
                claim.record_recovery_cost(recovery_cost(invoice, amount, *incurred, proof), now)
            }
        }
    }
}

#[derive(Debug, Clone)]
enum Outcome {
    /// Accepted: the resulting state's stored name, the hold after it (checked on open claims
    /// only) and the kinds of the events produced, in order.
    Ok(&'static str, Option<&'static str>, &'static [&'static str]),
    /// Refused with exactly this error.
    Err(ClaimError),
    /// Refused as invalid input, on exactly these fields (in order).
    Invalid(&'static [&'static str]),
}

use Action as A;
use Outcome as O;

const CLOSE_KINDS: [ClosureKind; 4] = [
    ClosureKind::Paid,
    ClosureKind::Settled,
    ClosureKind::WrittenOff,
    ClosureKind::Cancelled,
];

fn transition_rows() -> Vec<(Situation, Action, Outcome)> {
    let dispute = AMICABLE.dispute();
    let promise = AMICABLE.promise();
    let broken = AMICABLE.broken_promise();
    let transition =
        |from: &'static str, to: &'static str| O::Err(ClaimError::InvalidTransition { from, to });
    let resolve = A::ResolveDispute(DisputeResolution::CreditorUpheld, "facture confirmée");

    let mut rows = vec![
        // --- amicable, no hold --------------------------------------------------------------
        (
            AMICABLE,
            A::Pay(eur("100.00")),
            O::Ok("amicable", None, &["payment_recorded"]),
        ),
        (
            AMICABLE,
            A::Pay(eur("999.99")),
            O::Ok("amicable", None, &["payment_recorded"]),
        ),
        (
            AMICABLE,
            A::Pay(eur("1000.00")),
            O::Ok("paid", None, &["payment_recorded", "claim_closed"]),
        ),
        (
            AMICABLE,
            A::Pay(eur("1000.01")),
            O::Err(ClaimError::Overpayment {
                amount: eur("1000.01"),
                balance: eur("1000.00"),
            }),
        ),
        (
            AMICABLE,
            A::Pay(eur("0.00")),
            O::Invalid(&["amount.amount"]),
        ),
        (
            AMICABLE,
            A::PayValued(eur("10.00"), 1),
            O::Invalid(&["value_date"]),
        ),
        (
            AMICABLE,
            A::PayValued(eur("0.00"), 1),
            O::Invalid(&["amount.amount", "value_date"]),
        ),
        (
            AMICABLE,
            A::Pay(usd("10.00")),
            O::Invalid(&["amount.currency_code"]),
        ),
        (
            AMICABLE,
            A::PayValued(eur("10.00"), -30),
            O::Ok("amicable", None, &["payment_recorded"]),
        ),
        (
            AMICABLE,
            A::Contact,
            O::Ok("amicable", None, &["contact_recorded"]),
        ),
        (AMICABLE, A::ContactMisfit, O::Invalid(&["outcome"])),
        (AMICABLE, A::ContactInFuture, O::Invalid(&["occur_time"])),
        (
            AMICABLE,
            A::OpenDispute("prestation non réalisée"),
            O::Ok("amicable", Some("dispute"), &["dispute_opened"]),
        ),
        (AMICABLE, A::OpenDispute("   "), O::Invalid(&["reason"])),
        (AMICABLE, resolve.clone(), O::Err(ClaimError::NoOpenDispute)),
        (
            AMICABLE,
            A::ResolveDispute(DisputeResolution::Withdrawn, ""),
            O::Invalid(&["note"]),
        ),
        (
            AMICABLE,
            A::Promise(eur("200.00"), 7),
            O::Ok("amicable", Some("promise_to_pay"), &["promise_recorded"]),
        ),
        (
            AMICABLE,
            A::Promise(eur("200.00"), 0),
            O::Ok("amicable", Some("promise_to_pay"), &["promise_recorded"]),
        ),
        (
            AMICABLE,
            A::Promise(eur("200.00"), 366),
            O::Ok("amicable", Some("promise_to_pay"), &["promise_recorded"]),
        ),
        (
            AMICABLE,
            A::Promise(eur("1000.00"), 7),
            O::Ok("amicable", Some("promise_to_pay"), &["promise_recorded"]),
        ),
        (
            AMICABLE,
            A::Promise(eur("200.00"), -1),
            O::Invalid(&["due_date"]),
        ),
        (
            AMICABLE,
            A::Promise(eur("200.00"), 367),
            O::Invalid(&["due_date"]),
        ),
        (
            AMICABLE,
            A::Promise(eur("0.00"), 7),
            O::Invalid(&["amount.amount"]),
        ),
        (
            AMICABLE,
            A::Promise(usd("200.00"), 7),
            O::Invalid(&["amount.currency_code"]),
        ),
        (
            AMICABLE,
            A::Promise(eur("0.00"), -1),
            O::Invalid(&["amount.amount", "due_date"]),
        ),
        (
            AMICABLE,
            A::Promise(eur("1000.01"), 7),
            O::Err(ClaimError::PromiseExceedsBalance {
                amount: eur("1000.01"),
                balance: eur("1000.00"),
            }),
        ),
        (
            AMICABLE,
            A::Escalate(Stage::FormalNotice),
            O::Ok("formal_notice", None, &["escalated"]),
        ),
        (
            AMICABLE,
            A::Escalate(Stage::Legal),
            transition("amicable", "legal"),
        ),
        (
            AMICABLE,
            A::Escalate(Stage::Amicable),
            transition("amicable", "amicable"),
        ),
        (
            AMICABLE,
            A::Close(ClosureKind::Paid, "réglé"),
            O::Err(ClaimError::BalanceOutstanding(eur("1000.00"))),
        ),
        (
            AMICABLE,
            A::Close(ClosureKind::Settled, "transaction"),
            O::Ok("settled", None, &["claim_closed"]),
        ),
        (
            AMICABLE,
            A::Close(ClosureKind::WrittenOff, "insolvable"),
            O::Ok("written_off", None, &["claim_closed"]),
        ),
        (
            AMICABLE,
            A::Close(ClosureKind::Cancelled, "avoir émis"),
            O::Ok("cancelled", None, &["claim_closed"]),
        ),
        (
            AMICABLE,
            A::Close(ClosureKind::Settled, " "),
            O::Invalid(&["reason"]),
        ),
        (
            AMICABLE,
            A::Close(ClosureKind::Paid, ""),
            O::Invalid(&["reason"]),
        ),
        // --- formal notice, no hold ---------------------------------------------------------
        (
            FORMAL_NOTICE,
            A::Escalate(Stage::Legal),
            O::Ok("legal", None, &["escalated"]),
        ),
        (
            FORMAL_NOTICE,
            A::Escalate(Stage::FormalNotice),
            transition("formal_notice", "formal_notice"),
        ),
        (
            FORMAL_NOTICE,
            A::Escalate(Stage::Amicable),
            transition("formal_notice", "amicable"),
        ),
        (
            FORMAL_NOTICE,
            A::Pay(eur("100.00")),
            O::Ok("formal_notice", None, &["payment_recorded"]),
        ),
        (
            FORMAL_NOTICE,
            A::Pay(eur("1000.00")),
            O::Ok("paid", None, &["payment_recorded", "claim_closed"]),
        ),
        (
            FORMAL_NOTICE,
            A::Contact,
            O::Ok("formal_notice", None, &["contact_recorded"]),
        ),
        (
            FORMAL_NOTICE,
            A::OpenDispute("montant contesté"),
            O::Ok("formal_notice", Some("dispute"), &["dispute_opened"]),
        ),
        (
            FORMAL_NOTICE,
            A::Promise(eur("500.00"), 10),
            O::Ok(
                "formal_notice",
                Some("promise_to_pay"),
                &["promise_recorded"],
            ),
        ),
        (
            FORMAL_NOTICE,
            A::Close(ClosureKind::Cancelled, "erreur"),
            O::Ok("cancelled", None, &["claim_closed"]),
        ),
        (
            FORMAL_NOTICE,
            A::Close(ClosureKind::Paid, "réglé"),
            O::Err(ClaimError::BalanceOutstanding(eur("1000.00"))),
        ),
        // --- legal, no hold -------------------------------------------------------------------
        (
            LEGAL,
            A::Escalate(Stage::Legal),
            transition("legal", "legal"),
        ),
        (
            LEGAL,
            A::Escalate(Stage::FormalNotice),
            transition("legal", "formal_notice"),
        ),
        (
            LEGAL,
            A::Escalate(Stage::Amicable),
            transition("legal", "amicable"),
        ),
        (
            LEGAL,
            A::Pay(eur("250.00")),
            O::Ok("legal", None, &["payment_recorded"]),
        ),
        (
            LEGAL,
            A::Pay(eur("1000.00")),
            O::Ok("paid", None, &["payment_recorded", "claim_closed"]),
        ),
        (
            LEGAL,
            A::Contact,
            O::Ok("legal", None, &["contact_recorded"]),
        ),
        (
            LEGAL,
            A::OpenDispute("prescription"),
            O::Ok("legal", Some("dispute"), &["dispute_opened"]),
        ),
        (
            LEGAL,
            A::Promise(eur("1000.00"), 30),
            O::Ok("legal", Some("promise_to_pay"), &["promise_recorded"]),
        ),
        (
            LEGAL,
            A::Close(ClosureKind::WrittenOff, "liquidation judiciaire"),
            O::Ok("written_off", None, &["claim_closed"]),
        ),
        // --- open dispute ---------------------------------------------------------------------
        (
            dispute,
            A::Escalate(Stage::FormalNotice),
            O::Err(ClaimError::OnHold("dispute")),
        ),
        // The target is checked before the hold: a wrong target is wrong whatever the hold.
        (
            dispute,
            A::Escalate(Stage::Legal),
            transition("amicable", "legal"),
        ),
        (
            dispute,
            A::OpenDispute("autre motif"),
            O::Err(ClaimError::DisputeAlreadyOpen),
        ),
        (dispute, A::OpenDispute(""), O::Invalid(&["reason"])),
        (
            dispute,
            resolve.clone(),
            O::Ok("amicable", None, &["dispute_resolved"]),
        ),
        (
            dispute,
            A::ResolveDispute(DisputeResolution::DebtorUpheld, "avoir à émettre"),
            O::Ok("amicable", None, &["dispute_resolved"]),
        ),
        (
            dispute,
            A::ResolveDispute(DisputeResolution::Withdrawn, "retiré par le débiteur"),
            O::Ok("amicable", None, &["dispute_resolved"]),
        ),
        (
            dispute,
            A::ResolveDispute(DisputeResolution::Withdrawn, "  "),
            O::Invalid(&["note"]),
        ),
        (
            dispute,
            A::Pay(eur("100.00")),
            O::Ok("amicable", Some("dispute"), &["payment_recorded"]),
        ),
        (
            dispute,
            A::Pay(eur("1000.00")),
            O::Ok("paid", None, &["payment_recorded", "claim_closed"]),
        ),
        (
            dispute,
            A::Contact,
            O::Ok("amicable", Some("dispute"), &["contact_recorded"]),
        ),
        // A dispute outranks a promise as the reported hold.
        (
            dispute,
            A::Promise(eur("100.00"), 7),
            O::Ok("amicable", Some("dispute"), &["promise_recorded"]),
        ),
        (
            dispute,
            A::Close(ClosureKind::Cancelled, "contestation fondée"),
            O::Ok("cancelled", None, &["claim_closed"]),
        ),
        (
            FORMAL_NOTICE.dispute(),
            A::Escalate(Stage::Legal),
            O::Err(ClaimError::OnHold("dispute")),
        ),
        (
            FORMAL_NOTICE.dispute(),
            resolve.clone(),
            O::Ok("formal_notice", None, &["dispute_resolved"]),
        ),
        (
            LEGAL.dispute(),
            A::Escalate(Stage::Legal),
            transition("legal", "legal"),
        ),
        // --- running promise (300.00 due in 5 days) -------------------------------------------
        (
            promise,
            A::Escalate(Stage::FormalNotice),
            O::Err(ClaimError::OnHold("promise_to_pay")),
        ),
        (
            promise,
            A::Escalate(Stage::Legal),
            transition("amicable", "legal"),
        ),
        (
            promise,
            A::Promise(eur("100.00"), 10),
            O::Err(ClaimError::PromiseAlreadyActive(day(5))),
        ),
        // Input is checked before the running promise.
        (
            promise,
            A::Promise(eur("100.00"), -3),
            O::Invalid(&["due_date"]),
        ),
        (
            promise,
            A::Pay(eur("100.00")),
            O::Ok("amicable", Some("promise_to_pay"), &["payment_recorded"]),
        ),
        (
            promise,
            A::Pay(eur("300.00")),
            O::Ok("amicable", None, &["payment_recorded", "promise_kept"]),
        ),
        (
            promise,
            A::Pay(eur("450.00")),
            O::Ok("amicable", None, &["payment_recorded", "promise_kept"]),
        ),
        (
            promise,
            A::Pay(eur("1000.00")),
            O::Ok(
                "paid",
                None,
                &["payment_recorded", "promise_kept", "claim_closed"],
            ),
        ),
        (
            promise,
            A::Pay(eur("1000.50")),
            O::Err(ClaimError::Overpayment {
                amount: eur("1000.50"),
                balance: eur("1000.00"),
            }),
        ),
        (
            promise,
            A::Contact,
            O::Ok("amicable", Some("promise_to_pay"), &["contact_recorded"]),
        ),
        (
            promise,
            A::OpenDispute("finalement contesté"),
            O::Ok("amicable", Some("dispute"), &["dispute_opened"]),
        ),
        (promise, resolve.clone(), O::Err(ClaimError::NoOpenDispute)),
        (
            promise,
            A::Close(ClosureKind::WrittenOff, "débiteur disparu"),
            O::Ok("written_off", None, &["claim_closed"]),
        ),
        (
            promise,
            A::Close(ClosureKind::Paid, "réglé"),
            O::Err(ClaimError::BalanceOutstanding(eur("1000.00"))),
        ),
        (
            FORMAL_NOTICE.promise(),
            A::Escalate(Stage::Legal),
            O::Err(ClaimError::OnHold("promise_to_pay")),
        ),
        // --- broken promise (300.00 due yesterday, unpaid, not yet marked) --------------------
        (
            broken,
            A::Contact,
            O::Ok("amicable", None, &["promise_broken", "contact_recorded"]),
        ),
        (
            broken,
            A::Escalate(Stage::FormalNotice),
            O::Ok("formal_notice", None, &["promise_broken", "escalated"]),
        ),
        (
            broken,
            A::Promise(eur("200.00"), 7),
            O::Ok(
                "amicable",
                Some("promise_to_pay"),
                &["promise_broken", "promise_recorded"],
            ),
        ),
        (
            broken,
            A::OpenDispute("contestation tardive"),
            O::Ok(
                "amicable",
                Some("dispute"),
                &["promise_broken", "dispute_opened"],
            ),
        ),
        (
            broken,
            A::Close(ClosureKind::Settled, "protocole transactionnel"),
            O::Ok("settled", None, &["promise_broken", "claim_closed"]),
        ),
        // The break happened yesterday, before a payment valued today: it comes first.
        (
            broken,
            A::Pay(eur("100.00")),
            O::Ok("amicable", None, &["promise_broken", "payment_recorded"]),
        ),
        (
            broken,
            A::Pay(eur("1000.00")),
            O::Ok(
                "paid",
                None,
                &["promise_broken", "payment_recorded", "claim_closed"],
            ),
        ),
        // Recorded late but valued on the due date: the promise was kept after all.
        (
            broken,
            A::PayValued(eur("300.00"), -1),
            O::Ok("amicable", None, &["payment_recorded", "promise_kept"]),
        ),
        // Refusals must leave everything as it was, the unmarked broken promise included.
        (
            broken,
            A::Escalate(Stage::Legal),
            transition("amicable", "legal"),
        ),
        (
            broken,
            A::Promise(eur("1000.01"), 7),
            O::Err(ClaimError::PromiseExceedsBalance {
                amount: eur("1000.01"),
                balance: eur("1000.00"),
            }),
        ),
        (broken, resolve.clone(), O::Err(ClaimError::NoOpenDispute)),
        (
            broken,
            A::Pay(eur("1000.01")),
            O::Err(ClaimError::Overpayment {
                amount: eur("1000.01"),
                balance: eur("1000.00"),
            }),
        ),
        (
            broken.dispute(),
            A::Escalate(Stage::FormalNotice),
            O::Err(ClaimError::OnHold("dispute")),
        ),
        (
            broken.dispute(),
            resolve.clone(),
            O::Ok("amicable", None, &["promise_broken", "dispute_resolved"]),
        ),
        (
            FORMAL_NOTICE.broken_promise(),
            A::Escalate(Stage::Legal),
            O::Ok("legal", None, &["promise_broken", "escalated"]),
        ),
    ];
    rows.extend(statement_rows());
    rows.extend(legal_fact_rows());

    // --- closed, of every kind: nothing more can happen, whatever the input ----------------
    for kind in CLOSE_KINDS {
        let closed = || O::Err(ClaimError::Closed(kind.as_str()));
        let situation = AMICABLE.closed(kind);
        rows.extend([
            (situation, A::Pay(eur("1.00")), closed()),
            (situation, A::Pay(eur("0.00")), closed()),
            (situation, A::Contact, closed()),
            (situation, A::ContactMisfit, closed()),
            (situation, A::OpenDispute("trop tard"), closed()),
            (situation, resolve.clone(), closed()),
            (situation, A::Promise(eur("1.00"), 7), closed()),
            (situation, A::Escalate(Stage::FormalNotice), closed()),
            (situation, A::Escalate(Stage::Legal), closed()),
            (
                situation,
                A::PaySettled(eur("1.00"), Settlement::Unpriced(unpublished())),
                closed(),
            ),
            (
                situation,
                A::EscalateWithDeadline(Stage::FormalNotice, 100),
                closed(),
            ),
            (situation, A::Notice(-5, -2, "1A 000"), closed()),
            (situation, A::Notice(1, 2, ""), closed()),
            (
                situation,
                A::Judgment(-3, Some(-1), "TJ Paris", "RG 1"),
                closed(),
            ),
            (
                situation,
                A::Interrupt(-3, InterruptionCause::Acknowledgment, "lettre"),
                closed(),
            ),
            (
                situation,
                A::Cost("F-001", "150.00", -3, "facture d'avocat"),
                closed(),
            ),
            (situation, A::Cost("F-999", "0.00", 1, ""), closed()),
            (
                CONSUMER.closed(kind),
                A::Cost("F-001", "150.00", -3, "facture"),
                closed(),
            ),
            (
                situation,
                A::CloseOwed(ClosureKind::Paid, "réglé", Err(unpublished())),
                closed(),
            ),
        ]);
        for other in CLOSE_KINDS {
            rows.push((situation, A::Close(other, "encore"), closed()));
        }
    }
    // Closed from a later stage, or with a hold left behind, is closed all the same.
    rows.extend([
        (
            LEGAL.closed(ClosureKind::WrittenOff),
            A::Escalate(Stage::Legal),
            O::Err(ClaimError::Closed("written_off")),
        ),
        (
            dispute.closed(ClosureKind::Cancelled),
            resolve,
            O::Err(ClaimError::Closed("cancelled")),
        ),
        (
            promise.closed(ClosureKind::Settled),
            A::Pay(eur("10.00")),
            O::Err(ClaimError::Closed("settled")),
        ),
    ]);
    rows
}

/// Rows where the statement engine's figures (interest, indemnities, an unpublished rate)
/// decide, on the claim of 1000.00 EUR of principal.
fn statement_rows() -> Vec<(Situation, Action, Outcome)> {
    let promise = AMICABLE.promise();
    vec![
        // --- payments: the statement's excess decides an overpayment ------------------------
        // The whole principal paid while 52.50 of interest and indemnity is owed: not closed.
        (
            AMICABLE,
            A::PaySettled(eur("1000.00"), imputed("1052.50", "52.50", "0.00")),
            O::Ok("amicable", None, &["payment_recorded"]),
        ),
        (
            AMICABLE,
            A::PaySettled(eur("1052.51"), imputed("1052.50", "0.00", "0.01")),
            O::Err(ClaimError::Overpayment {
                amount: eur("1052.51"),
                balance: eur("1052.50"),
            }),
        ),
        // Within the principal balance, yet in excess of what the statement says is owed (an
        // earlier payment already covered it): the excess decides, reported with owed_before.
        (
            AMICABLE,
            A::PaySettled(eur("500.00"), imputed("480.00", "0.00", "20.00")),
            O::Err(ClaimError::Overpayment {
                amount: eur("500.00"),
                balance: eur("480.00"),
            }),
        ),
        (
            promise,
            A::PaySettled(eur("300.00"), imputed("1052.50", "752.50", "0.00")),
            O::Ok("amicable", None, &["payment_recorded", "promise_kept"]),
        ),
        // Input is still checked first.
        (
            AMICABLE,
            A::PaySettled(eur("0.00"), imputed("1052.50", "1052.50", "0.00")),
            O::Invalid(&["amount.amount"]),
        ),
        // --- payments when a rate is not published: accepted within the principal balance ---
        (
            AMICABLE,
            A::PaySettled(eur("100.00"), Settlement::Unpriced(unpublished())),
            O::Ok("amicable", None, &["payment_recorded"]),
        ),
        // All the principal, but whether interest is owed is unknown: never closed as paid.
        (
            AMICABLE,
            A::PaySettled(eur("1000.00"), Settlement::Unpriced(unpublished())),
            O::Ok("amicable", None, &["payment_recorded"]),
        ),
        (
            AMICABLE,
            A::PaySettled(eur("1000.01"), Settlement::Unpriced(unpublished())),
            O::Err(ClaimError::RateNotPublished(unpublished())),
        ),
        (
            promise,
            A::PaySettled(eur("300.00"), Settlement::Unpriced(unpublished())),
            O::Ok("amicable", None, &["payment_recorded", "promise_kept"]),
        ),
        (
            promise,
            A::PaySettled(eur("299.99"), Settlement::Unpriced(unpublished())),
            O::Ok("amicable", Some("promise_to_pay"), &["payment_recorded"]),
        ),
        // --- promises: bounded by what the statement says is owed ----------------------------
        (
            AMICABLE,
            A::PromiseOwed(eur("1052.50"), 7, Ok(eur("1052.50"))),
            O::Ok("amicable", Some("promise_to_pay"), &["promise_recorded"]),
        ),
        (
            AMICABLE,
            A::PromiseOwed(eur("1052.51"), 7, Ok(eur("1052.50"))),
            O::Err(ClaimError::PromiseExceedsBalance {
                amount: eur("1052.51"),
                balance: eur("1052.50"),
            }),
        ),
        (
            AMICABLE,
            A::PromiseOwed(eur("1000.00"), 7, Err(unpublished())),
            O::Ok("amicable", Some("promise_to_pay"), &["promise_recorded"]),
        ),
        (
            AMICABLE,
            A::PromiseOwed(eur("1000.01"), 7, Err(unpublished())),
            O::Err(ClaimError::RateNotPublished(unpublished())),
        ),
        // --- closing as paid needs the statement to say nothing is owed ----------------------
        (
            AMICABLE,
            A::CloseOwed(ClosureKind::Paid, "réglé", Ok(eur("40.00"))),
            O::Err(ClaimError::BalanceOutstanding(eur("40.00"))),
        ),
        (
            AMICABLE,
            A::CloseOwed(ClosureKind::Paid, "réglé", Err(unpublished())),
            O::Err(ClaimError::RateNotPublished(unpublished())),
        ),
        (
            AMICABLE,
            A::CloseOwed(ClosureKind::Paid, "", Err(unpublished())),
            O::Invalid(&["reason"]),
        ),
        (
            AMICABLE,
            A::CloseOwed(ClosureKind::Settled, "transaction", Err(unpublished())),
            O::Ok("settled", None, &["claim_closed"]),
        ),
        (
            AMICABLE,
            A::CloseOwed(ClosureKind::WrittenOff, "insolvable", Ok(eur("1052.50"))),
            O::Ok("written_off", None, &["claim_closed"]),
        ),
        // --- no legal action past the limitation deadline (C. civ. 2219) -------------------
        (
            FORMAL_NOTICE,
            A::EscalateWithDeadline(Stage::Legal, -1),
            O::Err(ClaimError::LimitationExpired { deadline: day(-1) }),
        ),
        // The deadline is the last day an action can be brought.
        (
            FORMAL_NOTICE,
            A::EscalateWithDeadline(Stage::Legal, 0),
            O::Ok("legal", None, &["escalated"]),
        ),
        (
            FORMAL_NOTICE,
            A::EscalateWithDeadline(Stage::Legal, 1),
            O::Ok("legal", None, &["escalated"]),
        ),
        // A formal notice is no legal action: allowed on a time-barred claim.
        (
            AMICABLE,
            A::EscalateWithDeadline(Stage::FormalNotice, -1),
            O::Ok("formal_notice", None, &["escalated"]),
        ),
        // The target, then the hold, are checked before the deadline.
        (
            AMICABLE,
            A::EscalateWithDeadline(Stage::Legal, -1),
            O::Err(ClaimError::InvalidTransition {
                from: "amicable",
                to: "legal",
            }),
        ),
        (
            FORMAL_NOTICE.dispute(),
            A::EscalateWithDeadline(Stage::Legal, -1),
            O::Err(ClaimError::OnHold("dispute")),
        ),
        // A broken promise is marked only when the escalation goes through.
        (
            FORMAL_NOTICE.broken_promise(),
            A::EscalateWithDeadline(Stage::Legal, -1),
            O::Err(ClaimError::LimitationExpired { deadline: day(-1) }),
        ),
        (
            FORMAL_NOTICE.broken_promise(),
            A::EscalateWithDeadline(Stage::Legal, 0),
            O::Ok("legal", None, &["promise_broken", "escalated"]),
        ),
    ]
}

/// Rows for the legal facts: formal notice receipt, judgment, interruptions, recovery costs.
fn legal_fact_rows() -> Vec<(Situation, Action, Outcome)> {
    use InterruptionCause as C;
    let recorded = AMICABLE.with_facts();
    vec![
        // --- formal notice receipt (C. civ. 1344-1), once per claim ---------------------------
        (
            AMICABLE,
            A::Notice(-5, -2, "1A 234 567 8901 2"),
            O::Ok("amicable", None, &["formal_notice_delivered"]),
        ),
        (
            AMICABLE,
            A::Notice(0, 0, "1A 234"),
            O::Ok("amicable", None, &["formal_notice_delivered"]),
        ),
        (
            FORMAL_NOTICE,
            A::Notice(-5, -5, "1A 234"),
            O::Ok("formal_notice", None, &["formal_notice_delivered"]),
        ),
        (
            CONSUMER,
            A::Notice(-5, -2, "1A 234"),
            O::Ok("amicable", None, &["formal_notice_delivered"]),
        ),
        (
            AMICABLE,
            A::Notice(1, 2, "1A 234"),
            O::Invalid(&["sent_date", "receipt_date"]),
        ),
        (
            AMICABLE,
            A::Notice(-2, -5, "1A 234"),
            O::Invalid(&["receipt_date"]),
        ),
        (
            AMICABLE,
            A::Notice(-5, -2, "  "),
            O::Invalid(&["tracking_number"]),
        ),
        (
            AMICABLE,
            A::Notice(-1, 1, "1A\0"),
            O::Invalid(&["receipt_date", "tracking_number"]),
        ),
        (
            recorded,
            A::Notice(-5, -2, "1A 999"),
            O::Err(ClaimError::AlreadyRecorded("a formal notice receipt")),
        ),
        (
            recorded,
            A::Notice(-5, -2, ""),
            O::Invalid(&["tracking_number"]),
        ),
        (
            AMICABLE.broken_promise(),
            A::Notice(-5, -2, "1A 234"),
            O::Ok(
                "amicable",
                None,
                &["promise_broken", "formal_notice_delivered"],
            ),
        ),
        (
            AMICABLE.dispute(),
            A::Notice(-5, -2, "1A 234"),
            O::Ok("amicable", Some("dispute"), &["formal_notice_delivered"]),
        ),
        // --- judgment (C. civ. 1231-7, CMF L313-3, CPCE L111-4), once per claim -------------
        (
            LEGAL,
            A::Judgment(-3, Some(-1), "TJ Lyon", "RG 25/01234"),
            O::Ok("legal", None, &["judgment_recorded"]),
        ),
        (
            AMICABLE,
            A::Judgment(-3, None, "TC Paris", "2025F00012"),
            O::Ok("amicable", None, &["judgment_recorded"]),
        ),
        (
            AMICABLE,
            A::Judgment(0, Some(0), "TC Paris", "2025F00012"),
            O::Ok("amicable", None, &["judgment_recorded"]),
        ),
        (
            AMICABLE,
            A::Judgment(1, None, "TC Paris", "2025F00012"),
            O::Invalid(&["judgment_date"]),
        ),
        (
            AMICABLE,
            A::Judgment(-3, Some(1), "TC Paris", "2025F00012"),
            O::Invalid(&["enforceable_date"]),
        ),
        (
            AMICABLE,
            A::Judgment(-3, Some(-4), "TC Paris", "2025F00012"),
            O::Invalid(&["enforceable_date"]),
        ),
        (
            AMICABLE,
            A::Judgment(-3, None, "", " "),
            O::Invalid(&["court", "reference"]),
        ),
        (
            recorded,
            A::Judgment(-3, None, "CA Lyon", "RG 26/00001"),
            O::Err(ClaimError::AlreadyRecorded("a judgment")),
        ),
        (
            CIVIL.broken_promise(),
            A::Judgment(-3, None, "TJ Lyon", "RG 25/01234"),
            O::Ok("amicable", None, &["promise_broken", "judgment_recorded"]),
        ),
        // --- interruptions (C. civ. 2240, 2241, 2244): as many as happen ----------------------
        (
            AMICABLE,
            A::Interrupt(-3, C::Acknowledgment, "reconnaissance de dette signée"),
            O::Ok("amicable", None, &["interruption_recorded"]),
        ),
        (
            LEGAL,
            A::Interrupt(0, C::CourtAction, ""),
            O::Ok("legal", None, &["interruption_recorded"]),
        ),
        (
            recorded,
            A::Interrupt(-1, C::EnforcementMeasure, "saisie-attribution"),
            O::Ok("amicable", None, &["interruption_recorded"]),
        ),
        (
            AMICABLE,
            A::Interrupt(1, C::Acknowledgment, ""),
            O::Invalid(&["date"]),
        ),
        (
            AMICABLE,
            A::Interrupt(-1, C::Payment, ""),
            O::Invalid(&["cause"]),
        ),
        (
            AMICABLE,
            A::Interrupt(1, C::Payment, "\0"),
            O::Invalid(&["date", "cause", "note"]),
        ),
        // --- recovery costs on proof (L441-10 II), between professionals only ---------------
        (
            AMICABLE,
            A::Cost("F-001", "150.00", -3, "facture d'avocat n° 12"),
            O::Ok("amicable", None, &["recovery_cost_recorded"]),
        ),
        (
            AMICABLE,
            A::Cost("F-002", "0.01", 0, "frais d'huissier"),
            O::Ok("amicable", None, &["recovery_cost_recorded"]),
        ),
        (
            AMICABLE,
            A::Cost("F-999", "150.00", -3, "facture"),
            O::Invalid(&["invoice_number"]),
        ),
        (
            AMICABLE,
            A::Cost("F-001", "0.00", -3, "facture"),
            O::Invalid(&["amount.amount"]),
        ),
        (
            AMICABLE,
            A::Cost("F-001", "-5.00", -3, "facture"),
            O::Invalid(&["amount.amount"]),
        ),
        (
            AMICABLE,
            A::Cost("F-001", "150.00", 1, "facture"),
            O::Invalid(&["incurred_date"]),
        ),
        (
            AMICABLE,
            A::Cost("F-001", "150.00", -3, " "),
            O::Invalid(&["proof"]),
        ),
        (
            AMICABLE,
            A::Cost("F-999", "0.00", 1, ""),
            O::Invalid(&["invoice_number", "amount.amount", "incurred_date", "proof"]),
        ),
        (
            CONSUMER,
            A::Cost("F-001", "150.00", -3, "facture d'avocat"),
            O::Err(ClaimError::RecoveryCostsNotAllowed("consumer")),
        ),
        (
            CIVIL,
            A::Cost("F-001", "150.00", -3, "facture d'avocat"),
            O::Err(ClaimError::RecoveryCostsNotAllowed("civil")),
        ),
        // Input is checked before the regime.
        (
            CONSUMER,
            A::Cost("F-001", "150.00", 1, "facture"),
            O::Invalid(&["incurred_date"]),
        ),
    ]
}

/// The one helper of the table: builds the situation, applies the action, checks the outcome,
/// and that a refusal leaves the claim exactly as it was.
fn check_row(situation: Situation, action: &Action, expected: &Outcome) -> Result<(), String> {
    let mut claim = situation.build();
    let before = claim.clone();
    let got = action.apply(&mut claim);
    let mut problems = Vec::new();
    match (expected, &got) {
        (O::Ok(state, hold, expected_kinds), Ok(events)) => {
            if claim.state.as_str() != *state {
                problems.push(format!("state {} instead of {state}", claim.state.as_str()));
            }
            if kinds(events) != *expected_kinds {
                problems.push(format!(
                    "events {:?} instead of {expected_kinds:?}",
                    kinds(events)
                ));
            }
            match claim.state {
                ClaimState::Open(_) => {
                    if claim.hold(day(0)) != *hold {
                        problems.push(format!("hold {:?} instead of {hold:?}", claim.hold(day(0))));
                    }
                }
                ClaimState::Closed(kind) => {
                    let closure_ok = claim
                        .closure
                        .as_ref()
                        .is_some_and(|c| c.kind == kind && c.closed_at == now_at(0).at);
                    if !closure_ok || claim.promise.is_some() || claim.next_action_at.is_some() {
                        problems.push(format!(
                            "closed claim not settled down: closure {:?}, promise {:?}, next {:?}",
                            claim.closure, claim.promise, claim.next_action_at
                        ));
                    }
                }
            }
            if claim.updated_at != now_at(0).at {
                problems.push("updated_at not moved to now".to_owned());
            }
            let sum = claim.paid_total.checked_add(claim.balance());
            if sum != Ok(claim.principal_total) {
                problems.push(format!(
                    "principal {} != paid {} + balance {}",
                    claim.principal_total,
                    claim.paid_total,
                    claim.balance()
                ));
            }
        }
        (O::Err(error), Err(got_error)) => {
            if got_error != error {
                problems.push(format!("error {got_error:?} instead of {error:?}"));
            }
        }
        (O::Invalid(expected_fields), Err(ClaimError::Invalid(violations))) => {
            if fields(violations) != *expected_fields {
                problems.push(format!(
                    "invalid fields {:?} instead of {expected_fields:?}",
                    fields(violations)
                ));
            }
        }
        (expected, got) => {
            problems.push(format!(
                "{} instead of {expected:?}",
                match got {
                    Ok(events) =>
                        format!("Ok({:?}) in state {}", kinds(events), claim.state.as_str()),
                    Err(e) => format!("Err({e:?})"),
                }
            ));
        }
    }
    if got.is_err() && claim != before {
        problems.push(format!(
            "refused, yet the claim changed: promise {:?} -> {:?}, dispute {:?} -> {:?}, state {:?} -> {:?}",
            before.promise, claim.promise, before.dispute, claim.dispute, before.state, claim.state
        ));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

#[test]
fn transition_table() {
    let rows = transition_rows();
    assert!(rows.len() >= 40, "the table has {} rows", rows.len());
    let failures: Vec<String> = rows
        .iter()
        .enumerate()
        .filter_map(|(i, (situation, action, expected))| {
            check_row(*situation, action, expected)
                .err()
                .map(|why| format!("row {i}: {situation:?} + {action:?}: {why}"))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} rows fail:\n{}",
        failures.len(),
        rows.len(),
        failures.join("\n")
    );
}

// ---------------------------------------------------------------------------------------------
// Behaviours with a name
// ---------------------------------------------------------------------------------------------

#[test]
fn open_builds_an_amicable_claim_with_its_total() {
    let new = new_claim(vec![
        invoice("  F-001 ", eur("600.10")),
        invoice("F-002", eur("399.90")),
    ]);
    let now = now_at(0);
    let (claim, events) = Claim::open(claim_id(), new, now).expect("valid claim");
    assert_eq!(claim.state, ClaimState::Open(Stage::Amicable));
    assert_eq!(claim.principal_total, eur("1000.00"));
    assert_eq!(claim.paid_total, eur("0.00"));
    assert_eq!(claim.balance(), eur("1000.00"));
    assert_eq!(claim.invoices[0].number, "F-001", "numbers are trimmed");
    assert_eq!((claim.version, claim.head_hash), (0, GENESIS));
    assert_eq!((claim.created_at, claim.updated_at), (now.at, now.at));
    assert_eq!(claim.hold(now.today), None);
    assert_eq!(kinds(&events), ["claim_created"]);
    let payload = events[0].payload();
    assert_eq!(payload["principal_total"]["amount"], "1000.00");
    assert_eq!(payload["invoices"][0]["number"], "F-001");
}

#[test]
fn open_reports_every_invalid_field_at_once() {
    let mut bad_dates = invoice("F-002", eur("10.00"));
    bad_dates.number = "   ".to_owned();
    bad_dates.due_date = bad_dates.issue_date - Days::new(1);
    let mut future = invoice("F-001", eur("10.00")); // duplicate of invoices[0]
    future.issue_date = day(1);
    future.due_date = day(30);
    future.service_completion_date = Some(day(2));
    let new = NewClaim {
        external_reference: "  ".to_owned(),
        ..new_claim(vec![
            invoice("F-001", eur("10.00")),
            bad_dates,
            future,
            invoice("F-004", eur("0.00")),
            invoice("F-005", usd("10.00")),
            invoice(&"N".repeat(65), eur("1.00")),
        ])
    };
    let Err(ClaimError::Invalid(violations)) = Claim::open(claim_id(), new, now_at(0)) else {
        panic!("an invalid claim must be refused as invalid");
    };
    assert_eq!(
        fields(&violations),
        [
            "external_reference",
            "invoices[1].number",
            "invoices[1].due_date",
            "invoices[2].number",
            "invoices[2].issue_date",
            "invoices[2].service_completion_date",
            "invoices[3].amount.amount",
            "invoices[4].amount.currency_code",
            "invoices[5].number",
        ]
    );
    assert!(violations.iter().all(|v| !v.description.is_empty()));
}

#[test]
fn open_refusals_table() {
    let long_reference = "R".repeat(129);
    let too_many: Vec<Invoice> = (0..501)
        .map(|i| invoice(&format!("F-{i:04}"), eur("1.00")))
        .collect();
    let rows: Vec<(NewClaim, &[&str])> = vec![
        (new_claim(vec![]), &["invoices"]),
        (
            NewClaim {
                external_reference: String::new(),
                ..new_claim(vec![])
            },
            &["external_reference", "invoices"],
        ),
        (
            NewClaim {
                external_reference: long_reference,
                ..new_claim(vec![invoice("F-1", eur("1.00"))])
            },
            &["external_reference"],
        ),
        (new_claim(too_many), &["invoices"]),
        (
            new_claim(vec![
                invoice("F-1", eur("999999999999999.99")),
                invoice("F-2", eur("1.00")),
            ]),
            &["invoices[1].amount.amount"],
        ),
    ];
    for (new, expected) in rows {
        match Claim::open(claim_id(), new, now_at(0)) {
            Err(ClaimError::Invalid(violations)) => {
                assert_eq!(fields(&violations), expected);
            }
            other => panic!("expected Invalid({expected:?}), got {other:?}"),
        }
    }
    // 128 characters and 500 invoices are still fine.
    let fine = NewClaim {
        external_reference: "R".repeat(128),
        ..new_claim(
            (0..500)
                .map(|i| invoice(&format!("F-{i:04}"), eur("1.00")))
                .collect(),
        )
    };
    let (claim, _) = Claim::open(claim_id(), fine, now_at(0)).expect("at the limits");
    assert_eq!(claim.principal_total, eur("500.00"));
}

#[test]
fn balance_is_principal_minus_payments() {
    let mut claim = open_claim();
    assert_eq!(claim.balance(), eur("1000.00"));
    claim
        .record_payment(
            payment(eur("100.00"), day(-2)),
            interest_free(&claim, eur("100.00")),
            now_at(-1),
        )
        .expect("payment");
    claim
        .record_payment(
            payment(eur("250.55"), day(0)),
            interest_free(&claim, eur("250.55")),
            now_at(0),
        )
        .expect("payment");
    assert_eq!(claim.principal_total, eur("1000.00"));
    assert_eq!(claim.paid_total, eur("350.55"));
    assert_eq!(claim.balance(), eur("649.45"));
    assert_eq!(claim.state, ClaimState::Open(Stage::Amicable));
}

#[test]
fn full_payment_closes_as_paid() {
    let mut claim = open_claim();
    claim
        .record_payment(
            payment(eur("400.00"), day(-3)),
            interest_free(&claim, eur("400.00")),
            now_at(-3),
        )
        .expect("first payment");
    let events = claim
        .record_payment(
            payment(eur("600.00"), day(0)),
            interest_free(&claim, eur("600.00")),
            now_at(0),
        )
        .expect("final payment");
    assert_eq!(kinds(&events), ["payment_recorded", "claim_closed"]);
    assert_eq!(events[0].payload()["balance_after"]["amount"], "0.00");
    assert_eq!(events[1].payload()["kind"], "paid");
    assert_eq!(claim.state, ClaimState::Closed(ClosureKind::Paid));
    assert!(claim.balance().is_zero());
    let closure = claim.closure.as_ref().expect("closure recorded");
    assert_eq!(
        (closure.kind, closure.reason.as_str(), closure.closed_at),
        (ClosureKind::Paid, "paid in full", now_at(0).at)
    );
    assert_eq!(claim.next_action_at, None);
}

#[test]
fn payments_covering_a_promise_before_its_date_keep_it() {
    let mut claim = open_claim();
    claim
        .record_promise(eur("300.00"), day(5), owed(&claim), now_at(0))
        .expect("promise");
    // Two instalments: the first leaves the promise running, the second keeps it.
    let first = claim
        .record_payment(
            payment(eur("100.00"), day(0)),
            interest_free(&claim, eur("100.00")),
            now_at(0),
        )
        .expect("instalment");
    assert_eq!(kinds(&first), ["payment_recorded"]);
    assert_eq!(claim.promise.as_ref().map(|p| p.paid), Some(eur("100.00")));
    assert_eq!(claim.hold(day(0)), Some("promise_to_pay"));
    let second = claim
        .record_payment(
            payment(eur("200.00"), day(3)),
            interest_free(&claim, eur("200.00")),
            now_at(3),
        )
        .expect("instalment");
    assert_eq!(kinds(&second), ["payment_recorded", "promise_kept"]);
    assert_eq!(second[1].payload()["amount"]["amount"], "300.00");
    assert_eq!(second[1].payload()["due_date"], day(5).to_string());
    assert_eq!(claim.promise, None);
    assert_eq!(claim.hold(day(3)), None);
    assert_eq!(claim.balance(), eur("700.00"));
}

#[test]
fn payment_on_the_due_date_keeps_the_promise() {
    let mut claim = open_claim();
    claim
        .record_promise(eur("300.00"), day(0), owed(&claim), now_at(-3))
        .expect("promise");
    let events = claim
        .record_payment(
            payment(eur("300.00"), day(0)),
            interest_free(&claim, eur("300.00")),
            now_at(0),
        )
        .expect("payment on the due date");
    assert_eq!(kinds(&events), ["payment_recorded", "promise_kept"]);
}

#[test]
fn promise_past_its_date_is_broken_by_the_next_transition() {
    let mut claim = open_claim();
    claim
        .record_promise(eur("300.00"), day(-1), owed(&claim), now_at(-4))
        .expect("promise");
    claim
        .record_payment(
            payment(eur("120.00"), day(-2)),
            interest_free(&claim, eur("120.00")),
            now_at(-2),
        )
        .expect("part payment before the date");
    // Until something happens, the unmarked promise stays on the claim but no longer holds.
    assert!(claim.promise.is_some());
    assert_eq!(claim.hold(day(0)), None);
    let events = claim
        .record_contact(contact(now_at(0).at), now_at(0))
        .expect("contact");
    assert_eq!(kinds(&events), ["promise_broken", "contact_recorded"]);
    let broken = events[0].payload();
    assert_eq!(broken["amount"]["amount"], "300.00");
    assert_eq!(broken["paid"]["amount"], "120.00");
    assert_eq!(broken["due_date"], day(-1).to_string());
    assert_eq!(claim.promise, None);
    // Marked once only.
    let again = claim
        .record_contact(contact(now_at(0).at), now_at(0))
        .expect("contact");
    assert_eq!(kinds(&again), ["contact_recorded"]);
}

#[test]
fn promise_due_today_is_not_broken_yet() {
    let mut claim = open_claim();
    claim
        .record_promise(eur("300.00"), day(0), owed(&claim), now_at(-2))
        .expect("promise");
    let events = claim
        .record_contact(contact(now_at(0).at), now_at(0))
        .expect("contact");
    assert_eq!(kinds(&events), ["contact_recorded"]);
    assert!(claim.promise.is_some());
    assert_eq!(
        claim.escalate(Stage::FormalNotice, None, now_at(0)),
        Err(ClaimError::OnHold("promise_to_pay"))
    );
    // The next day it is broken, and escalation goes through.
    let events = claim
        .escalate(Stage::FormalNotice, None, now_at(1))
        .expect("escalate the day after");
    assert_eq!(kinds(&events), ["promise_broken", "escalated"]);
}

/// The broken promise must be marked before the payment that follows it: expire_promise's own
/// doc says it "runs before every transition, so the timeline shows the break before what
/// followed it", but record_payment runs it after pushing payment_recorded.
#[test]
fn payment_after_a_broken_promise_records_the_break_first() {
    let mut claim = AMICABLE.broken_promise().build();
    let events = claim
        .record_payment(
            payment(eur("50.00"), day(0)),
            interest_free(&claim, eur("50.00")),
            now_at(0),
        )
        .expect("payment");
    assert_eq!(kinds(&events), ["promise_broken", "payment_recorded"]);
}

/// A refused transition must not touch the claim. escalate and record_promise drop an expired
/// promise (without any event, since the events are discarded with the error) before deciding
/// to refuse.
#[test]
fn refusals_leave_an_unmarked_broken_promise_in_place() {
    let rows: Vec<(Situation, Action, ClaimError)> = vec![
        (
            AMICABLE.broken_promise(),
            A::Escalate(Stage::Legal),
            ClaimError::InvalidTransition {
                from: "amicable",
                to: "legal",
            },
        ),
        (
            AMICABLE.broken_promise().dispute(),
            A::Escalate(Stage::FormalNotice),
            ClaimError::OnHold("dispute"),
        ),
        (
            AMICABLE.broken_promise(),
            A::Promise(eur("1000.01"), 7),
            ClaimError::PromiseExceedsBalance {
                amount: eur("1000.01"),
                balance: eur("1000.00"),
            },
        ),
    ];
    for (situation, action, error) in rows {
        let mut claim = situation.build();
        let before = claim.clone();
        assert_eq!(action.apply(&mut claim), Err(error), "{action:?}");
        assert_eq!(claim.promise, before.promise, "{situation:?} + {action:?}");
        assert_eq!(claim, before, "{situation:?} + {action:?}");
    }
}

#[test]
fn hold_at_date_boundaries() {
    let promise_due = |due: i64| {
        let mut claim = open_claim();
        claim
            .record_promise(eur("100.00"), day(due), owed(&claim), now_at(-10))
            .expect("promise");
        claim
    };
    let with_dispute = |mut claim: Claim| {
        claim
            .open_dispute("contesté".to_owned(), now_at(-10))
            .expect("dispute");
        claim
    };
    // (claim, the day asked about, expected hold)
    let rows: Vec<(Claim, i64, Option<&str>)> = vec![
        (open_claim(), 0, None),
        (promise_due(0), -1, Some("promise_to_pay")),
        (promise_due(0), 0, Some("promise_to_pay")),
        (promise_due(0), 1, None),
        (promise_due(-1), 0, None),
        (promise_due(5), 0, Some("promise_to_pay")),
        (promise_due(5), 5, Some("promise_to_pay")),
        (promise_due(5), 6, None),
        (with_dispute(open_claim()), 0, Some("dispute")),
        (with_dispute(open_claim()), 400, Some("dispute")),
        (with_dispute(promise_due(0)), 0, Some("dispute")),
        (with_dispute(promise_due(-1)), 0, Some("dispute")),
    ];
    for (i, (claim, asked, expected)) in rows.iter().enumerate() {
        assert_eq!(claim.hold(day(*asked)), *expected, "row {i}");
    }
}

#[test]
fn escalation_schedules_and_holds_unschedule() {
    let mut claim = open_claim();
    assert!(
        claim.next_action_at.is_some(),
        "a new claim has a first reminder"
    );
    claim
        .open_dispute("contesté".to_owned(), now_at(0))
        .expect("dispute");
    assert_eq!(claim.next_action_at, None, "a dispute stops the schedule");
    claim
        .resolve_dispute(DisputeResolution::Withdrawn, "retiré".to_owned(), now_at(0))
        .expect("resolve");
    assert!(claim.next_action_at.is_some(), "collection resumes");
    claim
        .escalate(Stage::FormalNotice, None, now_at(0))
        .expect("formal notice");
    // Eight days of notice, legal review the morning after the deadline: 08:00 in Paris.
    assert_eq!(
        claim.next_action_at,
        Some(recouvre_domain::calendar::morning_in_paris(day(9)))
    );
    claim
        .record_promise(eur("100.00"), day(4), owed(&claim), now_at(0))
        .expect("promise");
    assert_eq!(
        claim.next_action_at,
        Some(recouvre_domain::calendar::morning_in_paris(day(5)))
    );
}

/// Once interest and the fixed indemnity are owed, paying the principal does not close the
/// claim; it closes when the statement says nothing is left, even though the payments then
/// exceed the principal (`balance()` is only principal − payments, floored at zero).
#[test]
fn payments_beyond_the_principal_settle_interest_and_close_when_nothing_is_owed() {
    let mut claim = open_claim();
    let events = claim
        .record_payment(
            payment(eur("1000.00"), day(0)),
            imputed("1052.50", "52.50", "0.00"),
            now_at(0),
        )
        .expect("principal paid");
    assert_eq!(kinds(&events), ["payment_recorded"]);
    assert_eq!(events[0].payload()["balance_after"]["amount"], "52.50");
    assert_eq!(claim.state, ClaimState::Open(Stage::Amicable));
    assert!(claim.balance().is_zero());
    assert_eq!(
        claim.close(
            ClosureKind::Paid,
            "réglé".to_owned(),
            Ok(eur("52.50")),
            now_at(0)
        ),
        Err(ClaimError::BalanceOutstanding(eur("52.50")))
    );
    let events = claim
        .record_payment(
            payment(eur("52.50"), day(1)),
            imputed("52.51", "0.00", "0.00"),
            now_at(1),
        )
        .expect("interest and indemnity paid");
    assert_eq!(kinds(&events), ["payment_recorded", "claim_closed"]);
    assert_eq!(events[0].payload()["balance_after"]["amount"], "0.00");
    assert_eq!(claim.state, ClaimState::Closed(ClosureKind::Paid));
    assert_eq!(claim.paid_total, eur("1052.50"));
    assert_eq!(claim.principal_total, eur("1000.00"));
}

/// Without a published rate, a payment within the principal is recorded with no balance, and
/// the claim cannot be closed as paid until a statement says nothing is owed.
#[test]
fn unpriced_payments_record_no_balance_and_never_close_the_claim() {
    let mut claim = open_claim();
    let events = claim
        .record_payment(
            Payment {
                invoice_number: Some("F-002".to_owned()),
                ..payment(eur("1000.00"), day(0))
            },
            Settlement::Unpriced(unpublished()),
            now_at(0),
        )
        .expect("within the principal");
    assert_eq!(kinds(&events), ["payment_recorded"]);
    let payload = events[0].payload();
    assert_eq!(payload["balance_after"], serde_json::Value::Null);
    assert_eq!(payload["invoice_number"], "F-002");
    assert_eq!(claim.paid_total, eur("1000.00"));
    assert_eq!(claim.state, ClaimState::Open(Stage::Amicable));
    // Nothing of the principal is left, so not even a cent more can be taken unpriced.
    let before = claim.clone();
    assert_eq!(
        claim.record_payment(
            payment(eur("0.01"), day(0)),
            Settlement::Unpriced(unpublished()),
            now_at(0)
        ),
        Err(ClaimError::RateNotPublished(unpublished()))
    );
    assert_eq!(
        claim.close(
            ClosureKind::Paid,
            "réglé".to_owned(),
            Err(unpublished()),
            now_at(0)
        ),
        Err(ClaimError::RateNotPublished(unpublished()))
    );
    assert_eq!(claim, before);
    let events = claim
        .close(
            ClosureKind::Paid,
            "réglé".to_owned(),
            Ok(eur("0.00")),
            now_at(1),
        )
        .expect("the statement says nothing is owed");
    assert_eq!(kinds(&events), ["claim_closed"]);
    assert_eq!(claim.state, ClaimState::Closed(ClosureKind::Paid));
}

#[test]
fn a_payment_designating_an_unknown_invoice_is_invalid() {
    let mut claim = open_claim();
    let got = claim.record_payment(
        Payment {
            invoice_number: Some("F-404".to_owned()),
            ..payment(eur("10.00"), day(0))
        },
        interest_free(&claim, eur("10.00")),
        now_at(0),
    );
    let Err(ClaimError::Invalid(violations)) = got else {
        panic!("expected invalid, got {got:?}");
    };
    assert_eq!(fields(&violations), ["invoice_number"]);
}

/// The new transitions store their fact on the claim and put all of it in the event payload.
#[test]
fn legal_facts_are_stored_on_the_claim_and_in_their_events() {
    let mut claim = open_claim();
    assert_eq!(claim.legal, Default::default());
    let events = claim
        .record_formal_notice_delivery(notice(-6, -4, "1A 234 567 8901 2"), now_at(0))
        .expect("notice");
    assert_eq!(
        claim.legal.formal_notice,
        Some(notice(-6, -4, "1A 234 567 8901 2"))
    );
    let payload = events[0].payload();
    assert_eq!(payload["sent_on"], day(-6).to_string());
    assert_eq!(payload["received_on"], day(-4).to_string());
    assert_eq!(payload["tracking_number"], "1A 234 567 8901 2");

    let events = claim
        .record_judgment(judgment(-2, None, "TC Lyon", "2025F00042"), now_at(0))
        .expect("judgment");
    assert_eq!(
        claim.legal.judgment,
        Some(judgment(-2, None, "TC Lyon", "2025F00042"))
    );
    let payload = events[0].payload();
    assert_eq!(payload["pronounced_on"], day(-2).to_string());
    assert_eq!(payload["enforceable_on"], serde_json::Value::Null);
    assert_eq!(
        (payload["court"].as_str(), payload["reference"].as_str()),
        (Some("TC Lyon"), Some("2025F00042"))
    );

    for (on, cause) in [
        (-3, InterruptionCause::Acknowledgment),
        (-1, InterruptionCause::CourtAction),
    ] {
        let events = claim
            .record_interruption(interruption(on, cause, "pièce 4"), now_at(0))
            .expect("interruption");
        let payload = events[0].payload();
        assert_eq!(payload["on"], day(on).to_string());
        assert_eq!(payload["cause"], cause.as_str());
        assert_eq!(payload["note"], "pièce 4");
    }
    assert_eq!(
        claim.legal.interruptions,
        [
            interruption(-3, InterruptionCause::Acknowledgment, "pièce 4"),
            interruption(-1, InterruptionCause::CourtAction, "pièce 4"),
        ]
    );

    let events = claim
        .record_recovery_cost(
            recovery_cost("F-002", "180.00", -1, "note d'honoraires 7"),
            now_at(0),
        )
        .expect("cost");
    assert_eq!(
        claim.legal.recovery_costs,
        [recovery_cost("F-002", "180.00", -1, "note d'honoraires 7")]
    );
    let payload = events[0].payload();
    assert_eq!(payload["invoice_number"], "F-002");
    assert_eq!(payload["amount"], "180.00");
    assert_eq!(payload["incurred_on"], day(-1).to_string());
    assert_eq!(payload["proof"], "note d'honoraires 7");

    // Each fact moved the claim on, and none of them changed the amounts or the stage.
    assert_eq!(claim.updated_at, now_at(0).at);
    assert_eq!(claim.state, ClaimState::Open(Stage::Amicable));
    assert_eq!(claim.balance(), eur("1000.00"));
    // Once only: the second receipt and the second judgment are refused, the claim untouched.
    let before = claim.clone();
    assert_eq!(
        claim.record_formal_notice_delivery(notice(-1, 0, "2B"), now_at(0)),
        Err(ClaimError::AlreadyRecorded("a formal notice receipt"))
    );
    assert_eq!(
        claim.record_judgment(judgment(0, None, "CA Lyon", "RG 2"), now_at(0)),
        Err(ClaimError::AlreadyRecorded("a judgment"))
    );
    assert_eq!(claim, before);
}

#[test]
fn new_claims_carry_their_regime_and_compound_interest_clause() {
    for regime in [
        InterestRegime::Commercial,
        InterestRegime::Consumer,
        InterestRegime::Civil,
    ] {
        for compound_interest in [false, true] {
            let new = NewClaim {
                regime,
                compound_interest,
                ..new_claim(vec![invoice("F-1", eur("10.00"))])
            };
            let (claim, _) = Claim::open(claim_id(), new, now_at(0)).expect("valid claim");
            assert_eq!(claim.regime, regime);
            assert_eq!(claim.legal.compound_interest, compound_interest);
            assert_eq!(claim.legal.formal_notice, None);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

/// A step of a random history. Amounts are drawn as raw numbers and brought within what the
/// claim allows when applied, so every payment is valid (at most the balance).
#[derive(Debug, Clone)]
enum Step {
    Pay(u64),
    Contact,
    Dispute,
    Resolve,
    Promise(u64, u16),
    Escalate,
    Close(usize),
    Wait(u8),
    /// One of the legal facts: formal notice receipt, judgment, interruption, recovery cost.
    Fact(u8),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        6 => any::<u64>().prop_map(Step::Pay),
        2 => Just(Step::Contact),
        1 => Just(Step::Dispute),
        1 => Just(Step::Resolve),
        2 => (any::<u64>(), 0..400_u16).prop_map(|(a, d)| Step::Promise(a, d)),
        2 => Just(Step::Escalate),
        1 => (0..4_usize).prop_map(Step::Close),
        3 => (0..20_u8).prop_map(Step::Wait),
        2 => (0..4_u8).prop_map(Step::Fact),
    ]
}

fn invoices_in_cents() -> impl Strategy<Value = Vec<i64>> {
    prop::collection::vec(1..=100_000_000_i64, 1..5)
}

fn open_with(amounts: &[i64], now: Now) -> (Claim, Vec<ClaimEvent>) {
    let invoices = amounts
        .iter()
        .enumerate()
        .map(|(i, c)| invoice(&format!("F-{i}"), cents(*c)))
        .collect();
    Claim::open(claim_id(), new_claim(invoices), now).expect("valid claim")
}

/// A payment within the balance: 1 cent up to the whole balance.
fn valid_payment(claim: &Claim, raw: u64) -> Money {
    let balance = i64::try_from(to_cents(claim.balance())).expect("balance fits");
    let amount = 1 + i64::try_from(raw % balance.unsigned_abs()).expect("below balance");
    cents(amount)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Valid payments never take the balance below zero, and principal = paid + balance after
    /// every one; the claim closes as paid exactly when nothing is left.
    #[test]
    fn payments_conserve_the_principal(
        invoices in invoices_in_cents(),
        raws in prop::collection::vec(any::<u64>(), 1..30),
    ) {
        let (mut claim, _) = open_with(&invoices, now_at(0));
        let principal: i64 = invoices.iter().sum();
        prop_assert_eq!(to_cents(claim.principal_total), i128::from(principal));
        for (i, raw) in raws.iter().enumerate() {
            if claim.state != ClaimState::Open(Stage::Amicable) {
                break;
            }
            let before = to_cents(claim.balance());
            let amount = valid_payment(&claim, *raw);
            let now = now_at(i64::try_from(i).expect("small"));
            let settlement = interest_free(&claim, amount);
            let events = claim.record_payment(payment(amount, now.today), settlement, now);
            prop_assert!(events.is_ok(), "valid payment refused: {:?}", events);
            let balance = to_cents(claim.balance());
            prop_assert!(balance >= 0);
            prop_assert_eq!(balance, before - to_cents(amount));
            prop_assert_eq!(claim.paid_total.checked_add(claim.balance()), Ok(claim.principal_total));
            prop_assert_eq!(
                claim.state == ClaimState::Closed(ClosureKind::Paid),
                balance == 0
            );
        }
    }

    /// Over any history of transitions, refused ones included: amounts are conserved, every
    /// event returned is sealed once, the sealed numbering is contiguous from 1, and the chain
    /// verifies against the head.
    #[test]
    fn histories_conserve_amounts_and_seal_every_event(
        invoices in invoices_in_cents(),
        steps in prop::collection::vec(step(), 1..40),
    ) {
        let mut offset = 0_i64;
        let (mut claim, created) = open_with(&invoices, now_at(offset));
        let created_at = now_at(offset).at;
        let (mut chain, mut version, mut head) =
            seal(claim.id, 0, GENESIS, &created, "system", created_at);
        let mut returned = created.len();
        for step in &steps {
            let now = now_at(offset);
            let result = match step {
                Step::Pay(raw) => {
                    if claim.balance().is_zero() {
                        continue;
                    }
                    let amount = valid_payment(&claim, *raw);
                    let settlement = interest_free(&claim, amount);
                    claim.record_payment(payment(amount, now.today), settlement, now)
                }
                Step::Contact => claim.record_contact(contact(now.at), now),
                Step::Dispute => claim.open_dispute("contesté".to_owned(), now),
                Step::Resolve => claim.resolve_dispute(
                    DisputeResolution::CreditorUpheld,
                    "maintenue".to_owned(),
                    now,
                ),
                Step::Promise(raw, days) => {
                    if claim.balance().is_zero() {
                        continue;
                    }
                    let amount = valid_payment(&claim, *raw);
                    let due = now.today + Days::new(u64::from(*days));
                    claim.record_promise(amount, due, owed(&claim), now)
                }
                Step::Escalate => match claim.state {
                    ClaimState::Open(stage) => {
                        claim.escalate(stage.next().unwrap_or(Stage::Legal), None, now)
                    }
                    ClaimState::Closed(_) => claim.escalate(Stage::Legal, None, now),
                },
                Step::Close(k) => claim.close(CLOSE_KINDS[*k], "fin".to_owned(), owed(&claim), now),
                Step::Wait(days) => {
                    offset += i64::from(*days);
                    continue;
                }
                Step::Fact(0) => claim.record_formal_notice_delivery(
                    notice(offset - 3, offset - 1, "1A 234"),
                    now,
                ),
                Step::Fact(1) => claim.record_judgment(
                    judgment(offset - 1, Some(offset), "TJ Lyon", "RG 25/1"),
                    now,
                ),
                Step::Fact(2) => claim.record_interruption(
                    interruption(offset, InterruptionCause::Acknowledgment, ""),
                    now,
                ),
                Step::Fact(_) => {
                    let cost = recovery_cost("F-0", "90.00", offset, "facture");
                    claim.record_recovery_cost(cost, now)
                }
            };
            prop_assert_eq!(
                claim.paid_total.checked_add(claim.balance()),
                Ok(claim.principal_total)
            );
            if let Ok(events) = result {
                prop_assert!(!events.is_empty(), "an accepted transition records something");
                returned += events.len();
                let (sealed, new_version, new_head) =
                    seal(claim.id, version, head, &events, "api_key:test", now.at);
                prop_assert_eq!(
                    sealed.iter().map(|e| e.seq).collect::<Vec<_>>(),
                    (version + 1..=new_version).collect::<Vec<_>>()
                );
                prop_assert_eq!(sealed.first().map(|e| e.prev_hash), Some(head));
                prop_assert_eq!(sealed.last().map(|e| e.hash), Some(new_head));
                chain.extend(sealed);
                version = new_version;
                head = new_head;
            }
        }
        prop_assert_eq!(chain.len(), returned);
        prop_assert_eq!(usize::try_from(version).ok(), Some(returned));
        prop_assert_eq!(
            chain.iter().map(|e| e.seq).collect::<Vec<_>>(),
            (1..=version).collect::<Vec<_>>()
        );
        prop_assert_eq!(verify_chain(&chain, version, &head), Ok(returned));
    }
}
