"""Arrival-rate profiles over time: the shape of traffic, shared by estimate and simulate.

`rate_at(arrivals, t)` is the mean arrival rate (requests per second) at `t` seconds
from the start of the workload:

- poisson, constant: `rate_per_s` throughout;
- diurnal: a von Mises day curve, `rate_per_s * exp(k cos(2 pi (h - peak_hour) / 24)) / I0(k)`
  with h the hour of day (t = 0 is midnight UTC). It keeps the mean at `rate_per_s`
  over a day and puts the peak at `peak_to_mean * rate_per_s` (k solved for that);
  `peak_to_mean = 1` is flat;
- spike: `rate_per_s`, times `multiplier` inside [start_s, end_s);
- trace: not a formula; the timestamps of a usage log are replayed (see sim).
"""

from __future__ import annotations

import math
from functools import lru_cache

SECONDS_PER_DAY = 86400.0


def _i0(k: float) -> float:
    """Modified Bessel function of the first kind, order 0 (series; exact to ~1e-15)."""
    total, term, n = 1.0, 1.0, 1
    while True:
        term *= (k / (2 * n)) ** 2
        total += term
        n += 1
        if term < 1e-17 * total:
            return total


@lru_cache(maxsize=128)
def diurnal_kappa(peak_to_mean: float) -> float:
    """k such that exp(k) / I0(k) = peak_to_mean (bisection; 0 for a flat day)."""
    if peak_to_mean <= 1.0:
        return 0.0
    lo, hi = 0.0, 1.0
    while math.exp(hi) / _i0(hi) < peak_to_mean:
        hi *= 2
        if hi > 700:
            raise ValueError("peak_to_mean too large")
    for _ in range(100):
        mid = (lo + hi) / 2
        if math.exp(mid) / _i0(mid) < peak_to_mean:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def diurnal_factor(t: float, peak_to_mean: float, peak_hour: float) -> float:
    """Rate multiplier at time t (seconds) of a day curve whose mean over a day is 1."""
    k = diurnal_kappa(peak_to_mean)
    if k == 0.0:
        return 1.0
    hour = (t % SECONDS_PER_DAY) / 3600.0
    return math.exp(k * math.cos(2 * math.pi * (hour - peak_hour) / 24.0)) / _i0(k)


def rate_at(arrivals, t: float) -> float:
    """Mean arrival rate (requests/s) at time t (s) for a scenario's `arrivals` block."""
    p = arrivals.process
    base = float(arrivals.rate_per_s or 0.0)
    if p in ("poisson", "constant"):
        return base
    if p == "diurnal":
        return base * diurnal_factor(t, arrivals.peak_to_mean, arrivals.peak_hour)
    if p == "spike":
        inside = arrivals.start_s <= t < arrivals.end_s
        return base * (arrivals.multiplier if inside else 1.0)
    raise ValueError(f"no closed-form rate for process {p!r}")
