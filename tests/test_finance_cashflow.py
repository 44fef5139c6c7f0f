"""NPV, IRR and payback: a worked textbook case by hand, and numpy-financial as the reference."""

from decimal import Decimal

import numpy_financial as npf
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from infercost.finance.cashflow import annualise, irr, monthly_rate, npv, payback_period

D = Decimal


def test_textbook_npv_irr_payback_by_hand():
    # invest 1,000 now, receive 500 at the end of each of 3 years, 10% cost of capital:
    # NPV = -1000 + 500/1.1 + 500/1.21 + 500/1.331
    #     = -1000 + 454.5455 + 413.2231 + 375.6574 = 243.4260
    flows = [D(-1000), D(500), D(500), D(500)]
    assert npv(D("0.1"), flows).quantize(D("0.0001")) == D("243.4260")
    # IRR r solves 500/(1+r) + 500/(1+r)^2 + 500/(1+r)^3 = 1000 -> r = 23.375%
    # check: 405.27 + 328.49 + 266.25 = 1000.0 at r = 0.23375
    assert irr(flows) == pytest.approx(0.233752, abs=1e-6)
    # payback: cumulative -1000, -500, 0 -> paid back in period 2
    assert payback_period(flows) == 2
    assert payback_period([D(-1000), D(400), D(400), D(100)]) is None  # -1000 -600 -200 -100


def test_payback_must_stay_paid_back():
    # cumulative: -10, 5, -5, 5 -> first lasting non-negative at index 3
    assert payback_period([D(-10), D(15), D(-10), D(10)]) == 3


def test_monthly_rate_compounds_to_the_annual_one():
    r = monthly_rate(D("0.08"))
    assert ((1 + r) ** 12 - 1).quantize(D("1e-20")) == D("0.08").quantize(D("1e-20"))
    assert annualise(0.01) == pytest.approx(1.01 ** 12 - 1)


def test_irr_none_without_a_sign_change():
    assert irr([D(1), D(2)]) is None
    assert irr([D(-1), D(-2)]) is None


flows_st = st.lists(st.integers(min_value=-10_000, max_value=10_000), min_size=2, max_size=40)


@settings(max_examples=60, deadline=None)
@given(flows_st, st.floats(min_value=0.0, max_value=0.3))
def test_npv_matches_numpy_financial(flows, rate):
    ours = npv(D(repr(rate)), [D(f) for f in flows])
    ref = npf.npv(rate, flows)
    assert float(ours) == pytest.approx(ref, rel=1e-9, abs=1e-6)


@settings(max_examples=60, deadline=None)
@given(st.integers(1000, 100_000), st.lists(st.integers(1, 20_000), min_size=2, max_size=36))
def test_irr_matches_numpy_financial_for_conventional_flows(invest, inflows):
    flows = [-invest] + inflows
    ref = npf.irr(flows)
    ours = irr([D(f) for f in flows])
    if ref != ref or ref < -0.99 or ref > 10:  # numpy-financial finds no root in our bracket
        return
    assert ours == pytest.approx(ref, abs=1e-7)
