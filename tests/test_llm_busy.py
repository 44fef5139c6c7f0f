"""An LLM replica's busy time follows the traffic it serves, not the fleet size.

Continuous batching keeps a replica running something nearly all the time at any load, so
"busy while one sequence runs" read ~100% busy whatever the traffic. Busy is the share of
the replica's full-batch capacity the load uses: offered requests/s / (B / S(B)), with B
the largest batch (KV-capped) and S(B) its batch time. The same figure in `estimate`,
`tco` and (measured) `simulate`.
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest

from infercost.capacity.estimate import estimate
from infercost.core.catalog import load_catalog
from infercost.core.scenario import load_scenario
from infercost.perf.service import service_time
from infercost.sim.entities import (
    ArrivalSpec,
    AutoscalerSpec,
    PerfTables,
    PoolConfig,
    RequestClass,
    SimConfig,
    SizeSpec,
)
from infercost.sim.run import simulate_config
from tests.conftest import EXAMPLES

CAT = load_catalog()
CHATBOT = EXAMPLES / "chatbot.yaml"
# The perf model's full batch for the chatbot (llama-3.1-8b bf16, one H100, 800 + 200 tokens):
# 32 sequences in S(32) = 2.149197 s -> 32 / 2.149197 = 14.889284 requests/s per replica.
S32 = 2.1491966441248698
CAP = 32 / S32


def _chatbot(*sets: str):
    return load_scenario(CHATBOT, sets)


def test_chatbot_capacity_is_the_pinned_full_batch():
    from infercost.capacity.model import utilization

    svc = service_time(_chatbot(), CAT)
    assert svc.is_llm and svc.max_batch == 32
    assert svc.batch_seconds(32) == pytest.approx(S32, rel=1e-12)
    # the one function: offered / (B / S(B)), whatever batch the caller passes for an LLM
    assert utilization(44.0, svc) == pytest.approx(44 / CAP, rel=1e-12)
    assert utilization(44.0 / 4, svc, batch=3.0) == pytest.approx(0.738786, abs=1e-6)


@pytest.mark.parametrize("replicas", [3, 4, 5, 8, 16])
def test_estimate_busy_is_set_by_traffic(replicas):
    # 40 req/s + 10% shadow = 44 req/s; busy replica-h a month = 44 / 14.889284 x 730
    # = 2.955145 x 730 = 2,157.2561 GPU-h (1 GPU a replica) whatever the replica count;
    # experiments = busy x 0.1 / 1.1 = 196.1142, user busy 1,961.1419; idle = N x 730 - busy
    e = estimate(_chatbot(f"deployment.replicas={replicas}"), CAT)
    q = {c.name: c.quantity for c in e.breakdown.components}
    busy = 44 * S32 / 32 * 730
    assert float(q["accelerator_busy"] + q["experiments"]) == pytest.approx(busy, rel=1e-9)
    assert float(q["experiments"]) == pytest.approx(busy * 0.1 / 1.1, rel=1e-9)
    assert float(q["accelerator_idle"]) == pytest.approx(replicas * 730 - busy, rel=1e-9)
    # the paid time is unchanged: busy + idle = replicas x 730 exactly
    assert q["accelerator_busy"] + q["experiments"] + q["accelerator_idle"] == Decimal(replicas * 730)
    # 4 replicas: 44 / (4 x 14.889284) = 0.738786, as compare and build-vs-buy report (0.73879)
    assert e.usage.utilization == pytest.approx(44 / (replicas * CAP), rel=1e-9)
    assert e.breakdown.facts["utilization"] == pytest.approx(44 / (replicas * CAP), abs=1e-6)


def test_estimate_idle_driver_text_follows():
    # 8 replicas: idle = 8 x 730 - 2,157.26 = 3,682.74 of 5,840 paid GPU-h = 63.1%
    d = estimate(_chatbot("deployment.replicas=8"), CAT).breakdown.main_driver()
    assert d.endswith("63% of paid accelerator time is idle or warming up")


def test_estimate_llm_autoscaling_sizes_by_traffic():
    # autoscaled 1-16 at the 0.7 target: fewest N with 44 / (N x 14.889284) <= 0.7 is
    # ceil(2.955145 / 0.7) = ceil(4.2216) = 5, so 5 x 730 = 3,650 replica-h are paid
    e = estimate(_chatbot("deployment.replicas={min: 1, max: 16}",
                          "deployment.autoscaling={target_utilization: 0.7}"), CAT)
    assert e.usage.provisioned_hours == pytest.approx(5 * 730, rel=1e-9)
    assert e.usage.utilization == pytest.approx(44 / (5 * CAP), rel=1e-9)


@pytest.mark.parametrize("replicas", [1, 4, 8])
def test_tco_owned_fleet_follows_the_load(replicas):
    from infercost.finance.decision import decide, to_dict
    from infercost.finance.tco import build_inputs

    # 10 req/s (onprem-vs-cloud has no shadow traffic) = 0.671624 of one replica (14.889284
    # req/s): the 0.8 rule needs ceil(0.671624 / 0.8) = 1 replica, so the owned fleet is the
    # replicas given
    sc = load_scenario(EXAMPLES / "onprem-vs-cloud.yaml",
                       ["workload.arrivals.rate_per_s=10", f"deployment.replicas={replicas}",
                        "finance.growth_per_month=0"])
    inp = build_inputs(sc, CAT, estimate(sc, CAT).usage)
    d = to_dict(decide(inp))
    assert d["fleet_gpus"][0] == replicas and set(d["fleet_gpus"]) == {replicas}
    # u0 = busy / (replicas x 730) = 10 / 14.889284 / replicas
    assert d["utilization_month0"] == pytest.approx(10 / CAP / replicas, abs=1e-6)


def test_tco_example_owns_and_commits_the_fleet_it_needs():
    from infercost.finance.decision import decide, to_dict
    from infercost.finance.tco import build_inputs

    # 40 req/s / 14.889284 = 2.686496 busy replicas; 2.686496 / 0.8 = 3.358 -> 4 = replicas
    sc = load_scenario(EXAMPLES / "onprem-vs-cloud.yaml")
    inp = build_inputs(sc, CAT, estimate(sc, CAT).usage)
    d = to_dict(decide(inp))
    assert d["fleet_gpus"][0] == 4
    assert d["utilization_month0"] == pytest.approx(40 / CAP / 4, abs=1e-6)


# -- simulate: the measured equivalent ----------------------------------------------------

# decode step at n running sequences: 4 + n ms (full batch of 4: 8 ms, 2 ms a sequence);
# prefill 1 ms fixed, nothing per token
DEC4 = np.array([0.0] + [0.004 + 0.001 * n for n in range(1, 5)])
PERF4 = PerfTables(is_llm=True, decode_s=DEC4, prefill_fixed_s=0.001, prefill_per_token_s=0.0)


def _llm_cfg(rate: float, duration: float = 100.0, pool: PoolConfig | None = None) -> SimConfig:
    cls = RequestClass(service=None, prompt_tokens=SizeSpec(10), output_tokens=SizeSpec(11))
    return SimConfig(duration, ArrivalSpec("constant", rate_per_s=rate), [cls],
                     [pool or PoolConfig(replicas=1, max_batch=4, perf=PERF4)])


def test_sim_llm_busy_is_the_work_at_full_batches():
    """10 /s constant, 10 prompt + 11 output tokens, max batch 4. Each request runs alone
    (0.1 s apart, 51 ms each): a prefill iteration of 1 ms (the first token), then 10 decode
    steps of decode_s[1] = 5 ms. At a full batch a decode step costs decode_s[4] / 4 = 2 ms a
    sequence, so the request's work is 1 + 10 x 2 = 21 ms: utilisation 10 x 0.021 = 0.21.
    (Busy whenever a sequence runs would say 10 x 0.051 = 0.51.)"""
    r = simulate_config(_llm_cfg(10.0))
    assert r.requests["served"] == 999  # arrivals at 0.1, 0.2, ..., 99.9
    assert r.utilization == pytest.approx(0.20979, abs=1e-6)  # 999 x 21 ms / 100 s
    assert r.replica_hours["busy"] == pytest.approx(999 * 0.021 / 3600, abs=1e-6)
    assert r.replica_hours["busy"] + r.replica_hours["idle"] == pytest.approx(100 / 3600, abs=1e-6)
    assert r.series["utilization"][0] == pytest.approx(0.21, abs=2e-3)


def test_sim_llm_autoscaler_reads_the_same_busy_fraction():
    """Target 0.15, every 10 s: one replica is 0.21 busy, so HPA wants ceil(1 x 0.21 / 0.15) = 2;
    with two each is ~0.105 busy -> ceil(2 x 0.105 / 0.15) = 2, no change. (The slot occupancy,
    51 ms x 10 /s / 4 slots = 0.1275, is under the target and would keep one replica.)"""
    sc = AutoscalerSpec(metric="utilization", target=0.15, evaluation_interval_s=10, warmup_s=1,
                        scale_down_delay_s=1000)
    pool = PoolConfig(replicas=1, min_replicas=1, max_replicas=3, autoscaler=sc, max_batch=4, perf=PERF4)
    r = simulate_config(_llm_cfg(10.0, 60.0, pool))
    assert (r.fleet["scale_ups"], r.fleet["scale_downs"]) == (1, 0)


def test_sim_matches_estimate_on_the_chatbot():
    # 8 replicas at 44 req/s: the estimate's 44 / (8 x 14.889284) = 0.369393; the simulator
    # measures the same load's work at full batches (its own decode / prefill tables)
    from infercost.sim.run import simulate

    sc = _chatbot("deployment.replicas=8", "workload.duration_s=300")
    est = estimate(sc, CAT).usage.utilization
    sim = simulate(sc, CAT, seed=0).usage.utilization
    assert est == pytest.approx(44 / (8 * CAP), rel=1e-9)
    assert sim == pytest.approx(est, rel=0.06)
