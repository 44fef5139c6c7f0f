"""Queueing theory for validation: M/M/1, M/M/c (Erlang C), M/D/1 (Pollaczek-Khinchine).

Rates in requests/s, times in seconds.
"""

from __future__ import annotations

import math


def erlang_c(c: int, lam: float, mu: float) -> float:
    """Probability an arrival waits in an M/M/c queue (offered load a = lam/mu < c)."""
    a = lam / mu
    rho = a / c
    if rho >= 1:
        raise ValueError("unstable: utilisation >= 1")
    term = 1.0
    total = 1.0
    for k in range(1, c):
        term *= a / k
        total += term
    last = term * a / c / (1 - rho)
    return last / (total + last)


def mmc_mean_wait(c: int, lam: float, mu: float) -> float:
    """Mean queue wait, s, M/M/c FCFS."""
    return erlang_c(c, lam, mu) / (c * mu - lam)


def mmc_wait_quantile(c: int, lam: float, mu: float, q: float) -> float:
    """q-quantile of the queue wait, s: P(W > t) = C exp(-(c mu - lam) t)."""
    pc = erlang_c(c, lam, mu)
    if 1 - q >= pc:
        return 0.0
    return math.log(pc / (1 - q)) / (c * mu - lam)


def md1_mean_wait(lam: float, service_s: float) -> float:
    """Mean queue wait, s, M/D/1 (Pollaczek-Khinchine): rho D / (2 (1 - rho))."""
    rho = lam * service_s
    if rho >= 1:
        raise ValueError("unstable: utilisation >= 1")
    return rho * service_s / (2 * (1 - rho))
