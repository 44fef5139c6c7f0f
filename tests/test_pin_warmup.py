"""Warm-up replica-hours and their cost in `estimate`, by hand.

Set-up (every figure below follows from it): service 100 ms alone, no batching, so a
replica serving x requests/s is x x 0.1 busy. Autoscaling on utilisation with target
0.6: n replicas serve lambda at utilisation lambda x 0.1 / n <= 0.6, so
  lambda = 5/s  -> n = 1 (0.5 <= 0.6)
  lambda = 50/s -> n = 9 (5 / 9 = 0.556; 8 would give 0.625).
A spike multiplies 5/s by 10 from 600 s to 1200 s of a one-hour span (60 slices of
60 s, none straddling the window), so the fleet goes 1 -> 9 -> 1 once: 8 replicas
started, each paying warmup_s = 120 s.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from infercost.capacity.estimate import estimate
from infercost.core.catalog import load_catalog
from infercost.core.scenario import validate

CAT = load_catalog()
PRICE = 5  # USD per GPU-hour (scenario override)
MONTH = 730  # the one-hour span scaled to a 730-hour month


def scenario(gpus: int = 1, sharing: dict | None = None, initial: int | None = None):
    replicas = {"min": 1, "max": 20}
    if initial is not None:
        replicas["initial"] = initial
    dep = {"hardware": "h100-sxm", "gpus_per_replica": gpus, "replicas": replicas,
           "autoscaling": {"target_utilization": 0.6, "warmup_s": 120, "scale_down_delay_s": 0},
           "pricing": {"price_per_gpu_hour": PRICE}, "batching": {"max_batch": 1}}
    if sharing:
        dep["sharing"] = sharing
    return validate({
        "name": "warm", "currency": "USD",
        "workload": {"arrivals": {"process": "spike", "rate_per_s": 5, "multiplier": 10,
                                  "start_s": 600, "end_s": 1200}, "duration_s": 3600},
        "service": {"distribution": "constant", "mean_ms": 100},
        "deployment": dep}, "test")


def warm(result) -> tuple[float, Decimal]:
    b = result.breakdown
    cost = next((c.cost.amount for c in b.components if c.name == "accelerator_warmup"), Decimal(0))
    return b.facts["warmup_replica_hours"], cost


def test_warmup_is_paid_once_per_replica_started():
    # 8 replicas started x 120 s = 960 s = 0.2667 replica-h in the hour; x 730 = 194.667
    hours, cost = warm(estimate(scenario(), CAT))
    assert hours == pytest.approx(8 * 120 / 3600 * MONTH, abs=1e-6)  # facts: 6 decimals  # not 1 x 120 s per scale-up
    # 194.667 replica-h x 1 GPU x 5 USD = 973.33 USD
    assert cost == pytest.approx(Decimal(8 * 120 * MONTH * PRICE) / 3600, rel=Decimal("1e-9"))


def test_warmup_is_priced_per_gpu():
    # the same replica-hours, 2 GPUs per replica: 194.667 x 2 x 5 = 1,946.67 USD
    hours, cost = warm(estimate(scenario(gpus=2), CAT))
    assert hours == pytest.approx(8 * 120 / 3600 * MONTH, abs=1e-6)  # facts: 6 decimals
    assert cost == pytest.approx(Decimal(8 * 120 * MONTH * 2 * PRICE) / 3600, rel=Decimal("1e-9"))


def test_warmup_of_shared_replicas_is_split_like_idle():
    # others use 10% of each replica: available 0.9, so n replicas keep
    # lambda x 0.1 / n <= 0.6 x 0.9 = 0.54: 5/s -> 1 (0.5), 50/s -> 10 (0.5; 9 gives 0.556).
    # 9 replicas started x 120 s = 0.3 replica-h in the hour, x 730 = 219 replica-h;
    # the even idle rule over 2 tenants gives us half: 219 / 2 x 5 USD = 547.5 USD
    hours, cost = warm(estimate(scenario(sharing={"others_utilization": 0.1, "idle_rule": "even",
                                                   "tenants": 2}), CAT))
    assert hours == pytest.approx(9 * 120 / 3600 * MONTH, abs=1e-6)  # facts: 6 decimals
    assert cost == pytest.approx(Decimal(9 * 120 * MONTH * PRICE) / 3600 / 2, rel=Decimal("1e-9"))
    # the owner rule keeps all of it: 219 x 5 = 1,095 USD
    _, owner = warm(estimate(scenario(sharing={"others_utilization": 0.1, "idle_rule": "owner"}),
                             CAT))
    assert owner == pytest.approx(Decimal(9 * 120 * MONTH * PRICE) / 3600, rel=Decimal("1e-9"))


def test_replicas_started_at_t0_pay_warmup_too():
    # initial 0: the first slice starts 1 replica (and the spike 8 more): 9 x 120 s
    hours, _ = warm(estimate(scenario(initial=0), CAT))
    assert hours == pytest.approx(9 * 120 / 3600 * MONTH, abs=1e-6)  # facts: 6 decimals


def test_fixed_replicas_pay_no_warmup():
    sc = scenario().model_copy(deep=True)
    sc.deployment.replicas = 3
    hours, cost = warm(estimate(sc, CAT))
    assert hours == 0 and cost == 0
