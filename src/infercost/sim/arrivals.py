"""Arrival processes: the next arrival time, generated on the fly inside the compiled loop.

Nothing is stored per request: each call draws the gap to the next arrival, so memory
does not grow with the number of requests. Processes (rates in requests/s, times in s):

- poisson: exponential gaps at `rate_per_s`;
- constant: gaps of exactly 1 / rate;
- diurnal: a non-homogeneous Poisson process with rate
  `rate_per_s * exp(k cos(2 pi (h - peak_hour) / 24)) / I0(k)` (h = hour of day, t = 0 is
  midnight UTC; k solved so the peak is `peak_to_mean` x the mean; the mean over a day
  is `rate_per_s`), drawn by thinning (Lewis-Shedler) at the peak rate;
- spike: a base process (poisson, constant or diurnal) whose rate is multiplied by
  `multiplier` inside [start_s, end_s);
- trace: replays given arrival times (a usage log's timestamps, see `read_trace`).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from infercost.core.traffic import _i0, diurnal_kappa
from infercost.sim.entities import ArrivalSpec

K_POISSON, K_CONSTANT, K_DIURNAL, K_SPIKE, K_TRACE = 0, 1, 2, 3, 4
_KINDS = {"poisson": K_POISSON, "constant": K_CONSTANT, "diurnal": K_DIURNAL, "spike": K_SPIKE,
          "trace": K_TRACE}

# parameter vector layout
A_KIND, A_RATE, A_LAMMAX, A_KAPPA, A_INV_I0, A_PEAK_H, A_MULT, A_START, A_END, A_BASE = range(10)
NA = 10


def pack(spec: ArrivalSpec) -> np.ndarray:
    """The parameter vector the compiled loop reads."""
    a = np.zeros(NA, dtype=np.float64)
    kind = _KINDS[spec.process]
    a[A_KIND] = kind
    a[A_RATE] = spec.rate_per_s
    base = kind if kind != K_SPIKE else _KINDS.get(spec.spike_base, K_POISSON)
    a[A_BASE] = base
    ptm = spec.peak_to_mean if base == K_DIURNAL else 1.0
    k = diurnal_kappa(ptm)
    a[A_KAPPA] = k
    a[A_INV_I0] = 1.0 / _i0(k)
    a[A_PEAK_H] = spec.peak_hour
    a[A_MULT] = spec.multiplier if kind == K_SPIKE else 1.0
    a[A_START] = spec.start_s
    a[A_END] = spec.end_s
    a[A_LAMMAX] = spec.rate_per_s * max(1.0, a[A_MULT]) * (math.exp(k) * a[A_INV_I0])
    return a


@njit(cache=True)
def rate_at(a: np.ndarray, t: float) -> float:
    """Arrival rate (requests/s) at time t (s); not defined for trace."""
    r = a[A_RATE]
    if a[A_BASE] == K_DIURNAL and a[A_KAPPA] > 0.0:
        hour = (t % 86400.0) / 3600.0
        r *= math.exp(a[A_KAPPA] * math.cos(2.0 * math.pi * (hour - a[A_PEAK_H]) / 24.0)) * a[A_INV_I0]
    if a[A_KIND] == K_SPIKE and a[A_START] <= t < a[A_END]:
        r *= a[A_MULT]
    return r


@njit(cache=True)
def next_arrival(a: np.ndarray, t: float, trace: np.ndarray, state: np.ndarray) -> float:
    """Time (s) of the arrival after t; state[0] is the trace cursor. Uses numba's RNG."""
    kind = a[A_KIND]
    if kind == K_TRACE:
        i = int(state[0])
        if i >= trace.shape[0]:
            return np.inf
        state[0] = i + 1
        return trace[i]
    if kind == K_POISSON:
        return t + np.random.exponential(1.0 / a[A_RATE])
    base = a[A_BASE]
    if base == K_CONSTANT:
        return t + 1.0 / rate_at(a, t)
    lam_max = a[A_LAMMAX]
    while True:  # thinning
        t = t + np.random.exponential(1.0 / lam_max)
        if np.random.random() * lam_max <= rate_at(a, t):
            return t


@njit(cache=True)
def _generate(a: np.ndarray, trace: np.ndarray, duration_s: float, seed: int, limit: int) -> np.ndarray:
    np.random.seed(seed)
    out = np.empty(limit, dtype=np.float64)
    state = np.zeros(1)
    t = 0.0
    n = 0
    while n < limit:
        t = next_arrival(a, t, trace, state)
        if t >= duration_s:
            break
        out[n] = t
        n += 1
    return out[:n]


def arrival_times(spec: ArrivalSpec, duration_s: float, seed: int = 0, limit: int = 10_000_000) -> np.ndarray:
    """Arrival times (s) in [0, duration_s), at most `limit` of them (for inspection and tests)."""
    trace = spec.trace_s if spec.trace_s is not None else np.zeros(0)
    return _generate(pack(spec), np.asarray(trace, dtype=np.float64), float(duration_s), int(seed), int(limit))


def mean_rate(spec: ArrivalSpec, duration_s: float) -> float:
    """Mean arrival rate (requests/s) over [0, duration_s)."""
    if spec.process == "trace":
        tr = spec.trace_s if spec.trace_s is not None else np.zeros(0)
        return float(np.count_nonzero(np.asarray(tr) < duration_s)) / duration_s
    a = pack(spec)
    n = 20_000
    ts = (np.arange(n) + 0.5) * (duration_s / n)
    total = 0.0
    for t in ts:
        total += rate_at(a, float(t))
    return total / n


def read_trace(path: str, key: str | None = None) -> np.ndarray:
    """Arrival times (s from the first request) from a usage log's `timestamp` column.

    CSV, Parquet or JSON lines (DESIGN.md, usage log). Unparsable or unsorted timestamps
    raise InputError naming the row; `key` (the scenario key that named the file) goes
    in front of the file's name.
    """
    from infercost.ingest.trace import read_trace_seconds

    return np.asarray(read_trace_seconds(path, key), dtype=np.float64)


def read_trace_tokens(path: str, n: int, key: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """`input_tokens` and `output_tokens` per request of a usage log, int64 arrays of
    length `n` (0 where the column is absent). The one trace reader (`ingest.trace`):
    a malformed count raises InputError naming the row, never zeros in silence."""
    from infercost.ingest.trace import read_trace_tokens as read

    return read(path, n, key)
