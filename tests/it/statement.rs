//! The statement engine over the wire: GetStatement's arithmetic (segments, rates, indemnity,
//! limitation), the legal facts that change it (formal notice, judgment, interruptions,
//! recovery costs), payment imputation, due dates from payment terms, and the reference rates
//! (RateService) with their refusals.
//!
//! Published rates run 2015-S1..2026-S1; the clock is on 2026-11-20, so arithmetic is checked
//! with a past `as_of`, and tests that need today's figures publish 2026-S2 test rates first.
//! Every amount is `base × rate × days / 36 500` (36 600 in leap years under ACTUAL_ACTUAL),
//! rounded half-up to the cent, per segment; the arithmetic is written out next to each one.

use std::collections::HashMap;

use recouvre::api::pb;
use recouvre::api::pb::google::r#type::Date;
use rust_decimal::Decimal;
use tonic::{Code, Status};
use tonic_types::StatusExt;

use crate::support::*;

// ---------------------------------------------------------------------------------------------
// Helpers local to these tests.

fn money(amount: &str) -> Option<pb::Money> {
    Some(eur(amount))
}

fn metadata(status: &Status) -> HashMap<String, String> {
    status
        .get_details_error_info()
        .map(|i| i.metadata)
        .unwrap_or_default()
}

fn codes(s: &pb::Statement) -> Vec<&str> {
    s.notes.iter().map(|n| n.code.as_str()).collect()
}

fn invoice(
    number: &str,
    issue: Date,
    completion: Option<Date>,
    due: Date,
    amount: &str,
) -> pb::Invoice {
    pb::Invoice {
        number: number.into(),
        issue_date: Some(issue),
        service_completion_date: completion,
        due_date: Some(due),
        amount: money(amount),
        ..Default::default()
    }
}

async fn creditor_with(
    app: &TestApp,
    natural_person: bool,
    method: pb::EndOfMonthMethod,
) -> pb::Creditor {
    app.creditors(&app.admin)
        .create_creditor(pb::CreateCreditorRequest {
            request_id: new_request_id(),
            creditor: Some(pb::Creditor {
                natural_person,
                end_of_month_method: method as i32,
                ..sample_creditor()
            }),
        })
        .await
        .expect("create creditor")
        .into_inner()
}

async fn consumer(app: &TestApp) -> pb::Debtor {
    app.debtors(&app.agent)
        .create_debtor(pb::CreateDebtorRequest {
            request_id: new_request_id(),
            debtor: Some(sample_consumer_debtor()),
        })
        .await
        .expect("create consumer debtor")
        .into_inner()
}

async fn create(
    app: &TestApp,
    creditor: &pb::Creditor,
    debtor: &pb::Debtor,
    invoices: Vec<pb::Invoice>,
) -> pb::Claim {
    app.claims(&app.agent)
        .create_claim(pb::CreateClaimRequest {
            request_id: new_request_id(),
            claim: Some(pb::Claim {
                creditor_id: creditor.id.clone(),
                debtor_id: debtor.id.clone(),
                external_reference: new_request_id(),
                currency_code: "EUR".into(),
                invoices,
                ..Default::default()
            }),
        })
        .await
        .expect("create claim")
        .into_inner()
}

/// A claim of a business creditor on a business debtor (commercial regime).
async fn b2b_claim(app: &TestApp, invoices: Vec<pb::Invoice>) -> pb::Claim {
    let creditor = app.creditor(&app.admin).await;
    let debtor = app.debtor(&app.agent).await;
    create(app, &creditor, &debtor, invoices).await
}

/// A claim of a business creditor on a consumer (consumer regime).
async fn consumer_claim(app: &TestApp, invoices: Vec<pb::Invoice>) -> pb::Claim {
    let creditor = app.creditor(&app.admin).await;
    let debtor = consumer(app).await;
    create(app, &creditor, &debtor, invoices).await
}

async fn statement_with(
    app: &TestApp,
    key: &str,
    claim_id: &str,
    as_of: Option<Date>,
    conventions: Option<pb::StatementConventions>,
) -> Result<pb::Statement, Status> {
    app.claims(key)
        .get_statement(pb::GetStatementRequest {
            claim_id: claim_id.into(),
            as_of,
            conventions,
        })
        .await
        .map(|r| r.into_inner())
}

async fn statement(app: &TestApp, claim_id: &str, as_of: Date) -> pb::Statement {
    statement_with(app, &app.legal, claim_id, Some(as_of), None)
        .await
        .expect("statement")
}

async fn get(app: &TestApp, id: &str) -> pb::Claim {
    app.claims(&app.legal)
        .get_claim(pb::GetClaimRequest { id: id.into() })
        .await
        .expect("get claim")
        .into_inner()
}

fn segment(
    (first, last, days): (Date, Date, i64),
    base: &str,
    rate: &str,
    basis: &str,
    legal_basis: &str,
    semester: &str,
    amount: &str,
) -> pb::InterestSegment {
    pb::InterestSegment {
        first_day: Some(first),
        last_day: Some(last),
        days,
        base: money(base),
        rate: rate.into(),
        basis: basis.into(),
        legal_basis: legal_basis.into(),
        ecb_rate: String::new(),
        floor_rate: String::new(),
        below_floor: false,
        semester: semester.into(),
        amount: money(amount),
    }
}

/// An L441-10 II segment at the ECB reference `ecb` + 10 points.
fn ecb_segment(
    span: (Date, Date, i64),
    base: &str,
    rate: &str,
    ecb: &str,
    semester: &str,
    amount: &str,
) -> pb::InterestSegment {
    pb::InterestSegment {
        ecb_rate: ecb.into(),
        ..segment(
            span,
            base,
            rate,
            "ecb_plus_ten",
            "C. com. L441-10 II",
            semester,
            amount,
        )
    }
}

fn legal_segment(
    span: (Date, Date, i64),
    rate: &str,
    semester: &str,
    amount: &str,
) -> pb::InterestSegment {
    segment(
        span,
        "1000.00",
        rate,
        "legal_interest",
        "C. civ. 1231-6, 1344-1",
        semester,
        amount,
    )
}

fn notice(claim_id: &str, sent: Date, receipt: Date) -> pb::RecordFormalNoticeDeliveryRequest {
    pb::RecordFormalNoticeDeliveryRequest {
        request_id: new_request_id(),
        claim_id: claim_id.into(),
        etag: String::new(),
        delivery: Some(pb::FormalNoticeDelivery {
            sent_date: Some(sent),
            receipt_date: Some(receipt),
            tracking_number: "1A 234 567 8901 2".into(),
        }),
    }
}

fn judgment(
    claim_id: &str,
    pronounced: Date,
    enforceable: Option<Date>,
) -> pb::RecordJudgmentRequest {
    pb::RecordJudgmentRequest {
        request_id: new_request_id(),
        claim_id: claim_id.into(),
        etag: String::new(),
        judgment: Some(pb::Judgment {
            judgment_date: Some(pronounced),
            enforceable_date: enforceable,
            court: "Tribunal judiciaire de Paris".into(),
            reference: "RG 25/01234".into(),
        }),
    }
}

fn interruption(
    claim_id: &str,
    on: Date,
    cause: pb::InterruptionCause,
) -> pb::RecordLimitationInterruptionRequest {
    pb::RecordLimitationInterruptionRequest {
        request_id: new_request_id(),
        claim_id: claim_id.into(),
        etag: String::new(),
        interruption: Some(pb::LimitationInterruption {
            date: Some(on),
            cause: cause as i32,
            note: "Courrier du débiteur reconnaissant la dette".into(),
        }),
    }
}

fn recovery_cost(
    claim_id: &str,
    invoice_number: &str,
    amount: &str,
) -> pb::RecordRecoveryCostRequest {
    pb::RecordRecoveryCostRequest {
        request_id: new_request_id(),
        claim_id: claim_id.into(),
        etag: String::new(),
        cost: Some(pb::RecoveryCost {
            invoice_number: invoice_number.into(),
            amount: money(amount),
            incurred_date: Some(date(2026, 10, 1)),
            proof: "Facture du cabinet de recouvrement n° 2026-117".into(),
        }),
    }
}

fn payment(
    claim_id: &str,
    amount: &str,
    value_date: Date,
    invoice_number: &str,
) -> pb::RecordPaymentRequest {
    pb::RecordPaymentRequest {
        request_id: new_request_id(),
        claim_id: claim_id.into(),
        etag: String::new(),
        amount: money(amount),
        value_date: Some(value_date),
        method: pb::PaymentMethod::BankTransfer as i32,
        reference: "VIR SEPA".into(),
        invoice_number: invoice_number.into(),
    }
}

fn escalate(claim_id: &str, target: pb::ClaimState) -> pb::EscalateClaimRequest {
    pb::EscalateClaimRequest {
        request_id: new_request_id(),
        claim_id: claim_id.into(),
        etag: String::new(),
        target_state: target as i32,
    }
}

fn line(
    invoice_number: &str,
    interest: &str,
    fixed_indemnity: &str,
    recovery_costs: &str,
    principal: &str,
) -> pb::ImputationLine {
    pb::ImputationLine {
        invoice_number: invoice_number.into(),
        interest: money(interest),
        fixed_indemnity: money(fixed_indemnity),
        recovery_costs: money(recovery_costs),
        principal: money(principal),
    }
}

const TEST_SOURCE: &str = "Test figure for 2026-S2, not a published rate";

fn ecb_row(effective: Date, rate: &str, source: &str) -> pb::SetEcbRateRequest {
    pb::SetEcbRateRequest {
        request_id: new_request_id(),
        rate: Some(pb::EcbRate {
            effective_date: Some(effective),
            rate: rate.into(),
            source: source.into(),
        }),
    }
}

fn legal_row(
    semester: &str,
    individual: &str,
    other: &str,
    source: &str,
) -> pb::SetLegalInterestRateRequest {
    pb::SetLegalInterestRateRequest {
        request_id: new_request_id(),
        rate: Some(pb::LegalInterestRate {
            semester: semester.into(),
            individual_rate: individual.into(),
            other_rate: other.into(),
            source: source.into(),
        }),
    }
}

/// Publishes test figures for 2026-S2 with an operator key: the ECB rate confirmed unchanged
/// at 2.15 on 1 July 2026 and legal rates of 6.50 / 2.50.
async fn publish_2026_s2(app: &TestApp) {
    let mut rates = app.rates(&app.operator().await);
    rates
        .set_ecb_rate(ecb_row(date(2026, 7, 1), "2.15", TEST_SOURCE))
        .await
        .expect("set ECB rate");
    rates
        .set_legal_interest_rate(legal_row("2026-S2", "6.50", "2.50", TEST_SOURCE))
        .await
        .expect("set legal rate");
}

async fn list_rates(app: &TestApp, key: &str) -> pb::ListRatesResponse {
    app.rates(key)
        .list_rates(pb::ListRatesRequest {})
        .await
        .expect("list rates")
        .into_inner()
}

fn dec(s: &str) -> Decimal {
    s.parse().expect("decimal")
}

