//! Reference rates as data: the ECB main refinancing rate by effective date and the French
//! legal interest rates per semester (law-fr.md §2).
//!
//! The tables are shipped by migration and extended without a release (`recouvre admin
//! set-rate`, `RateService.SetRate`). A semester with no published value is refused with
//! [`RateError::NotPublished`]; nothing is ever extrapolated.

use std::fmt;

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;

/// A calendar half-year: S1 is January–June, S2 July–December. Legal interest rates are
/// fixed per semester (CMF L313-2, D313-1-A) and the L441-10 ECB reference changes only on
/// 1 January and 1 July.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Semester {
    year: i32,
    second: bool,
}

impl Semester {
    /// The semester `half` (1 or 2) of `year`.
    pub fn new(year: i32, half: u8) -> Option<Semester> {
        match half {
            1 => Some(Semester {
                year,
                second: false,
            }),
            2 => Some(Semester { year, second: true }),
            _ => None,
        }
    }

    /// The semester containing `date`.
    pub fn of(date: NaiveDate) -> Semester {
        Semester {
            year: date.year(),
            second: date.month() >= 7,
        }
    }

    /// The year.
    pub fn year(self) -> i32 {
        self.year
    }

    /// 1 or 2.
    pub fn half(self) -> u8 {
        if self.second { 2 } else { 1 }
    }

    /// 1 January or 1 July.
    pub fn first_day(self) -> NaiveDate {
        let month = if self.second { 7 } else { 1 };
        NaiveDate::from_ymd_opt(self.year, month, 1).unwrap_or(NaiveDate::MIN)
    }

    /// 30 June or 31 December.
    pub fn last_day(self) -> NaiveDate {
        let (month, day) = if self.second { (12, 31) } else { (6, 30) };
        NaiveDate::from_ymd_opt(self.year, month, day).unwrap_or(NaiveDate::MAX)
    }

    /// The semester after this one.
    pub fn next(self) -> Semester {
        if self.second {
            Semester {
                year: self.year + 1,
                second: false,
            }
        } else {
            Semester {
                year: self.year,
                second: true,
            }
        }
    }

    /// Parses `"2026-S1"`.
    pub fn parse(text: &str) -> Option<Semester> {
        let (year, half) = text.split_once("-S")?;
        if year.len() != 4 || !year.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let half = match half {
            "1" => 1,
            "2" => 2,
            _ => return None,
        };
        Semester::new(year.parse().ok()?, half)
    }

    fn ordinal(self) -> i64 {
        i64::from(self.year) * 2 + i64::from(self.second)
    }
}

impl fmt::Display for Semester {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-S{}", self.year, self.half())
    }
}

/// Which of the two legal rates applies (CMF L313-2, D313-1-A): the "particuliers" rate when
/// the **creditor** is a natural person not acting for professional needs, the "autres cas"
/// rate otherwise — including a business creditor against a consumer (law-fr.md §3.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LegalRateCategory {
    /// Creditor is a natural person acting outside any professional activity.
    Individual,
    /// All other cases.
    Other,
}

impl LegalRateCategory {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            LegalRateCategory::Individual => "individual",
            LegalRateCategory::Other => "other",
        }
    }

    /// Parses the stored name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "individual" => Some(LegalRateCategory::Individual),
            "other" => Some(LegalRateCategory::Other),
            _ => None,
        }
    }
}

/// One row of the ECB main refinancing operations rate history: the rate in force from
/// `effective` (the MRO value date). A row may also just confirm the rate in force on a date
/// (e.g. 1 July after a meeting that left it unchanged): the history is only known up to its
/// latest row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EcbRate {
    /// First day the rate applies.
    pub effective: NaiveDate,
    /// Annual rate in percent (2.15 means 2.15 %).
    pub rate: Decimal,
    /// Where the figure comes from.
    pub source: String,
}

/// The two legal interest rates of one semester, fixed by arrêté (CMF L313-2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegalRate {
    /// The semester.
    pub semester: Semester,
    /// "Particuliers" rate, percent per year.
    pub individual: Decimal,
    /// "Autres cas" rate, percent per year.
    pub other: Decimal,
    /// Where the figures come from (the arrêté).
    pub source: String,
}

/// Which table lacked a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateKind {
    /// The ECB main refinancing rate in force on the semester's first day.
    EcbReference,
    /// The semester's legal interest rates.
    LegalInterest,
}

