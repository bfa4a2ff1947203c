"""Money and dates on the wire, exactly.

`recouvre.v1.Money` carries its amount as a decimal string ("1234.56"): no sign, no exponent,
at most the currency's minor digits. Here amounts are `decimal.Decimal`, never `float` (0.1 +
0.2 is not 0.3 in binary floating point, and a court file wants the cents right). Nothing is
ever rounded: an amount with too many decimals is refused, as the server would.
"""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Protocol

from google.type import date_pb2

if TYPE_CHECKING:
    from recouvre.v1 import common_pb2

#: ISO 4217 currencies whose minor unit is not 2 digits (the rest have 2).
MINOR_DIGITS: dict[str, int] = {
    "BHD": 3, "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "IQD": 3, "ISK": 0, "JOD": 3, "JPY": 0,
    "KMF": 0, "KRW": 0, "KWD": 3, "LYD": 3, "OMR": 3, "PYG": 0, "RWF": 0, "TND": 3, "UGX": 0,
    "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
}


def minor_digits(currency: str) -> int:
    """Decimals allowed in an amount of `currency` (2 unless listed in MINOR_DIGITS)."""
    return MINOR_DIGITS.get(currency, 2)


def to_decimal(amount: str | Decimal) -> Decimal:
    """Parses an amount: a `Decimal` or a decimal string, finite and not negative.

    A `float` (or anything else) is refused with TypeError: it cannot hold cents exactly.
    """
    if isinstance(amount, bool) or not isinstance(amount, (str, Decimal)):
        raise TypeError(
            f"amounts are str or Decimal, never {type(amount).__name__}: {amount!r}"
        )
    try:
        value = Decimal(amount.strip()) if isinstance(amount, str) else amount
    except InvalidOperation:
        raise ValueError(f"not a decimal amount: {amount!r}") from None
    if not value.is_finite():
        raise ValueError(f"not a finite amount: {amount!r}")
    if value < 0 or value.is_signed():
        raise ValueError(f"amounts are never negative: {amount!r}")
    return value


def amount_string(amount: str | Decimal, currency: str = "EUR") -> str:
    """The wire form of `amount` in `currency`: plain digits, at most the minor digits."""
    value = to_decimal(amount)
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int)  # finite: checked above
    decimals = max(0, -exponent)
    allowed = minor_digits(currency)
    if decimals > allowed:
        # "12.50" has two decimals of which one is a trailing zero: allowed after stripping.
        stripped = value.normalize()
        stripped_exponent = stripped.as_tuple().exponent
        assert isinstance(stripped_exponent, int)
        if max(0, -stripped_exponent) > allowed:
            raise ValueError(
                f"{amount!r} has more than the {allowed} decimal(s) of {currency}; "
                "round it yourself, deliberately"
            )
        value = value.quantize(Decimal(1).scaleb(-allowed))
    return format(value, "f")


def money(amount: str | Decimal, currency: str = "EUR") -> "common_pb2.Money":
    """A `recouvre.v1.Money` for `amount` (str or Decimal, never float) in `currency`."""
    from recouvre.v1 import common_pb2

    if len(currency) != 3 or not currency.isascii() or not currency.isupper():
        raise ValueError(f"currency must be an upper-case ISO 4217 code: {currency!r}")
    return common_pb2.Money(currency_code=currency, amount=amount_string(amount, currency))


class _MoneyLike(Protocol):
    currency_code: str
    amount: str


def from_money(value: _MoneyLike) -> tuple[Decimal, str]:
    """`(Decimal amount, currency code)` of a `recouvre.v1.Money`."""
    return Decimal(value.amount), value.currency_code


def amount_of(value: _MoneyLike) -> Decimal:
    """The Decimal amount of a `recouvre.v1.Money` (its currency is `value.currency_code`)."""
    return Decimal(value.amount)


def date(value: datetime.date) -> date_pb2.Date:
    """A `google.type.Date` from a `datetime.date`."""
    if isinstance(value, datetime.datetime):
        value = value.date()
    return date_pb2.Date(year=value.year, month=value.month, day=value.day)


def from_date(value: date_pb2.Date) -> datetime.date:
    """A `datetime.date` from a full `google.type.Date`."""
    return datetime.date(value.year, value.month, value.day)


def add_years(value: datetime.date, years: int) -> datetime.date:
    """`value` plus `years` calendar years, as the server counts limitation periods: the same
    day of the same month (CPC 641), 29 February giving 28 February in a year without it."""
    year = value.year + years
    try:
        return value.replace(year=year)
    except ValueError:  # 29 February into a common year
        return value.replace(year=year, day=28)
