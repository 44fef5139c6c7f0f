"""The itemised estimate: exact sums, a hand-checked case, monotonicity, idle, warm-up, sharing."""

from __future__ import annotations

import copy
import json
from decimal import Decimal, localcontext

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from infercost.capacity.estimate import estimate
from infercost.core.catalog import load_catalog
from infercost.core.scenario import validate
from tests.conftest import EXAMPLES

CAT = load_catalog()
PRICE = Decimal("5")  # USD per GPU-hour, overriding the catalog so the arithmetic is by hand

BASE = {
    "name": "hand",
    "currency": "USD",
    "workload": {"arrivals": {"process": "constant", "rate_per_s": 5}, "duration_s": 3600},
    "service": {"distribution": "constant", "mean_ms": 100},
    "deployment": {"hardware": "h100-sxm", "gpus_per_replica": 2, "replicas": 1,
                   "pricing": {"provider": "aws", "plan": "on-demand", "price_per_gpu_hour": str(PRICE)},
                   "batching": {"max_batch": 1}},
}


def sc(**sets):
    d = copy.deepcopy(BASE)
    for path, v in sets.items():
        cur = d
        keys = path.split("__")
        for k in keys[:-1]:
            cur = cur.setdefault(k, {})
        cur[keys[-1]] = v
    return validate(d, "test")


def comp(b, name):
    return b.by_component()[name].amount  # a component may have several lines (plans, rates)


def test_hand_checked_case():
    # 5 req/s x 0.1 s = 0.5 busy replica; one replica of 2 GPUs at 5 USD/GPU-h for 730 h
    b = estimate(sc(), CAT).breakdown
    assert b.inferences == Decimal(5 * 730 * 3600)
    assert comp(b, "accelerator_busy") == pytest.approx(Decimal("0.5") * 730 * 2 * PRICE, rel=Decimal("1e-9"))
    assert comp(b, "accelerator_idle") == pytest.approx(Decimal("0.5") * 730 * 2 * PRICE, rel=Decimal("1e-9"))
    assert b.total.amount == pytest.approx(Decimal(730 * 2) * PRICE, rel=Decimal("1e-12"))
    # cost per inference = 7,300 USD / 13,140,000 inferences
    assert b.cost_per_inference.amount == pytest.approx(Decimal(7300) / Decimal(13_140_000), rel=Decimal("1e-9"))
    assert b.main_driver().startswith("accelerator time is 100% of the cost; 50% of paid")


def test_other_components_by_hand():
    s = sc(costs={
        "licensing": {"per_1k_inferences": "0.5", "per_month": "100"},
        "human_review": {"fraction": 0.01, "minutes_each": 6, "hourly_rate": "30"},
        "preprocessing": {"cpu_ms_per_request": 36, "price_per_vcpu_hour": "0.05"},
        "storage": {"gb": 1000, "price_per_gb_month": "0.02"},
        "egress": {"bytes_per_response": 1_000_000, "price_per_gb": "0.09"},
        "engineering": {"fte": 0.5, "annual_cost_per_fte": "120000"},
    })
    b = estimate(s, CAT).breakdown
    n = Decimal(13_140_000)
    assert comp(b, "licensing") == Decimal("0.5") * n / 1000 + 100
    assert comp(b, "human_review") == n * Decimal("0.01") * Decimal("0.1") * 30
    assert comp(b, "preprocessing") == n * Decimal(36) / Decimal(3_600_000) * Decimal("0.05")
    assert comp(b, "storage") == Decimal(20)
    assert comp(b, "egress") == n * Decimal("0.001") * Decimal("0.09")
    assert comp(b, "engineering") == Decimal(5000)


def test_json_components_sum_exactly_to_total(cli):
    for f in sorted(EXAMPLES.glob("*.yaml")):
        code, out, err = cli("estimate", f, "--json")
        assert code == 0, err
        d = json.loads(out)
        with localcontext() as ctx:
            ctx.prec = 100  # exact addition of the printed digits
            for key in ("period_cost", "monthly_cost", "per_inference"):
                parts = sum((Decimal(c[key]) for c in d["components"]), Decimal(0))
                assert parts == Decimal(d["total"][key]), (f.name, key)
        assert Decimal(d["total"]["per_1k_inferences"]) == Decimal(d["total"]["per_inference"]) * 1000


def test_set_changes_the_answer(cli):
    code, out, _ = cli("estimate", EXAMPLES / "chatbot.yaml", "--json")
    code2, out2, _ = cli("estimate", EXAMPLES / "chatbot.yaml", "--json",
                         "--set", "workload.arrivals.rate_per_s=400")
    assert code == code2 == 0
    a, b = json.loads(out), json.loads(out2)
    assert Decimal(b["inferences"]) > Decimal(a["inferences"])
    assert b["facts"]["utilization"] > a["facts"]["utilization"]


