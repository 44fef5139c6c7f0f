"""Run the frontier for a scenario: cost each variant (`decide.compare`), then `decide.frontier`.

Each variant is sized to its own fleet (as in `compare`); its monthly cost and
`model.quality.value` make a point. Every variant needs a quality score: one missing is
an `InputError` (exit 2) naming it. Returns a JSON-ready dict (money as strings).

Energy and carbon: each point's (`econ.energy` of its sized month, as `compare`), per 1,000
inferences and per 1M tokens for LLMs (None where its hardware has no power figure); a
mix's per-1k figures are f x large + (1 - f) x small (the same inferences, split by share:
the linear simplification the mix cost makes too).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from infercost.core.catalog import Catalog
from infercost.core.money import format_decimal
from infercost.core.scenario import Scenario
from infercost.decide.compare import compare
from infercost.decide.energy import per_1k
from infercost.decide.frontier import Point, Segment, best, pareto, sweep
from infercost.errors import InputError

#: Most routing fractions one sweep takes (`--steps`): 1/1000 of the traffic is finer than
#: any routing rule resolves, and each step is a row of the output.
MAX_STEPS = 1000


def check_frontier_options(value_per_point: Decimal | None, steps: int) -> None:
    """Refuse a value per point that is not a finite amount below the scenario money bound
    (`core.scenario_finance.MAX_AMOUNT`, either sign) and a step count outside
    1..MAX_STEPS. Raises InputError naming the flag."""
    from infercost.core.scenario_finance import MAX_AMOUNT

    if value_per_point is not None and not (value_per_point.is_finite() and abs(value_per_point) < MAX_AMOUNT):
        raise InputError(f"expected a finite amount below 1e15 in absolute value, got {value_per_point}",
                         "--value-per-point")
    if isinstance(steps, bool) or not isinstance(steps, int) or not 1 <= steps <= MAX_STEPS:
        raise InputError(f"expected a whole number from 1 to {MAX_STEPS}, got {steps}", "--steps")


def run_frontier(scenario: Scenario, catalog: Catalog, *, large: str | None = None,
                 small: str | None = None, reference: str = "baseline",
                 value_per_point: Decimal | None = None, segments: list[Segment] | None = None,
                 steps: int = 20) -> dict[str, Any]:
    """Points with dominated flags, and the routing sweep between `large` and `small`.
    Raises InputError for a value per point or step count `check_frontier_options` refuses."""
    check_frontier_options(value_per_point, steps)
    comp = compare(scenario, catalog)
    metric = None
    points = []
    energy: dict[str, dict[str, Any] | None] = {}
    for row in comp.rows:
        energy[row.name] = per_1k(row.energy)
        if row.quality is None:
            where = "model.quality" if row.name == "baseline" else f"options[{row.name}]"
            raise InputError(f"variant {row.name!r} has no quality score; the frontier needs "
                             f"model.quality.value for every variant", where)
        metric = metric or row.quality_metric
        points.append(Point(row.name, row.monthly_cost.amount, Decimal(repr(row.quality))))
    pts = pareto(points)
    by = {p.name: p for p in pts}
    for flag, name in (("--large", large), ("--small", small), ("--reference", reference)):
        if name is not None and name not in by:
            raise InputError(f"no variant named {name!r}; variants: {', '.join(by)}", flag)
    lg = by[large] if large else max(pts, key=lambda p: (p.quality, -p.monthly_cost))
    frontier = [p for p in pts if p.dominated_by is None and p.name != lg.name]
    if small:
        sm = by[small]
    elif frontier:
        sm = min(frontier, key=lambda p: (p.monthly_cost, -p.quality))
    else:
        sm = lg
    ref = by[reference]
    segs = segments or [Segment("all", Decimal(1), Decimal(1))]
    mixes = sweep(lg, sm, ref, segs, value_per_point if value_per_point is not None else Decimal(0), steps)
    out_mixes = [m.to_dict() for m in mixes]
    if value_per_point is None:
        for m in out_mixes:
            m["value"] = m["net_value"] = None
    el, es = energy[lg.name], energy[sm.name]
    for m, mx in zip(out_mixes, mixes, strict=True):
        f = float(mx.fraction_large)
        for k in ("kwh_per_1k_inferences", "gco2e_per_1k_inferences"):
            a, b = (el or {}).get(k), (es or {}).get(k)
            m[k] = None if a is None or b is None else float(f"{f * a + (1 - f) * b:.9g}")
    notes = ["each variant sized to its own fleet (as in compare); mix cost scales each "
             "fleet's monthly cost linearly with its traffic share"]
    for name, e in energy.items():
        if e is None:
            notes.append(f"{name}: no power figure for its hardware (or no grid intensity for its "
                         "region): energy not modelled, shown '-'")
    return {
        "scenario": scenario.name,
        "currency": scenario.currency,
        "metric": metric,
        "points": [{"name": p.name, "monthly_cost": format_decimal(p.monthly_cost), "quality": format_decimal(p.quality),
                    "dominated_by": p.dominated_by, "energy": energy[p.name]} for p in pts],
        "routing": {
            "large": lg.name, "small": sm.name, "reference": ref.name,
            "value_per_point": None if value_per_point is None else format_decimal(value_per_point),
            "segments": [{"name": s.name, "traffic_share": format_decimal(s.traffic_share),
                          "lift_share": format_decimal(s.lift_share)} for s in segs],
            "mixes": out_mixes,
            "best": best(mixes).to_dict() if value_per_point is not None else None,
        },
        "notes": notes,
    }
