"""Two curves of one scenario: cost per inference against traffic, latency against throughput.

- `cost_curve`: the scenario's arrival rate scaled by each multiple (the traffic's shape
  kept: a spike stays a spike, a diurnal cycle stays one), the fleet sized for each rate as
  `compare` sizes it (the fewest replicas meeting the p99 SLO at the peak), then costed by
  the capacity model. Cost per inference falls with traffic while fixed monthly lines
  (engineering, storage, the last replica's idle time) are spread over more requests, and
  jumps a little each time a replica is added: the curve is not a straight line.
- `latency_curve`: the baseline fleet sized at the scenario's own peak, offered a
  constant rate from a few percent up to just below its capacity (N B / S(B) requests/s);
  p99 is the analytic p99 of `decide.latency` (Erlang C queue + batch fill + service
  tail), in ms. It rises steeply as the rate nears capacity.

Pure functions over a validated `Scenario`; `sim` is the reference for both.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from infercost.core.catalog import Catalog
from infercost.core.money import Money
from infercost.core.scenario import Scenario, set_path, validate
from infercost.errors import InputError

#: Traffic multiples of the scenario's own rate for `cost_curve` (0.05x to 10x).
DEFAULT_MULTIPLES = (0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0, 1.5, 2.0, 3.0, 5.0, 7.0, 10.0)
#: Fractions of the sized fleet's capacity for `latency_curve`.
DEFAULT_LOADS = (0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.93, 0.95, 0.97, 0.98)


@dataclass(frozen=True)
class CostPoint:
    """The scenario at `multiple` x its traffic, sized and costed (money per month, 730 h)."""

    multiple: float
    rate_per_s: float  # mean requests/s served over the month
    replicas: int  # at the peak
    cost_per_inference: Money
    monthly_cost: Money
    p99_ms: float | None  # analytic, at the peak; None when overloaded
    slo_met: bool | None

    def to_dict(self) -> dict[str, Any]:
        return {"multiple": self.multiple, "rate_per_s": round(self.rate_per_s, 4),
                "replicas": self.replicas,
                "cost_per_inference": self.cost_per_inference.to_json(),
                "cost_per_1k_inferences": (self.cost_per_inference * 1000).to_json(),
                "monthly_cost": self.monthly_cost.to_json(),
                "p99_ms": None if self.p99_ms is None else round(self.p99_ms, 3),
                "slo_met": self.slo_met}


@dataclass(frozen=True)
class LatencyPoint:
    """The sized fleet offered `rate_per_s` (constant): throughput = rate (not overloaded)."""

    load: float  # rate / fleet capacity
    rate_per_s: float
    p99_ms: float

    def to_dict(self) -> dict[str, Any]:
        return {"load": self.load, "rate_per_s": round(self.rate_per_s, 4),
                "p99_ms": round(self.p99_ms, 3)}


@dataclass(frozen=True)
class LatencyCurve:
    """p99 against throughput for `replicas` replicas of `capacity_per_s` requests/s in all."""

    replicas: int
    capacity_per_s: float
    slo_p99_ms: float | None
    points: list[LatencyPoint]

    def to_dict(self) -> dict[str, Any]:
        return {"replicas": self.replicas, "capacity_per_s": round(self.capacity_per_s, 4),
                "slo_p99_ms": self.slo_p99_ms, "points": [p.to_dict() for p in self.points]}


def scaled(scenario: Scenario, multiple: float) -> Scenario:
    """The scenario with `workload.arrivals.rate_per_s` x `multiple`. A trace cannot be
    scaled: InputError naming workload.arrivals.process."""
    a = scenario.workload.arrivals
    if a.process == "trace" or a.rate_per_s is None:
        raise InputError("a traffic curve needs a rate to scale (not a trace)",
                         f"{scenario.name}: workload.arrivals.process")
    if not multiple > 0:
        raise InputError(f"must be > 0, got {multiple}", "multiple")
    raw = scenario.model_dump(mode="python", exclude_none=True)
    raw = set_path(raw, "workload.arrivals.rate_per_s", a.rate_per_s * multiple, "curve")
    return validate(raw, f"{scenario.name} at {multiple:g}x traffic")


def cost_curve(scenario: Scenario, catalog: Catalog,
               multiples: Sequence[float] = DEFAULT_MULTIPLES) -> list[CostPoint]:
    """Cost per inference at each traffic multiple, each fleet sized as `compare` sizes it."""
    from infercost.decide.compare import evaluate

    out = []
    for m in multiples:
        row = evaluate(scaled(scenario, m), catalog, size=True)
        out.append(CostPoint(float(m), row.served_per_s, row.peak_replicas, row.cost_per_inference,
                             row.monthly_cost, None if row.p99_ms == float("inf") else row.p99_ms,
                             row.slo_met))
    return out


def latency_curve(scenario: Scenario, catalog: Catalog,
                  loads: Sequence[float] = DEFAULT_LOADS) -> LatencyCurve:
    """Analytic p99 (ms) of the fleet sized at the scenario's peak, at each fraction of
    its capacity (each in (0, 1))."""
    from infercost.decide.latency import fleet_latency, queue_factor, service_tail_factor
    from infercost.decide.sizing import size_fleet
    from infercost.perf.service import service_time

    svc = service_time(scenario, catalog)
    n = size_fleet(scenario, svc).replicas
    dep = scenario.deployment
    available = 1.0 - (dep.sharing.others_utilization if dep.sharing else 0.0)
    cap = n * available * svc.max_batch / svc.batch_seconds(svc.max_batch)
    tail = service_tail_factor(scenario)
    points = []
    for u in loads:
        if not 0 < u < 1:
            raise InputError(f"each load must be between 0 and 1 (exclusive), got {u}", "loads")
        f = fleet_latency(u * cap, n, svc, dep.batching.max_wait_ms / 1000.0, tail, available,
                          queue_factor(scenario))
        points.append(LatencyPoint(float(u), u * cap, f.p99_s * 1000.0))
    return LatencyCurve(n, cap, scenario.slo.p99_latency_ms, points)
