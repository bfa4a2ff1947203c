//! Validated identifiers: SIREN, SIRET, IBAN, BIC, country and postal codes, e-mail addresses,
//! phone numbers and intra-EU VAT numbers.
//!
//! Parse, don't validate: each type has a private field holding the canonical form, built only by
//! its `parse`, so a value of the type is valid by construction and compares equal to any other
//! spelling of the same identifier ("552 100 554" and "552100554" are one SIREN). Surrounding
//! whitespace is ignored everywhere; identifiers usually written in groups (SIREN, SIRET, IBAN,
//! BIC, VAT numbers, phone numbers) also accept inner spaces.
//!
//! These are shape and checksum checks only: nothing here asks a registry whether the company,
//! account or mailbox exists (the domain crate does no I/O).

use std::fmt;

/// Errors parsing an identifier; the message is an English sentence fit for an API field
/// violation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentifierError {
    /// The input is empty or only whitespace.
    #[error("{what} must not be empty")]
    Empty {
        /// The kind of identifier, e.g. "SIREN".
        what: &'static str,
    },
    /// The input does not have the required number of characters.
    #[error("{what} must be {expected}")]
    WrongLength {
        /// The kind of identifier, e.g. "SIREN".
        what: &'static str,
        /// The required length, e.g. "9 digits".
        expected: &'static str,
    },
    /// The input should be digits only and is not.
    #[error("{what} must contain only digits")]
    NotDigits {
        /// The kind of identifier, e.g. "SIREN".
        what: &'static str,
    },
    /// The check digits do not match.
    #[error("{what} checksum ({check}) is wrong")]
    BadChecksum {
        /// The kind of identifier, e.g. "SIREN".
        what: &'static str,
        /// The check that failed, e.g. "Luhn".
        check: &'static str,
    },
    /// The country code part is not one that can appear there.
    #[error("{what} is not {expected}")]
    UnknownCountry {
        /// The country part, e.g. "country code" or "VAT number prefix".
        what: &'static str,
        /// What it should be, e.g. "an officially assigned ISO 3166-1 alpha-2 code".
        expected: &'static str,
    },
    /// The input has the wrong shape.
    #[error("{what} {reason}")]
    Malformed {
        /// The kind of identifier, e.g. "e-mail address".
        what: &'static str,
        /// What is wrong, as the end of a sentence, e.g. "must contain exactly one '@'".
        reason: &'static str,
    },
}

use IdentifierError as E;

/// Removes every whitespace character, including the no-break spaces of French typography.
fn without_whitespace(raw: &str) -> String {
    raw.chars().filter(|c| !c.is_whitespace()).collect()
}

/// Checks that `s` is exactly `len` ASCII digits, reporting which rule is broken.
fn digits_of_len(
    s: &str,
    len: usize,
    what: &'static str,
    expected: &'static str,
) -> Result<(), IdentifierError> {
    if s.is_empty() {
        return Err(E::Empty { what });
    }
    if !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(E::NotDigits { what });
    }
    if s.len() != len {
        return Err(E::WrongLength { what, expected });
    }
    Ok(())
}

