"""Tests that kill the mutants `make mutate` found alive in econ/ (cost.py, breakdown.py).

`itemise` is fed a hand-made CapacityUsage, so every amount below is computed by hand
(arithmetic in the comments): plan handling, idle and warm-up shares, a scenario in
EUR priced from a USD catalog through `fx`, labels and drivers, the JSON keys, the
main-driver sentence and its percentages.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from infercost.core.catalog import load_catalog
from infercost.core.money import Money
from infercost.core.scenario import validate
from infercost.econ.breakdown import Component, CostBreakdown, _pct
from infercost.econ.cost import itemise
from infercost.econ.usage import CapacityUsage
from infercost.errors import InputError

CAT = load_catalog()


def scenario(currency="USD", price=None, fx=None, costs=None, sharing=None, gpus=2, plan="on-demand"):
    pricing = {"provider": "aws", "plan": plan}
    if price is not None:
        pricing["price_per_gpu_hour"] = price
    d = {"name": "m", "currency": currency,
         "workload": {"arrivals": {"process": "constant", "rate_per_s": 1}},
         "service": {"mean_ms": 10},
         "deployment": {"hardware": "h100-sxm", "gpus_per_replica": gpus, "pricing": pricing},
         "costs": costs or {}}
    if fx:
        d["fx"] = fx
    if sharing:
        d["deployment"]["sharing"] = sharing
    return validate(d, "test")


def usage(busy, idle, warm=None, others=None, period=730.0, n=1000.0, tin=0.0, tout=0.0):
    return CapacityUsage(period_hours=period, inferences=n, busy_hours=busy, idle_hours=idle,
                         warmup_hours=warm or {}, others_busy_hours=others or {},
                         input_tokens=tin, output_tokens=tout, source="test")


def comp(b, name):
    return next(c for c in b.components if c.name == name)


def test_eur_scenario_priced_from_the_usd_catalog():
    usd, inst = CAT.gpu_hour_price("aws", "h100-sxm", "on-demand")
    eur = usd.amount * Decimal("0.9")  # fx USD: 0.9 EUR per USD
    per_replica = eur * 2              # 2 GPUs per replica
    b = itemise(scenario("EUR", fx={"USD": "0.9"}),
                CAT, usage({"on-demand": 100.5}, {"on-demand": 629.5}, {"on-demand": 2.0}))
    assert comp(b, "accelerator_busy").cost == Money(per_replica * Decimal("100.5"), "EUR")
    assert comp(b, "accelerator_idle").cost == Money(per_replica * Decimal("629.5"), "EUR")
    assert comp(b, "accelerator_warmup").cost == Money(per_replica * 2, "EUR")
    assert all(c.cost.currency == "EUR" for c in b.components)
    src = f"aws {inst.instance} on-demand, catalog as of {inst.as_of.isoformat()}"
    assert b.facts["sources"] == {src: inst.source}
    # the driver states hours and the converted price to 4 places
    assert comp(b, "accelerator_busy").driver == (
        f"100.5 busy replica-h; on-demand {Money(eur, 'EUR').quantize(4)}/GPU-h x 2 GPU [{src}]")
    assert comp(b, "accelerator_idle").driver == "629.5 idle replica-h (our share 100%)"
    assert comp(b, "accelerator_warmup").driver == "2.0 warm-up replica-h"


def test_catalog_price_in_another_currency_needs_fx():
    with pytest.raises(InputError) as e:
        itemise(scenario("EUR"), CAT, usage({"on-demand": 1.0}, {"on-demand": 0.0}))
    assert e.value.where == "currency"
    assert e.value.message == ("aws h100-sxm is priced in USD but the scenario is in EUR; "
                               "add `fx: {USD: <EUR per USD>}`")


def test_no_hardware_and_no_price_is_refused_naming_deployment():
    from infercost.econ.cost import gpu_hour_price

    s = scenario(price="5")
    s.deployment.hardware = None
    with pytest.raises(InputError) as e:
        gpu_hour_price(s, CAT, "spot")  # the override is for on-demand only
    assert e.value.where == "deployment"
    assert e.value.message == ("set `deployment.hardware` (priced from the catalog) or "
                               "`deployment.pricing.price_per_gpu_hour`")


def test_override_is_in_the_scenario_currency_and_named_as_such():
    b = itemise(scenario("EUR", price="5.12345"), CAT, usage({"on-demand": 10.0}, {"on-demand": 0.0}))
    busy = comp(b, "accelerator_busy")
    assert busy.cost == Money("102.469", "EUR")  # 5.12345 EUR x 2 GPU x 10 h
    # the price is shown to 4 places, half-even: 5.12345 -> 5.1234
    assert busy.driver == "10.0 busy replica-h; on-demand 5.1234 EUR/GPU-h x 2 GPU [scenario override]"
    assert comp(b, "accelerator_idle").cost == Money(0, "EUR")  # no idle: not max(1, ...)


def test_plans_missing_from_one_state_count_zero_there():
    # on-demand (override 5/GPU-h): busy 10 h, idle 4 h; spot (catalog): idle 3 h only,
    # warm-up 1 h only on a third state. 1 GPU per replica.
    spot, _ = CAT.gpu_hour_price("aws", "h100-sxm", "spot")
    b = itemise(scenario(price="5", gpus=1), CAT,
                usage({"on-demand": 10.0}, {"on-demand": 4.0, "spot": 3.0}, {"spot": 1.0}))
    assert comp(b, "accelerator_busy").cost == Money(50)              # 5 x 10
    assert comp(b, "accelerator_idle").cost == Money(20 + spot.amount * 3)   # 5 x 4 + spot x 3
    assert comp(b, "accelerator_warmup").cost == Money(spot.amount * 1)     # only spot warms up
    busy_driver = comp(b, "accelerator_busy").driver
    assert busy_driver.startswith("10.0 busy replica-h; on-demand 5 USD/GPU-h x 1 GPU [scenario override]; "
                                  f"spot {spot.quantize(4)}/GPU-h x 1 GPU [aws ")


def test_a_plan_only_warming_up_is_still_priced():
    spot, _ = CAT.gpu_hour_price("aws", "h100-sxm", "spot")
    b = itemise(scenario(price="5", gpus=1), CAT,
                usage({"on-demand": 1.0}, {"on-demand": 1.0}, {"spot": 2.0}))
    assert comp(b, "accelerator_warmup").cost == Money(spot.amount * 2)


def test_shared_replicas_even_rule_splits_idle_and_warmup():
    # 4 tenants, even rule: our share of idle and warm-up is 1/4.
    # busy 10 h, idle 8 h, others 2 h; price 1/GPU-h, 1 GPU. idle paid = (10+8+2-10-2) x 1/4 = 2
    b = itemise(scenario(price="1", gpus=1, sharing={"others_utilization": 0.1, "idle_rule": "even",
                                                      "tenants": 4}),
                CAT, usage({"on-demand": 10.0}, {"on-demand": 8.0}, {"on-demand": 2.0},
                           others={"on-demand": 2.0}))
    assert comp(b, "accelerator_busy").cost == Money(10)
    assert comp(b, "accelerator_idle").cost == Money(2)              # 8 x 1/4
    assert comp(b, "accelerator_warmup").cost == Money("0.5")        # 2 x 1/4, not 2 / (1/4)
    assert comp(b, "accelerator_idle").driver == "2.0 idle replica-h (our share 25%)"


def test_hours_are_rounded_to_nine_places():
    # 1.0000000004 h rounds to 1.000000000 h: busy = 3 x 1 GPU x 1 h
    b = itemise(scenario(price="3", gpus=1), CAT, usage({"on-demand": 1.0000000004}, {"on-demand": 0.0}))
    assert comp(b, "accelerator_busy").cost == Money(3)


def test_inferences_are_rounded_to_a_millionth():
    b = itemise(scenario(price="1"), CAT, usage({"on-demand": 1.0}, {"on-demand": 0.0},
                                                n=1000000.2500004))
    assert b.inferences == Decimal("1000000.25")


def test_no_shadow_no_experiments_line_and_labels_in_order():
    b = itemise(scenario(price="1", costs={
        "licensing": {"per_1k_inferences": "2", "per_month": "100"},
        "human_review": {"fraction": 0.5, "minutes_each": 6, "hourly_rate": "30"},
        "experiments": {"shadow_fraction": 0.25}}),
        CAT, usage({"on-demand": 5.0}, {"on-demand": 1.0}, {"on-demand": 1.0}, period=365.0, n=2000.0))
    assert [(c.name, c.label, c.group) for c in b.components] == [
        ("accelerator_busy", "Accelerator time, serving", "accelerator"),
        ("experiments", "Experiments (shadow / A-B traffic)", "accelerator"),
        ("accelerator_idle", "Accelerator time, idle", "accelerator"),
        ("accelerator_warmup", "Accelerator time, warming up", "accelerator"),
        ("licensing", "Licensing", "operations"),
        ("human_review", "Human review", "people"),
    ]
    assert all(isinstance(c.driver, str) and c.driver for c in b.components)
    # busy 5 h x 2 GPU x 1 = 10; shadow 25%: experiments 10 x 0.25/1.25 = 2, serving 8
    assert comp(b, "accelerator_busy").cost == Money(8)
    assert comp(b, "experiments").cost == Money(2)
    # licensing over half a month (365 h / 730): 2 x 2000/1000 + 100 x 0.5 = 4 + 50
    assert comp(b, "licensing").cost == Money(54)
    # review: 2000 x 0.5 x 6 min / 60 = 100 h x 30 = 3000
    assert comp(b, "human_review").cost == Money(3000)
    none = itemise(scenario(price="1"), CAT, usage({"on-demand": 5.0}, {"on-demand": 1.0}))
    assert [c.name for c in none.components] == ["accelerator_busy", "accelerator_idle"]


def test_service_prices_from_the_catalog_converted_and_sourced():
    sp = CAT.get_services("aws")
    b = itemise(scenario("EUR", price="1", fx={"USD": "2"}, costs={
        "storage": {"gb": 100}, "egress": {"bytes_per_response": 1_000_000},
        "preprocessing": {"cpu_ms_per_request": 3600}}),
        CAT, usage({"on-demand": 1.0}, {"on-demand": 0.0}, n=1000.0))
    # storage: 100 GB x (USD price x 2) x 1 month
    assert comp(b, "storage").cost == Money(100 * sp.storage_gb_month * 2, "EUR")
    # egress: 1000 x 1e6 B = 1 GB x (USD price x 2)
    assert comp(b, "egress").cost == Money(sp.egress_gb * 2, "EUR")
    # preprocessing: 1000 x 3600 ms = 1 vCPU-h x (USD price x 2)
    assert comp(b, "preprocessing").cost == Money(sp.vcpu_hour * 2, "EUR")
    src = f"aws services, catalog as of {sp.as_of.isoformat()}"
    assert b.facts["sources"][src] == sp.source
    assert comp(b, "storage").driver.endswith(f"/GB-month [{src}]")


def test_service_price_override_is_in_the_scenario_currency():
    b = itemise(scenario("EUR", price="1", costs={"storage": {"gb": 10, "price_per_gb_month": "0.5"}}),
                CAT, usage({"on-demand": 1.0}, {"on-demand": 0.0}))
    st = comp(b, "storage")
    assert st.cost == Money(5, "EUR")  # 10 GB x 0.5 x 1 month
    assert st.driver == "10 GB x 0.5 EUR/GB-month [scenario override]"


# -- CostBreakdown ------------------------------------------------------------------

def bd(*costs, inferences="4", period="365", tokens=None, names=None, currency="EUR"):
    names = names or [f"c{i}" for i in range(len(costs))]
    comps = tuple(Component(n, n.title(), Money(c, currency), "d",
                            "accelerator" if n.startswith("accelerator") else "operations")
                  for n, c in zip(names, costs, strict=True))
    return CostBreakdown("s", currency, Decimal(period), Decimal(inferences), comps,
                         Decimal(tokens) if tokens else None)


def test_component_keeps_its_currency_after_rounding():
    assert Component("x", "X", Money("1.5", "EUR"), "d").cost == Money("1.5", "EUR")


def test_monthly_scales_by_730_over_the_period():
    b = bd("10", period="365")
    assert b.monthly(Money(10, "EUR")) == Money(20, "EUR")  # 10 x 730/365


def test_per_inference_at_one_and_zero_inferences():
    assert bd("10", inferences="1").per_inference(bd("10").components[0]) == Money(10, "EUR")
    z = bd("10", inferences="0")
    assert z.per_inference(z.components[0]) == Money.zero("EUR")
    assert z.cost_per_inference == Money.zero("EUR")


def test_share_of_each_component_and_of_a_zero_total():
    b = bd("1", "3")
    assert b.share(b.components[0]) == Decimal("0.25")  # 1 / 4
    assert b.share(b.components[1]) == Decimal("0.75")
    z = bd("0", "0")
    assert z.share(z.components[0]) == Decimal(0)


def test_to_dict_keys_and_values():
    b = bd("1", "3", tokens="2000000")
    d = b.to_dict()
    assert list(d) == ["scenario", "currency", "period_hours", "inferences", "tokens",
                       "components", "total", "main_driver", "facts"]
    assert (d["scenario"], d["currency"], d["period_hours"], d["tokens"]) == ("s", "EUR", "365", "2000000")
    c0 = d["components"][0]
    assert list(c0) == ["name", "label", "group", "period_cost", "monthly_cost", "per_inference",
                        "share", "driver"]
    assert (c0["name"], c0["label"], c0["group"], c0["driver"]) == ("c0", "C0", "operations", "d")
    assert c0["share"] == "0.250000"  # 1/4 to 6 places
    assert (c0["period_cost"], c0["monthly_cost"], c0["per_inference"]) == ("1", "2", "0.25")
    assert list(d["total"]) == ["period_cost", "monthly_cost", "per_inference", "per_1k_inferences",
                                "per_1m_tokens"]
    # 4 EUR over 2e6 tokens = 2 EUR per 1M tokens
    assert d["total"]["per_1m_tokens"] == "2"
    assert d["main_driver"] == b.main_driver()
    assert bd("1").to_dict()["tokens"] is None and bd("1").to_dict()["total"]["per_1m_tokens"] is None


def test_main_driver_sentences():
    assert bd().main_driver() == "no cost"
    assert bd("0", "0").main_driver() == "no cost"
    # accelerator exactly half: the accelerator sentence (>= 0.5)
    b = bd("1", "1", names=["accelerator_busy", "licensing"])
    assert b.main_driver() == ("accelerator time is 50% of the cost; "
                               "0% of paid accelerator time is idle or warming up")
    # idle and warm-up both count as not serving: (1 + 1) / 4 = 50%
    b = bd("2", "1", "1", names=["accelerator_busy", "accelerator_idle", "accelerator_warmup"])
    assert b.main_driver().endswith("; 50% of paid accelerator time is idle or warming up")
    # accelerator under 1 currency unit still gets its idle clause: 0.3 idle of 0.6
    b = bd("0.3", "0.3", "0.4", names=["accelerator_busy", "accelerator_idle", "licensing"])
    assert b.main_driver() == ("accelerator time is 60% of the cost; "
                               "50% of paid accelerator time is idle or warming up")
    # otherwise the largest component, label in lower case
    b = bd("1", "3", names=["accelerator_busy", "licensing"])
    assert b.main_driver() == ("licensing is the largest component at 75% of the cost; "
                               "accelerator time is 25%")


@pytest.mark.parametrize(("share", "text"), [
    ("0", "0%"), ("0.005", "0.5%"), ("0.01", "1%"), ("0.015", "2%"), ("0.5", "50%"),
    ("0.99", "99%"), ("0.995", "99.5%"), ("1", "100%"),
])
def test_pct_one_decimal_only_near_0_and_100(share, text):
    assert _pct(Decimal(share)) == text


def test_every_component_in_eur_over_half_a_month():
    # 365 h = half a month (730 h); 2000 inferences; every hour on-demand at the override
    s = scenario("EUR", price="1", gpus=1, fx={"USD": "2"}, costs={
        "licensing": {"per_1k_inferences": "3", "per_month": "10"},
        "human_review": {"fraction": 0.5, "minutes_each": 6, "hourly_rate": "30"},
        "preprocessing": {"cpu_ms_per_request": 1800, "price_per_vcpu_hour": "0.5"},
        "storage": {"gb": 100, "price_per_gb_month": "0.2"},
        "egress": {"bytes_per_response": 500_000_000, "price_per_gb": "0.1"},
        "engineering": {"fte": 2, "annual_cost_per_fte": "120000"}})
    b = itemise(s, CAT, usage({"on-demand": 100.0}, {"on-demand": 200.0}, {"on-demand": 3.0},
                              period=365.0, n=2000.0, tin=1500.0, tout=0.0))
    assert [(c.name, c.label) for c in b.components][3:] == [
        ("licensing", "Licensing"), ("human_review", "Human review"),
        ("preprocessing", "Preprocessing (CPU)"), ("storage", "Storage"),
        ("egress", "Network egress"), ("engineering", "Engineering")]
    assert all(c.cost.currency == "EUR" and c.driver for c in b.components)
    assert comp(b, "licensing").cost == Money(11, "EUR")       # 3 x 2 + 10 x 0.5
    assert comp(b, "human_review").cost == Money(3000, "EUR")  # 2000 x 0.5 x 6/60 h x 30
    assert comp(b, "preprocessing").cost == Money("0.5", "EUR")  # 2000 x 1.8 s = 1 vCPU-h x 0.5
    assert comp(b, "storage").cost == Money(10, "EUR")         # 100 GB x 0.2 x 0.5 month
    assert comp(b, "egress").cost == Money(100, "EUR")         # 2000 x 0.5 GB = 1000 GB x 0.1
    assert comp(b, "engineering").cost == Money(10000, "EUR")  # 2 x 120000 / 12 x 0.5
    assert comp(b, "preprocessing").driver == (
        "1800 CPU-ms/request = 1.0 vCPU-h x 0.5 EUR [scenario override]")
    assert comp(b, "egress").driver == (
        "5e+08 B/response = 1,000.0 GB x 0.1 EUR/GB [scenario override]")
    assert comp(b, "engineering").driver == "2 FTE x 120000/year"
    assert b.tokens == Decimal(1500)  # input only: 1500 + 0
    assert list(b.facts) == ["source", "provisioned_replica_hours", "busy_replica_hours",
                             "idle_replica_hours", "warmup_replica_hours", "utilization",
                             "dropped_requests", "shadow_requests", "notes", "sources"]
    assert b.facts["provisioned_replica_hours"] == 303.0 and b.facts["source"] == "test"


def test_tokens_from_either_side_and_their_sum():
    b = itemise(scenario(price="1"), CAT, usage({"on-demand": 1.0}, {}, tin=0.0, tout=7.0))
    assert b.tokens == Decimal(7)
    b = itemise(scenario(price="1"), CAT, usage({"on-demand": 1.0}, {}, tin=5.0, tout=7.0))
    assert b.tokens == Decimal(12)
    assert itemise(scenario(price="1"), CAT, usage({"on-demand": 1.0}, {})).tokens is None


def test_two_plans_add_up_idle_and_warm_up_hours():
    # on-demand (override 1/GPU-h) and spot (catalog), both idle and warming up
    spot, _ = CAT.gpu_hour_price("aws", "h100-sxm", "spot")
    b = itemise(scenario(price="1", gpus=1), CAT,
                usage({"on-demand": 4.0, "spot": 2.0}, {"on-demand": 3.0, "spot": 5.0},
                      {"on-demand": 1.0, "spot": 2.0}))
    assert comp(b, "accelerator_idle").cost == Money(3 + spot.amount * 5)   # 3 x 1 + 5 x spot
    assert comp(b, "accelerator_warmup").cost == Money(1 + spot.amount * 2)  # 1 x 1 + 2 x spot
    assert comp(b, "accelerator_idle").driver == "8.0 idle replica-h (our share 100%)"  # 3 + 5
    assert comp(b, "accelerator_warmup").driver == "3.0 warm-up replica-h"              # 1 + 2
    assert comp(b, "accelerator_busy").driver.startswith("6.0 busy replica-h; ")        # 4 + 2


def test_missing_fx_for_a_service_price_names_it():
    s = scenario("EUR", price="1", costs={"storage": {"gb": 1}})
    with pytest.raises(InputError) as e:
        itemise(s, CAT, usage({"on-demand": 1.0}, {}))
    assert e.value.message.startswith("aws storage_gb_month is priced in USD but the scenario is in EUR")


def test_service_prices_shown_to_four_places():
    b = itemise(scenario(price="1", costs={"storage": {"gb": 1, "price_per_gb_month": "0.12345"},
                                           "egress": {"bytes_per_response": 1, "price_per_gb": "0.12345"},
                                           "preprocessing": {"cpu_ms_per_request": 1,
                                                             "price_per_vcpu_hour": "0.12345"}}),
                CAT, usage({"on-demand": 1.0}, {}))
    for name in ("storage", "egress", "preprocessing"):
        assert " 0.1234 USD" in comp(b, name).driver  # half-even: 0.12345 -> 0.1234


def test_plans_busy_only_or_idle_only_are_priced():
    # spot busy only (no idle entry), a third plan idle only; on-demand override 1/GPU-h, 1 GPU
    spot, _ = CAT.gpu_hour_price("aws", "h100-sxm", "spot")
    b = itemise(scenario(price="1", gpus=1), CAT,
                usage({"on-demand": 2.0, "spot": 1.0}, {"on-demand": 1.0}))
    assert comp(b, "accelerator_busy").cost == Money(2 + spot.amount)  # 2 x 1 + 1 x spot
    assert comp(b, "accelerator_idle").cost == Money(1)                # spot has no idle hour
    b = itemise(scenario(price="1", gpus=1), CAT, usage({"on-demand": 2.0}, {"spot": 3.0}))
    assert comp(b, "accelerator_idle").cost == Money(spot.amount * 3)


def test_facts_rounded_to_stated_places_and_name_kept():
    b = itemise(scenario(price="1"), CAT,
                CapacityUsage(period_hours=730.0, inferences=10.0, busy_hours={"on-demand": 1.23456789},
                              idle_hours={"on-demand": 2.98765432}, warmup_hours={"on-demand": 0.11111111},
                              dropped=1.23456, shadow_inferences=2.34567))
    f = b.facts
    assert b.scenario == "m"
    assert f["busy_replica_hours"] == 1.234568 and f["idle_replica_hours"] == 2.987654
    assert f["warmup_replica_hours"] == 0.111111
    assert f["provisioned_replica_hours"] == 4.333333  # 1.23456789 + 2.98765432 + 0.11111111
    assert f["utilization"] == 0.292398                # 1.23456789 / 4.22222221
    assert f["dropped_requests"] == 1.235 and f["shadow_requests"] == 2.346


@pytest.mark.parametrize(("rule", "others", "share"), [
    ("owner", {"on-demand": 6.0}, "1"),            # all idle is ours
    ("proportional", {"on-demand": 6.0}, "0.25"),  # ours 2 / (2 + 6)
])
def test_idle_rules_owner_and_proportional(rule, others, share):
    # busy 2 h, idle 4 h, warm-up 1 h, price 1/GPU-h, 1 GPU, 3 tenants
    b = itemise(scenario(price="1", gpus=1, sharing={"others_utilization": 0.5, "idle_rule": rule,
                                                      "tenants": 3}),
                CAT, usage({"on-demand": 2.0}, {"on-demand": 4.0}, {"on-demand": 1.0}, others=others))
    assert comp(b, "accelerator_idle").cost == Money(4 * Decimal(share))
    assert comp(b, "accelerator_warmup").cost == Money(1 * Decimal(share))


def test_proportional_rule_with_no_busy_time_splits_evenly():
    # nobody busy: 1 / tenants = 1/4 of 8 idle hours = 2
    b = itemise(scenario(price="1", gpus=1, sharing={"others_utilization": 0.5,
                                                      "idle_rule": "proportional", "tenants": 4}),
                CAT, usage({"on-demand": 0.0}, {"on-demand": 8.0}))
    assert comp(b, "accelerator_idle").cost == Money(2)


def test_proportional_rule_under_one_busy_hour():
    # ours 0.25 h, theirs 0.25 h (together under 1 h): our share is 0.25 / 0.5 = 1/2, not 1/4
    b = itemise(scenario(price="1", gpus=1, sharing={"others_utilization": 0.5,
                                                      "idle_rule": "proportional", "tenants": 4}),
                CAT, usage({"on-demand": 0.25}, {"on-demand": 8.0}, others={"on-demand": 0.25}))
    assert comp(b, "accelerator_idle").cost == Money(4)  # 8 h x 1/2
