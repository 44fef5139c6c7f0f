"""CostBreakdown: money by component, for one period and per unit of work.

Every engine ends here (DESIGN.md): the predicted, simulated and measured costs all
produce a breakdown, so they can be laid side by side row by row. Components are kept
separate to the end; the total is their exact Decimal sum, and the cost per inference
is the sum of the components' costs per inference (so `--json` components add up to
the totals exactly, digit for digit).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from typing import Any

from infercost.core.money import Money, format_decimal, money_sum, round_places, to_decimal
from infercost.econ.usage import HOURS_PER_MONTH

#: Decimal places kept for money in a breakdown (1e-18 of a currency unit). Amounts are
#: rounded half-even to this once, when a component is made or converted per unit;
#: then every total is an exact sum of the parts (< 34 significant digits).
PLACES = 18
_Q = Decimal(1).scaleb(-PLACES)


#: Decimals of a monthly projection (see CostBreakdown.monthly): 1e-10 USD.
MONTHLY_PLACES = 10


def q(m: Money) -> Money:
    """Round to PLACES decimals (half-even), at any size (1e10 USD has 29 digits here)."""
    return Money(round_places(m.amount, PLACES), m.currency)


#: Presentation order and group of the known components (bill lines from attribution
#: add "shared", "adjustments" and "unallocated"; see docs/breakdown.md).
GROUPS = {
    "accelerator_busy": "accelerator",
    "experiments": "accelerator",
    "accelerator_idle": "accelerator",
    "accelerator_warmup": "accelerator",
    "licensing": "operations",
    "human_review": "people",
    "preprocessing": "operations",
    "storage": "operations",
    "egress": "operations",
    "engineering": "people",
    # measured (attribution) lines: see docs/attribution.md
    "shared_services": "shared",
    "credits": "adjustments",
    "discounts": "adjustments",
    "commitments": "adjustments",
    "tax": "adjustments",
    "adjustments": "adjustments",
    "unallocated": "unallocated",
}


def quantity(x: Decimal, places: int = PLACES) -> Decimal:
    """Round a quantity (hours, GB, ...) half-even to `places` decimals."""
    return x.quantize(Decimal(1).scaleb(-places))


@dataclass(frozen=True)
class CostLine:
    """One cost over the breakdown's period: `quantity unit x rate = amount`.

    name: the component (`accelerator_busy`, `storage`, ...; several lines may share a
    name, told apart by `detail`, e.g. one line per pricing plan); label: for people;
    group: accelerator / operations / people / shared / adjustments / unallocated;
    quantity (Decimal, in `unit`, e.g. "GPU-h", "GB", "1k inferences"), rate (Money per
    unit) and amount (Money). When quantity and rate are given, amount is exactly
    `quantity x rate` rounded to PLACES decimals (ValueError otherwise): the line computes
    to its figure. Lines that have no rate (a bill's tax, a credit) carry quantity and
    rate as None. driver: how it was computed, in words, with units and sources.
    """

    name: str
    label: str
    amount: Money
    driver: str
    group: str = "operations"
    quantity: Decimal | None = None
    unit: str = ""
    rate: Money | None = None
    detail: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "amount", q(self.amount))
        if self.quantity is not None and self.rate is not None:
            want = q(self.rate * self.quantity)
            if want.amount != self.amount.amount:
                raise ValueError(f"cost line {self.name}: {self.quantity} {self.unit} x {self.rate} "
                                 f"= {want.amount}, not {self.amount.amount}")

    @classmethod
    def priced(cls, name: str, label: str, qty: Decimal, unit: str, rate: Money, driver: str,
               group: str | None = None, detail: str = "") -> CostLine:
        """The line `qty unit x rate`, its amount computed here (the one place it is)."""
        return cls(name, label, q(rate * qty), driver, group or GROUPS.get(name, "operations"),
                   qty, unit, rate, detail)

    @property
    def cost(self) -> Money:
        """The amount (the name the breakdown used before lines had quantities)."""
        return self.amount

    def formula(self) -> str:
        """`986.8 GPU-h x 6.88 USD/GPU-h = 6,789.07 USD`, or just the amount when no rate."""
        amt = f"{self.amount.amount:,.2f} {self.amount.currency}"
        if self.quantity is None or self.rate is None:
            return amt
        return (f"{_num(self.quantity)} {self.unit} x {_num(self.rate.amount)} "
                f"{self.rate.currency}/{self.unit} = {amt}")


#: The name the breakdown's line had before it carried quantity, unit and rate.
Component = CostLine


def _num(d: Decimal) -> str:
    """Up to 6 decimals, thousands separated, trailing zeros dropped."""
    s = f"{d:,.6f}".rstrip("0").rstrip(".")
    return s if s not in ("", "-0") else "0"


@dataclass(frozen=True)
class CostBreakdown:
    scenario: str
    currency: str
    period_hours: Decimal
    inferences: Decimal  # in the period
    components: tuple[CostLine, ...]
    tokens: Decimal | None = None  # input + output tokens in the period (LLMs)
    facts: dict[str, Any] = field(default_factory=dict)

    # -- totals ---------------------------------------------------------------------
    @cached_property
    def total(self) -> Money:
        """Sum of the lines (exact); computed once (the lines are a tuple: it cannot
        change, and `share` reads it once per line)."""
        return money_sum((c.cost for c in self.components), self.currency)

    @property
    def month_factor(self) -> Decimal:
        return to_decimal(HOURS_PER_MONTH) / self.period_hours

    def monthly(self, m: Money) -> Money:
        """`m` (an amount for this breakdown's period) projected to a 730-hour month, at
        MONTHLY_PLACES decimals: the period amounts are exact to PLACES (18) decimals, so
        the projection of a one-second period (x 2.6e6) carries noise from the 13th decimal
        on (0.46 USD/month of storage read back as 0.460000000000000009)."""
        return _monthly_at(m, self.month_factor)

    @property
    def monthly_total(self) -> Money:
        """Sum of the components' monthly costs (exact)."""
        return money_sum((self.monthly(c.cost) for c in self.components), self.currency)

    def per_inference(self, c: CostLine) -> Money:
        if self.inferences == 0:
            return Money.zero(self.currency)
        return q(c.cost / self.inferences)

    @property
    def cost_per_inference(self) -> Money:
        """Sum of the components' costs per inference (exact)."""
        return money_sum((self.per_inference(c) for c in self.components), self.currency)

    @property
    def cost_per_1m_tokens(self) -> Money | None:
        if not self.tokens:
            return None
        return q(self.total / self.tokens * Decimal(1_000_000))

    def share(self, c: CostLine) -> Decimal:
        t = self.total.amount
        return c.cost.amount / t if t else Decimal(0)

    def by_component(self) -> dict[str, Money]:
        """Amount per component name (lines sharing a name summed), in line order."""
        out: dict[str, Money] = {}
        for c in self.components:
            out[c.name] = out.get(c.name, Money.zero(self.currency)) + c.cost
        return out

    def group_total(self, group: str) -> Money:
        return money_sum((c.cost for c in self.components if c.group == group), self.currency)

    def main_driver(self) -> str:
        """One line naming what drives the cost, e.g. 'accelerator time is 81% of the cost; ...'."""
        if not self.components or self.total.amount == 0:
            return "no cost"
        accel = self.group_total("accelerator")
        acc_share = accel.amount / self.total.amount
        idle = sum((c.cost.amount for c in self.components
                    if c.name in ("accelerator_idle", "accelerator_warmup")), Decimal(0))
        if acc_share >= Decimal("0.5"):
            line = f"accelerator time is {_pct(acc_share)} of the cost"
            if self.facts.get("idle_elsewhere"):  # (a slice of an attribution: its idle is
                line += f"; idle {self.facts['idle_elsewhere']}"  # the fleet's, not here)
            elif accel.amount > 0:
                line += f"; {_pct(idle / accel.amount)} of paid accelerator time is idle or warming up"
            return line
        top = max(self.components, key=lambda c: c.cost.amount)
        return (f"{top.label.lower()} is the largest component at {_pct(self.share(top))} "
                f"of the cost; accelerator time is {_pct(acc_share)}")

    # -- output ---------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: money as decimal strings, per period, per month and per inference.
        Each line's monthly and per-inference figure is computed once here and summed
        for the totals (the same figures as `monthly_total` and `cost_per_inference`)."""
        factor = self.month_factor
        comps, monthly, per_inf = [], [], []
        for c in self.components:
            amount = c.cost.to_json()
            m = _monthly_at(c.cost, factor)
            p = self.per_inference(c)
            monthly.append(m)
            per_inf.append(p)
            comps.append({
                "name": c.name,
                "label": c.label,
                "group": c.group,
                "detail": c.detail,
                "quantity": format_decimal(c.quantity) if c.quantity is not None else None,
                "unit": c.unit or None,
                "rate": c.rate.to_json() if c.rate is not None else None,
                "amount": amount,
                "formula": c.formula(),
                "period_cost": amount,
                "monthly_cost": m.to_json(),
                "per_inference": p.to_json(),
                "share": format_decimal(self.share(c), 6),
                "driver": c.driver,
            })
        per_1m = self.cost_per_1m_tokens
        per_inference = money_sum(per_inf, self.currency)
        return {
            "scenario": self.scenario,
            "currency": self.currency,
            "period_hours": format_decimal(self.period_hours),
            "inferences": format_decimal(self.inferences),
            "tokens": format_decimal(self.tokens) if self.tokens is not None else None,
            "components": comps,
            "total": {
                "period_cost": self.total.to_json(),
                "monthly_cost": money_sum(monthly, self.currency).to_json(),
                "per_inference": per_inference.to_json(),
                "per_1k_inferences": (per_inference * 1000).to_json(),
                "per_1m_tokens": per_1m.to_json() if per_1m is not None else None,
            },
            "main_driver": self.main_driver(),
            "facts": self.facts,
        }


def _monthly_at(m: Money, factor: Decimal) -> Money:
    """`CostBreakdown.monthly` at a month factor computed once."""
    return Money(round_places((m * factor).amount, MONTHLY_PLACES), m.currency)


def _pct(d: Decimal) -> str:
    """Whole percent, with one decimal near 0% and 100% so 99.5% never reads as 100%."""
    p = float(d) * 100
    return f"{p:.1f}%" if (0 < p < 1 or 99 < p < 100) else f"{p:.0f}%"
