"""Simulated percentiles: interpolated inside sketch bins, with a stated relative error
(metrics.QUANTILE_REL_ERROR, 0.1%) and printed to the digits that bound allows."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from infercost.sim.entities import ArrivalSpec, PoolConfig, RequestClass, ServiceDist, SimConfig
from infercost.sim.metrics import (
    QUANTILE_REL_ERROR,
    SERIES_REL_ERROR,
    X_MAX,
    X_MIN,
    quantiles,
    round_to_error,
    sketch,
)
from infercost.sim.run import simulate_config


def _nearest_rank(xs, q: float) -> float:
    return float(np.sort(xs)[max(1, math.ceil(q * len(xs))) - 1])


def test_bound_stated():
    # G = (1 + 0.0005) / (1 - 0.0005) = 1.0010005..., so G - 1 = 0.10005%
    assert abs(QUANTILE_REL_ERROR - 0.0010005) < 1e-7
    # printed to the digit the bound reaches: the bound is below one unit of the last digit
    assert round_to_error(57.11537) == 57.12  # bound 0.0571 ms: hundredths
    assert round_to_error(459.874) == 459.9  # bound 0.46 ms: tenths
    assert round_to_error(46223.8) == 46220.0  # bound 46 ms: tens
    assert round_to_error(124.598, SERIES_REL_ERROR) == 125.0  # bound 2.5 ms: units
    assert round_to_error(0.0) == 0.0
    assert abs(SERIES_REL_ERROR - 0.020202) < 1e-6  # (1.01 / 0.99) - 1


def test_bound_against_exact_quantiles_of_exponential():
    """n values at the exponential's exact quantiles F^-1((i - 1/2) / n), mean 20 ms: the
    nearest-rank q-quantile is F^-1((ceil(q n) - 1/2) / n), known in closed form."""
    n, mean = 50_000, 0.020
    i = np.arange(1, n + 1)
    xs = -mean * np.log(1.0 - (i - 0.5) / n)
    counts = sketch(xs)
    for q in (0.5, 0.9, 0.95, 0.99, 0.999):
        k = math.ceil(q * n)
        exact = -mean * math.log(1.0 - (k - 0.5) / n)  # p99: -0.02 ln(1 - 49499.5/50000) = 92.1 ms
        got = quantiles(counts, (q,))[0]
        assert abs(got - exact) / exact < QUANTILE_REL_ERROR, (q, got, exact)
    # the old estimate (bin midpoint) did not move inside a bin; this one does: two samples
    # in the same bin with different order statistics give different quantiles
    a = quantiles(sketch(np.array([0.0500, 0.05001, 0.05002])), (0.99,))[0]
    b = quantiles(sketch(np.array([0.0500, 0.05001, 0.05002, 0.05002])), (0.5,))[0]
    assert a != b


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(min_value=X_MIN * 1.01, max_value=X_MAX / 1.01), min_size=1, max_size=300),
       st.floats(min_value=0.0, max_value=1.0))
def test_bound_holds_for_any_values(xs, q):
    xs = np.array(xs)
    got = quantiles(sketch(xs), (q,))[0]
    exact = _nearest_rank(xs, q)
    assert abs(got - exact) / exact <= QUANTILE_REL_ERROR * (1 + 1e-9)


def _mm1(seed: int):
    # M/M/1 at rho 0.8: service 20 ms, 40 requests/s, 30,000 requests (750 s)
    cfg = SimConfig(duration_s=750.0, arrivals=ArrivalSpec("poisson", rate_per_s=40.0),
                    classes=[RequestClass(service=ServiceDist("exponential", mean_s=0.020))],
                    pools=[PoolConfig(replicas=1)])
    return simulate_config(cfg, seed=seed)


def test_different_seeds_give_different_p99_printed_to_their_precision():
    p99s = [_mm1(seed).latency_ms["p99"] for seed in (1, 2, 3, 4)]
    assert len(set(p99s)) == 4, p99s
    for p in p99s:
        assert p == round_to_error(p)  # printed to the bound's digit, e.g. 459.9 not 459.874
    # M/M/1 sojourn time is exponential with rate mu - lambda = 10 /s: p99 = ln(100) / 10 = 460.5 ms;
    # 30,000 requests give a few % of sampling error
    for p in p99s:
        assert 380.0 < p < 560.0, p


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(min_value=1e-5, max_value=1e3, allow_nan=False), min_size=1,
                max_size=50))
def test_printed_percentiles_never_exceed_the_exact_maximum(xs):
    # interpolating inside the top bin could place p99 above every recorded value (a single
    # value just above its bin's lower edge read 0.05% high); the true quantile is at most
    # the maximum, so the printed percentile is clamped there, and p50 <= p95 <= p99 <= max
    from infercost.sim.metrics import S_MAX, S_N, S_SUM, summary_ms

    arr = np.asarray(xs, dtype=np.float64)
    stats = np.array([len(arr), arr.sum(), arr.max()], dtype=np.float64)
    assert (S_N, S_SUM, S_MAX) == (0, 1, 2)
    s = summary_ms(sketch(arr), stats)
    assert s["p50"] <= s["p95"] <= s["p99"] <= s["max"]


def test_one_value_just_above_its_bin_edge_reports_itself_as_p99():
    from infercost.sim.metrics import _LOWER, summary_ms

    x = float(_LOWER[9000]) * (1 + 1e-9)  # the bin's lowest values: interpolation reads high
    stats = np.array([1.0, x, x])
    s = summary_ms(sketch(np.array([x])), stats)
    assert s["p99"] == s["max"] == round(x * 1e3, 3)
