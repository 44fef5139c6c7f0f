"""Energy and carbon of one plan a decision command reports (`optimize`, `frontier`,
`build-vs-buy`): the plan's analytic month (`capacity.estimate`, the same usage `infercost
estimate` gives) through `econ.energy` (board power curve + host share x PUE; grid intensity
of the region), per 1,000 inferences and per 1M tokens (input + output) for LLMs.
"""

from __future__ import annotations

from typing import Any

from infercost.core.catalog import Catalog
from infercost.core.scenario import Scenario
from infercost.errors import InputError


def per_1k(facts: dict[str, Any] | None) -> dict[str, Any] | None:
    """`econ.energy` facts (JSON-ready dict) plus kWh and gCO2e per 1,000 inferences
    (x 1000, 9 significant digits); None stays None (no powered hardware)."""
    if facts is None:
        return None

    def k(x: float | None) -> float | None:
        return None if x is None else float(f"{x * 1000:.9g}")
    return {**facts, "kwh_per_1k_inferences": k(facts["kwh_per_inference"]),
            "gco2e_per_1k_inferences": k(facts["gco2e_per_inference"])}


def plan_energy(scenario: Scenario, catalog: Catalog) -> dict[str, Any] | None:
    """Energy facts of `scenario` (already set to the plan) over its analytic month:
    kwh, kwh_per_1k_inferences, gco2e_per_1k_inferences, kwh_per_1m_tokens,
    gco2e_per_1m_tokens (None for a non-LLM), pue, grid_g_per_kwh, region, notes.
    None when the hardware has no power figure or the plan cannot be estimated
    (an InputError from the estimate): energy not modelled, never 0."""
    from infercost.capacity.estimate import estimate

    try:
        est = estimate(scenario, catalog)
    except InputError:
        return None
    return per_1k(est.breakdown.facts.get("energy"))
