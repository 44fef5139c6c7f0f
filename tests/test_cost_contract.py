"""The cost contract: every line of `econ.cost.itemise`, pinned by hand.

Hand-built CapacityUsage (no capacity model, no simulator) priced with scenario
overrides, so each figure below is arithmetic written out in the comments. These pin the
amounts as they were before the cost line gained quantity, unit and rate.
"""

from __future__ import annotations

import copy
from decimal import Decimal, localcontext

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from infercost.core.catalog import load_catalog
from infercost.core.scenario import validate
from infercost.econ.cost import itemise
from infercost.econ.usage import CapacityUsage

CAT = load_catalog()

BASE = {
    "name": "pin",
    "currency": "USD",
    "workload": {"arrivals": {"process": "constant", "rate_per_s": 5}, "duration_s": 3600},
    "service": {"distribution": "constant", "mean_ms": 100},
    "deployment": {"hardware": "h100-sxm", "gpus_per_replica": 2, "replicas": 1,
                   "pricing": {"provider": "aws", "plan": "on-demand", "price_per_gpu_hour": "5"},
                   "batching": {"max_batch": 1}},
    "costs": {
        "licensing": {"per_1k_inferences": "0.5", "per_month": "100"},
        "human_review": {"fraction": 0.01, "minutes_each": 6, "hourly_rate": "30"},
        "preprocessing": {"cpu_ms_per_request": 36, "price_per_vcpu_hour": "0.05"},
        "storage": {"gb": 1000, "price_per_gb_month": "0.02"},
        "egress": {"bytes_per_response": 1_000_000, "price_per_gb": "0.09"},
        "experiments": {"shadow_fraction": 0.25},
        "engineering": {"fte": 0.5, "annual_cost_per_fte": "120000"},
    },
}

# one month (730 h), a million user requests, 100 busy, 300 idle, 10 warm-up replica-hours
USAGE = CapacityUsage(period_hours=730.0, inferences=1_000_000.0,
                      busy_hours={"on-demand": 100.0}, idle_hours={"on-demand": 300.0},
                      warmup_hours={"on-demand": 10.0}, source="hand")


def scenario(raw=None):
    return validate(copy.deepcopy(raw or BASE), "test")


def amounts(b) -> dict[str, Decimal]:
    out: dict[str, Decimal] = {}
    for c in b.components:
        out[c.name] = out.get(c.name, Decimal(0)) + c.cost.amount
    return out


def test_every_line_pinned_by_hand():
    a = amounts(itemise(scenario(), CAT, USAGE))
    # a replica is 2 GPUs x 5 USD/GPU-h = 10 USD/replica-h
    # busy (user + shadow) 100 h x 10 = 1,000; shadow share 0.25 / 1.25 = 0.2 -> 200
    assert a["experiments"] == Decimal(200)
    assert a["accelerator_busy"] == Decimal(800)  # 1,000 - 200
    assert a["accelerator_idle"] == Decimal(3000)  # 300 h x 10
    assert a["accelerator_warmup"] == Decimal(100)  # 10 h x 5 USD/GPU-h x 2 GPUs
    # licensing 0.5 x 1,000,000 / 1,000 + 100 x 1 month = 500 + 100
    assert a["licensing"] == Decimal(600)
    # review 1% x 1e6 = 10,000 reviews x 6 min = 1,000 h x 30 USD/h
    assert a["human_review"] == Decimal(30000)
    # 36 CPU-ms x 1e6 = 36,000 s = 10 vCPU-h x 0.05
    assert a["preprocessing"] == Decimal("0.5")
    assert a["storage"] == Decimal(20)  # 1,000 GB x 0.02 x 1 month
    assert a["egress"] == Decimal(90)  # 1e6 B x 1e6 = 1,000 GB x 0.09 (price set: no free tier)
    assert a["engineering"] == Decimal(5000)  # 0.5 FTE x 120,000 / 12 x 1 month
    b = itemise(scenario(), CAT, USAGE)
    # 800 + 200 + 3,000 + 100 + 600 + 30,000 + 0.5 + 20 + 90 + 5,000 = 39,810.5
    assert b.total.amount == Decimal("39810.5")
    assert b.inferences == Decimal(1_000_000)
    assert b.cost_per_inference.amount == Decimal("0.0398105")


