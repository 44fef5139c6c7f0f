from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from infercost.core.money import Money, format_decimal, money_sum, to_decimal
from infercost.errors import CurrencyError, InputError


def test_float_goes_through_repr_not_binary():
    assert to_decimal(0.1) == Decimal("0.1")
    assert Money.of(0.1) + Money.of(0.2) == Money.of("0.3")


def test_mixing_currencies_is_an_error_and_explicit_rate_is_not():
    with pytest.raises(CurrencyError, match="USD and EUR"):
        Money.of(1, "USD") + Money.of(1, "EUR")
    assert Money.of(10, "USD").convert("0.9", "EUR") == Money.of(9, "EUR")


def test_currency_code_is_validated():
    with pytest.raises(InputError):
        Money.of(1, "usd")


def test_json_is_plain_decimal_string():
    assert Money.of("1E-7").to_json() == "0.0000001"
    assert Money.of("12.5000").to_json() == "12.5"
    assert format_decimal(Decimal("-0.00")) == "0"


def test_quantize_half_even():
    assert Money.of("0.125").quantize(2).amount == Decimal("0.12")
    assert Money.of("0.135").quantize(2).amount == Decimal("0.14")


@settings(max_examples=200, deadline=None)
@given(st.lists(st.decimals(min_value=-10**9, max_value=10**9, places=6, allow_nan=False), max_size=50))
def test_sum_is_exact_and_order_free(xs):
    a = money_sum((Money(x) for x in xs), "USD")
    b = money_sum((Money(x) for x in reversed(xs)), "USD")
    assert a == b == Money(sum(xs, Decimal(0)))


@settings(max_examples=100, deadline=None)
@given(st.decimals(min_value=0, max_value=10**6, places=4), st.integers(min_value=1, max_value=10**6))
def test_split_and_rejoin(total, n):
    part = Money(total) / n
    assert abs((part * n).amount - total) < Decimal("1e-20")
