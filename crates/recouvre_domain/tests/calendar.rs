//! The French calendar: public holidays (C. trav. L3133-1) against the official lists, Easter
//! against published dates, letter days (CPCE L141-1, CPC 664 as a house rule), calling windows
//! (D223-9 as a house rule) across weekends, holidays and daylight-saving changes, then
//! properties over random instants and dates.
//!
//! Expected instants are written twice where it matters: on the Paris wall clock, and in UTC
//! (CET = UTC+1 in winter, CEST = UTC+2 from the last Sunday of March to the last Sunday of
//! October).

use chrono::{DateTime, Datelike, NaiveDate, TimeDelta, TimeZone, Timelike, Utc, Weekday};
use chrono_tz::Europe::Paris;
use proptest::prelude::*;
use recouvre_domain::calendar::{
    easter_sunday, in_calling_window, is_letter_day, is_public_holiday, morning_in_paris,
    next_calling_slot, next_letter_day, public_holidays,
};

// ---------------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------------

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).expect("valid date")
}

/// An instant given on the Paris wall clock.
fn paris(y: i32, m: u32, day: u32, h: u32, min: u32, s: u32) -> DateTime<Utc> {
    Paris
        .with_ymd_and_hms(y, m, day, h, min, s)
        .single()
        .expect("unambiguous Paris time")
        .with_timezone(&Utc)
}

/// An instant given in UTC.
fn utc(y: i32, m: u32, day: u32, h: u32, min: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, day, h, min, s)
        .single()
        .expect("valid UTC time")
}

// ---------------------------------------------------------------------------------------------
// Public holidays
// ---------------------------------------------------------------------------------------------

/// The official list for `year`, given the three movable holidays, in date order.
fn official(
    year: i32,
    easter_monday: (u32, u32),
    ascension: (u32, u32),
    whit_monday: (u32, u32),
) -> Vec<(NaiveDate, &'static str)> {
    let mut list = vec![
        (d(year, 1, 1), "Jour de l'an"),
        (d(year, easter_monday.0, easter_monday.1), "Lundi de Pâques"),
        (d(year, 5, 1), "Fête du Travail"),
        (d(year, 5, 8), "Victoire 1945"),
        (d(year, ascension.0, ascension.1), "Ascension"),
        (d(year, whit_monday.0, whit_monday.1), "Lundi de Pentecôte"),
        (d(year, 7, 14), "Fête nationale"),
        (d(year, 8, 15), "Assomption"),
        (d(year, 11, 1), "Toussaint"),
        (d(year, 11, 11), "Armistice 1918"),
        (d(year, 12, 25), "Noël"),
    ];
    // Ascension can fall before 8 May (6 May 2027).
    list.sort_by_key(|&(date, _)| date);
    list
}

#[test]
fn holidays_match_the_official_lists_2024_to_2027() {
    let rows = [
        // year, Easter Monday, Ascension, Whit Monday
        (2024, (4, 1), (5, 9), (5, 20)),
        (2025, (4, 21), (5, 29), (6, 9)),
        (2026, (4, 6), (5, 14), (5, 25)),
        (2027, (3, 29), (5, 6), (5, 17)),
    ];
    for (year, easter_monday, ascension, whit_monday) in rows {
        assert_eq!(
            public_holidays(year),
            official(year, easter_monday, ascension, whit_monday),
            "{year}"
        );
    }
}

#[test]
fn every_listed_holiday_is_a_holiday_and_no_other_day_is() {
    for year in [2024, 2025, 2026, 2027, 2008, 2100] {
        let listed = public_holidays(year);
        let mut day = d(year, 1, 1);
        let mut count = 0;
        while day.year() == year {
            let expected = listed.iter().any(|&(date, _)| date == day);
            assert_eq!(is_public_holiday(day), expected, "{day}");
            count += usize::from(expected);
            day = day.succ_opt().expect("next day");
        }
        // 2008: Ascension fell on 1 May, so 11 entries cover 10 dates.
        let expected_dates = if year == 2008 { 10 } else { 11 };
        assert_eq!(count, expected_dates, "{year}");
    }
}

#[test]
fn coinciding_holidays_are_both_listed_fixed_one_first() {
    // Easter 2008 was 23 March, so Ascension (Easter + 39) was Thursday 1 May.
    let holidays = public_holidays(2008);
    assert_eq!(holidays.len(), 11);
    assert_eq!(holidays[2], (d(2008, 5, 1), "Fête du Travail"));
    assert_eq!(holidays[3], (d(2008, 5, 1), "Ascension"));
    assert!(holidays.windows(2).all(|pair| pair[0].0 <= pair[1].0));
}

