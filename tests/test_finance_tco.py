"""The TCO model on small hand-computed cases, the decision's flip conditions, and the CLI."""

import json
import subprocess
import sys
from dataclasses import replace
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from infercost.econ.owned import OwnedInputs, owned_gpu_month
from infercost.finance.decision import advantage, decide, matching_discount
from infercost.finance.tco import CommitmentInputs, TcoInputs, run_model, scale_traffic
from tests.conftest import ROOT

D = Decimal
H = D(730)


def _owned(**kw) -> OwnedInputs:
    base = dict(capex_per_gpu=D(1200), life_months=12, residual=D(0), idle_w=D(100), full_w=D(500),
                host_w=D(0), pue=D("1.5"), price_per_kwh=D("0.1"), colo_per_kw_month=D(0),
                maintenance=D(0))
    base.update(kw)
    return OwnedInputs(**base)


def _inputs(**kw) -> TcoInputs:
    base = dict(currency="USD", horizon=12, discount_rate=D(0), growth=D(0), max_utilization=D("0.8"),
                gpus_per_replica=1, base_replicas=1, base_busy_hours=H / 2, base_rented_hours=H,
                base_inferences=D(1_000_000), base_tokens=D(0), on_demand=D(2),
                negotiated_discount=D("0.1"), spot=None, spot_overhead=D("0.05"), owned=_owned())
    base.update(kw)
    return TcoInputs(**base)


def test_owned_gpu_month_by_hand():
    # u = 0.5: board 100 + (500 - 100) x 0.5 = 300 W; x PUE 1.5 = 450 W; x 730 h = 328.5 kWh
    # power 328.5 x 0.1 = 32.85; depreciation 1200 / 12 = 100; colo 0.5 kW x 20 = 10;
    # maintenance 1200 x 0.12 / 12 = 12
    m = owned_gpu_month(_owned(colo_per_kw_month=D(20), maintenance=D("0.12")), D("0.5"))
    assert m.kwh == D("328.5")
    assert m.power == D("32.85")
    assert m.depreciation == D(100)
    assert m.colo == D(10)
    assert m.maintenance == D(12)
    assert m.total == D("154.85")


def test_monthly_cash_flows_by_hand():
    mdl = run_model(_inputs())
    # on-demand: 730 rented h x 1 GPU x 2.00 x (1 - 0.10) = 1,314.00 each month
    assert set(mdl.options["on-demand"].cash) == {D("1314.0")}
    own = mdl.options["owned"].cash
    # month 0: capex 1,200 + power 32.85; months 1..11: power 32.85; the GPU reaches the end
    # of its 12-month life at the horizon with residual 0, so no book value is credited
    assert own[0] == D("1232.85")
    assert all(c == D("32.85") for c in own[1:])
    # expense spreads the capex: 100 depreciation + 32.85 power each month
    assert set(mdl.options["owned"].expense) == {D("132.85")}


def test_refresh_residual_and_terminal_value():
    # life 4 months, residual 25%, horizon 6: bought at 0, refreshed at 4 (receive 300, pay 1200);
    # at the horizon the refreshed GPU is 2 months old: book = 1200 x (1 - 0.75 x 2/4) = 750
    inp = _inputs(horizon=6, owned=_owned(life_months=4, residual=D("0.25"), price_per_kwh=D(0)))
    own = run_model(inp).options["owned"].cash
    assert own == (D(1200), D(0), D(0), D(0), D(900), D(-750))


def test_commitment_upfront_and_overflow():
    # 12-month horizon, 1y commitment paid upfront at 1.00/GPU-h on the 1-replica fleet:
    # 730 x 1.00 x 12 = 8,760 in month 0; traffic growing 10% a month pushes rented hours
    # above the committed 730 h from month 1: overflow on demand at 2 x 0.9 = 1.80/GPU-h
    inp = _inputs(growth=D("0.1"), base_busy_hours=D(100),
                  commitments=(CommitmentInputs("1y-upfront", 12, "upfront", D(1)),))
    c = run_model(inp).options["1y-upfront"].cash
    assert c[0] == D(8760)
    assert c[1] == (H * D("1.1") - H) * D("1.8")  # 73 h over x 1.80 = 131.40
    assert c[1] == D("131.4")


def test_fleet_grows_with_traffic_and_capacity_is_checked():
    # busy 584 h = 0.8 x 730: any growth needs a second GPU from month 1
    inp = _inputs(growth=D("0.05"), base_busy_hours=D(584), horizon=3)
    mdl = run_model(inp)
    assert mdl.fleet_gpus == (1, 2, 2)
    from infercost.errors import InputError

    with pytest.raises(InputError, match="stated capacity of 1"):
        run_model(replace(inp, owned=replace(inp.owned, max_gpus=1)))


