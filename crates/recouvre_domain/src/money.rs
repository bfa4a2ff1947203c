//! Exact amounts of money in one ISO 4217 currency.
//!
//! Invariants, established once by the constructors and never broken afterwards:
//! - a [`Currency`] is an active ISO 4217 currency with a minor unit (no funds such as `BOV`,
//!   no metals or test codes such as `XAU`/`XTS`/`XXX`, no superseded codes such as `SLL`);
//! - a [`Money`] is never negative, never has more decimals than its currency's minor unit, and
//!   stays below 10^15 units, so sums of two amounts can never overflow `Decimal`;
//! - the stored `Decimal` always has exactly the currency's minor digits as its scale, so
//!   `1.5 EUR` and `1.50 EUR` are the same value and print the same way.
//!
//! There is no conversion from floats and no rounding: a value that does not fit is refused,
//! never silently changed.

use std::cmp::Ordering;
use std::fmt;

use rust_decimal::Decimal;

/// Number of integer digits an amount may have: amounts are strictly below 10^15 units.
///
/// This leaves ample room for any real debt while keeping every sum far below `Decimal::MAX`.
const MAX_INTEGER_DIGITS: usize = 15;

/// Errors building or combining [`Money`] and [`Currency`] values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    /// The amount string is empty or only whitespace.
    #[error("amount must not be empty")]
    Empty,
    /// The amount string is not a plain decimal number such as `1234.50`.
    #[error(
        "amount must be a plain decimal number with digits and an optional '.' followed by digits (e.g. \"1234.50\"), without sign, spaces, exponent or thousands separator"
    )]
    Malformed,
    /// The amount is negative.
    #[error("amount must not be negative")]
    Negative,
    /// The amount has more decimals than the currency's minor unit.
    #[error("{}", too_many_decimals_message(*max))]
    TooManyDecimals {
        /// The currency's minor digits.
        max: u32,
    },
    /// The amount is 10^15 units or more.
    #[error("amount must be less than 1000000000000000 (10^15)")]
    TooLarge,
    /// The currency code is not an active ISO 4217 currency with a minor unit.
    #[error("currency {0:?} is not a supported ISO 4217 currency code (expected e.g. \"EUR\")")]
    UnknownCurrency(String),
    /// Two amounts in different currencies were combined.
    #[error("amount is in {found} but {expected} was expected")]
    CurrencyMismatch {
        /// The currency of the left-hand amount.
        expected: &'static str,
        /// The currency of the right-hand amount.
        found: &'static str,
    },
    /// A subtraction would give a negative amount.
    #[error("the result would be negative")]
    NegativeResult,
}

fn too_many_decimals_message(max: u32) -> String {
    match max {
        0 => "amount must be a whole number in this currency (it has no minor unit)".to_owned(),
        1 => "amount must have at most 1 decimal place in this currency".to_owned(),
        n => format!("amount must have at most {n} decimal places in this currency"),
    }
}

/// An ISO 4217 currency with its minor unit (EUR: 2 digits, JPY: 0, KWD: 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Currency {
    iso: iso_currency::Currency,
    minor_digits: u8,
}

impl Currency {
    /// The euro, 2 minor digits.
    pub const EUR: Currency = Currency {
        iso: iso_currency::Currency::EUR,
        minor_digits: 2,
    };

