"""Cost diff of a change: base scenario vs head scenario, component by component.

Both scenarios are estimated as written (no re-sizing: the diff shows what the change
itself does), with the analytic p99 at the peak (`decide.latency`). The change in
monthly cost, cost per inference and p99, then each component's monthly cost (the union
of both breakdowns' component names, in base order then new ones). Money is Decimal;
percentages are of the base (None when the base is zero). A p99 one side lacks (its fleet
is overloaded at the peak) has no change, and a side that drops requests over the month
is named with the dropped share in a note (its costs cover what it serves). Different
currencies are an `InputError` (exit 2): a diff never mixes them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from infercost.core.catalog import Catalog
from infercost.core.money import Money
from infercost.core.scenario import Scenario
from infercost.decide.compare import VariantRow, evaluate
from infercost.errors import InputError


@dataclass(frozen=True)
class DiffLine:
    """One compared figure: base, head, head - base, and the change in percent of base."""

    name: str
    base: Decimal | None
    head: Decimal | None
    unit: str  # the currency, "ms"

    @property
    def change(self) -> Decimal | None:
        """head - base; a money line missing on one side counts as 0 there (a component
        added or removed), a p99 missing on one side (an overloaded fleet) has no change."""
        if self.unit == "ms" and (self.base is None or self.head is None):
            return None
        return (self.head or Decimal(0)) - (self.base or Decimal(0))

    @property
    def pct(self) -> Decimal | None:
        if not self.base or self.change is None:
            return None
        return self.change / self.base * 100

    def to_dict(self) -> dict[str, Any]:
        def s(d):
            return None if d is None else format(d.normalize(), "f") if d == d.to_integral() else str(d)
        return {"name": self.name, "unit": self.unit, "base": s(self.base), "head": s(self.head),
                "change": s(self.change),
                "change_pct": None if self.pct is None else float(round(self.pct, 4))}


@dataclass(frozen=True)
class CostDiff:
    base_name: str
    head_name: str
    currency: str
    summary: list[DiffLine]  # monthly cost, cost per inference, p99
    components: list[DiffLine]  # monthly cost by component
    path: str = ""  # the scenario file, when diffing files
    notes: list[str] = field(default_factory=list)

    @property
    def monthly_change_pct(self) -> Decimal | None:
        return self.summary[0].pct

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "base": self.base_name, "head": self.head_name,
                "currency": self.currency, "summary": [x.to_dict() for x in self.summary],
                "components": [x.to_dict() for x in self.components], "notes": self.notes}


def _p99(row: VariantRow) -> Decimal | None:
    if row.p99_ms == float("inf"):
        return None
    return Decimal(repr(round(row.p99_ms, 3)))


def _overload_notes(side: str, row: VariantRow) -> list[str]:
    """What an overloaded side means for the diff: its p99 is missing (no change shown), and
    the share of requests it cannot serve (its cost per inference counts served ones only)."""
    out = []
    if _p99(row) is None:
        out.append(f"{side} p99 missing: its fleet is overloaded at the peak, so the p99 row shows "
                   "no change")
    facts = row.breakdown.facts
    dropped = float(facts.get("dropped_requests") or 0.0)
    served = float(row.served_per_s) * float(row.breakdown.period_hours) * 3600.0
    if dropped > 0.0005 * (served + dropped):
        out.append(f"{side} is overloaded: {dropped / (served + dropped):.1%} of requests cannot be "
                   f"served (dropped); its monthly cost and cost per inference cover the served "
                   "requests only, so the two sides do not serve the same traffic")
    return out


def _monthly_by_component(row: VariantRow) -> dict[str, Money]:
    bd = row.breakdown
    return {name: bd.monthly(m) for name, m in bd.by_component().items()}


def cost_diff(base: Scenario, head: Scenario, catalog: Catalog, path: str = "") -> CostDiff:
    """The diff of two scenarios (module doc). Raises InputError on different currencies."""
    if base.currency != head.currency:
        raise InputError(f"base is in {base.currency} and head in {head.currency}; a cost diff "
                         f"needs one currency (convert one scenario with its fx: block)",
                         path or "currency")
    b = evaluate(base, catalog, size=False, label="base")
    h = evaluate(head, catalog, size=False, label="head")
    cur = base.currency
    summary = [
        DiffLine("monthly cost", b.monthly_cost.amount, h.monthly_cost.amount, cur),
        DiffLine("cost per inference", b.cost_per_inference.amount, h.cost_per_inference.amount, cur),
        DiffLine("p99 latency at peak", _p99(b), _p99(h), "ms"),
    ]
    bc, hc = _monthly_by_component(b), _monthly_by_component(h)
    names = list(bc) + [n for n in hc if n not in bc]
    comps = [DiffLine(n, bc[n].amount if n in bc else None, hc[n].amount if n in hc else None, cur)
             for n in names]
    from infercost.decide.latency import arrivals_note

    notes = list(dict.fromkeys(arrivals_note(sc) for sc in (base, head)
                               if sc.workload.arrivals.process in ("constant", "trace")))
    for side, row in (("base", b), ("head", h)):
        notes.extend(_overload_notes(side, row))
    return CostDiff(base.name, head.name, cur, summary, comps, path, notes)
