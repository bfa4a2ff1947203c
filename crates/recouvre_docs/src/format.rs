//! Localised amounts and dates for the text channels (the Typst templates do the same in
//! `templates/common-base.typ`, `fmt-money` and friends, which `common.typ` binds to the
//! document's language as `money`, `sdate`…, so a tenant's Typst template needs no Rust).

use crate::Language;

/// Narrow no-break space: the French thousands separator.
const NNBSP: char = '\u{202F}';
/// No-break space: between a French amount and its currency sign.
const NBSP: char = '\u{00A0}';

/// `"1234.5"` + `EUR` → `1 234,50 €` (fr) or `€1,234.50` (en). `None` when `amount` is not a
/// decimal string. Other currencies print their code: `1 234,50 USD`, `USD 1,234.50`.
pub(crate) fn money(lang: Language, amount: &str, currency: &str) -> Option<String> {
    if !crate::validate::is_amount(amount) {
        return None;
    }
    let (int, frac) = amount.split_once('.').unwrap_or((amount, ""));
    let int = int.trim_start_matches('0');
    let int = if int.is_empty() { "0" } else { int };
    let mut frac = frac.to_owned();
    while frac.len() < 2 {
        frac.push('0');
    }
    let (group, point) = match lang {
        Language::Fr => (NNBSP, ','),
        Language::En => (',', '.'),
    };
    let mut grouped = String::new();
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(group);
        }
        grouped.push(ch);
    }
    let number = format!("{grouped}{point}{frac}");
    let euro = currency == "EUR";
    Some(match (lang, euro) {
        (Language::Fr, true) => format!("{number}{NBSP}€"),
        (Language::Fr, false) => format!("{number}{NBSP}{currency}"),
        (Language::En, true) => format!("€{number}"),
        (Language::En, false) => format!("{currency} {number}"),
    })
}

const MONTHS_FR: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];
const MONTHS_EN: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// `"2026-03-01"` → `1er mars 2026` (fr) / `1 March 2026` (en). `None` when not an ISO date.
pub(crate) fn long_date(lang: Language, date: &str) -> Option<String> {
    if !crate::validate::is_date(date) {
        return None;
    }
    let year = &date[..4];
    let month: usize = date[5..7].parse().ok()?;
    let day: u32 = date[8..].parse().ok()?;
    Some(match lang {
        Language::Fr if day == 1 => format!("1er {} {year}", MONTHS_FR[month - 1]),
        Language::Fr => format!("{day} {} {year}", MONTHS_FR[month - 1]),
        Language::En => format!("{day} {} {year}", MONTHS_EN[month - 1]),
    })
}

/// `"2026-02-16"` → `16/02/2026` (fr) / `2026-02-16` (en). `None` when not an ISO date.
pub(crate) fn short_date(lang: Language, date: &str) -> Option<String> {
    if !crate::validate::is_date(date) {
        return None;
    }
    Some(match lang {
        Language::Fr => format!("{}/{}/{}", &date[8..], &date[5..7], &date[..4]),
        Language::En => date.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_is_grouped_and_localised() {
        assert_eq!(
            money(Language::Fr, "1234.5", "EUR").as_deref(),
            Some("1\u{202F}234,50\u{A0}€")
        );
        assert_eq!(
            money(Language::En, "1234567.89", "EUR").as_deref(),
            Some("€1,234,567.89")
        );
        assert_eq!(
            money(Language::En, "0.07", "USD").as_deref(),
            Some("USD 0.07")
        );
        assert_eq!(
            money(Language::Fr, "40", "EUR").as_deref(),
            Some("40,00\u{A0}€")
        );
        assert_eq!(money(Language::Fr, "-4", "EUR"), None);
        assert_eq!(money(Language::Fr, "4,00", "EUR"), None);
    }

    #[test]
    fn dates_are_long() {
        assert_eq!(
            long_date(Language::Fr, "2026-03-01").as_deref(),
            Some("1er mars 2026")
        );
        assert_eq!(
            long_date(Language::Fr, "2026-08-15").as_deref(),
            Some("15 août 2026")
        );
        assert_eq!(
            long_date(Language::En, "2026-12-31").as_deref(),
            Some("31 December 2026")
        );
        assert_eq!(long_date(Language::En, "2026-02-30"), None);
    }
}