/// The Luhn check (ISO/IEC 7812-1) used by SIREN and SIRET; `digits` must be ASCII digits.
fn luhn_valid(digits: &str) -> bool {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            match (i % 2 == 1, d * 2) {
                (false, _) => d,
                (true, doubled) if doubled > 9 => doubled - 9,
                (true, doubled) => doubled,
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

macro_rules! string_newtype_common {
    ($name:ident) => {
        impl $name {
            /// The canonical form.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

/// A SIREN, the 9-digit INSEE number of a French company; canonical form: 9 digits, no spaces.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Siren(String);
string_newtype_common!(Siren);

impl Siren {
    /// Parses 9 digits (spaces allowed, as in "552 100 554") with a valid Luhn checksum.
    pub fn parse(raw: &str) -> Result<Siren, IdentifierError> {
        const WHAT: &str = "SIREN";
        let s = without_whitespace(raw);
        digits_of_len(&s, 9, WHAT, "9 digits")?;
        if !luhn_valid(&s) {
            return Err(E::BadChecksum {
                what: WHAT,
                check: "Luhn",
            });
        }
        Ok(Siren(s))
    }
}

/// A SIRET, the 14-digit number of one establishment of a French company (SIREN + 5-digit NIC);
/// canonical form: 14 digits, no spaces.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Siret(String);
string_newtype_common!(Siret);

impl Siret {
    /// Parses 14 digits (spaces allowed) whose first 9 form a valid SIREN and whose 14 pass Luhn.
    ///
    /// INSEE exception: La Poste (SIREN 356000000) has more establishments than Luhn-valid NICs,
    /// so its SIRETs are also valid when the plain sum of their 14 digits is a multiple of 5.
    pub fn parse(raw: &str) -> Result<Siret, IdentifierError> {
        const WHAT: &str = "SIRET";
        const LA_POSTE: &str = "356000000";
        let s = without_whitespace(raw);
        digits_of_len(&s, 14, WHAT, "14 digits")?;
        if !luhn_valid(&s[..9]) {
            return Err(E::BadChecksum {
                what: WHAT,
                check: "Luhn on its first 9 digits, the SIREN",
            });
        }
        let la_poste_sum_ok = s.starts_with(LA_POSTE)
            && s.bytes()
                .map(|b| u32::from(b - b'0'))
                .sum::<u32>()
                .is_multiple_of(5);
        if !luhn_valid(&s) && !la_poste_sum_ok {
            return Err(E::BadChecksum {
                what: WHAT,
                check: "Luhn",
            });
        }
        Ok(Siret(s))
    }

    /// The SIREN of the company the establishment belongs to (the first 9 digits).
    pub fn siren(&self) -> Siren {
        Siren(self.0[..9].to_owned())
    }
}

/// An IBAN checked by country format and ISO 7064 check digits; canonical form: the electronic
/// format (upper case, no spaces), e.g. "FR7630006000011234567890189".
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Iban(String);
string_newtype_common!(Iban);

impl Iban {
    /// Parses an IBAN written with or without spaces, in any letter case.
    pub fn parse(raw: &str) -> Result<Iban, IdentifierError> {
        const WHAT: &str = "IBAN";
        let s = without_whitespace(raw).to_ascii_uppercase();
        if s.is_empty() {
            return Err(E::Empty { what: WHAT });
        }
        match s.parse::<iban::Iban>() {
            Ok(parsed) => Ok(Iban(iban::IbanLike::electronic_str(&parsed).to_owned())),
            Err(iban::ParseIbanError::InvalidBaseIban {
                source: iban::ParseBaseIbanError::InvalidFormat,
            }) => Err(E::Malformed {
                what: WHAT,
                reason: "must be a 2-letter country code, 2 check digits and up to 30 letters or digits",
            }),
            Err(iban::ParseIbanError::InvalidBaseIban {
                source: iban::ParseBaseIbanError::InvalidChecksum,
            }) => Err(E::BadChecksum {
                what: WHAT,
                check: "ISO 7064 MOD 97-10 check digits",
            }),
            Err(iban::ParseIbanError::InvalidBban(_)) => Err(E::Malformed {
                what: WHAT,
                reason: "does not have the length or account number format of its country",
            }),
            Err(iban::ParseIbanError::UnknownCountry(_)) => Err(E::UnknownCountry {
                what: "IBAN country code",
                expected: "the code of a country that issues IBANs",
            }),
        }
    }

    /// The ISO 3166-1 alpha-2 country code at the start of the IBAN, e.g. "FR".
    pub fn country(&self) -> &str {
        &self.0[..2]
    }
}

/// A BIC (SWIFT code), checked for shape only; canonical form: upper case, no spaces, 8 or 11
/// characters as given (an 8-character BIC is not padded with "XXX").
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Bic(String);
string_newtype_common!(Bic);

impl Bic {
    /// Parses 4 letters (bank), a country code, 2 letters or digits (location) and optionally
    /// 3 letters or digits (branch), in any letter case.
    pub fn parse(raw: &str) -> Result<Bic, IdentifierError> {
        const WHAT: &str = "BIC";
        let s = without_whitespace(raw).to_ascii_uppercase();
        if s.is_empty() {
            return Err(E::Empty { what: WHAT });
        }
        if !s.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(E::Malformed {
                what: WHAT,
                reason: "must contain only letters and digits",
            });
        }
        if s.len() != 8 && s.len() != 11 {
            return Err(E::WrongLength {
                what: WHAT,
                expected: "8 or 11 letters or digits",
            });
        }
        if !s[..4].bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(E::Malformed {
                what: WHAT,
                reason: "must start with a 4-letter bank code",
            });
        }
        // SWIFT uses "XK" for Kosovo, which ISO 3166-1 has not assigned.
        let country = &s[4..6];
        if country != "XK" && !is_assigned_country(country) {
            return Err(E::UnknownCountry {
                what: "BIC country code (characters 5 and 6)",
                expected: "an officially assigned ISO 3166-1 alpha-2 code",
            });
        }
        Ok(Bic(s))
    }
}

/// An officially assigned ISO 3166-1 alpha-2 country code; canonical form: upper case, e.g. "FR".
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CountryCode(String);
string_newtype_common!(CountryCode);

impl CountryCode {
    /// Parses a 2-letter code in any letter case; user-assigned ("XK", "ZZ") and reserved
    /// ("UK", "EU") codes are refused.
    pub fn parse(raw: &str) -> Result<CountryCode, IdentifierError> {
        const WHAT: &str = "country code";
        let s = raw.trim().to_ascii_uppercase();
        if s.is_empty() {
            return Err(E::Empty { what: WHAT });
        }
        if !s.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(E::Malformed {
                what: WHAT,
                reason: "must contain only letters",
            });
        }
        if s.len() != 2 {
            return Err(E::WrongLength {
                what: WHAT,
                expected: "2 letters (ISO 3166-1 alpha-2)",
            });
        }
        if !is_assigned_country(&s) {
            return Err(E::UnknownCountry {
                what: WHAT,
                expected: "an officially assigned ISO 3166-1 alpha-2 code",
            });
        }
        Ok(CountryCode(s))
    }
}

fn is_assigned_country(upper: &str) -> bool {
    ISO_3166_1_ALPHA_2.binary_search(&upper).is_ok()
}

/// The 249 officially assigned ISO 3166-1 alpha-2 codes, sorted for binary search.
const ISO_3166_1_ALPHA_2: [&str; 249] = [
    "AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT", "AU", "AW", "AX", "AZ",
    "BA", "BB", "BD", "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN", "BO", "BQ", "BR", "BS",
    "BT", "BV", "BW", "BY", "BZ", "CA", "CC", "CD", "CF", "CG", "CH", "CI", "CK", "CL", "CM", "CN",
    "CO", "CR", "CU", "CV", "CW", "CX", "CY", "CZ", "DE", "DJ", "DK", "DM", "DO", "DZ", "EC", "EE",
    "EG", "EH", "ER", "ES", "ET", "FI", "FJ", "FK", "FM", "FO", "FR", "GA", "GB", "GD", "GE", "GF",
    "GG", "GH", "GI", "GL", "GM", "GN", "GP", "GQ", "GR", "GS", "GT", "GU", "GW", "GY", "HK", "HM",
    "HN", "HR", "HT", "HU", "ID", "IE", "IL", "IM", "IN", "IO", "IQ", "IR", "IS", "IT", "JE", "JM",
    "JO", "JP", "KE", "KG", "KH", "KI", "KM", "KN", "KP", "KR", "KW", "KY", "KZ", "LA", "LB", "LC",
    "LI", "LK", "LR", "LS", "LT", "LU", "LV", "LY", "MA", "MC", "MD", "ME", "MF", "MG", "MH", "MK",
    "ML", "MM", "MN", "MO", "MP", "MQ", "MR", "MS", "MT", "MU", "MV", "MW", "MX", "MY", "MZ", "NA",
    "NC", "NE", "NF", "NG", "NI", "NL", "NO", "NP", "NR", "NU", "NZ", "OM", "PA", "PE", "PF", "PG",
    "PH", "PK", "PL", "PM", "PN", "PR", "PS", "PT", "PW", "PY", "QA", "RE", "RO", "RS", "RU", "RW",
    "SA", "SB", "SC", "SD", "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM", "SN", "SO", "SR", "SS",
    "ST", "SV", "SX", "SY", "SZ", "TC", "TD", "TF", "TG", "TH", "TJ", "TK", "TL", "TM", "TN", "TO",
    "TR", "TT", "TV", "TW", "TZ", "UA", "UG", "UM", "US", "UY", "UZ", "VA", "VC", "VE", "VG", "VI",
    "VN", "VU", "WF", "WS", "YE", "YT", "ZA", "ZM", "ZW",
];

/// A postal code, checked against the format of its country where it is known; canonical form:
/// trimmed, letters in upper case, with the country's usual separator ("1234 AB", "1234-567").
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PostalCode(String);
string_newtype_common!(PostalCode);

impl PostalCode {
    /// Parses `raw` as a postal code of `country`.
    ///
    /// Known formats: 5 digits (France and its overseas collectivities, Monaco's 980xx, Germany,
    /// Spain, Italy, Finland, Estonia…), 4 digits (Belgium, Luxembourg, Switzerland, Austria,
    /// Denmark, Norway, Hungary…), "123 45" (Sweden, Czechia, Slovakia, Greece), Netherlands
    /// "1234 AB", Portugal "1234-567", Poland "12-345", UK postcodes, Irish Eircodes, US ZIP
    /// codes (5 or 5+4 digits) and Canadian "A1A 1A1". Elsewhere: 1 to 10 letters, digits,
    /// spaces or hyphens, not only separators.
    pub fn parse(country: &CountryCode, raw: &str) -> Result<PostalCode, IdentifierError> {
        const WHAT: &str = "postal code";
        let s = raw.trim().to_ascii_uppercase();
        if s.is_empty() {
            return Err(E::Empty { what: WHAT });
        }
        let malformed = |reason| E::Malformed { what: WHAT, reason };
        let canonical = match country.as_str() {
            "FR" | "GP" | "MQ" | "GF" | "RE" | "YT" | "PM" | "BL" | "MF" | "WF" | "PF" | "NC"
            | "TF" | "DE" | "ES" | "IT" | "SM" | "VA" | "FI" | "AX" | "EE" | "HR" | "MX" | "MA"
            | "DZ" | "TR" | "UA" | "MY" => {
                digits_only(&s, 5).ok_or_else(|| malformed("must be 5 digits in this country"))?
            }
            "MC" => digits_only(&s, 5)
                .filter(|d| d.starts_with("980"))
                .ok_or_else(|| malformed("must be 5 digits starting with 980 in Monaco"))?,
            "BE" | "LU" | "CH" | "LI" | "AT" | "DK" | "NO" | "HU" | "SI" | "BG" | "CY" | "AU"
            | "NZ" | "ZA" | "TN" => {
                digits_only(&s, 4).ok_or_else(|| malformed("must be 4 digits in this country"))?
            }
            "SE" | "CZ" | "SK" | "GR" => split_digits(&s, 3, 2, ' ')
                .ok_or_else(|| malformed("must be 5 digits, written 123 45, in this country"))?,
            "PT" => split_digits(&s, 4, 3, '-')
                .ok_or_else(|| malformed("must be 7 digits, written 1234-567, in Portugal"))?,
            "PL" => split_digits(&s, 2, 3, '-')
                .ok_or_else(|| malformed("must be 5 digits, written 12-345, in Poland"))?,
            "NL" => netherlands(&s).ok_or_else(|| {
                malformed("must be 4 digits and 2 letters, written 1234 AB, in the Netherlands")
            })?,
            "GB" | "IM" | "JE" | "GG" => united_kingdom(&s)
                .ok_or_else(|| malformed("must be a UK postcode such as SW1A 1AA"))?,
            "IE" => eircode(&s).ok_or_else(|| malformed("must be an Eircode such as D02 X285"))?,
            "US" | "PR" => zip_code(&s).ok_or_else(|| {
                malformed("must be a ZIP code of 5 digits or 5+4 digits (12345-6789)")
            })?,
            "CA" => canada(&s)
                .ok_or_else(|| malformed("must be a Canadian postal code such as K1A 0B1"))?,
            _ => {
                let allowed = |c: char| c.is_ascii_alphanumeric() || c == ' ' || c == '-';
                if s.len() > 10
                    || !s.chars().all(allowed)
                    || !s.chars().any(|c| c.is_ascii_alphanumeric())
                {
                    return Err(malformed(
                        "must be 1 to 10 letters, digits, spaces or hyphens",
                    ));
                }
                s
            }
        };
        Ok(PostalCode(canonical))
    }
}

/// `s` if it is exactly `len` ASCII digits.
fn digits_only(s: &str, len: usize) -> Option<String> {
    (s.len() == len && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.to_owned())
}

/// `head` + `tail` digits, with or without `separator` between them, written with it.
fn split_digits(s: &str, head: usize, tail: usize, separator: char) -> Option<String> {
    let compact: String = match s.split_once(separator) {
        Some((h, t)) if h.len() == head => format!("{h}{t}"),
        Some(_) => return None,
        None => s.to_owned(),
    };
    let digits = digits_only(&compact, head + tail)?;
    Some(format!("{}{separator}{}", &digits[..head], &digits[head..]))
}

/// "1234 AB" or "1234AB": 4 digits, the first not 0, then 2 letters.
fn netherlands(s: &str) -> Option<String> {
    let compact = s.replacen(' ', "", 1);
    let b = compact.as_bytes();
    let ok = b.len() == 6
        && (b'1'..=b'9').contains(&b[0])
        && b[1..4].iter().all(u8::is_ascii_digit)
        && b[4..].iter().all(u8::is_ascii_uppercase);
    ok.then(|| format!("{} {}", &compact[..4], &compact[4..]))
}

/// A UK postcode: outward code A9, A99, AA9, AA99, A9A or AA9A, then inward code 9AA; the space
/// between them is optional on input. "GIR 0AA" is a legacy special case still in use.
fn united_kingdom(s: &str) -> Option<String> {
    let compact = s.replacen(' ', "", 1);
    if compact == "GIR0AA" {
        return Some("GIR 0AA".to_owned());
    }
    if !(5..=7).contains(&compact.len()) || !compact.is_ascii() {
        return None;
    }
    let (outward, inward) = compact.split_at(compact.len() - 3);
    let shape: String = outward
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' => 'A',
            b'0'..=b'9' => '9',
            _ => '?',
        })
        .collect();
    let outward_ok = matches!(
        shape.as_str(),
        "A9" | "A99" | "AA9" | "AA99" | "A9A" | "AA9A"
    );
    let i = inward.as_bytes();
    let inward_ok = i[0].is_ascii_digit() && i[1..].iter().all(u8::is_ascii_uppercase);
    (outward_ok && inward_ok).then(|| format!("{outward} {inward}"))
}

