"""`estimate`: a scenario's predicted monthly cost per inference, itemised (analytic)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from infercost.capacity.model import estimate_capacity
from infercost.core.catalog import Catalog, fleet_instances_note
from infercost.core.scenario import Scenario
from infercost.econ.breakdown import CostBreakdown
from infercost.econ.cost import itemise
from infercost.econ.energy import energy_facts
from infercost.econ.usage import CapacityUsage
from infercost.perf.service import ServiceTime, service_time


@dataclass(frozen=True)
class Estimate:
    scenario: Scenario
    service: ServiceTime
    usage: CapacityUsage
    breakdown: CostBreakdown

    def to_dict(self) -> dict:
        d = self.breakdown.to_dict()
        d["service_time"] = {
            "source": self.service.source,
            "max_batch": self.service.max_batch,
            "batch_1_ms": round(self.service.batch_seconds(1) * 1000, 6),
            "max_batch_ms": round(self.service.batch_seconds(self.service.max_batch) * 1000, 6),
        }
        return d


def estimate(scenario: Scenario, catalog: Catalog) -> Estimate:
    """Service time (service: or perf) -> monthly capacity -> itemised breakdown."""
    svc = service_time(scenario, catalog)
    usage = estimate_capacity(scenario, svc)
    whole = fleet_instances_note(catalog, scenario)  # instances not rented whole: a note only
    if whole:
        usage = replace(usage, notes=usage.notes + (whole,))
    b = itemise(scenario, catalog, usage)
    b.facts["energy"] = energy_facts(scenario, catalog, usage)
    return Estimate(scenario, svc, usage, b)