#[test]
fn alsace_moselle_days_and_ordinary_days_are_not_holidays() {
    // Good Friday 2026 (3 April) and 26 December are holidays only in Alsace-Moselle.
    for date in [
        d(2026, 4, 3),
        d(2026, 12, 26),
        d(2026, 12, 24),
        d(2026, 4, 5),
    ] {
        assert!(!is_public_holiday(date), "{date}");
    }
}

#[test]
fn easter_sunday_on_published_dates() {
    let rows = [
        (1818, d(1818, 3, 22)), // earliest possible
        (1943, d(1943, 4, 25)), // latest possible
        (1961, d(1961, 4, 2)),
        (2000, d(2000, 4, 23)),
        (2008, d(2008, 3, 23)),
        (2019, d(2019, 4, 21)),
        (2024, d(2024, 3, 31)),
        (2025, d(2025, 4, 20)),
        (2026, d(2026, 4, 5)),
        (2027, d(2027, 3, 28)),
        (2038, d(2038, 4, 25)),
        (2285, d(2285, 3, 22)),
    ];
    for (year, expected) in rows {
        assert_eq!(easter_sunday(year), Some(expected), "{year}");
    }
}

#[test]
fn easter_is_a_sunday_from_22_march_to_25_april_in_every_representable_year() {
    for year in NaiveDate::MIN.year()..=NaiveDate::MAX.year() {
        let easter = easter_sunday(year).expect("Easter within chrono's range");
        assert_eq!(easter.weekday(), Weekday::Sun, "{year}");
        assert_eq!(easter.year(), year);
        let month_day = (easter.month(), easter.day());
        assert!(((3, 22)..=(4, 25)).contains(&month_day), "{year}: {easter}");
    }
}

#[test]
fn years_outside_chrono_range_give_nothing_and_do_not_panic() {
    for year in [i32::MIN, i32::MAX, NaiveDate::MAX.year() + 1] {
        assert_eq!(easter_sunday(year), None);
        assert!(public_holidays(year).is_empty());
    }
    // The extreme dates themselves are handled too.
    for date in [NaiveDate::MIN, NaiveDate::MAX] {
        let _ = is_public_holiday(date);
        let _ = is_letter_day(date);
        assert!(next_letter_day(date) >= date);
        let _ = morning_in_paris(date);
    }
}

// ---------------------------------------------------------------------------------------------
// Letter days
// ---------------------------------------------------------------------------------------------

#[test]
fn next_letter_day_table() {
    let rows = [
        // (date, expected, why)
        (
            d(2026, 12, 12),
            d(2026, 12, 12),
            "a Saturday is a letter day",
        ),
        (d(2026, 12, 13), d(2026, 12, 14), "a Sunday moves to Monday"),
        (d(2026, 12, 14), d(2026, 12, 14), "an ordinary Monday stays"),
        (
            d(2025, 4, 20),
            d(2025, 4, 22),
            "Easter Sunday, then Easter Monday",
        ),
        (d(2025, 4, 21), d(2025, 4, 22), "Easter Monday itself"),
        (
            d(2026, 12, 25),
            d(2026, 12, 26),
            "Christmas on a Friday: Saturday",
        ),
        (
            d(2026, 11, 1),
            d(2026, 11, 2),
            "Toussaint on a Sunday: Monday",
        ),
        (
            d(2026, 8, 15),
            d(2026, 8, 17),
            "Assomption on a Saturday, then Sunday",
        ),
        (d(2026, 5, 14), d(2026, 5, 15), "Ascension Thursday: Friday"),
        (
            d(2026, 5, 24),
            d(2026, 5, 26),
            "Pentecost Sunday, then Whit Monday",
        ),
    ];
    for (date, expected, why) in rows {
        assert_eq!(next_letter_day(date), expected, "{date}: {why}");
        assert!(is_letter_day(expected), "{expected}");
    }
}

#[test]
fn letter_days_exclude_sundays_and_holidays_only() {
    assert!(is_letter_day(d(2026, 12, 12))); // Saturday
    assert!(!is_letter_day(d(2026, 12, 13))); // Sunday
    assert!(!is_letter_day(d(2026, 7, 14))); // Tuesday, Fête nationale
    assert!(is_letter_day(d(2026, 7, 15)));
}

// ---------------------------------------------------------------------------------------------
// Calling windows
// ---------------------------------------------------------------------------------------------

