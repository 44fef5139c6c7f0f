"""`estimate` models a traffic mix's service times and a cascade's pool, by hand.

Service blocks with no batching (max_batch 1) and constant arrivals, so a replica serving
x requests/s is x x S busy; prices are a scenario override of 4 USD per GPU-hour.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from infercost.capacity.estimate import estimate
from infercost.core.catalog import load_catalog
from infercost.core.scenario import validate

CAT = load_catalog()


def scenario(**extra):
    d = {"name": "pin", "currency": "USD",
         "workload": {"arrivals": {"process": "constant", "rate_per_s": 20}, "duration_s": 3600},
         "service": {"distribution": "constant", "mean_ms": 50},
         "deployment": {"hardware": "h100-sxm", "replicas": 2, "batching": {"max_batch": 1},
                        "pricing": {"price_per_gpu_hour": 4}}}
    for path, v in extra.items():
        cur = d
        keys = path.split("__")
        for k in keys[:-1]:
            cur = cur.setdefault(k, {})
        cur[keys[-1]] = v
    return validate(d, "test")


def test_mix_service_times_are_weighted_by_share():
    # classes a (share 3, the scenario's 50 ms) and b (share 1, 250 ms): mean service
    # 0.75 x 50 + 0.25 x 250 = 100 ms; 20/s x 0.1 s = 2 busy replicas of 4 -> 50%
    sc = scenario(workload__mix=[{"name": "a", "share": 3},
                                 {"name": "b", "share": 1, "service": {"mean_ms": 250}}],
                  deployment__replicas=4)
    b = estimate(sc, CAT).breakdown
    assert b.facts["utilization"] == pytest.approx(0.5, abs=1e-6)
    assert b.facts["busy_replica_hours"] == pytest.approx(2 * 730, abs=1e-6)
    # 4 replicas x 730 h x 4 USD = 11,680 USD for 20 x 3,600 x 730 = 52,560,000 inferences
    assert b.total.amount == pytest.approx(Decimal(11680), rel=Decimal("1e-12"))
    assert b.inferences == Decimal(52_560_000)


def test_mix_tokens_are_weighted_by_share():
    # a: 100 prompt tokens (the scenario's), b (share 1 of 4): 500 -> mean 0.75 x 100 +
    # 0.25 x 500 = 200 prompt tokens per request; x 52,560,000 requests
    sc = scenario(workload__request={"prompt_tokens": 100},
                  workload__mix=[{"name": "a", "share": 3},
                                 {"name": "b", "share": 1, "request": {"prompt_tokens": 500}}])
    e = estimate(sc, CAT)
    assert e.usage.input_tokens == pytest.approx(200 * 52_560_000, rel=1e-12)


def test_cascade_pool_is_priced_per_gpu():
    # main: 20/s x 50 ms = 1 busy replica of 2 (1 GPU each).
    # cascade: half escalated, 10/s x 100 ms = 1 busy replica of 2, each of 2 GPUs:
    # in main-replica (1-GPU) equivalents busy 1 x 2 = 2, paid 2 x 2 = 4.
    # busy 1 + 2 = 3 of 2 + 4 = 6 paid -> utilisation 50%
    sc = scenario(deployment__cascade={"escalate_fraction": 0.5, "replicas": 2,
                                       "gpus_per_replica": 2,
                                       "service": {"distribution": "constant", "mean_ms": 100}})
    b = estimate(sc, CAT).breakdown
    assert b.facts["busy_replica_hours"] == pytest.approx(3 * 730, abs=1e-6)
    assert b.facts["provisioned_replica_hours"] == pytest.approx(6 * 730, abs=1e-6)
    assert b.facts["utilization"] == pytest.approx(0.5, abs=1e-6)
    # 6 GPU x 730 h x 4 USD = 17,520 USD; an escalated request is still one inference
    assert b.total.amount == pytest.approx(Decimal(17520), rel=Decimal("1e-12"))
    assert b.inferences == Decimal(52_560_000)


def test_autoscaled_cascade_pool_follows_the_escalated_load():
    # escalated 10/s x 100 ms = 1 busy; target 0.6 -> 2 replicas (0.5), 1 GPU each:
    # paid 2 + 2 = 4 replica-h per hour, busy 1 + 1 = 2 -> 50%
    sc = scenario(deployment__cascade={"escalate_fraction": 0.5, "replicas": {"min": 1, "max": 8},
                                       "autoscaling": {"target_utilization": 0.6},
                                       "service": {"distribution": "constant", "mean_ms": 100}})
    b = estimate(sc, CAT).breakdown
    assert b.facts["provisioned_replica_hours"] == pytest.approx(4 * 730, abs=1e-6)
    assert b.facts["utilization"] == pytest.approx(0.5, abs=1e-6)