/// An Irish Eircode: routing key (a letter and 2 digits, or "D6W") and a 4-character unique
/// identifier, e.g. "D02 X285"; the space is optional on input.
fn eircode(s: &str) -> Option<String> {
    let compact = s.replacen(' ', "", 1);
    if compact.len() != 7 || !compact.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    let (key, unique) = compact.split_at(3);
    let k = key.as_bytes();
    let key_ok =
        key == "D6W" || (k[0].is_ascii_uppercase() && k[1..].iter().all(u8::is_ascii_digit));
    key_ok.then(|| format!("{key} {unique}"))
}

/// A US ZIP code: "12345", or ZIP+4 written "12345-6789" (or "123456789").
fn zip_code(s: &str) -> Option<String> {
    digits_only(s, 5).or_else(|| split_digits(s, 5, 4, '-'))
}

/// A Canadian postal code "A1A 1A1"; the space is optional on input.
fn canada(s: &str) -> Option<String> {
    let compact = s.replacen(' ', "", 1);
    let b = compact.as_bytes();
    let ok = b.len() == 6
        && b.iter().enumerate().all(|(i, c)| {
            if i % 2 == 0 {
                c.is_ascii_uppercase()
            } else {
                c.is_ascii_digit()
            }
        });
    ok.then(|| format!("{} {}", &compact[..3], &compact[3..]))
}

