"""optimize's engine, MIG and autoscaling axes: prices, capacities and costs by hand."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from infercost.core.catalog import load_catalog
from infercost.core.mig import load_mig, slice_hardware, slice_price
from infercost.core.scenario import validate
from infercost.decide.autoscale import bounds, mean_replicas
from infercost.decide.grid import build_grid
from infercost.decide.optimize import optimize
from infercost.decide.screen import screen
from infercost.decide.sizing import rate_profile

BERT = {
    "name": "bert", "currency": "USD",
    "model": {"id": "bert-base", "precision": "fp16"},
    "workload": {"arrivals": {"process": "constant", "rate_per_s": 50}, "duration_s": 3600, "request": {}},
    "deployment": {"hardware": "a100-80gb-sxm", "pricing": {"provider": "aws", "plan": "on-demand",
                                                            "price_per_gpu_hour": 7},
                   "batching": {"max_batch": 8}},
    "slo": {"p99_latency_ms": 500},
}

# 100 ms per request, no batching gain: one replica serves mu = 10 req/s
SPIKE = {
    "name": "spike", "currency": "USD",
    "workload": {"arrivals": {"process": "spike", "rate_per_s": 10, "multiplier": 4,
                              "start_s": 0, "end_s": 900}, "duration_s": 3600, "request": {}},
    "service": {"distribution": "constant", "mean_ms": 100, "per_item_ms": 100},
    "deployment": {"hardware": "h100-sxm", "replicas": 1,
                   "pricing": {"provider": "aws", "plan": "on-demand", "price_per_gpu_hour": 2},
                   "batching": {"max_batch": 1}, "autoscaling": {"target_utilization": 0.5}},
    "slo": {"p99_latency_ms": 1000},
}


def _profile(hw: str, name: str):
    return next(p for p in load_mig()[hw] if p.name == name)


def test_mig_slice_capacity_and_price_by_hand():
    cat = load_catalog()
    gpu = cat.get_hardware("a100-80gb-sxm")
    p = _profile("a100-80gb-sxm", "1g.10gb")
    # the MIG user guide's A100 table: 1g has 1/7 of the SMs and 1/8 of the memory
    assert (p.sm_fraction, p.memory_fraction, p.price_fraction) == (Fraction(1, 7), Fraction(1, 8), Fraction(1, 7))
    s = slice_hardware(gpu, p)
    assert s.id == "a100-80gb-sxm:1g.10gb"
    assert s.peak_tflops["bf16"] == pytest.approx(312 / 7)  # 44.571 TFLOP/s
    assert s.memory_gb == pytest.approx(10.0)  # 80 GB / 8
    assert s.memory_bw_gbps == pytest.approx(254.875)  # 2,039 GB/s / 8
    assert s.interconnect is None and s.source and s.as_of
    # price: the larger share. 1g.10gb: max(1/7, 1/8) = 1/7 of 7 USD = 1 USD an hour;
    # 3g.40gb: max(3/7, 4/8) = 1/2 -> 3.50; 1g.20gb: max(1/7, 2/8) = 1/4 -> 1.75
    assert slice_price(Decimal(7), p) == Decimal(1)
    assert slice_price(Decimal(7), _profile("a100-80gb-sxm", "3g.40gb")) == Decimal("3.5")
    assert slice_price(Decimal(7), _profile("a100-80gb-sxm", "1g.20gb")) == Decimal("1.75")


def test_mig_slices_in_the_grid_are_priced_by_their_share():
    sc = validate(BERT, "bert")
    grid = build_grid(sc, load_catalog(), hardware=["a100-80gb-sxm"], engines=["tensorrt"])
    slices = {c.hardware for c in grid.configs if c.mig}
    # the 7g profile is the whole GPU (price share 1): not searched as a slice
    assert slices == {f"a100-80gb-sxm:{n}" for n in ("1g.10gb", "1g.20gb", "2g.20gb", "3g.40gb", "4g.40gb")}
    assert grid.plans["a100-80gb-sxm:1g.10gb"][0].per_gpu_hour == Decimal(1)  # 7 / 7
    assert grid.plans["a100-80gb-sxm:4g.40gb"][0].per_gpu_hour == Decimal(4)  # 7 x 4/7
    assert all(c.gpus == 1 for c in grid.configs if c.mig)  # one slice per replica
    # a slice has a fraction of the compute: its batch of 8 is slower than the whole GPU's
    whole = next(c for c in grid.configs if c.hardware == "a100-80gb-sxm" and c.gpus == 1
                 and c.precision == "bf16")
    one = next(c for c in grid.configs if c.mig == "1g.10gb" and c.precision == "bf16")
    assert one.seconds[3] > whole.seconds[3]
    # a 1 USD slice-hour fleet of 3 fixed replicas: 3 x 1 x 730 h = 2,190 USD a month
    s = screen(grid, 50.0, 0.0, 1.0)
    ci = [i for i, c in enumerate(grid.configs) if c is one][0]
    row = np.flatnonzero((s.config == ci) & (s.replicas == 3) & (s.max_batch == 8))[0]
    assert s.monthly_accelerator[row] == pytest.approx(2190.0)


def test_mig_only_where_the_model_fits():
    cat = load_catalog()
    sc = validate({**BERT, "model": {"id": "llama-3.1-8b", "precision": "bf16"},
                   "workload": {"arrivals": {"process": "constant", "rate_per_s": 1}, "duration_s": 3600,
                                "request": {"prompt_tokens": {"mean": 500}, "output_tokens": {"mean": 100}}}},
                  "llm")
    grid = build_grid(sc, cat, hardware=["a100-80gb-sxm"], engines=["vllm"])
    fits = {(c.mig, c.precision) for c in grid.configs if c.mig}
    # bf16 weights of an 8B model are ~16 GB: not in a 10 GB slice; int4 (~4 GB) is
    assert ("1g.10gb", "bf16") not in fits and ("1g.10gb", "int4") in fits
    assert any("cannot run this model" in n for n in grid.notes)


def test_engines_valid_for_family_and_vendor():
    cat = load_catalog()
    llm = validate({**BERT, "model": {"id": "llama-3.1-8b", "precision": "bf16"},
                    "workload": {"arrivals": {"process": "constant", "rate_per_s": 1}, "duration_s": 3600,
                                 "request": {"prompt_tokens": {"mean": 500}, "output_tokens": {"mean": 100}}}},
                   "llm")
    g = build_grid(llm, cat, hardware=["h100-sxm", "mi300x", "tpu-v6e"], mig=[])
    by_hw = {h: {c.engine for c in g.configs if c.hardware == h} for h in ("h100-sxm", "mi300x", "tpu-v6e")}
    assert by_hw["h100-sxm"] == {"tensorrt@1.0", "vllm@0.10", "sglang@0.4", "hf-eager@5.17"}
    assert by_hw["mi300x"] == {"vllm@0.10", "sglang@0.4", "hf-eager@5.17"}  # no TensorRT on AMD
    assert by_hw["tpu-v6e"] == {"optimized"}  # the vendor's own stack
    enc = build_grid(validate(BERT, "bert"), cat, hardware=["h100-sxm"], mig=[])
    assert {c.engine for c in enc.configs} == {"tensorrt@1.0", "hf-eager@5.17"}  # no LLM servers
    only = build_grid(llm, cat, hardware=["h100-sxm"], engines=["vllm@0.6"], mig=[])
    assert {c.engine for c in only.configs} == {"vllm@0.6"}


def test_time_weighted_replicas_by_hand():
    # mu 10 req/s, target 0.5: want = ceil(rate / 5) = 2, 4, 8, 16; clamped to [3, 10]:
    # 3, 4, 8, 10 -> mean 25 / 4 = 6.25 replicas
    got = mean_replicas(np.array([10.0, 20.0, 40.0, 80.0]), np.array([10.0]), 0.5,
                        np.array([3.0]), np.array([10.0]))
    assert got[0] == 6.25
    # mins 1, ceil(max/4), ceil(max/2), each below max, no repeats: max 5 -> 1, 2, 3; max 2 -> 1
    rows, lows = bounds(np.array([5, 2, 1]))
    assert rows.tolist() == [0, 0, 0, 1] and lows.tolist() == [1, 2, 3, 1]


def test_autoscaled_candidate_cost_by_hand():
    sc = validate(SPIKE, "spike")
    rates = np.array(rate_profile(sc))
    # 60 one-minute slices: 15 in the spike at 4 x 10 = 40 req/s, 45 at 10 req/s
    assert (rates == 40).sum() == 15 and (rates == 10).sum() == 45
    res = optimize(sc, load_catalog(), simulate=False)
    w = res.winner
    # peak 40 req/s, mu 10: 4 replicas are saturated; 5 give p99 = Erlang C wait
    # ln(C / 0.01) / (50 - 40) + 0.1 s = 0.50 s <= 1 s. The autoscaler (target 0.5) wants
    # ceil(40 / 5) = 8 >= 5 at the peak (so it runs max = 5) and ceil(10 / 5) = 2 off it.
    # min 1 and min 2 both run 2 off the peak: mean (15 x 5 + 45 x 2) / 60 = 2.75 replicas;
    # the higher min wins the tie. Cost 2.75 x 1 GPU x 2 USD x 730 h = 4,015 USD a month
    # (a fixed fleet of 5: 5 x 2 x 730 = 7,300).
    assert (w.min_replicas, w.replicas) == (2, 5)
    assert w.mean_replicas == 2.75
    assert w.monthly_accelerator == pytest.approx(4015.0)
    d = w.to_dict()
    assert d["autoscaling"] == {"min": 2, "max": 5, "mean_replicas": 2.75}
    fixed = optimize(sc, load_catalog(), autoscale=False, simulate=False).winner
    assert (fixed.replicas, fixed.min_replicas) == (5, None)
    assert fixed.monthly_accelerator == pytest.approx(7300.0)


def test_simulation_rejects_bounds_that_cannot_warm_up_in_time():
    # the spike quadruples traffic at once; 2 replicas take 120 s to warm up to 5, so the
    # queue explodes: the simulated finalists catch it and the fixed fleet of 5 wins
    res = optimize(validate(SPIKE, "spike"), load_catalog(), finalists=14, sim_requests=2000)
    first = res.finalists[0]
    assert first.autoscaled and first.sim["p99_ms"] > 1000
    w = res.winner
    assert (w.replicas, w.min_replicas) == (5, None) and w.sim["p99_ms"] <= 1000
    assert any("misses the p99 SLO (1000 ms) in simulation" in n for n in res.notes)


@settings(max_examples=60, deadline=None)
@given(rates=st.lists(st.floats(0.0, 500.0, allow_nan=False), min_size=1, max_size=50),
       mus=st.lists(st.floats(0.5, 50.0, allow_nan=False), min_size=1, max_size=6),
       lo=st.integers(0, 20), span=st.integers(0, 40), target=st.floats(0.2, 1.0))
def test_mean_replicas_is_the_clamped_mean(rates, mus, lo, span, target):
    r = np.array(rates)
    mu = np.array(mus)
    lows = np.full(mu.shape, float(lo))
    highs = lows + span
    got = mean_replicas(r, mu, target, lows, highs)
    for k in range(mu.shape[0]):  # brute force, slice by slice
        want = np.ceil(r / (target * mu[k]) - 1e-9)
        ref = np.minimum(highs[k], np.maximum(lows[k], want)).mean()
        assert got[k] == pytest.approx(ref, rel=1e-12, abs=1e-12)
        assert lows[k] <= got[k] <= highs[k]


def test_screen_in_chunks_equals_one_pass():
    from infercost.decide.grid import Grid
    from infercost.decide.screen import concat

    sc = validate({**BERT, "workload": {"arrivals": {"process": "diurnal", "rate_per_s": 200, "peak_to_mean": 3},
                                        "duration_s": 86400, "request": {}}}, "bert")
    grid = build_grid(sc, load_catalog(), hardware=["t4", "a100-80gb-sxm"])
    rates = np.array(rate_profile(sc))
    one = screen(grid, float(rates.max()), 0.0, 1.0, 1.0, rates, 0.7)
    parts = [(k, screen(Grid(grid.configs[k:k + 7], grid.plans), float(rates.max()), 0.0, 1.0, 1.0, rates, 0.7))
             for k in range(0, len(grid.configs), 7)]
    many = concat(parts)
    assert (one.min_replicas < one.replicas).any()  # autoscaled candidates are in it
    # the same candidates (chunks put the autoscaled rows after each chunk's fixed ones)
    key = lambda s: np.lexsort((s.plan, s.min_replicas, s.replicas, s.max_batch, s.config))  # noqa: E731
    a, b = key(one), key(many)
    for f in ("config", "plan", "replicas", "min_replicas", "mean_replicas", "p99_s", "monthly_accelerator"):
        assert np.array_equal(getattr(one, f)[a], getattr(many, f)[b]), f


def test_a_mig_slice_by_id_searches_only_that_slice():
    grid = build_grid(validate(BERT, "bert"), load_catalog(), hardware=["h100-sxm:2g.20gb"])
    assert {c.hardware for c in grid.configs} == {"h100-sxm:2g.20gb"}
    # 2g.20gb: max(2/7, 2/8) = 2/7 of the 7 USD override = 2 USD a slice-hour
    assert grid.plans["h100-sxm:2g.20gb"][0].per_gpu_hour == Decimal(2)


def test_the_scenarios_own_older_engine_version_is_searched_too():
    sc = validate({**BERT, "model": {"id": "llama-3.1-8b", "precision": "bf16"},
                   "workload": {"arrivals": {"process": "constant", "rate_per_s": 1}, "duration_s": 3600,
                                "request": {"prompt_tokens": {"mean": 500}, "output_tokens": {"mean": 100}}},
                   "deployment": {**BERT["deployment"], "engine": "vllm@0.6"}}, "llm")
    g = build_grid(sc, load_catalog(), hardware=["h100-sxm"], mig=[])
    assert {"vllm@0.6", "vllm@0.10", "tensorrt@1.0"} <= {c.engine for c in g.configs}
    assert any("vllm@0.6 is searched beside vllm@0.10" in n for n in g.notes)
