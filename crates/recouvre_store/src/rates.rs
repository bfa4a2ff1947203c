//! The reference rate tables (law-fr.md §2), shared by every tenant.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::upsert::excluded;
use diesel_async::RunQueryDsl;
use recouvre_domain::rates::{EcbRate, LegalRate, RateTable, Semester};
use rust_decimal::Decimal;

use crate::schema::{ecb_rates, legal_interest_rates};
use crate::{Conn, StoreError};

/// Loads both tables.
pub async fn load_rates(conn: &mut Conn) -> Result<RateTable, StoreError> {
    let ecb = ecb_rates::table
        .order(ecb_rates::effective_date)
        .select((
            ecb_rates::effective_date,
            ecb_rates::rate,
            ecb_rates::source,
        ))
        .load::<(NaiveDate, Decimal, String)>(conn)
        .await?
        .into_iter()
        .map(|(effective, rate, source)| EcbRate {
            effective,
            rate,
            source,
        })
        .collect();
    let legal = legal_interest_rates::table
        .order((legal_interest_rates::year, legal_interest_rates::half))
        .select((
            legal_interest_rates::year,
            legal_interest_rates::half,
            legal_interest_rates::individual_rate,
            legal_interest_rates::other_rate,
            legal_interest_rates::source,
        ))
        .load::<(i32, i32, Decimal, Decimal, String)>(conn)
        .await?
        .into_iter()
        .map(|(year, half, individual, other, source)| {
            let semester = u8::try_from(half)
                .ok()
                .and_then(|h| Semester::new(year, h))
                .ok_or_else(|| StoreError::Corrupt(format!("semester {year}-S{half}")))?;
            Ok(LegalRate {
                semester,
                individual,
                other,
                source,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    Ok(RateTable::new(ecb, legal))
}

/// Adds or replaces the ECB row of `rate.effective`.
pub async fn upsert_ecb_rate(
    conn: &mut Conn,
    rate: &EcbRate,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    diesel::insert_into(ecb_rates::table)
        .values((
            ecb_rates::effective_date.eq(rate.effective),
            ecb_rates::rate.eq(rate.rate),
            ecb_rates::source.eq(&rate.source),
            ecb_rates::recorded_at.eq(at),
        ))
        .on_conflict(ecb_rates::effective_date)
        .do_update()
        .set((
            ecb_rates::rate.eq(excluded(ecb_rates::rate)),
            ecb_rates::source.eq(excluded(ecb_rates::source)),
            ecb_rates::recorded_at.eq(excluded(ecb_rates::recorded_at)),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// Adds or replaces the legal rates of `rate.semester`.
pub async fn upsert_legal_rate(
    conn: &mut Conn,
    rate: &LegalRate,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    diesel::insert_into(legal_interest_rates::table)
        .values((
            legal_interest_rates::year.eq(rate.semester.year()),
            legal_interest_rates::half.eq(i32::from(rate.semester.half())),
            legal_interest_rates::individual_rate.eq(rate.individual),
            legal_interest_rates::other_rate.eq(rate.other),
            legal_interest_rates::source.eq(&rate.source),
            legal_interest_rates::recorded_at.eq(at),
        ))
        .on_conflict((legal_interest_rates::year, legal_interest_rates::half))
        .do_update()
        .set((
            legal_interest_rates::individual_rate
                .eq(excluded(legal_interest_rates::individual_rate)),
            legal_interest_rates::other_rate.eq(excluded(legal_interest_rates::other_rate)),
            legal_interest_rates::source.eq(excluded(legal_interest_rates::source)),
            legal_interest_rates::recorded_at.eq(excluded(legal_interest_rates::recorded_at)),
        ))
        .execute(conn)
        .await?;
    Ok(())
}