/// An e-mail address, checked for shape only; canonical form: the local part as given, the domain
/// in lower case (domains are case-insensitive, local parts in principle are not).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);
string_newtype_common!(Email);

impl Email {
    /// Parses `local@domain`: one '@', a local part of 1 to 64 bytes without whitespace or
    /// control characters, and an ASCII domain of at least two dot-separated labels whose last
    /// is not numeric; 254 bytes at most in all (RFC 5321).
    pub fn parse(raw: &str) -> Result<Email, IdentifierError> {
        const WHAT: &str = "e-mail address";
        let malformed = |reason| E::Malformed { what: WHAT, reason };
        let s = raw.trim();
        if s.is_empty() {
            return Err(E::Empty { what: WHAT });
        }
        if s.len() > 254 {
            return Err(E::WrongLength {
                what: WHAT,
                expected: "at most 254 characters long",
            });
        }
        let (local, domain) = match s.split_once('@') {
            Some((local, domain)) if !domain.contains('@') => (local, domain),
            _ => return Err(malformed("must contain exactly one '@'")),
        };
        if local.is_empty() || local.len() > 64 {
            return Err(malformed("must have 1 to 64 characters before the '@'"));
        }
        if local.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(malformed("must not contain spaces or control characters"));
        }
        let domain = domain.to_ascii_lowercase();
        let labels: Vec<&str> = domain.split('.').collect();
        if labels.len() < 2 {
            return Err(malformed(
                "must have a domain with at least one dot after the '@', as in example.com",
            ));
        }
        let label_ok = |label: &str| {
            (1..=63).contains(&label.len())
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        };
        if !labels.iter().all(|label| label_ok(label)) {
            return Err(malformed(
                "must have a domain made of 1 to 63 letters, digits or hyphens between dots, not starting or ending with a hyphen",
            ));
        }
        if labels
            .last()
            .is_some_and(|tld| tld.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(malformed(
                "must have a domain whose last label is not a number",
            ));
        }
        Ok(Email(format!("{local}@{domain}")))
    }
}

/// A phone number, checked loosely: an optional leading '+' and 6 to 15 digits (E.164 allows at
/// most 15); canonical form: the '+' if given, then the digits only ("0612345678",
/// "+33612345678").
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Phone(String);
string_newtype_common!(Phone);

