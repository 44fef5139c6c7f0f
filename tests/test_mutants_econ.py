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


def line(b, name, plan):
    """The line of component `name` for one pricing plan (or rate: `detail`)."""
    return next(c for c in b.components if c.name == name and c.detail == plan)


def spot_price():
    """The catalog's aws h100-sxm spot price per GPU-h, pinned so the sums below are by hand."""
    spot, inst = CAT.gpu_hour_price("aws", "h100-sxm", "spot")
    assert spot == Money("2.6242")
    return spot, f"aws {inst.instance} spot, catalog as of {inst.as_of.isoformat()}"


def test_eur_scenario_priced_from_the_usd_catalog():
    usd, inst = CAT.gpu_hour_price("aws", "h100-sxm", "on-demand")
    assert usd == Money("6.88")
    # fx USD: 0.9 EUR per USD -> 6.88 x 0.9 = 6.192 EUR/GPU-h; 2 GPUs per replica
    b = itemise(scenario("EUR", fx={"USD": "0.9"}),
                CAT, usage({"on-demand": 100.5}, {"on-demand": 629.5}, {"on-demand": 2.0}))
    busy, idle, warm = (comp(b, n) for n in ("accelerator_busy", "accelerator_idle", "accelerator_warmup"))
    assert busy.rate == idle.rate == warm.rate == Money("6.192", "EUR")
    # busy 100.5 replica-h x 2 = 201 GPU-h x 6.192 = 1,244.592 EUR
    assert (busy.quantity, busy.cost) == (Decimal(201), Money("1244.592", "EUR"))
    # idle 629.5 x 2 = 1,259 GPU-h x 6.192 = 7,554 + 241.728 = 7,795.728 EUR
    assert (idle.quantity, idle.cost) == (Decimal(1259), Money("7795.728", "EUR"))
    # warm-up 2 x 2 = 4 GPU-h x 6.192 = 24.768 EUR
    assert (warm.quantity, warm.cost) == (Decimal(4), Money("24.768", "EUR"))
    assert all(c.cost.currency == "EUR" for c in b.components)
    src = f"aws {inst.instance} on-demand, catalog as of {inst.as_of.isoformat()}"
    assert b.facts["sources"] == {src: inst.source}
    # the driver is the formula with the converted price, then how the hours were found
    assert busy.driver == ("201 GPU-h x 6.192 EUR/GPU-h = 1,244.59 EUR; "
                           f"busy GPU-h of user requests (2 GPU/replica); on-demand [{src}]")
    assert idle.driver == f"1,259 GPU-h x 6.192 EUR/GPU-h = 7,795.73 EUR; idle GPU-h; on-demand [{src}]"
    assert warm.driver == f"4 GPU-h x 6.192 EUR/GPU-h = 24.77 EUR; warm-up GPU-h; on-demand [{src}]"


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
    # 10 replica-h x 2 GPU = 20 GPU-h x 5.12345 EUR = 102.469 EUR
    assert busy.rate == Money("5.12345", "EUR")
    assert busy.cost == Money("102.469", "EUR")
    # the override's rate is shown as given (up to 6 places) and named as the override
    assert busy.driver == ("20 GPU-h x 5.12345 EUR/GPU-h = 102.47 EUR; "
                           "busy GPU-h of user requests (2 GPU/replica); on-demand [scenario override]")
    idle = comp(b, "accelerator_idle")
    assert idle.quantity == 0 and idle.cost == Money(0, "EUR")  # no idle: not max(1, ...)


