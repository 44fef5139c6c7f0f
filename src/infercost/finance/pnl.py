"""P&L per customer segment: revenue, cost, gross margin, contribution, and the price per
request that reaches a target margin.

For a segment: revenue = requests x price per request + seats x price per seat-month +
price per month; cost = requests x cost per inference + edge depreciation per month;
contribution = revenue - cost; gross margin = contribution / revenue. The price per request
reaching a target margin t: requests x p + other revenue = cost / (1 - t), so
p = (cost / (1 - t) - other revenue) / requests. All money per month, Decimal.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from infercost.core.scenario_finance import Segment


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
    """One segment's monthly P&L at `cost_per_inference` (plus fixed `extra_cost_per_month`)."""
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
                      energy, energy_note)
