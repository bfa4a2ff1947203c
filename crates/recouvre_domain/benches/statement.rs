//! Statement throughput on one thread: how many statements of account per second the engine
//! computes for a realistic claim. No framework: warm up, then loop for about five seconds
//! and report statements/second and the mean time per statement, by the wall clock
//! (`Instant`) and, on Linux, by the time the thread actually ran (its scheduler statistics),
//! which is what matters when other processes share the cores.
//!
//! Run: `CARGO_TARGET_DIR=/tmp/target-domain cargo bench -p recouvre_domain --bench statement`

use std::hint::black_box;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use recouvre_domain::rates::RateTable;
use recouvre_domain::statement::{
    Conventions, FormalNoticeDelivery, InterestRegime, LegalFacts, StatementInput, statement,
};
use recouvre_domain::{Currency, Invoice, Money, Payment, PaymentId, PaymentMethod};
use rust_decimal::Decimal;

const WARM_UP: Duration = Duration::from_secs(1);
const MEASURE: Duration = Duration::from_secs(5);

/// Nanoseconds this thread has run on a CPU (Linux `schedstat`); `None` elsewhere.
fn thread_cpu_ns() -> Option<u64> {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).expect("valid date")
}

fn eur(cents: i64) -> Money {
    Money::new(Decimal::new(cents, 2), Currency::EUR).expect("valid amount")
}

/// A claim of 10 invoices falling due from January to June 2024 and 5 payments up to
/// September 2025: with `as_of` 31 Dec 2025 the delay spans 2024-S1 to 2025-S2.
struct Case {
    name: &'static str,
    regime: InterestRegime,
    invoices: Vec<Invoice>,
    payments: Vec<Payment>,
    facts: LegalFacts,
    as_of: NaiveDate,
}

fn invoices() -> Vec<Invoice> {
    // Two per month: the 15th and the last day; 2 000.00 to 9 200.00 EUR.
    let dues = [
        d(2024, 1, 15),
        d(2024, 1, 31),
        d(2024, 2, 15),
        d(2024, 2, 29),
        d(2024, 3, 15),
        d(2024, 3, 31),
        d(2024, 4, 15),
        d(2024, 4, 30),
        d(2024, 5, 15),
        d(2024, 6, 30),
    ];
    dues.iter()
        .enumerate()
        .map(|(i, &due)| Invoice {
            number: format!("FA-2024-{:04}", i + 1),
            issue_date: due - chrono::Days::new(30),
            service_completion_date: Some(due - chrono::Days::new(35)),
            due_date: due,
            payment_terms: None,
            amount: eur(200_000 + 80_000 * i64::try_from(i).expect("small")),
            contractual_rate: None,
        })
        .collect()
}

fn payments() -> Vec<Payment> {
    let rows: [(i64, NaiveDate, Option<&str>); 5] = [
        (500_000, d(2024, 3, 20), None),
        (800_000, d(2024, 7, 31), None),
        (300_000, d(2024, 12, 20), Some("FA-2024-0010")),
        (600_000, d(2025, 4, 30), None),
        (400_000, d(2025, 9, 30), None),
    ];
    rows.iter()
        .enumerate()
        .map(|(i, (cents, value_date, invoice))| Payment {
            id: PaymentId(uuid::Uuid::from_u128(0x9000 + i as u128)),
            amount: eur(*cents),
            value_date: *value_date,
            method: PaymentMethod::BankTransfer,
            reference: format!("VIR-{i}"),
            invoice_number: invoice.map(str::to_owned),
        })
        .collect()
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "B2B, ECB + 10, 10 invoices, 5 payments, 4 semesters",
            regime: InterestRegime::Commercial,
            invoices: invoices(),
            payments: payments(),
            facts: LegalFacts::default(),
            as_of: d(2025, 12, 31),
        },
        Case {
            name: "consumer, legal rate from the formal notice, 10 invoices, 5 payments",
            regime: InterestRegime::Consumer,
            invoices: invoices(),
            payments: payments(),
            facts: LegalFacts {
                formal_notice: Some(FormalNoticeDelivery {
                    sent_on: d(2024, 2, 12),
                    received_on: d(2024, 2, 15),
                    tracking_number: "1A 234 567 8901 2".to_owned(),
                }),
                ..LegalFacts::default()
            },
            as_of: d(2025, 12, 31),
        },
    ]
}

fn main() {
    let rates = RateTable::published();
    let conventions = Conventions::default();
    for case in cases() {
        let input = StatementInput {
            currency: Currency::EUR,
            regime: case.regime,
            invoices: &case.invoices,
            payments: &case.payments,
            facts: &case.facts,
        };
        let run = || {
            statement(
                black_box(input),
                black_box(&rates),
                black_box(case.as_of),
                conventions,
            )
            .expect("rates are published")
        };
        let sample = run();
        let segments: usize = sample.invoices.iter().map(|i| i.segments.len()).sum();
        // Warm up.
        let start = Instant::now();
        while start.elapsed() < WARM_UP {
            black_box(run());
        }
        // Measure, looking at the clock every 256 statements.
        let mut count: u64 = 0;
        let cpu_start = thread_cpu_ns();
        let start = Instant::now();
        let elapsed = loop {
            for _ in 0..256 {
                black_box(run());
            }
            count += 256;
            let elapsed = start.elapsed();
            if elapsed >= MEASURE {
                break elapsed;
            }
        };
        let cpu = cpu_start
            .zip(thread_cpu_ns())
            .map(|(a, b)| Duration::from_nanos(b.saturating_sub(a)).as_secs_f64());
        let secs = elapsed.as_secs_f64();
        println!("{}", case.name);
        println!(
            "  owed {} EUR, interest {} EUR, {} segments, {} payments imputed",
            sample.totals.owed,
            sample.totals.interest,
            segments,
            sample.payments.len()
        );
        println!(
            "  {count} statements in {secs:.2} s: {:.0} statements/s, {:.2} µs/statement",
            count as f64 / secs,
            secs * 1e6 / count as f64
        );
        if let Some(cpu) = cpu.filter(|c| *c > 0.0) {
            println!(
                "  on CPU {cpu:.2} s of {secs:.2} s: {:.0} statements/s, {:.2} µs/statement",
                count as f64 / cpu,
                cpu * 1e6 / count as f64
            );
        }
    }
}
