"""Cost roadmap: milestones (INT8, distillation, a hardware upgrade, ...) and the projected cost
per inference month by month against a target, with the savings.

Month m (0 .. months-1): cost per inference c_m = base_part x product of the cost_factor of
every milestone with month <= m + rest, where base_part is the accelerator part of today's
cost per inference (or all of it with `applies_to: total`) and rest the remainder;
volume n_m = n_0 x (1 + volume growth)^m; savings_m = (c_0 - c_m) x n_m - one-off costs in m.

Energy (`energy_by_month`): the milestones carry a cost factor only, no power figure. With
`applies_to: accelerator` the factor multiplies accelerator cost, i.e. GPU-hours per inference
on the same-priced hardware, so kWh and gCO2e per inference are assumed to scale with it:
e_m = e_0 x product of the factors. With `applies_to: total` the factor may come from
non-GPU costs (human review, ...): today's energy is kept every month, and a note says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

from infercost.core.scenario_finance import Roadmap

ENERGY_SCALES = ("energy per inference assumed to scale with the milestones' cost factor "
                 "(applies_to: accelerator: the same hardware, fewer GPU-hours per inference)")
ENERGY_KEPT = ("energy per inference kept at today's figure: with applies_to: total a cost "
               "factor may come from non-GPU costs, so it is not applied to energy")


@dataclass(frozen=True)
class RoadmapMonth:
    month: int
    cost_per_inference: Decimal
    inferences: Decimal
    savings: Decimal  # vs today's cost per inference, net of one-off costs
    milestones: tuple[str, ...]  # taking effect this month
    factor: Decimal = Decimal(1)  # product of the cost factors in effect this month


@dataclass(frozen=True)
class RoadmapResult:
    months: tuple[RoadmapMonth, ...]
    target: Decimal | None
    target_month: int | None  # first month at or below the target
    energy: tuple = ()  # MonthEnergy per month (empty: no powered hardware)
    energy_notes: tuple[str, ...] = ()

    @property
    def total_savings(self) -> Decimal:
        """Sum of the months' savings, each already in cents: equal to the rows' sum."""
        return sum((m.savings for m in self.months), Decimal(0))

    def to_dict(self) -> dict:
        en = {e.month: e.to_dict() for e in self.energy}
        none = dict.fromkeys(("kwh_per_1k_inferences", "gco2e_per_1k_inferences",
                              "kwh_per_1m_tokens", "gco2e_per_1m_tokens"))
        return {"energy_notes": list(self.energy_notes),
                "target_cost_per_inference": None if self.target is None else str(self.target),
                "target_reached_month": self.target_month,
                "total_savings": str(self.total_savings.quantize(Decimal("0.01"))),
                "months": [{"month": m.month, "cost_per_inference": str(m.cost_per_inference.quantize(Decimal("1e-9"))),
                            "inferences": str(m.inferences.quantize(Decimal(1))),
                            "savings": str(m.savings.quantize(Decimal("0.01"))), "milestones": list(m.milestones),
                            **{k: v for k, v in en.get(m.month, {"month": m.month, **none}).items() if k != "month"}}
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
        out.append(RoadmapMonth(m, c, n, saved, now, factor))
        if target_month is None and rm.target_cost_per_inference is not None and c <= rm.target_cost_per_inference:
            target_month = m
    return RoadmapResult(tuple(out), rm.target_cost_per_inference, target_month)


@dataclass(frozen=True)
class MonthEnergy:
    """Projected energy of one month, per 1,000 inferences (kWh, gCO2e) and per 1M tokens
    (None where undefined: not an LLM, or no grid intensity)."""

    month: int
    kwh_per_1k_inferences: Decimal | None
    gco2e_per_1k_inferences: Decimal | None
    kwh_per_1m_tokens: Decimal | None
    gco2e_per_1m_tokens: Decimal | None

    def to_dict(self) -> dict:
        return {k: (None if v is None else v if isinstance(v, int) else float(f"{v:.9g}"))
                for k, v in self.__dict__.items()}


def energy_by_month(res: RoadmapResult, applies_to: str, today: dict | None) -> tuple[list[MonthEnergy], str | None]:
    """Per month energy from today's `econ.energy` facts `today` (kwh_per_inference, ...;
    None: no powered hardware, then no months and None). Returns (months, the assumption's
    note): scaled by the month's cost factor with `applies_to: accelerator`, kept otherwise
    (the module doc)."""
    if today is None:
        return [], None
    scale = applies_to == "accelerator"

    def d(key: str, k: int) -> Decimal | None:
        v = today.get(key)
        return None if v is None else Decimal(repr(v)) * k

    out = []
    for m in res.months:
        f = m.factor if scale else Decimal(1)
        vals = [d("kwh_per_inference", 1000), d("gco2e_per_inference", 1000),
                d("kwh_per_1m_tokens", 1), d("gco2e_per_1m_tokens", 1)]
        out.append(MonthEnergy(m.month, *(None if v is None else v * f for v in vals)))
    return out, ENERGY_SCALES if scale else ENERGY_KEPT
