"""Money: `decimal.Decimal` amounts tagged with an ISO 4217 currency code.

Rules (DESIGN.md, invariants):
- amounts are `Decimal`, never float; floats are converted through `str` (shortest repr)
  so 0.1 stays 0.1;
- one currency per computation: adding or comparing two currencies raises
  `CurrencyError` unless the caller converts explicitly with `Money.convert(rate)`;
- in JSON, money is a decimal string (`to_json`), so no reader loses digits.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation, localcontext
from typing import Any, Union

from infercost.core.currency import ISO_4217, check_currency
from infercost.errors import CurrencyError, InputError

Number = Union[int, float, str, Decimal]

#: Working precision for intermediate money arithmetic (digits). Rounding happens only
#: when a figure is displayed or exported, never in between.
PRECISION = 34


def to_decimal(value: Number, where: str | None = None) -> Decimal:
    """Convert int, float, str or Decimal to Decimal exactly as written (floats via repr)."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool):
        raise InputError(f"expected a number, got {value!r}", where)
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise InputError(f"expected a finite number, got {value!r}", where)
        return Decimal(repr(value))
    try:
        d = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise InputError(f"expected a decimal number, got {value!r}", where) from None
    if not d.is_finite():
        raise InputError(f"expected a finite number, got {value!r}", where)
    return d


@dataclass(frozen=True, slots=True)
class Money:
    """An amount in one currency. Arithmetic keeps full precision; see `quantize`."""

    amount: Decimal
    currency: str = "USD"

    def __post_init__(self) -> None:
        if not isinstance(self.amount, Decimal):
            object.__setattr__(self, "amount", to_decimal(self.amount))
        if self.currency not in ISO_4217:
            check_currency(self.currency)

    @classmethod
    def of(cls, value: Number, currency: str = "USD") -> Money:
        return cls(to_decimal(value), currency)

    @classmethod
    def zero(cls, currency: str = "USD") -> Money:
        return cls(Decimal(0), currency)

    def _same(self, other: Money) -> None:
        if not isinstance(other, Money):
            raise TypeError(f"cannot combine Money with {type(other).__name__}")
        if other.currency != self.currency:
            raise CurrencyError(
                f"cannot combine {self.currency} and {other.currency} without an exchange rate"
            )

    def __add__(self, other: Money) -> Money:
        if other == 0:  # allows sum() over Money
            return self
        self._same(other)
        with localcontext() as ctx:
            ctx.prec = PRECISION
            return Money(self.amount + other.amount, self.currency)

    __radd__ = __add__

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        with localcontext() as ctx:
            ctx.prec = PRECISION
            return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __mul__(self, factor: Number) -> Money:
        if isinstance(factor, Money):
            raise TypeError("cannot multiply money by money")
        with localcontext() as ctx:
            ctx.prec = PRECISION
            return Money(self.amount * to_decimal(factor), self.currency)

    __rmul__ = __mul__

    def __truediv__(self, divisor: Number | Money) -> Money | Decimal:
        with localcontext() as ctx:
            ctx.prec = PRECISION
            if isinstance(divisor, Money):
                self._same(divisor)
                return self.amount / divisor.amount
            d = to_decimal(divisor)
            if d == 0:
                raise ZeroDivisionError("money divided by zero")
            return Money(self.amount / d, self.currency)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (int, Decimal)) and not isinstance(other, bool) and other == 0:
            return self.amount == 0
        if not isinstance(other, Money):
            return NotImplemented
        return self.currency == other.currency and self.amount == other.amount

    def __hash__(self) -> int:
        return hash((self.amount, self.currency))

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.amount <= other.amount

    def __gt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount > other.amount

    def __ge__(self, other: Money) -> bool:
        self._same(other)
        return self.amount >= other.amount

    def convert(self, rate: Number, to: str) -> Money:
        """Explicit conversion: `rate` units of `to` per one unit of this currency."""
        return Money(self.amount * to_decimal(rate), to)

    def quantize(self, places: int = 2) -> Money:
        """Round half-even to `places` decimals (for display and export only)."""
        return Money(round_places(self.amount, places), self.currency)

    def to_json(self) -> str:
        """Decimal string with no exponent, e.g. '0.000123'."""
        return format_decimal(self.amount)

    def __str__(self) -> str:
        return f"{format_decimal(self.amount)} {self.currency}"


def round_places(d: Decimal, places: int) -> Decimal:
    """`d` rounded half-even to `places` decimals, whatever its size (the working
    precision grows with the digits needed, so 1e20 to 18 places never overflows)."""
    with localcontext() as ctx:
        ctx.prec = max(PRECISION, d.adjusted() + places + 2) if d.is_finite() else PRECISION
        return d.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)


def format_decimal(d: Decimal, places: int | None = None) -> str:
    """Plain decimal string (no scientific notation); optional rounding to `places`."""
    if places is not None:
        d = round_places(d, places)
    if d.is_zero():
        d = d.copy_abs()  # -0.00 (a tiny negative rounded away) prints as 0.00
    s = format(d, "f")
    if "." in s and places is None:
        s = s.rstrip("0").rstrip(".")
    return s


def format_significant(d: Decimal, digits: int = 4, min_places: int = 0) -> str:
    """Plain decimal string of `d` rounded to `digits` significant digits (at least
    `min_places` decimals), never scientific notation: Decimal("3.04E-7") -> "0.0000003040",
    Decimal("0.0078") -> "0.007800", Decimal("2223.4") -> "2223" ("2223.40" with
    min_places=2). Zero is "0" (or "0.00" with min_places=2)."""
    if d.is_zero():
        return format_decimal(d, min_places) if min_places else "0"
    return format_decimal(d, max(min_places, digits - 1 - d.adjusted()))


def money_sum(items, currency: str) -> Money:
    """Sum Money values that must all be in `currency` (empty sum is zero)."""
    total = Money.zero(currency)
    for m in items:
        total = total + m
    return total


def thousands(s: str) -> str:
    """A decimal string with thousands separators in its whole part ("77206.55" ->
    "77,206.55"); the digits are left as they are, and text that is no decimal number
    ("n/a") is returned as it is (reports; JSON keeps the plain exact strings)."""
    sign, body = ("-", s[1:]) if s.startswith("-") else ("", s)
    whole, dot, frac = body.partition(".")
    if not whole.isdigit():
        return s
    return f"{sign}{int(whole):,}{dot}{frac}"


def unit_cost_text(v: Any) -> str:
    """A unit cost (USD, or the bill's currency, per request or per 1k) as reports print
    it: four significant digits, at least cents, thousands separators, never E-notation
    (they are often far below a cent: Decimal("3.04E-7") -> "0.0000003040", 0.0078 ->
    "0.007800", 1234.5678 -> "1,234.57"); "n/a" for None, "0" for zero."""
    if v is None:
        return "n/a"
    d = v if isinstance(v, Decimal) else Decimal(str(v))
    return thousands(format_significant(d, 4, 2)) if d else "0"