impl RateKind {
    /// Stable name, as in error metadata.
    pub fn as_str(self) -> &'static str {
        match self {
            RateKind::EcbReference => "ecb_reference",
            RateKind::LegalInterest => "legal_interest",
        }
    }
}

/// A computation needed a rate that is not published in the tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RateError {
    /// No published value for that semester.
    #[error("no {} rate is published for {semester}", kind.as_str())]
    NotPublished {
        /// The semester.
        semester: Semester,
        /// The table.
        kind: RateKind,
    },
}

#[derive(Debug, Clone, Copy, Default)]
struct SemesterRates {
    ecb_reference: Option<Decimal>,
    legal: Option<(Decimal, Decimal)>,
}

/// The rate tables, resolved per semester for fast lookups.
#[derive(Debug, Clone, Default)]
pub struct RateTable {
    ecb: Vec<EcbRate>,
    legal: Vec<LegalRate>,
    first: Option<Semester>,
    resolved: Vec<SemesterRates>,
}

impl RateTable {
    /// Builds the table from its rows, in any order.
    pub fn new(mut ecb: Vec<EcbRate>, mut legal: Vec<LegalRate>) -> RateTable {
        ecb.sort_by_key(|r| r.effective);
        legal.sort_by_key(|r| r.semester);
        let ecb_first = ecb.first().map(|r| Semester::of(r.effective));
        let legal_first = legal.first().map(|r| r.semester);
        let first = match (ecb_first, legal_first) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let ecb_last = ecb.last().map(|r| Semester::of(r.effective));
        let legal_last = legal.last().map(|r| r.semester);
        let last = match (ecb_last, legal_last) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        let mut resolved = Vec::new();
        if let (Some(first), Some(last)) = (first, last) {
            let mut semester = first;
            while semester <= last {
                resolved.push(SemesterRates {
                    ecb_reference: ecb_in_force(&ecb, semester.first_day()),
                    legal: legal
                        .binary_search_by_key(&semester, |r| r.semester)
                        .ok()
                        .map(|i| (legal[i].individual, legal[i].other)),
                });
                semester = semester.next();
            }
        }
        RateTable {
            ecb,
            legal,
            first,
            resolved,
        }
    }

    /// The ECB rows, by effective date.
    pub fn ecb_rates(&self) -> &[EcbRate] {
        &self.ecb
    }

    /// The legal rate rows, by semester.
    pub fn legal_rates(&self) -> &[LegalRate] {
        &self.legal
    }

    fn get(&self, semester: Semester) -> SemesterRates {
        self.first
            .and_then(|first| usize::try_from(semester.ordinal() - first.ordinal()).ok())
            .and_then(|i| self.resolved.get(i).copied())
            .unwrap_or_default()
    }

    /// The ECB rate L441-10 II refers to for `semester`: the one in force on 1 January for S1
    /// and on 1 July for S2; changes within the semester are ignored (law-fr.md §1.3).
    pub fn ecb_reference(&self, semester: Semester) -> Result<Decimal, RateError> {
        self.get(semester)
            .ecb_reference
            .ok_or(RateError::NotPublished {
                semester,
                kind: RateKind::EcbReference,
            })
    }

    /// The legal interest rate of `semester` for `category` (CMF L313-2).
    pub fn legal(
        &self,
        semester: Semester,
        category: LegalRateCategory,
    ) -> Result<Decimal, RateError> {
        self.get(semester)
            .legal
            .map(|(individual, other)| match category {
                LegalRateCategory::Individual => individual,
                LegalRateCategory::Other => other,
            })
            .ok_or(RateError::NotPublished {
                semester,
                kind: RateKind::LegalInterest,
            })
    }
}

/// The rate in force on `day`, if the history reaches that day: a row on or before it gives
/// the value, and a row on or after it shows no change in between went unrecorded.
fn ecb_in_force(rows: &[EcbRate], day: NaiveDate) -> Option<Decimal> {
    let reaches = rows.last().is_some_and(|r| r.effective >= day);
    if !reaches {
        return None;
    }
    rows.iter()
        .take_while(|r| r.effective <= day)
        .last()
        .map(|r| r.rate)
}

/// A rate in percent as statements and letters print it: at least two decimals ("14.00",
/// "2.125").
pub fn percent_text(rate: Decimal) -> String {
    let mut r = rate.normalize();
    if r.scale() < 2 {
        r.rescale(2);
    }
    r.to_string()
}

