"""Money in two currencies never meets without an explicit rate (each operator pinned)."""

from __future__ import annotations

import operator
from decimal import Decimal

import pytest

from infercost.core.money import Money
from infercost.errors import CurrencyError

USD = Money(Decimal("10.50"), "USD")
EUR = Money(Decimal("3.25"), "EUR")


@pytest.mark.parametrize("op", [operator.add, operator.sub, operator.truediv, operator.lt,
                                operator.le, operator.gt, operator.ge])
def test_two_currencies_raise_currency_error(op):
    with pytest.raises(CurrencyError, match="USD and EUR"):
        op(USD, EUR)


def test_subtraction_in_one_currency_is_exact():
    # 10.50 - 3.25 = 7.25 exactly, and the currency is kept
    assert USD - Money(Decimal("3.25"), "USD") == Money(Decimal("7.25"), "USD")
    assert (Money(Decimal("0.3"), "USD") - Money(Decimal("0.1"), "USD")).amount == Decimal("0.2")


def test_subtraction_after_conversion_works():
    # 3.25 EUR at 1.08 USD/EUR = 3.51 USD; 10.50 - 3.51 = 6.99 USD
    assert USD - EUR.convert("1.08", "USD") == Money(Decimal("6.99"), "USD")


def test_equal_amounts_in_two_currencies_are_not_equal():
    assert Money(Decimal(1), "USD") != Money(Decimal(1), "EUR")