#[test]
fn next_calling_slot_table() {
    let rows = [
        // (from, expected, why) — 2026-03-10 is a Tuesday.
        (
            paris(2026, 3, 10, 9, 59, 0),
            paris(2026, 3, 10, 10, 0, 0),
            "before the morning window",
        ),
        (
            paris(2026, 3, 10, 10, 0, 0),
            paris(2026, 3, 10, 10, 0, 0),
            "a window's start is inside",
        ),
        (
            paris(2026, 3, 10, 12, 59, 59),
            paris(2026, 3, 10, 12, 59, 59),
            "last second of the morning window",
        ),
        (
            paris(2026, 3, 10, 13, 0, 0),
            paris(2026, 3, 10, 14, 0, 0),
            "13:00 is outside",
        ),
        (
            paris(2026, 3, 10, 13, 30, 0),
            paris(2026, 3, 10, 14, 0, 0),
            "lunch break",
        ),
        (
            paris(2026, 3, 10, 17, 45, 12),
            paris(2026, 3, 10, 17, 45, 12),
            "inside the afternoon window",
        ),
        (
            paris(2026, 3, 10, 20, 0, 0),
            paris(2026, 3, 11, 10, 0, 0),
            "20:00 is outside",
        ),
        (
            paris(2026, 3, 10, 23, 30, 0),
            paris(2026, 3, 11, 10, 0, 0),
            "late evening",
        ),
        (
            paris(2026, 3, 11, 0, 30, 0),
            paris(2026, 3, 11, 10, 0, 0),
            "after midnight in Paris, still the previous UTC day",
        ),
        (
            paris(2026, 3, 13, 20, 30, 0),
            paris(2026, 3, 16, 10, 0, 0),
            "Friday evening to Monday",
        ),
        (
            paris(2026, 3, 14, 11, 0, 0),
            paris(2026, 3, 16, 10, 0, 0),
            "Saturday to Monday",
        ),
        (
            paris(2026, 3, 15, 15, 0, 0),
            paris(2026, 3, 16, 10, 0, 0),
            "Sunday to Monday",
        ),
        (
            paris(2026, 5, 13, 20, 0, 0),
            paris(2026, 5, 15, 10, 0, 0),
            "eve of Ascension to the Friday after",
        ),
        (
            paris(2026, 5, 14, 11, 0, 0),
            paris(2026, 5, 15, 10, 0, 0),
            "on Ascension itself",
        ),
        (
            paris(2026, 7, 13, 19, 0, 0),
            paris(2026, 7, 13, 19, 0, 0),
            "the eve of a holiday is an ordinary day",
        ),
        (
            paris(2026, 7, 13, 20, 0, 0),
            paris(2026, 7, 15, 10, 0, 0),
            "eve of 14 July (a Tuesday) to the Wednesday",
        ),
        (
            paris(2026, 12, 24, 20, 0, 0),
            paris(2026, 12, 28, 10, 0, 0),
            "Christmas Friday and the weekend",
        ),
        (
            paris(2026, 4, 30, 20, 0, 0),
            paris(2026, 5, 4, 10, 0, 0),
            "1 May on a Friday and the weekend",
        ),
        (
            paris(2026, 4, 2, 20, 0, 0),
            paris(2026, 4, 3, 10, 0, 0),
            "Good Friday is not a holiday here",
        ),
        (
            paris(2026, 4, 3, 20, 0, 0),
            paris(2026, 4, 7, 10, 0, 0),
            "Easter weekend and Easter Monday",
        ),
    ];
    for (from, expected, why) in rows {
        assert_eq!(next_calling_slot(from), expected, "{from}: {why}");
        assert!(in_calling_window(expected), "{expected}: {why}");
    }
}

#[test]
fn window_ends_are_exclusive_to_the_nanosecond() {
    let tuesday = |h, m, s| paris(2026, 3, 10, h, m, s);
    let nano = TimeDelta::nanoseconds(1);
    assert!(!in_calling_window(tuesday(10, 0, 0) - nano));
    assert!(in_calling_window(tuesday(10, 0, 0)));
    assert!(in_calling_window(tuesday(13, 0, 0) - nano));
    assert!(!in_calling_window(tuesday(13, 0, 0)));
    assert!(!in_calling_window(tuesday(14, 0, 0) - nano));
    assert!(in_calling_window(tuesday(14, 0, 0)));
    assert!(in_calling_window(tuesday(20, 0, 0) - nano));
    assert!(!in_calling_window(tuesday(20, 0, 0)));
    assert_eq!(
        next_calling_slot(tuesday(20, 0, 0) - nano),
        tuesday(20, 0, 0) - nano
    );
}