def test_table_output_names_the_driver(cli):
    code, out, _ = cli("estimate", EXAMPLES / "chatbot.yaml")
    assert code == 0
    assert "total" in out and "of the cost" in out


@settings(max_examples=40, deadline=None)
@given(st.floats(min_value=0.1, max_value=300), st.floats(min_value=1.01, max_value=4))
def test_more_traffic_never_costs_less_in_total(rate, factor):
    auto = {"min": 1, "max": 50}
    for replicas in (3, auto):
        lo = estimate(sc(workload__arrivals__rate_per_s=rate, deployment__replicas=replicas,
                         deployment__batching={"max_batch": 8, "max_wait_ms": 5}), CAT).breakdown
        hi = estimate(sc(workload__arrivals__rate_per_s=rate * factor, deployment__replicas=replicas,
                         deployment__batching={"max_batch": 8, "max_wait_ms": 5}), CAT).breakdown
        assert hi.total.amount >= lo.total.amount


def test_cost_is_not_linear_in_traffic():
    # fixed fleet: 10x the traffic costs the same total, so cost per inference falls 10x
    a = estimate(sc(workload__arrivals__rate_per_s=0.5), CAT).breakdown
    b = estimate(sc(workload__arrivals__rate_per_s=5), CAT).breakdown
    assert a.total == b.total
    assert a.cost_per_inference.amount == pytest.approx(b.cost_per_inference.amount * 10)


def test_overload_is_reported_not_served():
    e = estimate(sc(workload__arrivals__rate_per_s=30), CAT)  # capacity 10 req/s
    assert e.usage.dropped == pytest.approx(20 * 730 * 3600, rel=1e-9)
    assert any("overloaded" in n for n in e.usage.notes)


def test_batching_raises_capacity():
    # one request alone takes 100 ms (10 req/s at most); each extra one in a batch 10 ms
    one = estimate(sc(workload__arrivals__rate_per_s=30), CAT)
    assert one.usage.dropped > 0
    s = sc(workload__arrivals__rate_per_s=30, service__per_item_ms=10,
           deployment__batching={"max_batch": 16, "max_wait_ms": 5})
    e = estimate(s, CAT)
    assert e.usage.dropped == 0
    assert 0.5 < e.usage.utilization < 1.0
    light = estimate(sc(workload__arrivals__rate_per_s=8, service__per_item_ms=10,
                        deployment__batching={"max_batch": 16, "max_wait_ms": 5}), CAT)
    # batching can only save busy time: between the full-batch floor and no batching at all
    assert 8 * 0.25 / 16 < light.usage.utilization < 8 * 0.1


def test_autoscaling_follows_a_diurnal_day_and_pays_warmup():
    s = sc(workload__arrivals={"process": "diurnal", "rate_per_s": 20, "peak_to_mean": 3},
           workload__duration_s=86400, deployment__replicas={"min": 1, "max": 20},
           deployment__autoscaling={"target_utilization": 0.6, "warmup_s": 300, "scale_down_delay_s": 600})
    fixed = sc(workload__arrivals={"process": "diurnal", "rate_per_s": 20, "peak_to_mean": 3},
               workload__duration_s=86400, deployment__replicas=10)
    a, f = estimate(s, CAT), estimate(fixed, CAT)
    assert a.usage.total(a.usage.warmup_hours) > 0
    assert comp(a.breakdown, "accelerator_warmup") > 0
    assert a.breakdown.total < f.breakdown.total  # scaling down at night beats peak-sized fleet
    assert a.usage.utilization > f.usage.utilization


def test_shared_replicas_split_idle_by_busy_time():
    alone = estimate(sc(), CAT).breakdown
    shared = estimate(sc(deployment__sharing={"others_utilization": 0.25}), CAT).breakdown
    # ours 0.5 busy, theirs 0.25, idle 0.25: our idle share = 0.5 / 0.75
    assert comp(shared, "accelerator_busy") == comp(alone, "accelerator_busy")
    expected_idle = Decimal("0.25") * 730 * 2 * PRICE * Decimal("0.5") / Decimal("0.75")
    assert comp(shared, "accelerator_idle") == pytest.approx(expected_idle, rel=Decimal("1e-9"))
    even = estimate(sc(deployment__sharing={"others_utilization": 0.25, "idle_rule": "even"}), CAT).breakdown
    assert comp(even, "accelerator_idle") == pytest.approx(Decimal("0.25") * 730 * PRICE, rel=Decimal("1e-9"))