    /// Parses an active ISO 4217 code, written exactly in upper case (`"EUR"`, not `"eur"`).
    ///
    /// Funds (`BOV`, `CLF`…), units without a minor unit (`XAU`, `XDR`, `XTS`, `XXX`…) and
    /// superseded codes (`SLL`, `VES`…) are refused: nobody owes a debt in them.
    pub fn parse(code: &str) -> Result<Currency, MoneyError> {
        let unknown = || MoneyError::UnknownCurrency(code.chars().take(16).collect());
        if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(unknown());
        }
        let iso = iso_currency::Currency::from_code(code).ok_or_else(unknown)?;
        if iso.is_fund() || iso.is_special() || iso.is_superseded().is_some() {
            return Err(unknown());
        }
        let minor_digits = iso
            .exponent()
            .and_then(|e| u8::try_from(e).ok())
            .filter(|&e| e <= 4)
            .ok_or_else(unknown)?;
        Ok(Currency { iso, minor_digits })
    }

    /// The three-letter ISO 4217 code, e.g. `"EUR"`.
    pub fn code(self) -> &'static str {
        self.iso.code()
    }

    /// Number of digits of the minor unit: 2 for EUR, 0 for JPY, 3 for KWD.
    pub fn minor_digits(self) -> u32 {
        u32::from(self.minor_digits)
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// An exact non-negative amount in one currency, never more decimals than its minor unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Money {
    /// Non-negative, below 10^15, scale exactly `currency.minor_digits()`.
    amount: Decimal,
    currency: Currency,
}

impl Money {
    /// Parses an amount as sent over the API (`"1234.50"`) in the currency with code `currency`.
    ///
    /// The currency is checked first, since the amount's allowed decimals depend on it.
    pub fn parse(amount: &str, currency: &str) -> Result<Money, MoneyError> {
        Money::parse_in(amount, Currency::parse(currency)?)
    }

    /// Parses an amount as sent over the API (`"1234.50"`) in `currency`.
    ///
    /// Grammar: `[0-9]+(\.[0-9]+)?`, nothing else — no sign, spaces, exponent, thousands
    /// separator or comma. The fractional part may have at most the currency's minor digits,
    /// trailing zeros included (`"12.340"` is refused in EUR), because the API contract says so
    /// and accepting it would hide a client sending amounts at the wrong precision.
    pub fn parse_in(amount: &str, currency: Currency) -> Result<Money, MoneyError> {
        if amount.trim().is_empty() {
            return Err(MoneyError::Empty);
        }
        if let Some(rest) = amount.strip_prefix('-') {
            return Err(match split_unsigned(rest) {
                Some(_) => MoneyError::Negative,
                None => MoneyError::Malformed,
            });
        }
        let (integer, fraction) = split_unsigned(amount).ok_or(MoneyError::Malformed)?;
        let digits = currency.minor_digits();
        if fraction.len() > currency.minor_digits as usize {
            return Err(MoneyError::TooManyDecimals { max: digits });
        }
        let significant = integer.trim_start_matches('0');
        if significant.len() > MAX_INTEGER_DIGITS {
            return Err(MoneyError::TooLarge);
        }
        // At most 15 + 4 digits: the mantissa fits in an i128 (and in Decimal's 96 bits).
        let mantissa = significant
            .bytes()
            .chain(fraction.bytes())
            .chain(std::iter::repeat_n(
                b'0',
                currency.minor_digits as usize - fraction.len(),
            ))
            .fold(0_i128, |acc, b| acc * 10 + i128::from(b - b'0'));
        Ok(Money {
            amount: Decimal::from_i128_with_scale(mantissa, digits),
            currency,
        })
    }

    /// Builds an amount from a `Decimal`, refusing negative, too precise or too large values.
    ///
    /// Trailing zeros beyond the minor unit are harmless here (`1.500` EUR becomes `1.50`):
    /// only the value counts, unlike in [`Money::parse_in`] where the text is the contract.
    pub fn new(amount: Decimal, currency: Currency) -> Result<Money, MoneyError> {
        if amount.is_sign_negative() && !amount.is_zero() {
            return Err(MoneyError::Negative);
        }
        let normalized = amount.normalize();
        let digits = currency.minor_digits();
        if normalized.scale() > digits {
            return Err(MoneyError::TooManyDecimals { max: digits });
        }
        Money::from_valid_decimal(normalized, currency)
    }

    /// Zero in `currency`.
    pub fn zero(currency: Currency) -> Money {
        Money {
            amount: Decimal::from_i128_with_scale(0, currency.minor_digits()),
            currency,
        }
    }

