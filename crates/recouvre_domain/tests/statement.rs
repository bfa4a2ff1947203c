//! The statement of account (décompte), rule by rule of law-fr.md: rate tables (§2.3), due
//! dates (§1.1, WE-7), B2B penalties and the €40 indemnity (§1), civil and consumer interest
//! (§3, §9), judgments (§3.1, §4.1), imputation of payments (§3.1, WE-6), compound interest
//! (1343-2), limitation (§4), unpublished rates. Then properties over random claims.
//!
//! Every expected amount is worked out by hand next to it, as law-fr.md §3.2 does it:
//! `base × rate × days / 36 500` per segment (36 600 in a leap year under ACT/ACT), each
//! segment rounded half-up to the cent, then summed. Days are counted start day excluded, end
//! day included, unless the inclusive switch is on.

use std::sync::LazyLock;

use chrono::{Datelike, Days, NaiveDate};
use proptest::prelude::*;
use recouvre_domain::rates::{
    EcbRate, LegalRate, LegalRateCategory, RateError, RateKind, RateTable, Semester,
};
use recouvre_domain::statement::{
    Capitalisation, Conventions, DayCount, FIXED_INDEMNITY_EUR, FormalNoticeDelivery,
    ImputationLine, InterestBasis, InterestRegime, Interruption, InterruptionCause,
    InvoiceStatement, Judgment, LegalFacts, RecoveryCost, Statement, StatementInput, StatementNote,
    conservative_limitation_deadline, statement,
};
use recouvre_domain::terms::{
    DerivedDueDate, EndOfMonthMethod, MAX_AGREED_DAYS, PaymentTerms, due_date, end_of_month,
};
use recouvre_domain::{Currency, Invoice, Money, Payment, PaymentId, PaymentMethod};
use rust_decimal::{Decimal, RoundingStrategy};
use rust_decimal_macros::dec;

// ---------------------------------------------------------------------------------------------
// Fixtures: dates, rate tables, a claim builder
// ---------------------------------------------------------------------------------------------

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).expect("valid date")
}

fn semester(text: &str) -> Semester {
    Semester::parse(text).expect("valid semester")
}

/// The tables as shipped: 2015-S1 to 2026-S1; 2026-S2 is not published.
static PUBLISHED: LazyLock<RateTable> = LazyLock::new(RateTable::published);

/// A hand-built table: legal rates per semester (individual, other), no ECB history.
fn legal_table(rows: &[(&str, Decimal, Decimal)]) -> RateTable {
    RateTable::new(
        Vec::new(),
        rows.iter()
            .map(|(s, individual, other)| LegalRate {
                semester: semester(s),
                individual: *individual,
                other: *other,
                source: "test".to_owned(),
            })
            .collect(),
    )
}

const EXCLUSIVE: Conventions = Conventions {
    day_count: DayCount::Act365Fixed,
    count_start_day: false,
};

/// A claim under construction: invoices, payments and legal facts.
#[derive(Debug, Clone)]
struct ClaimBuilder {
    currency: Currency,
    regime: InterestRegime,
    invoices: Vec<Invoice>,
    payments: Vec<Payment>,
    facts: LegalFacts,
}

impl ClaimBuilder {
    fn new(regime: InterestRegime) -> Self {
        ClaimBuilder {
            currency: Currency::EUR,
            regime,
            invoices: Vec::new(),
            payments: Vec::new(),
            facts: LegalFacts::default(),
        }
    }

    /// Between professionals (L441-10).
    fn b2b() -> Self {
        Self::new(InterestRegime::Commercial)
    }

    /// A professional against a consumer.
    fn consumer() -> Self {
        Self::new(InterestRegime::Consumer)
    }

    /// A creditor who is a natural person.
    fn civil() -> Self {
        Self::new(InterestRegime::Civil)
    }

    fn currency(mut self, code: &str) -> Self {
        self.currency = Currency::parse(code).expect("valid currency");
        self
    }

    fn money(&self, amount: Decimal) -> Money {
        Money::new(amount, self.currency).expect("valid amount")
    }

    /// An invoice issued 30 days before it is due, the service completed on the issue date.
    fn invoice(self, number: &str, amount: Decimal, due: NaiveDate) -> Self {
        self.invoice_with(number, amount, due, |_| {})
    }

    fn invoice_with(
        mut self,
        number: &str,
        amount: Decimal,
        due: NaiveDate,
        adjust: impl FnOnce(&mut Invoice),
    ) -> Self {
        let issue = due - Days::new(30);
        let mut invoice = Invoice {
            number: number.to_owned(),
            issue_date: issue,
            service_completion_date: Some(issue),
            due_date: due,
            payment_terms: None,
            amount: self.money(amount),
            contractual_rate: None,
        };
        adjust(&mut invoice);
        self.invoices.push(invoice);
        self
    }

    fn payment_id(n: usize) -> PaymentId {
        PaymentId(uuid::Uuid::from_u128(0x9000 + n as u128))
    }

    /// A payment the debtor did not designate an invoice for.
    fn pay(self, amount: Decimal, value_date: NaiveDate) -> Self {
        self.pay_designated(amount, value_date, None)
    }

    /// A payment the debtor said was for `invoice` (C. civ. 1342-10 al. 1).
    fn pay_for(self, amount: Decimal, value_date: NaiveDate, invoice: &str) -> Self {
        self.pay_designated(amount, value_date, Some(invoice))
    }

    fn pay_designated(
        mut self,
        amount: Decimal,
        value_date: NaiveDate,
        invoice: Option<&str>,
    ) -> Self {
        let payment = Payment {
            id: Self::payment_id(self.payments.len()),
            amount: self.money(amount),
            value_date,
            method: PaymentMethod::BankTransfer,
            reference: format!("VIR-{}", self.payments.len()),
            invoice_number: invoice.map(str::to_owned),
        };
        self.payments.push(payment);
        self
    }

    /// The formal notice was received on `received_on` (sent two days before).
    fn notice(mut self, received_on: NaiveDate) -> Self {
        self.facts.formal_notice = Some(FormalNoticeDelivery {
            sent_on: received_on - Days::new(2),
            received_on,
            tracking_number: "1A 234 567 8901 2".to_owned(),
        });
        self
    }

    fn judgment(mut self, pronounced_on: NaiveDate, enforceable_on: Option<NaiveDate>) -> Self {
        self.facts.judgment = Some(Judgment {
            pronounced_on,
            enforceable_on,
            court: "TJ Lyon".to_owned(),
            reference: "RG 24/01234".to_owned(),
        });
        self
    }

    fn interruption(mut self, on: NaiveDate, cause: InterruptionCause) -> Self {
        self.facts.interruptions.push(Interruption {
            on,
            cause,
            note: String::new(),
        });
        self
    }

    fn cost(mut self, invoice: &str, amount: Decimal, incurred_on: NaiveDate) -> Self {
        self.facts.recovery_costs.push(RecoveryCost {
            invoice_number: invoice.to_owned(),
            amount,
            incurred_on,
            proof: "note d'honoraires".to_owned(),
        });
        self
    }

    fn compound(mut self) -> Self {
        self.facts.compound_interest = true;
        self
    }

    fn frozen_from(mut self, from: NaiveDate) -> Self {
        self.facts.interest_frozen_from = Some(from);
        self
    }

    fn input(&self) -> StatementInput<'_> {
        StatementInput {
            currency: self.currency,
            regime: self.regime,
            invoices: &self.invoices,
            payments: &self.payments,
            facts: &self.facts,
        }
    }

    fn try_at(&self, as_of: NaiveDate) -> Result<Statement, RateError> {
        statement(self.input(), &PUBLISHED, as_of, EXCLUSIVE)
    }

    /// The statement as of `as_of` on the published tables, default conventions.
    fn at(&self, as_of: NaiveDate) -> Statement {
        self.try_at(as_of).expect("rates are published")
    }

    fn at_with(&self, as_of: NaiveDate, rates: &RateTable, conventions: Conventions) -> Statement {
        statement(self.input(), rates, as_of, conventions).expect("rates are published")
    }
}

/// A segment as (first day, last day, days, base, rate, amount).
type Seg = (NaiveDate, NaiveDate, i64, Decimal, Decimal, Decimal);

/// A segment from its printed form: `seg("2024-01-01", "2024-06-30", 182, "10000", "14.50",
/// "723.01")`.
fn seg(first: &str, last: &str, days: i64, base: &str, rate: &str, amount: &str) -> Seg {
    let date = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("valid date");
    let decimal = |s: &str| s.parse::<Decimal>().expect("valid decimal");
    (
        date(first),
        date(last),
        days,
        decimal(base),
        decimal(rate),
        decimal(amount),
    )
}

fn segments(invoice: &InvoiceStatement) -> Vec<Seg> {
    invoice
        .segments
        .iter()
        .map(|s| (s.first_day, s.last_day, s.days, s.base, s.rate, s.amount))
        .collect()
}

fn bases(invoice: &InvoiceStatement) -> Vec<InterestBasis> {
    invoice.segments.iter().map(|s| s.basis).collect()
}

fn line(
    invoice: &str,
    interest: Decimal,
    fixed_indemnity: Decimal,
    recovery_costs: Decimal,
    principal: Decimal,
) -> ImputationLine {
    ImputationLine {
        invoice_number: invoice.to_owned(),
        interest,
        fixed_indemnity,
        recovery_costs,
        principal,
    }
}

// ---------------------------------------------------------------------------------------------
// Rate tables (law-fr.md §2)
// ---------------------------------------------------------------------------------------------

/// law-fr.md §2.3, every row: legal rates (individual, other), majorated +5 (CMF L313-3), the
/// ECB reference, the default B2B rate ECB + 10, the contractual floor 3 × "other".
#[test]
fn published_tables_reproduce_every_column_of_the_combined_table() {
    #[rustfmt::skip]
    let rows: [(&str, [&str; 7]); 23] = [
        // semester   individual other  +5 ind   +5 other  ECB     ECB+10   floor 3×other
        ("2015-S1", ["4.06", "0.93", "9.06", "5.93", "0.05", "10.05", "2.79"]),
        ("2015-S2", ["4.29", "0.99", "9.29", "5.99", "0.05", "10.05", "2.97"]),
        ("2016-S1", ["4.54", "1.01", "9.54", "6.01", "0.05", "10.05", "3.03"]),
        ("2016-S2", ["4.35", "0.93", "9.35", "5.93", "0.00", "10.00", "2.79"]),
        ("2017-S1", ["4.16", "0.90", "9.16", "5.90", "0.00", "10.00", "2.70"]),
        ("2017-S2", ["3.94", "0.90", "8.94", "5.90", "0.00", "10.00", "2.70"]),
        ("2018-S1", ["3.73", "0.89", "8.73", "5.89", "0.00", "10.00", "2.67"]),
        ("2018-S2", ["3.60", "0.88", "8.60", "5.88", "0.00", "10.00", "2.64"]),
        ("2019-S1", ["3.40", "0.86", "8.40", "5.86", "0.00", "10.00", "2.58"]),
        ("2019-S2", ["3.26", "0.87", "8.26", "5.87", "0.00", "10.00", "2.61"]),
        ("2020-S1", ["3.15", "0.87", "8.15", "5.87", "0.00", "10.00", "2.61"]),
        ("2020-S2", ["3.11", "0.84", "8.11", "5.84", "0.00", "10.00", "2.52"]),
        ("2021-S1", ["3.14", "0.79", "8.14", "5.79", "0.00", "10.00", "2.37"]),
        ("2021-S2", ["3.12", "0.76", "8.12", "5.76", "0.00", "10.00", "2.28"]),
        ("2022-S1", ["3.13", "0.76", "8.13", "5.76", "0.00", "10.00", "2.28"]),
        ("2022-S2", ["3.15", "0.77", "8.15", "5.77", "0.00", "10.00", "2.31"]),
        ("2023-S1", ["4.47", "2.06", "9.47", "7.06", "2.50", "12.50", "6.18"]),
        ("2023-S2", ["6.82", "4.22", "11.82", "9.22", "4.00", "14.00", "12.66"]),
        ("2024-S1", ["8.01", "5.07", "13.01", "10.07", "4.50", "14.50", "15.21"]),
        ("2024-S2", ["8.16", "4.92", "13.16", "9.92", "4.25", "14.25", "14.76"]),
        ("2025-S1", ["7.21", "3.71", "12.21", "8.71", "3.15", "13.15", "11.13"]),
        ("2025-S2", ["6.65", "2.76", "11.65", "7.76", "2.15", "12.15", "8.28"]),
        ("2026-S1", ["6.67", "2.62", "11.67", "7.62", "2.15", "12.15", "7.86"]),
    ];
    let five = dec!(5);
    for (s, columns) in rows {
        let [
            individual,
            other,
            maj_individual,
            maj_other,
            ecb,
            default,
            floor,
        ] = columns.map(|c| c.parse::<Decimal>().expect("valid rate"));
        let sem = semester(s);
        let legal = |c| PUBLISHED.legal(sem, c).expect("published");
        assert_eq!(
            legal(LegalRateCategory::Individual),
            individual,
            "{s} individual"
        );
        assert_eq!(legal(LegalRateCategory::Other), other, "{s} other");
        assert_eq!(
            legal(LegalRateCategory::Individual) + five,
            maj_individual,
            "{s} +5"
        );
        assert_eq!(
            legal(LegalRateCategory::Other) + five,
            maj_other,
            "{s} +5 other"
        );
        let reference = PUBLISHED.ecb_reference(sem).expect("published");
        assert_eq!(reference, ecb, "{s} ECB");
        assert_eq!(reference + dec!(10), default, "{s} ECB + 10");
        assert_eq!(
            legal(LegalRateCategory::Other) * dec!(3),
            floor,
            "{s} floor"
        );
    }
    // §1.3: in 2024 the floor was above the default rate.
    for s in ["2024-S1", "2024-S2"] {
        let sem = semester(s);
        let floor = PUBLISHED
            .legal(sem, LegalRateCategory::Other)
            .expect("published")
            * dec!(3);
        let default = PUBLISHED.ecb_reference(sem).expect("published") + dec!(10);
        assert!(floor > default, "{s}");
    }
}