/// The lowest and highest annual rate, in percent, the tables accept: a typo (`215` for
/// `2.15`) is refused rather than stored.
pub const RATE_RANGE: (Decimal, Decimal) =
    (Decimal::from_parts(5, 0, 0, true, 0), Decimal::ONE_HUNDRED);

/// Why a rate row cannot be stored, if it cannot.
pub fn rate_problem(rate: Decimal) -> Option<String> {
    if rate < RATE_RANGE.0 || rate >= RATE_RANGE.1 {
        Some(format!(
            "must be a percentage between {} and {} (2.15 means 2.15 %)",
            RATE_RANGE.0, RATE_RANGE.1
        ))
    } else if rate.normalize().scale() > 4 {
        Some("must have at most 4 decimal places".to_owned())
    } else {
        None
    }
}

/// The ECB main refinancing rate history shipped with the service (law-fr.md §2.1):
/// (effective date, percent, source). The migration seeds the same rows; a test compares them.
pub const PUBLISHED_ECB_RATES: &[(&str, &str, &str)] = &[
    (
        "2014-09-10",
        "0.05",
        "MRO value date; Les Echos Publishing table via https://optimial.fr/taux-de-refinancement-taux-refi-ou-repo",
    ),
    (
        "2016-03-16",
        "0.00",
        "MRO value date; Les Echos Publishing table via https://optimial.fr/taux-de-refinancement-taux-refi-ou-repo",
    ),
    (
        "2022-07-27",
        "0.50",
        "MRO value date; Les Echos Publishing table via https://optimial.fr/taux-de-refinancement-taux-refi-ou-repo",
    ),
    (
        "2022-09-14",
        "1.25",
        "MRO value date; Les Echos Publishing table via https://optimial.fr/taux-de-refinancement-taux-refi-ou-repo",
    ),
    (
        "2022-11-02",
        "2.00",
        "MRO value date; Les Echos Publishing table via https://optimial.fr/taux-de-refinancement-taux-refi-ou-repo",
    ),
    (
        "2022-12-21",
        "2.50",
        "MRO value date; Les Echos Publishing table via https://optimial.fr/taux-de-refinancement-taux-refi-ou-repo",
    ),
    (
        "2023-02-08",
        "3.00",
        "MRO value date; Les Echos Publishing table via https://optimial.fr/taux-de-refinancement-taux-refi-ou-repo",
    ),
    (
        "2023-03-22",
        "3.50",
        "MRO value date; Les Echos Publishing table via https://optimial.fr/taux-de-refinancement-taux-refi-ou-repo",
    ),
    (
        "2023-05-10",
        "3.75",
        "MRO value date; Les Echos Publishing table via https://optimial.fr/taux-de-refinancement-taux-refi-ou-repo",
    ),
    (
        "2023-06-21",
        "4.00",
        "MRO value date; Les Echos Publishing table via https://optimial.fr/taux-de-refinancement-taux-refi-ou-repo",
    ),
    (
        "2023-08-02",
        "4.25",
        "MRO value date; Les Echos Publishing table via https://optimial.fr/taux-de-refinancement-taux-refi-ou-repo",
    ),
    (
        "2023-09-20",
        "4.50",
        "MRO value date; Les Echos Publishing table via https://optimial.fr/taux-de-refinancement-taux-refi-ou-repo",
    ),
    (
        "2024-06-12",
        "4.25",
        "MRO value date; Les Echos Publishing table via https://optimial.fr/taux-de-refinancement-taux-refi-ou-repo",
    ),
    (
        "2024-09-18",
        "3.65",
        "MRO value date; Les Echos Publishing table via https://optimial.fr/taux-de-refinancement-taux-refi-ou-repo",
    ),
    (
        "2024-10-23",
        "3.40",
        "MRO value date; Les Echos Publishing table via https://optimial.fr/taux-de-refinancement-taux-refi-ou-repo",
    ),
    (
        "2024-12-18",
        "3.15",
        "MRO value date; Les Echos Publishing table via https://optimial.fr/taux-de-refinancement-taux-refi-ou-repo",
    ),
    (
        "2025-02-05",
        "2.90",
        "MRO value date; Les Echos Publishing table via https://optimial.fr/taux-de-refinancement-taux-refi-ou-repo",
    ),
    (
        "2025-03-12",
        "2.65",
        "MRO value date; Les Echos Publishing table via https://optimial.fr/taux-de-refinancement-taux-refi-ou-repo",
    ),
    (
        "2025-04-23",
        "2.40",
        "MRO value date; Les Echos Publishing table via https://optimial.fr/taux-de-refinancement-taux-refi-ou-repo",
    ),
    (
        "2025-06-11",
        "2.15",
        "MRO settlement 11.06.2025, Banka Slovenije MRO auction table, https://apl.bsi.si/orodja/avkcije-en.asp",
    ),
    (
        "2026-01-01",
        "2.15",
        "Confirmation: unchanged at the decisions of Jul, Sep, Oct and 18 Dec 2025 (ECB hold of 18 Dec 2025); https://www.econotimes.com/ECB-Holds-Rates-Steady-Lagarde-Signals-No-Rush-to-Cut-Amid-Balanced-Risks-1729070",
    ),
];

