"""Streaming metrics: a log-spaced histogram sketch with known relative error, and
the per-bucket (per-minute by default) time series.

The sketch (DDSketch-like, fixed bins) stores counts of values x (seconds) in bins
[X_MIN * G^(i-1), X_MIN * G^i), G = (1 + ALPHA) / (1 - ALPHA); a quantile is reported as
the bin's midpoint 2 X_MIN G^i / (G + 1), within ALPHA = 0.1% of the true value for any
x in [X_MIN, X_MAX] (values below X_MIN count as 0, above X_MAX as X_MAX). Memory is
fixed (about 110 kB per histogram) whatever the number of requests. Means and maxima
are kept exactly alongside.

The time series uses a coarser sketch (SERIES_ALPHA = 1%) per bucket, for per-minute p99.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

ALPHA = 0.001
X_MIN = 1e-6  # s
X_MAX = 1e6  # s
GAMMA = (1 + ALPHA) / (1 - ALPHA)
INV_LOG_GAMMA = 1.0 / math.log(GAMMA)
NBINS = int(math.ceil(math.log(X_MAX / X_MIN) * INV_LOG_GAMMA)) + 2

SERIES_ALPHA = 0.01
SERIES_X_MIN = 1e-5
SERIES_X_MAX = 1e5
SERIES_GAMMA = (1 + SERIES_ALPHA) / (1 - SERIES_ALPHA)
SERIES_INV_LOG_GAMMA = 1.0 / math.log(SERIES_GAMMA)
SERIES_NBINS = int(math.ceil(math.log(SERIES_X_MAX / SERIES_X_MIN) * SERIES_INV_LOG_GAMMA)) + 2

# histogram rows
H_LATENCY = 0  # end-to-end latency of served user requests
H_WAIT = 1  # queue wait (each stage)
H_TTFT = 2  # LLM time to first token
H_TPOT = 3  # LLM time per output token after the first
H_LAT_RT = 4  # latency, realtime tier
H_LAT_BATCH = 5  # latency, batch tier
NH = 6
HIST_NAMES = ("latency", "queue_wait", "ttft", "tpot", "latency_realtime", "latency_batch")

# per-histogram exact stats columns: count, sum, max
S_N, S_SUM, S_MAX = 0, 1, 2


@njit(cache=True, inline="always")
def bin_of(x: float, xmin: float, inv_lg: float, nb: int) -> int:
    """Bin index of value x (s)."""
    if x <= xmin:
        return 0
    i = int(math.log(x / xmin) * inv_lg) + 1
    if i >= nb:
        return nb - 1
    return i


@njit(cache=True, inline="always")
def hist_add(hist: np.ndarray, stats: np.ndarray, h: int, x: float) -> None:
    """Add value x (s) to histogram row h and its exact count/sum/max."""
    hist[h, bin_of(x, X_MIN, INV_LOG_GAMMA, NBINS)] += 1
    stats[h, S_N] += 1.0
    stats[h, S_SUM] += x
    if x > stats[h, S_MAX]:
        stats[h, S_MAX] = x


def bin_values(nbins: int = NBINS, xmin: float = X_MIN, gamma: float = GAMMA) -> np.ndarray:
    """Representative value (s) of each bin (bin 0 is 0)."""
    i = np.arange(nbins, dtype=np.float64)
    v = xmin * gamma ** i * 2.0 / (gamma + 1.0)
    v[0] = 0.0
    return v


_VALUES = bin_values()
_SERIES_VALUES = bin_values(SERIES_NBINS, SERIES_X_MIN, SERIES_GAMMA)


def quantiles(counts: np.ndarray, qs: tuple[float, ...], series: bool = False) -> list[float]:
    """Nearest-rank quantiles (s) from a histogram row; NaN when empty."""
    values = _SERIES_VALUES if series else _VALUES
    total = int(counts.sum())
    if total == 0:
        return [float("nan")] * len(qs)
    cum = np.cumsum(counts)
    out = []
    for q in qs:
        rank = max(1, int(math.ceil(q * total)))
        out.append(float(values[int(np.searchsorted(cum, rank))]))
    return out


def summary_ms(counts: np.ndarray, stats_row: np.ndarray) -> dict[str, float] | None:
    """mean, p50, p95, p99, max in ms (rounded to 1 µs) of one histogram row; None if empty."""
    n = stats_row[S_N]
    if n == 0:
        return None
    p50, p95, p99 = quantiles(counts, (0.5, 0.95, 0.99))
    return {
        "mean": round(float(stats_row[S_SUM] / n) * 1e3, 3),
        "p50": round(p50 * 1e3, 3),
        "p95": round(p95 * 1e3, 3),
        "p99": round(p99 * 1e3, 3),
        "max": round(float(stats_row[S_MAX]) * 1e3, 3),
    }