/// §1.3: the rate in force on 1 January / 1 July; a change within the semester waits for the
/// next one (4.25 for 2024-S2, not the 3.65 of 18 Sep 2024).
#[test]
fn the_ecb_reference_is_the_rate_in_force_on_the_first_day_of_the_semester() {
    let rows = [
        ("2016-S1", dec!(0.05)), // 0.00 only from 16 Mar 2016
        ("2016-S2", dec!(0.00)),
        ("2022-S2", dec!(0.00)), // first hike on 27 Jul 2022
        ("2023-S1", dec!(2.50)), // set on 21 Dec 2022
        ("2023-S2", dec!(4.00)), // set on 21 Jun 2023; 4.25 from 2 Aug ignored
        ("2024-S2", dec!(4.25)), // 12 Jun 2024; 3.65 from 18 Sep ignored
        ("2025-S1", dec!(3.15)), // 18 Dec 2024
        ("2025-S2", dec!(2.15)), // 11 Jun 2025
    ];
    for (s, rate) in rows {
        assert_eq!(PUBLISHED.ecb_reference(semester(s)), Ok(rate), "{s}");
    }
    // A hand-built history: a row dated on the first day counts for that semester.
    let row = |effective, rate| EcbRate {
        effective,
        rate,
        source: "test".to_owned(),
    };
    let table = RateTable::new(
        vec![
            row(d(2025, 7, 2), dec!(1.90)),
            row(d(2025, 7, 1), dec!(2.00)),
        ],
        Vec::new(),
    );
    assert_eq!(table.ecb_reference(semester("2025-S2")), Ok(dec!(2.00)));
    assert!(table.ecb_reference(semester("2025-S1")).is_err());
    assert!(table.ecb_reference(semester("2026-S1")).is_err());
}

#[test]
fn unpublished_semesters_are_refused_and_can_be_added_without_a_release() {
    let s2 = semester("2026-S2");
    assert_eq!(
        PUBLISHED.ecb_reference(s2),
        Err(RateError::NotPublished {
            semester: s2,
            kind: RateKind::EcbReference
        })
    );
    for category in [LegalRateCategory::Individual, LegalRateCategory::Other] {
        assert_eq!(
            PUBLISHED.legal(s2, category),
            Err(RateError::NotPublished {
                semester: s2,
                kind: RateKind::LegalInterest
            })
        );
    }
    // Before 2015 there is no semester table.
    assert!(
        PUBLISHED
            .legal(semester("2014-S2"), LegalRateCategory::Other)
            .is_err()
    );
    assert!(PUBLISHED.ecb_reference(semester("2014-S1")).is_err());

    // Adding the rows (as `recouvre admin set-rate` does) makes 2026-S2 computable.
    let mut ecb = PUBLISHED.ecb_rates().to_vec();
    ecb.push(EcbRate {
        effective: d(2026, 7, 1),
        rate: dec!(2.00),
        source: "test".to_owned(),
    });
    let mut legal = PUBLISHED.legal_rates().to_vec();
    legal.push(LegalRate {
        semester: s2,
        individual: dec!(6.50),
        other: dec!(2.50),
        source: "test".to_owned(),
    });
    let extended = RateTable::new(ecb, legal);
    assert_eq!(extended.ecb_reference(s2), Ok(dec!(2.00)));
    assert_eq!(extended.legal(s2, LegalRateCategory::Other), Ok(dec!(2.50)));
    let claim = ClaimBuilder::b2b().invoice("F-1", dec!(1000.00), d(2026, 6, 30));
    let st = claim.at_with(d(2026, 7, 31), &extended, EXCLUSIVE);
    assert_eq!(
        segments(&st.invoices[0]),
        [
            // 2026-07-01..07-31, 31 days at 2.00 + 10: 1000 × 12.00 × 31 / 36500 = 10.1918 → 10.19
            seg("2026-07-01", "2026-07-31", 31, "1000.00", "12.00", "10.19"),
        ]
    );
}

// ---------------------------------------------------------------------------------------------
// Due dates (C. com. L441-10 I; law-fr.md §1.1, WE-7)
// ---------------------------------------------------------------------------------------------

#[test]
fn due_dates_from_payment_terms() {
    use EndOfMonthMethod::{AddThenEndOfMonth as A, EndOfMonthThenAdd as B};
    use PaymentTerms::{Default30, EndOfMonth45, Net};
    let due = |date, from_invoice, over_cap| DerivedDueDate {
        due_date: date,
        counted_from_invoice_date: from_invoice,
        exceeds_legal_cap: over_cap,
    };
    // (terms, issue date, service completion, method, expected)
    #[rustfmt::skip]
    let rows = [
        // WE-7, Solices: 10 Apr 2025 + 45 days = 25 May → end of month 31 May 2025.
        (EndOfMonth45, d(2025, 4, 10), None, A, due(d(2025, 5, 31), false, false)),
        // WE-7, iQera: 2 Aug → (A) + 45 days = 16 Sep → 30 Sep; (B) 31 Aug + 45 = 15 Oct.
        (EndOfMonth45, d(2025, 8, 2), None, A, due(d(2025, 9, 30), false, false)),
        (EndOfMonth45, d(2025, 8, 2), None, B, due(d(2025, 10, 15), false, false)),
        // (A) 15 Jan 2024 + 45 = 29 Feb 2024 (leap) → 29 Feb; (B) 31 Jan + 45 = 16 Mar.
        (EndOfMonth45, d(2024, 1, 15), None, A, due(d(2024, 2, 29), false, false)),
        (EndOfMonth45, d(2024, 1, 15), None, B, due(d(2024, 3, 16), false, false)),
        // Across the year: (A) 20 Nov + 45 = 4 Jan → 31 Jan; (B) 30 Nov + 45 = 14 Jan.
        (EndOfMonth45, d(2025, 11, 20), None, A, due(d(2026, 1, 31), false, false)),
        (EndOfMonth45, d(2025, 11, 20), None, B, due(d(2026, 1, 14), false, false)),
        // Default: 30 days after performance of the service (L441-10 I al. 1)…
        (Default30, d(2025, 3, 10), Some(d(2025, 3, 5)), A, due(d(2025, 4, 4), false, false)),
        // …counted from the invoice date, flagged, when the completion date is unknown.
        (Default30, d(2025, 3, 10), None, A, due(d(2025, 4, 9), true, false)),
        // Agreed days after the invoice date; more than 60 days is flagged (L441-10 I al. 2).
        (Net(0), d(2025, 3, 10), None, A, due(d(2025, 3, 10), false, false)),
        (Net(45), d(2025, 3, 10), Some(d(2025, 1, 1)), A, due(d(2025, 4, 24), false, false)),
        (Net(60), d(2025, 3, 10), None, A, due(d(2025, 5, 9), false, false)),
        (Net(61), d(2025, 3, 10), None, A, due(d(2025, 5, 10), false, true)),
        (Net(90), d(2025, 12, 15), None, B, due(d(2026, 3, 15), false, true)),
    ];
    for (i, (terms, issue, completion, method, expected)) in rows.into_iter().enumerate() {
        assert_eq!(
            due_date(terms, issue, completion, method),
            expected,
            "row {i}: {terms:?} {issue} {method:?}"
        );
    }
    assert_eq!(MAX_AGREED_DAYS, 60);
    assert_eq!(end_of_month(d(2025, 12, 31)), d(2025, 12, 31));
    assert_eq!(end_of_month(d(2100, 2, 1)), d(2100, 2, 28));
}

#[test]
fn payment_terms_and_methods_round_trip_through_their_stored_names() {
    for terms in [
        PaymentTerms::Default30,
        PaymentTerms::Net(0),
        PaymentTerms::Net(45),
        PaymentTerms::EndOfMonth45,
    ] {
        let days = terms.days().map(i32::from);
        assert_eq!(PaymentTerms::parse(terms.kind_str(), days), Some(terms));
    }
    assert_eq!(PaymentTerms::parse("net_days", None), None);
    assert_eq!(PaymentTerms::parse("net_days", Some(-1)), None);
    assert_eq!(PaymentTerms::parse("net_days", Some(70_000)), None);
    assert_eq!(PaymentTerms::parse("weekly", Some(7)), None);
    for method in [
        EndOfMonthMethod::AddThenEndOfMonth,
        EndOfMonthMethod::EndOfMonthThenAdd,
    ] {
        assert_eq!(EndOfMonthMethod::parse(method.as_str()), Some(method));
    }
    assert_eq!(
        EndOfMonthMethod::default(),
        EndOfMonthMethod::AddThenEndOfMonth
    );
}

// ---------------------------------------------------------------------------------------------
// B2B penalties: ECB + 10, split per semester (C. com. L441-10 II; law-fr.md §1.3, §3.2)
// ---------------------------------------------------------------------------------------------

