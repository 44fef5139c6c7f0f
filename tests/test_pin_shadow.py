"""Shadow / experiment traffic end to end: replica time and cost, never inferences.

`costs.experiments.shadow_fraction: 0.25` sends a copy of 25% of the traffic to the
replicas. The copies take replica time (utilisation up by the fraction) and cost (an
`experiments` component), but the denominator stays the user requests served.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from infercost.capacity.estimate import estimate
from infercost.core.catalog import load_catalog
from infercost.core.scenario import validate

CAT = load_catalog()


def scenario(shadow: float, process: str = "constant", duration_s: float = 3600):
    return validate({
        "name": "shadow", "currency": "USD",
        "workload": {"arrivals": {"process": process, "rate_per_s": 4}, "duration_s": duration_s},
        "service": {"distribution": "constant", "mean_ms": 100},
        "deployment": {"hardware": "h100-sxm", "replicas": 2, "batching": {"max_batch": 1},
                       "pricing": {"price_per_gpu_hour": 5}},
        "costs": {"experiments": {"shadow_fraction": shadow}}}, "test")


def comp(b, name):
    return next(c for c in b.components if c.name == name).cost.amount


def test_estimate_shadow_takes_replica_time_and_cost_not_inferences():
    b = estimate(scenario(0.25), CAT).breakdown
    # offered 4 x 1.25 = 5 requests/s on 2 replicas: 2.5/s x 0.1 s = 0.25 busy each
    assert b.facts["utilization"] == pytest.approx(0.25, abs=1e-6)
    # busy 2 x 0.25 x 730 h = 365 replica-h; paid 2 x 730 = 1,460 replica-h
    assert b.facts["busy_replica_hours"] == pytest.approx(365, abs=1e-6)
    # inferences = user requests only: 4/s x 3,600 s x 730 = 10,512,000 (not 13,140,000)
    assert b.inferences == Decimal(10_512_000)
    assert b.facts["shadow_requests"] == pytest.approx(2_628_000, abs=1e-3)  # 25% of them
    # busy cost 365 x 5 = 1,825 USD: experiments 1,825 x 0.25/1.25 = 365, serving 1,460
    assert comp(b, "experiments") == pytest.approx(Decimal(365), rel=Decimal("1e-12"))
    assert comp(b, "accelerator_busy") == pytest.approx(Decimal(1460), rel=Decimal("1e-12"))
    # idle (1,460 - 365) x 5 = 5,475; the total is the paid fleet, 1,460 x 5 = 7,300 USD
    assert comp(b, "accelerator_idle") == pytest.approx(Decimal(5475), rel=Decimal("1e-12"))
    assert b.total.amount == pytest.approx(Decimal(7300), rel=Decimal("1e-12"))
    # per inference: 7,300 / 10,512,000
    assert b.cost_per_inference.amount == pytest.approx(Decimal(7300) / Decimal(10_512_000),
                                                        rel=Decimal("1e-9"))


def test_estimate_without_shadow_for_contrast():
    b = estimate(scenario(0.0), CAT).breakdown
    # 4/s on 2 replicas: 0.2 busy each; 292 busy replica-h; same 7,300 USD fleet
    assert b.facts["utilization"] == pytest.approx(0.2, abs=1e-6)
    assert b.facts["busy_replica_hours"] == pytest.approx(292, abs=1e-6)
    assert b.inferences == Decimal(10_512_000)
    assert all(c.name != "experiments" for c in b.components)


def test_simulate_does_not_count_shadow_copies_as_inferences():
    from infercost.sim.run import simulate

    # constant arrivals of 4 x 1.25 = 5/s for 600 s: 3,000 requests served (100 ms each,
    # 2 replicas never full), of which 1 in 1.25 is a user request: 2,400 inferences
    res = simulate(scenario(0.25, duration_s=600), CAT, seed=1)
    served = res.requests["served"]
    assert served == pytest.approx(3000, abs=2)
    b = res.cost
    assert float(b.inferences) == pytest.approx(served / 1.25, abs=1e-6)
    assert float(b.inferences) == pytest.approx(2400, abs=2)
    assert b.facts["shadow_requests"] == pytest.approx(served * 0.25 / 1.25, abs=1e-3)
    # the copies' replica time is priced: experiments = busy cost x 0.25 / 1.25 (its GPU-h
    # quantity is stated to 1e-9 h, so the share holds to that rounding: ~1e-9 / 0.0167 h)
    busy_total = comp(b, "accelerator_busy") + comp(b, "experiments")
    assert comp(b, "experiments") == pytest.approx(busy_total * Decimal("0.2"), rel=Decimal("1e-6"))
    # and they make the replicas busy: 3,000 x 0.1 s = 300 replica-s = 1/12 replica-h
    assert b.facts["busy_replica_hours"] == pytest.approx(served * 0.1 / 3600, rel=1e-3)