/// The legal interest rates shipped with the service (law-fr.md §2.2–§2.3): (semester,
/// creditor a natural person, other cases, source).
pub const PUBLISHED_LEGAL_RATES: &[(&str, &str, &str, &str)] = &[
    (
        "2015-S1",
        "4.06",
        "0.93",
        "Semester arrêté (CMF L313-2); service-public F783 table, https://associations.gouv.fr/dons-donations-et-legs.html?xml=F783&xsl=.xsl",
    ),
    (
        "2015-S2",
        "4.29",
        "0.99",
        "Semester arrêté (CMF L313-2); service-public F783 table, https://associations.gouv.fr/dons-donations-et-legs.html?xml=F783&xsl=.xsl",
    ),
    (
        "2016-S1",
        "4.54",
        "1.01",
        "Semester arrêté (CMF L313-2); service-public F783 table, https://associations.gouv.fr/dons-donations-et-legs.html?xml=F783&xsl=.xsl",
    ),
    (
        "2016-S2",
        "4.35",
        "0.93",
        "Semester arrêté (CMF L313-2); service-public F783 table, https://associations.gouv.fr/dons-donations-et-legs.html?xml=F783&xsl=.xsl",
    ),
    (
        "2017-S1",
        "4.16",
        "0.90",
        "Semester arrêté (CMF L313-2); service-public F783 table, https://associations.gouv.fr/dons-donations-et-legs.html?xml=F783&xsl=.xsl",
    ),
    (
        "2017-S2",
        "3.94",
        "0.90",
        "Semester arrêté (CMF L313-2); service-public F783 table, https://associations.gouv.fr/dons-donations-et-legs.html?xml=F783&xsl=.xsl",
    ),
    (
        "2018-S1",
        "3.73",
        "0.89",
        "Semester arrêté (CMF L313-2); service-public F783 table, https://associations.gouv.fr/dons-donations-et-legs.html?xml=F783&xsl=.xsl",
    ),
    (
        "2018-S2",
        "3.60",
        "0.88",
        "Semester arrêté (CMF L313-2); service-public F783 table, https://associations.gouv.fr/dons-donations-et-legs.html?xml=F783&xsl=.xsl",
    ),
    (
        "2019-S1",
        "3.40",
        "0.86",
        "Semester arrêté (CMF L313-2); service-public F783 table, https://associations.gouv.fr/dons-donations-et-legs.html?xml=F783&xsl=.xsl",
    ),
    (
        "2019-S2",
        "3.26",
        "0.87",
        "Semester arrêté (CMF L313-2); service-public F783 table, https://associations.gouv.fr/dons-donations-et-legs.html?xml=F783&xsl=.xsl",
    ),
    (
        "2020-S1",
        "3.15",
        "0.87",
        "Semester arrêté (CMF L313-2); service-public F783 table, https://associations.gouv.fr/dons-donations-et-legs.html?xml=F783&xsl=.xsl",
    ),
    (
        "2020-S2",
        "3.11",
        "0.84",
        "Semester arrêté (CMF L313-2); service-public F783 table, https://associations.gouv.fr/dons-donations-et-legs.html?xml=F783&xsl=.xsl",
    ),
    (
        "2021-S1",
        "3.14",
        "0.79",
        "Semester arrêté (CMF L313-2); service-public F783 table, https://associations.gouv.fr/dons-donations-et-legs.html?xml=F783&xsl=.xsl",
    ),
    (
        "2021-S2",
        "3.12",
        "0.76",
        "Semester arrêté (CMF L313-2); service-public F783 table, https://associations.gouv.fr/dons-donations-et-legs.html?xml=F783&xsl=.xsl",
    ),
    (
        "2022-S1",
        "3.13",
        "0.76",
        "Semester arrêté (CMF L313-2); service-public F783 table, https://associations.gouv.fr/dons-donations-et-legs.html?xml=F783&xsl=.xsl",
    ),
    (
        "2022-S2",
        "3.15",
        "0.77",
        "Semester arrêté (CMF L313-2); service-public F783 table, https://associations.gouv.fr/dons-donations-et-legs.html?xml=F783&xsl=.xsl",
    ),
    (
        "2023-S1",
        "4.47",
        "2.06",
        "Semester arrêté (CMF L313-2); service-public F783 table, https://associations.gouv.fr/dons-donations-et-legs.html?xml=F783&xsl=.xsl",
    ),
    (
        "2023-S2",
        "6.82",
        "4.22",
        "Semester arrêté (CMF L313-2); service-public F783 table, https://associations.gouv.fr/dons-donations-et-legs.html?xml=F783&xsl=.xsl",
    ),
    (
        "2024-S1",
        "8.01",
        "5.07",
        "Semester arrêté (CMF L313-2); service-public F783 table, https://associations.gouv.fr/dons-donations-et-legs.html?xml=F783&xsl=.xsl",
    ),
    (
        "2024-S2",
        "8.16",
        "4.92",
        "Semester arrêté (CMF L313-2); service-public F783 table, https://associations.gouv.fr/dons-donations-et-legs.html?xml=F783&xsl=.xsl",
    ),
    (
        "2025-S1",
        "7.21",
        "3.71",
        "Arrêté of Dec 2024; LaClef table, https://www.laclef.eu/index.php/actualites/banque/taux-de-l-interet-legal-au-1er-semestre-2026",
    ),
    (
        "2025-S2",
        "6.65",
        "2.76",
        "Arrêté ECOT2516925A du 19 juin 2025 (JO 24 Jun 2025), https://www.cna2c.fr/nos-actualites-juridiques/taux-de-linteret-legal-a-compter-du-1er-juillet-2025",
    ),
    (
        "2026-S1",
        "6.67",
        "2.62",
        "Arrêté du 15 décembre 2025 (JORF 26 Dec 2025), https://juriblio.fr/arretes/arrete-du-15-decembre-2025/187383136",
    ),
];