#[test]
fn b2b_default_rate_is_split_at_each_semester() {
    let claim = ClaimBuilder::b2b().invoice("F-1", dec!(10000.00), d(2023, 11, 15));
    let st = claim.at(d(2025, 3, 31));
    let inv = &st.invoices[0];
    assert_eq!(inv.interest_from, Some(d(2023, 11, 15)));
    assert_eq!(
        segments(inv),
        [
            // 16 Nov → 31 Dec 2023: 15 + 31 = 46 days at 4.00 + 10.
            // 10000 × 14.00 × 46 / 36500 = 176.4384 → 176.44
            seg("2023-11-16", "2023-12-31", 46, "10000", "14.00", "176.44"),
            // 2024-S1: 182 days (29 Feb) at 4.50 + 10; still / 36500 (ACT/365 fixed).
            // 10000 × 14.50 × 182 / 36500 = 723.0137 → 723.01
            seg("2024-01-01", "2024-06-30", 182, "10000", "14.50", "723.01"),
            // 2024-S2: 184 days at 4.25 + 10.
            // 10000 × 14.25 × 184 / 36500 = 718.3562 → 718.36
            seg("2024-07-01", "2024-12-31", 184, "10000", "14.25", "718.36"),
            // 1 Jan → 31 Mar 2025: 31 + 28 + 31 = 90 days at 3.15 + 10.
            // 10000 × 13.15 × 90 / 36500 = 324.2466 → 324.25
            seg("2025-01-01", "2025-03-31", 90, "10000", "13.15", "324.25"),
        ]
    );
    assert_eq!(
        bases(inv),
        [
            InterestBasis::EcbPlusTen { ecb: dec!(4.00) },
            InterestBasis::EcbPlusTen { ecb: dec!(4.50) },
            InterestBasis::EcbPlusTen { ecb: dec!(4.25) },
            InterestBasis::EcbPlusTen { ecb: dec!(3.15) },
        ]
    );
    let semesters: Vec<String> = inv
        .segments
        .iter()
        .map(|s| s.semester.to_string())
        .collect();
    assert_eq!(semesters, ["2023-S2", "2024-S1", "2024-S2", "2025-S1"]);
    assert!(
        inv.segments
            .iter()
            .all(|s| s.basis.citation() == "C. com. L441-10 II")
    );
    // 176.44 + 723.01 + 718.36 + 324.25 = 1942.06; + €40; owed 11 982.06.
    assert_eq!(inv.interest, dec!(1942.06));
    assert_eq!(inv.fixed_indemnity, dec!(40));
    assert_eq!(inv.balance, dec!(11982.06));
    assert_eq!(st.totals.owed, dec!(11982.06));
    assert_eq!(st.totals.interest, dec!(1942.06));
    assert_eq!(st.totals.fixed_indemnities, dec!(40));
    assert_eq!(st.regime, InterestRegime::Commercial);
    assert_eq!(st.legal_rate_category, LegalRateCategory::Other);
    assert_eq!(st.conventions, Conventions::default());
    assert!(st.notes.is_empty(), "{:?}", st.notes);
}

#[test]
fn start_day_is_excluded_by_default_and_counted_with_the_inclusive_switch() {
    let claim = ClaimBuilder::b2b().invoice("F-1", dec!(10000.00), d(2023, 11, 15));
    let inclusive = Conventions {
        count_start_day: true,
        ..Conventions::default()
    };
    let st = claim.at_with(d(2025, 3, 31), &PUBLISHED, inclusive);
    let inv = &st.invoices[0];
    assert_eq!(
        segments(inv),
        [
            // The due date itself counts: 15 Nov → 31 Dec = 47 days.
            // 10000 × 14.00 × 47 / 36500 = 180.2740 → 180.27
            seg("2023-11-15", "2023-12-31", 47, "10000", "14.00", "180.27"),
            // The other segments do not change.
            seg("2024-01-01", "2024-06-30", 182, "10000", "14.50", "723.01"),
            seg("2024-07-01", "2024-12-31", 184, "10000", "14.25", "718.36"),
            seg("2025-01-01", "2025-03-31", 90, "10000", "13.15", "324.25"),
        ]
    );
    // 180.27 + 723.01 + 718.36 + 324.25 = 1945.89
    assert_eq!(inv.interest, dec!(1945.89));
    assert_eq!(st.conventions, inclusive);
    assert!(inclusive.describe().contains("both counted"));
    assert!(
        Conventions::default()
            .describe()
            .contains("start day excluded")
    );

    // After a partial payment only the first segment gains the day: the next one starts the
    // day after the value date either way.
    let paid = ClaimBuilder::b2b()
        .invoice("F-1", dec!(10000.00), d(2024, 12, 31))
        .pay(dec!(4000.00), d(2025, 2, 15));
    let exclusive = paid.at(d(2025, 3, 31));
    let inclusive = paid.at_with(d(2025, 3, 31), &PUBLISHED, inclusive);
    let days = |st: &Statement| -> Vec<(NaiveDate, i64)> {
        st.invoices[0]
            .segments
            .iter()
            .map(|s| (s.first_day, s.days))
            .collect()
    };
    assert_eq!(
        days(&exclusive),
        [(d(2025, 1, 1), 46), (d(2025, 2, 16), 44)]
    );
    assert_eq!(
        days(&inclusive),
        [
            (d(2024, 12, 31), 1),
            (d(2025, 1, 1), 46),
            (d(2025, 2, 16), 44)
        ]
    );
}

#[test]
fn leap_years_use_36500_under_act_365_fixed_and_36600_under_actual_actual() {
    let claim = ClaimBuilder::b2b().invoice("F-1", dec!(10000.00), d(2023, 12, 31));
    let fixed = claim.at(d(2025, 1, 31));
    let actual = claim.at_with(
        d(2025, 1, 31),
        &PUBLISHED,
        Conventions {
            day_count: DayCount::ActualActual,
            count_start_day: false,
        },
    );
    let amounts = |st: &Statement| -> Vec<Decimal> {
        st.invoices[0].segments.iter().map(|s| s.amount).collect()
    };
    assert_eq!(
        amounts(&fixed),
        [
            dec!(723.01), // 10000 × 14.50 × 182 / 36500 = 723.0137 → 723.01
            dec!(718.36), // 10000 × 14.25 × 184 / 36500 = 718.3562 → 718.36
            dec!(111.68), // 10000 × 13.15 × 31 / 36500 = 111.6849 → 111.68
        ]
    );
    assert_eq!(
        amounts(&actual),
        [
            dec!(721.04), // 10000 × 14.50 × 182 / 36600 = 721.0383 → 721.04
            dec!(716.39), // 10000 × 14.25 × 184 / 36600 = 716.3934 → 716.39
            dec!(111.68), // 2025 is not a leap year: / 36500 as above
        ]
    );
    // 723.01 + 718.36 + 111.68 = 1553.05; 721.04 + 716.39 + 111.68 = 1549.11
    assert_eq!(fixed.totals.interest, dec!(1553.05));
    assert_eq!(actual.totals.interest, dec!(1549.11));
}

#[test]
fn a_contractual_rate_below_the_floor_is_applied_as_agreed_and_flagged() {
    let claim = |rate: Decimal| {
        ClaimBuilder::b2b().invoice_with("F-1", dec!(10000.00), d(2023, 12, 31), |i| {
            i.contractual_rate = Some(rate);
        })
    };
    // 2024-S1: floor 3 × 5.07 = 15.21, above the default 14.50.
    let st = claim(dec!(10.00)).at(d(2024, 3, 31));
    let inv = &st.invoices[0];
    assert_eq!(
        segments(inv),
        [
            // 1 Jan → 31 Mar 2024 = 31 + 29 + 31 = 91 days.
            // 10000 × 10 × 91 / 36500 = 249.3151 → 249.32
            seg("2024-01-01", "2024-03-31", 91, "10000", "10.00", "249.32"),
        ]
    );
    let basis = InterestBasis::ContractualRate {
        floor: Some(dec!(15.21)),
    };
    assert_eq!(bases(inv), [basis]);
    assert!(basis.below_floor(dec!(10.00)));
    assert_eq!(
        st.notes,
        [StatementNote::ContractualRateBelowFloor {
            invoice: "F-1".to_owned(),
            semester: semester("2024-S1"),
            rate: dec!(10.00),
            floor: dec!(15.21),
        }]
    );
    // Above the floor: applied, no note. 10000 × 16 × 91 / 36500 = 398.9041 → 398.90
    let st = claim(dec!(16.00)).at(d(2024, 3, 31));
    assert_eq!(st.invoices[0].segments[0].amount, dec!(398.90));
    assert_eq!(bases(&st.invoices[0]), [basis]);
    assert!(!basis.below_floor(dec!(16.00)));
    assert!(st.notes.is_empty(), "{:?}", st.notes);
    // On the floor exactly: not below.
    assert!(claim(dec!(15.21)).at(d(2024, 3, 31)).notes.is_empty());

    // 13 % is above the 2023-S2 floor (12.66) and below the 2024-S1 one (15.21): one note.
    let st = ClaimBuilder::b2b()
        .invoice_with("F-2", dec!(10000.00), d(2023, 11, 15), |i| {
            i.contractual_rate = Some(dec!(13));
        })
        .at(d(2024, 2, 29));
    assert_eq!(
        segments(&st.invoices[0]),
        [
            // 10000 × 13 × 46 / 36500 = 163.8356 → 163.84
            seg("2023-11-16", "2023-12-31", 46, "10000", "13", "163.84"),
            // 31 + 29 = 60 days. 10000 × 13 × 60 / 36500 = 213.6986 → 213.70
            seg("2024-01-01", "2024-02-29", 60, "10000", "13", "213.70"),
        ]
    );
    assert_eq!(
        st.notes,
        [StatementNote::ContractualRateBelowFloor {
            invoice: "F-2".to_owned(),
            semester: semester("2024-S1"),
            rate: dec!(13),
            floor: dec!(15.21),
        }]
    );
}

#[test]
fn interest_stops_on_the_freeze_date() {
    let claim = ClaimBuilder::b2b()
        .invoice("F-1", dec!(10000.00), d(2024, 12, 31))
        .frozen_from(d(2025, 2, 28));
    let st = claim.at(d(2025, 6, 30));
    assert_eq!(
        segments(&st.invoices[0]),
        [
            // 31 + 28 = 59 days, none after 28 Feb. 10000 × 13.15 × 59 / 36500 = 212.5616 → 212.56
            seg("2025-01-01", "2025-02-28", 59, "10000", "13.15", "212.56"),
        ]
    );
    assert_eq!(
        st.notes,
        [StatementNote::InterestFrozen {
            from: d(2025, 2, 28)
        }]
    );
    // Before the freeze date it is not yet in force.
    let before = claim.at(d(2025, 2, 27));
    assert_eq!(
        before.invoices[0].segments.last().map(|s| s.last_day),
        Some(d(2025, 2, 27))
    );
    assert!(before.notes.is_empty());
    // Frozen before interest ever ran: no segment at all.
    let st = ClaimBuilder::b2b()
        .invoice("F-1", dec!(10000.00), d(2024, 12, 31))
        .frozen_from(d(2024, 12, 1))
        .at(d(2025, 6, 30));
    assert!(st.invoices[0].segments.is_empty());
    assert_eq!(st.totals.owed, dec!(10040.00));
}

// ---------------------------------------------------------------------------------------------
// The €40 fixed indemnity (C. com. L441-10 II, D441-5; law-fr.md §1.4, §9)
// ---------------------------------------------------------------------------------------------

#[test]
fn the_fixed_indemnity_is_owed_once_per_late_invoice() {
    let claim = ClaimBuilder::b2b()
        .invoice("PAID-ON-TIME", dec!(1000.00), d(2025, 1, 31))
        .invoice("PAID-EARLY", dec!(1000.00), d(2025, 1, 31))
        .invoice("LATE-UNPAID", dec!(1000.00), d(2025, 1, 31))
        .invoice("PART-PAID-ON-TIME", dec!(1000.00), d(2025, 1, 31))
        .invoice("NOT-YET-DUE", dec!(1000.00), d(2025, 12, 31))
        .pay_for(dec!(1000.00), d(2025, 1, 31), "PAID-ON-TIME")
        .pay_for(dec!(1000.00), d(2025, 1, 10), "PAID-EARLY")
        .pay_for(dec!(400.00), d(2025, 1, 31), "PART-PAID-ON-TIME");
    let st = claim.at(d(2025, 6, 30));
    let indemnities: Vec<(&str, Decimal)> = st
        .invoices
        .iter()
        .map(|i| (i.number.as_str(), i.fixed_indemnity))
        .collect();
    assert_eq!(
        indemnities,
        [
            ("PAID-ON-TIME", dec!(0)),
            ("PAID-EARLY", dec!(0)),
            ("LATE-UNPAID", dec!(40)),
            // Late for its remaining 600: the indemnity is owed after a partial payment too.
            ("PART-PAID-ON-TIME", dec!(40)),
            ("NOT-YET-DUE", dec!(0)),
        ]
    );
    assert_eq!(FIXED_INDEMNITY_EUR, dec!(40));
    assert_eq!(st.totals.fixed_indemnities, dec!(80));
    // Once, whatever the length of the delay: still 40 three semesters later.
    let later = claim.at(d(2026, 6, 30));
    assert_eq!(later.invoices[2].fixed_indemnity, dec!(40));
    assert_eq!(later.invoices[2].segments.len(), 3);
    // Not owed on the due date itself, owed the day after.
    let unpaid = ClaimBuilder::b2b().invoice("F-1", dec!(1000.00), d(2025, 1, 31));
    assert_eq!(unpaid.at(d(2025, 1, 31)).totals.fixed_indemnities, dec!(0));
    assert_eq!(unpaid.at(d(2025, 2, 1)).totals.fixed_indemnities, dec!(40));
}