def test_half_a_month_halves_monthly_items():
    u = CapacityUsage(period_hours=365.0, inferences=1_000_000.0,
                      busy_hours={"on-demand": 100.0}, idle_hours={"on-demand": 300.0})
    a = amounts(itemise(scenario(), CAT, u))
    assert a["licensing"] == Decimal(550)  # 500 + 100 x 0.5 month
    assert a["storage"] == Decimal(10)  # 1,000 GB x 0.02 x 0.5
    assert a["engineering"] == Decimal(2500)  # 5,000 x 0.5
    assert "accelerator_warmup" not in a  # no warm-up hours: no line


def test_warmup_priced_per_gpu_times_gpus_per_replica():
    raw = copy.deepcopy(BASE)
    raw["deployment"]["gpus_per_replica"] = 4
    a = amounts(itemise(scenario(raw), CAT, USAGE))
    assert a["accelerator_warmup"] == Decimal(200)  # 10 h x 5 x 4 GPUs
    assert a["accelerator_idle"] == Decimal(6000)  # 300 h x 20 USD/replica-h
    assert a["experiments"] + a["accelerator_busy"] == Decimal(2000)  # 100 h x 20


# -- the line contract: quantity x rate = amount ------------------------------------------

def test_each_line_computes_to_its_amount():
    from infercost.econ.breakdown import q

    b = itemise(scenario(), CAT, USAGE)
    for c in b.components:
        assert c.quantity is not None and c.rate is not None, c.name
        assert q(c.rate * c.quantity) == c.amount, c.name
        assert c.driver.startswith(c.formula()), c.driver
    by = {(c.name, c.detail): c for c in b.components}
    # 100 busy replica-h x 2 GPUs = 200 GPU-h; shadow 200 x 0.25 / 1.25 = 40 GPU-h at 5 USD/GPU-h
    assert by[("experiments", "on-demand")].quantity == Decimal(40)
    assert by[("accelerator_busy", "on-demand")].quantity == Decimal(160)
    assert by[("accelerator_busy", "on-demand")].unit == "GPU-h"
    assert by[("accelerator_busy", "on-demand")].formula() == "160 GPU-h x 5 USD/GPU-h = 800.00 USD"
    assert by[("accelerator_idle", "on-demand")].quantity == Decimal(600)  # 300 x 2
    # licensing has two rates: two lines, each exact
    assert by[("licensing", "per 1k inferences")].formula() == "1,000 1k inferences x 0.5 USD/1k inferences = 500.00 USD"
    assert by[("licensing", "per month")].formula() == "1 month x 100 USD/month = 100.00 USD"


def test_a_line_that_does_not_compute_is_refused():


    from infercost.core.money import Money
    from infercost.econ.breakdown import CostLine

    with pytest.raises(ValueError, match="GPU-h"):
        CostLine("accelerator_busy", "x", Money("10"), "", "accelerator", Decimal(3), "GPU-h", Money("3"))


def test_two_plans_give_two_lines_each_at_its_own_rate():
    raw = copy.deepcopy(BASE)
    raw["deployment"]["pricing"] = {"provider": "aws", "plan": "on-demand"}  # catalog prices
    u = CapacityUsage(period_hours=730.0, inferences=1000.0,
                      busy_hours={"on-demand": 10.0, "spot": 10.0}, idle_hours={"on-demand": 5.0, "spot": 5.0})
    b = itemise(scenario(raw), CAT, u)
    busy = [c for c in b.components if c.name == "accelerator_busy"]
    assert [c.detail for c in busy] == ["on-demand", "spot"]
    od, spot = (CAT.gpu_hour_price("aws", "h100-sxm", p)[0] for p in ("on-demand", "spot"))
    assert busy[0].rate == od and busy[1].rate == spot and od != spot
    # 10 busy replica-h x 2 GPUs = 20 GPU-h x 0.8 (shadow 0.25 -> user share 1 / 1.25)
    assert busy[0].quantity == Decimal(16) and busy[0].amount == od * 16