def test_plans_missing_from_one_state_count_zero_there():
    # on-demand (override 5/GPU-h): busy 10 h, idle 4 h; spot (catalog 2.6242/GPU-h): idle 3 h
    # only, warm-up 1 h only. 1 GPU per replica. Every plan gets a line in every state.
    spot, src = spot_price()
    b = itemise(scenario(price="5", gpus=1), CAT,
                usage({"on-demand": 10.0}, {"on-demand": 4.0, "spot": 3.0}, {"spot": 1.0}))
    assert line(b, "accelerator_busy", "on-demand").cost == Money(50)     # 10 GPU-h x 5
    assert line(b, "accelerator_busy", "spot").cost == Money(0)           # no busy spot hour
    assert line(b, "accelerator_idle", "on-demand").cost == Money(20)     # 4 x 5
    assert line(b, "accelerator_idle", "spot").cost == Money("7.8726")    # 3 x 2.6242
    assert line(b, "accelerator_warmup", "on-demand").cost == Money(0)    # only spot warms up
    assert line(b, "accelerator_warmup", "spot").cost == Money("2.6242")  # 1 x 2.6242
    by = b.by_component()
    assert by["accelerator_idle"] == Money("27.8726")   # 20 + 7.8726
    assert by["accelerator_warmup"] == Money("2.6242")  # 0 + 2.6242
    # two plans: the label names the plan; each driver its own rate and source
    assert line(b, "accelerator_busy", "spot").label == "Accelerator time, serving (spot)"
    assert line(b, "accelerator_busy", "on-demand").driver == (
        "10 GPU-h x 5 USD/GPU-h = 50.00 USD; busy GPU-h of user requests (1 GPU/replica); "
        "on-demand [scenario override]")
    assert line(b, "accelerator_busy", "spot").driver == (
        f"0 GPU-h x 2.6242 USD/GPU-h = 0.00 USD; busy GPU-h of user requests (1 GPU/replica); spot [{src}]")


def test_a_plan_only_warming_up_is_still_priced():
    spot, _ = spot_price()
    b = itemise(scenario(price="5", gpus=1), CAT,
                usage({"on-demand": 1.0}, {"on-demand": 1.0}, {"spot": 2.0}))
    warm = line(b, "accelerator_warmup", "spot")
    assert warm.quantity == 2 and warm.cost == Money("5.2484")  # 2 GPU-h x 2.6242
    assert b.by_component()["accelerator_warmup"] == Money("5.2484")  # on-demand warms 0 h


def test_shared_replicas_even_rule_splits_idle_and_warmup():
    # 4 tenants, even rule: our share of idle and warm-up is 1/4.
    # busy 10 h, idle 8 h, others 2 h; price 1/GPU-h, 1 GPU. idle paid = (10+8+2-10-2) x 1/4 = 2
    b = itemise(scenario(price="1", gpus=1, sharing={"others_utilization": 0.1, "idle_rule": "even",
                                                      "tenants": 4}),
                CAT, usage({"on-demand": 10.0}, {"on-demand": 8.0}, {"on-demand": 2.0},
                           others={"on-demand": 2.0}))
    assert comp(b, "accelerator_busy").cost == Money(10)
    assert comp(b, "accelerator_idle").quantity == 2                 # 8 GPU-h x 1/4
    assert comp(b, "accelerator_idle").cost == Money(2)
    assert comp(b, "accelerator_warmup").quantity == Decimal("0.5")  # 2 x 1/4, not 2 / (1/4)
    assert comp(b, "accelerator_warmup").cost == Money("0.5")
    assert comp(b, "accelerator_idle").driver == (
        "2 GPU-h x 1 USD/GPU-h = 2.00 USD; our share 25% of idle GPU-h; on-demand [scenario override]")
    assert comp(b, "accelerator_warmup").driver == (
        "0.5 GPU-h x 1 USD/GPU-h = 0.50 USD; our share 25% of warm-up GPU-h; on-demand [scenario override]")


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
    assert [(c.name, c.detail, c.label, c.group) for c in b.components] == [
        ("accelerator_busy", "on-demand", "Accelerator time, serving", "accelerator"),
        ("experiments", "on-demand", "Experiments (shadow / A-B traffic)", "accelerator"),
        ("accelerator_idle", "on-demand", "Accelerator time, idle", "accelerator"),
        ("accelerator_warmup", "on-demand", "Accelerator time, warming up", "accelerator"),
        ("licensing", "per 1k inferences", "Licensing, per 1k", "operations"),  # both rates set:
        ("licensing", "per month", "Licensing, monthly", "operations"),         # two lines
        ("human_review", "", "Human review", "people"),
    ]
    assert all(isinstance(c.driver, str) and c.driver for c in b.components)
    # busy 5 h x 2 GPU = 10 GPU-h x 1; shadow 25%: experiments 10 x 0.25/1.25 = 2, serving 8
    assert comp(b, "accelerator_busy").quantity == 8 and comp(b, "accelerator_busy").cost == Money(8)
    assert comp(b, "experiments").quantity == 2 and comp(b, "experiments").cost == Money(2)
    # licensing over half a month (365 h / 730): 2 x 2000/1000 + 100 x 0.5 = 4 + 50
    per_1k, monthly = line(b, "licensing", "per 1k inferences"), line(b, "licensing", "per month")
    assert (per_1k.quantity, per_1k.cost) == (Decimal(2), Money(4))            # 2 1k inferences x 2
    assert (monthly.quantity, monthly.cost) == (Decimal("0.5"), Money(50))     # 0.5 month x 100
    assert b.by_component()["licensing"] == Money(54)
    # review: 2000 x 0.5 x 6 min / 60 = 100 h x 30 = 3000
    assert comp(b, "human_review").quantity == 100 and comp(b, "human_review").cost == Money(3000)
    none = itemise(scenario(price="1"), CAT, usage({"on-demand": 5.0}, {"on-demand": 1.0}))
    assert [c.name for c in none.components] == ["accelerator_busy", "accelerator_idle"]