/// Paying principal and interest late leaves the €40 owed. As an accessory it is imputed before
/// principal (C. civ. 1343-1, law-fr.md §3.1), so what remains is 40.00 of principal, which
/// keeps bearing interest.
#[test]
fn the_indemnity_is_still_owed_after_late_payment_of_principal_and_interest() {
    // Due 31 Jan 2025, paid 2 Mar: 1 Feb → 2 Mar = 28 + 2 = 30 days at 13.15.
    // 1000 × 13.15 × 30 / 36500 = 10.8082 → 10.81; principal + interest = 1010.81.
    let claim = ClaimBuilder::b2b()
        .invoice("F-1", dec!(1000.00), d(2025, 1, 31))
        .pay(dec!(1010.81), d(2025, 3, 2));
    let st = claim.at(d(2025, 3, 2));
    assert_eq!(st.invoices[0].interest, dec!(10.81));
    assert_eq!(
        st.payments[0].lines,
        [line("F-1", dec!(10.81), dec!(40), dec!(0), dec!(960.00))]
    );
    assert_eq!(st.totals.owed, dec!(40.00));
    assert_eq!(st.totals.outstanding_principal, dec!(40.00));
    // 3 → 31 Mar, 29 days on 40.00: 40 × 13.15 × 29 / 36500 = 0.4179 → 0.42
    let st = claim.at(d(2025, 3, 31));
    assert_eq!(
        st.invoices[0].segments[1],
        recouvre_domain::statement::InterestSegment {
            first_day: d(2025, 3, 3),
            last_day: d(2025, 3, 31),
            days: 29,
            base: dec!(40.00),
            rate: dec!(13.15),
            basis: InterestBasis::EcbPlusTen { ecb: dec!(3.15) },
            semester: semester("2025-S1"),
            amount: dec!(0.42),
        }
    );
    assert_eq!(st.totals.owed, dec!(40.42));
    // Paying the 40 as well settles everything.
    let settled = ClaimBuilder::b2b()
        .invoice("F-1", dec!(1000.00), d(2025, 1, 31))
        .pay(dec!(1050.81), d(2025, 3, 2))
        .at(d(2025, 6, 30));
    assert_eq!(settled.totals.owed, dec!(0));
    assert_eq!(settled.totals.paid, dec!(1050.81));
    assert_eq!(settled.next_limitation_deadline, None);
}

#[test]
fn no_indemnity_for_consumer_and_civil_claims_nor_in_another_currency() {
    for builder in [ClaimBuilder::consumer(), ClaimBuilder::civil()] {
        let st = builder
            .invoice("F-1", dec!(1000.00), d(2025, 1, 31))
            .notice(d(2025, 2, 10))
            .cost("F-1", dec!(150.00), d(2025, 3, 1))
            .at(d(2025, 6, 30));
        assert_eq!(st.totals.fixed_indemnities, dec!(0), "{:?}", st.regime);
        // CPCE L111-8: no recovery costs either, even if some were recorded.
        assert_eq!(st.totals.recovery_costs, dec!(0), "{:?}", st.regime);
        assert_eq!(st.totals.outstanding_accessories, dec!(0));
        assert!(!st.notes.contains(&StatementNote::IndemnityNotInEuro));
    }
    // B2B in Swiss francs: penalties run, the €40 cannot be added; flagged once.
    let st = ClaimBuilder::b2b()
        .currency("CHF")
        .invoice("F-1", dec!(1000.00), d(2025, 1, 31))
        .invoice("F-2", dec!(1000.00), d(2025, 1, 31))
        .at(d(2025, 3, 31));
    assert_eq!(st.totals.fixed_indemnities, dec!(0));
    assert_eq!(st.notes, [StatementNote::IndemnityNotInEuro]);
    // 1 Feb → 31 Mar = 59 days. 1000 × 13.15 × 59 / 36500 = 21.2562 → 21.26 each
    assert_eq!(st.totals.interest, dec!(42.52));
    assert_eq!(st.currency.code(), "CHF");
}

/// Complementary costs on proof are accessories, imputed with the indemnity before principal.
#[test]
fn recovery_costs_are_added_when_incurred_and_imputed_before_principal() {
    let claim = ClaimBuilder::b2b()
        .invoice("F-1", dec!(1000.00), d(2025, 1, 31))
        .cost("F-1", dec!(150.00), d(2025, 2, 15))
        .cost("F-1", dec!(60.00), d(2025, 4, 1))
        .cost("F-404", dec!(99.00), d(2025, 2, 1))
        .pay(dec!(200.00), d(2025, 2, 28));
    let st = claim.at(d(2025, 2, 28));
    // 1 → 28 Feb, 28 days: 1000 × 13.15 × 28 / 36500 = 10.0877 → 10.09
    // 200 = 10.09 interest + 40.00 indemnity + 149.91 of the 150.00 costs; principal untouched.
    assert_eq!(
        st.payments[0].lines,
        [line("F-1", dec!(10.09), dec!(40), dec!(149.91), dec!(0))]
    );
    let inv = &st.invoices[0];
    assert_eq!(
        inv.recovery_costs,
        dec!(150.00),
        "the cost incurred later is not there yet"
    );
    assert_eq!(inv.outstanding_accessories, dec!(0.09));
    assert_eq!(inv.outstanding_principal, dec!(1000.00));
    assert_eq!(st.totals.owed, dec!(1000.09));
    // From 1 Apr the second cost is owed too; the one for an unknown invoice never is.
    let st = claim.at(d(2025, 4, 1));
    assert_eq!(st.totals.recovery_costs, dec!(210.00));
}

// ---------------------------------------------------------------------------------------------
// Consumer and civil claims: legal interest from the formal notice (C. civ. 1231-6, 1344-1)
// ---------------------------------------------------------------------------------------------

#[test]
fn consumer_interest_runs_only_from_the_formal_notice_receipt_at_the_other_cases_rate() {
    let claim = ClaimBuilder::consumer().invoice("F-1", dec!(1000.00), d(2025, 5, 31));
    let st = claim.at(d(2025, 12, 31));
    assert!(st.invoices[0].segments.is_empty());
    assert_eq!(st.invoices[0].interest_from, None);
    assert_eq!(st.notes, [StatementNote::InterestNotRunning]);
    assert_eq!(st.totals.owed, dec!(1000.00));

    let st = claim.clone().notice(d(2025, 7, 15)).at(d(2025, 12, 31));
    let inv = &st.invoices[0];
    assert_eq!(inv.interest_from, Some(d(2025, 7, 15)));
    assert_eq!(
        segments(inv),
        [
            // 16 Jul → 31 Dec: 16 + 31 + 30 + 31 + 30 + 31 = 169 days at 2.76 ("autres cas").
            // 1000 × 2.76 × 169 / 36500 = 12.7792 → 12.78
            seg("2025-07-16", "2025-12-31", 169, "1000", "2.76", "12.78"),
        ]
    );
    assert_eq!(bases(inv), [InterestBasis::LegalInterest]);
    assert_eq!(inv.segments[0].basis.citation(), "C. civ. 1231-6, 1344-1");
    assert_eq!(st.legal_rate_category, LegalRateCategory::Other);
    assert_eq!(st.totals.owed, dec!(1012.78));
    assert!(st.notes.is_empty(), "{:?}", st.notes);

    // A receipt after the statement's date is not yet known.
    let st = claim.clone().notice(d(2025, 7, 15)).at(d(2025, 7, 14));
    assert_eq!(st.notes, [StatementNote::InterestNotRunning]);
    // A receipt before the due date: interest from the due date.
    let st = claim.clone().notice(d(2025, 5, 1)).at(d(2025, 6, 30));
    assert_eq!(st.invoices[0].interest_from, Some(d(2025, 5, 31)));
    assert_eq!(st.invoices[0].segments[0].first_day, d(2025, 6, 1));
    // A recorded start of interest (the summons) earlier than the receipt counts.
    let mut summoned = claim.clone().notice(d(2025, 9, 1));
    summoned.facts.interest_start = Some(d(2025, 7, 15));
    assert_eq!(summoned.at(d(2025, 12, 31)).totals.owed, dec!(1012.78));
}

#[test]
fn a_civil_creditor_gets_the_individual_rate() {
    let st = ClaimBuilder::civil()
        .invoice("F-1", dec!(1000.00), d(2025, 5, 31))
        .notice(d(2025, 7, 15))
        .at(d(2025, 12, 31));
    assert_eq!(
        segments(&st.invoices[0]),
        [
            // 169 days at 6.65 ("particuliers"). 1000 × 6.65 × 169 / 36500 = 30.7904 → 30.79
            seg("2025-07-16", "2025-12-31", 169, "1000", "6.65", "30.79"),
        ]
    );
    assert_eq!(st.legal_rate_category, LegalRateCategory::Individual);
    assert_eq!(st.totals.owed, dec!(1030.79));
    assert_eq!(st.totals.fixed_indemnities, dec!(0));
    assert_eq!(InterestRegime::of(true, true), InterestRegime::Civil);
    assert_eq!(InterestRegime::of(false, true), InterestRegime::Civil);
    assert_eq!(InterestRegime::of(true, false), InterestRegime::Commercial);
    assert_eq!(InterestRegime::of(false, false), InterestRegime::Consumer);
}

// ---------------------------------------------------------------------------------------------
// Judgments (C. civ. 1231-7, CMF L313-3, CPCE L111-4)
// ---------------------------------------------------------------------------------------------

