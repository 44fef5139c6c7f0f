"""Owned hardware priced from capex by default: plan `owned` without `finance.owned` goes
through `econ.owned` with the catalog's `prices.owned_hardware` inputs, at the modelled
utilisation, in `estimate` and `simulate`. Amounts are worked by hand below.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from infercost.api import load_scenario as api_load_scenario
from infercost.core.catalog import load_catalog
from infercost.core.scenario import load_scenario
from infercost.econ.cost import accelerator_rates
from infercost.econ.owned import owned_gpu_hour_price, owned_gpu_month, owned_inputs
from infercost.errors import InputError

SCENARIO = """\
name: owned-h100
currency: USD
model: {id: llama-3.1-8b, precision: fp8}
workload:
  arrivals: {process: poisson, rate_per_s: 0.5}
  duration_s: 600
  request: {prompt_tokens: {mean: 500}, output_tokens: {mean: 200}}
deployment:
  hardware: h100-sxm
  gpus_per_replica: 1
  pricing: {provider: owned, plan: owned}
  replicas: 1
"""

# h100-sxm, catalog prices.owned_hardware: capex 39,625 USD, 5 years (60 months), residual 0,
# host 575 W, hosting 196 USD/kW-month, maintenance 10%/year; hardware.yaml: idle 69 W,
# TDP 700 W; energy.yaml: PUE 1.58, electricity 0.0806 USD/kWh.
DEP = Decimal(39625) / 60                      # 660.41666... USD a month
COLO = Decimal("1.275") * 196                  # (700 + 575) W = 1.275 kW -> 249.9 USD a month
MAINT = Decimal(39625) * Decimal("0.10") / 12  # 330.20833... USD a month


def _hand_hour(u: Decimal) -> Decimal:
    # kWh a month = (69 + (700 - 69) x u + 575) W x 1.58 x 730 h / 1000
    kwh = (69 + 631 * u + 575) * Decimal("1.58") * 730 / 1000
    return (DEP + kwh * Decimal("0.0806") + COLO + MAINT) / 730


@pytest.fixture()
def scen(tmp_path: Path):
    p = tmp_path / "owned.yaml"
    p.write_text(SCENARIO)
    return load_scenario(p)


def test_owned_gpu_hour_at_half_load_by_hand(scen):
    rate, label = owned_gpu_hour_price(scen, load_catalog(), 0.5)
    # u = 0.5: (69 + 315.5 + 575) = 959.5 W x 1.58 x 0.73 = 1,106.6873 kWh x 0.0806 = 89.19899638
    # 660.41667 + 89.19900 + 249.9 + 330.20833 = 1,329.72400 USD a month / 730 = 1.8215397 USD/GPU-h
    assert rate.currency == "USD"
    assert abs(rate.amount - Decimal("1.8215397")) < Decimal("1e-7")
    assert abs(rate.amount - _hand_hour(Decimal("0.5"))) < Decimal("1e-20")
    assert "catalog owned_hardware" in label and "over 60 months" in label
    # the old flat catalog rate (1.281: card only, 3 years, no hosting) is no longer used
    assert rate.amount != Decimal("1.281")


def test_estimate_prices_owned_through_econ_owned(scen):
    from infercost.capacity.estimate import estimate

    cat = load_catalog()
    r = estimate(scen, cat)
    u = r.usage.utilization
    busy = next(c for c in r.breakdown.components if c.name == "accelerator_busy")
    assert "catalog owned_hardware" in busy.driver
    expected = _hand_hour(Decimal(str(u)))
    assert abs(busy.rate.amount - expected) < Decimal("1e-12"), (busy.rate, expected)
    # the power share depends on the modelled utilisation: this scenario is far from full load
    assert 0 < u < 1 and busy.rate.amount < _hand_hour(Decimal(1))


def test_simulate_prices_owned_through_econ_owned(scen):
    from infercost.sim.run import simulate

    cat = load_catalog()
    res = simulate(scen, cat, seed=1)
    b = res.cost
    busy = next(c for c in b.components if c.name == "accelerator_busy")
    assert "catalog owned_hardware" in busy.driver
    assert abs(busy.rate.amount - _hand_hour(Decimal(str(res.usage.utilization)))) < Decimal("1e-12")


def test_flat_rate_only_as_fallback_and_said_so(scen):
    cat = load_catalog()
    del cat.owned["h100-sxm"]
    rates = accelerator_rates(scen, cat, ["owned"], {}, 0.5)
    rate, label = rates["owned"]
    # prices.yaml h100-sxm-owned: 30000 / 3 / 8760 + 1.73 x 0.0806 = 1.281 USD/GPU-h (flat)
    assert rate.amount == Decimal("1.281") and "flat rate" in label


def test_scenario_override_beats_the_catalog_inputs(tmp_path: Path):
    p = tmp_path / "o.yaml"
    p.write_text(SCENARIO.replace("{provider: owned, plan: owned}",
                                  "{provider: owned, plan: owned, price_per_gpu_hour: 0.9}"))
    rate, label = accelerator_rates(load_scenario(p), load_catalog(), ["owned"], {}, 0.5)["owned"]
    assert rate.amount == Decimal("0.9") and label == "scenario override"


def test_finance_owned_still_wins(tmp_path: Path):
    p = tmp_path / "o.yaml"
    p.write_text(SCENARIO + "finance:\n  owned: {capex_per_gpu: 20000, depreciation_years: 3}\n")
    inp = owned_inputs(load_scenario(p), load_catalog())
    # finance.owned: 20,000 over 36 months, no host, no hosting, no maintenance
    assert inp.capex_per_gpu == 20000 and inp.life_months == 36 and inp.host_w == 0


def test_bad_owned_hardware_entry_names_the_key(tmp_path: Path):
    bad = tmp_path / "cat.yaml"
    bad.write_text("prices:\n  owned_hardware:\n    - {hardware: l4, capex_per_gpu: 3000, depreciation_years: 4,"
                   " host_watts_per_gpu: 60, colo_per_kw_month: 150, maintenance: 0.1, residual: 1.5,"
                   " source: x, as_of: 2026-11-29}\n")
    with pytest.raises(InputError) as e:
        load_catalog(bad)
    assert "prices.owned_hardware[0]" in str(e.value) and "residual" in str(e.value)


def test_every_owned_price_has_sourced_owned_inputs():
    cat = load_catalog()
    flat = {i.hardware for i in cat.instances if "owned" in i.per_gpu_hour}
    assert flat <= set(cat.owned)
    for o in cat.owned.values():
        assert o.source and o.as_of and o.capex_per_gpu > 0 and o.depreciation_years >= 1
        hw = cat.get_hardware(o.hardware)
        assert hw.tdp_w > 0


def test_sourced_idle_watts_are_below_tdp():
    cat = load_catalog()
    sourced = {h.id: h for h in cat.hardware.values() if h.idle_watts}
    assert {"h100-sxm", "h200-sxm", "a100-80gb-sxm", "l40s", "l4", "t4", "a10g"} <= set(sourced)
    for h in sourced.values():
        assert h.idle_source and h.idle_as_of and 0 < h.idle_watts < h.tdp_w


@settings(max_examples=60, deadline=None)
@given(a=st.decimals(min_value=0, max_value=1, places=3), b=st.decimals(min_value=0, max_value=1, places=3))
def test_owned_month_is_monotone_in_utilisation(a, b):
    # only power depends on load: more busy share never costs less, and kWh never falls
    cat = load_catalog()
    sc = api_load_scenario("examples/chatbot.yaml", **{"deployment.pricing": {"provider": "owned", "plan": "owned"}})
    inp = owned_inputs(sc, cat)
    lo, hi = sorted((a, b))
    m_lo, m_hi = owned_gpu_month(inp, lo), owned_gpu_month(inp, hi)
    assert m_lo.kwh <= m_hi.kwh and m_lo.total <= m_hi.total
    assert m_lo.depreciation == m_hi.depreciation and m_lo.colo == m_hi.colo


def test_owned_energy_is_the_power_line_kwh_and_the_clouds(scen):
    # the kWh that plan owned pays for (owned_gpu_month) is the kWh econ.energy reports, and
    # the same GPUs on a cloud plan draw the same: board + host share 575 W, PUE 1.58
    from infercost.econ.energy import energy
    from infercost.econ.usage import CapacityUsage

    cat = load_catalog()

    def usage(plan: str) -> CapacityUsage:
        return CapacityUsage(period_hours=1.0, inferences=1000.0, busy_hours={plan: 0.5},
                             idle_hours={plan: 0.5}, input_tokens=0.0, output_tokens=0.0)

    owned = energy(scen, cat, usage("owned"))
    # 0.5 h x (700 + 575) W + 0.5 h x (69 + 575) W = 959.5 Wh x 1.58 = 1.51601 kWh
    assert owned.kwh == Decimal("1.51601")
    # owned_gpu_month at u = 0.5: 959.5 W x 1.58 x 730 h / 1000 = 1,106.6873 kWh a month = 1.51601 x 730
    assert owned_gpu_month(owned_inputs(scen, cat), Decimal("0.5")).kwh == Decimal("1.51601") * 730
    cloud = api_load_scenario("examples/chatbot.yaml")  # h100-sxm on aws on-demand
    assert energy(cloud, cat, usage("on-demand")).kwh == owned.kwh