// ---------------------------------------------------------------------------------------------
// 1. The B2B statement.

/// 1000.00 due 2023-11-15, completed 2023-10-15, as of 2025-03-31: L441-10 II penalties from
/// the day after the due date at the ECB reference of each semester + 10 points.
async fn overdue_since_november_2023(app: &TestApp) -> pb::Claim {
    b2b_claim(
        app,
        vec![invoice(
            "F-2023-0042",
            date(2023, 10, 16),
            Some(date(2023, 10, 15)),
            date(2023, 11, 15),
            "1000.00",
        )],
    )
    .await
}

#[tokio::test]
async fn b2b_statement_splits_penalties_per_semester_at_the_ecb_reference_plus_ten() {
    let app = TestApp::spawn().await;
    let claim = overdue_since_november_2023(&app).await;
    assert_eq!(claim.interest_regime, pb::InterestRegime::Commercial as i32);
    let s = statement(&app, &claim.id, date(2025, 3, 31)).await;

    assert_eq!(s.claim_id, claim.id);
    assert_eq!(s.as_of, Some(date(2025, 3, 31)));
    assert_eq!(s.interest_regime, pb::InterestRegime::Commercial as i32);
    assert_eq!(s.legal_rate_category, "other");
    assert_eq!(
        s.conventions,
        Some(pb::StatementConventions {
            day_count: pb::DayCount::Act365Fixed as i32,
            count_start_day: false,
        })
    );
    assert!(
        s.conventions_text.contains("36 500"),
        "{}",
        s.conventions_text
    );
    assert!(
        s.conventions_text.contains("start day excluded"),
        "{}",
        s.conventions_text
    );

    let [inv] = s.invoices.as_slice() else {
        panic!("one invoice: {s:?}")
    };
    assert_eq!(inv.number, "F-2023-0042");
    assert_eq!(inv.due_date, Some(date(2023, 11, 15)));
    assert_eq!(inv.principal, money("1000.00"));
    assert_eq!(inv.interest_from, Some(date(2023, 11, 15)));
    assert_eq!(
        inv.segments,
        vec![
            // 16 Nov–31 Dec 2023 = 15 + 31 = 46 days; ECB on 1 Jul 2023 = 4.00 (21 Jun 2023).
            // 1000 × 14 × 46 / 36500 = 17.6438… → 17.64
            ecb_segment(
                (date(2023, 11, 16), date(2023, 12, 31), 46),
                "1000.00",
                "14.00",
                "4.00",
                "2023-S2",
                "17.64"
            ),
            // 1 Jan–30 Jun 2024 = 182 days; ECB on 1 Jan 2024 = 4.50.
            // 1000 × 14.5 × 182 / 36500 = 72.3013… → 72.30
            ecb_segment(
                (date(2024, 1, 1), date(2024, 6, 30), 182),
                "1000.00",
                "14.50",
                "4.50",
                "2024-S1",
                "72.30"
            ),
            // 1 Jul–31 Dec 2024 = 184 days; ECB on 1 Jul 2024 = 4.25 (12 Jun 2024; the
            // September cut does not count, law-fr.md §1.3).
            // 1000 × 14.25 × 184 / 36500 = 71.8356… → 71.84
            ecb_segment(
                (date(2024, 7, 1), date(2024, 12, 31), 184),
                "1000.00",
                "14.25",
                "4.25",
                "2024-S2",
                "71.84"
            ),
            // 1 Jan–31 Mar 2025 = 90 days; ECB on 1 Jan 2025 = 3.15 (18 Dec 2024).
            // 1000 × 13.15 × 90 / 36500 = 32.4246… → 32.42
            ecb_segment(
                (date(2025, 1, 1), date(2025, 3, 31), 90),
                "1000.00",
                "13.15",
                "3.15",
                "2025-S1",
                "32.42"
            ),
        ]
    );
    // 17.64 + 72.30 + 71.84 + 32.42 = 194.20
    assert_eq!(inv.interest, money("194.20"));
    assert_eq!(inv.fixed_indemnity, money("40.00"));
    assert_eq!(inv.recovery_costs, money("0.00"));
    assert_eq!(inv.outstanding_principal, money("1000.00"));
    assert_eq!(inv.outstanding_interest, money("194.20"));
    assert_eq!(inv.outstanding_accessories, money("40.00"));
    // 1000.00 + 194.20 + 40.00
    assert_eq!(inv.balance, money("1234.20"));
    assert_eq!(
        inv.limitation,
        Some(pb::InvoiceLimitation {
            years: 5,
            legal_basis: "C. com. L110-4".into(),
            start_date: Some(date(2023, 10, 15)),
            counted_from_invoice_date: false,
            restart_date: None,
            restart_cause: 0,
            deadline: Some(date(2028, 10, 15)),
            expired: false,
        })
    );
    assert_eq!(
        s.totals,
        Some(pb::StatementTotals {
            principal: money("1000.00"),
            interest: money("194.20"),
            fixed_indemnities: money("40.00"),
            recovery_costs: money("0.00"),
            paid: money("0.00"),
            outstanding_principal: money("1000.00"),
            outstanding_interest: money("194.20"),
            outstanding_accessories: money("40.00"),
            owed: money("1234.20"),
            unapplied: money("0.00"),
        })
    );
    assert_eq!(s.limitation_deadline, Some(date(2028, 10, 15)));
    assert!(s.payments.is_empty());
    assert!(s.notes.is_empty(), "{:?}", s.notes);

    // Before the due date nothing accrues and no indemnity is owed.
    let early = statement(&app, &claim.id, date(2023, 11, 15)).await;
    assert!(early.invoices[0].segments.is_empty());
    assert_eq!(early.invoices[0].fixed_indemnity, money("0.00"));
    assert_eq!(early.totals.expect("totals").owed, money("1000.00"));
}

#[tokio::test]
async fn conventions_count_the_start_day_or_divide_leap_years_by_366() {
    let app = TestApp::spawn().await;
    let claim = overdue_since_november_2023(&app).await;
    let as_of = Some(date(2025, 3, 31));

    // Both ends counted: the first segment starts on the due date itself.
    let inclusive = statement_with(
        &app,
        &app.legal,
        &claim.id,
        as_of,
        Some(pb::StatementConventions {
            day_count: pb::DayCount::Unspecified as i32,
            count_start_day: true,
        }),
    )
    .await
    .expect("statement");
    let inv = &inclusive.invoices[0];
    // 15 Nov–31 Dec 2023 = 47 days: 1000 × 14 × 47 / 36500 = 18.0274… → 18.03
    assert_eq!(
        inv.segments[0],
        ecb_segment(
            (date(2023, 11, 15), date(2023, 12, 31), 47),
            "1000.00",
            "14.00",
            "4.00",
            "2023-S2",
            "18.03"
        )
    );
    assert_eq!(inv.segments[1].amount, money("72.30"));
    assert_eq!(inv.segments[2].amount, money("71.84"));
    assert_eq!(inv.segments[3].amount, money("32.42"));
    // 18.03 + 72.30 + 71.84 + 32.42 = 194.59; + 1000 + 40
    assert_eq!(inv.interest, money("194.59"));
    assert_eq!(
        inclusive.totals.as_ref().expect("totals").owed,
        money("1234.59")
    );
    assert_eq!(
        inclusive.conventions,
        Some(pb::StatementConventions {
            day_count: pb::DayCount::Act365Fixed as i32,
            count_start_day: true,
        })
    );
    assert!(
        inclusive.conventions_text.contains("both counted"),
        "{}",
        inclusive.conventions_text
    );

    // ACTUAL/ACTUAL: the 2024 segments are divided by 36 600, the others by 36 500.
    let actual = statement_with(
        &app,
        &app.legal,
        &claim.id,
        as_of,
        Some(pb::StatementConventions {
            day_count: pb::DayCount::ActualActual as i32,
            count_start_day: false,
        }),
    )
    .await
    .expect("statement");
    let amounts: Vec<_> = actual.invoices[0]
        .segments
        .iter()
        .map(|g| g.amount.clone())
        .collect();
    assert_eq!(
        amounts,
        vec![
            money("17.64"), // 1000 × 14 × 46 / 36500
            money("72.10"), // 1000 × 14.5 × 182 / 36600 = 72.1038…
            money("71.64"), // 1000 × 14.25 × 184 / 36600 = 71.6393…
            money("32.42"), // 1000 × 13.15 × 90 / 36500
        ]
    );
    // 17.64 + 72.10 + 71.64 + 32.42 = 193.80
    assert_eq!(actual.invoices[0].interest, money("193.80"));
    assert_eq!(
        actual.totals.as_ref().expect("totals").owed,
        money("1233.80")
    );
    assert!(
        actual.conventions_text.contains("366"),
        "{}",
        actual.conventions_text
    );
    assert_ne!(actual.conventions_text, inclusive.conventions_text);

    // Malformed input names its field.
    let bad = statement_with(
        &app,
        &app.legal,
        &claim.id,
        Some(date(2025, 2, 30)),
        Some(pb::StatementConventions {
            day_count: 9,
            count_start_day: false,
        }),
    )
    .await;
    let status = assert_refused(bad, Code::InvalidArgument, "INVALID_ARGUMENT");
    let mut fields = bad_fields(&status);
    fields.sort();
    assert_eq!(fields, vec!["as_of", "conventions.day_count"]);
}

// ---------------------------------------------------------------------------------------------
// 2. Contractual rates and their floor.