#[test]
fn after_a_judgment_legal_interest_runs_then_five_more_points_two_months_after_enforceability() {
    // Notice received 15 Mar 2024, judgment 30 Sep 2024, enforceable (served) 15 Oct 2024:
    // + 5 points from the day after 15 Dec 2024.
    let claim = ClaimBuilder::consumer()
        .invoice("F-1", dec!(1000.00), d(2024, 1, 31))
        .notice(d(2024, 3, 15))
        .judgment(d(2024, 9, 30), Some(d(2024, 10, 15)));
    let st = claim.at(d(2025, 3, 31));
    let inv = &st.invoices[0];
    assert_eq!(
        segments(inv),
        [
            // 16 Mar → 30 Jun: 16 + 30 + 31 + 30 = 107 days at 5.07.
            // 1000 × 5.07 × 107 / 36500 = 14.8627 → 14.86
            seg("2024-03-16", "2024-06-30", 107, "1000", "5.07", "14.86"),
            // 1 Jul → 30 Sep (the judgment day): 92 days at 4.92.
            // 1000 × 4.92 × 92 / 36500 = 12.4011 → 12.40
            seg("2024-07-01", "2024-09-30", 92, "1000", "4.92", "12.40"),
            // 1 Oct → 15 Dec: 31 + 30 + 15 = 76 days at 4.92, under the judgment.
            // 1000 × 4.92 × 76 / 36500 = 10.2444 → 10.24
            seg("2024-10-01", "2024-12-15", 76, "1000", "4.92", "10.24"),
            // 16 → 31 Dec: 16 days at 4.92 + 5 = 9.92.
            // 1000 × 9.92 × 16 / 36500 = 4.3485 → 4.35
            seg("2024-12-16", "2024-12-31", 16, "1000", "9.92", "4.35"),
            // 2025-S1, 90 days at 3.71 + 5 = 8.71.
            // 1000 × 8.71 × 90 / 36500 = 21.4767 → 21.48
            seg("2025-01-01", "2025-03-31", 90, "1000", "8.71", "21.48"),
        ]
    );
    assert_eq!(
        bases(inv),
        [
            InterestBasis::LegalInterest,
            InterestBasis::LegalInterest,
            InterestBasis::Judgment,
            InterestBasis::JudgmentMajorated,
            InterestBasis::JudgmentMajorated,
        ]
    );
    // 14.86 + 12.40 + 10.24 + 4.35 + 21.48 = 63.33
    assert_eq!(inv.interest, dec!(63.33));
    // CPCE L111-4: ten years to enforce, from the judgment.
    assert_eq!(inv.limitation.years, 10);
    assert_eq!(inv.limitation.basis, "CPCE L111-4");
    assert_eq!(inv.limitation.deadline, d(2034, 9, 30));
    assert!(!inv.limitation.expired);
    assert_eq!(st.next_limitation_deadline, Some(d(2034, 9, 30)));
    // Without the enforceability date, no majoration.
    let st = ClaimBuilder::consumer()
        .invoice("F-1", dec!(1000.00), d(2024, 1, 31))
        .notice(d(2024, 3, 15))
        .judgment(d(2024, 9, 30), None)
        .at(d(2025, 3, 31));
    assert!(!bases(&st.invoices[0]).contains(&InterestBasis::JudgmentMajorated));
    // A judgment after the statement's date is not yet known.
    let st = claim.at(d(2024, 9, 29));
    assert_eq!(st.invoices[0].limitation.basis, "C. consom. L218-2");
    // Without a formal notice, interest runs from the judgment (1231-7).
    let st = ClaimBuilder::consumer()
        .invoice("F-1", dec!(1000.00), d(2024, 1, 31))
        .judgment(d(2024, 9, 30), None)
        .at(d(2024, 10, 31));
    assert_eq!(st.invoices[0].interest_from, Some(d(2024, 9, 30)));
    // 1 → 31 Oct, 31 days at 4.92: 1000 × 4.92 × 31 / 36500 = 4.1786 → 4.18
    assert_eq!(
        segments(&st.invoices[0]),
        [seg("2024-10-01", "2024-10-31", 31, "1000", "4.92", "4.18")]
    );
}

#[test]
fn a_judgment_on_a_b2b_claim_switches_to_legal_interest() {
    let st = ClaimBuilder::b2b()
        .invoice("F-1", dec!(10000.00), d(2024, 1, 31))
        .judgment(d(2024, 6, 14), None)
        .at(d(2024, 9, 30));
    assert_eq!(
        segments(&st.invoices[0]),
        [
            // 1 Feb → 14 Jun: 29 + 31 + 30 + 31 + 14 = 135 days at 14.50.
            // 10000 × 14.50 × 135 / 36500 = 536.3014 → 536.30
            seg("2024-02-01", "2024-06-14", 135, "10000", "14.50", "536.30"),
            // 15 → 30 Jun, 16 days at the "other" legal rate 5.07.
            // 10000 × 5.07 × 16 / 36500 = 22.2247 → 22.22
            seg("2024-06-15", "2024-06-30", 16, "10000", "5.07", "22.22"),
            // 2024-S2, 92 days at 4.92. 10000 × 4.92 × 92 / 36500 = 124.0110 → 124.01
            seg("2024-07-01", "2024-09-30", 92, "10000", "4.92", "124.01"),
        ]
    );
    assert_eq!(
        bases(&st.invoices[0]),
        [
            InterestBasis::EcbPlusTen { ecb: dec!(4.50) },
            InterestBasis::Judgment,
            InterestBasis::Judgment,
        ]
    );
    assert_eq!(st.invoices[0].limitation.deadline, d(2034, 6, 14));
}

// ---------------------------------------------------------------------------------------------
// Imputation of payments (C. civ. 1342-10, 1343-1; law-fr.md WE-6)
// ---------------------------------------------------------------------------------------------

/// WE-6: debt 20 000, accrued interest 3 000, the debtor pays 18 000 → 3 000 to interest,
/// 15 000 to principal; 5 000 of principal remains and keeps bearing interest. A civil claim
/// (no indemnity) on a hand-built table at 15 % gives exactly 3 000.00 over 2023.
#[test]
fn we6_a_partial_payment_goes_to_interest_first() {
    let table = legal_table(&[
        ("2023-S1", dec!(15), dec!(15)),
        ("2023-S2", dec!(15), dec!(15)),
        ("2024-S1", dec!(15), dec!(15)),
    ]);
    let claim = ClaimBuilder::civil()
        .invoice("F-1", dec!(20000.00), d(2022, 12, 1))
        .notice(d(2022, 12, 31))
        .pay(dec!(18000.00), d(2023, 12, 31));
    let st = claim.at_with(d(2023, 12, 31), &table, EXCLUSIVE);
    let inv = &st.invoices[0];
    assert_eq!(
        segments(inv),
        [
            // 20000 × 15 × 181 / 36500 = 1487.6712 → 1487.67
            seg("2023-01-01", "2023-06-30", 181, "20000", "15", "1487.67"),
            // 20000 × 15 × 184 / 36500 = 1512.3288 → 1512.33
            seg("2023-07-01", "2023-12-31", 184, "20000", "15", "1512.33"),
        ]
    );
    // 1487.67 + 1512.33 = 3000.00
    assert_eq!(inv.interest, dec!(3000.00));
    assert_eq!(
        st.payments[0].lines,
        [line("F-1", dec!(3000.00), dec!(0), dec!(0), dec!(15000.00))]
    );
    assert_eq!(inv.outstanding_principal, dec!(5000.00));
    assert_eq!(inv.outstanding_interest, dec!(0));
    assert_eq!(st.totals.owed, dec!(5000.00));
    // 5 000 keeps bearing interest: 5000 × 15 × 31 / 36500 = 63.6986 → 63.70
    let st = claim.at_with(d(2024, 1, 31), &table, EXCLUSIVE);
    assert_eq!(
        segments(&st.invoices[0])[2],
        seg("2024-01-01", "2024-01-31", 31, "5000.00", "15", "63.70")
    );
    assert_eq!(st.totals.owed, dec!(5063.70));
}

/// Interest stops on the part paid from the value date: the value date still bears interest
/// on the old base, the next segment starts the day after on the reduced base.
#[test]
fn a_partial_payment_mid_semester_reduces_the_base_from_the_day_after() {
    let claim = ClaimBuilder::b2b()
        .invoice("F-1", dec!(10000.00), d(2024, 12, 31))
        .pay(dec!(4000.00), d(2025, 2, 15));
    let st = claim.at(d(2025, 3, 31));
    let inv = &st.invoices[0];
    assert_eq!(
        segments(inv),
        [
            // 1 Jan → 15 Feb = 31 + 15 = 46 days on 10 000.
            // 10000 × 13.15 × 46 / 36500 = 165.7260 → 165.73
            seg("2025-01-01", "2025-02-15", 46, "10000", "13.15", "165.73"),
            // 4000 = 165.73 interest + 40.00 indemnity + 3794.27 principal;
            // 10000 − 3794.27 = 6205.73 from 16 Feb → 31 Mar = 13 + 31 = 44 days.
            // 6205.73 × 13.15 × 44 / 36500 = 98.3736 → 98.37
            seg("2025-02-16", "2025-03-31", 44, "6205.73", "13.15", "98.37"),
        ]
    );
    assert_eq!(
        st.payments[0].lines,
        [line("F-1", dec!(165.73), dec!(40), dec!(0), dec!(3794.27))]
    );
    assert_eq!(
        inv.paid,
        line("F-1", dec!(165.73), dec!(40), dec!(0), dec!(3794.27))
    );
    // 6205.73 + 98.37 = 6304.10
    assert_eq!(st.totals.owed, dec!(6304.10));
    assert_eq!(st.totals.outstanding_interest, dec!(98.37));
    assert_eq!(st.totals.paid, dec!(4000.00));
    assert_eq!(st.payments[0].payment_id, ClaimBuilder::payment_id(0));
    assert_eq!(st.payments[0].value_date, d(2025, 2, 15));
}

#[test]
fn a_designated_invoice_is_paid_first() {
    let claim = |designated: Option<&str>| {
        ClaimBuilder::b2b()
            .invoice("A", dec!(1000.00), d(2024, 1, 31))
            .invoice("B", dec!(1000.00), d(2024, 3, 31))
            .pay_designated(dec!(500.00), d(2024, 3, 31), designated)
            .at(d(2024, 3, 31))
    };
    // B falls due on the value date: no interest, no indemnity yet.
    let st = claim(Some("B"));
    assert_eq!(st.payments[0].designated_invoice.as_deref(), Some("B"));
    assert_eq!(
        st.payments[0].lines,
        [line("B", dec!(0), dec!(0), dec!(0), dec!(500.00))]
    );
    // Without designation the older A goes first: 1 Feb → 31 Mar = 60 days.
    // 1000 × 14.50 × 60 / 36500 = 23.8356 → 23.84; then 40.00; then 436.16 of principal.
    let st = claim(None);
    assert_eq!(st.payments[0].designated_invoice, None);
    assert_eq!(
        st.payments[0].lines,
        [line("A", dec!(23.84), dec!(40), dec!(0), dec!(436.16))]
    );
    // A designated invoice already paid: the payment goes on to the others.
    let st = ClaimBuilder::b2b()
        .invoice("A", dec!(1000.00), d(2024, 1, 31))
        .invoice("B", dec!(1000.00), d(2024, 3, 31))
        .pay_for(dec!(1000.00), d(2024, 3, 1), "B")
        .pay_for(dec!(100.00), d(2024, 3, 1), "B")
        .at(d(2024, 3, 1));
    assert_eq!(st.payments[1].lines[0].invoice_number, "A");
}

#[test]
fn without_designation_overdue_debts_go_first_oldest_first() {
    // A is not yet due on 15 May, B is overdue: B first although A is listed first.
    let claim = |amount| {
        ClaimBuilder::b2b()
            .invoice("A", dec!(1000.00), d(2024, 6, 30))
            .invoice("B", dec!(1000.00), d(2024, 4, 30))
            .pay(amount, d(2024, 5, 15))
            .at(d(2024, 5, 15))
    };
    // B: 1 → 15 May, 15 days: 1000 × 14.50 × 15 / 36500 = 5.9589 → 5.96
    // 300 = 5.96 + 40.00 + 254.04.
    assert_eq!(
        claim(dec!(300.00)).payments[0].lines,
        [line("B", dec!(5.96), dec!(40), dec!(0), dec!(254.04))]
    );
    // More than B owes (1045.96): the rest goes to A, not yet due.
    assert_eq!(
        claim(dec!(1500.00)).payments[0].lines,
        [
            line("B", dec!(5.96), dec!(40), dec!(0), dec!(1000.00)),
            line("A", dec!(0), dec!(0), dec!(0), dec!(454.04)),
        ]
    );
    // Both overdue: the older due date first.
    let st = ClaimBuilder::b2b()
        .invoice("A", dec!(1000.00), d(2024, 3, 31))
        .invoice("B", dec!(1000.00), d(2024, 1, 31))
        .pay(dec!(100.00), d(2024, 4, 30))
        .at(d(2024, 4, 30));
    // B: 1 Feb → 30 Apr = 29 + 31 + 30 = 90 days: 1000 × 14.50 × 90 / 36500 = 35.7534 → 35.75
    // 100 = 35.75 + 40.00 + 24.25.
    assert_eq!(
        st.payments[0].lines,
        [line("B", dec!(35.75), dec!(40), dec!(0), dec!(24.25))]
    );
}

