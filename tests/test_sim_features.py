"""Simulator features: arrivals, batching, autoscaling, spot, tiers, tenants, cascade,
continuous batching; conservation and Little's law on every run; bad input."""

from __future__ import annotations

import numpy as np
import pytest

from infercost.errors import InputError
from infercost.sim.arrivals import arrival_times, mean_rate
from infercost.sim.entities import (
    ArrivalSpec,
    AutoscalerSpec,
    PerfTables,
    PoolConfig,
    RequestClass,
    ServiceDist,
    SimConfig,
    SizeSpec,
)
from infercost.sim.run import UnstableQueueError, simulate_config

EXP20 = ServiceDist("exponential", mean_s=0.020)


def _check_invariants(r):
    q = r.requests
    assert q["arrived"] == q["served"] + q["dropped"] + q["in_flight_end"]
    assert r.littles_law["relative_gap"] < 0.02
    rh = r.replica_hours
    assert abs(rh["busy"] + rh["idle"] + rh["warmup"] - rh["total"]) < 1e-5


def test_arrival_processes_rates():
    d = 7200.0
    for spec, want in [
        (ArrivalSpec("poisson", rate_per_s=50), 50),
        (ArrivalSpec("constant", rate_per_s=50), 50),
        (ArrivalSpec("spike", rate_per_s=50, multiplier=10, start_s=1800, end_s=3600), 50 * (1 + 9 * 0.25)),
    ]:
        n = len(arrival_times(spec, d, seed=1))
        assert abs(n / d - want) / want < 0.02, (spec.process, n / d, want)
        assert abs(mean_rate(spec, d) - want) / want < 0.01
    spike = arrival_times(ArrivalSpec("spike", rate_per_s=50, multiplier=10, start_s=1800, end_s=3600), d, 2)
    inside = np.count_nonzero((spike >= 1800) & (spike < 3600)) / 1800
    assert abs(inside - 500) / 500 < 0.03
    # diurnal: mean over a day is rate_per_s; the peak hour carries about peak_to_mean x the mean
    day = arrival_times(ArrivalSpec("diurnal", rate_per_s=20, peak_to_mean=3, peak_hour=14), 86400, 3)
    assert abs(len(day) / 86400 - 20) / 20 < 0.02
    peak = np.count_nonzero((day >= 13.75 * 3600) & (day < 14.25 * 3600)) / 1800
    assert abs(peak - 60) / 60 < 0.06
    const = arrival_times(ArrivalSpec("constant", rate_per_s=4), 10)
    assert np.allclose(np.diff(const), 0.25)


def test_same_seed_same_result_and_seed_matters():
    cfg = SimConfig(600, ArrivalSpec("poisson", rate_per_s=100), [RequestClass(service=EXP20)],
                    [PoolConfig(replicas=3)])
    a, b, c = (simulate_config(cfg, seed=s).to_dict() for s in (5, 5, 6))
    assert a == b
    assert a["latency_ms"] != c["latency_ms"]


def test_dynamic_batching_fills_batches_under_load():
    svc = ServiceDist("constant", mean_s=0.020, per_item_fraction=0.1)
    cfg = SimConfig(600, ArrivalSpec("poisson", rate_per_s=400), [RequestClass(service=svc)],
                    [PoolConfig(replicas=2, max_batch=16, max_wait_ms=5)])
    r = simulate_config(cfg, seed=1)
    _check_invariants(r)
    assert r.fleet["mean_batch"] > 2
    assert r.queue_wait_ms["max"] < 200
    # without batching the same load is unstable (400/s x 20 ms = 8 > 2 replicas)
    with pytest.raises(UnstableQueueError):
        simulate_config(SimConfig(600, ArrivalSpec("poisson", rate_per_s=400), [RequestClass(service=svc)],
                                  [PoolConfig(replicas=2, max_batch=1)]))


def test_autoscaling_warmup_is_paid_and_follows_a_spike():
    scaler = AutoscalerSpec(target=0.6, evaluation_interval_s=30, warmup_s=120, scale_down_delay_s=300)
    cfg = SimConfig(3600, ArrivalSpec("spike", rate_per_s=100, multiplier=5, start_s=1200, end_s=2400),
                    [RequestClass(service=EXP20, slo_ms=200)],
                    [PoolConfig(replicas=4, min_replicas=2, max_replicas=30, autoscaler=scaler)])
    r = simulate_config(cfg, seed=3)
    _check_invariants(r)
    assert r.fleet["scale_ups"] > 0 and r.fleet["scale_downs"] > 0
    assert r.replica_hours["warmup"] >= r.fleet["scale_ups"] * 120 / 3600 * 0.99
    s = r.series
    before = np.mean(s["replicas_ready"][10:19])
    during = np.mean(s["replicas_ready"][30:39])
    assert during > 3 * before
    # warm-up lag: the first minute of the spike is slower than a settled minute inside it
    assert s["latency_p99_ms"][20] > 2 * s["latency_p99_ms"][35]