#[test]
fn windows_follow_the_paris_clock_not_utc() {
    // Wednesday 1 July 2026, CEST (UTC+2): the afternoon window is 12:00–18:00 UTC.
    assert!(in_calling_window(utc(2026, 7, 1, 17, 59, 59)));
    assert!(!in_calling_window(utc(2026, 7, 1, 18, 0, 0)));
    assert!(!in_calling_window(utc(2026, 7, 1, 7, 59, 59)));
    assert!(in_calling_window(utc(2026, 7, 1, 8, 0, 0)));
    // Wednesday 7 January 2026, CET (UTC+1): the morning window opens at 09:00 UTC.
    assert!(!in_calling_window(utc(2026, 1, 7, 8, 59, 59)));
    assert!(in_calling_window(utc(2026, 1, 7, 9, 0, 0)));
    assert!(in_calling_window(utc(2026, 1, 7, 18, 59, 59)));
    assert!(!in_calling_window(utc(2026, 1, 7, 19, 0, 0)));
    // Tuesday 2026-03-10 23:30 UTC is already Wednesday 00:30 in Paris.
    assert_eq!(
        next_calling_slot(utc(2026, 3, 10, 23, 30, 0)),
        utc(2026, 3, 11, 9, 0, 0)
    );
}

#[test]
fn spring_forward_weekend() {
    // Clocks go forward on Sunday 29 March 2026, 02:00 CET -> 03:00 CEST.
    // Friday 27 March, still CET: 10:00 Paris is 09:00 UTC.
    assert_eq!(
        next_calling_slot(paris(2026, 3, 27, 8, 0, 0)),
        utc(2026, 3, 27, 9, 0, 0)
    );
    // Saturday evening to Monday 10:00 Paris, now CEST: 08:00 UTC.
    let slot = next_calling_slot(paris(2026, 3, 28, 19, 0, 0));
    assert_eq!(slot, utc(2026, 3, 30, 8, 0, 0));
    assert_eq!(slot, paris(2026, 3, 30, 10, 0, 0));
    // From just after the change (01:30 UTC Sunday = 03:30 CEST).
    assert_eq!(
        next_calling_slot(utc(2026, 3, 29, 1, 30, 0)),
        utc(2026, 3, 30, 8, 0, 0)
    );
    // 08:30 UTC on Monday is 10:30 Paris: inside, unchanged.
    assert!(in_calling_window(utc(2026, 3, 30, 8, 30, 0)));
    assert!(!in_calling_window(utc(2026, 3, 30, 7, 59, 59)));
}

#[test]
fn fall_back_weekend() {
    // Clocks go back on Sunday 25 October 2026, 03:00 CEST -> 02:00 CET.
    // Friday 23 October, still CEST: 10:00 Paris is 08:00 UTC, 20:00 Paris is 18:00 UTC.
    assert_eq!(
        next_calling_slot(paris(2026, 10, 23, 9, 0, 0)),
        utc(2026, 10, 23, 8, 0, 0)
    );
    assert!(!in_calling_window(utc(2026, 10, 23, 18, 0, 0)));
    // Saturday evening to Monday 10:00 Paris, now CET again: 09:00 UTC.
    let slot = next_calling_slot(paris(2026, 10, 24, 19, 0, 0));
    assert_eq!(slot, utc(2026, 10, 26, 9, 0, 0));
    assert_eq!(slot, paris(2026, 10, 26, 10, 0, 0));
    // 08:30 UTC Monday is only 09:30 in Paris now.
    assert!(!in_calling_window(utc(2026, 10, 26, 8, 30, 0)));
    assert_eq!(
        next_calling_slot(utc(2026, 10, 26, 8, 30, 0)),
        utc(2026, 10, 26, 9, 0, 0)
    );
    // From the repeated hour (00:30 UTC and 01:30 UTC Sunday are both 02:30 in Paris).
    for from in [utc(2026, 10, 25, 0, 30, 0), utc(2026, 10, 25, 1, 30, 0)] {
        assert_eq!(next_calling_slot(from), utc(2026, 10, 26, 9, 0, 0));
    }
}

#[test]
fn extremes_of_chrono_range_do_not_panic() {
    let max = DateTime::<Utc>::MAX_UTC;
    assert!(!in_calling_window(max));
    assert_eq!(next_calling_slot(max), max);
    let min = DateTime::<Utc>::MIN_UTC;
    let slot = next_calling_slot(min);
    assert!(slot >= min);
    assert!(in_calling_window(slot));
}

// ---------------------------------------------------------------------------------------------
// Scheduled mornings
// ---------------------------------------------------------------------------------------------