#[test]
fn equal_due_dates_share_pro_rata_with_leftover_cents_to_the_largest_remainders() {
    // Paid before the due date: nothing but principal is owed.
    let st = ClaimBuilder::b2b()
        .invoice("A", dec!(600.00), d(2024, 6, 30))
        .invoice("B", dec!(300.00), d(2024, 6, 30))
        .pay(dec!(300.00), d(2024, 6, 15))
        .at(d(2024, 6, 15));
    // 300 × 600/900 = 200.00, 300 × 300/900 = 100.00
    assert_eq!(
        st.payments[0].lines,
        [
            line("A", dec!(0), dec!(0), dec!(0), dec!(200.00)),
            line("B", dec!(0), dec!(0), dec!(0), dec!(100.00)),
        ]
    );
    // 100 × 1000/3000 = 33.333… → 33.33; 100 × 2000/3000 = 66.666… → 66.66; the cent left
    // goes to the larger remainder (0.00666… > 0.00333…): B gets 66.67.
    let st = ClaimBuilder::b2b()
        .invoice("A", dec!(1000.00), d(2024, 6, 30))
        .invoice("B", dec!(2000.00), d(2024, 6, 30))
        .pay(dec!(100.00), d(2024, 6, 15))
        .at(d(2024, 6, 15));
    assert_eq!(
        st.payments[0].lines,
        [
            line("A", dec!(0), dec!(0), dec!(0), dec!(33.33)),
            line("B", dec!(0), dec!(0), dec!(0), dec!(66.67)),
        ]
    );
    // Three equal shares of 33.333…: the cent goes to the first on a tie.
    let st = ClaimBuilder::b2b()
        .invoice("A", dec!(100.00), d(2024, 6, 30))
        .invoice("B", dec!(100.00), d(2024, 6, 30))
        .invoice("C", dec!(100.00), d(2024, 6, 30))
        .pay(dec!(100.00), d(2024, 7, 1))
        .at(d(2024, 7, 1));
    // Overdue by one day: 100 × 14.25 × 1 / 36500 = 0.039 → 0.04 each, and 40.00 each: owed
    // 140.04 each. 100 / 3 = 33.333… each → 33.34, 33.33, 33.33, all to interest then indemnity.
    assert_eq!(
        st.payments[0].lines,
        [
            line("A", dec!(0.04), dec!(33.30), dec!(0), dec!(0)),
            line("B", dec!(0.04), dec!(33.29), dec!(0), dec!(0)),
            line("C", dec!(0.04), dec!(33.29), dec!(0), dec!(0)),
        ]
    );
}

#[test]
fn what_exceeds_everything_owed_is_left_unapplied() {
    let st = ClaimBuilder::b2b()
        .invoice("F-1", dec!(1000.00), d(2024, 6, 30))
        .pay(dec!(1100.00), d(2024, 6, 30))
        .pay(dec!(5.00), d(2024, 7, 2))
        .pay(dec!(7.00), d(2024, 7, 3))
        .at(d(2024, 7, 2));
    assert_eq!(
        st.payments.len(),
        2,
        "the payment valued after as_of is ignored"
    );
    assert_eq!(st.payments[0].unapplied, dec!(100.00));
    assert_eq!(st.payments[1].unapplied, dec!(5.00));
    assert!(st.payments[1].lines.is_empty());
    assert_eq!(
        st.notes,
        [
            StatementNote::UnappliedPayment {
                payment_id: ClaimBuilder::payment_id(0),
                amount: dec!(100.00),
            },
            StatementNote::UnappliedPayment {
                payment_id: ClaimBuilder::payment_id(1),
                amount: dec!(5.00),
            },
        ]
    );
    assert_eq!(st.totals.paid, dec!(1000.00));
    assert_eq!(st.totals.unapplied, dec!(105.00));
    assert_eq!(st.totals.owed, dec!(0));
    assert_eq!(st.next_limitation_deadline, None);
}

#[test]
fn payments_are_imputed_in_value_date_order_same_day_in_recorded_order() {
    let st = ClaimBuilder::b2b()
        .invoice("A", dec!(100.00), d(2024, 6, 30))
        .invoice("B", dec!(100.00), d(2024, 7, 31))
        .pay(dec!(30.00), d(2024, 6, 20))
        .pay(dec!(100.00), d(2024, 6, 10))
        .pay(dec!(20.00), d(2024, 6, 20))
        .at(d(2024, 6, 30));
    let order: Vec<(NaiveDate, Decimal)> = st
        .payments
        .iter()
        .map(|p| (p.value_date, p.amount))
        .collect();
    assert_eq!(
        order,
        [
            (d(2024, 6, 10), dec!(100.00)),
            (d(2024, 6, 20), dec!(30.00)),
            (d(2024, 6, 20), dec!(20.00)),
        ]
    );
    // The first one pays A (the older due date); the next ones go to B.
    assert_eq!(
        st.payments[0].lines,
        [line("A", dec!(0), dec!(0), dec!(0), dec!(100.00))]
    );
    assert_eq!(
        st.payments[1].lines,
        [line("B", dec!(0), dec!(0), dec!(0), dec!(30.00))]
    );
    assert_eq!(st.totals.owed, dec!(50.00));
}

// ---------------------------------------------------------------------------------------------
// Compound interest (anatocisme, C. civ. 1343-2)
// ---------------------------------------------------------------------------------------------

#[test]
fn compound_interest_capitalises_on_each_anniversary_only_when_agreed() {
    let simple = ClaimBuilder::b2b().invoice("F-1", dec!(10000.00), d(2023, 6, 30));
    let compound = simple.clone().compound();
    let st = compound.at(d(2024, 12, 31));
    let inv = &st.invoices[0];
    assert_eq!(
        segments(inv),
        [
            // 10000 × 14.00 × 184 / 36500 = 705.7534 → 705.75
            seg("2023-07-01", "2023-12-31", 184, "10000", "14.00", "705.75"),
            // 10000 × 14.50 × 182 / 36500 = 723.0137 → 723.01; a year on 30 Jun 2024.
            seg("2024-01-01", "2024-06-30", 182, "10000", "14.50", "723.01"),
            // 705.75 + 723.01 = 1428.76 capitalised: base 11 428.76.
            // 11428.76 × 14.25 × 184 / 36500 = 820.9920 → 820.99
            seg(
                "2024-07-01",
                "2024-12-31",
                184,
                "11428.76",
                "14.25",
                "820.99"
            ),
        ]
    );
    assert_eq!(
        inv.capitalisations,
        [Capitalisation {
            on: d(2024, 6, 30),
            amount: dec!(1428.76),
        }]
    );
    // 1428.76 + 820.99 = 2249.75; owed 10000 + 2249.75 + 40 = 12 289.75
    assert_eq!(inv.interest, dec!(2249.75));
    assert_eq!(inv.outstanding_interest, dec!(2249.75));
    assert_eq!(st.totals.owed, dec!(12289.75));
    // The second anniversary, 30 Jun 2025:
    // 11428.76 × 13.15 × 181 / 36500 = 745.2647 → 745.26; 820.99 + 745.26 = 1566.25 added;
    // base 12 995.01 from 1 Jul. 12995.01 × 12.15 × 31 / 36500 = 134.0978 → 134.10
    let st = compound.at(d(2025, 7, 31));
    let inv = &st.invoices[0];
    assert_eq!(
        inv.capitalisations,
        [
            Capitalisation {
                on: d(2024, 6, 30),
                amount: dec!(1428.76),
            },
            Capitalisation {
                on: d(2025, 6, 30),
                amount: dec!(1566.25),
            },
        ]
    );
    assert_eq!(
        segments(inv).last(),
        Some(&seg(
            "2025-07-01",
            "2025-07-31",
            31,
            "12995.01",
            "12.15",
            "134.10"
        ))
    );
    // Not agreed: simple interest, 10000 × 14.25 × 184 / 36500 = 718.3562 → 718.36.
    let st = simple.at(d(2024, 12, 31));
    assert!(st.invoices[0].capitalisations.is_empty());
    assert_eq!(st.invoices[0].segments[2].base, dec!(10000));
    assert_eq!(st.invoices[0].segments[2].amount, dec!(718.36));
    // Payments go to capitalised interest first, which leaves the base.
    let st = compound
        .clone()
        .pay(dec!(1000.00), d(2024, 9, 30))
        .at(d(2024, 9, 30));
    assert_eq!(st.payments[0].lines[0].interest, dec!(1000.00));
    assert_eq!(st.invoices[0].outstanding_principal, dec!(10000.00));
}

// ---------------------------------------------------------------------------------------------
// Limitation (law-fr.md §4)
// ---------------------------------------------------------------------------------------------

#[test]
fn limitation_periods_run_from_service_completion() {
    let completed = |builder: ClaimBuilder| {
        builder.invoice_with("F-1", dec!(1000.00), d(2020, 4, 14), |i| {
            i.issue_date = d(2020, 3, 15);
            i.service_completion_date = Some(d(2020, 3, 10));
        })
    };
    // (claim, years, basis, deadline)
    let rows = [
        (
            completed(ClaimBuilder::b2b()),
            5,
            "C. com. L110-4",
            d(2025, 3, 10),
        ),
        (
            completed(ClaimBuilder::civil()),
            5,
            "C. civ. 2224",
            d(2025, 3, 10),
        ),
        (
            completed(ClaimBuilder::consumer()),
            2,
            "C. consom. L218-2",
            d(2022, 3, 10),
        ),
    ];
    for (claim, years, basis, deadline) in rows {
        let on = claim.at(deadline);
        let limitation = &on.invoices[0].limitation;
        assert_eq!((limitation.years, limitation.basis), (years, basis));
        assert_eq!(limitation.starts_on, d(2020, 3, 10));
        assert!(!limitation.counted_from_invoice_date);
        assert_eq!(limitation.restarted, None);
        assert_eq!(limitation.deadline, deadline);
        assert!(!limitation.expired, "{basis}: the deadline is the last day");
        assert_eq!(on.next_limitation_deadline, Some(deadline));
        let after = claim.at(deadline + Days::new(1));
        assert!(after.invoices[0].limitation.expired, "{basis}");
    }
    // No completion date: from the invoice date, flagged.
    let st = ClaimBuilder::b2b()
        .invoice_with("F-1", dec!(1000.00), d(2020, 4, 14), |i| {
            i.issue_date = d(2020, 3, 15);
            i.service_completion_date = None;
        })
        .at(d(2021, 1, 1));
    let limitation = &st.invoices[0].limitation;
    assert!(limitation.counted_from_invoice_date);
    assert_eq!(limitation.starts_on, d(2020, 3, 15));
    assert_eq!(limitation.deadline, d(2025, 3, 15));
    assert_eq!(
        st.notes,
        [StatementNote::LimitationFromInvoiceDate {
            invoice: "F-1".to_owned()
        }]
    );
}

