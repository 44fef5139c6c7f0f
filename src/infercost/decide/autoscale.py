"""Autoscaling bounds in the screen: replicas over the day of a (min, max) fleet, vectorised.

An autoscaler that keeps busy time at `target` utilisation (the simulator's HPA rule,
`sim.autoscaler`) wants, in a 60-s slice with arrival rate lambda_i,

    want_i = ceil(lambda_i / (target x mu))     mu: one replica's full-batch capacity, req/s

and runs r_i = min(max, max(min, want_i)) replicas. The fleet's cost is the time-weighted
mean of r_i (all slices are equally long) x GPUs per replica x the price per GPU-hour x
730 h. The SLO is checked at the peak: a candidate's max is a fleet size whose analytic
p99 at the peak rate meets the SLO, and only bounds whose autoscaler reaches max at the
peak (want_peak >= max) are candidates (a larger max is never used, so costs the same
as the max the autoscaler does reach). Mins searched: 1, ceil(max / 4), ceil(max / 2).
Warm-up enters the screen only through `screen.ramp_min` (the min is raised so the fleet
holds the SLO through the steepest ramp); not in the screen (the finalists' simulation
measures them): scale-down delay, and a busy fraction above x / mu when batches run below
full.
"""

from __future__ import annotations

import numpy as np

MIN_SHARES = (0.25, 0.5)  # besides min = 1


def want(rate: np.ndarray | float, mu: np.ndarray | float, target: float) -> np.ndarray:
    """Replicas the autoscaler wants at `rate` req/s, each serving `mu` req/s at full batches."""
    return np.ceil(np.asarray(rate, dtype=float) / (target * np.asarray(mu, dtype=float)) - 1e-9)


def bounds(n_max: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(row index into n_max, min) for each autoscaled candidate: mins 1, ceil(max/4),
    ceil(max/2), each below max, without repeats."""
    mins = [np.ones_like(n_max)] + [np.ceil(n_max * f).astype(n_max.dtype) for f in MIN_SHARES]
    rows, lows = [], []
    for k, m in enumerate(mins):
        keep = m < n_max
        for j in range(k):  # drop a min equal to an earlier one
            keep &= m != mins[j]
        rows.append(np.flatnonzero(keep))
        lows.append(m[keep])
    order_rows = np.concatenate(rows)
    order_lows = np.concatenate(lows)
    idx = np.lexsort((order_lows, order_rows))
    return order_rows[idx], order_lows[idx]


def mean_replicas(rates: np.ndarray, mu: np.ndarray, target: float, lo: np.ndarray,
                  hi: np.ndarray) -> np.ndarray:
    """Time-weighted mean of min(hi, max(lo, want_i)) over the slices' `rates`, per candidate.

    rates: (n,) req/s per equal slice; mu, lo, hi: (C,) per candidate. Exact (integer
    replica counts summed, then divided by n). Candidates sharing a mu share one sorted
    want table: want is monotone in the rate, so sorting the rates once sorts every table."""
    rates = np.sort(np.asarray(rates, dtype=float))
    n = rates.shape[0]
    if mu.shape[0] == 0:
        return np.zeros(0)
    groups, inv = np.unique(mu, return_inverse=True)
    W = want(rates[None, :], groups[:, None], target)  # (G, n), each row sorted
    P = np.concatenate([np.zeros((groups.shape[0], 1)), np.cumsum(W, axis=1)], axis=1)
    big = float(max(W.max(), hi.max(), lo.max()) + 2.0)
    flat = (W + (np.arange(groups.shape[0]) * big)[:, None]).ravel()
    base = inv * big
    below = np.searchsorted(flat, lo + base, side="left") - inv * n  # slices with want < lo
    upto = np.searchsorted(flat, hi + base, side="right") - inv * n  # slices with want <= hi
    total = lo * below + (P[inv, upto] - P[inv, below]) + hi * (n - upto)
    return total / n