def test_service_prices_from_the_catalog_converted_and_sourced():
    sp = CAT.get_services("aws")
    # the catalog, in USD: 0.023/GB-month, 0.09/GB after 100 GB free a month, 0.044625/vCPU-h
    assert (sp.storage_gb_month, sp.egress_gb, sp.egress_free_gb_month, sp.vcpu_hour) == (
        Decimal("0.023"), Decimal("0.09"), Decimal(100), Decimal("0.044625"))
    b = itemise(scenario("EUR", price="1", fx={"USD": "2"}, costs={
        "storage": {"gb": 100}, "egress": {"bytes_per_response": 101_000_000},
        "preprocessing": {"cpu_ms_per_request": 3600}}),
        CAT, usage({"on-demand": 1.0}, {"on-demand": 0.0}, n=1000.0))
    # storage: 100 GB x 1 month = 100 GB-month x (0.023 x 2 = 0.046 EUR) = 4.6 EUR
    st = comp(b, "storage")
    assert (st.quantity, st.rate, st.cost) == (Decimal(100), Money("0.046", "EUR"), Money("4.6", "EUR"))
    # egress: 1000 x 101e6 B = 101 GB sent, less 100 GB free = 1 GB x (0.09 x 2 = 0.18 EUR)
    eg = comp(b, "egress")
    assert (eg.quantity, eg.rate, eg.cost) == (Decimal(1), Money("0.18", "EUR"), Money("0.18", "EUR"))
    # preprocessing: 1000 x 3600 ms = 1 vCPU-h x (0.044625 x 2 = 0.08925 EUR)
    pp = comp(b, "preprocessing")
    assert (pp.quantity, pp.rate, pp.cost) == (Decimal(1), Money("0.08925", "EUR"), Money("0.08925", "EUR"))
    src = f"aws services, catalog as of {sp.as_of.isoformat()}"
    assert b.facts["sources"][src] == sp.source
    assert st.driver == f"100 GB-month x 0.046 EUR/GB-month = 4.60 EUR; 100 GB for 1.000 month [{src}]"
    assert eg.driver == (f"1 GB x 0.18 EUR/GB = 0.18 EUR; 1.01e+08 B/response = 101.0 GB sent, "
                         f"less 100.0 GB free (100.0 GB/month) [{src}]")


