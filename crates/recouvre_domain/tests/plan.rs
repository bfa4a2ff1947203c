//! Payment plans (échéancier): validation of a proposed schedule, the equal split, how payments
//! cover instalments (oldest first) and when an instalment is missed. Then properties over
//! random amounts, counts and payments: the split is exact and valid, coverage conserves money,
//! and `next_check` agrees with `missed_instalment`.

use chrono::{Days, NaiveDate};
use proptest::prelude::*;
use recouvre_domain::claim::FieldViolation;
use recouvre_domain::plan::{
    Coverage, Instalment, MAX_GRACE_DAYS, MAX_INSTALMENTS, MAX_PLAN_MONTHS, PaymentPlan,
    PlanStatus, equal_instalments, plan_violations,
};
use recouvre_domain::{Currency, Money};
use rust_decimal::Decimal;

// ---------------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------------

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).expect("valid date")
}

fn eur(amount: &str) -> Money {
    Money::parse(amount, "EUR").expect("valid amount")
}

fn money(amount: &str, code: &str) -> Money {
    Money::parse(amount, code).expect("valid amount")
}

fn inst(due_date: NaiveDate, amount: Money) -> Instalment {
    Instalment { due_date, amount }
}

/// The day every proposal in the validation table is made.
fn today() -> NaiveDate {
    d(2025, 1, 15)
}

/// A valid schedule for 1000.00 EUR proposed on [`today`].
fn valid_schedule() -> Vec<Instalment> {
    vec![
        inst(d(2025, 2, 10), eur("333.33")),
        inst(d(2025, 3, 10), eur("333.33")),
        inst(d(2025, 4, 10), eur("333.34")),
    ]
}

fn violations(pairs: &[(&str, &str)]) -> Vec<FieldViolation> {
    pairs
        .iter()
        .map(|(field, description)| FieldViolation::new(*field, *description))
        .collect()
}

/// A plan over `instalments`, proposed on 2 January 2025, with `paid` paid.
fn plan(instalments: Vec<Instalment>, grace_days: u32, paid: Money) -> PaymentPlan {
    let currency = instalments
        .first()
        .map_or(Currency::EUR, |i| i.amount.currency());
    let total = instalments
        .iter()
        .try_fold(Money::zero(currency), |sum, i| sum.checked_add(i.amount))
        .expect("the test schedule sums");
    PaymentPlan {
        instalments,
        grace_days,
        total,
        status: PlanStatus::Active,
        proposed_on: d(2025, 1, 2),
        agreed_on: Some(d(2025, 1, 3)),
        paid,
    }
}

/// 1000.00 EUR in three: 333.33 on 10 February, 333.33 on 10 March, 333.34 on 10 April.
fn thirds(paid: &str) -> PaymentPlan {
    plan(valid_schedule(), 5, eur(paid))
}

// ---------------------------------------------------------------------------------------------
// plan_violations
// ---------------------------------------------------------------------------------------------

#[test]
fn a_valid_plan_is_accepted() {
    assert_eq!(
        plan_violations(&valid_schedule(), 5, eur("1000.00"), today()),
        vec![]
    );
    // Bounds included: first instalment today, last exactly 36 months later, a month of grace.
    let at_the_bounds = [
        inst(today(), eur("500.00")),
        inst(d(2028, 1, 15), eur("500.00")),
    ];
    assert_eq!(
        plan_violations(&at_the_bounds, MAX_GRACE_DAYS, eur("1000.00"), today()),
        vec![]
    );
    // A single instalment, and the most instalments allowed (weekly, 1.00 EUR each).
    assert_eq!(
        plan_violations(
            &[inst(d(2025, 2, 1), eur("1000.00"))],
            0,
            eur("1000.00"),
            today()
        ),
        vec![]
    );
    let weekly: Vec<Instalment> = (0..MAX_INSTALMENTS as u64)
        .map(|k| inst(d(2025, 1, 20) + Days::new(7 * k), eur("1.00")))
        .collect();
    assert_eq!(plan_violations(&weekly, 0, eur("60.00"), today()), vec![]);
}