def test_spot_preemptions_requeue_and_replace():
    cfg = SimConfig(7200, ArrivalSpec("poisson", rate_per_s=100),
                    [RequestClass(service=ServiceDist("constant", mean_s=0.05))],
                    [PoolConfig(replicas=10, spot_fraction=0.5, preemptions_per_hour=2.0,
                                replacement_warmup_s=60)])
    r = simulate_config(cfg, seed=4)
    _check_invariants(r)
    assert r.fleet["preemptions"] > 5
    assert r.requests["requeued_by_preemption"] > 0
    spot = r.replica_hours["by_plan"]["spot"]
    assert spot["warmup"] > 0
    assert abs(r.replica_hours["by_plan"]["on-demand"]["total"] - 10.0) < 1e-6  # 5 x 2 h
    assert r.replica_hours["by_plan"]["on-demand"]["warmup"] == 0


def test_priority_tiers_batch_fills_idle_capacity():
    rt = RequestClass(name="rt", weight=0.7, tier="realtime", service=EXP20, slo_ms=100)
    bt = RequestClass(name="batch", weight=0.3, tier="batch", service=EXP20, deadline_s=60)
    cfg = SimConfig(1800, ArrivalSpec("poisson", rate_per_s=130), [rt, bt], [PoolConfig(replicas=3)])
    r = simulate_config(cfg, seed=2)
    _check_invariants(r)
    tiers = r.latency_by_tier_ms
    assert tiers["realtime"]["mean"] < tiers["batch"]["mean"]
    assert r.slo["attainment"] > 0.9
    assert [c["served"] for c in r.classes][0] > 2 * [c["served"] for c in r.classes][1]


def test_tenants_share_replicas_busy_split():
    a = RequestClass(name="a", weight=1, service=ServiceDist("constant", mean_s=0.010))
    b = RequestClass(name="b", weight=1, service=ServiceDist("constant", mean_s=0.030))
    r = simulate_config(SimConfig(1800, ArrivalSpec("poisson", rate_per_s=60), [a, b], [PoolConfig(replicas=2)]),
                        seed=1)
    _check_invariants(r)
    shares = {c["name"]: c["busy_share"] for c in r.classes}
    assert abs(shares["b"] - 0.75) < 0.02


def test_cascade_escalates_a_fraction():
    small = RequestClass(name="small", service=ServiceDist("constant", mean_s=0.005), escalate_fraction=0.2,
                         escalate_to=1)
    large = RequestClass(name="large", weight=0.0, pool=1, service=ServiceDist("exponential", mean_s=0.100))
    cfg = SimConfig(1800, ArrivalSpec("poisson", rate_per_s=100), [small, large],
                    [PoolConfig(replicas=1, name="main"), PoolConfig(replicas=4, name="cascade")])
    r = simulate_config(cfg, seed=1)
    _check_invariants(r)
    frac = r.requests["escalated"] / r.requests["arrived"]
    assert abs(frac - 0.2) < 0.01
    assert r.offered_utilization["cascade"] == pytest.approx(0.5, rel=0.02)


def test_llm_continuous_batching_ttft_tpot_and_kv_cap():
    n_max = 64
    dec = np.array([0.0] + [0.010 + 0.0002 * n for n in range(1, n_max + 1)])
    perf = PerfTables(is_llm=True, decode_s=dec, prefill_fixed_s=0.005, prefill_per_token_s=0.00005,
                      kv_tokens=32 * 1000)
    cls = RequestClass(prompt_tokens=SizeSpec(500, "lognormal", 0.5), output_tokens=SizeSpec(200, "exponential"),
                       slo_ms=30_000)
    cfg = SimConfig(900, ArrivalSpec("poisson", rate_per_s=8), [cls],
                    [PoolConfig(replicas=2, max_batch=n_max, perf=perf)])
    r = simulate_config(cfg, seed=1)
    _check_invariants(r)
    assert r.ttft_ms is not None and r.tpot_ms is not None
    # a decode step at batch n costs 10 ms + 0.2 ms n, plus prefills mixed in: TPOT a bit above
    assert 10.0 < r.tpot_ms["p50"] < 40.0
    assert r.ttft_ms["p50"] < r.latency_ms["p50"]
    assert r.requests["dropped"] == r.requests["dropped_kv_cache"]