#[test]
fn morning_in_paris_is_eight_local() {
    let rows = [
        (d(2026, 1, 15), utc(2026, 1, 15, 7, 0, 0), "winter, CET"),
        (d(2026, 7, 15), utc(2026, 7, 15, 6, 0, 0), "summer, CEST"),
        (
            d(2026, 3, 29),
            utc(2026, 3, 29, 6, 0, 0),
            "spring-forward Sunday: already CEST",
        ),
        (
            d(2026, 10, 25),
            utc(2026, 10, 25, 7, 0, 0),
            "fall-back Sunday: already CET",
        ),
        (d(2026, 3, 28), utc(2026, 3, 28, 7, 0, 0), "day before: CET"),
        (
            d(2026, 10, 24),
            utc(2026, 10, 24, 6, 0, 0),
            "day before: CEST",
        ),
    ];
    for (date, expected, why) in rows {
        let morning = morning_in_paris(date);
        assert_eq!(morning, expected, "{date}: {why}");
        let local = morning.with_timezone(&Paris);
        assert_eq!(
            (local.date_naive(), local.hour(), local.minute()),
            (date, 8, 0)
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

/// 2000-01-01T00:00:00Z and 2100-01-01T00:00:00Z.
const FROM_2000: i64 = 946_684_800;
const TO_2100: i64 = 4_102_444_800;

fn instant(secs: i64, nanos: u32) -> DateTime<Utc> {
    DateTime::from_timestamp(secs, nanos).expect("in range")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn next_calling_slot_is_the_first_instant_inside_a_window(
        secs in FROM_2000..TO_2100,
        nanos in 0u32..1_000_000_000,
        probe in 0u32..=1000,
    ) {
        let at = instant(secs, nanos);
        let slot = next_calling_slot(at);
        prop_assert!(slot >= at);
        prop_assert!(in_calling_window(slot));
        prop_assert!(slot - at <= TimeDelta::days(5), "{} -> {}", at, slot);
        if in_calling_window(at) {
            prop_assert_eq!(slot, at);
        } else {
            // A window opened exactly at `slot`: on the hour, 10:00 or 14:00 in Paris…
            let local = slot.with_timezone(&Paris);
            prop_assert!(matches!(
                (local.hour(), local.minute(), local.second(), local.nanosecond()),
                (10 | 14, 0, 0, 0)
            ));
            // …and nothing between `at` and `slot` is inside one.
            prop_assert!(!in_calling_window(slot - TimeDelta::nanoseconds(1)));
            let between = at + (slot - at) * i32::try_from(probe).expect("small") / 1000;
            prop_assert!(between == slot || !in_calling_window(between));
        }
    }

    #[test]
    fn calling_windows_are_weekday_office_hours_in_paris(secs in FROM_2000..TO_2100) {
        let at = instant(secs, 0);
        let local = at.with_timezone(&Paris);
        let expected = !matches!(local.weekday(), Weekday::Sat | Weekday::Sun)
            && !is_public_holiday(local.date_naive())
            && matches!(local.hour(), 10..=12 | 14..=19);
        prop_assert_eq!(in_calling_window(at), expected);
    }

    #[test]
    fn nothing_panics_anywhere_in_chrono_range(secs in any::<i64>(), days in any::<i32>()) {
        if let Some(at) = DateTime::from_timestamp(secs, 0) {
            prop_assert!(next_calling_slot(at) >= at);
            let _ = in_calling_window(at);
        }
        if let Some(date) = NaiveDate::from_num_days_from_ce_opt(days) {
            prop_assert!(next_letter_day(date) >= date);
            let _ = morning_in_paris(date);
            let _ = public_holidays(date.year());
        }
    }

    #[test]
    fn next_letter_day_is_the_first_letter_day(days in 0i32..1_000_000) {
        let date = NaiveDate::from_num_days_from_ce_opt(days).expect("in range");
        let next = next_letter_day(date);
        prop_assert!(is_letter_day(next));
        prop_assert!(next >= date && next - date <= TimeDelta::days(3));
        let mut day = date;
        while day < next {
            prop_assert!(!is_letter_day(day));
            day = day.succ_opt().expect("next day");
        }
    }

    #[test]
    fn morning_in_paris_is_eight_on_the_paris_clock(days in 730_120i32..767_000) {
        // Days from the Common Era covering 2000 to 2100.
        let date = NaiveDate::from_num_days_from_ce_opt(days).expect("in range");
        let local = morning_in_paris(date).with_timezone(&Paris);
        prop_assert_eq!(local.date_naive(), date);
        prop_assert_eq!((local.hour(), local.minute(), local.second()), (8, 0, 0));
    }
}