impl Phone {
    /// Parses digits with optional spaces, dots, hyphens and parentheses, and an optional
    /// leading '+'.
    pub fn parse(raw: &str) -> Result<Phone, IdentifierError> {
        const WHAT: &str = "phone number";
        let s = raw.trim();
        if s.is_empty() {
            return Err(E::Empty { what: WHAT });
        }
        let (plus, rest) = match s.strip_prefix('+') {
            Some(rest) => ("+", rest),
            None => ("", s),
        };
        let mut digits = String::with_capacity(rest.len());
        for c in rest.chars() {
            if c.is_ascii_digit() {
                digits.push(c);
            } else if !(c.is_whitespace() || matches!(c, '.' | '-' | '(' | ')')) {
                return Err(E::Malformed {
                    what: WHAT,
                    reason: "may contain only digits, a leading '+', spaces, dots, hyphens and parentheses",
                });
            }
        }
        if !(6..=15).contains(&digits.len()) {
            return Err(E::WrongLength {
                what: WHAT,
                expected: "6 to 15 digits",
            });
        }
        Ok(Phone(format!("{plus}{digits}")))
    }
}

/// An intra-EU VAT number; canonical form: upper case, no spaces, e.g. "FR83404833048".
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct VatNumber(String);
string_newtype_common!(VatNumber);

/// VAT prefixes of the EU member states as used by VIES: "EL" for Greece (not "GR") and "XI"
/// for Northern Ireland under the Windsor Framework. Sorted for binary search.
const EU_VAT_PREFIXES: [&str; 28] = [
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "EL", "ES", "FI", "FR", "HR", "HU", "IE", "IT",
    "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK", "XI",
];

impl VatNumber {
    /// Parses a member-state prefix and 2 to 12 letters or digits, spaces allowed, any case.
    ///
    /// French numbers ("FR" + 2-character key + SIREN) are checked further: the SIREN must pass
    /// Luhn and a numeric key must equal (12 + 3 × (SIREN mod 97)) mod 97. Other countries'
    /// check digits are not verified.
    pub fn parse(raw: &str) -> Result<VatNumber, IdentifierError> {
        const WHAT: &str = "VAT number";
        let s = without_whitespace(raw).to_ascii_uppercase();
        if s.is_empty() {
            return Err(E::Empty { what: WHAT });
        }
        if !s.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(E::Malformed {
                what: WHAT,
                reason: "must contain only letters and digits",
            });
        }
        let prefix = s
            .get(..2)
            .filter(|p| p.bytes().all(|b| b.is_ascii_uppercase()));
        let Some(prefix) = prefix else {
            return Err(E::Malformed {
                what: WHAT,
                reason: "must start with a 2-letter country prefix",
            });
        };
        if EU_VAT_PREFIXES.binary_search(&prefix).is_err() {
            return Err(E::UnknownCountry {
                what: "VAT number prefix",
                expected: "the code of an EU member state (EL for Greece) or XI (Northern Ireland)",
            });
        }
        let number = &s[2..];
        if !(2..=12).contains(&number.len()) {
            return Err(E::WrongLength {
                what: WHAT,
                expected: "a 2-letter prefix followed by 2 to 12 letters or digits",
            });
        }
        if prefix == "FR" {
            check_french_vat(number)?;
        }
        Ok(VatNumber(s))
    }
}

