"""Streaming metrics: a log-spaced histogram sketch with known relative error, and
the per-bucket (per-minute by default) time series.

The sketch (DDSketch-like, fixed bins) stores counts of values x (seconds) in bins
[X_MIN * G^(i-1), X_MIN * G^i), G = (1 + ALPHA) / (1 - ALPHA) (values at or below X_MIN
count as 0, above X_MAX in the last bin). Memory is fixed (about 220 kB per histogram)
whatever the number of requests. Means and maxima are kept exactly alongside.

A quantile q is the nearest-rank sample quantile x_(ceil(q n)) (the value below which a
share q of the recorded values lie), estimated by interpolating geometrically inside the
bin that holds that rank: the j-th of the bin's m values is placed at
lo * G^((j - 1/2) / m). Estimate and true value lie in the same bin, so the relative
error is below G - 1 = QUANTILE_REL_ERROR (0.1%) for any x in [X_MIN, X_MAX]; reported
figures are rounded at the digit the bound reaches (`round_to_error`: the error is below
one unit in the last digit shown, e.g. 57.12 ms with a bound of 0.057 ms: 3 or 4
significant digits). Interpolating (rather than reporting the bin's midpoint) makes
the estimate move with the data inside a bin, so different seeds give different figures.

The time series uses a coarser sketch per bucket (per-minute p99): SERIES_REL_ERROR 2%,
rounded the same way (2 or 3 significant digits).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

ALPHA = 0.0005
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

QUANTILE_REL_ERROR = GAMMA - 1.0  # 0.10005%: bound on |estimate - true| / true
SERIES_REL_ERROR = SERIES_GAMMA - 1.0  # 2.02%

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


def bin_lower_edges(nbins: int = NBINS, xmin: float = X_MIN, gamma: float = GAMMA) -> np.ndarray:
    """Lower edge (s) of each bin: bin i >= 1 holds [xmin gamma^(i-1), xmin gamma^i); bin 0 is 0."""
    i = np.arange(nbins, dtype=np.float64)
    lo = xmin * gamma ** (i - 1.0)
    lo[0] = 0.0
    return lo


_LOWER = bin_lower_edges()
_SERIES_LOWER = bin_lower_edges(SERIES_NBINS, SERIES_X_MIN, SERIES_GAMMA)


def quantiles(counts: np.ndarray, qs: tuple[float, ...], series: bool = False) -> list[float]:
    """Nearest-rank quantiles (s) from a histogram row, interpolated inside their bin; NaN when empty.

    counts: [NBINS] (or [SERIES_NBINS] with series=True) bin counts. Relative error below
    QUANTILE_REL_ERROR (SERIES_REL_ERROR) against the exact nearest-rank quantile of the
    recorded values; values at or below X_MIN report 0.
    """
    lower = _SERIES_LOWER if series else _LOWER
    gamma = SERIES_GAMMA if series else GAMMA
    total = int(counts.sum())
    if total == 0:
        return [float("nan")] * len(qs)
    cum = np.cumsum(counts)
    out = []
    for q in qs:
        rank = max(1, int(math.ceil(q * total)))
        i = int(np.searchsorted(cum, rank))
        if i == 0:
            out.append(0.0)
            continue
        m = int(counts[i])
        j = rank - int(cum[i] - m)  # 1..m: position of the rank inside bin i
        out.append(float(lower[i] * gamma ** ((j - 0.5) / m)))
    return out


def share_at_most(counts: np.ndarray, x: float) -> float | None:
    """Share (0-1) of the values in a histogram row at or below x (s), reading the bin that
    holds x as spread evenly in log space (the rule `quantiles` inverts), so the share is
    exact up to the values inside that one bin (within QUANTILE_REL_ERROR of x); None when
    the row is empty."""
    total = float(counts.sum())
    if total == 0:
        return None
    if x < X_MIN:
        return 0.0
    i = bin_of(x, X_MIN, INV_LOG_GAMMA, NBINS)
    below = float(counts[:i].sum())
    if i == 0:
        return float(counts[0]) / total
    part = min(1.0, max(0.0, math.log(x / _LOWER[i]) / math.log(GAMMA)))
    return min(1.0, (below + float(counts[i]) * part) / total)


def sketch(values: np.ndarray, series: bool = False) -> np.ndarray:
    """Bin counts of values (s) in the sketch the loop uses (for tests and offline use)."""
    nb = SERIES_NBINS if series else NBINS
    xmin = SERIES_X_MIN if series else X_MIN
    inv = SERIES_INV_LOG_GAMMA if series else INV_LOG_GAMMA
    out = np.zeros(nb, dtype=np.int64)
    for x in np.asarray(values, dtype=np.float64):
        out[bin_of(float(x), xmin, inv, nb)] += 1
    return out


def error_decimals(x: float, rel_error: float = QUANTILE_REL_ERROR) -> int:
    """Decimal places to show for x with a relative error bound: the place of the first
    significant digit of the absolute bound x * rel_error (negative: tens, hundreds, ...)."""
    if x == 0.0 or not math.isfinite(x):
        return 0
    return -math.floor(math.log10(abs(x) * rel_error))


def round_to_error(x: float, rel_error: float = QUANTILE_REL_ERROR) -> float:
    """x rounded at the digit its error bound reaches (0 and non-finite values unchanged):
    57.115 with 0.1% (bound 0.057) -> 57.12; 124.6 with 2% (bound 2.5) -> 125.0."""
    if x == 0.0 or not math.isfinite(x):
        return float(x)
    return float(round(x, error_decimals(x, rel_error)))


def summary_ms(counts: np.ndarray, stats_row: np.ndarray) -> dict[str, float] | None:
    """One histogram row in ms; None if empty.

    mean and max are exact (rounded to 1 µs); p50, p95, p99 are sketch estimates rounded
    at the digit their error bound reaches (relative error below QUANTILE_REL_ERROR), and
    never above max (an estimate above it is max, exactly).
    """
    n = stats_row[S_N]
    if n == 0:
        return None
    top = round(float(stats_row[S_MAX]) * 1e3, 3)
    # no quantile exceeds the maximum: an estimate interpolated above it (the top bin's
    # values may sit low in their bin) is the maximum, which is then exact
    p50, p95, p99 = (min(round_to_error(p * 1e3), top)
                     for p in quantiles(counts, (0.5, 0.95, 0.99)))
    return {
        "mean": round(float(stats_row[S_SUM] / n) * 1e3, 3),
        "p50": p50, "p95": p95, "p99": p99,
        "max": top,
    }