def test_service_price_override_is_in_the_scenario_currency():
    b = itemise(scenario("EUR", price="1", costs={"storage": {"gb": 10, "price_per_gb_month": "0.5"}}),
                CAT, usage({"on-demand": 1.0}, {"on-demand": 0.0}))
    st = comp(b, "storage")
    assert st.rate == Money("0.5", "EUR")
    assert st.cost == Money(5, "EUR")  # 10 GB x 1 month = 10 GB-month x 0.5
    assert st.driver == "10 GB-month x 0.5 EUR/GB-month = 5.00 EUR; 10 GB for 1.000 month [scenario override]"


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
    assert list(c0) == ["name", "label", "group", "detail", "quantity", "unit", "rate", "amount",
                        "formula", "period_cost", "monthly_cost", "per_inference", "share", "driver"]
    assert (c0["name"], c0["label"], c0["group"], c0["driver"]) == ("c0", "C0", "operations", "d")
    # a line with no rate (a bill line): quantity, unit and rate null, the formula is the amount
    assert (c0["detail"], c0["quantity"], c0["unit"], c0["rate"]) == ("", None, None, None)
    assert (c0["amount"], c0["formula"]) == ("1", "1.00 EUR")
    assert c0["share"] == "0.250000"  # 1/4 to 6 places
    # 1 EUR over 365 h: x 730/365 = 2 a month; over 4 inferences = 0.25 each
    assert (c0["period_cost"], c0["monthly_cost"], c0["per_inference"]) == ("1", "2", "0.25")
    assert list(d["total"]) == ["period_cost", "monthly_cost", "per_inference", "per_1k_inferences",
                                "per_1m_tokens"]
    # 1 + 3 = 4 EUR; 8 a month; 4 / 4 = 1 per inference, 1,000 per 1k
    assert (d["total"]["period_cost"], d["total"]["monthly_cost"], d["total"]["per_inference"],
            d["total"]["per_1k_inferences"]) == ("4", "8", "1", "1000")
    # 4 EUR over 2e6 tokens = 2 EUR per 1M tokens
    assert d["total"]["per_1m_tokens"] == "2"
    assert d["main_driver"] == b.main_driver()
    assert bd("1").to_dict()["tokens"] is None and bd("1").to_dict()["total"]["per_1m_tokens"] is None
    # a priced line: 2.5 GB-month x 0.4 EUR/GB-month = 1 EUR, its figures as decimal strings
    priced = Component.priced("storage", "Storage", Decimal("2.5"), "GB-month", Money("0.4", "EUR"), "d",
                              detail="S3")
    p = CostBreakdown("s", "EUR", Decimal(730), Decimal(4), (priced,)).to_dict()["components"][0]
    assert (p["group"], p["detail"], p["quantity"], p["unit"], p["rate"], p["amount"]) == (
        "operations", "S3", "2.5", "GB-month", "0.4", "1")
    assert p["formula"] == "2.5 GB-month x 0.4 EUR/GB-month = 1.00 EUR"
    assert p["period_cost"] == p["monthly_cost"] == "1" and p["per_inference"] == "0.25"  # 730 h: 1 month


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
    # 365 h = half a month (730 h); 2000 inferences; every price an override in EUR, so the
    # fx rate (2 EUR per USD) must not touch them
    s = scenario("EUR", price="1", gpus=1, fx={"USD": "2"}, costs={
        "licensing": {"per_1k_inferences": "3", "per_month": "10"},
        "human_review": {"fraction": 0.5, "minutes_each": 6, "hourly_rate": "30"},
        "preprocessing": {"cpu_ms_per_request": 1800, "price_per_vcpu_hour": "0.5"},
        "storage": {"gb": 100, "price_per_gb_month": "0.2"},
        "egress": {"bytes_per_response": 500_000_000, "price_per_gb": "0.1"},
        "engineering": {"fte": 2, "annual_cost_per_fte": "120000"}})
    b = itemise(s, CAT, usage({"on-demand": 100.0}, {"on-demand": 200.0}, {"on-demand": 3.0},
                              period=365.0, n=2000.0, tin=1500.0, tout=0.0))
    assert [(c.name, c.label, c.unit) for c in b.components][3:] == [
        ("licensing", "Licensing, per 1k", "1k inferences"), ("licensing", "Licensing, monthly", "month"),
        ("human_review", "Human review", "review-h"), ("preprocessing", "Preprocessing (CPU)", "vCPU-h"),
        ("storage", "Storage", "GB-month"), ("egress", "Network egress", "GB"),
        ("engineering", "Engineering", "FTE-month")]
    assert all(c.cost.currency == "EUR" and c.driver for c in b.components)
    assert line(b, "licensing", "per 1k inferences").cost == Money(6, "EUR")  # 2000/1000 = 2 x 3
    assert line(b, "licensing", "per month").cost == Money(5, "EUR")          # 0.5 month x 10
    assert b.by_component()["licensing"] == Money(11, "EUR")                  # 6 + 5
    assert comp(b, "human_review").cost == Money(3000, "EUR")  # 2000 x 0.5 x 6/60 = 100 h x 30
    assert comp(b, "preprocessing").cost == Money("0.5", "EUR")  # 2000 x 1.8 s = 1 vCPU-h x 0.5
    assert comp(b, "storage").quantity == 50                   # 100 GB x 0.5 month
    assert comp(b, "storage").cost == Money(10, "EUR")         # 50 GB-month x 0.2
    assert comp(b, "egress").quantity == 1000                  # 2000 x 0.5 GB; price set: no free tier
    assert comp(b, "egress").cost == Money(100, "EUR")         # 1000 GB x 0.1
    assert comp(b, "engineering").quantity == 1                # 2 FTE x 0.5 month
    assert comp(b, "engineering").rate == Money(10000, "EUR")  # 120000 / 12 per FTE-month
    assert comp(b, "engineering").cost == Money(10000, "EUR")  # 1 FTE-month x 10000
    assert comp(b, "preprocessing").driver == (
        "1 vCPU-h x 0.5 EUR/vCPU-h = 0.50 EUR; 1800 CPU-ms/request [scenario override]")
    assert comp(b, "egress").driver == (
        "1,000 GB x 0.1 EUR/GB = 100.00 EUR; 5e+08 B/response = 1,000.0 GB sent [scenario override]")
    assert comp(b, "engineering").driver == (
        "1 FTE-month x 10,000 EUR/FTE-month = 10,000.00 EUR; 2 FTE x 120000/year / 12")
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
    # on-demand (override 1/GPU-h) and spot (catalog 2.6242/GPU-h), both idle and warming up;
    # one line per plan, and the component totals and replica-hour facts add the plans up
    spot_price()
    b = itemise(scenario(price="1", gpus=1), CAT,
                usage({"on-demand": 4.0, "spot": 2.0}, {"on-demand": 3.0, "spot": 5.0},
                      {"on-demand": 1.0, "spot": 2.0}))
    assert line(b, "accelerator_idle", "on-demand").cost == Money(3)        # 3 GPU-h x 1
    assert line(b, "accelerator_idle", "spot").cost == Money("13.121")      # 5 x 2.6242
    assert line(b, "accelerator_warmup", "on-demand").cost == Money(1)      # 1 x 1
    assert line(b, "accelerator_warmup", "spot").cost == Money("5.2484")    # 2 x 2.6242
    by = b.by_component()
    assert by["accelerator_busy"] == Money("9.2484")    # 4 x 1 + 2 x 2.6242
    assert by["accelerator_idle"] == Money("16.121")    # 3 + 13.121
    assert by["accelerator_warmup"] == Money("6.2484")  # 1 + 5.2484
    assert b.facts["idle_replica_hours"] == 8.0         # 3 + 5
    assert b.facts["warmup_replica_hours"] == 3.0       # 1 + 2
    assert b.facts["busy_replica_hours"] == 6.0         # 4 + 2
    assert b.group_total("accelerator") == Money("31.6178")  # 9.2484 + 16.121 + 6.2484


