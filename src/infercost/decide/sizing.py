"""Size a fleet: the fewest replicas (or autoscaling bounds) that meet the p99 SLO at peak.

The peak is the busiest 60-second slice of the workload's arrivals (as `capacity` slices
it), times (1 + shadow fraction) for experiment copies. A fixed fleet gets the fewest
replicas N whose analytic p99 at the peak (`decide.latency`) is within
`slo.p99_latency_ms` and, for an LLM on the performance model, whose analytic TTFT p99 is
within `slo.ttft_ms` (queue wait for the scenario's arrival process: `queue_factor`), as
optimize screens them; with no latency SLO, the fewest that keep peak utilisation at or under
the autoscaling target (0.7 without autoscaling). A TTFT SLO on a model with no first token
to time (not an LLM, or a measured `service:` time) is not checked: `ttft_note` says so. An autoscaled fleet keeps its target
and `min` (lowered to N if above it) and gets `max` = max(N, replicas its target wants at
peak), so the cap never blocks the SLO. Pure functions; no I/O.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from infercost.capacity.model import replica_load
from infercost.core.scenario import ReplicaRange, Scenario, set_path, validate
from infercost.core.traffic import rate_at
from infercost.decide.latency import (
    FleetLatency,
    first_token_fn,
    fleet_latency,
    queue_factor,
    service_tail_factor,
)
from infercost.perf.service import ServiceTime

MAX_REPLICAS = 100_000


@dataclass(frozen=True)
class Sizing:
    """The replicas chosen for a scenario and why."""

    replicas: int  # at peak
    peak_rate_per_s: float  # requests/s incl. shadow copies
    latency: FleetLatency  # at the peak with `replicas`
    slo_p99_ms: float | None
    slo_met: bool | None  # None: no latency SLO checked (p99, and TTFT where modelled)
    rule: str  # one sentence
    slo_ttft_ms: float | None = None  # slo.ttft_ms when checked (an LLM on the perf model)


def rate_profile(scenario: Scenario) -> list[float]:
    """Mean arrival rate of each 60-s slice of the workload (at most 1,440 equal slices),
    requests/s, shadow copies included: the traffic shape `peak_rate` and autoscaling use."""
    wl = scenario.workload
    a = wl.arrivals
    n = max(1, min(1440, int(math.ceil(wl.duration_s / 60.0))))
    dt = wl.duration_s / n
    if a.process == "trace":
        from infercost.ingest.trace import SCENARIO_KEY, trace_rates

        rates, _ = trace_rates(a.path, n, dt, SCENARIO_KEY)
    else:
        rates = [sum(rate_at(a, (i + (j + 0.5) / 8) * dt) for j in range(8)) / 8 for i in range(n)]
    shadow = scenario.costs.experiments.shadow_fraction if scenario.costs.experiments else 0.0
    return [r * (1.0 + shadow) for r in rates]


def peak_rate(scenario: Scenario) -> float:
    """Busiest 60-s slice's mean arrival rate, requests/s (shadow copies included)."""
    return max(rate_profile(scenario))