    /// The amount, with exactly the currency's minor digits as its scale.
    pub fn amount(self) -> Decimal {
        self.amount
    }

    /// The currency.
    pub fn currency(self) -> Currency {
        self.currency
    }

    /// Whether the amount is zero.
    pub fn is_zero(self) -> bool {
        self.amount.is_zero()
    }

    /// Adds two amounts in the same currency.
    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        let sum = self
            .amount
            .checked_add(other.amount)
            .ok_or(MoneyError::TooLarge)?;
        Money::from_valid_decimal(sum, self.currency)
    }

    /// Subtracts `other` from `self`, both in the same currency; never goes below zero.
    pub fn checked_sub(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        if other.amount > self.amount {
            return Err(MoneyError::NegativeResult);
        }
        let difference = self
            .amount
            .checked_sub(other.amount)
            .ok_or(MoneyError::NegativeResult)?;
        Money::from_valid_decimal(difference, self.currency)
    }

    /// The amount with exactly the currency's minor digits and no currency: `"1234.50"`,
    /// `"1234"` in JPY, `"0.000"` in KWD. This is the API's wire format, read back by
    /// [`Money::parse_in`].
    pub fn to_amount_string(self) -> String {
        self.amount.to_string()
    }

    fn same_currency(self, other: Money) -> Result<(), MoneyError> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(MoneyError::CurrencyMismatch {
                expected: self.currency.code(),
                found: other.currency.code(),
            })
        }
    }

    /// Checks the bound and rescales a non-negative value whose scale is at most the minor digits.
    fn from_valid_decimal(value: Decimal, currency: Currency) -> Result<Money, MoneyError> {
        if value >= Decimal::from(10_i64.pow(MAX_INTEGER_DIGITS as u32)) {
            return Err(MoneyError::TooLarge);
        }
        // `abs` drops the sign of a negative zero, so that "-0" never prints.
        let mut amount = value.abs();
        amount.rescale(currency.minor_digits());
        Ok(Money { amount, currency })
    }
}

/// Amounts compare only within one currency: across currencies `partial_cmp` is `None`, so
/// `<`, `>`, `<=` and `>=` are all false. Callers check the currency first (as
/// [`Money::checked_sub`] does) rather than rely on a comparison being false.
impl PartialOrd for Money {
    fn partial_cmp(&self, other: &Money) -> Option<Ordering> {
        (self.currency == other.currency).then(|| self.amount.cmp(&other.amount))
    }
}

impl fmt::Display for Money {
    /// `"1234.50 EUR"`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount, self.currency.code())
    }
}