def test_missing_fx_for_a_service_price_names_it():
    s = scenario("EUR", price="1", costs={"storage": {"gb": 1}})
    with pytest.raises(InputError) as e:
        itemise(s, CAT, usage({"on-demand": 1.0}, {}))
    assert e.value.message.startswith("aws storage_gb_month is priced in USD but the scenario is in EUR")


def test_service_prices_and_quantities_shown_to_six_places():
    # the formula shows quantity and rate to at most 6 places, trailing zeros dropped
    b = itemise(scenario(price="1", costs={"storage": {"gb": 1, "price_per_gb_month": "0.12345"},
                                           "egress": {"bytes_per_response": 1, "price_per_gb": "0.12345"},
                                           "preprocessing": {"cpu_ms_per_request": 1,
                                                             "price_per_vcpu_hour": "0.12345"}}),
                CAT, usage({"on-demand": 1.0}, {}))
    # 1 GB x 1 month
    assert comp(b, "storage").driver == (
        "1 GB-month x 0.12345 USD/GB-month = 0.12 USD; 1 GB for 1.000 month [scenario override]")
    # 1000 x 1 B = 1e-6 GB
    assert comp(b, "egress").driver == (
        "0.000001 GB x 0.12345 USD/GB = 0.00 USD; 1 B/response = 0.0 GB sent [scenario override]")
    # 1000 x 1 ms / 3.6e6 = 0.000277777... vCPU-h, shown 0.000278
    pp = comp(b, "preprocessing")
    assert pp.quantity == Decimal("0.000277777777777778")  # to 18 places, half-even
    assert pp.driver == ("0.000278 vCPU-h x 0.12345 USD/vCPU-h = 0.00 USD; "
                         "1 CPU-ms/request [scenario override]")