@pytest.mark.parametrize("mutate,where", [
    (lambda: SimConfig(100, ArrivalSpec("poisson", rate_per_s=0), [RequestClass(service=EXP20)], [PoolConfig()]),
     "rate_per_s"),
    (lambda: SimConfig(100, ArrivalSpec("poisson", rate_per_s=-1), [RequestClass(service=EXP20)], [PoolConfig()]),
     "rate_per_s"),
    (lambda: SimConfig(100, ArrivalSpec("spike", rate_per_s=1, multiplier=10, start_s=50, end_s=150),
                       [RequestClass(service=EXP20)], [PoolConfig()]), "start_s/end_s"),
    (lambda: SimConfig(100, ArrivalSpec("poisson", rate_per_s=1), [RequestClass(service=EXP20)],
                       [PoolConfig(max_batch=0)]), "max_batch"),
    (lambda: SimConfig(100, ArrivalSpec("poisson", rate_per_s=1), [RequestClass(service=EXP20)],
                       [PoolConfig(replicas=1, max_replicas=3, autoscaler=AutoscalerSpec(warmup_s=500))]),
     "warmup_s"),
])
def test_bad_input_names_the_key(mutate, where):
    with pytest.raises(InputError) as e:
        simulate_config(mutate())
    assert where in str(e.value)


def test_unstable_queue_reported_not_run():
    cfg = SimConfig(3600, ArrivalSpec("poisson", rate_per_s=150), [RequestClass(service=EXP20)],
                    [PoolConfig(replicas=3)])
    with pytest.raises(UnstableQueueError, match="unstable queue: offered utilisation 1.000"):
        simulate_config(cfg)


@pytest.mark.parametrize("seed", range(12))
def test_everything_at_once_keeps_its_books(seed):
    """Random mixes of spike, autoscaling, spot, tiers, batching, cascade and LLM pools:
    requests are conserved, replica-time adds up, nothing is lost or double-counted."""
    rng = np.random.default_rng(seed)
    llm = seed % 3 == 0
    perf = None
    if llm:
        dec = np.array([0.0] + [0.008 + 0.0003 * n for n in range(1, 33)])
        perf = PerfTables(is_llm=True, decode_s=dec, prefill_fixed_s=0.002, prefill_per_token_s=2e-5,
                          kv_tokens=float(rng.integers(2000, 20000)))
    svc = ServiceDist(str(rng.choice(["constant", "exponential", "lognormal"])), mean_s=float(rng.uniform(0.005, 0.05)),
                      per_item_fraction=float(rng.uniform(0.05, 1.0)))
    size = SizeSpec(float(rng.integers(50, 400)), "lognormal", 0.6)
    classes = [
        RequestClass(name="rt", weight=1.0, service=None if llm else svc, prompt_tokens=size,
                     output_tokens=SizeSpec(float(rng.integers(5, 60)), "exponential"), slo_ms=100,
                     escalate_fraction=0.15 if seed % 2 else 0.0, escalate_to=2 if seed % 2 else -1),
        RequestClass(name="bt", weight=0.5, tier="batch", service=None if llm else svc, prompt_tokens=size,
                     output_tokens=SizeSpec(20), deadline_s=5.0),
    ]
    pools = [PoolConfig(replicas=2, min_replicas=1, max_replicas=int(rng.integers(3, 12)),
                        autoscaler=AutoscalerSpec(metric=str(rng.choice(["utilization", "queue_length"])),
                                                  target=float(rng.uniform(0.5, 4.0)), evaluation_interval_s=5,
                                                  warmup_s=float(rng.uniform(0, 30)), scale_down_delay_s=20),
                        max_batch=32 if llm else int(rng.integers(1, 9)), max_wait_ms=float(rng.uniform(0, 20)),
                        spot_fraction=float(rng.uniform(0, 1)), preemptions_per_hour=60.0,
                        replacement_warmup_s=10, max_queue=int(rng.integers(50, 5000)), perf=perf)]
    if seed % 2:
        classes.append(RequestClass(name="big", weight=0.0, pool=1, service=ServiceDist("exponential", mean_s=0.05)))
        pools.append(PoolConfig(replicas=1, max_replicas=4, min_replicas=1, name="cascade",
                                autoscaler=AutoscalerSpec(warmup_s=5, evaluation_interval_s=7, scale_down_delay_s=10)))
    cfg = SimConfig(600, ArrivalSpec("spike", rate_per_s=float(rng.uniform(5, 40)), multiplier=8, start_s=200,
                                     end_s=320), classes, pools)
    r = simulate_config(cfg, seed=seed, check_stable=False)
    q = r.requests
    assert q["arrived"] == q["served"] + q["dropped"] + q["in_flight_end"]
    assert q["served"] > 0
    # Little's law holds up to the requests still in the system at the end
    L, lw = r.littles_law["L"], r.littles_law["lambda_W"]
    # (each request still in the system at the end adds at most max latency / T to the gap)
    slack = (q["in_flight_end"] + 1) * max(r.latency_ms["max"] / 1e3, 1.0) / cfg.duration_s
    assert abs(L - lw) <= 0.01 * L + slack
    s = r.series
    assert sum(s["arrivals"]) == q["arrived"] and sum(s["served"]) == q["served"]
    rh = r.replica_hours
    total_series = (sum(s["replica_seconds_base_plan"]) + sum(s["replica_seconds_spot"])) / 3600
    assert total_series == pytest.approx(rh["total"], rel=1e-6, abs=1e-6)
    assert r.utilization <= 1.0 + 1e-9