def size_fleet(scenario: Scenario, svc: ServiceTime) -> Sizing:
    """The fewest replicas meeting the SLO at peak (module doc); never more than MAX_REPLICAS."""
    dep = scenario.deployment
    lam = peak_rate(scenario)
    wait_s = dep.batching.max_wait_ms / 1000.0
    available = 1.0 - (dep.sharing.others_utilization if dep.sharing else 0.0)
    tail = service_tail_factor(scenario)
    queue = queue_factor(scenario)
    slo = scenario.slo.p99_latency_ms
    target = dep.autoscaling.target_utilization if dep.autoscaling else 0.7
    first = first_token_fn(scenario, svc)
    ttft = scenario.slo.ttft_ms if first is not None else None

    def lat(n: int) -> FleetLatency:
        return fleet_latency(lam, n, svc, wait_s, tail, available, queue, first)

    def meets(f: FleetLatency) -> bool:
        return ((slo is None or f.p99_s * 1000.0 <= slo)
                and (ttft is None or (f.ttft_s or 0.0) * 1000.0 <= ttft))

    what = f"utilisation <= {target:.0%}"
    if slo is not None or ttft is not None:
        def ok(n: int) -> bool:
            return meets(lat(n))
        what = " and ".join(([f"p99 <= {slo:g} ms"] if slo is not None else [])
                            + ([f"TTFT p99 <= {ttft:g} ms"] if ttft is not None else []))
        rule = f"fewest replicas with analytic {what} at the peak {lam:,.1f} req/s"
    else:
        def ok(n: int) -> bool:  # utilisation of full-batch capacity: monotone in n
            f = lat(n)
            return not f.overloaded and f.utilization <= target * available
        rule = f"no p99 SLO: fewest replicas at <= {target:.0%} utilisation at the peak {lam:,.1f} req/s"
    n = _fewest(ok)
    met: bool | None = None
    if n is None:  # the SLO cannot be met at any size (one request alone is too slow)
        n = _fewest(lambda k: not lat(k).overloaded) or MAX_REPLICAS
        slos = " and ".join(([f"p99 SLO {slo:g} ms"] if slo is not None else [])
                            + ([f"TTFT SLO {ttft:g} ms"] if ttft is not None else [])) or what
        rule = f"{slos} unreachable at any fleet size; fewest replicas not overloaded"
        met = False
    if isinstance(dep.replicas, ReplicaRange):
        want = _autoscaler_peak(lam, svc, wait_s, available, target)
        n = max(n, want)
    latency = lat(n)
    if (slo is not None or ttft is not None) and met is None:
        met = meets(latency)
    return Sizing(n, lam, latency, slo, met, rule, ttft)


def ttft_note(scenario: Scenario, svc: ServiceTime) -> str | None:
    """A note when `slo.ttft_ms` is stated but cannot be checked: the model has no first
    token to time (not an LLM on the performance model). None otherwise."""
    if scenario.slo.ttft_ms is None or first_token_fn(scenario, svc) is not None:
        return None
    why = ("a measured service: time has no prefill / decode split" if scenario.service is not None
           else "the model is not an LLM served token by token")
    return f"slo.ttft_ms {scenario.slo.ttft_ms:g} ms not checked: {why} (the SLO column is p99 only)"


def _autoscaler_peak(lam: float, svc: ServiceTime, wait_s: float, available: float, target: float) -> int:
    def ok(n: int) -> bool:
        load = replica_load(lam / n, svc, wait_s, available, n)
        return not load.overloaded and load.utilization <= target * available
    return _fewest(ok) or MAX_REPLICAS


def _fewest(ok) -> int | None:
    """Smallest n in [1, MAX_REPLICAS] with ok(n), ok monotone; None if none."""
    hi = 1
    while not ok(hi):
        if hi >= MAX_REPLICAS:
            return None
        hi = min(MAX_REPLICAS, hi * 2)
    lo = max(1, hi // 2)
    while lo < hi:
        mid = (lo + hi) // 2
        if ok(mid):
            hi = mid
        else:
            lo = mid + 1
    return lo


def with_replicas(scenario: Scenario, n: int) -> Scenario:
    """The scenario with `n` replicas: fixed stays fixed, autoscaled gets max = n, min <= n."""
    raw = scenario.model_dump(mode="python", exclude_none=True)
    reps = scenario.deployment.replicas
    if isinstance(reps, ReplicaRange):
        lo = min(reps.min, n)
        value = {"min": lo, "max": n}
        if reps.initial is not None:
            value["initial"] = min(reps.initial, n)
    else:
        value = n
    raw = set_path(raw, "deployment.replicas", value, "sizing")
    return validate(raw, f"{scenario.name} sized to {n} replicas")