/// (case, instalments, grace days, owed, expected violations), all proposed on 15 January 2025.
#[test]
fn each_violation_is_reported() {
    let weekly = |n: u64| -> Vec<Instalment> {
        (0..n)
            .map(|k| inst(d(2025, 1, 20) + Days::new(7 * k), eur("1.00")))
            .collect()
    };
    let with = |i: usize, instalment: Instalment| {
        let mut schedule = valid_schedule();
        schedule[i] = instalment;
        schedule
    };
    let strictly = "due dates must be strictly increasing";
    type Row = (
        &'static str,
        Vec<Instalment>,
        u32,
        Money,
        Vec<FieldViolation>,
    );
    let rows: Vec<Row> = vec![
        (
            "no instalment",
            vec![],
            5,
            eur("1000.00"),
            violations(&[("instalments", "at least one instalment is required")]),
        ),
        (
            "too many instalments",
            weekly(61),
            5,
            eur("61.00"),
            violations(&[("instalments", "at most 60 instalments per plan")]),
        ),
        (
            "sum short",
            with(2, inst(d(2025, 4, 10), eur("233.34"))),
            5,
            eur("1000.00"),
            violations(&[(
                "instalments",
                "instalments sum to 900.00 EUR, 100.00 EUR short of the 1000.00 EUR owed",
            )]),
        ),
        (
            "sum over",
            with(2, inst(d(2025, 4, 10), eur("433.34"))),
            5,
            eur("1000.00"),
            violations(&[(
                "instalments",
                "instalments sum to 1100.00 EUR, 100.00 EUR more than the 1000.00 EUR owed",
            )]),
        ),
        (
            "sum off by one cent",
            with(2, inst(d(2025, 4, 10), eur("333.33"))),
            5,
            eur("1000.00"),
            violations(&[(
                "instalments",
                "instalments sum to 999.99 EUR, 0.01 EUR short of the 1000.00 EUR owed",
            )]),
        ),
        (
            "sum beyond the largest amount",
            vec![
                inst(d(2025, 2, 10), eur("999999999999999.99")),
                inst(d(2025, 3, 10), eur("999999999999999.99")),
            ],
            5,
            eur("1000.00"),
            violations(&[(
                "instalments",
                "instalments sum to more than the largest supported amount, more than the 1000.00 EUR owed",
            )]),
        ),
        (
            "unsorted dates",
            with(1, inst(d(2025, 2, 1), eur("333.33"))),
            5,
            eur("1000.00"),
            violations(&[(
                "instalments[1].due_date",
                &format!("must be after instalments[0].due_date (2025-02-10): {strictly}"),
            )]),
        ),
        (
            "duplicate dates",
            with(1, inst(d(2025, 2, 10), eur("333.33"))),
            5,
            eur("1000.00"),
            violations(&[(
                "instalments[1].due_date",
                &format!(
                    "falls on the same day as instalments[0].due_date (2025-02-10): {strictly}"
                ),
            )]),
        ),
        (
            "first date in the past",
            with(0, inst(d(2025, 1, 14), eur("333.33"))),
            5,
            eur("1000.00"),
            violations(&[(
                "instalments[0].due_date",
                "must not be before today (2025-01-15)",
            )]),
        ),
        (
            "zero amount",
            vec![
                inst(d(2025, 2, 10), eur("0.00")),
                inst(d(2025, 3, 10), eur("500.00")),
                inst(d(2025, 4, 10), eur("500.00")),
            ],
            5,
            eur("1000.00"),
            violations(&[("instalments[0].amount.amount", "must be greater than zero")]),
        ),
        (
            "wrong currency (the sum is then not checked)",
            with(1, inst(d(2025, 3, 10), money("333.33", "USD"))),
            5,
            eur("1000.00"),
            violations(&[(
                "instalments[1].amount.currency_code",
                "must be EUR, the currency of the amount owed",
            )]),
        ),
        (
            "too long: one day past 36 months",
            with(2, inst(d(2028, 1, 16), eur("333.34"))),
            5,
            eur("1000.00"),
            violations(&[(
                "instalments[2].due_date",
                "must be on or before 2028-01-15, 36 months after today",
            )]),
        ),
        (
            "grace too long",
            valid_schedule(),
            MAX_GRACE_DAYS + 1,
            eur("1000.00"),
            violations(&[("grace_days", "must be at most 30 days")]),
        ),
        (
            "nothing owed",
            vec![inst(d(2025, 2, 10), eur("0.01"))],
            5,
            eur("0.00"),
            violations(&[(
                "instalments",
                "instalments sum to 0.01 EUR, 0.01 EUR more than the 0.00 EUR owed",
            )]),
        ),
    ];
    for (case, instalments, grace_days, owed, expected) in rows {
        assert_eq!(
            plan_violations(&instalments, grace_days, owed, today()),
            expected,
            "{case}"
        );
    }
}

