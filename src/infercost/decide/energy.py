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


def plan_energy(scenario: Scenario, catalog: Catalog) -> tuple[dict[str, Any] | None, str | None]:
    """(energy facts, None) of `scenario` (already set to the plan) over its analytic month:
    kwh, kwh_per_1k_inferences, gco2e_per_1k_inferences, kwh_per_1m_tokens,
    gco2e_per_1m_tokens (None for a non-LLM), pue, grid_g_per_kwh, region, notes.
    (None, why) when energy cannot be modelled (no power figure for the hardware, no grid
    intensity for the region, no estimate for the plan): shown as '-', never 0."""
    from infercost.capacity.model import estimate_capacity
    from infercost.econ.energy import energy
    from infercost.perf.service import service_time

    try:  # the usage `capacity.estimate` itemises, without the cost lines
        usage = estimate_capacity(scenario, service_time(scenario, catalog))
        return per_1k(energy(scenario, catalog, usage).to_dict()), None
    except InputError as e:
        return None, str(e)
