"""The simulator against queueing theory (M/M/1, M/M/c with Erlang C, M/D/1), Little's law
and conservation of requests. Tolerance 3%; request counts are chosen so the standard
error of each estimate is well under 1% (the variance of a mean-wait estimate grows as
1/(1 - rho)^4, hence more requests at rho = 0.9): across seeds the largest error seen
was 1.9% (docs/simulator.md). About 4 s per 25 M requests once compiled."""

from __future__ import annotations

import pytest

from infercost.sim.entities import ArrivalSpec, PoolConfig, RequestClass, ServiceDist, SimConfig
from infercost.sim.run import simulate_config
from infercost.sim.theory import md1_mean_wait, mmc_mean_wait, mmc_wait_quantile

MEAN_S = 0.020  # service time, s (mu = 50 /s per server)


def _run(c: int, rho: float, dist: str, n_requests: float, seed: int = 7):
    lam = rho * c / MEAN_S
    cfg = SimConfig(
        duration_s=n_requests / lam,
        arrivals=ArrivalSpec("poisson", rate_per_s=lam),
        classes=[RequestClass(service=ServiceDist(dist, mean_s=MEAN_S))],
        pools=[PoolConfig(replicas=c, max_queue=10_000_000)],
    )
    return lam, simulate_config(cfg, seed=seed)


def _rel(a: float, b: float) -> float:
    return abs(a - b) / b


CASES = [  # (servers, utilisation, requests)
    (1, 0.5, 4e6),
    (1, 0.9, 40e6),
    (3, 0.8, 16e6),
    (3, 0.9, 30e6),
    (8, 0.9, 24e6),
]


@pytest.mark.parametrize("c,rho,n", CASES)
def test_mmc_mean_and_percentiles(c, rho, n):
    lam, r = _run(c, rho, "exponential", n)
    mu = 1 / MEAN_S
    theory = mmc_mean_wait(c, lam, mu)
    sim = r.queue_wait_ms["mean"] / 1e3
    assert _rel(sim, theory) < 0.03, (sim, theory)
    for q in (0.5, 0.95, 0.99):
        th = mmc_wait_quantile(c, lam, mu, q)
        got = r.wait_quantile(q)
        if th == 0.0:
            assert got < 1e-6 * MEAN_S
        else:
            assert _rel(got, th) < 0.03, (q, got, th)
    # Little's law (L = lambda W) and conservation on every run
    assert r.littles_law["relative_gap"] < 0.01
    req = r.requests
    assert req["arrived"] == req["served"] + req["dropped"] + req["in_flight_end"]
    assert req["dropped"] == 0
    assert abs(r.utilization - rho) < 0.01


@pytest.mark.parametrize("rho,n", [(0.5, 1.5e6), (0.9, 6e6)])
def test_md1_mean_wait(rho, n):
    lam, r = _run(1, rho, "constant", n)
    theory = md1_mean_wait(lam, MEAN_S)
    sim = r.queue_wait_ms["mean"] / 1e3
    assert _rel(sim, theory) < 0.03, (sim, theory)
    assert r.littles_law["relative_gap"] < 0.01


def test_percentile_sketch_relative_error():
    """The sketch's quantiles are within its stated bound (0.1%) of exact order statistics."""
    import numpy as np

    from infercost.sim.metrics import NBINS, NH, QUANTILE_REL_ERROR, S_N, hist_add, quantiles

    rng = np.random.default_rng(3)
    xs = rng.lognormal(-3, 1.2, 200_000)
    H = np.zeros((NH, NBINS), dtype=np.int64)
    HS = np.zeros((NH, 3))
    for x in xs:
        hist_add(H, HS, 0, float(x))
    assert HS[0, S_N] == len(xs)
    for q in (0.5, 0.9, 0.99, 0.999):
        exact = np.sort(xs)[int(np.ceil(q * len(xs))) - 1]
        assert abs(quantiles(H[0], (q,))[0] - exact) / exact <= QUANTILE_REL_ERROR * 1.0001