#[test]
fn every_violation_is_reported_at_once() {
    let schedule = [
        inst(d(2025, 1, 10), eur("0.00")),
        inst(d(2025, 1, 10), eur("400.00")),
        inst(d(2028, 2, 20), eur("300.00")),
        inst(d(2028, 2, 1), money("300", "JPY")),
    ];
    assert_eq!(
        plan_violations(&schedule, 45, eur("1000.00"), today()),
        violations(&[
            (
                "instalments[0].due_date",
                "must not be before today (2025-01-15)"
            ),
            ("instalments[0].amount.amount", "must be greater than zero"),
            (
                "instalments[1].due_date",
                "must not be before today (2025-01-15)"
            ),
            (
                "instalments[1].due_date",
                "falls on the same day as instalments[0].due_date (2025-01-10): due dates must be strictly increasing",
            ),
            (
                "instalments[2].due_date",
                "must be on or before 2028-01-15, 36 months after today",
            ),
            (
                "instalments[3].due_date",
                "must be on or before 2028-01-15, 36 months after today",
            ),
            (
                "instalments[3].due_date",
                "must be after instalments[2].due_date (2028-02-20): due dates must be strictly increasing",
            ),
            (
                "instalments[3].amount.currency_code",
                "must be EUR, the currency of the amount owed",
            ),
            ("grace_days", "must be at most 30 days"),
        ])
    );
    // Without the foreign instalment, the sum is checked too.
    assert_eq!(
        plan_violations(&schedule[..3], 45, eur("1000.00"), today()).last(),
        Some(&FieldViolation::new(
            "grace_days",
            "must be at most 30 days"
        ))
    );
    assert!(
        plan_violations(&schedule[..3], 45, eur("1000.00"), today()).contains(
            &FieldViolation::new(
                "instalments",
                "instalments sum to 700.00 EUR, 300.00 EUR short of the 1000.00 EUR owed",
            )
        )
    );
}

#[test]
fn the_cap_is_36_months_clamped_to_the_month_end() {
    assert_eq!(MAX_PLAN_MONTHS, 36);
    // Proposed on 29 February 2024: the cap is 28 February 2027 (no 29th that year).
    let proposed = d(2024, 2, 29);
    let ok = [inst(d(2027, 2, 28), eur("10.00"))];
    let late = [inst(d(2027, 3, 1), eur("10.00"))];
    assert_eq!(plan_violations(&ok, 0, eur("10.00"), proposed), vec![]);
    assert_eq!(
        plan_violations(&late, 0, eur("10.00"), proposed),
        violations(&[(
            "instalments[0].due_date",
            "must be on or before 2027-02-28, 36 months after today",
        )])
    );
}

#[test]
fn propose_builds_a_proposed_plan_or_reports_every_violation() {
    let plan =
        PaymentPlan::propose(valid_schedule(), 5, eur("1000.00"), today()).expect("valid schedule");
    assert_eq!(
        plan,
        PaymentPlan {
            instalments: valid_schedule(),
            grace_days: 5,
            total: eur("1000.00"),
            status: PlanStatus::Proposed,
            proposed_on: today(),
            agreed_on: None,
            paid: eur("0.00"),
        }
    );
    assert_eq!(
        PaymentPlan::propose(valid_schedule(), 31, eur("900.00"), today()),
        Err(plan_violations(
            &valid_schedule(),
            31,
            eur("900.00"),
            today()
        ))
    );
}