#[test]
fn interruptions_restart_a_full_period_unless_the_period_already_expired() {
    use InterruptionCause::{Acknowledgment, CourtAction, EnforcementMeasure, Payment};
    let base = || {
        ClaimBuilder::b2b().invoice_with("F-1", dec!(1000.00), d(2020, 4, 14), |i| {
            i.service_completion_date = Some(d(2020, 3, 10));
        })
    };
    let limitation = |claim: ClaimBuilder, as_of| claim.at(as_of).invoices[0].limitation.clone();

    let l = limitation(
        base().interruption(d(2023, 1, 10), Acknowledgment),
        d(2025, 6, 30),
    );
    assert_eq!(l.restarted, Some((d(2023, 1, 10), Acknowledgment)));
    assert_eq!(l.deadline, d(2028, 1, 10));
    assert_eq!(l.starts_on, d(2020, 3, 10));

    let l = limitation(
        base()
            .interruption(d(2024, 5, 2), CourtAction)
            .interruption(d(2023, 1, 10), Acknowledgment),
        d(2025, 6, 30),
    );
    assert_eq!(l.restarted, Some((d(2024, 5, 2), CourtAction)));
    assert_eq!(l.deadline, d(2029, 5, 2));

    let l = limitation(
        base().interruption(d(2021, 6, 1), EnforcementMeasure),
        d(2025, 6, 30),
    );
    assert_eq!(
        (l.restarted, l.deadline),
        (Some((d(2021, 6, 1), EnforcementMeasure)), d(2026, 6, 1))
    );

    // A payment imputed to the invoice acknowledges it (2240).
    let l = limitation(base().pay(dec!(10.00), d(2024, 9, 30)), d(2025, 6, 30));
    assert_eq!(l.restarted, Some((d(2024, 9, 30), Payment)));
    assert_eq!(l.deadline, d(2029, 9, 30));

    // Interruptions dated after the statement, or before the period started, are ignored.
    let l = limitation(
        base()
            .interruption(d(2025, 7, 1), Acknowledgment)
            .interruption(d(2020, 1, 1), Acknowledgment),
        d(2025, 3, 10),
    );
    assert_eq!(
        (l.restarted, l.deadline, l.expired),
        (None, d(2025, 3, 10), false)
    );

    // After expiry an interruption restarts nothing, and is flagged.
    let st = base()
        .interruption(d(2025, 3, 11), Acknowledgment)
        .at(d(2025, 6, 30));
    let l = &st.invoices[0].limitation;
    assert_eq!(
        (l.restarted, l.deadline, l.expired),
        (None, d(2025, 3, 10), true)
    );
    assert_eq!(
        st.notes,
        [StatementNote::InterruptionAfterExpiry {
            invoice: "F-1".to_owned(),
            on: d(2025, 3, 11),
        }]
    );
    // On the deadline day itself it still interrupts.
    let l = limitation(
        base().interruption(d(2025, 3, 10), Acknowledgment),
        d(2025, 6, 30),
    );
    assert_eq!((l.deadline, l.expired), (d(2030, 3, 10), false));
    // A consumer claim: 2 years from completion, restarted for 2 years.
    let l = limitation(
        ClaimBuilder::consumer()
            .invoice_with("F-1", dec!(1000.00), d(2024, 1, 31), |i| {
                i.service_completion_date = Some(d(2024, 1, 1));
            })
            .interruption(d(2025, 12, 31), Acknowledgment),
        d(2026, 6, 30),
    );
    assert_eq!(l.deadline, d(2027, 12, 31));
}

#[test]
fn the_next_limitation_deadline_is_the_earliest_of_invoices_still_owing() {
    let claim = ClaimBuilder::b2b()
        .invoice_with("A", dec!(1000.00), d(2020, 4, 14), |i| {
            i.service_completion_date = Some(d(2020, 3, 10));
        })
        .invoice_with("B", dec!(1000.00), d(2021, 7, 1), |i| {
            i.service_completion_date = Some(d(2021, 6, 1));
        })
        .invoice_with("C", dec!(1000.00), d(2022, 2, 14), |i| {
            i.service_completion_date = Some(d(2022, 1, 15));
        });
    assert_eq!(
        claim.at(d(2024, 12, 31)).next_limitation_deadline,
        Some(d(2025, 3, 10))
    );
    // A paid on its due date: its own deadline (restarted 14 Apr 2020 → 2025) no longer counts.
    let st = claim
        .clone()
        .pay_for(dec!(1000.00), d(2020, 4, 14), "A")
        .at(d(2024, 12, 31));
    assert_eq!(st.invoices[0].balance, dec!(0));
    assert_eq!(st.invoices[0].limitation.deadline, d(2025, 4, 14));
    assert_eq!(st.next_limitation_deadline, Some(d(2026, 6, 1)));
    // The conservative deadline without a statement is never later than the statement's.
    let conservative = conservative_limitation_deadline(claim.input(), false, d(2024, 12, 31));
    assert_eq!(conservative, Some(d(2025, 3, 10)));
    assert_eq!(
        conservative_limitation_deadline(claim.input(), true, d(2024, 12, 31)),
        None
    );
    // A payment not designated restarts A in the statement, not in the conservative figure.
    let paid = claim.clone().pay(dec!(100.00), d(2023, 1, 10));
    let st = paid.at(d(2024, 12, 31));
    assert_eq!(st.invoices[0].limitation.deadline, d(2028, 1, 10));
    assert_eq!(st.next_limitation_deadline, Some(d(2026, 6, 1)));
    let conservative = conservative_limitation_deadline(paid.input(), false, d(2024, 12, 31));
    assert_eq!(conservative, Some(d(2025, 3, 10)));
    assert!(conservative <= st.next_limitation_deadline);
    // Designated, both agree.
    let paid = claim.clone().pay_for(dec!(100.00), d(2023, 1, 10), "A");
    let st = paid.at(d(2024, 12, 31));
    let conservative = conservative_limitation_deadline(paid.input(), false, d(2024, 12, 31));
    assert_eq!(conservative, Some(d(2026, 6, 1)));
    assert_eq!(st.next_limitation_deadline, Some(d(2026, 6, 1)));
}

// ---------------------------------------------------------------------------------------------
// Unpublished rates (law-fr.md §2.3: 2026-S2 is not in the tables)
// ---------------------------------------------------------------------------------------------

#[test]
fn a_statement_needing_an_unpublished_semester_is_refused() {
    let s2 = semester("2026-S2");
    let refused = |kind| Err::<Statement, _>(RateError::NotPublished { semester: s2, kind });
    // B2B at ECB + 10: fine through 30 Jun 2026, refused from 1 Jul.
    let b2b = ClaimBuilder::b2b().invoice("F-1", dec!(1000.00), d(2026, 3, 31));
    let st = b2b.at(d(2026, 6, 30));
    assert_eq!(
        segments(&st.invoices[0]),
        [
            // 1 Apr → 30 Jun = 91 days: 1000 × 12.15 × 91 / 36500 = 30.2918 → 30.29
            seg("2026-04-01", "2026-06-30", 91, "1000", "12.15", "30.29"),
        ]
    );
    assert_eq!(b2b.try_at(d(2026, 7, 1)), refused(RateKind::EcbReference));
    assert_eq!(b2b.try_at(d(2027, 1, 1)), refused(RateKind::EcbReference));
    // Consumer and civil: the legal rate.
    for builder in [ClaimBuilder::consumer(), ClaimBuilder::civil()] {
        let claim = builder
            .invoice("F-1", dec!(1000.00), d(2026, 3, 31))
            .notice(d(2026, 5, 1));
        assert!(claim.try_at(d(2026, 6, 30)).is_ok());
        assert_eq!(
            claim.try_at(d(2026, 7, 1)),
            refused(RateKind::LegalInterest)
        );
    }
    // B2B after a judgment: the legal rate too.
    let judged = b2b.clone().judgment(d(2026, 5, 4), None);
    assert_eq!(
        judged.try_at(d(2026, 7, 1)),
        refused(RateKind::LegalInterest)
    );
    // A payment valued in 2026-S2 needs the rate up to its value date.
    let paid_late = b2b.clone().pay(dec!(100.00), d(2026, 8, 1));
    assert!(paid_late.try_at(d(2026, 6, 30)).is_ok());
    assert_eq!(
        paid_late.try_at(d(2026, 8, 1)),
        refused(RateKind::EcbReference)
    );
    // What needs no 2026-S2 rate still works: paid before, no notice, not yet due.
    let paid = b2b.clone().pay(dec!(1040.00) + dec!(30.29), d(2026, 6, 30));
    assert_eq!(paid.at(d(2026, 12, 31)).totals.owed, dec!(0));
    let no_notice = ClaimBuilder::consumer().invoice("F-1", dec!(1000.00), d(2026, 3, 31));
    assert!(no_notice.try_at(d(2026, 12, 31)).is_ok());
    let not_due = ClaimBuilder::b2b().invoice("F-1", dec!(1000.00), d(2026, 12, 31));
    assert!(not_due.try_at(d(2026, 12, 31)).is_ok());
    // A contractual rate needs no table; the floor is unknown.
    let st = ClaimBuilder::b2b()
        .invoice_with("F-1", dec!(1000.00), d(2026, 6, 30), |i| {
            i.contractual_rate = Some(dec!(12));
        })
        .at(d(2026, 7, 31));
    assert_eq!(
        bases(&st.invoices[0]),
        [InterestBasis::ContractualRate { floor: None }]
    );
}

// ---------------------------------------------------------------------------------------------
// Properties over random claims
// ---------------------------------------------------------------------------------------------

const LAST_PUBLISHED_DAY: (i32, u32, u32) = (2026, 6, 30);

fn last_published_day() -> NaiveDate {
    let (y, m, day) = LAST_PUBLISHED_DAY;
    d(y, m, day)
}

fn date_in(from: NaiveDate, to: NaiveDate) -> impl Strategy<Value = NaiveDate> {
    let span = u64::try_from((to - from).num_days()).expect("ordered");
    (0..=span).prop_map(move |n| from + Days::new(n))
}

#[derive(Debug, Clone)]
struct RandomInvoice {
    cents: i64,
    due: NaiveDate,
    term: u64,
    completion_before_issue: Option<u64>,
    contractual_rate: Option<Decimal>,
}

#[derive(Debug, Clone)]
struct RandomPayment {
    cents: i64,
    value_date: NaiveDate,
    designated: Option<usize>,
}

#[derive(Debug, Clone)]
struct RandomClaim {
    regime: InterestRegime,
    invoices: Vec<RandomInvoice>,
    payments: Vec<RandomPayment>,
    notice: Option<NaiveDate>,
    judgment: Option<(NaiveDate, Option<u64>)>,
    acknowledgment: Option<NaiveDate>,
    compound: bool,
    frozen: Option<NaiveDate>,
    conventions: Conventions,
}

impl RandomClaim {
    fn builder(&self) -> ClaimBuilder {
        let mut b = ClaimBuilder::new(self.regime);
        for (i, inv) in self.invoices.iter().enumerate() {
            b = b.invoice_with(
                &format!("F-{i}"),
                Decimal::new(inv.cents, 2),
                inv.due,
                |invoice| {
                    invoice.issue_date = inv.due - Days::new(inv.term);
                    invoice.service_completion_date = inv
                        .completion_before_issue
                        .map(|n| invoice.issue_date - Days::new(n));
                    invoice.contractual_rate = inv.contractual_rate;
                },
            );
        }
        for p in &self.payments {
            let designated = p
                .designated
                .and_then(|i| (i < self.invoices.len()).then(|| format!("F-{i}")));
            b = b.pay_designated(
                Decimal::new(p.cents, 2),
                p.value_date,
                designated.as_deref(),
            );
        }
        if let Some(received) = self.notice {
            b = b.notice(received);
        }
        if let Some((pronounced, enforceable)) = self.judgment {
            b = b.judgment(pronounced, enforceable.map(|n| pronounced + Days::new(n)));
        }
        if let Some(on) = self.acknowledgment {
            b = b.interruption(on, InterruptionCause::Acknowledgment);
        }
        b.facts.compound_interest = self.compound;
        b.facts.interest_frozen_from = self.frozen;
        b
    }

    fn statement(&self, as_of: NaiveDate) -> Statement {
        self.builder().at_with(as_of, &PUBLISHED, self.conventions)
    }

    fn without_payments(&self) -> RandomClaim {
        RandomClaim {
            payments: Vec::new(),
            ..self.clone()
        }
    }
}

/// A due date from 2019 to 2025; a third of them among a few month ends, so that invoices
/// share due dates and payments are shared pro rata.
fn random_due_date() -> impl Strategy<Value = NaiveDate> {
    prop_oneof![
        2 => date_in(d(2019, 1, 1), d(2025, 12, 31)),
        1 => prop::sample::select(vec![
            d(2022, 12, 31),
            d(2023, 6, 30),
            d(2024, 1, 31),
            d(2024, 2, 29),
            d(2025, 3, 31),
        ]),
    ]
}

fn random_invoice() -> impl Strategy<Value = RandomInvoice> {
    (
        1..=10_000_000_i64,
        random_due_date(),
        0..=90_u64,
        prop::option::weighted(0.8, 0..=60_u64),
        prop::option::weighted(0.2, (0..=2000_i64).prop_map(|bp| Decimal::new(bp, 2))),
    )
        .prop_map(|(cents, due, term, completion, rate)| RandomInvoice {
            cents,
            due,
            term,
            completion_before_issue: completion,
            contractual_rate: rate,
        })
}