def test_plans_busy_only_or_idle_only_are_priced():
    # spot busy only (no idle entry), then spot idle only; on-demand override 1/GPU-h, 1 GPU
    spot_price()
    b = itemise(scenario(price="1", gpus=1), CAT,
                usage({"on-demand": 2.0, "spot": 1.0}, {"on-demand": 1.0}))
    assert line(b, "accelerator_busy", "on-demand").cost == Money(2)        # 2 x 1
    assert line(b, "accelerator_busy", "spot").cost == Money("2.6242")      # 1 x 2.6242
    assert b.by_component()["accelerator_busy"] == Money("4.6242")          # 2 + 2.6242
    assert line(b, "accelerator_idle", "on-demand").cost == Money(1)
    assert line(b, "accelerator_idle", "spot").cost == Money(0)             # spot has no idle hour
    assert b.by_component()["accelerator_idle"] == Money(1)
    b = itemise(scenario(price="1", gpus=1), CAT, usage({"on-demand": 2.0}, {"spot": 3.0}))
    assert line(b, "accelerator_idle", "spot").cost == Money("7.8726")      # 3 x 2.6242
    assert line(b, "accelerator_busy", "spot").cost == Money(0)             # spot has no busy hour
    assert b.by_component()["accelerator_idle"] == Money("7.8726")          # on-demand idles 0 h


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


def test_monthly_projection_of_a_short_period_reads_clean():
    # 0.46 EUR a month of storage over a 24 h simulated period: 0.46 x 24 / 730 =
    # 0.015123287671232876712... rounded to 18 places (…877); x 730 / 24 back to a month
    # is 0.460000000000000009 at 18 places, 0.46 at the monthly projection's 10 places
    amount = Money(Decimal("0.46") * 24 / 730, "EUR")
    b = CostBreakdown("s", "EUR", Decimal(24), Decimal(4),
                      (Component("storage", "Storage", amount, "d", "operations"),))
    assert b.to_dict()["components"][0]["monthly_cost"] == "0.46"
    assert b.monthly_total == Money("0.46", "EUR")


def test_host_power_without_an_owned_hardware_entry_says_board_power_only():
    from infercost.econ.owned import host_power

    catalog = load_catalog()
    assert "l4" in catalog.hardware and "l4" not in catalog.owned
    watts, note = host_power(catalog, "l4")
    assert watts == Decimal(0)
    assert note == ("board power only: host share of l4 unknown "
                    "(no prices.owned_hardware entry in the catalog)")
# ---------------------------------------------------------------- fleet_energy, by hand
# catalog: PUE 1.58; grid us-east-1 309, europe-north1 127 gCO2e/kWh; h100-sxm idle 69 W,
# TDP 700 W, host 575 W per GPU; l4 idle 28 W, TDP 72 W, no host figure;
# a100-80gb-pcie TDP 300 W, idle assumed 0.1 x TDP = 30 W, no host figure


def test_fleet_energy_every_field_with_a_region_without_grid():
    from infercost.econ.energy import ResourceGpuHours, fleet_energy

    r = fleet_energy(load_catalog(), [
        ResourceGpuHours("i-1", "p5.48xlarge", "h100-sxm", 8, Decimal(10), Decimal("0.25"),
                         "us-east-1"),
        ResourceGpuHours("i-2", "g6.xlarge", "l4", 1, Decimal(4), Decimal("0.5"), "mars-1"),
    ], 2000, ["given"])
    # i-1: 10 h x 8 = 80 GPU-h, 20 busy at 700 + 575 = 1,275 W, 60 idle at 69 + 575 = 644 W:
    # (25,500 + 38,640) Wh x 1.58 / 1000 = 101.3412 kWh; x 309 = 31,314.4308 g
    # i-2: 4 GPU-h, 2 busy at 72 W, 2 idle at 28 W: 200 Wh x 1.58 / 1000 = 0.316 kWh, no grid
    assert r["resources"] == [
        {"resource_id": "i-1", "instance": "p5.48xlarge", "hardware": "h100-sxm", "gpus": 8,
         "resource_hours": 10.0, "gpu_hours": 80.0, "busy_share": 0.25, "idle_w": 69.0,
         "full_w": 700.0, "host_w": 575.0, "region": "us-east-1", "grid_g_per_kwh": 309.0,
         "kwh": 101.3412, "gco2e": 31314.4308},
        {"resource_id": "i-2", "instance": "g6.xlarge", "hardware": "l4", "gpus": 1,
         "resource_hours": 4.0, "gpu_hours": 4.0, "busy_share": 0.5, "idle_w": 28.0,
         "full_w": 72.0, "host_w": 0.0, "region": "mars-1", "grid_g_per_kwh": None,
         "kwh": 0.316, "gco2e": None}]
    # 101.3412 + 0.316 = 101.6572 kWh; 2,000 requests = 2 x 1k: 50.8286 per 1k; carbon
    # unknown for one resource: no total
    assert (r["kwh"], r["gco2e"], r["kwh_per_1k_requests"], r["gco2e_per_1k_requests"],
            r["pue"]) == (101.6572, None, 50.8286, None, 1.58)
    assert r["notes"][0] == "given"
    assert r["notes"][1].startswith("h100-sxm: board power + host share 575 W per GPU")
    assert r["notes"][2] == ("l4: board power only: host share of l4 unknown (no "
                             "prices.owned_hardware entry in the catalog)")
    assert r["notes"][3] == "i-2: no grid carbon intensity for region 'mars-1': carbon not counted"
    assert r["notes"][4] == (
        "x PUE 1.58 (Uptime Institute Global Data Center Survey 2023, average annual PUE "
        "1.58); busy GPU-hours at full board power (TDP), idle at idle power, the host share "
        "at any load")
    assert len(r["notes"]) == 5


