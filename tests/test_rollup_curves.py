"""allocation.rollup (the allocation table by model, tenant, day) and decide.curves."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import pytest

from infercost.allocation.rollup import rollup

D = Decimal


def _frame() -> pd.DataFrame:
    rows = [  # period, model, tenant, requests, cost, kind
        ("2026-10-01", "m1", "a", 100, D("1.50"), "allocated"),
        ("2026-10-01", "m1", "b", 300, D("4.50"), "allocated"),
        ("2026-10-02", "m1", "a", 200, D("3.00"), "allocated"),
        ("2026-10-02", "m2", "a", 50, D("10.00"), "allocated"),
        ("2026-10-01", "__idle__", "", 0, D("7.25"), "idle"),
        ("2026-10-01/2026-11-01", "__shared__", "", 0, D("2.75"), "shared"),
    ]
    return pd.DataFrame(rows, columns=["period", "model", "tenant", "requests", "cost", "kind"]).assign(
        model_version="", endpoint="")


def test_rollup_by_model_and_tenant_sums_to_the_bill():
    rows = rollup(_frame(), ("model", "tenant"))
    got = {tuple(r.key.values()): (r.requests, r.allocated, r.idle + r.shared) for r in rows}
    # m1/a: 100 + 200 requests, 1.50 + 3.00 = 4.50; idle and shared carry no model: one row
    assert got == {("m1", "a"): (300, D("4.50"), 0), ("m1", "b"): (300, D("4.50"), 0),
                   ("m2", "a"): (50, D("10.00"), 0), ("", ""): (0, D(0), D("10.00"))}
    assert rows[-1].is_unattributed  # listed last
    # bill: 1.50 + 4.50 + 3.00 + 10.00 + 7.25 + 2.75 = 29.00, exactly
    assert sum(r.total for r in rows) == D("29.00")
    # m1/a per 1k requests: 4.50 x 1000 / 300 = 15
    assert rows[0].cost_per_1k_requests == D(15)


def test_rollup_by_day_keeps_idle_on_its_day_and_the_month_span_last():
    rows = rollup(_frame(), ("period",))
    assert [r.key["period"] for r in rows] == ["2026-10-01", "2026-10-02", "2026-10-01/2026-11-01"]
    # day 1: allocated 1.50 + 4.50 = 6.00, idle 7.25: total 13.25; the month's shared 2.75 apart
    assert (rows[0].allocated, rows[0].idle, rows[0].total) == (D("6.00"), D("7.25"), D("13.25"))
    assert rows[2].shared == D("2.75") and rows[2].requests == 0


def test_rollup_refuses_an_unknown_key():
    with pytest.raises(ValueError, match="roll-up keys"):
        rollup(_frame(), ("customer",))


SCENARIO = {
    "name": "flat", "currency": "USD",
    "workload": {"arrivals": {"process": "constant", "rate_per_s": 10}, "duration_s": 3600},
    "service": {"distribution": "constant", "mean_ms": 100},
    "deployment": {"hardware": "h100-sxm", "replicas": 1, "pricing": {"price_per_gpu_hour": 2}},
    "slo": {"p99_latency_ms": 1000},
    "costs": {"engineering": {"fte": 1, "annual_cost_per_fte": 120000}},
}


def test_cost_curve_spreads_fixed_cost_and_steps_with_replicas():
    from infercost import api

    pts = api.cost_curve(SCENARIO, multiples=(0.5, 1.0, 2.0))
    # 100 ms alone, no batching: a replica serves 10 req/s, so 5 req/s needs 1 replica,
    # 10 req/s 2 (1 would be saturated) and 20 req/s at least 3
    assert [p.replicas for p in pts][:2] == [1, 2] and pts[2].replicas >= 3
    # 0.5x: 1 replica x 730 h x 2 USD = 1,460 + engineering 120,000 / 12 = 10,000 -> 11,460 USD
    #       over 5 x 730 x 3,600 = 13,140,000 inferences
    assert pts[0].monthly_cost.amount == D("11460")
    # = 0.000872146118721461187..., to 18 places as money keeps it
    assert pts[0].cost_per_inference.amount == D("0.000872146118721462")
    per = [p.cost_per_inference.amount for p in pts]
    assert per[0] > per[1] > per[2]  # fixed engineering spread over more requests


def test_latency_curve_rises_towards_capacity():
    from infercost import api

    c = api.latency_curve(SCENARIO, loads=(0.1, 0.5, 0.9))
    # sized at the 10 req/s peak: 2 replicas of 10 req/s each (constant 100 ms, no batching)
    assert c.replicas == 2 and c.capacity_per_s == pytest.approx(20.0)
    p99 = [p.p99_ms for p in c.points]
    # constant arrivals and service (D/D/c): no queue below capacity, one service time
    assert p99 == pytest.approx([100.0, 100.0, 100.0])
    pois = {**SCENARIO, "workload": {**SCENARIO["workload"],
                                     "arrivals": {"process": "poisson", "rate_per_s": 10}}}
    p99 = [p.p99_ms for p in api.latency_curve(pois, loads=(0.1, 0.5, 0.9)).points]
    assert p99[0] >= 100.0 and p99[0] < p99[1] < p99[2]  # Poisson queues: rises, never below 100 ms
    with pytest.raises(Exception, match="between 0 and 1"):
        api.latency_curve(SCENARIO, loads=(1.0,))
