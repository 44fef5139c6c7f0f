"""Discounted cash-flow functions: NPV, IRR, payback, monthly rate from an annual one.

Conventions follow numpy-financial: `npv(rate, values)` discounts values[t] by (1+rate)^t,
so values[0] is undiscounted (money now); `irr(values)` is the rate whose NPV is zero.
Money is Decimal; IRR is a rate, returned as a float (None when it does not exist).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal


def monthly_rate(annual: Decimal | float) -> Decimal:
    """The monthly rate compounding to `annual` over 12 months: (1 + annual)^(1/12) - 1."""
    a = Decimal(str(annual))
    return (1 + a) ** (Decimal(1) / Decimal(12)) - 1


def npv(rate: Decimal | float, values: Sequence[Decimal]) -> Decimal:
    """Net present value: sum of values[t] / (1 + rate)^t, t = 0, 1, ..."""
    r = Decimal(str(rate))
    acc = Decimal(0)
    factor = Decimal(1)
    for v in values:
        acc += Decimal(v) / factor
        factor *= 1 + r
    return acc


def irr(values: Sequence[Decimal | float], lo: float = -0.99, hi: float = 10.0) -> float | None:
    """Internal rate of return per period, by bisection on NPV(rate) = 0.

    Returns None when the flows do not change sign or NPV has no root in [lo, hi].
    For conventional flows (outflows first, then inflows) the root is unique. Over many
    periods `lo` is raised so that (1 + lo)^t stays above 1e-280 (no float underflow).
    """
    vals = [float(v) for v in values]
    if not (any(v < 0 for v in vals) and any(v > 0 for v in vals)):
        return None
    if len(vals) > 1:
        lo = max(lo, 10 ** (-280 / (len(vals) - 1)) - 1)

    def f(r: float) -> float:
        return sum(v / (1 + r) ** t for t, v in enumerate(vals))

    flo, fhi = f(lo), f(hi)
    if flo == 0:
        return lo
    if flo * fhi > 0:
        return None
    for _ in range(200):
        mid = (lo + hi) / 2
        fm = f(mid)
        if fm == 0 or hi - lo < 1e-15:
            return mid
        if flo * fm < 0:
            hi = mid
        else:
            lo, flo = mid, fm
    return (lo + hi) / 2


def payback_period(values: Sequence[Decimal]) -> int | None:
    """First period index at which the cumulative sum of `values` turns >= 0 and stays so.

    With values = savings of buying over renting (capex first), this is the month the
    purchase has paid for itself; None when it never does within the flows.
    """
    cum = Decimal(0)
    first = None
    for t, v in enumerate(values):
        cum += Decimal(v)
        if cum >= 0:
            if first is None:
                first = t
        else:
            first = None
    return first


def annualise(monthly: float | None) -> float | None:
    """(1 + monthly)^12 - 1."""
    return None if monthly is None else (1 + monthly) ** 12 - 1