def test_fleet_energy_sums_two_grids_and_names_an_assumed_idle_power():
    from infercost.econ.energy import ResourceGpuHours, fleet_energy

    r = fleet_energy(load_catalog(), [
        ResourceGpuHours("a", "x", "a100-80gb-pcie", 2, Decimal(3), Decimal("0.5"), "us-east-1"),
        ResourceGpuHours("b", "y", "h100-sxm", 8, Decimal(1), Decimal(1), "europe-north1"),
    ], 0)
    # a: 6 GPU-h, 3 busy at 300 W, 3 idle at 30 W: 990 Wh x 1.58 / 1000 = 1.5642 kWh, x 309
    #    = 483.3378 g; b: 8 GPU-h all busy at 1,275 W: 10,200 Wh -> 16.116 kWh, x 127 =
    #    2,046.732 g; totals 17.6802 kWh, 2,530.0698 g; no requests: no per-1k figures
    assert [x["kwh"] for x in r["resources"]] == [1.5642, 16.116]
    assert [x["gco2e"] for x in r["resources"]] == [483.3378, 2046.732]
    assert (r["kwh"], r["gco2e"], r["kwh_per_1k_requests"], r["gco2e_per_1k_requests"]) == (
        17.6802, 2530.0698, None, None)
    assert r["notes"][0] == ("a100-80gb-pcie: idle board power 30 W = 0.1 x TDP (assumed; see "
                             "energy.yaml power_curve)")
    assert r["notes"][1].startswith("a100-80gb-pcie: board power only")


# ---------------------------------------------------------------- energy(), by hand
# examples/chatbot.yaml: h100-sxm, 1 GPU per replica, aws on-demand, no finance block


def _energy_usage(**kw) -> CapacityUsage:
    base = dict(period_hours=1.0, inferences=1000.0, busy_hours={"on-demand": 0.5},
                idle_hours={"on-demand": 0.5}, input_tokens=800_000.0, output_tokens=200_000.0)
    base.update(kw)
    return CapacityUsage(**base)


def _chatbot(**overrides):
    from infercost.api import load_scenario

    return load_scenario("examples/chatbot.yaml", **overrides)


def test_energy_per_unit_figures_at_one_inference_and_one_token_and_at_none():
    from infercost.econ.energy import energy

    # 0.5 GPU-h x (700 + 575) W + 0.5 x (69 + 575) W = 959.5 Wh x 1.58 = 1.51601 kWh;
    # x 309 g/kWh (us-east-1) = 468.44709 g
    e = energy(_chatbot(), load_catalog(),
               _energy_usage(inferences=1.0, input_tokens=1.0, output_tokens=0.0))
    assert (e.kwh, e.gco2e, e.full_w, e.idle_w) == (Decimal("1.51601"), Decimal("468.44709"), 700, 69)
    # one inference: the whole; one token: x 1e6 per 1M tokens
    assert (e.kwh_per_inference, e.gco2e_per_inference) == (Decimal("1.51601"), Decimal("468.44709"))
    assert (e.kwh_per_1m_tokens, e.gco2e_per_1m_tokens) == (Decimal("1516010"), Decimal("468447090"))
    e = energy(_chatbot(), load_catalog(),
               _energy_usage(inferences=0.0, input_tokens=0.0, output_tokens=0.0))
    assert (e.kwh_per_inference, e.kwh_per_1m_tokens, e.gco2e_per_inference,
            e.gco2e_per_1m_tokens) == (None, None, None, None)