#[tokio::test]
async fn a_contractual_rate_below_three_times_the_legal_rate_is_applied_and_flagged() {
    let app = TestApp::spawn().await;
    let mut low = invoice(
        "F-LOW",
        date(2024, 1, 2),
        Some(date(2024, 1, 1)),
        date(2024, 1, 31),
        "1000.00",
    );
    low.contractual_rate = "10".into();
    let mut high = invoice(
        "F-HIGH",
        date(2024, 1, 2),
        Some(date(2024, 1, 1)),
        date(2024, 1, 31),
        "1000.00",
    );
    high.contractual_rate = "18.0".into();
    let claim = b2b_claim(&app, vec![low, high]).await;
    assert_eq!(claim.invoices[0].contractual_rate, "10.00");
    assert_eq!(claim.invoices[1].contractual_rate, "18.00");

    let s = statement(&app, &claim.id, date(2024, 6, 30)).await;
    let span = (date(2024, 2, 1), date(2024, 6, 30), 151); // 29 + 31 + 30 + 31 + 30
    let contractual = |rate: &str, below_floor: bool, amount: &str| pb::InterestSegment {
        // 3 × 5.07 ("autres cas", 2024-S1) = 15.21
        floor_rate: "15.21".into(),
        below_floor,
        ..segment(
            span,
            "1000.00",
            rate,
            "contractual_rate",
            "C. com. L441-10 II",
            "2024-S1",
            amount,
        )
    };
    // 1000 × 10 × 151 / 36500 = 41.3698… → 41.37
    assert_eq!(
        s.invoices[0].segments,
        vec![contractual("10.00", true, "41.37")]
    );
    // 1000 × 18 × 151 / 36500 = 74.4657… → 74.47
    assert_eq!(
        s.invoices[1].segments,
        vec![contractual("18.00", false, "74.47")]
    );
    let [note] = s.notes.as_slice() else {
        panic!("one note: {:?}", s.notes)
    };
    assert_eq!(note.code, "CONTRACTUAL_RATE_BELOW_FLOOR");
    assert_eq!(note.invoice_number, "F-LOW");
    assert!(note.message.contains("15.21"), "{}", note.message);

    // A rate that is not a plain non-negative percentage is refused on create.
    let creditor = app.creditor(&app.admin).await;
    let debtor = app.debtor(&app.agent).await;
    for bad in ["abc", "-1", "1e2", "215"] {
        let mut inv = invoice(
            "F-BAD",
            date(2024, 1, 2),
            None,
            date(2024, 1, 31),
            "1000.00",
        );
        inv.contractual_rate = bad.into();
        let r = app
            .claims(&app.agent)
            .create_claim(pb::CreateClaimRequest {
                request_id: new_request_id(),
                claim: Some(pb::Claim {
                    creditor_id: creditor.id.clone(),
                    debtor_id: debtor.id.clone(),
                    external_reference: new_request_id(),
                    currency_code: "EUR".into(),
                    invoices: vec![inv],
                    ..Default::default()
                }),
            })
            .await;
        let status = assert_refused(r, Code::InvalidArgument, "INVALID_ARGUMENT");
        assert_eq!(
            bad_fields(&status),
            vec!["claim.invoices[0].contractual_rate"],
            "{bad}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// 3. Consumer and civil claims: legal interest from the formal notice's receipt.

#[tokio::test]
async fn consumer_interest_runs_from_the_formal_notice_receipt_at_the_other_cases_rate() {
    let app = TestApp::spawn().await;
    let claim = consumer_claim(
        &app,
        vec![invoice(
            "F-C1",
            date(2025, 6, 1),
            Some(date(2025, 5, 31)),
            date(2025, 6, 30),
            "1000.00",
        )],
    )
    .await;
    assert_eq!(claim.interest_regime, pb::InterestRegime::Consumer as i32);

    // Without a formal notice nothing runs, and no indemnity is owed.
    let before = statement(&app, &claim.id, date(2026, 3, 31)).await;
    assert_eq!(before.interest_regime, pb::InterestRegime::Consumer as i32);
    assert_eq!(before.legal_rate_category, "other");
    let inv = &before.invoices[0];
    assert!(inv.segments.is_empty());
    assert_eq!(inv.interest_from, None);
    assert_eq!(inv.interest, money("0.00"));
    assert_eq!(inv.fixed_indemnity, money("0.00"));
    assert_eq!(
        before.totals.as_ref().expect("totals").owed,
        money("1000.00")
    );
    assert_eq!(codes(&before), vec!["INTEREST_NOT_RUNNING"]);
    assert_eq!(
        inv.limitation,
        Some(pb::InvoiceLimitation {
            years: 2,
            legal_basis: "C. consom. L218-2".into(),
            start_date: Some(date(2025, 5, 31)),
            counted_from_invoice_date: false,
            restart_date: None,
            restart_cause: 0,
            deadline: Some(date(2027, 5, 31)),
            expired: false,
        })
    );

    let recorded = app
        .claims(&app.agent)
        .record_formal_notice_delivery(notice(&claim.id, date(2025, 9, 5), date(2025, 9, 10)))
        .await
        .expect("record formal notice")
        .into_inner();
    assert_eq!(
        recorded.formal_notice,
        Some(pb::FormalNoticeDelivery {
            sent_date: Some(date(2025, 9, 5)),
            receipt_date: Some(date(2025, 9, 10)),
            tracking_number: "1A 234 567 8901 2".into(),
        })
    );

    let after = statement(&app, &claim.id, date(2026, 3, 31)).await;
    let inv = &after.invoices[0];
    assert_eq!(inv.interest_from, Some(date(2025, 9, 10)));
    assert_eq!(
        inv.segments,
        vec![
            // 11 Sep–31 Dec 2025 = 20 + 31 + 30 + 31 = 112 days at 2.76 ("autres cas").
            // 1000 × 2.76 × 112 / 36500 = 8.4690… → 8.47
            legal_segment(
                (date(2025, 9, 11), date(2025, 12, 31), 112),
                "2.76",
                "2025-S2",
                "8.47"
            ),
            // 1 Jan–31 Mar 2026 = 90 days at 2.62. 1000 × 2.62 × 90 / 36500 = 6.4602… → 6.46
            legal_segment(
                (date(2026, 1, 1), date(2026, 3, 31), 90),
                "2.62",
                "2026-S1",
                "6.46"
            ),
        ]
    );
    assert_eq!(inv.interest, money("14.93"));
    assert_eq!(inv.fixed_indemnity, money("0.00"));
    assert_eq!(
        after.totals.as_ref().expect("totals").owed,
        money("1014.93")
    );
    assert!(after.notes.is_empty(), "{:?}", after.notes);
    // As of a day before the receipt, still nothing runs.
    let earlier = statement(&app, &claim.id, date(2025, 9, 9)).await;
    assert_eq!(codes(&earlier), vec!["INTEREST_NOT_RUNNING"]);

    // No recovery costs may be charged to a consumer (CPCE L111-8).
    let refused = app
        .claims(&app.agent)
        .record_recovery_cost(recovery_cost(&claim.id, "F-C1", "150.00"))
        .await;
    assert_refused(
        refused,
        Code::FailedPrecondition,
        "RECOVERY_COSTS_NOT_ALLOWED",
    );
    assert!(get(&app, &claim.id).await.recovery_costs.is_empty());
}

#[tokio::test]
async fn a_natural_person_creditor_makes_a_civil_claim_at_the_individuals_rate() {
    let app = TestApp::spawn().await;
    let creditor = creditor_with(&app, true, pb::EndOfMonthMethod::Unspecified).await;
    assert!(creditor.natural_person);
    let debtor = consumer(&app).await;
    let claim = create(
        &app,
        &creditor,
        &debtor,
        vec![invoice(
            "LOYER-2025-06",
            date(2025, 6, 1),
            Some(date(2025, 5, 31)),
            date(2025, 6, 30),
            "1000.00",
        )],
    )
    .await;
    assert_eq!(claim.interest_regime, pb::InterestRegime::Civil as i32);
    app.claims(&app.agent)
        .record_formal_notice_delivery(notice(&claim.id, date(2025, 9, 5), date(2025, 9, 10)))
        .await
        .expect("record formal notice");

    let s = statement(&app, &claim.id, date(2025, 12, 31)).await;
    assert_eq!(s.interest_regime, pb::InterestRegime::Civil as i32);
    assert_eq!(s.legal_rate_category, "individual");
    let inv = &s.invoices[0];
    // 112 days at 6.65 ("particuliers", 2025-S2): 1000 × 6.65 × 112 / 36500 = 20.4054… → 20.41
    assert_eq!(
        inv.segments,
        vec![legal_segment(
            (date(2025, 9, 11), date(2025, 12, 31), 112),
            "6.65",
            "2025-S2",
            "20.41"
        )]
    );
    assert_eq!(inv.fixed_indemnity, money("0.00"));
    assert_eq!(s.totals.as_ref().expect("totals").owed, money("1020.41"));
    let limitation = inv.limitation.as_ref().expect("limitation");
    assert_eq!(
        (limitation.years, limitation.legal_basis.as_str()),
        (5, "C. civ. 2224")
    );
    assert_eq!(limitation.deadline, Some(date(2030, 5, 31)));

    let refused = app
        .claims(&app.agent)
        .record_recovery_cost(recovery_cost(&claim.id, "LOYER-2025-06", "150.00"))
        .await;
    assert_refused(
        refused,
        Code::FailedPrecondition,
        "RECOVERY_COSTS_NOT_ALLOWED",
    );
}

#[tokio::test]
async fn recovery_costs_on_a_b2b_claim_are_owed_as_accessories() {
    let app = TestApp::spawn().await;
    let claim = overdue_since_november_2023(&app).await;
    let recorded = app
        .claims(&app.agent)
        .record_recovery_cost(recovery_cost(&claim.id, "F-2023-0042", "150.00"))
        .await
        .expect("record recovery cost")
        .into_inner();
    assert_eq!(
        recorded.recovery_costs,
        vec![pb::RecoveryCost {
            invoice_number: "F-2023-0042".into(),
            amount: money("150.00"),
            incurred_date: Some(date(2026, 10, 1)),
            proof: "Facture du cabinet de recouvrement n° 2026-117".into(),
        }]
    );
    // Incurred 2026-10-01: on a statement as of 2026-06-30 they are not there yet.
    let s = statement(&app, &claim.id, date(2026, 6, 30)).await;
    assert_eq!(s.invoices[0].recovery_costs, money("0.00"));
    assert_eq!(s.invoices[0].outstanding_accessories, money("40.00"));
    // As of today (2026-S2 published for the purpose) they are owed with the indemnity.
    publish_2026_s2(&app).await;
    let s = statement_with(&app, &app.legal, &claim.id, None, None)
        .await
        .expect("statement today");
    let inv = &s.invoices[0];
    assert_eq!(inv.recovery_costs, money("150.00"));
    assert_eq!(inv.outstanding_accessories, money("190.00"));
    let totals = s.totals.as_ref().expect("totals");
    assert_eq!(totals.recovery_costs, money("150.00"));
    assert_eq!(
        totals.owed,
        money(
            &(dec("1000.00")
                + dec(&inv.interest.as_ref().expect("interest").amount)
                + dec("190.00"))
            .to_string()
        )
    );

    // An invoice that is not the claim's is refused on its field.
    let r = app
        .claims(&app.agent)
        .record_recovery_cost(recovery_cost(&claim.id, "F-NOPE", "150.00"))
        .await;
    let status = assert_refused(r, Code::InvalidArgument, "INVALID_ARGUMENT");
    assert_eq!(bad_fields(&status), vec!["cost.invoice_number"]);
}

// ---------------------------------------------------------------------------------------------
// 4. Payments and their imputation.

#[tokio::test]
async fn a_partial_payment_goes_to_interest_and_the_indemnity_before_principal() {
    let app = TestApp::spawn().await;
    publish_2026_s2(&app).await;
    let claim = b2b_claim(
        &app,
        vec![
            invoice(
                "F-A",
                date(2026, 6, 1),
                Some(date(2026, 5, 31)),
                date(2026, 6, 30),
                "1000.00",
            ),
            invoice(
                "F-B",
                date(2026, 7, 15),
                Some(date(2026, 7, 15)),
                date(2026, 8, 31),
                "500.00",
            ),
        ],
    )
    .await;
    let mut claims = app.claims(&app.agent);

    // 100.00 valued 2026-07-31, no designation: F-A is the only overdue invoice. Penalties
    // 1 Jul–31 Jul 2026 = 31 days at 2.15 + 10: 1000 × 12.15 × 31 / 36500 = 10.3192… → 10.32,
    // then the €40 indemnity, then 100 − 10.32 − 40 = 49.68 of principal.
    let after_first = claims
        .record_payment(payment(&claim.id, "100.00", date(2026, 7, 31), ""))
        .await
        .expect("first payment")
        .into_inner();
    let first = after_first.payments.last().expect("a payment");
    assert_eq!(first.invoice_number, "");
    assert_eq!(
        first.imputation,
        vec![line("F-A", "10.32", "40.00", "0.00", "49.68")]
    );
    assert_eq!(first.unapplied, money("0.00"));
    // `balance` is principal not yet paid in the claim's simple sense: 1500 − 100.
    assert_eq!(after_first.balance, money("1400.00"));
    assert_eq!(after_first.amount_owed_unavailable, "");

    // 200.00 valued 2026-09-30 designating F-B (debtor's choice, C. civ. 1342-10): F-B's
    // penalties 1 Sep–30 Sep = 30 days: 500 × 12.15 × 30 / 36500 = 4.9931… → 4.99, then €40,
    // then 155.01 of principal. Nothing goes to F-A although it is older.
    let after_second = claims
        .record_payment(payment(&claim.id, "200.00", date(2026, 9, 30), "F-B"))
        .await
        .expect("second payment")
        .into_inner();
    assert_eq!(after_second.payments.len(), 2);
    assert_eq!(after_second.payments[0].imputation, first.imputation);
    let second = &after_second.payments[1];
    assert_eq!(second.invoice_number, "F-B");
    assert_eq!(
        second.imputation,
        vec![line("F-B", "4.99", "40.00", "0.00", "155.01")]
    );
    assert_eq!(second.unapplied, money("0.00"));

    // Owed today (2026-11-20), computed from the same segments as the statement.
    let s = statement_with(&app, &app.legal, &claim.id, None, None)
        .await
        .expect("statement today");
    assert_eq!(s.as_of, Some(date(2026, 11, 20)));
    let a = &s.invoices[0];
    assert_eq!(
        a.segments,
        vec![
            ecb_segment(
                (date(2026, 7, 1), date(2026, 7, 31), 31),
                "1000.00",
                "12.15",
                "2.15",
                "2026-S2",
                "10.32"
            ),
            // Split at the second payment (it accrues every invoice): 1 Aug–30 Sep = 61 days.
            // 950.32 × 12.15 × 61 / 36500 = 19.2970… → 19.30
            ecb_segment(
                (date(2026, 8, 1), date(2026, 9, 30), 61),
                "950.32",
                "12.15",
                "2.15",
                "2026-S2",
                "19.30"
            ),
            // 1 Oct–20 Nov = 51 days. 950.32 × 12.15 × 51 / 36500 = 16.1336… → 16.13
            ecb_segment(
                (date(2026, 10, 1), date(2026, 11, 20), 51),
                "950.32",
                "12.15",
                "2.15",
                "2026-S2",
                "16.13"
            ),
        ]
    );
    assert_eq!(a.outstanding_principal, money("950.32"));
    // 19.30 + 16.13 = 35.43
    assert_eq!(a.balance, money("985.75"));
    let b = &s.invoices[1];
    // 1 Oct–20 Nov = 51 days on 344.99: 344.99 × 12.15 × 51 / 36500 = 5.8569… → 5.86
    assert_eq!(b.segments[1].amount, money("5.86"));
    assert_eq!(b.balance, money("350.85"));
    assert_eq!(s.totals.as_ref().expect("totals").owed, money("1336.60"));
    // Each payment restarts the limitation of the invoices it went to (C. civ. 2240).
    let restart = |inv: &pb::InvoiceStatement| {
        let l = inv.limitation.as_ref().expect("limitation");
        (l.restart_date, l.restart_cause, l.deadline)
    };
    let payment_cause = pb::InterruptionCause::Payment as i32;
    assert_eq!(
        restart(a),
        (
            Some(date(2026, 7, 31)),
            payment_cause,
            Some(date(2031, 7, 31))
        )
    );
    assert_eq!(
        restart(b),
        (
            Some(date(2026, 9, 30)),
            payment_cause,
            Some(date(2031, 9, 30))
        )
    );
    assert_eq!(s.limitation_deadline, Some(date(2031, 7, 31)));
    assert_eq!(after_second.amount_owed, money("1336.60"));
    assert_eq!(after_second.amount_owed_date, Some(date(2026, 11, 20)));
    assert_eq!(get(&app, &claim.id).await.amount_owed, money("1336.60"));

    // An invoice that is not the claim's is refused on its field.
    let r = claims
        .record_payment(payment(&claim.id, "10.00", date(2026, 11, 20), "F-Z"))
        .await;
    let status = assert_refused(r, Code::InvalidArgument, "INVALID_ARGUMENT");
    assert_eq!(bad_fields(&status), vec!["invoice_number"]);

    // More than everything owed is an overpayment; nothing changes.
    let r = claims
        .record_payment(payment(&claim.id, "1336.61", date(2026, 11, 20), ""))
        .await;
    assert_refused(r, Code::FailedPrecondition, "OVERPAYMENT");
    assert_eq!(get(&app, &claim.id).await.payments.len(), 2);

    // Exactly everything owed settles the claim: it is paid.
    let paid = claims
        .record_payment(payment(&claim.id, "1336.60", date(2026, 11, 20), ""))
        .await
        .expect("final payment")
        .into_inner();
    assert_eq!(paid.state, pb::ClaimState::Paid as i32);
    assert_eq!(paid.amount_owed, money("0.00"));
    let last = paid.payments.last().expect("a payment");
    assert_eq!(
        last.imputation,
        vec![
            line("F-A", "35.43", "0.00", "0.00", "950.32"),
            line("F-B", "5.86", "0.00", "0.00", "344.99"),
        ]
    );
}

#[tokio::test]
async fn without_the_semesters_rate_a_payment_is_taken_only_within_the_principal() {
    let app = TestApp::spawn().await;
    // Overdue since April 2026: today's amount needs the 2026-S2 ECB reference.
    let claim = b2b_claim(
        &app,
        vec![invoice(
            "F-1",
            date(2026, 3, 1),
            Some(date(2026, 2, 28)),
            date(2026, 3, 31),
            "1000.00",
        )],
    )
    .await;
    assert_eq!(claim.amount_owed, None);
    assert_eq!(
        claim.amount_owed_unavailable,
        "no ecb_reference rate is published for 2026-S2"
    );
    assert_eq!(claim.amount_owed_date, Some(date(2026, 11, 20)));
    let mut claims = app.claims(&app.agent);

    let taken = claims
        .record_payment(payment(&claim.id, "100.00", date(2026, 11, 20), ""))
        .await
        .expect("a payment within the principal")
        .into_inner();
    let [p] = taken.payments.as_slice() else {
        panic!("one payment: {:?}", taken.payments)
    };
    assert_eq!(p.amount, money("100.00"));
    assert!(p.imputation.is_empty(), "{:?}", p.imputation);
    assert_eq!(p.unapplied, None);
    assert_eq!(taken.balance, money("900.00"));
    assert_eq!(taken.amount_owed, None);
    assert_eq!(
        taken.amount_owed_unavailable,
        "no ecb_reference rate is published for 2026-S2"
    );

    let refused = claims
        .record_payment(payment(&claim.id, "900.01", date(2026, 11, 20), ""))
        .await;
    let status = assert_refused(refused, Code::FailedPrecondition, "RATE_NOT_PUBLISHED");
    assert_eq!(
        metadata(&status),
        HashMap::from([
            ("semester".to_owned(), "2026-S2".to_owned()),
            ("table".to_owned(), "ecb_reference".to_owned()),
        ])
    );
    assert_eq!(get(&app, &claim.id).await.payments.len(), 1);

    // The same holds for a promise; closing as paid needs the amount owed; legal action only
    // needs the limitation deadline, known without the rate (5 years from 2026-02-28).
    let r = claims
        .record_promise_to_pay(pb::RecordPromiseToPayRequest {
            request_id: new_request_id(),
            claim_id: claim.id.clone(),
            etag: String::new(),
            amount: money("900.01"),
            due_date: Some(date(2026, 12, 15)),
        })
        .await;
    let status = assert_refused(r, Code::FailedPrecondition, "RATE_NOT_PUBLISHED");
    assert_eq!(metadata(&status)["semester"], "2026-S2");
    let r = claims
        .close_claim(pb::CloseClaimRequest {
            request_id: new_request_id(),
            claim_id: claim.id.clone(),
            etag: String::new(),
            kind: pb::ClosureKind::Paid as i32,
            reason: "Réglé".into(),
        })
        .await;
    assert_refused(r, Code::FailedPrecondition, "RATE_NOT_PUBLISHED");
    claims
        .escalate_claim(escalate(&claim.id, pb::ClaimState::FormalNotice))
        .await
        .expect("formal notice");
    let legal = claims
        .escalate_claim(escalate(&claim.id, pb::ClaimState::Legal))
        .await
        .expect("legal action is not held up by a missing rate")
        .into_inner();
    assert_eq!(legal.limitation_deadline, Some(date(2031, 2, 28)));

    // Once the rate is published the recorded payment is imputed, interest first.
    publish_2026_s2(&app).await;
    let now = get(&app, &claim.id).await;
    assert_eq!(now.amount_owed_unavailable, "");
    // Penalties 1 Apr–30 Jun 2026 = 91 days: 1000 × 12.15 × 91 / 36500 = 30.2917… → 30.29;
    // 1 Jul–20 Nov = 143 days: 1000 × 12.15 × 143 / 36500 = 47.6013… → 47.60; 77.89 in all,
    // so 22.11 goes to the €40 indemnity and nothing to principal.
    assert_eq!(
        now.payments[0].imputation,
        vec![line("F-1", "77.89", "22.11", "0.00", "0.00")]
    );
    // 1000 + 77.89 + 40 − 100
    assert_eq!(now.amount_owed, money("1017.89"));
}

// ---------------------------------------------------------------------------------------------
// 5. Reference rates.

#[tokio::test]
async fn statements_needing_an_unpublished_semester_are_refused_until_an_operator_adds_it() {
    let app = TestApp::spawn().await;
    let b2b = b2b_claim(
        &app,
        vec![invoice(
            "F-1",
            date(2026, 3, 1),
            Some(date(2026, 2, 28)),
            date(2026, 3, 31),
            "1000.00",
        )],
    )
    .await;
    let cons = consumer_claim(
        &app,
        vec![invoice(
            "F-C",
            date(2026, 6, 1),
            Some(date(2026, 5, 31)),
            date(2026, 6, 30),
            "1000.00",
        )],
    )
    .await;
    app.claims(&app.agent)
        .record_formal_notice_delivery(notice(&cons.id, date(2026, 9, 10), date(2026, 9, 15)))
        .await
        .expect("record formal notice");

    let refused = statement_with(&app, &app.legal, &b2b.id, None, None).await;
    let status = assert_refused(refused, Code::FailedPrecondition, "RATE_NOT_PUBLISHED");
    assert_eq!(
        metadata(&status),
        HashMap::from([
            ("semester".to_owned(), "2026-S2".to_owned()),
            ("table".to_owned(), "ecb_reference".to_owned()),
        ])
    );
    let refused = statement_with(&app, &app.legal, &cons.id, None, None).await;
    let status = assert_refused(refused, Code::FailedPrecondition, "RATE_NOT_PUBLISHED");
    assert_eq!(
        metadata(&status),
        HashMap::from([
            ("semester".to_owned(), "2026-S2".to_owned()),
            ("table".to_owned(), "legal_interest".to_owned()),
        ])
    );
    // A past date still works.
    statement(&app, &b2b.id, date(2026, 6, 30)).await;

    let operator = app.operator().await;
    let mut rates = app.rates(&operator);
    let ecb_source = "ECB monetary policy decision of 11 June 2026 (test row)";
    let row = rates
        .set_ecb_rate(ecb_row(date(2026, 7, 1), "2.15", ecb_source))
        .await
        .expect("set ECB rate")
        .into_inner();
    assert_eq!(
        row,
        pb::EcbRate {
            effective_date: Some(date(2026, 7, 1)),
            rate: "2.15".into(),
            source: ecb_source.into(),
        }
    );
    // At once: the cache of this replica was dropped.
    let s = statement_with(&app, &app.legal, &b2b.id, None, None)
        .await
        .expect("B2B statement once the ECB row is in");
    // 1 Jul–20 Nov 2026 = 31 + 31 + 30 + 31 + 20 = 143 days at 12.15:
    // 1000 × 12.15 × 143 / 36500 = 47.6013… → 47.60
    assert_eq!(
        s.invoices[0].segments.last(),
        Some(&ecb_segment(
            (date(2026, 7, 1), date(2026, 11, 20), 143),
            "1000.00",
            "12.15",
            "2.15",
            "2026-S2",
            "47.60"
        ))
    );
    assert!(get(&app, &b2b.id).await.amount_owed.is_some());
    // The consumer's needs the legal rate, still missing.
    let refused = statement_with(&app, &app.legal, &cons.id, None, None).await;
    let status = assert_refused(refused, Code::FailedPrecondition, "RATE_NOT_PUBLISHED");
    assert_eq!(metadata(&status)["table"], "legal_interest");

    let legal_source = "Arrêté du 20 juin 2026 (test row)";
    let row = rates
        .set_legal_interest_rate(legal_row("2026-S2", "6.50", "2.50", legal_source))
        .await
        .expect("set legal rate")
        .into_inner();
    assert_eq!(
        row,
        pb::LegalInterestRate {
            semester: "2026-S2".into(),
            individual_rate: "6.50".into(),
            other_rate: "2.50".into(),
            source: legal_source.into(),
        }
    );
    let s = statement_with(&app, &app.legal, &cons.id, None, None)
        .await
        .expect("consumer statement once the legal rate is in");
    // 16 Sep–20 Nov 2026 = 15 + 31 + 20 = 66 days at 2.50:
    // 1000 × 2.5 × 66 / 36500 = 4.5205… → 4.52
    assert_eq!(
        s.invoices[0].segments,
        vec![legal_segment(
            (date(2026, 9, 16), date(2026, 11, 20), 66),
            "2.50",
            "2026-S2",
            "4.52"
        )]
    );

    // Anyone reads both tables: the seeded rows and the new ones.
    let listed = list_rates(&app, &app.legal).await;
    assert!(listed.ecb_rates.contains(&pb::EcbRate {
        effective_date: Some(date(2026, 7, 1)),
        rate: "2.15".into(),
        source: ecb_source.into(),
    }));
    assert_eq!(
        listed.ecb_rates.last().and_then(|r| r.effective_date),
        Some(date(2026, 7, 1))
    );
    assert!(
        listed
            .legal_interest_rates
            .contains(&pb::LegalInterestRate {
                semester: "2026-S1".into(),
                individual_rate: "6.67".into(),
                other_rate: "2.62".into(),
                source: "Arrêté du 15 décembre 2025 (JORF 26 Dec 2025), \
                 https://juriblio.fr/arretes/arrete-du-15-decembre-2025/187383136"
                    .into(),
            })
    );
    assert_eq!(listed.legal_interest_rates.last(), Some(&row));
}

#[tokio::test]
async fn only_an_operator_sets_rates_and_bad_rows_name_their_fields() {
    let app = TestApp::spawn().await;
    // An admin (every other role too) may not.
    for key in [&app.admin, &app.agent, &app.legal] {
        let r = app
            .rates(key)
            .set_ecb_rate(ecb_row(date(2026, 7, 1), "2.15", TEST_SOURCE))
            .await;
        let status = assert_refused(r, Code::PermissionDenied, "PERMISSION_DENIED");
        assert_eq!(metadata(&status)["required_role"], "operator");
        let r = app
            .rates(key)
            .set_legal_interest_rate(legal_row("2026-S2", "6.50", "2.50", TEST_SOURCE))
            .await;
        assert_refused(r, Code::PermissionDenied, "PERMISSION_DENIED");
    }
    // Nor can an admin mint an operator key.
    let r = app
        .api_keys(&app.admin)
        .create_api_key(pb::CreateApiKeyRequest {
            request_id: new_request_id(),
            api_key: Some(pb::ApiKey {
                role: pb::Role::Operator as i32,
                label: "sneaky".into(),
                ..Default::default()
            }),
        })
        .await;
    let status = assert_refused(r, Code::PermissionDenied, "PERMISSION_DENIED");
    assert_eq!(metadata(&status)["required_role"], "operator");

    let mut rates = app.rates(&app.operator().await);
    let bad_fields_of = |r: Result<tonic::Response<pb::EcbRate>, Status>| {
        let status = assert_refused(r, Code::InvalidArgument, "INVALID_ARGUMENT");
        let mut fields = bad_fields(&status);
        fields.sort();
        fields
    };
    assert_eq!(
        bad_fields_of(
            rates
                .set_ecb_rate(ecb_row(date(2026, 7, 1), "215", TEST_SOURCE))
                .await
        ),
        vec!["rate.rate"]
    );
    assert_eq!(
        bad_fields_of(
            rates
                .set_ecb_rate(ecb_row(date(2026, 7, 1), "2.15", "  "))
                .await
        ),
        vec!["rate.source"]
    );
    assert_eq!(
        bad_fields_of(
            rates
                .set_ecb_rate(ecb_row(date(2026, 7, 1), "215", ""))
                .await
        ),
        vec!["rate.rate", "rate.source"]
    );
    assert_eq!(
        bad_fields_of(
            rates
                .set_ecb_rate(ecb_row(date(2026, 7, 1), "2,15", TEST_SOURCE))
                .await
        ),
        vec!["rate.rate"]
    );
    assert_eq!(
        bad_fields_of(
            rates
                .set_ecb_rate(ecb_row(date(2026, 7, 1), "2.123456", TEST_SOURCE))
                .await
        ),
        vec!["rate.rate"]
    );
    let r = rates
        .set_legal_interest_rate(legal_row("2026-S3", "6.50", "2.50", TEST_SOURCE))
        .await;
    let status = assert_refused(r, Code::InvalidArgument, "INVALID_ARGUMENT");
    assert_eq!(bad_fields(&status), vec!["rate.semester"]);
    let r = rates
        .set_legal_interest_rate(legal_row("2026-S2", "650", "-6", ""))
        .await;
    let status = assert_refused(r, Code::InvalidArgument, "INVALID_ARGUMENT");
    let mut fields = bad_fields(&status);
    fields.sort();
    assert_eq!(
        fields,
        vec!["rate.individual_rate", "rate.other_rate", "rate.source"]
    );
    // Nothing was stored.
    let listed = list_rates(&app, &app.legal).await;
    assert_eq!(
        listed.ecb_rates.len(),
        recouvre_domain::rates::PUBLISHED_ECB_RATES.len()
    );
    assert_eq!(
        listed.legal_interest_rates.len(),
        recouvre_domain::rates::PUBLISHED_LEGAL_RATES.len()
    );
}

#[tokio::test]
async fn a_retried_set_rate_returns_the_first_result_and_applies_once() {
    let app = TestApp::spawn().await;
    let mut rates = app.rates(&app.operator().await);
    let first = ecb_row(date(2026, 7, 1), "2.15", TEST_SOURCE);
    let answer = rates
        .set_ecb_rate(first.clone())
        .await
        .expect("set")
        .into_inner();
    // A correction of the same day, then a retry of the first request.
    rates
        .set_ecb_rate(ecb_row(date(2026, 7, 1), "2.40", TEST_SOURCE))
        .await
        .expect("correct");
    let replayed = rates
        .set_ecb_rate(first.clone())
        .await
        .expect("retry")
        .into_inner();
    assert_eq!(replayed, answer);
    let listed = list_rates(&app, &app.legal).await;
    let july: Vec<_> = listed
        .ecb_rates
        .iter()
        .filter(|r| r.effective_date == Some(date(2026, 7, 1)))
        .collect();
    assert_eq!(july.len(), 1);
    assert_eq!(july[0].rate, "2.40", "the retry must not apply again");
    // The same id with other content is refused.
    let r = rates
        .set_ecb_rate(pb::SetEcbRateRequest {
            rate: Some(pb::EcbRate {
                rate: "2.65".into(),
                ..first.rate.clone().expect("row")
            }),
            ..first
        })
        .await;
    assert_refused(r, Code::InvalidArgument, "REQUEST_ID_REUSED");
}

/// The migration seeds the same rows as the domain's copy (`RateTable::published()`), which
/// the engine's unit tests check against law-fr.md §2.3.
#[tokio::test]
async fn the_seeded_rates_are_the_published_tables() {
    use recouvre_domain::rates::{PUBLISHED_ECB_RATES, PUBLISHED_LEGAL_RATES, RateTable};
    let app = TestApp::spawn().await;
    let listed = list_rates(&app, &app.legal).await;

    let wire_ecb: Vec<(Date, Decimal, String)> = listed
        .ecb_rates
        .iter()
        .map(|r| {
            (
                r.effective_date.expect("date"),
                dec(&r.rate),
                r.source.clone(),
            )
        })
        .collect();
    let shipped_ecb: Vec<(Date, Decimal, String)> = PUBLISHED_ECB_RATES
        .iter()
        .map(|(d, rate, source)| {
            let (y, m, day) = (&d[0..4], &d[5..7], &d[8..10]);
            (
                date(
                    y.parse().expect("year"),
                    m.parse().expect("month"),
                    day.parse().expect("day"),
                ),
                dec(rate),
                (*source).to_owned(),
            )
        })
        .collect();
    assert_eq!(wire_ecb, shipped_ecb);

    let wire_legal: Vec<(String, Decimal, Decimal, String)> = listed
        .legal_interest_rates
        .iter()
        .map(|r| {
            (
                r.semester.clone(),
                dec(&r.individual_rate),
                dec(&r.other_rate),
                r.source.clone(),
            )
        })
        .collect();
    let shipped_legal: Vec<(String, Decimal, Decimal, String)> = PUBLISHED_LEGAL_RATES
        .iter()
        .map(|(s, i, o, source)| ((*s).to_owned(), dec(i), dec(o), (*source).to_owned()))
        .collect();
    assert_eq!(wire_legal, shipped_legal);

    // And `published()` keeps every row of the constants.
    let table = RateTable::published();
    assert_eq!(table.ecb_rates().len(), PUBLISHED_ECB_RATES.len());
    assert_eq!(table.legal_rates().len(), PUBLISHED_LEGAL_RATES.len());
    for (row, wire) in table.legal_rates().iter().zip(&listed.legal_interest_rates) {
        assert_eq!(row.semester.to_string(), wire.semester);
        assert_eq!(row.other, dec(&wire.other_rate));
    }
    for (row, wire) in table.ecb_rates().iter().zip(&listed.ecb_rates) {
        assert_eq!(row.rate, dec(&wire.rate));
        assert_eq!(row.source, wire.source);
    }
}

// ---------------------------------------------------------------------------------------------
// 6. Judgments and the facts recorded once.

#[tokio::test]
async fn a_judgment_switches_to_judgment_interest_then_plus_five_points_and_ten_years() {
    let app = TestApp::spawn().await;
    let claim = consumer_claim(
        &app,
        vec![invoice(
            "F-J",
            date(2024, 12, 2),
            Some(date(2024, 12, 1)),
            date(2024, 12, 31),
            "1000.00",
        )],
    )
    .await;
    let mut claims = app.claims(&app.agent);
    claims
        .record_formal_notice_delivery(notice(&claim.id, date(2025, 1, 15), date(2025, 1, 20)))
        .await
        .expect("record formal notice");
    let recorded = claims
        .record_judgment(judgment(
            &claim.id,
            date(2025, 3, 14),
            Some(date(2025, 4, 10)),
        ))
        .await
        .expect("record judgment")
        .into_inner();
    assert_eq!(
        recorded.judgment,
        Some(pb::Judgment {
            judgment_date: Some(date(2025, 3, 14)),
            enforceable_date: Some(date(2025, 4, 10)),
            court: "Tribunal judiciaire de Paris".into(),
            reference: "RG 25/01234".into(),
        })
    );
    // Today's statement needs 2026-S2, so the deadline is the conservative one: the same.
    assert_eq!(recorded.limitation_deadline, Some(date(2035, 3, 14)));

    let s = statement(&app, &claim.id, date(2025, 12, 31)).await;
    let inv = &s.invoices[0];
    assert_eq!(
        inv.segments,
        vec![
            // 21 Jan–14 Mar 2025 = 11 + 28 + 14 = 53 days at 3.71 (2025-S1 "autres cas"):
            // 1000 × 3.71 × 53 / 36500 = 5.3871… → 5.39
            legal_segment(
                (date(2025, 1, 21), date(2025, 3, 14), 53),
                "3.71",
                "2025-S1",
                "5.39"
            ),
            // From the day after the judgment to enforceable + 2 months (10 Jun):
            // 15 Mar–10 Jun = 17 + 30 + 31 + 10 = 88 days: 1000 × 3.71 × 88 / 36500 = 8.9446… → 8.94
            segment(
                (date(2025, 3, 15), date(2025, 6, 10), 88),
                "1000.00",
                "3.71",
                "judgment",
                "C. civ. 1231-7",
                "2025-S1",
                "8.94"
            ),
            // 11 Jun–30 Jun = 20 days at 3.71 + 5: 1000 × 8.71 × 20 / 36500 = 4.7726… → 4.77
            segment(
                (date(2025, 6, 11), date(2025, 6, 30), 20),
                "1000.00",
                "8.71",
                "judgment_majorated",
                "CMF L313-3",
                "2025-S1",
                "4.77"
            ),
            // 1 Jul–31 Dec = 184 days at 2.76 + 5: 1000 × 7.76 × 184 / 36500 = 39.1189… → 39.12
            segment(
                (date(2025, 7, 1), date(2025, 12, 31), 184),
                "1000.00",
                "7.76",
                "judgment_majorated",
                "CMF L313-3",
                "2025-S2",
                "39.12"
            ),
        ]
    );
    // 5.39 + 8.94 + 4.77 + 39.12 = 58.22
    assert_eq!(inv.interest, money("58.22"));
    assert_eq!(s.totals.as_ref().expect("totals").owed, money("1058.22"));
    let limitation = inv.limitation.as_ref().expect("limitation");
    assert_eq!(limitation.years, 10);
    assert_eq!(limitation.legal_basis, "CPCE L111-4");
    assert_eq!(limitation.deadline, Some(date(2035, 3, 14)));
    assert_eq!(s.limitation_deadline, Some(date(2035, 3, 14)));

    // Once each.
    let r = claims
        .record_judgment(judgment(&claim.id, date(2025, 5, 1), None))
        .await;
    assert_refused(r, Code::FailedPrecondition, "FACT_ALREADY_RECORDED");
    let r = claims
        .record_formal_notice_delivery(notice(&claim.id, date(2025, 2, 1), date(2025, 2, 3)))
        .await;
    assert_refused(r, Code::FailedPrecondition, "FACT_ALREADY_RECORDED");
    assert_eq!(get(&app, &claim.id).await.event_count, 3);
}

#[tokio::test]
async fn legal_facts_are_checked_field_by_field() {
    let app = TestApp::spawn().await;
    let claim = consumer_claim(
        &app,
        vec![invoice(
            "F-1",
            date(2025, 6, 1),
            Some(date(2025, 5, 31)),
            date(2025, 6, 30),
            "1000.00",
        )],
    )
    .await;
    let mut claims = app.claims(&app.agent);
    let r = claims
        .record_formal_notice_delivery(notice(&claim.id, date(2025, 9, 10), date(2025, 9, 5)))
        .await;
    let status = assert_refused(r, Code::InvalidArgument, "INVALID_ARGUMENT");
    assert_eq!(bad_fields(&status), vec!["delivery.receipt_date"]);
    let r = claims
        .record_formal_notice_delivery(notice(&claim.id, date(2026, 11, 19), date(2026, 11, 21)))
        .await;
    let status = assert_refused(r, Code::InvalidArgument, "INVALID_ARGUMENT");
    assert_eq!(bad_fields(&status), vec!["delivery.receipt_date"]);
    let r = claims
        .record_judgment(judgment(
            &claim.id,
            date(2025, 10, 1),
            Some(date(2025, 9, 1)),
        ))
        .await;
    let status = assert_refused(r, Code::InvalidArgument, "INVALID_ARGUMENT");
    assert_eq!(bad_fields(&status), vec!["judgment.enforceable_date"]);
    let mut no_court = judgment(&claim.id, date(2025, 10, 1), None);
    no_court.judgment.as_mut().expect("judgment").court = " ".into();
    let r = claims.record_judgment(no_court).await;
    let status = assert_refused(r, Code::InvalidArgument, "INVALID_ARGUMENT");
    assert_eq!(bad_fields(&status), vec!["judgment.court"]);
    // Nothing was recorded.
    assert_eq!(get(&app, &claim.id).await.event_count, 1);
}

// ---------------------------------------------------------------------------------------------
// 7. Limitation.

#[tokio::test]
async fn legal_action_past_the_limitation_deadline_is_refused_until_an_interruption() {
    let app = TestApp::spawn().await;
    // A consumer debt: 2 years from completion (C. consom. L218-2): 2026-01-10.
    let claim = consumer_claim(
        &app,
        vec![invoice(
            "F-OLD",
            date(2024, 1, 15),
            Some(date(2024, 1, 10)),
            date(2024, 2, 15),
            "800.00",
        )],
    )
    .await;
    assert_eq!(claim.limitation_deadline, Some(date(2026, 1, 10)));
    let s = statement_with(&app, &app.legal, &claim.id, None, None)
        .await
        .expect("statement today (no interest runs)");
    let limitation = s.invoices[0].limitation.as_ref().expect("limitation");
    assert_eq!(limitation.deadline, Some(date(2026, 1, 10)));
    assert!(limitation.expired);

    let mut claims = app.claims(&app.agent);
    claims
        .escalate_claim(escalate(&claim.id, pb::ClaimState::FormalNotice))
        .await
        .expect("a formal notice may still be sent");
    let r = claims
        .escalate_claim(escalate(&claim.id, pb::ClaimState::Legal))
        .await;
    let status = assert_refused(r, Code::FailedPrecondition, "LIMITATION_EXPIRED");
    assert_eq!(
        metadata(&status),
        HashMap::from([("deadline".to_owned(), "2026-01-10".to_owned())])
    );

    // A payment is not an interruption one records by hand.
    let r = claims
        .record_limitation_interruption(interruption(
            &claim.id,
            date(2025, 12, 1),
            pb::InterruptionCause::Payment,
        ))
        .await;
    let status = assert_refused(r, Code::InvalidArgument, "INVALID_ARGUMENT");
    assert_eq!(bad_fields(&status), vec!["interruption.cause"]);

    // An acknowledgment before the deadline starts a new full period (C. civ. 2231, 2240).
    let interrupted = claims
        .record_limitation_interruption(interruption(
            &claim.id,
            date(2025, 12, 1),
            pb::InterruptionCause::Acknowledgment,
        ))
        .await
        .expect("record interruption")
        .into_inner();
    assert_eq!(interrupted.limitation_deadline, Some(date(2027, 12, 1)));
    assert_eq!(
        interrupted.limitation_interruptions,
        vec![pb::LimitationInterruption {
            date: Some(date(2025, 12, 1)),
            cause: pb::InterruptionCause::Acknowledgment as i32,
            note: "Courrier du débiteur reconnaissant la dette".into(),
        }]
    );
    let s = statement_with(&app, &app.legal, &claim.id, None, None)
        .await
        .expect("statement today");
    assert_eq!(
        s.invoices[0].limitation,
        Some(pb::InvoiceLimitation {
            years: 2,
            legal_basis: "C. consom. L218-2".into(),
            start_date: Some(date(2024, 1, 10)),
            counted_from_invoice_date: false,
            restart_date: Some(date(2025, 12, 1)),
            restart_cause: pb::InterruptionCause::Acknowledgment as i32,
            deadline: Some(date(2027, 12, 1)),
            expired: false,
        })
    );
    let legal = claims
        .escalate_claim(escalate(&claim.id, pb::ClaimState::Legal))
        .await
        .expect("legal action within the new period")
        .into_inner();
    assert_eq!(legal.state, pb::ClaimState::Legal as i32);
    assert_eq!(
        get(&app, &claim.id).await.limitation_deadline,
        Some(date(2027, 12, 1))
    );
}

#[tokio::test]
async fn an_interruption_after_expiry_restarts_nothing() {
    let app = TestApp::spawn().await;
    let claim = consumer_claim(
        &app,
        vec![invoice(
            "F-OLD",
            date(2024, 1, 15),
            Some(date(2024, 1, 10)),
            date(2024, 2, 15),
            "800.00",
        )],
    )
    .await;
    let late = app
        .claims(&app.agent)
        .record_limitation_interruption(interruption(
            &claim.id,
            date(2026, 2, 1),
            pb::InterruptionCause::Acknowledgment,
        ))
        .await
        .expect("recorded all the same")
        .into_inner();
    assert_eq!(late.limitation_deadline, Some(date(2026, 1, 10)));
    let s = statement_with(&app, &app.legal, &claim.id, None, None)
        .await
        .expect("statement today");
    assert!(
        s.notes
            .iter()
            .any(|n| n.code == "INTERRUPTION_AFTER_EXPIRY" && n.invoice_number == "F-OLD"),
        "{:?}",
        s.notes
    );
    assert!(
        s.invoices[0]
            .limitation
            .as_ref()
            .expect("limitation")
            .expired
    );
}

#[tokio::test]
async fn without_a_completion_date_limitation_runs_from_the_invoice_date_and_is_flagged() {
    let app = TestApp::spawn().await;
    let claim = overdue_since_november_2023(&app).await;
    let other = b2b_claim(
        &app,
        vec![invoice(
            "F-NC",
            date(2023, 10, 16),
            None,
            date(2023, 11, 15),
            "1000.00",
        )],
    )
    .await;
    assert!(
        statement(&app, &claim.id, date(2025, 3, 31))
            .await
            .notes
            .is_empty()
    );
    let s = statement(&app, &other.id, date(2025, 3, 31)).await;
    let [note] = s.notes.as_slice() else {
        panic!("one note: {:?}", s.notes)
    };
    assert_eq!(note.code, "LIMITATION_FROM_INVOICE_DATE");
    assert_eq!(note.invoice_number, "F-NC");
    let limitation = s.invoices[0].limitation.as_ref().expect("limitation");
    assert!(limitation.counted_from_invoice_date);
    assert_eq!(limitation.start_date, Some(date(2023, 10, 16)));
    assert_eq!(limitation.deadline, Some(date(2028, 10, 16)));
}

// ---------------------------------------------------------------------------------------------
// 8. Due dates from payment terms.

fn with_terms(
    number: &str,
    issue: Date,
    completion: Option<Date>,
    kind: pb::payment_terms::Kind,
    days: i32,
) -> pb::Invoice {
    pb::Invoice {
        number: number.into(),
        issue_date: Some(issue),
        service_completion_date: completion,
        due_date: None,
        amount: money("100.00"),
        payment_terms: Some(pb::PaymentTerms {
            kind: kind as i32,
            days,
        }),
        contractual_rate: String::new(),
    }
}

#[tokio::test]
async fn payment_terms_give_the_due_date_by_the_creditors_method() {
    use pb::payment_terms::Kind;
    let app = TestApp::spawn().await;
    let debtor = app.debtor(&app.agent).await;
    let month_end_first = creditor_with(&app, false, pb::EndOfMonthMethod::EndOfMonthThenAdd).await;
    assert_eq!(
        month_end_first.end_of_month_method,
        pb::EndOfMonthMethod::EndOfMonthThenAdd as i32
    );
    let default_method = app.creditor(&app.admin).await;
    assert_eq!(
        default_method.end_of_month_method,
        pb::EndOfMonthMethod::AddThenEndOfMonth as i32
    );
    let eom = |n: &str| with_terms(n, date(2025, 8, 2), None, Kind::EndOfMonth45, 0);

    // End of August, then + 45 days: 31 Aug → 15 Oct.
    let claim = create(&app, &month_end_first, &debtor, vec![eom("F-1")]).await;
    assert_eq!(claim.invoices[0].due_date, Some(date(2025, 10, 15)));
    assert_eq!(
        claim.invoices[0].payment_terms,
        Some(pb::PaymentTerms {
            kind: Kind::EndOfMonth45 as i32,
            days: 0,
        })
    );
    // + 45 days, then the end of that month: 16 Sep → 30 Sep.
    let claim = create(&app, &default_method, &debtor, vec![eom("F-1")]).await;
    assert_eq!(claim.invoices[0].due_date, Some(date(2025, 9, 30)));

    let claim = create(
        &app,
        &default_method,
        &debtor,
        vec![
            // 10 Apr + 45 days = 25 May.
            with_terms("F-N", date(2025, 4, 10), None, Kind::NetDays, 45),
            // 30 days after completion: 1 Apr → 1 May (not from the 5 Apr invoice date).
            with_terms(
                "F-D",
                date(2025, 4, 5),
                Some(date(2025, 4, 1)),
                Kind::Default30Days,
                0,
            ),
        ],
    )
    .await;
    assert_eq!(claim.invoices[0].due_date, Some(date(2025, 5, 25)));
    assert_eq!(
        claim.invoices[0].payment_terms,
        Some(pb::PaymentTerms {
            kind: Kind::NetDays as i32,
            days: 45,
        })
    );
    assert_eq!(claim.invoices[1].due_date, Some(date(2025, 5, 1)));
    // The statement runs penalties from the derived date.
    let s = statement(&app, &claim.id, date(2025, 6, 30)).await;
    assert_eq!(s.invoices[0].due_date, Some(date(2025, 5, 25)));
    assert_eq!(s.invoices[0].interest_from, Some(date(2025, 5, 25)));
    assert_eq!(s.invoices[1].interest_from, Some(date(2025, 5, 1)));
    // Within the rules: the only note is F-N's limitation, for lack of a completion date.
    let codes: Vec<&str> = s.notes.iter().map(|n| n.code.as_str()).collect();
    assert_eq!(codes, ["LIMITATION_FROM_INVOICE_DATE"]);

    // 75 agreed days between professionals exceed L441-10 I's 60; default terms with no
    // completion date count from the invoice date: both apply, and both are flagged.
    let claim = create(
        &app,
        &default_method,
        &debtor,
        vec![
            with_terms("F-75", date(2025, 4, 10), None, Kind::NetDays, 75),
            with_terms("F-30", date(2025, 4, 5), None, Kind::Default30Days, 0),
        ],
    )
    .await;
    assert_eq!(claim.invoices[0].due_date, Some(date(2025, 6, 24)));
    assert_eq!(claim.invoices[1].due_date, Some(date(2025, 5, 5)));
    let s = statement(&app, &claim.id, date(2025, 6, 30)).await;
    let codes: Vec<(&str, &str)> = s
        .notes
        .iter()
        .map(|n| (n.code.as_str(), n.invoice_number.as_str()))
        .collect();
    assert!(
        codes.contains(&("AGREED_TERMS_ABOVE_LEGAL_CAP", "F-75")),
        "{codes:?}"
    );
    assert!(
        codes.contains(&("DUE_DATE_FROM_INVOICE_DATE", "F-30")),
        "{codes:?}"
    );

    // Both a due date and terms, or terms without a kind, are refused on their field.
    let mut both = eom("F-1");
    both.due_date = Some(date(2025, 9, 30));
    let no_kind = with_terms("F-2", date(2025, 8, 2), None, Kind::Unspecified, 0);
    let r = app
        .claims(&app.agent)
        .create_claim(pb::CreateClaimRequest {
            request_id: new_request_id(),
            claim: Some(pb::Claim {
                creditor_id: default_method.id.clone(),
                debtor_id: debtor.id.clone(),
                external_reference: new_request_id(),
                currency_code: "EUR".into(),
                invoices: vec![both, no_kind],
                ..Default::default()
            }),
        })
        .await;
    let status = assert_refused(r, Code::InvalidArgument, "INVALID_ARGUMENT");
    let mut fields = bad_fields(&status);
    fields.sort();
    assert_eq!(
        fields,
        vec![
            "claim.invoices[0].due_date",
            "claim.invoices[1].payment_terms.kind"
        ]
    );
}

// ---------------------------------------------------------------------------------------------
// 9. Tenancy and 10. roles.

#[tokio::test]
async fn another_tenants_claim_is_not_found_by_the_statement_rpcs() {
    let app = TestApp::spawn().await;
    let claim = overdue_since_november_2023(&app).await;
    let (other_tenant, other_admin) = app.new_tenant("second").await;
    let other_agent = app.key(other_tenant, recouvre_domain::Role::Agent).await;
    let unknown = uuid::Uuid::now_v7().to_string();
    let mut claims = app.claims(&other_agent);

    let mut outcomes: Vec<(&str, String, Result<(), Status>)> = Vec::new();
    for id in [claim.id.clone(), unknown.clone()] {
        let r = app
            .claims(&other_admin)
            .get_statement(pb::GetStatementRequest {
                claim_id: id.clone(),
                as_of: Some(date(2025, 3, 31)),
                conventions: None,
            })
            .await;
        outcomes.push(("GetStatement", id.clone(), r.map(drop)));
        let r = claims
            .record_formal_notice_delivery(notice(&id, date(2025, 9, 5), date(2025, 9, 10)))
            .await;
        outcomes.push(("RecordFormalNoticeDelivery", id.clone(), r.map(drop)));
        let r = claims
            .record_judgment(judgment(&id, date(2025, 3, 14), None))
            .await;
        outcomes.push(("RecordJudgment", id.clone(), r.map(drop)));
        let r = claims
            .record_limitation_interruption(interruption(
                &id,
                date(2025, 12, 1),
                pb::InterruptionCause::Acknowledgment,
            ))
            .await;
        outcomes.push(("RecordLimitationInterruption", id.clone(), r.map(drop)));
        let r = claims
            .record_recovery_cost(recovery_cost(&id, "F-2023-0042", "150.00"))
            .await;
        outcomes.push(("RecordRecoveryCost", id.clone(), r.map(drop)));
        let r = claims
            .record_payment(payment(&id, "10.00", date(2026, 11, 20), "F-2023-0042"))
            .await;
        outcomes.push(("RecordPayment", id.clone(), r.map(drop)));
    }
    let (theirs, unknowns) = outcomes.split_at(outcomes.len() / 2);
    for ((what, their_id, theirs), (_, unknown_id, unknown)) in theirs.iter().zip(unknowns) {
        let theirs = theirs.as_ref().expect_err(what);
        let unknown = unknown.as_ref().expect_err(what);
        assert_eq!(theirs.code(), Code::NotFound, "{what}: {theirs:?}");
        assert_eq!(reason(theirs), "NOT_FOUND", "{what}");
        assert_eq!(
            theirs.message().replace(their_id.as_str(), "<id>"),
            unknown.message().replace(unknown_id.as_str(), "<id>"),
            "{what}"
        );
    }
    // Nothing happened to the claim.
    let untouched = get(&app, &claim.id).await;
    assert_eq!(untouched.event_count, 1);
}

#[tokio::test]
async fn the_legal_role_reads_statements_and_rates_but_records_nothing() {
    let app = TestApp::spawn().await;
    let claim = overdue_since_november_2023(&app).await;
    statement(&app, &claim.id, date(2025, 3, 31)).await;
    assert!(!list_rates(&app, &app.legal).await.ecb_rates.is_empty());
    let mut claims = app.claims(&app.legal);
    let refusals = [
        (
            "RecordJudgment",
            claims
                .record_judgment(judgment(&claim.id, date(2025, 3, 14), None))
                .await
                .map(drop),
        ),
        (
            "RecordFormalNoticeDelivery",
            claims
                .record_formal_notice_delivery(notice(
                    &claim.id,
                    date(2025, 9, 5),
                    date(2025, 9, 10),
                ))
                .await
                .map(drop),
        ),
        (
            "RecordLimitationInterruption",
            claims
                .record_limitation_interruption(interruption(
                    &claim.id,
                    date(2025, 12, 1),
                    pb::InterruptionCause::Acknowledgment,
                ))
                .await
                .map(drop),
        ),
        (
            "RecordRecoveryCost",
            claims
                .record_recovery_cost(recovery_cost(&claim.id, "F-2023-0042", "150.00"))
                .await
                .map(drop),
        ),
    ];
    for (what, r) in refusals {
        let status = r.expect_err(what);
        assert_eq!(status.code(), Code::PermissionDenied, "{what}");
        assert_eq!(reason(&status), "PERMISSION_DENIED", "{what}");
        assert_eq!(metadata(&status)["required_role"], "agent", "{what}");
    }
    assert_eq!(get(&app, &claim.id).await.event_count, 1);
}

// ---------------------------------------------------------------------------------------------
// Compound interest (C. civ. 1343-2).

#[tokio::test]
async fn compound_interest_only_when_the_claim_says_the_contract_provides_it() {
    let app = TestApp::spawn().await;
    let creditor = app.creditor(&app.admin).await;
    let debtor = app.debtor(&app.agent).await;
    let make = |compound: bool| pb::CreateClaimRequest {
        request_id: new_request_id(),
        claim: Some(pb::Claim {
            creditor_id: creditor.id.clone(),
            debtor_id: debtor.id.clone(),
            external_reference: new_request_id(),
            currency_code: "EUR".into(),
            invoices: vec![invoice(
                "F-C",
                date(2023, 12, 1),
                Some(date(2023, 11, 30)),
                date(2023, 12, 31),
                "10000.00",
            )],
            compound_interest: compound,
            ..Default::default()
        }),
    };
    let compound = app
        .claims(&app.agent)
        .create_claim(make(true))
        .await
        .expect("create")
        .into_inner();
    assert!(compound.compound_interest);
    let simple = app
        .claims(&app.agent)
        .create_claim(make(false))
        .await
        .expect("create")
        .into_inner();

    // 2024-S1: 10000 × 14.50 × 182 / 36500 = 723.0137 → 723.01
    // 2024-S2: 10000 × 14.25 × 184 / 36500 = 718.3562 → 718.36
    // A year of interest on 2024-12-31 (1441.37) is added to the base:
    // 2025-S1: 11441.37 × 13.15 × 181 / 36500 = 746.0870 → 746.09 (simple: 652.10).
    let s = statement(&app, &compound.id, date(2025, 6, 30)).await;
    let inv = &s.invoices[0];
    assert_eq!(
        inv.capitalisations,
        vec![pb::Capitalisation {
            date: Some(date(2024, 12, 31)),
            amount: money("1441.37"),
        }]
    );
    let amounts: Vec<(&str, &str)> = inv
        .segments
        .iter()
        .map(|g| {
            (
                g.base.as_ref().map_or("", |m| m.amount.as_str()),
                g.amount.as_ref().map_or("", |m| m.amount.as_str()),
            )
        })
        .collect();
    assert_eq!(
        amounts,
        [
            ("10000.00", "723.01"),
            ("10000.00", "718.36"),
            ("11441.37", "746.09")
        ]
    );
    assert_eq!(inv.interest, money("2187.46"));
    // 10000 + 2187.46 + 40
    assert_eq!(
        s.totals.as_ref().and_then(|t| t.owed.clone()),
        money("12227.46")
    );

    let s = statement(&app, &simple.id, date(2025, 6, 30)).await;
    assert!(s.invoices[0].capitalisations.is_empty());
    assert_eq!(
        s.invoices[0].segments[2].amount,
        money("652.10"),
        "without the clause the base stays the principal"
    );
}

#[tokio::test]
async fn a_past_payment_is_imputed_even_while_todays_semester_is_unpublished() {
    let app = TestApp::spawn().await;
    let claim = b2b_claim(
        &app,
        vec![invoice(
            "F-P",
            date(2025, 1, 1),
            Some(date(2024, 12, 31)),
            date(2025, 1, 31),
            "1000.00",
        )],
    )
    .await;
    let paid = app
        .claims(&app.agent)
        .record_payment(pb::RecordPaymentRequest {
            request_id: new_request_id(),
            claim_id: claim.id.clone(),
            amount: money("100.00"),
            value_date: Some(date(2025, 3, 31)),
            method: pb::PaymentMethod::BankTransfer as i32,
            ..Default::default()
        })
        .await
        .expect("payment within the principal")
        .into_inner();
    // Today (2026-11-20) needs 2026-S2: nothing owed can be said…
    assert_eq!(paid.amount_owed, None);
    assert!(paid.amount_owed_unavailable.contains("2026-S2"));
    // …but the payment's imputation on 2025-03-31 needs only 2025-S1:
    // 1000 × 13.15 × 59 / 36500 = 21.2561… → 21.26 interest, then the 40.00 indemnity.
    let line = &paid.payments[0].imputation;
    assert_eq!(
        line,
        &vec![pb::ImputationLine {
            invoice_number: "F-P".into(),
            interest: money("21.26"),
            fixed_indemnity: money("40.00"),
            recovery_costs: money("0.00"),
            principal: money("38.74"),
        }]
    );
    assert_eq!(get(&app, &claim.id).await.payments, paid.payments);

    // A statement before the first invoice was issued is refused on its field.
    let status = statement_with(&app, &app.legal, &claim.id, Some(date(2024, 12, 31)), None)
        .await
        .expect_err("before the claim existed");
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(bad_fields(&status), ["as_of"]);
}

// ---------------------------------------------------------------------------------------------
// `recouvre admin set-rate` and `list-rates`: the command operators use to extend the tables.

fn admin(db_url: &str, args: &[&str]) -> std::process::Output {
    // The database flags go with `set-rate` / `list-rates`, before a table's own flags.
    std::process::Command::new(env!("CARGO_BIN_EXE_recouvre"))
        .arg("admin")
        .arg(args[0])
        .args(["--database-url", db_url])
        .args(&args[1..])
        .env("RUST_LOG", "warn")
        .output()
        .expect("run recouvre admin")
}

#[tokio::test]
async fn the_command_line_sets_rates_that_statements_then_use() {
    let app = TestApp::spawn().await;
    let url = app.db.url().to_owned();
    // A typo is refused with every problem named, and nothing is stored.
    let refused = admin(
        &url,
        &[
            "set-rate",
            "legal",
            "--semester",
            "2026-S2",
            "--individual",
            "650",
            "--other",
            "2.5",
            "--source",
            " ",
        ],
    );
    assert!(!refused.status.success());
    let message = String::from_utf8_lossy(&refused.stderr);
    assert!(message.contains("--individual:"), "{message}");
    assert!(message.contains("--source"), "{message}");
    let set = admin(
        &url,
        &[
            "set-rate",
            "legal",
            "--semester",
            "2026-S2",
            "--individual",
            "6.5",
            "--other",
            "2.5",
            "--source",
            "Arrêté du 20 juin 2026 (test)",
        ],
    );
    assert!(
        set.status.success(),
        "{}",
        String::from_utf8_lossy(&set.stderr)
    );
    let set = admin(
        &url,
        &[
            "set-rate",
            "ecb",
            "--effective",
            "2026-07-01",
            "--rate",
            "2.15",
            "--source",
            "ECB, unchanged (test)",
        ],
    );
    assert!(
        set.status.success(),
        "{}",
        String::from_utf8_lossy(&set.stderr)
    );
    let listed = admin(&url, &["list-rates"]);
    let listed = String::from_utf8_lossy(&listed.stdout);
    assert!(
        listed.contains("2026-S2\t6.5\t2.5\tArrêté du 20 juin 2026 (test)"),
        "{listed}"
    );
    assert!(
        listed.contains("2026-07-01\t2.15\tECB, unchanged (test)"),
        "{listed}"
    );

    // The server had not loaded its tables yet (it does on first use, then every 30 s).
    let claim = b2b_claim(
        &app,
        vec![invoice(
            "F-S2",
            date(2026, 6, 1),
            Some(date(2026, 5, 31)),
            date(2026, 6, 30),
            "1000.00",
        )],
    )
    .await;
    let s = statement(&app, &claim.id, date(2026, 9, 30)).await;
    // 1 Jul–30 Sep 2026 = 92 days at 2.15 + 10: 1000 × 12.15 × 92 / 36500 = 30.6246… → 30.62
    assert_eq!(s.invoices[0].segments.len(), 1);
    assert_eq!(s.invoices[0].segments[0].rate, "12.15");
    assert_eq!(s.invoices[0].segments[0].amount, money("30.62"));
}

#[tokio::test]
async fn legal_facts_appear_on_the_timeline_with_their_own_kinds() {
    let app = TestApp::spawn().await;
    let claim = consumer_claim(
        &app,
        vec![invoice(
            "F-T",
            date(2025, 6, 1),
            Some(date(2025, 5, 31)),
            date(2025, 6, 30),
            "500.00",
        )],
    )
    .await;
    let claims = app.claims(&app.agent);
    claims
        .clone()
        .record_formal_notice_delivery(pb::RecordFormalNoticeDeliveryRequest {
            request_id: new_request_id(),
            claim_id: claim.id.clone(),
            delivery: Some(pb::FormalNoticeDelivery {
                sent_date: Some(date(2025, 9, 1)),
                receipt_date: Some(date(2025, 9, 3)),
                tracking_number: "1A00000000001".into(),
            }),
            ..Default::default()
        })
        .await
        .expect("delivery");
    claims
        .clone()
        .record_limitation_interruption(pb::RecordLimitationInterruptionRequest {
            request_id: new_request_id(),
            claim_id: claim.id.clone(),
            interruption: Some(pb::LimitationInterruption {
                date: Some(date(2025, 10, 1)),
                cause: pb::InterruptionCause::Acknowledgment as i32,
                note: "Courrier du débiteur".into(),
            }),
            ..Default::default()
        })
        .await
        .expect("interruption");
    let events = app
        .claims(&app.legal)
        .list_claim_events(pb::ListClaimEventsRequest {
            claim_id: claim.id.clone(),
            ..Default::default()
        })
        .await
        .expect("events")
        .into_inner()
        .events;
    let kinds: Vec<i32> = events.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        [
            pb::ClaimEventKind::ClaimCreated as i32,
            pb::ClaimEventKind::FormalNoticeDelivered as i32,
            pb::ClaimEventKind::InterruptionRecorded as i32,
        ]
    );
    assert!(events[1].payload_json.contains("1A00000000001"));
}