def test_shadow_traffic_is_its_own_component():
    b = estimate(sc(costs={"experiments": {"shadow_fraction": 0.25}}), CAT).breakdown
    busy, exp = comp(b, "accelerator_busy"), comp(b, "experiments")
    # offered 5 x 1.25 = 6.25/s x 0.1 s = 0.625 busy; x 730 h x 2 GPUs x 5 USD = 4,562.50 USD
    # of busy time: experiments 4,562.50 x 0.25/1.25 = 912.50, serving 3,650
    assert exp == pytest.approx(Decimal("912.5"), rel=Decimal("1e-12"))
    assert busy == pytest.approx(Decimal(3650), rel=Decimal("1e-12"))
    assert b.inferences == Decimal(5 * 730 * 3600)  # shadow copies are not user inferences


def test_spot_fraction_prices_each_plan(tmp_path):
    cat_file = tmp_path / "cat.yaml"
    cat_file.write_text("""
prices:
  instances:
    - {provider: testcloud, instance: box, hardware: h100-sxm, gpus: 1,
       per_gpu_hour: {on-demand: 4, spot: 1}, source: test, as_of: 2026-11-28}
  services:
    testcloud: {vcpu_hour: 0.04, storage_gb_month: 0.1, egress_gb: 0.1, source: test, as_of: 2026-11-28}
""")
    cat = load_catalog(cat_file)
    s = sc(deployment__pricing={"provider": "testcloud", "plan": "on-demand", "spot_fraction": 0.5},
           deployment__gpus_per_replica=1)
    b = estimate(s, cat).breakdown
    assert b.total.amount == pytest.approx(Decimal(730) * (Decimal("0.5") * 4 + Decimal("0.5") * 1))


def test_trace_requests_after_the_duration_are_counted_not_dropped_silently(tmp_path):
    trace = tmp_path / "trace.csv"
    trace.write_text("timestamp,request_id\n2026-10-01T00:00:00Z,a\n2026-10-01T00:00:01Z,b\n"
                     "2026-10-01T00:00:02Z,c\n2026-10-01T00:10:00Z,d\n")
    e = estimate(sc(workload__arrivals={"process": "trace", "path": str(trace)},
                    workload__duration_s=60), CAT)
    assert any(n.startswith("1 trace requests fall after duration_s") for n in e.usage.notes)
    # 3 requests in 60 s, scaled to a 730-hour month
    assert e.usage.inferences == pytest.approx(3 * 730 * 60)


def test_no_requests_dropped_is_zero_not_minus_zero():
    """A served fraction a rounding error above 1 (autoscaled diurnal traffic) drops nothing:
    dropped_requests is 0.0, never -0.0."""
    import math

    raw = {"name": "as", "currency": "USD",
           "workload": {"arrivals": {"process": "diurnal", "rate_per_s": 20, "peak_to_mean": 3},
                        "duration_s": 86400},
           "service": {"distribution": "exponential", "mean_ms": 100},
           "deployment": {"hardware": "l4", "replicas": {"min": 1, "max": 20},
                          "autoscaling": {"target_utilization": 0.6, "warmup_s": 120},
                          "pricing": {"price_per_gpu_hour": 2}, "batching": {"max_batch": 1}}}
    est = estimate(validate(raw, "as"), CAT)
    assert est.usage.dropped == 0.0
    d = est.breakdown.facts["dropped_requests"]
    assert d == 0.0 and math.copysign(1.0, d) == 1.0 and json.dumps(d) == "0.0"


def test_instances_not_rented_whole_are_noted(cli):
    """4 H100s priced per GPU-hour from the 8-GPU p5.48xlarge: a note, the price unchanged."""
    code, out, err = cli("estimate", EXAMPLES / "chatbot.yaml", "--json")
    assert code == 0, err
    d = json.loads(out)
    assert ("4 h100-sxm accelerators (4 x 1) are not a whole number of aws p5.48xlarge's 8: priced "
            "per accelerator-hour as listed, as if a share of an instance could be rented; whole "
            "instances are 1 x 8 = 8 accelerators (4 more)") in d["facts"]["notes"]
    code, out, err = cli("estimate", EXAMPLES / "chatbot.yaml", "--set", "deployment.replicas=8", "--json")
    assert not any("whole number" in n for n in json.loads(out)["facts"]["notes"])
    from infercost.core.catalog import whole_instances_note

    # 10 replicas of 2 Inferentia2 chips on spot: 20 chips at the 12-chip inf2.48xlarge's price
    note = whole_instances_note(CAT, "aws", "inferentia2", "spot", 2, 10)
    assert note is not None and "aws inf2.48xlarge's 12" in note
    assert "whole instances are 2 x 12 = 24 accelerators (4 more)" in note
    assert whole_instances_note(CAT, "aws", "inferentia2", "spot", 4, 3) is None  # 12 chips
    assert whole_instances_note(CAT, "aws", "inferentia2", "on-demand", 2, 10) is None  # inf2.xlarge: 1
