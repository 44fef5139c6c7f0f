"""Energy and carbon per inference beside cost (econ.energy), shared with `infercost tco`."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from infercost.api import load_catalog, load_scenario
from infercost.econ.energy import energy
from infercost.econ.usage import CapacityUsage
from infercost.finance.tco import build_inputs, run_model

EXAMPLE = "examples/chatbot.yaml"  # h100-sxm, 1 GPU/replica, aws on-demand, no finance:


def _usage(busy: float, idle: float, warm: float = 0.0) -> CapacityUsage:
    return CapacityUsage(period_hours=1.0, inferences=1000.0, busy_hours={"on-demand": busy},
                         idle_hours={"on-demand": idle}, warmup_hours={"on-demand": warm} if warm else {},
                         input_tokens=800_000.0, output_tokens=200_000.0)


def test_hand_computed():
    sc, cat = load_scenario(EXAMPLE), load_catalog()
    e = energy(sc, cat, _usage(0.5, 0.5))
    # h100-sxm: TDP 700 W, idle_watts 69 W (catalog: median of 13 public nvidia-smi idle
    # readings); host share 575 W per GPU at any load (catalog prices.owned_hardware); PUE 1.58
    # busy 0.5 GPU-h x (700 + 575) W + idle 0.5 GPU-h x (69 + 575) W = 637.5 + 322 = 959.5 Wh
    # x PUE 1.58 = 1,516.01 Wh = 1.51601 kWh  (board power only, before: 0.60751 kWh)
    assert e.kwh == Decimal("1.51601")
    assert e.host_w == 575 and any("host share 575 W" in n for n in e.notes)
    assert e.idle_w == 69 and not any("assumed" in n for n in e.notes)
    # region: the aws h100-sxm listing's region us-east-1, 309 g/kWh -> 1.51601 x 309 = 468.44709 g
    assert e.region == "us-east-1" and e.grid_g_per_kwh == 309
    assert e.gco2e == Decimal("468.44709")
    # 1,000 inferences: 0.00151601 kWh and 0.46844709 g each; 1M tokens: x 1e6 / 1e6 = same as total
    assert e.kwh_per_inference == Decimal("0.00151601")
    assert e.gco2e_per_inference == Decimal("0.46844709")
    assert e.kwh_per_1m_tokens == Decimal("1.51601")
    # warm-up counts at full load: + 0.1 GPU-h x (700 + 575) W x 1.58 = 201.45 Wh = 0.20145 kWh
    assert energy(sc, cat, _usage(0.5, 0.5, 0.1)).kwh == Decimal("1.51601") + Decimal("0.20145")


@pytest.mark.parametrize("plan", ["spot", "reserved-1y", "owned"])
def test_same_gpus_same_load_same_energy_whatever_the_plan(plan):
    # a pricing label changes money, never watts: owned (catalog inputs) used to add the host
    # share while the cloud plans did not (1.51601 against 0.60751 kWh for this usage)
    cat = load_catalog()
    base = energy(load_scenario(EXAMPLE), cat, _usage(0.5, 0.5))
    other = energy(load_scenario(EXAMPLE, **{"deployment.pricing.plan": plan}), cat, _usage(0.5, 0.5))
    assert other.kwh == base.kwh == Decimal("1.51601")
    assert other.gco2e == base.gco2e == Decimal("468.44709")


def test_owned_site_grid_never_from_the_cloud_provider():
    cat = load_catalog()
    # plan owned with provider gcp: the gcp h100 listing's region (us-west1, 60 g/kWh) is the
    # cloud's, not your site's: the stated default us-east-1 (309 g/kWh) applies
    sc = load_scenario(EXAMPLE, **{"deployment.pricing.plan": "owned", "deployment.pricing.provider": "gcp"})
    e = energy(sc, cat, _usage(0.5, 0.5))
    assert e.region == "us-east-1" and e.grid_g_per_kwh == 309
    assert any("owned site" in n and "us-east-1 assumed" in n for n in e.notes)
    # the cloud plan on gcp does take the listing's region
    gcp = energy(load_scenario(EXAMPLE, **{"deployment.pricing.provider": "gcp"}), cat, _usage(0.5, 0.5))
    assert gcp.grid_g_per_kwh == 60 and gcp.kwh == e.kwh


def test_owned_site_region_from_finance_owned():
    cat = load_catalog()
    sc = load_scenario(EXAMPLE, **{
        "deployment.pricing.plan": "owned",
        "finance": {"owned": {"capex_per_gpu": 30000, "region": "europe-west9", "host_watts_per_gpu": 575}}})
    e = energy(sc, cat, _usage(0.5, 0.5))
    # your site: europe-west9 59 g/kWh; finance.owned.pue default 1.58, host 575 W: the same
    # 1.51601 kWh as the cloud -> x 59 = 89.44459 g
    assert e.region == "europe-west9" and e.gco2e == Decimal("89.44459")
    # a cloud plan beside the same finance.owned block runs in the cloud's region
    cloud = energy(load_scenario(EXAMPLE, finance={"owned": {"capex_per_gpu": 30000, "region": "europe-west9"}}),
                   cat, _usage(0.5, 0.5))
    assert cloud.region == "us-east-1" and cloud.kwh == Decimal("1.51601")


def test_hardware_without_host_figure_says_board_power_only():
    # l4 has no prices.owned_hardware entry: board power only, and the note says so
    sc = load_scenario(EXAMPLE, **{"deployment.hardware": "l4"})
    e = energy(sc, load_catalog(), _usage(0.5, 0.5))
    # l4: TDP 72 W, idle 28 W: 0.5 x 72 + 0.5 x 28 = 50 Wh x 1.58 = 79 Wh = 0.079 kWh
    assert e.host_w == 0 and e.kwh == Decimal("0.079")
    assert any(n.startswith("board power only: host share of l4 unknown") for n in e.notes)


def test_monotone_in_utilisation():
    sc, cat = load_scenario(EXAMPLE), load_catalog()
    kwh = [energy(sc, cat, _usage(u / 10, 1 - u / 10)).kwh for u in range(11)]
    assert all(a < b for a, b in zip(kwh, kwh[1:], strict=False))


@pytest.mark.parametrize("busy", [0.2, 0.75])
def test_tco_and_estimate_agree(busy):
    # one replica, as the usage says (tco sizes the rented replicas from the scenario's)
    sc = load_scenario(EXAMPLE, **{"finance.cloud_region": "us-east-1", "deployment.replicas": 1})
    cat = load_catalog()
    usage = _usage(busy, 1 - busy)
    e = energy(sc, cat, usage)
    inp = build_inputs(sc, cat, usage)
    month = run_model(inp).options["on-demand"].kwh[0]  # month 0, usage scaled to 730 h
    assert float(month / 730) == pytest.approx(float(e.kwh), rel=1e-9)
    assert inp.cloud_grid == e.grid_g_per_kwh


def test_estimate_json_has_energy():
    from infercost.api import estimate

    d = estimate(EXAMPLE).to_dict()
    en = d["facts"]["energy"] if "facts" in d else d["breakdown"]["facts"]["energy"]
    assert en["kwh_per_inference"] > 0 and en["region"] == "us-east-1"


@settings(max_examples=40, deadline=None)
@given(a=st.integers(min_value=0, max_value=1000), b=st.integers(min_value=0, max_value=1000))
def test_energy_monotone_in_utilisation_property(a, b):
    # the same paid hour, a larger busy share: never less energy or carbon
    sc, cat = load_scenario(EXAMPLE), load_catalog()
    lo, hi = sorted((a, b))
    e_lo = energy(sc, cat, _usage(lo / 1000, 1 - lo / 1000))
    e_hi = energy(sc, cat, _usage(hi / 1000, 1 - hi / 1000))
    assert e_lo.kwh <= e_hi.kwh and e_lo.gco2e <= e_hi.gco2e


def test_terminal_line_states_the_power_basis(capsys):
    from infercost.cli import main

    main(["estimate", EXAMPLE])
    out = " ".join(capsys.readouterr().out.split())
    # plain digits (4 significant), never E-notation; the basis named: host share counted
    assert "energy/inference: 0.0000" in out and "e-05" not in out
    assert "(board + host 575 W/GPU, PUE 1.58, 309 g/kWh us-east-1)" in out
    main(["estimate", EXAMPLE, "--set", "deployment.hardware=l4"])
    assert "(board power only, PUE 1.58" in " ".join(capsys.readouterr().out.split())
