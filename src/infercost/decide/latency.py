"""Analytic latency of a fleet at one arrival rate: a quick screen, `sim` is the reference.

p99 latency (seconds) ~= batch-fill wait + queue wait p99 + service-time p99, where

- the fleet is N replicas behind one queue, each serving batches of b requests in S(b)
  seconds (b from `capacity.model.replica_load`, the fluid fixed point), so a replica
  serves mu = b / S(b) requests/s while busy;
- the queue wait p99 is the M/M/c (Erlang C) quantile with c = N, rate lambda and mu
  (`sim.theory.mmc_wait_quantile`): P(W > t) = C exp(-(c mu - lambda) t);
- batch fill: a request may wait up to `max_wait_ms` for its batch, less when the batch
  fills sooner: min(max_wait, (B - 1) / lambda);
- the service-time tail multiplies S(b) by the distribution's p99 / mean:
  constant 1, exponential ln(100) = 4.605, lognormal exp(2.326 sigma - sigma^2 / 2).

Overloaded fleets (lambda at or above the capacity N B / S(B)) have infinite latency.
What this screen does not model (warm-up lag, autoscaler reaction, bursts) is what
`--simulate` measures.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from infercost.capacity.model import replica_load
from infercost.core.scenario import Scenario
from infercost.perf.service import ServiceTime
from infercost.sim.theory import mmc_wait_quantile

Z99 = 2.326347874  # standard normal 0.99 quantile


@dataclass(frozen=True)
class FleetLatency:
    """Analytic latency of N replicas at `rate_per_s`, seconds."""

    rate_per_s: float
    replicas: int
    batch: float  # mean batch size (requests)
    utilization: float  # busy fraction of a replica
    p99_s: float  # math.inf when overloaded
    overloaded: bool


def service_tail_factor(scenario: Scenario, q: float = 0.99) -> float:
    """p-quantile / mean of one batch's service time, by the `service:` distribution.

    The performance model's times are deterministic (factor 1). A hook for error bars:
    `decide.optimize.confidence_factor` scales service time by perf.quantile when present.
    """
    svc = scenario.service
    if svc is None or svc.distribution == "constant":
        return 1.0
    if svc.distribution == "exponential":
        return -math.log(1.0 - q)
    sigma = float(getattr(svc, "sigma", None) or 0.0)
    z = _z(q)
    return math.exp(z * sigma - sigma * sigma / 2.0)


def _z(q: float) -> float:
    if abs(q - 0.99) < 1e-12:
        return Z99
    from statistics import NormalDist

    return NormalDist().inv_cdf(q)


def fleet_latency(rate_per_s: float, replicas: int, svc: ServiceTime, max_wait_s: float,
                  tail: float = 1.0, available: float = 1.0) -> FleetLatency:
    """p99 latency (s) of `replicas` replicas offered `rate_per_s` requests/s (module doc)."""
    n = max(1, int(replicas))
    if rate_per_s <= 0:
        s1 = svc.batch_seconds(1)
        return FleetLatency(0.0, n, 1.0, 0.0, s1 * tail, False)
    load = replica_load(rate_per_s / n, svc, max_wait_s, available, n)
    if load.overloaded:
        return FleetLatency(rate_per_s, n, load.batch, load.utilization, math.inf, True)
    b = load.batch
    s_b = _s(svc, b)
    mu = available * b / s_b
    if rate_per_s >= n * mu:
        return FleetLatency(rate_per_s, n, b, load.utilization, math.inf, True)
    wq = mmc_wait_quantile(n, rate_per_s, mu, 0.99)
    fill = min(max_wait_s, (svc.max_batch - 1) / rate_per_s)
    return FleetLatency(rate_per_s, n, b, load.utilization, fill + wq + s_b * tail, False)


def _s(svc: ServiceTime, b: float) -> float:
    """Batch time at a fractional batch size (linear between integers), seconds."""
    lo = max(1, int(math.floor(b)))
    hi = min(svc.max_batch, lo + 1)
    s_lo = svc.batch_seconds(lo)
    if hi == lo:
        return s_lo
    return s_lo + (b - lo) * (svc.batch_seconds(hi) - s_lo)