/// Checks the part of a French VAT number after "FR": a 2-character key then a SIREN.
fn check_french_vat(number: &str) -> Result<(), IdentifierError> {
    const WHAT: &str = "French VAT number";
    if number.len() != 11 {
        return Err(E::WrongLength {
            what: WHAT,
            expected: "FR followed by a 2-character key and a 9-digit SIREN",
        });
    }
    let (key, siren) = number.split_at(2);
    if !siren.bytes().all(|b| b.is_ascii_digit()) {
        return Err(E::Malformed {
            what: WHAT,
            reason: "must end with a 9-digit SIREN",
        });
    }
    if !luhn_valid(siren) {
        return Err(E::BadChecksum {
            what: WHAT,
            check: "Luhn on its SIREN",
        });
    }
    // Alphanumeric keys exist for some registrants and have no published formula.
    if let (Ok(key), Ok(siren)) = (key.parse::<u64>(), siren.parse::<u64>())
        && key != (12 + 3 * (siren % 97)) % 97
    {
        return Err(E::BadChecksum {
            what: WHAT,
            check: "key computed from the SIREN",
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A short tag for each error variant, so tables stay readable.
    fn tag(e: &IdentifierError) -> &'static str {
        match e {
            E::Empty { .. } => "empty",
            E::WrongLength { .. } => "length",
            E::NotDigits { .. } => "digits",
            E::BadChecksum { .. } => "checksum",
            E::UnknownCountry { .. } => "country",
            E::Malformed { .. } => "malformed",
        }
    }

    /// Runs rows of (input, Ok(canonical) or Err(error tag)) through `parse`.
    fn table<T>(
        name: &str,
        parse: impl Fn(&str) -> Result<T, IdentifierError>,
        as_str: impl Fn(&T) -> String,
        rows: &[(&str, Result<&str, &str>)],
    ) {
        for (input, expected) in rows {
            let got = parse(input);
            let got = got.as_ref().map(&as_str).map_err(tag);
            let expected = expected.map(str::to_owned);
            assert_eq!(got, expected, "{name}::parse({input:?})");
        }
    }

    #[test]
    fn luhn_known_values() {
        assert!(luhn_valid("79927398713"));
        assert!(!luhn_valid("79927398710"));
        assert!(luhn_valid("0"));
    }

    #[test]
    fn siren_table() {
        table(
            "Siren",
            Siren::parse,
            |s| s.to_string(),
            &[
                ("552100554", Ok("552100554")),
                ("552 100 554", Ok("552100554")),
                ("732829320", Ok("732829320")),
                ("542107651", Ok("542107651")),
                ("404833048", Ok("404833048")),
                ("356000000", Ok("356000000")),
                (" 732\u{a0}829\u{202f}320 ", Ok("732829320")),
                ("552100555", Err("checksum")),
                ("732829321", Err("checksum")),
                ("", Err("empty")),
                ("   ", Err("empty")),
                ("55210055", Err("length")),
                ("5521005540", Err("length")),
                ("55210055A", Err("digits")),
                ("552-100-554", Err("digits")),
                ("５５２１００５５４", Err("digits")),
            ],
        );
    }

    #[test]
    fn siret_table() {
        table(
            "Siret",
            Siret::parse,
            |s| s.as_str().to_owned(),
            &[
                ("73282932000074", Ok("73282932000074")),
                ("732 829 320 00074", Ok("73282932000074")),
                ("55210055400013", Ok("55210055400013")),
                // La Poste head office: passes Luhn like any other SIRET.
                ("35600000000048", Ok("35600000000048")),
                // La Poste establishment failing Luhn but with a digit sum of 15.
                ("35600000000001", Ok("35600000000001")),
                ("35600000000002", Err("checksum")),
                ("73282932000075", Err("checksum")),
                // Luhn-valid as 14 digits, but its SIREN 732829321 is not.
                ("73282932100007", Err("checksum")),
                ("7328293200007", Err("length")),
                ("7328293200007X", Err("digits")),
                ("", Err("empty")),
            ],
        );
        let siret = Siret::parse("73282932000074").expect("valid SIRET");
        assert_eq!(
            siret.siren(),
            Siren::parse("732829320").expect("valid SIREN")
        );
    }

    #[test]
    fn iban_table() {
        table(
            "Iban",
            Iban::parse,
            |s| s.as_str().to_owned(),
            &[
                (
                    "FR7630006000011234567890189",
                    Ok("FR7630006000011234567890189"),
                ),
                (
                    "FR76 3000 6000 0112 3456 7890 189",
                    Ok("FR7630006000011234567890189"),
                ),
                (
                    "fr76 3000 6000 0112 3456 7890 189",
                    Ok("FR7630006000011234567890189"),
                ),
                ("DE89370400440532013000", Ok("DE89370400440532013000")),
                ("DE89 3704 0044 0532 0130 00", Ok("DE89370400440532013000")),
                ("GB82WEST12345698765432", Ok("GB82WEST12345698765432")),
                ("BE68539007547034", Ok("BE68539007547034")),
                ("FR7630006000011234567890188", Err("checksum")),
                ("DE89370400440532013001", Err("checksum")),
                ("DE8937040044053201300", Err("checksum")),
                ("FR76-3000-6000-0112-3456-7890-189", Err("malformed")),
                ("7630006000011234567890189", Err("malformed")),
                ("ZZ7630006000011234567890189", Err("checksum")),
                ("", Err("empty")),
            ],
        );
        let iban = Iban::parse("de89 3704 0044 0532 0130 00").expect("valid IBAN");
        assert_eq!(iban.country(), "DE");
    }

    /// Builds an IBAN with correct ISO 7064 check digits, so only the rest can be wrong.
    fn with_check_digits(country: &str, bban: &str) -> String {
        let rearranged: String = format!("{bban}{country}00")
            .chars()
            .map(|c| c.to_digit(36).expect("alphanumeric").to_string())
            .collect();
        let remainder = rearranged
            .bytes()
            .fold(0_u64, |acc, b| (acc * 10 + u64::from(b - b'0')) % 97);
        format!("{country}{:02}{bban}", 98 - remainder)
    }

    #[test]
    fn iban_checks_country_and_bban_beyond_check_digits() {
        let parse = |s: &str| {
            Iban::parse(s)
                .map(|i| i.as_str().to_owned())
                .map_err(|e| tag(&e))
        };
        assert_eq!(
            with_check_digits("DE", "370400440532013000"),
            "DE89370400440532013000"
        );
        // German BBANs are 18 digits: one short, with valid check digits.
        assert_eq!(
            parse(&with_check_digits("DE", "37040044053201300")),
            Err("malformed")
        );
        // French BBANs end with 2 digits; letters there break the national format.
        assert_eq!(
            parse(&with_check_digits("FR", "300060000112345678901AB")),
            Err("malformed")
        );
        assert_eq!(
            parse(&with_check_digits("ZZ", "1234567890")),
            Err("country")
        );
    }

    #[test]
    fn bic_table() {
        table(
            "Bic",
            Bic::parse,
            |s| s.as_str().to_owned(),
            &[
                ("BNPAFRPP", Ok("BNPAFRPP")),
                ("BNPAFRPPXXX", Ok("BNPAFRPPXXX")),
                ("bnpafrpp", Ok("BNPAFRPP")),
                ("DEUT DE FF 500", Ok("DEUTDEFF500")),
                ("AGRIFRPP882", Ok("AGRIFRPP882")),
                ("RAIFXKPR", Ok("RAIFXKPR")),
                ("BNPAFRP", Err("length")),
                ("BNPAFRPPXX", Err("length")),
                ("BNP1FRPP", Err("malformed")),
                ("BNPAZZPP", Err("country")),
                ("BNPAUKPP", Err("country")),
                ("BNPAFRP-", Err("malformed")),
                ("", Err("empty")),
            ],
        );
    }

    #[test]
    fn country_code_table() {
        table(
            "CountryCode",
            CountryCode::parse,
            |s| s.as_str().to_owned(),
            &[
                ("FR", Ok("FR")),
                ("fr", Ok("FR")),
                (" De ", Ok("DE")),
                ("MC", Ok("MC")),
                ("AX", Ok("AX")),
                ("ZW", Ok("ZW")),
                ("UK", Err("country")),
                ("EU", Err("country")),
                ("XK", Err("country")),
                ("ZZ", Err("country")),
                ("FRA", Err("length")),
                ("F", Err("length")),
                ("F1", Err("malformed")),
                ("", Err("empty")),
            ],
        );
    }

    #[test]
    fn country_table_is_sorted_and_complete() {
        assert!(ISO_3166_1_ALPHA_2.windows(2).all(|w| w[0] < w[1]));
        assert!(EU_VAT_PREFIXES.windows(2).all(|w| w[0] < w[1]));
        assert!(
            ISO_3166_1_ALPHA_2
                .iter()
                .all(|c| c.len() == 2 && c.bytes().all(|b| b.is_ascii_uppercase()))
        );
    }

    #[test]
    fn postal_code_table() {
        let rows: &[(&str, &str, Result<&str, &str>)] = &[
            ("FR", "75001", Ok("75001")),
            ("FR", " 20000 ", Ok("20000")),
            ("FR", "97400", Ok("97400")),
            ("RE", "97400", Ok("97400")),
            ("FR", "7500", Err("malformed")),
            ("FR", "750011", Err("malformed")),
            ("FR", "75O01", Err("malformed")),
            ("FR", "75 001", Err("malformed")),
            ("FR", "", Err("empty")),
            ("MC", "98000", Ok("98000")),
            ("MC", "06000", Err("malformed")),
            ("DE", "10115", Ok("10115")),
            ("IT", "00118", Ok("00118")),
            ("BE", "1000", Ok("1000")),
            ("CH", "1201", Ok("1201")),
            ("LU", "L-1234", Err("malformed")),
            ("SE", "11455", Ok("114 55")),
            ("GR", "105 57", Ok("105 57")),
            ("NL", "1012 ab", Ok("1012 AB")),
            ("NL", "1012AB", Ok("1012 AB")),
            ("NL", "0123 AB", Err("malformed")),
            ("NL", "1012", Err("malformed")),
            ("PT", "1100-148", Ok("1100-148")),
            ("PT", "1100148", Ok("1100-148")),
            ("PT", "110-0148", Err("malformed")),
            ("PL", "00-950", Ok("00-950")),
            ("PL", "00950", Ok("00-950")),
            ("GB", "SW1A 1AA", Ok("SW1A 1AA")),
            ("GB", "sw1a1aa", Ok("SW1A 1AA")),
            ("GB", "M1 1AE", Ok("M1 1AE")),
            ("GB", "B33 8TH", Ok("B33 8TH")),
            ("GB", "CR2 6XH", Ok("CR2 6XH")),
            ("GB", "DN55 1PT", Ok("DN55 1PT")),
            ("GB", "W1A 0AX", Ok("W1A 0AX")),
            ("GB", "GIR 0AA", Ok("GIR 0AA")),
            ("GB", "SW1A 1A", Err("malformed")),
            ("GB", "1W1A 1AA", Err("malformed")),
            ("GB", "75001", Err("malformed")),
            ("IE", "D02 X285", Ok("D02 X285")),
            ("IE", "a65f4e2", Ok("A65 F4E2")),
            ("IE", "D6W 1234", Ok("D6W 1234")),
            ("IE", "DAA X285", Err("malformed")),
            ("US", "90210", Ok("90210")),
            ("US", "90210-1234", Ok("90210-1234")),
            ("US", "902101234", Ok("90210-1234")),
            ("US", "9021", Err("malformed")),
            ("CA", "K1A 0B1", Ok("K1A 0B1")),
            ("CA", "k1a0b1", Ok("K1A 0B1")),
            ("CA", "K1A 0BB", Err("malformed")),
            ("JP", "100-0001", Ok("100-0001")),
            ("BR", "01310-100", Ok("01310-100")),
            ("LV", "lv-1050", Ok("LV-1050")),
            ("JP", "- -", Err("malformed")),
            ("JP", "12345678901", Err("malformed")),
            ("JP", "100_0001", Err("malformed")),
        ];
        for (country, input, expected) in rows {
            let country_code = CountryCode::parse(country).expect("test country is valid");
            let got = PostalCode::parse(&country_code, input);
            let got = got.as_ref().map(|p| p.as_str().to_owned()).map_err(tag);
            assert_eq!(
                got,
                expected.map(str::to_owned),
                "PostalCode::parse({country}, {input:?})"
            );
        }
    }

    #[test]
    fn email_table() {
        let long_local = format!("{}@example.com", "a".repeat(65));
        let long_total = format!("a@{}.com", vec!["b".repeat(60); 5].join("."));
        let max_label = format!("a@{}.com", "b".repeat(63));
        let too_long_label = format!("a@{}.com", "b".repeat(64));
        table(
            "Email",
            Email::parse,
            |s| s.as_str().to_owned(),
            &[
                ("jean.dupont@example.fr", Ok("jean.dupont@example.fr")),
                ("Jean.Dupont@Example.FR", Ok("Jean.Dupont@example.fr")),
                (" jean@example.fr ", Ok("jean@example.fr")),
                (
                    "jean+relance@sub.example.co.uk",
                    Ok("jean+relance@sub.example.co.uk"),
                ),
                ("élise@example.fr", Ok("élise@example.fr")),
                ("a@b-c.fr", Ok("a@b-c.fr")),
                ("a@xn--bcher-kva.example", Ok("a@xn--bcher-kva.example")),
                (max_label.as_str(), Ok(max_label.as_str())),
                ("", Err("empty")),
                ("jean.example.fr", Err("malformed")),
                ("jean@@example.fr", Err("malformed")),
                ("a@b@example.fr", Err("malformed")),
                ("@example.fr", Err("malformed")),
                ("jean dupont@example.fr", Err("malformed")),
                ("jean\u{7}@example.fr", Err("malformed")),
                ("jean@localhost", Err("malformed")),
                ("jean@example.", Err("malformed")),
                ("jean@.example.fr", Err("malformed")),
                ("jean@example..fr", Err("malformed")),
                ("jean@-example.fr", Err("malformed")),
                ("jean@example-.fr", Err("malformed")),
                ("jean@exa_mple.fr", Err("malformed")),
                ("jean@exämple.fr", Err("malformed")),
                ("jean@192.168.0.1", Err("malformed")),
                ("jean@", Err("malformed")),
                (long_local.as_str(), Err("malformed")),
                (too_long_label.as_str(), Err("malformed")),
                (long_total.as_str(), Err("length")),
            ],
        );
    }

    #[test]
    fn phone_table() {
        table(
            "Phone",
            Phone::parse,
            |s| s.as_str().to_owned(),
            &[
                ("06 12 34 56 78", Ok("0612345678")),
                ("06.12.34.56.78", Ok("0612345678")),
                ("06-12-34-56-78", Ok("0612345678")),
                ("+33 6 12 34 56 78", Ok("+33612345678")),
                ("+33 (0)6 12 34 56 78", Ok("+330612345678")),
                ("+1 (212) 555-0100", Ok("+12125550100")),
                ("123456", Ok("123456")),
                ("123456789012345", Ok("123456789012345")),
                ("", Err("empty")),
                ("+", Err("length")),
                ("12345", Err("length")),
                ("1234567890123456", Err("length")),
                ("06 12 34 56 7A", Err("malformed")),
                ("++33612345678", Err("malformed")),
                ("06+12345678", Err("malformed")),
                ("06/12/34/56/78", Err("malformed")),
            ],
        );
    }

    #[test]
    fn vat_number_table() {
        table(
            "VatNumber",
            VatNumber::parse,
            |s| s.as_str().to_owned(),
            &[
                ("FR83404833048", Ok("FR83404833048")),
                ("FR 83 404 833 048", Ok("FR83404833048")),
                ("fr40303265045", Ok("FR40303265045")),
                ("FR96552100554", Ok("FR96552100554")),
                ("FR44732829320", Ok("FR44732829320")),
                ("FRA1552100554", Ok("FRA1552100554")),
                ("DE123456789", Ok("DE123456789")),
                ("EL123456789", Ok("EL123456789")),
                ("XI123456789", Ok("XI123456789")),
                ("NL123456789B01", Ok("NL123456789B01")),
                ("ATU12345678", Ok("ATU12345678")),
                ("FR84404833048", Err("checksum")),
                ("FR83404833049", Err("checksum")),
                ("FR8340483304", Err("length")),
                ("FR834048330488", Err("length")),
                ("FR83A04833048", Err("malformed")),
                ("GR123456789", Err("country")),
                ("GB123456789", Err("country")),
                ("US123456789", Err("country")),
                ("12345678901", Err("malformed")),
                ("DE1", Err("length")),
                ("DE1234567890123", Err("length")),
                ("DE-123456789", Err("malformed")),
                ("", Err("empty")),
            ],
        );
    }

    #[test]
    fn error_messages_read_as_sentences() {
        let rows = [
            (
                Siren::parse("55210055").map(|_| ()),
                "SIREN must be 9 digits",
            ),
            (
                Siren::parse("552100555").map(|_| ()),
                "SIREN checksum (Luhn) is wrong",
            ),
            (Siren::parse("").map(|_| ()), "SIREN must not be empty"),
            (
                Siren::parse("55210055x").map(|_| ()),
                "SIREN must contain only digits",
            ),
            (
                CountryCode::parse("ZZ").map(|_| ()),
                "country code is not an officially assigned ISO 3166-1 alpha-2 code",
            ),
            (
                Email::parse("nobody").map(|_| ()),
                "e-mail address must contain exactly one '@'",
            ),
            (
                VatNumber::parse("FR84404833048").map(|_| ()),
                "French VAT number checksum (key computed from the SIREN) is wrong",
            ),
        ];
        for (result, message) in rows {
            assert_eq!(result.map_err(|e| e.to_string()), Err(message.to_owned()));
        }
    }

    /// Parses `input` with every parser and checks that a canonical form parses to itself.
    fn check_canonical_is_fixed_point(input: &str) -> Result<(), TestCaseError> {
        macro_rules! fixed_point {
            ($parse:expr) => {
                if let Ok(value) = $parse(input) {
                    prop_assert_eq!($parse(value.as_str()), Ok(value.clone()));
                }
            };
        }
        fixed_point!(Siren::parse);
        fixed_point!(Siret::parse);
        fixed_point!(Iban::parse);
        fixed_point!(Bic::parse);
        fixed_point!(CountryCode::parse);
        fixed_point!(Email::parse);
        fixed_point!(Phone::parse);
        fixed_point!(VatNumber::parse);
        for country in [
            "FR", "MC", "NL", "PT", "PL", "GB", "IE", "US", "CA", "SE", "JP",
        ] {
            let country = CountryCode::parse(country).expect("test country is valid");
            fixed_point!(|raw| PostalCode::parse(&country, raw));
        }
        Ok(())
    }

    proptest! {
        #[test]
        fn arbitrary_text_never_panics(input in "\\PC{0,40}") {
            check_canonical_is_fixed_point(&input)?;
        }

        #[test]
        fn identifier_like_text_is_canonical(input in "[0-9A-Za-z +@.()-]{0,30}") {
            check_canonical_is_fixed_point(&input)?;
        }

        #[test]
        fn any_valid_siren_has_luhn_sum(n in 0_u32..1_000_000_000) {
            let text = format!("{n:09}");
            prop_assert_eq!(Siren::parse(&text).is_ok(), luhn_valid(&text));
        }
    }
}
