//! The French calendar the agency works by: public holidays (jours fériés), the days a letter
//! may be dated, the hours a consumer debtor may be called, and the morning a scheduled step
//! falls due.
//!
//! Invariants: every function is pure and total. Nothing reads the clock (the instant or date is
//! passed in), nothing panics, and date arithmetic is checked: at the edges of chrono's range the
//! functions saturate instead of overflowing. Wall-clock rules are applied in Europe/Paris local
//! time through `chrono_tz`, so the daylight-saving changes (last Sunday of March and of October)
//! are handled by the time-zone database, not by hand.
//!
//! Scope: metropolitan France outside Alsace-Moselle. Alsace-Moselle (Bas-Rhin, Haut-Rhin,
//! Moselle) also keeps Good Friday (Vendredi saint) and 26 December (C. trav. L3134-13), and
//! the overseas departments keep the abolition of slavery day (loi 83-550); neither is covered
//! here. chrono-tz's table for Paris ends in 2099; later instants are read as CET all year.

use chrono::{
    DateTime, Datelike, Days, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeZone,
    Timelike, Utc, Weekday,
};
use chrono_tz::Europe::Paris;

/// The fixed-date public holidays of C. trav. L3133-1: (month, day, name).
const FIXED_HOLIDAYS: [(u32, u32, &str); 8] = [
    (1, 1, "Jour de l'an"),
    (5, 1, "Fête du Travail"),
    (5, 8, "Victoire 1945"),
    (7, 14, "Fête nationale"),
    (8, 15, "Assomption"),
    (11, 1, "Toussaint"),
    (11, 11, "Armistice 1918"),
    (12, 25, "Noël"),
];

/// The movable public holidays of C. trav. L3133-1: (days after Easter Sunday, name).
const EASTER_HOLIDAYS: [(u64, &str); 3] = [
    (1, "Lundi de Pâques"),
    (39, "Ascension"),
    (50, "Lundi de Pentecôte"),
];

/// House calling windows in Paris local hours, start inclusive, end exclusive (C. consom. D223-9).
/// Whole hours, so "the hour is in `start..end`" is exactly "the time is in `[start:00, end:00)`".
const CALLING_WINDOWS: [(u32, u32); 2] = [(10, 13), (14, 20)];

/// The local hour at which a scheduled step falls due.
const MORNING_HOUR: u32 = 8;

/// How far [`next_calling_slot`] and [`next_letter_day`] look ahead. A run without a calling day
/// lasts at most four days (Ascension on Thursday 7 May, 8 May on the Friday, then the weekend),
/// so ten is ample; the bound only exists so that the loops provably end.
const SEARCH_DAYS: u32 = 10;