def test_flip_conditions_are_where_the_advantage_changes_sign():
    inp = _inputs(horizon=24, discount_rate=D("0.08"), base_busy_hours=H / 5, base_rented_hours=H / 5 / D("0.6"),
                  owned=_owned(life_months=24, capex_per_gpu=D(9000)))
    d = decide(inp)
    assert d.breakeven_utilization is not None
    u0 = inp.base_utilization
    s = D(repr(d.breakeven_utilization)) / u0
    assert abs(advantage(scale_traffic(inp, s))) < D(1)  # same cost at the break-even utilisation
    assert advantage(scale_traffic(inp, s * D("1.1"))) > 0  # owning wins above it
    assert advantage(scale_traffic(inp, s * D("0.9"))) < 0
    md = matching_discount(d.model)
    od_at = run_model(replace(inp, negotiated_discount=D(repr(md))))
    assert abs(od_at.npv("on-demand") - od_at.npv("owned")) < D("0.01")
    assert any("Owning wins above" in t for t in d.text)
    assert [s.swing for s in d.sensitivity] == sorted((s.swing for s in d.sensitivity), reverse=True)


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "infercost", *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)


def test_cli_tco_json_on_the_example(tmp_path):
    r = _cli("tco", "examples/onprem-vs-cloud.yaml", "--json", "--html", str(tmp_path / "t.html"),
             "--xlsx", str(tmp_path / "t.xlsx"))
    assert r.returncode == 0, r.stderr
    page = (tmp_path / "t.html").read_text()
    assert "<polyline" in page and "sensitivity tornado" in page
    assert (tmp_path / "t.xlsx").stat().st_size > 0
    d = json.loads(r.stdout)
    assert set(d["options"]) == {"on-demand", "spot", "1y-none", "3y-upfront", "owned"}
    assert len(d["options"]["owned"]["monthly_cash"]) == 36
    # the chatbot fleet: 40 req/s on 4 replicas of 32 / S(32) = 14.889284 req/s at full
    # batches (continuous batching) is 40 / 59.557 = 67.16% utilised; the owned fleet is the
    # 4 replicas (40 / 14.889 / 0.8 = 3.36 -> 4) and owning wins above 63% utilisation
    assert d["utilization_month0"] == pytest.approx(0.671624, abs=1e-6)
    assert d["fleet_gpus"][0] == 4
    assert d["decision"][0].startswith("Recommendation: owned")
    assert d["breakeven_utilization"] == pytest.approx(0.6322, abs=1e-4)
    assert any(t.startswith("Owning wins above 63% utilisation or with traffic growth above")
               for t in d["decision"])
    assert d["energy"][0]["gco2e_per_inference"] is not None


def test_cli_bad_input_is_one_line():
    r = _cli("tco", "examples/onprem-vs-cloud.yaml", "--set", "finance.horizon_months=0")
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "finance.horizon_months" in r.stderr
    r = _cli("tco", "examples/onprem-vs-cloud.yaml", "--set", "finance.growth_per_month=0.3")
    assert r.returncode == 2 and r.stderr.count("\n") == 1
    assert "stated capacity" in r.stderr and "onprem-vs-cloud.yaml" in r.stderr


def test_energy_and_carbon_per_inference_by_hand():
    from infercost.finance.decision import energy

    inp = _inputs(cloud_idle_w=D(100), cloud_full_w=D(500), cloud_pue=D("1.5"), cloud_grid=D(400),
                  owned=_owned(grid_gco2_per_kwh=D(100)))
    e = {x.option: x for x in energy(run_model(inp))}
    # rented at u = 365 / 730 = 0.5: 300 W x 1.5 PUE = 450 W x 730 h = 328.5 kWh a month
    # / 1,000,000 inferences = 0.0003285 kWh each; x 400 g/kWh = 0.1314 g
    assert e["on-demand"].kwh_per_inference == D("0.0003285")
    assert e["on-demand"].gco2_per_inference == D("0.1314")
    # owned: the same power model at the owned fleet's u = 0.5, on the owned site's grid
    assert e["owned"].kwh_per_inference == D("0.0003285")
    assert e["owned"].gco2_per_inference == D("0.03285")
    assert e["on-demand"].kwh_per_million_tokens is None  # no tokens in this case


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 40), st.integers(200, 5000), st.integers(1, 24), st.integers(0, 50))
def test_undiscounted_npv_is_total_cash_and_capex_only_hurts_owning(growth_bp, capex, life, res_pct):
    inp = _inputs(horizon=18, growth=D(growth_bp) / 1000, spot=D("0.8"),
                  owned=_owned(capex_per_gpu=D(capex), life_months=life, residual=D(res_pct) / 100),
                  commitments=(CommitmentInputs("1y-partial", 12, "partial", D(1)),))
    mdl = run_model(inp)
    for name, o in mdl.options.items():
        assert mdl.npv(name) == o.total  # discount rate 0: NPV is the sum of the flows
    dearer = replace(inp, owned=replace(inp.owned, capex_per_gpu=D(capex) * 2))
    assert advantage(dearer) < advantage(inp)