#[test]
fn status_names_round_trip() {
    let all = [
        (PlanStatus::Proposed, "proposed"),
        (PlanStatus::Active, "active"),
        (PlanStatus::Completed, "completed"),
        (PlanStatus::Defaulted, "defaulted"),
        (PlanStatus::Cancelled, "cancelled"),
    ];
    for (status, name) in all {
        assert_eq!(status.as_str(), name);
        assert_eq!(PlanStatus::parse(name), Some(status));
    }
    for unknown in ["", "Active", "canceled", "paid"] {
        assert_eq!(PlanStatus::parse(unknown), None, "{unknown:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// equal_instalments
// ---------------------------------------------------------------------------------------------

/// (owed, currency, count, first due date, expected (due date, amount) per instalment).
#[test]
fn equal_instalments_table() {
    type Row = (
        &'static str,
        &'static str,
        u32,
        NaiveDate,
        Vec<(NaiveDate, &'static str)>,
    );
    let rows: Vec<Row> = vec![
        // Rounded down to the cent, the remainder on the last.
        (
            "1000.00",
            "EUR",
            3,
            d(2025, 2, 10),
            vec![
                (d(2025, 2, 10), "333.33"),
                (d(2025, 3, 10), "333.33"),
                (d(2025, 4, 10), "333.34"),
            ],
        ),
        // 100.00 / 7 = 14.2857…: six of 14.28, the last 100.00 − 85.68 = 14.32.
        (
            "100.00",
            "EUR",
            7,
            d(2025, 1, 5),
            vec![
                (d(2025, 1, 5), "14.28"),
                (d(2025, 2, 5), "14.28"),
                (d(2025, 3, 5), "14.28"),
                (d(2025, 4, 5), "14.28"),
                (d(2025, 5, 5), "14.28"),
                (d(2025, 6, 5), "14.28"),
                (d(2025, 7, 5), "14.32"),
            ],
        ),
        (
            "1000.00",
            "EUR",
            1,
            d(2025, 2, 10),
            vec![(d(2025, 2, 10), "1000.00")],
        ),
        // The smallest split: one cent each.
        (
            "0.03",
            "EUR",
            3,
            d(2025, 2, 10),
            vec![
                (d(2025, 2, 10), "0.01"),
                (d(2025, 3, 10), "0.01"),
                (d(2025, 4, 10), "0.01"),
            ],
        ),
        // Other minor units: none in JPY, three in KWD.
        (
            "1000",
            "JPY",
            3,
            d(2025, 2, 10),
            vec![
                (d(2025, 2, 10), "333"),
                (d(2025, 3, 10), "333"),
                (d(2025, 4, 10), "334"),
            ],
        ),
        (
            "1.000",
            "KWD",
            3,
            d(2025, 2, 10),
            vec![
                (d(2025, 2, 10), "0.333"),
                (d(2025, 3, 10), "0.333"),
                (d(2025, 4, 10), "0.334"),
            ],
        ),
        // Month ends: the 31st clamps to the end of shorter months and comes back.
        (
            "400.00",
            "EUR",
            4,
            d(2025, 1, 31),
            vec![
                (d(2025, 1, 31), "100.00"),
                (d(2025, 2, 28), "100.00"),
                (d(2025, 3, 31), "100.00"),
                (d(2025, 4, 30), "100.00"),
            ],
        ),
        // Leap year: 29 February 2024, and 29 February itself as the first due date.
        (
            "300.00",
            "EUR",
            3,
            d(2024, 1, 31),
            vec![
                (d(2024, 1, 31), "100.00"),
                (d(2024, 2, 29), "100.00"),
                (d(2024, 3, 31), "100.00"),
            ],
        ),
        (
            "300.00",
            "EUR",
            3,
            d(2023, 12, 30),
            vec![
                (d(2023, 12, 30), "100.00"),
                (d(2024, 1, 30), "100.00"),
                (d(2024, 2, 29), "100.00"),
            ],
        ),
    ];
    for (owed, code, count, first_due, expected) in rows {
        let expected: Vec<Instalment> = expected
            .into_iter()
            .map(|(due, amount)| inst(due, money(amount, code)))
            .collect();
        assert_eq!(
            equal_instalments(money(owed, code), count, first_due),
            Ok(expected),
            "{owed} {code} in {count} from {first_due}"
        );
    }
    // From 29 February 2024 for a year: the 29th where it exists, the 28th in February 2025.
    let year = equal_instalments(eur("1300.00"), 13, d(2024, 2, 29)).expect("valid split");
    assert_eq!(year[1].due_date, d(2024, 3, 29));
    assert_eq!(year[12].due_date, d(2025, 2, 28));
}

#[test]
fn equal_instalments_refusals() {
    let first = d(2025, 2, 10);
    let rows: Vec<(Money, u32, NaiveDate, FieldViolation)> = vec![
        (
            eur("1000.00"),
            0,
            first,
            FieldViolation::new("instalment_count", "must be at least 1"),
        ),
        (
            eur("1000.00"),
            61,
            first,
            FieldViolation::new("instalment_count", "must be at most 60"),
        ),
        (
            eur("1000.00"),
            u32::MAX,
            first,
            FieldViolation::new("instalment_count", "must be at most 60"),
        ),
        (
            eur("0.02"),
            3,
            first,
            FieldViolation::new(
                "instalment_count",
                "must be at most 2: 0.02 EUR cannot be split into 3 non-zero instalments",
            ),
        ),
        (
            eur("0.00"),
            1,
            first,
            FieldViolation::new(
                "instalment_count",
                "nothing is owed (0.00 EUR), so there is nothing to split into instalments",
            ),
        ),
        (
            eur("1000.00"),
            2,
            NaiveDate::MAX,
            FieldViolation::new(
                "first_due_date",
                "is too late: the monthly due dates would run past the end of the calendar",
            ),
        ),
    ];
    for (owed, count, first_due, expected) in rows {
        assert_eq!(
            equal_instalments(owed, count, first_due),
            Err(expected),
            "{owed} in {count} from {first_due}"
        );
    }
    let sixty = equal_instalments(eur("1000.00"), 60, first).expect("60 is allowed");
    assert_eq!(sixty.len(), 60);
}

// ---------------------------------------------------------------------------------------------
// Coverage, missed instalments, what remains
// ---------------------------------------------------------------------------------------------

fn cov(covered: &str, outstanding: &str) -> Coverage {
    let outstanding = eur(outstanding);
    Coverage {
        covered: eur(covered),
        outstanding,
        fully_covered: outstanding.is_zero(),
    }
}

/// (paid, expected coverage of 333.33 / 333.33 / 333.34, remaining, complete) — payments fill
/// the oldest instalment first and spill over to the next.
#[test]
fn coverage_table() {
    let rows = [
        (
            "0.00",
            [
                cov("0.00", "333.33"),
                cov("0.00", "333.33"),
                cov("0.00", "333.34"),
            ],
            "1000.00",
            false,
        ),
        (
            "200.00",
            [
                cov("200.00", "133.33"),
                cov("0.00", "333.33"),
                cov("0.00", "333.34"),
            ],
            "800.00",
            false,
        ),
        (
            "333.33",
            [
                cov("333.33", "0.00"),
                cov("0.00", "333.33"),
                cov("0.00", "333.34"),
            ],
            "666.67",
            false,
        ),
        // Overpaying the first instalment covers part of the second.
        (
            "400.00",
            [
                cov("333.33", "0.00"),
                cov("66.67", "266.66"),
                cov("0.00", "333.34"),
            ],
            "600.00",
            false,
        ),
        (
            "999.99",
            [
                cov("333.33", "0.00"),
                cov("333.33", "0.00"),
                cov("333.33", "0.01"),
            ],
            "0.01",
            false,
        ),
        (
            "1000.00",
            [
                cov("333.33", "0.00"),
                cov("333.33", "0.00"),
                cov("333.34", "0.00"),
            ],
            "0.00",
            true,
        ),
        // More than the total: everything covered, the excess goes nowhere.
        (
            "1200.00",
            [
                cov("333.33", "0.00"),
                cov("333.33", "0.00"),
                cov("333.34", "0.00"),
            ],
            "0.00",
            true,
        ),
    ];
    for (paid, expected, remaining, complete) in rows {
        let plan = thirds(paid);
        assert_eq!(plan.coverage(), expected.to_vec(), "paid {paid}");
        assert_eq!(plan.remaining(), eur(remaining), "paid {paid}");
        assert_eq!(plan.is_complete(), complete, "paid {paid}");
    }
}

#[test]
fn next_instalment_is_what_remains_of_the_oldest_unpaid_one() {
    assert_eq!(
        thirds("0.00").next_instalment(),
        Some((0, inst(d(2025, 2, 10), eur("333.33"))))
    );
    assert_eq!(
        thirds("200.00").next_instalment(),
        Some((0, inst(d(2025, 2, 10), eur("133.33"))))
    );
    assert_eq!(
        thirds("400.00").next_instalment(),
        Some((1, inst(d(2025, 3, 10), eur("266.66"))))
    );
    assert_eq!(
        thirds("999.99").next_instalment(),
        Some((2, inst(d(2025, 4, 10), eur("0.01"))))
    );
    assert_eq!(thirds("1000.00").next_instalment(), None);
    assert_eq!(thirds("1500.00").next_instalment(), None);
}

/// Due 10 January and 10 February, 500.00 EUR each, 5 days of grace:
/// (paid, today, expected missed instalment index).
#[test]
fn missed_instalment_respects_the_grace_days_exactly() {
    let schedule = vec![
        inst(d(2025, 1, 10), eur("500.00")),
        inst(d(2025, 2, 10), eur("500.00")),
    ];
    let rows = [
        ("0.00", d(2025, 1, 10), None),
        ("0.00", d(2025, 1, 15), None),
        ("0.00", d(2025, 1, 16), Some(0)),
        ("0.00", d(2025, 3, 1), Some(0)),
        // A partial payment does not save the instalment.
        ("499.99", d(2025, 1, 16), Some(0)),
        ("500.00", d(2025, 1, 16), None),
        ("500.00", d(2025, 2, 15), None),
        ("500.00", d(2025, 2, 16), Some(1)),
        // Paying ahead: the second instalment is partly covered, still missed when short.
        ("700.00", d(2025, 2, 16), Some(1)),
        ("1000.00", d(2025, 2, 16), None),
        ("1000.00", d(2030, 1, 1), None),
    ];
    for (paid, today, expected) in rows {
        let plan = plan(schedule.clone(), 5, eur(paid));
        assert_eq!(
            plan.missed_instalment(today),
            expected.map(|i| (i, &schedule[i])),
            "paid {paid} on {today}"
        );
    }
    // Without grace, missed the day after the due date.
    let strict = plan(schedule.clone(), 0, eur("0.00"));
    assert_eq!(strict.missed_instalment(d(2025, 1, 10)), None);
    assert_eq!(
        strict.missed_instalment(d(2025, 1, 11)),
        Some((0, &schedule[0]))
    );
}

/// (grace days, paid, expected next check) for 500.00 EUR due 10 January and 10 February.
#[test]
fn next_check_is_the_first_day_an_unpaid_instalment_would_be_missed() {
    let schedule = vec![
        inst(d(2025, 1, 10), eur("500.00")),
        inst(d(2025, 2, 10), eur("500.00")),
    ];
    let rows = [
        (5, "0.00", Some(d(2025, 1, 16))),
        (5, "250.00", Some(d(2025, 1, 16))),
        (5, "500.00", Some(d(2025, 2, 16))),
        (5, "999.99", Some(d(2025, 2, 16))),
        (5, "1000.00", None),
        (0, "0.00", Some(d(2025, 1, 11))),
        (30, "500.00", Some(d(2025, 3, 13))),
    ];
    for (grace_days, paid, expected) in rows {
        let plan = plan(schedule.clone(), grace_days, eur(paid));
        assert_eq!(
            plan.next_check(),
            expected,
            "grace {grace_days}, paid {paid}"
        );
        if let Some(check) = expected {
            assert_eq!(
                plan.missed_instalment(check.pred_opt().expect("date")),
                None
            );
            assert!(plan.missed_instalment(check).is_some());
        }
    }
}

#[test]
fn queries_stay_total_on_inconsistent_plans() {
    // Paid in another currency: nothing covered, nothing complete, the whole total remains.
    let foreign = plan(valid_schedule(), 5, money("5000.00", "USD"));
    assert!(foreign.coverage().iter().all(|c| c.covered.is_zero()));
    assert!(!foreign.is_complete());
    assert_eq!(foreign.remaining(), eur("1000.00"));
    assert_eq!(
        foreign.next_instalment(),
        Some((0, inst(d(2025, 2, 10), eur("333.33"))))
    );
    // Due dates and grace at the end of the calendar saturate instead of overflowing.
    let far = plan(
        vec![inst(NaiveDate::MAX, eur("10.00"))],
        u32::MAX,
        eur("0.00"),
    );
    assert_eq!(far.next_check(), Some(NaiveDate::MAX));
    assert_eq!(far.missed_instalment(NaiveDate::MAX), None);
    // An empty plan has nothing to cover or miss.
    let empty = PaymentPlan {
        instalments: vec![],
        ..thirds("0.00")
    };
    assert_eq!(empty.coverage(), vec![]);
    assert_eq!(empty.next_check(), None);
    assert_eq!(empty.next_instalment(), None);
}

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

/// An amount owed in EUR, JPY or KWD, from one minor unit per instalment up to the largest
/// amount, often small; a count of instalments that fits in the 36-month cap; a first due date.
fn split_input() -> impl Strategy<Value = (Money, u32, NaiveDate)> {
    (
        prop_oneof![Just("EUR"), Just("JPY"), Just("KWD")],
        1..=MAX_PLAN_MONTHS + 1,
        any::<u64>(),
        any::<bool>(),
        0..3650_u64,
    )
        .prop_map(|(code, count, raw, small, offset)| {
            let currency = Currency::parse(code).expect("valid currency");
            let digits = currency.minor_digits();
            let largest = 10_i128.pow(15 + digits) - 1;
            let count_units = i128::from(count);
            let span = if small {
                1000
            } else {
                largest - count_units + 1
            };
            let units = count_units + i128::from(raw) % span;
            let owed = Money::new(Decimal::from_i128_with_scale(units, digits), currency)
                .expect("amount below 10^15");
            (owed, count, d(2024, 1, 1) + Days::new(offset))
        })
}

fn sum(amounts: impl IntoIterator<Item = Money>, currency: Currency) -> Money {
    amounts
        .into_iter()
        .try_fold(Money::zero(currency), Money::checked_add)
        .expect("the sum fits")
}

proptest! {
    #[test]
    fn equal_instalments_sum_exactly_and_pass_validation((owed, count, first_due) in split_input()) {
        let instalments = equal_instalments(owed, count, first_due).expect("a valid split");
        prop_assert_eq!(instalments.len(), count as usize);
        prop_assert_eq!(sum(instalments.iter().map(|i| i.amount), owed.currency()), owed);
        // All equal but the last, which is larger by less than `count` minor units.
        let first = instalments[0].amount;
        let last = instalments[instalments.len() - 1].amount;
        prop_assert!(instalments[..instalments.len() - 1].iter().all(|i| i.amount == first));
        let excess = last.checked_sub(first).expect("the last is the largest");
        prop_assert!(excess.amount().mantissa() < i128::from(count));
        prop_assert_eq!(plan_violations(&instalments, 0, owed, first_due), vec![]);
    }

    #[test]
    fn coverage_conserves_what_is_paid(
        (owed, count, first_due) in split_input(),
        paid_share in 0..=1200_u32,
        grace_days in 0..=MAX_GRACE_DAYS,
        today_offset in 0..1500_u64,
    ) {
        let instalments = equal_instalments(owed, count, first_due).expect("a valid split");
        let currency = owed.currency();
        // paid = owed × share / 1000, in minor units, rounded down: up to 120 % of the total.
        let units = owed.amount().mantissa() * i128::from(paid_share) / 1000;
        let capped = units.min(10_i128.pow(15 + currency.minor_digits()) - 1);
        let paid = Money::new(
            Decimal::from_i128_with_scale(capped, currency.minor_digits()),
            currency,
        )
        .expect("a valid amount");
        let plan = PaymentPlan {
            instalments,
            grace_days,
            total: owed,
            status: PlanStatus::Active,
            proposed_on: first_due,
            agreed_on: Some(first_due),
            paid,
        };
        let coverage = plan.coverage();
        let applied = if paid >= owed { owed } else { paid };
        prop_assert_eq!(sum(coverage.iter().map(|c| c.covered), currency), applied);
        prop_assert_eq!(plan.remaining().checked_add(applied).expect("fits"), owed);
        prop_assert_eq!(plan.is_complete(), paid >= owed);
        prop_assert_eq!(plan.next_check().is_none(), plan.is_complete());
        // Oldest first: fully covered instalments, then at most one partial, then nothing.
        let full = coverage.iter().take_while(|c| c.fully_covered).count();
        prop_assert!(coverage[full..].iter().skip(1).all(|c| c.covered.is_zero()));
        for (c, i) in coverage.iter().zip(&plan.instalments) {
            prop_assert_eq!(c.covered.checked_add(c.outstanding).expect("fits"), i.amount);
        }
        // A plan is missed exactly from its next check on.
        let today = first_due + Days::new(today_offset);
        prop_assert_eq!(
            plan.missed_instalment(today).is_some(),
            plan.next_check().is_some_and(|check| check <= today)
        );
        // What is missed is always the oldest instalment still owed.
        if let Some((missed, _)) = plan.missed_instalment(today) {
            prop_assert_eq!(plan.next_instalment().map(|(index, _)| index), Some(missed));
        }
    }
}