/// French public holidays (jours fériés, C. trav. art. L3133-1) of `year`, in metropolitan
/// France, sorted by date, with their French names: 1 January, Easter Monday, 1 May, 8 May,
/// Ascension Thursday, Whit Monday (lundi de Pentecôte), 14 July, 15 August, 1 November,
/// 11 November, 25 December.
///
/// Alsace-Moselle's Good Friday and 26 December (C. trav. L3134-13) are out of scope. Whit
/// Monday stays listed although many employers make it the journée de solidarité
/// (C. trav. L3133-7): it remains a jour férié. When two holidays fall on the same date (Ascension
/// on 1 May in 2008) both are listed, fixed-date holiday first. Dates outside chrono's range are
/// left out, so the list is empty for such years.
pub fn public_holidays(year: i32) -> Vec<(NaiveDate, &'static str)> {
    let mut holidays: Vec<(NaiveDate, &'static str)> = FIXED_HOLIDAYS
        .iter()
        .filter_map(|&(month, day, name)| {
            NaiveDate::from_ymd_opt(year, month, day).map(|date| (date, name))
        })
        .collect();
    if let Some(easter) = easter_sunday(year) {
        holidays.extend(EASTER_HOLIDAYS.iter().filter_map(|&(offset, name)| {
            easter
                .checked_add_days(Days::new(offset))
                .map(|date| (date, name))
        }));
    }
    // Stable: a fixed-date holiday keeps its place ahead of a movable one on the same date.
    holidays.sort_by_key(|&(date, _)| date);
    holidays
}

/// Whether `date` is a French public holiday (jour férié, C. trav. L3133-1), as listed by
/// [`public_holidays`].
pub fn is_public_holiday(date: NaiveDate) -> bool {
    let fixed = FIXED_HOLIDAYS
        .iter()
        .any(|&(month, day, _)| date.month() == month && date.day() == day);
    // Movable holidays run from 23 March to 14 June, so they belong to `date`'s own year.
    fixed
        || easter_sunday(date.year()).is_some_and(|easter| {
            EASTER_HOLIDAYS
                .iter()
                .any(|&(offset, _)| easter.checked_add_days(Days::new(offset)) == Some(date))
        })
}

/// Easter Sunday (dimanche de Pâques) of `year` in the Gregorian calendar, by the anonymous
/// Gregorian computus (Meeus–Jones–Butcher).
///
/// Earlier than 1583 the result is proleptic. `None` when the date is outside chrono's range.
pub fn easter_sunday(year: i32) -> Option<NaiveDate> {
    // i64 and Euclidean division: no overflow for any i32, and negative years stay consistent.
    let y = i64::from(year);
    let a = y.rem_euclid(19);
    let b = y.div_euclid(100);
    let c = y.rem_euclid(100);
    let d = b.div_euclid(4);
    let e = b.rem_euclid(4);
    let f = (b + 8).div_euclid(25);
    let g = (b - f + 1).div_euclid(3);
    let h = (19 * a + b - d - g + 15).rem_euclid(30);
    let i = c.div_euclid(4);
    let k = c.rem_euclid(4);
    let l = (32 + 2 * e + 2 * i - h - k).rem_euclid(7);
    let m = (a + 11 * h + 22 * l).div_euclid(451);
    let n = h + l - 7 * m + 114;
    let month = u32::try_from(n.div_euclid(31)).ok()?;
    let day = u32::try_from(n.rem_euclid(31) + 1).ok()?;
    NaiveDate::from_ymd_opt(year, month, day)
}

/// Whether a letter may be dated and posted on `date`: not a Sunday, not a public holiday.
///
/// A house rule modelled on CPCE L141-1 (no enforcement measure on a Sunday or a jour férié)
/// and CPC art. 664 (no service of documents on those days): we date no letter on them either.
/// Saturday is a letter day.
pub fn is_letter_day(date: NaiveDate) -> bool {
    date.weekday() != Weekday::Sun && !is_public_holiday(date)
}

/// The first letter day (see [`is_letter_day`]) on or after `date`.
///
/// Saturates at [`NaiveDate::MAX`] at the very end of chrono's range.
pub fn next_letter_day(date: NaiveDate) -> NaiveDate {
    let mut day = date;
    for _ in 0..=SEARCH_DAYS {
        if is_letter_day(day) {
            return day;
        }
        match day.succ_opt() {
            Some(next) => day = next,
            None => return NaiveDate::MAX,
        }
    }
    // Unreachable: a letter day always comes within three days.
    day
}

/// Whether `at` lies inside the house calling windows for consumer debtors.
///
/// The windows adopt C. consom. D223-9 (décret 2022-1313), written for commercial prospecting,
/// as a conservative house rule for collection calls (law-fr.md §5.3): Monday to Friday,
/// 10:00–13:00 and 14:00–20:00 Europe/Paris local time, never on a public holiday. Each window's
/// end is excluded: 13:00:00 and 20:00:00 are outside.
pub fn in_calling_window(at: DateTime<Utc>) -> bool {
    let Some(local) = paris_local(at) else {
        return false;
    };
    let hour = local.hour();
    is_calling_day(local.date())
        && CALLING_WINDOWS
            .iter()
            .any(|&(start, end)| start <= hour && hour < end)
}

/// The first instant at or after `at` inside a calling window (see [`in_calling_window`]); `at`
/// itself when it already is inside one.
///
/// Windows are placed on the Paris wall clock and converted with the time-zone database, so a
/// 10:00 after a daylight-saving change is 08:00 UTC in summer and 09:00 UTC in winter. The
/// search is bounded (a window always opens within ten days); at the very end of chrono's range,
/// where none is left, it saturates at [`DateTime::<Utc>::MAX_UTC`].
pub fn next_calling_slot(at: DateTime<Utc>) -> DateTime<Utc> {
    let Some(local) = paris_local(at) else {
        return DateTime::<Utc>::MAX_UTC;
    };
    // Windows on earlier local dates have all closed by `at`, so the search starts at its date.
    let mut day = local.date();
    for _ in 0..=SEARCH_DAYS {
        if is_calling_day(day) {
            for &(start, end) in &CALLING_WINDOWS {
                let (Some(opens), Some(closes)) =
                    (paris_instant(day, start), paris_instant(day, end))
                else {
                    continue;
                };
                if at < closes {
                    return at.max(opens);
                }
            }
        }
        match day.succ_opt() {
            Some(next) => day = next,
            None => break,
        }
    }
    DateTime::<Utc>::MAX_UTC
}

/// The working morning a scheduled step falls due on `date`: 08:00 Europe/Paris, as UTC
/// (07:00 UTC in winter, 06:00 UTC in summer).
///
/// Turns a policy's day offset into an instant. 08:00 always exists in Paris (the clocks change
/// at 02:00 and 03:00); should the time-zone database ever say otherwise, or at the edge of
/// chrono's range, it falls back to 08:00 CET (UTC+1), then to 08:00 UTC.
pub fn morning_in_paris(date: NaiveDate) -> DateTime<Utc> {
    paris_instant(date, MORNING_HOUR).unwrap_or_else(|| {
        let local = date
            .and_hms_opt(MORNING_HOUR, 0, 0)
            .unwrap_or_else(|| date.and_time(NaiveTime::MIN));
        FixedOffset::east_opt(3600)
            .and_then(|cet| local.checked_sub_offset(cet))
            .unwrap_or(local)
            .and_utc()
    })
}

/// Whether calls may be made at all on the Paris local date `date`: Monday to Friday, not a
/// public holiday (D223-9).
fn is_calling_day(date: NaiveDate) -> bool {
    !matches!(date.weekday(), Weekday::Sat | Weekday::Sun) && !is_public_holiday(date)
}

/// `at` on the Paris wall clock; `None` only when that falls outside chrono's range.
fn paris_local(at: DateTime<Utc>) -> Option<NaiveDateTime> {
    // `DateTime::naive_local` panics out of range; this is its checked form.
    let utc = at.naive_utc();
    utc.checked_add_offset(Paris.offset_from_utc_datetime(&utc).fix())
}

/// `hour`:00 on the Paris wall clock of `date`, as UTC. The earlier instant when the time is
/// ambiguous; `None` when it falls in a daylight-saving gap or outside chrono's range. (Neither
/// happens for the whole hours this module uses, which are never 02:00.)
fn paris_instant(date: NaiveDate, hour: u32) -> Option<DateTime<Utc>> {
    let local = date.and_hms_opt(hour, 0, 0)?;
    Paris
        .from_local_datetime(&local)
        .earliest()
        .map(|instant| instant.with_timezone(&Utc))
}
