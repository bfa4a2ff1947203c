//! Due dates from payment terms (délais de paiement), C. com. L441-10 I.

use chrono::{Datelike, Days, NaiveDate};

/// The longest term that may be agreed between professionals, in days after the invoice date
/// (C. com. L441-10 I al. 2).
pub const MAX_AGREED_DAYS: u16 = 60;

/// The payment terms an invoice gives instead of a due date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentTerms {
    /// Nothing agreed: 30 days after receipt of the goods or performance of the service
    /// (C. com. L441-10 I al. 1).
    Default30,
    /// An agreed number of days after the invoice date.
    Net(u16),
    /// 45 days end of month (45 jours fin de mois), expressly agreed (L441-10 I al. 3).
    EndOfMonth45,
}

impl PaymentTerms {
    /// The stored name of the kind.
    pub fn kind_str(self) -> &'static str {
        match self {
            PaymentTerms::Default30 => "default_30",
            PaymentTerms::Net(_) => "net_days",
            PaymentTerms::EndOfMonth45 => "end_of_month_45",
        }
    }

    /// Rebuilds terms from their stored kind and days.
    pub fn parse(kind: &str, days: Option<i32>) -> Option<PaymentTerms> {
        match kind {
            "default_30" => Some(PaymentTerms::Default30),
            "net_days" => days
                .and_then(|d| u16::try_from(d).ok())
                .map(PaymentTerms::Net),
            "end_of_month_45" => Some(PaymentTerms::EndOfMonth45),
            _ => None,
        }
    }

    /// The agreed days, for [`PaymentTerms::Net`].
    pub fn days(self) -> Option<u16> {
        match self {
            PaymentTerms::Net(days) => Some(days),
            _ => None,
        }
    }
}

/// The two ways of counting "45 days end of month" the DGCCRF accepts (law-fr.md §1.1);
/// each creditor states which its contracts use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EndOfMonthMethod {
    /// (A) invoice date + 45 days, then the end of that month.
    #[default]
    AddThenEndOfMonth,
    /// (B) end of the invoice's month, then + 45 days.
    EndOfMonthThenAdd,
}

impl EndOfMonthMethod {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            EndOfMonthMethod::AddThenEndOfMonth => "add_then_end_of_month",
            EndOfMonthMethod::EndOfMonthThenAdd => "end_of_month_then_add",
        }
    }

    /// Parses the stored name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "add_then_end_of_month" => Some(EndOfMonthMethod::AddThenEndOfMonth),
            "end_of_month_then_add" => Some(EndOfMonthMethod::EndOfMonthThenAdd),
            _ => None,
        }
    }
}

/// The last day of `date`'s month.
pub fn end_of_month(date: NaiveDate) -> NaiveDate {
    let (year, month) = if date.month() == 12 {
        (date.year() + 1, 1)
    } else {
        (date.year(), date.month() + 1)
    };
    NaiveDate::from_ymd_opt(year, month, 1)
        .and_then(|first| first.pred_opt())
        .unwrap_or(date)
}

/// A due date derived from payment terms, and what it was counted from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DerivedDueDate {
    /// The due date.
    pub due_date: NaiveDate,
    /// True when the default 30 days were counted from the invoice date because the
    /// service-completion (or delivery) date is unknown: flag it for review.
    pub counted_from_invoice_date: bool,
    /// True when agreed terms exceed the L441-10 I cap of 60 days (between professionals
    /// this is a fined breach, L441-16, but the debt falls due when agreed).
    pub exceeds_legal_cap: bool,
}

/// The due date `terms` give an invoice issued on `issue_date` (C. com. L441-10 I).
pub fn due_date(
    terms: PaymentTerms,
    issue_date: NaiveDate,
    service_completion_date: Option<NaiveDate>,
    method: EndOfMonthMethod,
) -> DerivedDueDate {
    let plus = |date: NaiveDate, days: u16| {
        date.checked_add_days(Days::new(u64::from(days)))
            .unwrap_or(NaiveDate::MAX)
    };
    match terms {
        PaymentTerms::Default30 => DerivedDueDate {
            due_date: plus(service_completion_date.unwrap_or(issue_date), 30),
            counted_from_invoice_date: service_completion_date.is_none(),
            exceeds_legal_cap: false,
        },
        PaymentTerms::Net(days) => DerivedDueDate {
            due_date: plus(issue_date, days),
            counted_from_invoice_date: false,
            exceeds_legal_cap: days > MAX_AGREED_DAYS,
        },
        PaymentTerms::EndOfMonth45 => DerivedDueDate {
            due_date: match method {
                EndOfMonthMethod::AddThenEndOfMonth => end_of_month(plus(issue_date, 45)),
                EndOfMonthMethod::EndOfMonthThenAdd => plus(end_of_month(issue_date), 45),
            },
            counted_from_invoice_date: false,
            exceeds_legal_cap: false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("valid date")
    }

    #[test]
    fn end_of_month_handles_december_and_leap_february() {
        assert_eq!(end_of_month(d(2024, 2, 3)), d(2024, 2, 29));
        assert_eq!(end_of_month(d(2025, 2, 28)), d(2025, 2, 28));
        assert_eq!(end_of_month(d(2025, 12, 1)), d(2025, 12, 31));
    }
}