fn random_payment() -> impl Strategy<Value = RandomPayment> {
    (
        1..=5_000_000_i64,
        date_in(d(2019, 1, 1), last_published_day()),
        prop::option::weighted(0.4, 0..6_usize),
    )
        .prop_map(|(cents, value_date, designated)| RandomPayment {
            cents,
            value_date,
            designated,
        })
}

fn random_claim() -> impl Strategy<Value = RandomClaim> {
    let regime = prop_oneof![
        3 => Just(InterestRegime::Commercial),
        1 => Just(InterestRegime::Consumer),
        1 => Just(InterestRegime::Civil),
    ];
    let dates = || date_in(d(2019, 1, 1), last_published_day());
    (
        regime,
        prop::collection::vec(random_invoice(), 1..=6),
        prop::collection::vec(random_payment(), 0..=6),
        prop::option::weighted(0.7, dates()),
        prop::option::weighted(0.15, (dates(), prop::option::of(0..=120_u64))),
        prop::option::weighted(0.2, dates()),
        any::<bool>(),
        prop::option::weighted(0.1, dates()),
        (any::<bool>(), any::<bool>()),
    )
        .prop_map(
            |(regime, invoices, payments, notice, judgment, ack, compound, frozen, (act, incl))| {
                RandomClaim {
                    regime,
                    invoices,
                    payments,
                    notice,
                    judgment,
                    acknowledgment: ack,
                    compound,
                    frozen,
                    conventions: Conventions {
                        day_count: if act {
                            DayCount::ActualActual
                        } else {
                            DayCount::Act365Fixed
                        },
                        count_start_day: incl,
                    },
                }
            },
        )
}

fn as_of() -> impl Strategy<Value = NaiveDate> {
    date_in(d(2019, 6, 1), last_published_day())
}

fn payments_valued_in(claim: &ClaimBuilder, after: NaiveDate, through: NaiveDate) -> Decimal {
    claim
        .payments
        .iter()
        .filter(|p| p.value_date > after && p.value_date <= through)
        .map(|p| p.amount.amount())
        .sum()
}

/// (a) Payments are conserved: each one's lines and excess sum to it; the totals' paid and
/// unapplied sum to the payments valued by `as_of`.
fn check_payments_conserved(claim: &ClaimBuilder, st: &Statement) -> Result<(), TestCaseError> {
    for p in &st.payments {
        let lines: Decimal = p.lines.iter().map(ImputationLine::total).sum();
        prop_assert_eq!(lines + p.unapplied, p.amount, "payment {:?}", p);
        prop_assert!(p.unapplied >= Decimal::ZERO);
        for l in &p.lines {
            prop_assert!(
                l.interest >= Decimal::ZERO
                    && l.fixed_indemnity >= Decimal::ZERO
                    && l.recovery_costs >= Decimal::ZERO
                    && l.principal >= Decimal::ZERO
                    && l.total() > Decimal::ZERO,
                "line {:?}",
                l
            );
        }
        if let Some(designated) = &p.designated_invoice {
            // The designated invoice, when it owed something, comes first.
            if let Some(first) = p.lines.first() {
                let owed_designated = p.lines.iter().any(|l| &l.invoice_number == designated);
                prop_assert!(!owed_designated || &first.invoice_number == designated);
            }
        }
    }
    let valued: Decimal = claim
        .payments
        .iter()
        .filter(|p| p.value_date <= st.as_of)
        .map(|p| p.amount.amount())
        .sum();
    prop_assert_eq!(st.totals.paid + st.totals.unapplied, valued);
    prop_assert_eq!(
        st.payments.len(),
        claim
            .payments
            .iter()
            .filter(|p| p.value_date <= st.as_of)
            .count()
    );
    let paid_per_invoice: Decimal = st.invoices.iter().map(|i| i.paid.total()).sum();
    prop_assert_eq!(paid_per_invoice, st.totals.paid);
    if st.totals.unapplied > Decimal::ZERO {
        // An excess means everything was paid; nothing accrues on nothing.
        prop_assert_eq!(st.totals.owed, Decimal::ZERO);
    }
    Ok(())
}

/// (c) Segments tile the period: contiguous, within one semester, `days` right, from the first
/// counted day to `as_of` (or the freeze, or the payment that cleared the principal).
fn check_segments_tile(claim: &RandomClaim, st: &Statement) -> Result<(), TestCaseError> {
    let end = match claim.frozen {
        Some(frozen) if frozen <= st.as_of => frozen,
        _ => st.as_of,
    };
    for inv in &st.invoices {
        let Some(anchor) = inv.interest_from else {
            prop_assert!(inv.segments.is_empty());
            continue;
        };
        prop_assert!(anchor >= inv.due_date);
        let first_counted = if claim.conventions.count_start_day {
            anchor
        } else {
            anchor + Days::new(1)
        };
        for s in &inv.segments {
            prop_assert_eq!(s.days, (s.last_day - s.first_day).num_days() + 1, "{:?}", s);
            prop_assert!(s.days >= 1);
            prop_assert_eq!(Semester::of(s.first_day), s.semester);
            prop_assert_eq!(Semester::of(s.last_day), s.semester);
            prop_assert!(s.base > Decimal::ZERO);
            prop_assert!(s.amount >= Decimal::ZERO);
            // The amount is the segment's own arithmetic, rounded half-up to the cent.
            let leap = NaiveDate::from_ymd_opt(s.first_day.year(), 2, 29).is_some();
            let divisor = if leap && claim.conventions.day_count == DayCount::ActualActual {
                dec!(36600)
            } else {
                dec!(36500)
            };
            let exact = s.base * s.rate * Decimal::from(s.days) / divisor;
            prop_assert_eq!(
                s.amount,
                exact.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
            );
        }
        for pair in inv.segments.windows(2) {
            prop_assert_eq!(pair[1].first_day, pair[0].last_day + Days::new(1));
        }
        let segment_sum: Decimal = inv.segments.iter().map(|s| s.amount).sum();
        prop_assert_eq!(segment_sum, inv.interest);
        let days: i64 = inv.segments.iter().map(|s| s.days).sum();
        match (inv.segments.first(), inv.segments.last()) {
            (Some(first), Some(last)) => {
                prop_assert_eq!(first.first_day, first_counted);
                prop_assert!(last.last_day <= end);
                prop_assert_eq!(days, (last.last_day - first_counted).num_days() + 1);
                if inv.outstanding_principal > Decimal::ZERO {
                    prop_assert_eq!(last.last_day, end, "{} stops early", inv.number);
                } else {
                    // Stopped on the value date of the payment that cleared the principal.
                    let cleared_by = st.payments.iter().any(|p| {
                        p.value_date == last.last_day
                            && p.lines.iter().any(|l| {
                                l.invoice_number == inv.number && l.principal > Decimal::ZERO
                            })
                    });
                    prop_assert!(
                        cleared_by || last.last_day == end,
                        "{} ended {}",
                        inv.number,
                        last.last_day
                    );
                }
            }
            _ => {
                // No segment: nothing to count yet, or the principal was paid before.
                prop_assert!(
                    first_counted > end || inv.paid.principal == inv.principal,
                    "{} has no segment",
                    inv.number
                );
            }
        }
    }
    Ok(())
}

/// (d) What is owed is what is outstanding; nothing is negative; each part is what accrued
/// less what was paid to it.
fn check_owed_adds_up(st: &Statement) -> Result<(), TestCaseError> {
    let t = &st.totals;
    prop_assert_eq!(
        t.owed,
        t.outstanding_principal + t.outstanding_interest + t.outstanding_accessories
    );
    for v in [
        t.owed,
        t.outstanding_principal,
        t.outstanding_interest,
        t.outstanding_accessories,
        t.interest,
        t.fixed_indemnities,
        t.recovery_costs,
        t.paid,
        t.unapplied,
    ] {
        prop_assert!(v >= Decimal::ZERO, "{:?}", t);
    }
    let mut principal = Decimal::ZERO;
    for inv in &st.invoices {
        prop_assert_eq!(
            inv.balance,
            inv.outstanding_principal + inv.outstanding_interest + inv.outstanding_accessories
        );
        prop_assert!(inv.outstanding_principal >= Decimal::ZERO);
        prop_assert!(inv.outstanding_interest >= Decimal::ZERO);
        prop_assert!(inv.outstanding_accessories >= Decimal::ZERO);
        prop_assert_eq!(
            inv.principal - inv.paid.principal,
            inv.outstanding_principal
        );
        prop_assert_eq!(inv.interest - inv.paid.interest, inv.outstanding_interest);
        prop_assert_eq!(
            inv.fixed_indemnity + inv.recovery_costs
                - inv.paid.fixed_indemnity
                - inv.paid.recovery_costs,
            inv.outstanding_accessories
        );
        prop_assert!(inv.fixed_indemnity == Decimal::ZERO || inv.fixed_indemnity == dec!(40));
        principal += inv.principal;
    }
    prop_assert_eq!(principal, t.principal);
    let owed: Decimal = st.invoices.iter().map(|i| i.balance).sum();
    prop_assert_eq!(owed, t.owed);
    Ok(())
}

/// The deadline computed without a statement is never later than the statement's.
fn check_conservative_deadline(claim: &ClaimBuilder, st: &Statement) -> Result<(), TestCaseError> {
    let conservative = conservative_limitation_deadline(claim.input(), false, st.as_of);
    if let Some(deadline) = st.next_limitation_deadline {
        prop_assert!(
            conservative.is_some_and(|c| c <= deadline),
            "conservative {:?} vs statement {}",
            conservative,
            deadline
        );
    }
    for inv in &st.invoices {
        prop_assert_eq!(inv.limitation.expired, st.as_of > inv.limitation.deadline);
        prop_assert!(inv.limitation.deadline >= inv.limitation.starts_on);
    }
    let owing: Vec<NaiveDate> = st
        .invoices
        .iter()
        .filter(|i| i.balance > Decimal::ZERO)
        .map(|i| i.limitation.deadline)
        .collect();
    prop_assert_eq!(st.next_limitation_deadline, owing.into_iter().min());
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// (a), (c), (d) and the limitation deadlines, on any claim at any date up to the last
    /// published semester.
    #[test]
    fn statements_conserve_payments_tile_segments_and_add_up(
        claim in random_claim(),
        as_of in as_of(),
    ) {
        let builder = claim.builder();
        let st = claim.statement(as_of);
        check_payments_conserved(&builder, &st)?;
        check_segments_tile(&claim, &st)?;
        check_owed_adds_up(&st)?;
        check_conservative_deadline(&builder, &st)?;
    }

    /// (b) Without payments, what is owed never drops from one day to the next (60 days on).
    #[test]
    fn without_payments_what_is_owed_never_drops(
        claim in random_claim(),
        as_of in date_in(d(2019, 6, 1), last_published_day() - Days::new(60)),
    ) {
        let claim = claim.without_payments();
        let mut previous = claim.statement(as_of).totals.owed;
        for k in 1..=60 {
            let day = as_of + Days::new(k);
            let owed = claim.statement(day).totals.owed;
            prop_assert!(
                owed >= previous,
                "owed {} on {} < {} the day before", owed, day, previous
            );
            previous = owed;
        }
    }

    /// (b) With payments: between two dates, what is owed drops at most by what was paid in
    /// between: owed(d2) ≥ owed(d1) − payments valued in (d1, d2].
    #[test]
    fn what_is_owed_drops_only_by_what_is_paid(
        claim in random_claim(),
        d1 in as_of(),
        gap in 0..800_u64,
    ) {
        let d2 = (d1 + Days::new(gap)).min(last_published_day());
        let builder = claim.builder();
        let owed1 = claim.statement(d1).totals.owed;
        let owed2 = claim.statement(d2).totals.owed;
        let paid = payments_valued_in(&builder, d1, d2);
        prop_assert!(
            owed2 >= owed1 - paid,
            "owed {} on {} < {} on {} less {} paid", owed2, d2, owed1, d1, paid
        );
    }
}
