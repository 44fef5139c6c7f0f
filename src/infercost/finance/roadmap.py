"""Cost roadmap: milestones (INT8, distillation, a hardware upgrade, ...) and the projected cost
per inference month by month against a target, with the savings.

Month m (0 .. months-1): cost per inference c_m = base_part x product of the cost_factor of
every milestone with month <= m + rest, where base_part is the accelerator part of today's
cost per inference (or all of it with `applies_to: total`) and rest the remainder;
volume n_m = n_0 x (1 + volume growth)^m; savings_m = (c_0 - c_m) x n_m - one-off costs in m.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

from infercost.core.scenario_finance import Roadmap


@dataclass(frozen=True)
class RoadmapMonth:
    month: int
    cost_per_inference: Decimal
    inferences: Decimal
    savings: Decimal  # vs today's cost per inference, net of one-off costs
    milestones: tuple[str, ...]  # taking effect this month


@dataclass(frozen=True)
class RoadmapResult:
    months: tuple[RoadmapMonth, ...]
    target: Decimal | None
    target_month: int | None  # first month at or below the target

    @property
    def total_savings(self) -> Decimal:
        """Sum of the months' savings, each already in cents: equal to the rows' sum."""
        return sum((m.savings for m in self.months), Decimal(0))

    def to_dict(self) -> dict:
        return {"target_cost_per_inference": None if self.target is None else str(self.target),
                "target_reached_month": self.target_month,
                "total_savings": str(self.total_savings.quantize(Decimal("0.01"))),
                "months": [{"month": m.month, "cost_per_inference": str(m.cost_per_inference.quantize(Decimal("1e-9"))),
                            "inferences": str(m.inferences.quantize(Decimal(1))),
                            "savings": str(m.savings.quantize(Decimal("0.01"))), "milestones": list(m.milestones)}
                           for m in self.months]}


def project(rm: Roadmap, part: Decimal, rest: Decimal, inferences_per_month: Decimal) -> RoadmapResult:
    """Project the roadmap from today's cost per inference = part + rest (part is what the
    milestones' cost factors multiply)."""
    c0 = part + rest
    g = 1 + Decimal(repr(rm.volume_growth_per_month))
    out = []
    target_month = None
    from infercost.errors import InputError

    for i, ms in enumerate(rm.milestones):
        if ms.month >= rm.months:
            raise InputError(f"month {ms.month} is past the roadmap's {rm.months} months "
                             f"(0 .. {rm.months - 1})", f"roadmap.milestones[{i}].month")
    for m in range(rm.months):
        factor = Decimal(1)
        for ms in rm.milestones:
            if ms.month <= m:
                factor *= Decimal(repr(ms.cost_factor))
        c = part * factor + rest
        n = inferences_per_month * g ** m
        now = tuple(ms.name for ms in rm.milestones if ms.month == m)
        one_off = sum((ms.one_off_cost for ms in rm.milestones if ms.month == m), Decimal(0))
        # each month's savings booked in cents (half-even), so the total is the sum of the rows
        saved = ((c0 - c) * n - one_off).quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)
        out.append(RoadmapMonth(m, c, n, saved, now))
        if target_month is None and rm.target_cost_per_inference is not None and c <= rm.target_cost_per_inference:
            target_month = m
    return RoadmapResult(tuple(out), rm.target_cost_per_inference, target_month)