/// Splits `[0-9]+(\.[0-9]+)?` into its integer and fractional digits, or `None`.
fn split_unsigned(s: &str) -> Option<(&str, &str)> {
    let all_digits = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    match s.split_once('.') {
        Some((integer, fraction)) if all_digits(integer) && all_digits(fraction) => {
            Some((integer, fraction))
        }
        Some(_) => None,
        None if all_digits(s) => Some((s, "")),
        None => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    fn currency(code: &str) -> Currency {
        Currency::parse(code).expect("test currency is valid")
    }

    fn money(amount: &str, code: &str) -> Money {
        Money::parse(amount, code).expect("test amount is valid")
    }

    /// (amount, currency, expected: Ok(canonical amount string) or Err(error)).
    #[test]
    fn parse_table() {
        use MoneyError as E;
        let rows: &[(&str, &str, Result<&str, MoneyError>)] = &[
            ("0", "EUR", Ok("0.00")),
            ("0.00", "EUR", Ok("0.00")),
            ("1", "EUR", Ok("1.00")),
            ("1.5", "EUR", Ok("1.50")),
            ("1234.50", "EUR", Ok("1234.50")),
            ("007.50", "EUR", Ok("7.50")),
            ("999999999999999.99", "EUR", Ok("999999999999999.99")),
            ("000000000000000000001", "EUR", Ok("1.00")),
            ("1234", "JPY", Ok("1234")),
            ("0", "JPY", Ok("0")),
            ("1.234", "KWD", Ok("1.234")),
            ("1.2", "KWD", Ok("1.200")),
            ("", "EUR", Err(E::Empty)),
            ("   ", "EUR", Err(E::Empty)),
            ("\t", "EUR", Err(E::Empty)),
            (" 1.00", "EUR", Err(E::Malformed)),
            ("1.00 ", "EUR", Err(E::Malformed)),
            ("+1.00", "EUR", Err(E::Malformed)),
            ("-1.00", "EUR", Err(E::Negative)),
            ("-0", "EUR", Err(E::Negative)),
            ("-", "EUR", Err(E::Malformed)),
            ("--1", "EUR", Err(E::Malformed)),
            ("1e3", "EUR", Err(E::Malformed)),
            ("1E3", "EUR", Err(E::Malformed)),
            ("1.", "EUR", Err(E::Malformed)),
            (".5", "EUR", Err(E::Malformed)),
            (".", "EUR", Err(E::Malformed)),
            ("1,50", "EUR", Err(E::Malformed)),
            ("1 000.00", "EUR", Err(E::Malformed)),
            ("1.2.3", "EUR", Err(E::Malformed)),
            ("12a", "EUR", Err(E::Malformed)),
            ("١٢", "EUR", Err(E::Malformed)),
            ("0x10", "EUR", Err(E::Malformed)),
            ("NaN", "EUR", Err(E::Malformed)),
            ("12.345", "EUR", Err(E::TooManyDecimals { max: 2 })),
            ("12.340", "EUR", Err(E::TooManyDecimals { max: 2 })),
            ("12.0", "JPY", Err(E::TooManyDecimals { max: 0 })),
            ("1.2345", "KWD", Err(E::TooManyDecimals { max: 3 })),
            ("1000000000000000", "EUR", Err(E::TooLarge)),
            ("1000000000000000.00", "EUR", Err(E::TooLarge)),
            ("1000000000000000", "JPY", Err(E::TooLarge)),
            (
                "99999999999999999999999999999999999999",
                "EUR",
                Err(E::TooLarge),
            ),
            ("1.00", "eur", Err(E::UnknownCurrency("eur".to_owned()))),
            ("1.00", "XXX", Err(E::UnknownCurrency("XXX".to_owned()))),
            ("1.00", "XAU", Err(E::UnknownCurrency("XAU".to_owned()))),
            ("1.00", "XTS", Err(E::UnknownCurrency("XTS".to_owned()))),
            ("1.00", "BOV", Err(E::UnknownCurrency("BOV".to_owned()))),
            ("1.00", "SLL", Err(E::UnknownCurrency("SLL".to_owned()))),
            ("1.00", "ABC", Err(E::UnknownCurrency("ABC".to_owned()))),
            ("1.00", "", Err(E::UnknownCurrency(String::new()))),
            ("1.00", " EUR", Err(E::UnknownCurrency(" EUR".to_owned()))),
        ];
        for (amount, code, expected) in rows {
            let got = Money::parse(amount, code).map(Money::to_amount_string);
            let expected = expected.clone().map(str::to_owned);
            assert_eq!(got, expected, "Money::parse({amount:?}, {code:?})");
        }
    }

    #[test]
    fn currencies_know_their_minor_digits() {
        let rows = [
            ("EUR", 2),
            ("USD", 2),
            ("GBP", 2),
            ("CHF", 2),
            ("JPY", 0),
            ("KWD", 3),
            ("XOF", 0),
            ("XPF", 0),
        ];
        for (code, digits) in rows {
            let c = currency(code);
            assert_eq!((c.code(), c.minor_digits()), (code, digits));
        }
        assert_eq!(Currency::EUR, currency("EUR"));
        assert_eq!(Currency::EUR.to_string(), "EUR");
    }

    #[test]
    fn unknown_currency_echo_is_bounded() {
        let long = "E".repeat(1000);
        let Err(MoneyError::UnknownCurrency(echo)) = Currency::parse(&long) else {
            panic!("a 1000-letter code is not a currency");
        };
        assert_eq!(echo.len(), 16);
    }

    #[test]
    fn new_normalizes_and_validates() {
        let eur = Currency::EUR;
        let jpy = currency("JPY");
        let ok = |d: Decimal, c: Currency| Money::new(d, c).map(Money::to_amount_string);
        assert_eq!(ok(dec!(1.500), eur), Ok("1.50".to_owned()));
        assert_eq!(ok(dec!(1.5), eur), Ok("1.50".to_owned()));
        assert_eq!(ok(dec!(12.00), jpy), Ok("12".to_owned()));
        assert_eq!(ok(dec!(-0.00), eur), Ok("0.00".to_owned()));
        assert_eq!(ok(dec!(-0.01), eur), Err(MoneyError::Negative));
        assert_eq!(
            ok(dec!(1.005), eur),
            Err(MoneyError::TooManyDecimals { max: 2 })
        );
        assert_eq!(
            ok(dec!(1.5), jpy),
            Err(MoneyError::TooManyDecimals { max: 0 })
        );
        assert_eq!(ok(dec!(1000000000000000), eur), Err(MoneyError::TooLarge));
        assert_eq!(ok(Decimal::MAX, eur), Err(MoneyError::TooLarge));
        assert_eq!(
            money("1.5", "EUR"),
            Money::new(dec!(1.50), eur).expect("valid")
        );
        assert_eq!(money("1.5", "EUR").amount().scale(), 2);
    }

    #[test]
    fn display_and_accessors() {
        let m = money("1234.5", "EUR");
        assert_eq!(m.to_string(), "1234.50 EUR");
        assert_eq!(m.to_amount_string(), "1234.50");
        assert_eq!(m.amount(), dec!(1234.50));
        assert_eq!(m.currency(), Currency::EUR);
        assert_eq!(money("1234", "JPY").to_string(), "1234 JPY");
        assert_eq!(Money::zero(currency("KWD")).to_string(), "0.000 KWD");
        assert!(Money::zero(Currency::EUR).is_zero());
        assert!(money("0.00", "EUR").is_zero());
        assert!(!m.is_zero());
        assert_eq!(Money::zero(Currency::EUR), money("0", "EUR"));
    }

    #[test]
    fn comparisons_stay_within_one_currency() {
        let ten = money("10", "EUR");
        let five = money("5.00", "EUR");
        assert!(five < ten);
        assert!(ten > five);
        assert!(five <= ten);
        assert_eq!(
            ten.partial_cmp(&money("10.00", "EUR")),
            Some(Ordering::Equal)
        );
        let usd = money("10.00", "USD");
        assert_eq!(ten.partial_cmp(&usd), None);
        assert_ne!(ten, usd);
        let comparisons = [ten < usd, ten > usd, ten <= usd, ten >= usd];
        assert_eq!(comparisons, [false; 4]);
    }

    #[test]
    fn arithmetic_refusals() {
        let eur = money("10.00", "EUR");
        let usd = money("1.00", "USD");
        let mismatch = MoneyError::CurrencyMismatch {
            expected: "EUR",
            found: "USD",
        };
        assert_eq!(eur.checked_add(usd), Err(mismatch.clone()));
        assert_eq!(eur.checked_sub(usd), Err(mismatch));
        assert_eq!(
            eur.checked_sub(money("10.01", "EUR")),
            Err(MoneyError::NegativeResult)
        );
        assert_eq!(eur.checked_sub(eur), Ok(Money::zero(Currency::EUR)));
        let max = money("999999999999999.99", "EUR");
        assert_eq!(
            max.checked_add(money("0.01", "EUR")),
            Err(MoneyError::TooLarge)
        );
        assert_eq!(max.checked_add(max), Err(MoneyError::TooLarge));
        assert_eq!(
            eur.checked_add(money("0.5", "EUR"))
                .map(Money::to_amount_string),
            Ok("10.50".to_owned())
        );
    }

    #[test]
    fn error_messages_read_as_sentences() {
        assert_eq!(
            MoneyError::TooManyDecimals { max: 2 }.to_string(),
            "amount must have at most 2 decimal places in this currency"
        );
        assert_eq!(
            MoneyError::TooManyDecimals { max: 0 }.to_string(),
            "amount must be a whole number in this currency (it has no minor unit)"
        );
        assert_eq!(
            MoneyError::CurrencyMismatch {
                expected: "EUR",
                found: "USD"
            }
            .to_string(),
            "amount is in USD but EUR was expected"
        );
        assert_eq!(
            MoneyError::UnknownCurrency("eur".to_owned()).to_string(),
            "currency \"eur\" is not a supported ISO 4217 currency code (expected e.g. \"EUR\")"
        );
    }

    fn any_currency() -> impl Strategy<Value = Currency> {
        prop_oneof![Just("EUR"), Just("JPY"), Just("KWD"), Just("USD")].prop_map(currency)
    }

    fn money_in(c: Currency) -> impl Strategy<Value = Money> {
        let limit = 10_i64.pow(MAX_INTEGER_DIGITS as u32 + c.minor_digits());
        (0..limit).prop_map(move |mantissa| {
            Money::new(Decimal::new(mantissa, c.minor_digits()), c).expect("mantissa is in range")
        })
    }

    fn any_money() -> impl Strategy<Value = Money> {
        any_currency().prop_flat_map(money_in)
    }

    fn money_pair() -> impl Strategy<Value = (Money, Money)> {
        any_currency().prop_flat_map(|c| (money_in(c), money_in(c)))
    }

    proptest! {
        #[test]
        fn amount_string_round_trips(m in any_money()) {
            prop_assert_eq!(Money::parse_in(&m.to_amount_string(), m.currency()), Ok(m));
            prop_assert_eq!(Money::parse(&m.to_amount_string(), m.currency().code()), Ok(m));
            prop_assert_eq!(m.amount().scale(), m.currency().minor_digits());
        }

        #[test]
        fn adding_then_subtracting_is_identity((a, b) in money_pair()) {
            match a.checked_add(b) {
                Ok(sum) => prop_assert_eq!(sum.checked_sub(b), Ok(a)),
                Err(e) => prop_assert_eq!(e, MoneyError::TooLarge),
            }
        }

        #[test]
        fn subtraction_never_goes_negative((a, b) in money_pair()) {
            match a.checked_sub(b) {
                Ok(d) => {
                    prop_assert!(!d.amount().is_sign_negative());
                    prop_assert!(a.amount() >= b.amount());
                    prop_assert_eq!(d.checked_add(b), Ok(a));
                }
                Err(e) => {
                    prop_assert_eq!(e, MoneyError::NegativeResult);
                    prop_assert!(a.amount() < b.amount());
                }
            }
        }

        #[test]
        fn addition_commutes((a, b) in money_pair()) {
            prop_assert_eq!(a.checked_add(b), b.checked_add(a));
        }

        #[test]
        fn addition_is_monotonic((a, b) in money_pair()) {
            if let Ok(sum) = a.checked_add(b) {
                prop_assert!(sum >= a && sum >= b);
            }
        }

        #[test]
        fn decimal_strings_parse_like_decimal(int in "[0-9]{1,15}", frac in "[0-9]{0,2}") {
            let text = if frac.is_empty() { int.clone() } else { format!("{int}.{frac}") };
            let parsed = Money::parse(&text, "EUR").expect("within grammar and bounds");
            let exact = Decimal::from_str_exact(&text).expect("valid decimal");
            prop_assert_eq!(parsed.amount(), exact);
        }
    }
}