# -- egress free tier -----------------------------------------------------------------------

def test_egress_free_tier_from_the_catalog():
    raw = copy.deepcopy(BASE)
    raw["costs"] = {"egress": {"bytes_per_response": 1_000_000}}  # aws catalog: 0.09/GB after 100 GB free
    sv = CAT.get_services("aws")
    assert sv.egress_gb == Decimal("0.09") and sv.egress_free_gb_month == Decimal(100)
    eg = [c for c in itemise(scenario(raw), CAT, USAGE).components if c.name == "egress"][0]
    # 1e6 responses x 1e6 B = 1,000 GB sent in 1 month; 100 GB free -> 900 GB x 0.09 = 81
    assert eg.quantity == Decimal(900) and eg.amount.amount == Decimal(81)
    # half a month: 50 GB free; 1,000 GB sent -> 950 GB x 0.09 = 85.5
    half = CapacityUsage(period_hours=365.0, inferences=1_000_000.0,
                         busy_hours={"on-demand": 1.0}, idle_hours={})
    eg = [c for c in itemise(scenario(raw), CAT, half).components if c.name == "egress"][0]
    assert eg.amount.amount == Decimal("85.5")
    # under the free tier: nothing billed, never negative (100 responses x 1e6 B = 0.1 GB)
    few = CapacityUsage(period_hours=730.0, inferences=100.0, busy_hours={"on-demand": 1.0}, idle_hours={})
    eg = [c for c in itemise(scenario(raw), CAT, few).components if c.name == "egress"][0]
    assert eg.quantity == 0 and eg.amount.amount == 0


# -- accelerator time priced once: the simulator's series ------------------------------------

CASCADE = {
    "name": "cascade",
    "currency": "USD",
    "workload": {"arrivals": {"process": "poisson", "rate_per_s": 30}, "duration_s": 1800},
    "service": {"distribution": "exponential", "mean_ms": 20},
    "deployment": {"hardware": "h100-sxm", "gpus_per_replica": 1,
                   "replicas": {"min": 1, "max": 4},
                   "autoscaling": {"target_utilization": 0.6, "warmup_s": 60, "scale_down_delay_s": 120},
                   "pricing": {"provider": "aws", "plan": "on-demand", "spot_fraction": 0.5},
                   "batching": {"max_batch": 1},
                   "cascade": {"escalate_fraction": 0.3, "replicas": 2, "gpus_per_replica": 4,
                               "service": {"distribution": "exponential", "mean_ms": 50}}},
    "costs": {"experiments": {"shadow_fraction": 0.1}},
}


def test_sim_series_sums_to_the_accelerator_lines_with_cascade_gpus():
    from infercost.sim.run import simulate

    res = simulate(validate(copy.deepcopy(CASCADE), "test"), CAT, seed=1)
    series = sum((Decimal(x) for x in res.series["accelerator_cost"]), Decimal(0))
    lines = res.cost.group_total("accelerator").amount
    assert series == lines  # exactly, digit for digit
    assert {c.detail for c in res.cost.components if c.group == "accelerator"} == {"on-demand", "spot"}
    # GPU-hours: main pool replica-h x 1 GPU + cascade pool replica-h x 4 GPUs
    by_pool = res.replica_hours["by_pool"]
    gpu_h = sum((c.quantity for c in res.cost.components if c.group == "accelerator"), Decimal(0))
    assert float(gpu_h) == pytest.approx(by_pool["main"] + 4 * by_pool["cascade"], abs=1e-4)
    # one denominator: an escalated request is one inference, not two (cascade copies are
    # cost); shadow copies are taken out: served / (1 + 0.1)
    assert res.requests["escalated"] > 0
    assert float(res.cost.inferences) == pytest.approx(res.requests["served"] / 1.1, abs=1e-6)
    # the cascade pool: 2 fixed replicas x 0.5 h = 1 replica-h (x 4 GPUs = 4 GPU-h)
    assert by_pool["cascade"] == pytest.approx(1.0, abs=1e-6)


