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
    # readings); PUE 1.58 (catalog)
    # busy 0.5 GPU-h x 700 W + idle 0.5 GPU-h x 69 W = 350 + 34.5 = 384.5 Wh
    # x PUE 1.58 = 607.51 Wh = 0.60751 kWh
    assert e.kwh == Decimal("0.60751")
    assert e.idle_w == 69 and not any("assumed" in n for n in e.notes)
    # region: the aws h100-sxm listing's region us-east-1, 309 g/kWh -> 0.60751 x 309 = 187.72059 g
    assert e.region == "us-east-1" and e.grid_g_per_kwh == 309
    assert e.gco2e == Decimal("187.72059")
    # 1,000 inferences: 0.00060751 kWh and 0.18772059 g each; 1M tokens: x 1e6 / 1e6 = same as total
    assert e.kwh_per_inference == Decimal("0.00060751")
    assert e.gco2e_per_inference == Decimal("0.18772059")
    assert e.kwh_per_1m_tokens == Decimal("0.60751")
    # warm-up counts at full load: + 0.1 GPU-h x 700 W x 1.58 = 0.1106 kWh
    assert energy(sc, cat, _usage(0.5, 0.5, 0.1)).kwh == Decimal("0.60751") + Decimal("0.1106")


def test_monotone_in_utilisation():
    sc, cat = load_scenario(EXAMPLE), load_catalog()
    kwh = [energy(sc, cat, _usage(u / 10, 1 - u / 10)).kwh for u in range(11)]
    assert all(a < b for a, b in zip(kwh, kwh[1:], strict=False))


@pytest.mark.parametrize("busy", [0.2, 0.75])
def test_tco_and_estimate_agree(busy):
    sc, cat = load_scenario(EXAMPLE, **{"finance.cloud_region": "us-east-1"}), load_catalog()
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
