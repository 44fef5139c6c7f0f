"""P&L per customer segment: revenue, cost, gross margin, contribution, and the price per
request that reaches a target margin.

For a segment: revenue = requests x price per request + seats x price per seat-month +
price per month; cost = requests x variable cost per inference + its share of the fixed
costs + edge depreciation per month; contribution = revenue - cost; gross margin =
contribution / revenue. The price per request reaching a target margin t: requests x p +
other revenue = cost / (1 - t), so p = (cost / (1 - t) - other revenue) / requests. All
money per month, Decimal.

Fixed and variable (`cost_basis`): the estimate's lines priced by the month (units in
FIXED_UNITS: licensing per month, storage GB-months, engineering FTE-months) are fixed
costs, paid once a month whatever the segments' volume; every other line (accelerator
time at the estimate's utilisation, review, egress, licensing per 1k, ...) is a cost per
inference at the estimate's volume. The fixed costs are counted once and split over the
segments costed from the scenario by share of requests (`allocate_fixed`), so the
segments' costs add up to the month's cost at the segments' total volume.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from infercost.core.quanta import q2d, to_quanta
from infercost.core.scenario_finance import Segment

#: Units of the estimate's lines priced by the month, not by the request: fixed costs.
FIXED_UNITS = frozenset({"month", "GB-month", "FTE-month"})


@dataclass(frozen=True)
class SegmentPnl:
    segment: str
    requests: Decimal
    revenue: Decimal
    cost: Decimal
    cost_per_inference: Decimal
    cost_source: str
    target_margin: Decimal | None
    price_for_target: Decimal | None  # per request
    energy: dict[str, Any] | None = None  # kWh, gCO2e per 1k requests and per 1M tokens, notes
    energy_note: str | None = None  # why there is no energy figure
    fixed_cost: Decimal = Decimal(0)  # its share of the fixed costs, per month (in `cost`)

    @property
    def contribution(self) -> Decimal:
        return self.revenue - self.cost

    @property
    def gross_margin(self) -> Decimal | None:
        return self.contribution / self.revenue if self.revenue else None

    def to_dict(self) -> dict:
        def s(x: Decimal | None, q: str = "0.01") -> str | None:
            return None if x is None else str(x.quantize(Decimal(q)))
        return {"segment": self.segment, "requests_per_month": s(self.requests, "1"),
                "revenue_per_month": s(self.revenue), "cost_per_month": s(self.cost),
                "cost_per_inference": s(self.cost_per_inference, "0.000001"), "cost_source": self.cost_source,
                "fixed_cost_per_month": s(self.fixed_cost),
                "contribution_per_month": s(self.contribution),
                "gross_margin": None if self.gross_margin is None else float(round(self.gross_margin, 6)),
                "target_margin": None if self.target_margin is None else float(self.target_margin),
                "price_per_request_for_target": s(self.price_for_target, "0.000001"),
                "energy": self.energy, "energy_note": self.energy_note}


def estimate_energy(facts: dict[str, Any] | None) -> dict[str, Any] | None:
    """The estimate's `econ.energy` facts per 1,000 requests (x 1000, 9 significant digits)
    and per 1M tokens as given; None without facts (no powered hardware)."""
    if facts is None:
        return None

    def k(x: float | None) -> float | None:
        return None if x is None else float(f"{Decimal(repr(x)) * 1000:.9g}")
    return {"kwh_per_1k_inferences": k(facts["kwh_per_inference"]),
            "gco2e_per_1k_inferences": k(facts["gco2e_per_inference"]),
            "kwh_per_1m_tokens": facts["kwh_per_1m_tokens"], "gco2e_per_1m_tokens": facts["gco2e_per_1m_tokens"],
            "notes": list(facts["notes"])}


def segment_pnl(seg: Segment, cost_per_inference: Decimal, cost_source: str,
                extra_cost_per_month: Decimal = Decimal(0), energy: dict[str, Any] | None = None,
                energy_note: str | None = None) -> SegmentPnl:
    """One segment's monthly P&L at `cost_per_inference` (currency per request) plus
    `extra_cost_per_month` (its share of the fixed costs, currency per month)."""
    n = Decimal(repr(float(seg.requests_per_month)))
    seats = Decimal(repr(float(seg.seats)))
    other = seats * seg.price.per_seat_month + seg.price.per_month
    revenue = n * seg.price.per_request + other
    cost = n * cost_per_inference + seg.edge_depreciation_per_month + extra_cost_per_month
    target = None if seg.target_margin is None else Decimal(repr(seg.target_margin))
    price = None
    if target is not None and n > 0 and target < 1:
        price = max(Decimal(0), (cost / (1 - target) - other) / n)
    return SegmentPnl(seg.name, n, revenue, cost, cost_per_inference, cost_source, target, price,
                      energy, energy_note, extra_cost_per_month)


@dataclass(frozen=True)
class CostBasis:
    """The estimate split into what scales with requests and what does not (module doc).

    variable_per_inference: every line outside FIXED_UNITS / the estimate's inferences;
    other_variable_per_inference: the same less the accelerator lines (a placed segment
    pays its placement for those); fixed_per_month: the FIXED_UNITS lines per 730-hour
    month; fixed_labels: their labels; inferences_per_month: the estimate's volume. An
    estimate with no inferences has no cost per inference: every line counts as fixed.
    Money in the scenario currency."""

    variable_per_inference: Decimal
    other_variable_per_inference: Decimal
    fixed_per_month: Decimal
    fixed_labels: tuple[str, ...]
    inferences_per_month: Decimal


def cost_basis(b: Any) -> CostBasis:
    """`b` (an `econ.CostBreakdown`) as a CostBasis."""
    if not b.inferences:
        return CostBasis(Decimal(0), Decimal(0), b.monthly_total.amount,
                         tuple(dict.fromkeys(c.label for c in b.components if c.cost.amount)), Decimal(0))
    fixed = [c for c in b.components if c.unit in FIXED_UNITS]
    var = [c for c in b.components if c.unit not in FIXED_UNITS]
    per = sum((c.cost.amount for c in var), Decimal(0)) / b.inferences
    other = sum((c.cost.amount for c in var if c.group != "accelerator"), Decimal(0)) / b.inferences
    month = sum((b.monthly(c.cost).amount for c in fixed), Decimal(0))
    return CostBasis(per, other, month, tuple(dict.fromkeys(c.label for c in fixed if c.cost.amount)),
                     b.inferences * b.month_factor)


def allocate_fixed(fixed: Decimal, requests: list[Decimal]) -> list[Decimal]:
    """`fixed` (currency per month) split by share of `requests` (evenly when they are all
    0): largest remainder in quanta of 1e-10, the sub-quantum rest to the largest share, so
    the parts add up to `fixed` exactly. [] for no segments."""
    if not requests:
        return []
    weights = [to_quanta(r) for r in requests] if any(requests) else [1] * len(requests)
    total = sum(weights)
    qt = to_quanta(fixed)
    base = [qt * w // total for w in weights]
    order = sorted(range(len(weights)), key=lambda i: (-(qt * weights[i] % total), i))
    for i in order[:qt - sum(base)]:
        base[i] += 1
    out = [q2d(x) for x in base]
    rest = fixed - q2d(qt)
    if rest:
        out[max(range(len(weights)), key=lambda i: (weights[i], -i))] += rest
    return out


class PnlRows(list):
    """The segments' `SegmentPnl` rows (a list), with `notes`: the cost rule and what it assumes."""

    notes: list[str]

    def __init__(self, rows: list[SegmentPnl], notes: list[str]) -> None:
        super().__init__(rows)
        self.notes = notes