@pytest.mark.parametrize("others,noted", [(0.5, True), (0.0, False)])
def test_energy_co_tenants_busy_time_is_noted_and_not_counted(others, noted):
    from infercost.econ.energy import energy

    e = energy(_chatbot(), load_catalog(), _energy_usage(others_busy_hours={"on-demand": others}))
    assert e.kwh == Decimal("1.51601")  # the same as without co-tenants
    assert ("co-tenants' busy time is theirs: not counted" in e.notes) is noted


def test_energy_without_hardware_and_unknown_regions_name_the_key():
    from infercost.econ.energy import energy

    sc = _chatbot()
    sc = sc.model_copy(update={"deployment": sc.deployment.model_copy(update={"hardware": None})})
    with pytest.raises(InputError) as e:
        energy(sc, load_catalog(), _energy_usage())
    assert (e.value.message, e.value.where) == (
        "energy needs `deployment.hardware` (for its power)", "deployment.hardware")
    for over, where in (({"finance.cloud_region": "mars-1"}, "finance.cloud_region"),
                        ({"deployment.pricing.plan": "owned",
                          "finance": {"owned": {"capex_per_gpu": 30000, "region": "mars-1"}}},
                         "finance.owned.region")):
        with pytest.raises(InputError) as e:
            energy(_chatbot(**over), load_catalog(), _energy_usage())
        assert e.value.where == where
        assert e.value.message.startswith("no grid carbon intensity for region 'mars-1'")


def test_energy_owned_site_grid_region_and_notes():
    from infercost.econ.energy import energy

    cat = load_catalog()
    own = {"deployment.pricing.plan": "owned"}
    # your site's own grid figure, no region, no host watts: board power only,
    # 0.5 x 700 + 0.5 x 69 = 384.5 Wh x 1.58 = 0.60751 kWh, x 100 g = 60.751 g
    e = energy(_chatbot(**own, finance={"owned": {"capex_per_gpu": 30000, "grid_gco2_per_kwh": 100,
                                                  "host_watts_per_gpu": 0}}), cat, _energy_usage())
    assert (e.kwh, e.gco2e, e.region, e.grid_g_per_kwh) == (Decimal("0.60751"), Decimal("60.751"), "", 100)
    assert e.notes == ("board power only (no host watts) x PUE 1.58 (your site: finance.owned)",)
    # a region without a grid figure: that region's grid (europe-north1, 127 g/kWh), not the
    # us-east-1 default; 0.60751 x 127 = 77.15377 g
    e = energy(_chatbot(**own, finance={"owned": {"capex_per_gpu": 30000,
                                                  "region": "europe-north1"}}), cat, _energy_usage())
    assert (e.region, e.grid_g_per_kwh, e.gco2e) == ("europe-north1", 127, Decimal("77.15377"))
    # the site's host watts named; an assumed idle power (a100-80gb-pcie: 0.1 x 300 W) kept
    e = energy(_chatbot(**own, finance={"owned": {"capex_per_gpu": 30000, "region": "europe-north1",
                                                  "host_watts_per_gpu": 575}}), cat, _energy_usage())
    assert e.notes[-1] == "board power + host share 575 W per GPU x PUE 1.58 (your site: finance.owned)"
    e = energy(_chatbot(**own, **{"deployment.hardware": "a100-80gb-pcie"},
                        finance={"owned": {"capex_per_gpu": 30000, "region": "europe-north1"}}),
               cat, _energy_usage())
    assert e.notes[0] == ("idle board power 30 W = 0.1 x TDP (assumed; see energy.yaml "
                          "power_curve)")
    # the same hardware in the cloud: the catalog's note first, then the default region's
    e = energy(_chatbot(**{"deployment.hardware": "a100-80gb-pcie"}), cat, _energy_usage())
    assert e.notes[0] == ("idle board power 30 W = 0.1 x TDP (assumed; see energy.yaml "
                          "power_curve)")
    assert e.notes[-1] == "no finance.cloud_region: grid intensity of us-east-1 assumed"


def test_energy_region_of_the_finance_cloud_provider():
    from infercost.econ.energy import energy

    # the aws pricing provider, finance naming gcp: the gcp h100-sxm listing's region
    # (us-west1, 60 g/kWh), as the cloud the finance block runs on
    e = energy(_chatbot(finance={"cloud_provider": "gcp"}), load_catalog(), _energy_usage())
    assert (e.region, e.grid_g_per_kwh) == ("us-west1", 60)
    e = energy(_chatbot(**{"finance.cloud_region": "europe-north1"}), load_catalog(),
               _energy_usage())
    assert (e.region, e.grid_g_per_kwh) == ("europe-north1", 127)
