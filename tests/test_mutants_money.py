"""Tests that kill the mutants `make mutate` found alive in core/money.py.

Each test pins one behaviour a one-token change would break: error messages and the
`where` they name, the currency carried through every operation, the comparison
operators at equality, rounding that ignores the caller's decimal context.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, localcontext

import pytest

from infercost.core.money import Money, format_decimal, format_significant, money_sum, to_decimal
from infercost.errors import CurrencyError, InputError


@pytest.mark.parametrize(("value", "words"), [
    (True, "expected a number, got True"),
    (float("nan"), "expected a finite number, got nan"),
    (float("inf"), "expected a finite number, got inf"),
    (float("-inf"), "expected a finite number, got -inf"),
    ("abc", "expected a decimal number, got 'abc'"),
    ("Infinity", "expected a finite number, got 'Infinity'"),
    ("NaN", "expected a finite number, got 'NaN'"),
])
def test_to_decimal_refuses_with_message_and_where(value, words):
    with pytest.raises(InputError) as e:
        to_decimal(value, "bill.csv: row 3")
    assert e.value.message == words
    assert e.value.where == "bill.csv: row 3"
    assert str(e.value) == f"bill.csv: row 3: {words}"


def test_money_coerces_a_plain_amount_to_decimal():
    m = Money(5)  # an int, not a Decimal
    assert type(m.amount) is Decimal and m.amount == Decimal(5)
    assert type(Money("0.1").amount) is Decimal and Money("0.1").amount == Decimal("0.1")


def test_bad_currency_message():
    with pytest.raises(InputError, match=r"currency must be an ISO 4217 code like USD or EUR; did you mean 'USD'\? \(got 'usd'\)"):
        Money(1, "usd")


def test_zero_keeps_its_currency():
    assert Money.zero().currency == "USD"
    assert Money.zero("EUR").currency == "EUR" and Money.zero("EUR").amount == 0


def test_adding_a_non_money_names_the_type():
    with pytest.raises(TypeError, match="cannot combine Money with int"):
        Money.of(1) + 1
    with pytest.raises(TypeError, match="cannot combine Money with str"):
        Money.of(1) - "1"


def test_builtin_sum_starts_from_zero():
    # sum() computes 0 + m1 + m2: Money + 0 must return the Money unchanged
    assert sum([Money.of("1.5", "EUR"), Money.of("2.25", "EUR")]) == Money.of("3.75", "EUR")
    assert Money.of(7, "EUR") + 0 == Money.of(7, "EUR")


def test_every_operation_keeps_the_currency():
    a, b = Money.of(6, "EUR"), Money.of(2, "EUR")
    assert (a + b) == Money.of(8, "EUR")       # 6 + 2
    assert (a - b) == Money.of(4, "EUR")       # 6 - 2
    assert (-a) == Money.of(-6, "EUR")
    assert (a * 3) == Money.of(18, "EUR")      # 6 x 3
    assert (a / 4) == Money.of("1.5", "EUR")   # 6 / 4
    assert a.quantize(1) == Money.of("6.0", "EUR")
    for m in (a + b, a - b, -a, a * 3, 3 * a, a / 4, a.quantize(2)):
        assert m.currency == "EUR"


def test_subtraction_is_exact_at_34_digits():
    # 1 - 1e-33 needs 34 significant digits: 0.999...9 (33 nines)
    d = Money.of(1) - Money.of("1E-33")
    assert d.amount == Decimal("0." + "9" * 33)


def test_subtracting_two_currencies_is_refused():
    with pytest.raises(CurrencyError, match="USD and EUR"):
        Money.of(5, "USD") - Money.of(1, "EUR")


def test_money_times_money_is_refused():
    with pytest.raises(TypeError) as e:
        Money.of(2) * Money.of(3)
    assert str(e.value) == "cannot multiply money by money"


def test_money_over_money_is_a_ratio():
    assert Money.of(6, "EUR") / Money.of(3, "EUR") == Decimal(2)  # 6 / 3
    with pytest.raises(CurrencyError):
        Money.of(6, "USD") / Money.of(3, "EUR")
    with pytest.raises(ZeroDivisionError) as e:
        Money.of(6) / 0
    assert str(e.value) == "money divided by zero"


def test_equality_with_zero_and_other_numbers():
    assert Money.of(0) == 0 and Money.of(0) == Decimal(0)
    assert not (Money.of(5) == 0)
    assert not (Money.of(0) == 5)           # only zero compares to a bare number
    assert not (Money.of(0) == False)       # noqa: E712 (a bool is not an amount)
    assert Money.of(1, "USD") != Money.of(1, "EUR")
    assert Money.of(1, "USD") != Money.of(2, "USD")


def test_hash_follows_amount_and_currency():
    assert hash(Money.of(1)) == hash(Money.of("1.0"))
    assert len({hash(Money.of(i)) for i in range(20)}) > 1


def test_comparisons_at_equality_and_across_currencies():
    a, b = Money.of(2), Money.of(2)
    assert not (a < b) and a <= b and not (a > b) and a >= b
    assert Money.of(1) < Money.of(2) and Money.of(2) > Money.of(1)
    for op in ("__lt__", "__le__", "__gt__", "__ge__"):
        with pytest.raises(CurrencyError):
            getattr(Money.of(1, "USD"), op)(Money.of(1, "EUR"))


def test_rounding_is_half_even_whatever_the_callers_context():
    with localcontext() as ctx:
        ctx.rounding = ROUND_HALF_UP
        assert Money.of("0.125").quantize(2).amount == Decimal("0.12")  # half-even, not up
        assert format_decimal(Decimal("0.125"), 2) == "0.12"


def test_str_is_plain_amount_and_code():
    assert str(Money.of("1.50", "EUR")) == "1.5 EUR"
    assert str(Money.of("1E+3", "JPY")) == "1000 JPY"


def test_format_decimal_places_and_trailing_zeros():
    assert format_decimal(Decimal("1.23456"), 2) == "1.23"
    assert format_decimal(Decimal("1.5"), 2) == "1.50"      # fixed places keep zeros
    assert format_decimal(Decimal("100")) == "100"          # no '.': zeros are digits
    assert format_decimal(Decimal("1E+2")) == "100"
    assert format_decimal(Decimal("2.500")) == "2.5"
    assert format_decimal(Decimal("0.000")) == "0"


def test_negative_zero_prints_as_zero():
    assert format_decimal(Decimal("-0")) == "0"
    assert format_decimal(Decimal("-0.04"), 1) == "0.0"     # rounds to -0.0
    assert format_decimal(Decimal("-0.001"), 2) == "0.00"   # rounds to -0.00
    assert Money.of("-0.00").to_json() == "0"


def test_money_sum_checks_currency():
    assert money_sum([], "EUR") == Money.zero("EUR")
    with pytest.raises(CurrencyError):
        money_sum([Money.of(1, "USD")], "EUR")


def test_rounding_large_amounts_never_overflows_the_context():
    # 15,768,000,000.000 to 18 places needs 11 + 18 = 29 digits (> the default 28)
    big = Decimal("15768000000.000")
    assert Money.of(big).quantize(18).amount == big
    assert format_decimal(Decimal("1E+30"), 2) == "1" + "0" * 30 + ".00"
    assert Money.of("123456789012345678901234567890.125").quantize(2).amount == \
        Decimal("123456789012345678901234567890.12")  # half-even: ...0.125 -> ...0.12


def test_quantize_defaults_to_cents():
    assert Money.of("2.345").quantize().amount == Decimal("2.34")   # half-even at 2 places
    assert str(Money.of("2.3").quantize().amount) == "2.30"


def test_rounding_needs_more_than_34_digits():
    # 1e20 to 18 places is 21 + 18 = 39 digits, past the 34-digit working precision
    assert Money.of("1E+20").quantize(18).amount == Decimal(10) ** 20
    assert format_decimal(Decimal("123456789012345678901.5"), 18) == \
        "123456789012345678901.500000000000000000"


# -- format_significant: significant digits, never an exponent --------------------------
@pytest.mark.parametrize(("value", "kw", "text"), [
    # 4 significant digits: adjusted() of 3.04e-7 is -7, so 4 - 1 + 7 = 10 places
    (Decimal("3.040E-7"), {}, "0.0000003040"),
    # adjusted() -3: 4 - 1 + 3 = 6 places
    (Decimal("0.0078"), {}, "0.007800"),
    # adjusted() 3: 4 - 1 - 3 = 0 places; min_places 2 wins over 0
    (Decimal("2223.4"), {}, "2223"),
    (Decimal("2223.4"), {"min_places": 2}, "2223.40"),
    # adjusted() 4: 4 - 1 - 4 = -1 places -> 0 (format_decimal never rounds to tens)
    (Decimal("12345.6"), {}, "12346"),
    # 2 digits: adjusted() -2 -> 2 - 1 + 2 = 3 places, half-even: 0.01234 -> 0.012
    (Decimal("0.01234"), {"digits": 2}, "0.012"),
    (Decimal("-0.0078"), {}, "-0.007800"),
    # zero: "0", or min_places zeros after the point
    (Decimal("0"), {}, "0"),
    (Decimal("0.000"), {}, "0"),
    (Decimal("0"), {"min_places": 2}, "0.00"),
    # min_places above what the digits need: min_places
    (Decimal("0.5"), {"min_places": 6}, "0.500000"),
])
def test_format_significant_by_hand(value, kw, text):
    assert format_significant(value, **kw) == text