def test_one_denominator_estimate_and_simulate_count_user_requests():
    from infercost.capacity.estimate import estimate
    from infercost.sim.run import simulate

    raw = copy.deepcopy(BASE)
    raw["workload"] = {"arrivals": {"process": "constant", "rate_per_s": 5}, "duration_s": 3600}
    raw["costs"] = {"experiments": {"shadow_fraction": 0.25}}
    s = scenario(raw)
    est = estimate(s, CAT).breakdown
    sim = simulate(s, CAT, seed=0).cost
    # 5 user requests/s: 18,000 an hour; the 25% shadow copies are cost, not inferences
    assert est.inferences / est.period_hours == Decimal(18000)
    # the simulator sees 6.25 req/s (user + shadow): 22,500 arrivals, 22,500 / 1.25 = 18,000
    assert abs(sim.inferences - Decimal(18000)) <= 2  # requests in flight at the end
    assert sim.facts["shadow_requests"] == pytest.approx(4500, abs=2)


# -- invariants ---------------------------------------------------------------------------

@settings(max_examples=40, deadline=None)
@given(busy=st.floats(0, 5000), idle=st.floats(0, 5000), warm=st.floats(0, 100),
       shadow=st.sampled_from([0.0, 0.1, 0.25, 1 / 3]), gpus=st.integers(1, 8),
       price=st.decimals("0.01", "40", places=4))
def test_lines_compute_and_accelerator_time_is_paid_once(busy, idle, warm, shadow, gpus, price):
    from infercost.core.money import Money
    from infercost.econ.breakdown import q

    raw = copy.deepcopy(BASE)
    raw["deployment"]["gpus_per_replica"] = gpus
    raw["deployment"]["pricing"]["price_per_gpu_hour"] = str(price)
    raw["costs"]["experiments"] = {"shadow_fraction": shadow}
    u = CapacityUsage(period_hours=730.0, inferences=1000.0, busy_hours={"on-demand": busy},
                      idle_hours={"on-demand": idle}, warmup_hours={"on-demand": warm})
    b = itemise(scenario(raw), CAT, u)
    for c in b.components:
        assert q(c.rate * c.quantity) == c.amount
    acc = [c for c in b.components if c.group == "accelerator"]
    gpu_h = sum((c.quantity for c in acc), Decimal(0))
    # busy + shadow + idle + warm-up GPU-h = the paid time, priced once at the one rate
    paid = (Decimal(repr(round(busy, 9))) + Decimal(repr(round(idle, 9)))
            + Decimal(repr(round(warm, 9)))) * gpus
    assert abs(gpu_h - paid) <= Decimal("2e-9") * gpus
    assert sum((c.amount.amount for c in acc), Decimal(0)) == q(Money(price * gpu_h)).amount


@settings(max_examples=60, deadline=None)
@given(*[st.decimals("0.01", "1e6", places=4) for _ in range(8)])
def test_effects_always_sum_to_the_difference(n1, n2, b1, b2, g1, g2, c1, c2):
    from infercost.reconciliation.decompose import Factors, decompose

    p = Factors.of(n1, min(b1, g1), g1, c1)
    m = Factors.of(n2, min(b2, g2), g2, c2)
    d = decompose(p, m, c1 + 5, c2 + 7, c1, c2)
    with localcontext() as ctx:
        ctx.prec = 60  # effects reach 1e10 here: add them without rounding
        assert d.volume + d.utilisation + d.price + d.residual == d.difference
    assert d.residual_other == Decimal(2)  # (c2 + 7 - c2) - (c1 + 5 - c1)