impl RateTable {
    /// The tables as shipped: [`PUBLISHED_ECB_RATES`] and [`PUBLISHED_LEGAL_RATES`].
    pub fn published() -> RateTable {
        let decimal = |s: &str| s.parse::<Decimal>().unwrap_or_default();
        let ecb = PUBLISHED_ECB_RATES
            .iter()
            .filter_map(|(date, rate, source)| {
                Some(EcbRate {
                    effective: NaiveDate::parse_from_str(date, "%Y-%m-%d").ok()?,
                    rate: decimal(rate),
                    source: (*source).to_owned(),
                })
            })
            .collect();
        let legal = PUBLISHED_LEGAL_RATES
            .iter()
            .filter_map(|(semester, individual, other, source)| {
                Some(LegalRate {
                    semester: Semester::parse(semester)?,
                    individual: decimal(individual),
                    other: decimal(other),
                    source: (*source).to_owned(),
                })
            })
            .collect();
        RateTable::new(ecb, legal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("valid date")
    }

    #[test]
    fn semesters_parse_print_and_bound() {
        let s = Semester::parse("2024-S2").expect("valid semester");
        assert_eq!(s.to_string(), "2024-S2");
        assert_eq!(s.first_day(), d(2024, 7, 1));
        assert_eq!(s.last_day(), d(2024, 12, 31));
        assert_eq!(s.next().to_string(), "2025-S1");
        assert_eq!(Semester::of(d(2024, 6, 30)).to_string(), "2024-S1");
        for bad in ["2024-S3", "2024S1", "24-S1", "2024-s1", ""] {
            assert_eq!(Semester::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn ecb_reference_ignores_changes_within_the_semester_and_needs_the_history_to_reach_it() {
        let row = |effective, rate| EcbRate {
            effective,
            rate,
            source: "test".into(),
        };
        let table = RateTable::new(
            vec![
                row(d(2024, 6, 12), dec!(4.25)),
                row(d(2023, 9, 20), dec!(4.50)),
                row(d(2024, 9, 18), dec!(3.65)),
            ],
            vec![],
        );
        let s = |t| Semester::parse(t).expect("valid semester");
        assert_eq!(table.ecb_reference(s("2024-S1")), Ok(dec!(4.50)));
        assert_eq!(table.ecb_reference(s("2024-S2")), Ok(dec!(4.25)));
        // The last row is 18 Sep 2024: 1 Jan 2025 is beyond what the table knows.
        assert_eq!(
            table.ecb_reference(s("2025-S1")),
            Err(RateError::NotPublished {
                semester: s("2025-S1"),
                kind: RateKind::EcbReference
            })
        );
        // Before the first row nothing is known either.
        assert!(table.ecb_reference(s("2023-S1")).is_err());
        assert_eq!(
            table.legal(s("2024-S1"), LegalRateCategory::Other),
            Err(RateError::NotPublished {
                semester: s("2024-S1"),
                kind: RateKind::LegalInterest
            })
        );
    }

    /// law-fr.md §2.3, the combined table: ECB reference, default B2B rate (ECB + 10) and the
    /// contractual floor (3 × "autres cas"), every semester 2015-S1 to 2026-S1.
    #[test]
    fn published_tables_reproduce_the_combined_table() {
        let table = RateTable::published();
        let rows = [
            ("2015-S1", "0.05", "2.79"),
            ("2015-S2", "0.05", "2.97"),
            ("2016-S1", "0.05", "3.03"),
            ("2016-S2", "0.00", "2.79"),
            ("2017-S1", "0.00", "2.70"),
            ("2017-S2", "0.00", "2.70"),
            ("2018-S1", "0.00", "2.67"),
            ("2018-S2", "0.00", "2.64"),
            ("2019-S1", "0.00", "2.58"),
            ("2019-S2", "0.00", "2.61"),
            ("2020-S1", "0.00", "2.61"),
            ("2020-S2", "0.00", "2.52"),
            ("2021-S1", "0.00", "2.37"),
            ("2021-S2", "0.00", "2.28"),
            ("2022-S1", "0.00", "2.28"),
            ("2022-S2", "0.00", "2.31"),
            ("2023-S1", "2.50", "6.18"),
            ("2023-S2", "4.00", "12.66"),
            ("2024-S1", "4.50", "15.21"),
            ("2024-S2", "4.25", "14.76"),
            ("2025-S1", "3.15", "11.13"),
            ("2025-S2", "2.15", "8.28"),
            ("2026-S1", "2.15", "7.86"),
        ];
        for (semester, ecb, floor) in rows {
            let s = Semester::parse(semester).expect("valid semester");
            let ecb: Decimal = ecb.parse().expect("valid rate");
            assert_eq!(table.ecb_reference(s), Ok(ecb), "{semester}");
            let other = table.legal(s, LegalRateCategory::Other).expect("published");
            assert_eq!(
                other * Decimal::from(3),
                floor.parse::<Decimal>().expect("valid rate"),
                "{semester}"
            );
        }
        // law-fr.md §1.3: 2024-S2 is 4.25 + 10 = 14.25 %, not the September rate.
        assert_eq!(
            table.ecb_reference(Semester::parse("2024-S2").expect("valid semester")),
            Ok(dec!(4.25))
        );
        // 2026-S2 is not published: refused, for both tables.
        let s2 = Semester::parse("2026-S2").expect("valid semester");
        assert_eq!(
            table.ecb_reference(s2),
            Err(RateError::NotPublished {
                semester: s2,
                kind: RateKind::EcbReference
            })
        );
        assert_eq!(
            table.legal(s2, LegalRateCategory::Individual),
            Err(RateError::NotPublished {
                semester: s2,
                kind: RateKind::LegalInterest
            })
        );
        assert_eq!(
            table.legal(
                Semester::parse("2026-S1").expect("valid semester"),
                LegalRateCategory::Individual
            ),
            Ok(dec!(6.67))
        );
        assert!(
            table
                .legal(
                    Semester::parse("2014-S2").expect("valid semester"),
                    LegalRateCategory::Other
                )
                .is_err()
        );
    }

    #[test]
    fn rate_range_refuses_typos() {
        assert!(rate_problem(dec!(2.15)).is_none());
        assert!(rate_problem(dec!(-0.5)).is_none());
        assert!(rate_problem(dec!(215)).is_some());
        assert!(rate_problem(dec!(2.123456)).is_some());
    }
}
