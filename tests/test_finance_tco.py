"""The TCO model on small hand-computed cases, the decision's flip conditions, and the CLI.

Every option is sized by one rule: replicas needed R_m = max(replicas_0, ceil(busy_m /
(730 x max_utilization))); rented options pay R_m, the owned fleet is max(R_0..R_m), each
commitment term commits the count minimising its NPV (docs/finance.md)."""

import json
import math
import os
import subprocess
import sys
from dataclasses import replace
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from infercost.econ.owned import OwnedInputs, owned_gpu_month
from infercost.errors import InputError
from infercost.finance.decision import advantage, breakeven, decide, matching_discount
from infercost.finance.tco import CommitmentInputs, TcoInputs, needed, run_model, scale_traffic
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
                gpus_per_replica=1, base_replicas=1, base_busy_hours=H / 2,
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


def _commit(rate: str) -> TcoInputs:
    # busy 500 h x 1.05^m against 0.8 x 730 = 584 h a replica: R_m = 1 in months 0..3
    # (500 x 1.05^3 = 578.8), 2 in months 4..11 (607.8 and up); a 12-month commitment paid
    # upfront beside on-demand at 2 x 0.9 = 1.80/GPU-h
    return _inputs(growth=D("0.05"), base_busy_hours=D(500),
                   commitments=(CommitmentInputs("1y-upfront", 12, "upfront", D(rate)),))


def test_rented_options_pay_the_replicas_needed_each_month():
    inp = _commit("1")
    assert needed(inp) == [1] * 4 + [2] * 8
    od = run_model(inp).options["on-demand"].cash
    assert od[:4] == (D(1314),) * 4 and od[4:] == (D(2628),) * 8  # 730 h x 1.80, x 2 replicas
    # a tenth of the traffic on the same 1 replica: the same rented cost, never less
    assert run_model(scale_traffic(inp, D("0.1"))).options["on-demand"].total == 12 * D(1314)


def test_commitment_commits_the_replicas_that_minimise_its_npv():
    # a second committed replica costs 730 x 12 x rate and saves 8 months of on-demand,
    # 8 x 730 x 1.80 = 10,512: at 1.00/GPU-h (8,760) both are committed upfront,
    # 2 x 8,760 = 17,520 in month 0 and nothing after
    c = run_model(_commit("1")).options["1y-upfront"].cash
    assert c == (D(17520),) + (D(0),) * 11
    # at 1.50/GPU-h (13,140 > 10,512) one is: 13,140 upfront, the second replica on demand
    # (730 x 1.80 = 1,314) in months 4..11
    c = run_model(_commit("1.5")).options["1y-upfront"].cash
    assert c == (D(13140),) + (D(0),) * 3 + (D(1314),) * 8


def test_more_traffic_never_costs_less_with_a_commitment():
    # committing the month-0 need would not do: 1.1 x 500 h needs 2 replicas from month 2,
    # 1.17 x 500 h from month 0; committing 1 then 2 replicas at 1.00/GPU-h (< 1.80 on demand)
    # would make the larger load cheaper. Minimising each term's NPV, both commit 2.
    lo = run_model(scale_traffic(_commit("1"), D("1.1")))
    hi = run_model(scale_traffic(_commit("1"), D("1.17")))
    assert needed(lo.inputs)[:3] == [1, 1, 2] and needed(hi.inputs)[0] == 2
    assert hi.npv("1y-upfront") >= lo.npv("1y-upfront") == D(17520)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 300), st.integers(1, 300), st.integers(-20, 60), st.integers(30, 170), st.integers(0, 30))
def test_more_traffic_never_costs_less_in_any_option(a, b, growth_bp, rate_c, disc_pct):
    lo, hi = sorted((a, b))
    inp = _inputs(horizon=30, discount_rate=D(disc_pct) / 100, growth=D(growth_bp) / 1000, spot=D("0.8"),
                  base_busy_hours=D(500),
                  commitments=(CommitmentInputs("1y-none", 12, "none", D(rate_c) / 100),
                               CommitmentInputs("1y-partial", 12, "partial", D(rate_c) / 100),
                               CommitmentInputs("3y-upfront", 36, "upfront", D(rate_c) / 100)))
    m_lo = run_model(scale_traffic(inp, D(lo) / 100))
    m_hi = run_model(scale_traffic(inp, D(hi) / 100))
    for name in m_lo.options:
        assert m_hi.npv(name) >= m_lo.npv(name) - D("1e-9"), name


def test_fleet_grows_with_traffic_and_capacity_is_checked():
    # busy 584 h = 0.8 x 730: any growth needs a second GPU from month 1
    inp = _inputs(growth=D("0.05"), base_busy_hours=D(584), horizon=3)
    mdl = run_model(inp)
    assert mdl.fleet_gpus == (1, 2, 2)
    from infercost.errors import InputError

    with pytest.raises(InputError, match="stated capacity of 1"):
        run_model(replace(inp, owned=replace(inp.owned, max_gpus=1)))


def test_breakeven_utilisation_is_owned_cost_per_gpu_hour_over_the_hourly_price():
    # flat power (idle = full = 500 W): 500 x 1.5 PUE x 730 h / 1000 = 547.5 kWh x 0.10 =
    # 54.75 a month; capex 1,200 in month 0, life 12 = the horizon, residual 0, no discounting:
    # owned NPV 1,200 + 12 x 54.75 = 1,857 over 12 x 730 = 8,760 GPU-h = 0.21199/GPU-h;
    # on-demand 2 x 0.9 = 1.80/GPU-h: break-even 1,857 / (8,760 x 1.80) = 11.777%
    inp = _inputs(owned=_owned(idle_w=D(500)))
    be = breakeven(run_model(inp))
    assert be.owned_per_gpu_hour == D(1857) / D(8760)
    assert be.rented_per_gpu_hour == D("1.8") and be.rented_option == "on-demand"
    assert be.utilization == D(1857) / (D(8760) * D("1.8"))
    # a property of the prices, not of today's traffic: a tenth of the load, the same figure
    assert breakeven(run_model(scale_traffic(inp, D("0.1")))) == be
    d = decide(inp)
    assert d.breakeven_utilization == pytest.approx(0.117770, abs=1e-6)  # 1,857 / 15,768
    assert any("owning wins when a GPU is needed more than 12% of the hours" in t for t in d.text)
    # spot with its overhead cheaper than on-demand: the cheaper hourly price is the reference
    be = breakeven(run_model(replace(inp, spot=D(1))))
    assert be.rented_option == "spot" and be.rented_per_gpu_hour == D("1.05")


def test_growth_flip_and_matching_discount_are_where_the_advantage_changes_sign():
    # rented and owned on the same replicas: growth favours owning by spreading its fixed
    # staff cost (3,000 a month) over more GPUs
    inp = _inputs(horizon=24, discount_rate=D("0.08"), base_busy_hours=D(500), growth=D("0.01"),
                  owned=_owned(life_months=24, capex_per_gpu=D(9000), staff_per_month=D(3000)))
    d = decide(inp)
    assert d.breakeven_growth is not None
    g = D(repr(d.breakeven_growth))
    assert advantage(replace(inp, growth=g + D("0.002"))) > 0  # owning wins above it
    assert advantage(replace(inp, growth=g - D("0.002"))) < 0
    md = matching_discount(d.model)
    od_at = run_model(replace(inp, negotiated_discount=D(repr(md))))
    assert abs(od_at.npv("on-demand") - od_at.npv("owned")) < D("0.01")
    assert [s.swing for s in d.sensitivity] == sorted((s.swing for s in d.sensitivity), reverse=True)


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "infercost", *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)


CAP = 14.889284  # req/s of one H100 replica of the example at full batches (tests/test_llm_busy.py)


def _example_needs(rate: float) -> list[int]:
    b = rate / CAP  # busy replicas in month 0
    return [max(4, math.ceil(b * 1.02 ** m / 0.8)) for m in range(36)]


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
    # batches (continuous batching) is 40 / 59.557 = 67.16% utilised; 2% growth a month:
    # R_m = max(4, ceil(2.686496 x 1.02^m / 0.8)) = 4 (months 0-8), 5 (9-20), 6 (21-29), 7
    need = _example_needs(40)
    assert need == [4] * 9 + [5] * 12 + [6] * 9 + [7] * 6
    assert d["utilization_month0"] == pytest.approx(0.671624, abs=1e-6)
    assert d["fleet_gpus"] == need
    v = 1 / 1.08 ** (1 / 12)  # monthly discount factor
    # on-demand: R_m x 730 h x 6.88 (aws p5.48xlarge 55.04 / 8 GPUs), discounted
    od = sum(n * 730 * 6.88 * v ** m for m, n in enumerate(need))
    assert float(d["options"]["on-demand"]["npv"]) == pytest.approx(od, abs=0.01)  # 853,229.58
    # 1y at 4.80: each term commits K where the discounted months needing more than K stop
    # paying for a replica (4.80 / 6.88 = 70% of the term): K = 4, 5, 6 (7 is needed 6 of 12)
    k = [4] * 12 + [5] * 12 + [6] * 12
    y1 = sum((kk * 4.80 + max(0, n - kk) * 6.88) * 730 * v ** m for m, (kk, n) in enumerate(zip(k, need, strict=True)))
    assert float(d["options"]["1y-none"]["npv"]) == pytest.approx(y1, abs=0.01)  # 610,901.30
    # 3y upfront at 2.90: 2.90 x 36 = 104.4 h-equivalents of on-demand at 6.88 = 15.2 months:
    # a 6th replica would save only the 15 discounted months 21-35, so K = 5, paid in month 0
    y3 = 5 * 2.90 * 730 * 36 + sum(max(0, n - 5) * 6.88 * 730 * v ** m for m, n in enumerate(need))
    assert float(d["options"]["3y-upfront"]["npv"]) == pytest.approx(y3, abs=0.01)  # 468,502.95
    assert d["decision"][0].startswith("Recommendation: spot")
    # break-even utilisation: owned NPV / NPV of its GPU-hours against spot x 1.05
    gpu_h = sum(n * 730 * v ** m for m, n in enumerate(need))
    owned_per_h = float(d["options"]["owned"]["npv"]) / gpu_h
    assert float(d["owned_cost_per_gpu_hour"]) == pytest.approx(owned_per_h, abs=1e-6)  # 2.886238
    assert d["hourly_rent_option"] == "spot"
    assert d["breakeven_utilization"] == pytest.approx(owned_per_h / float(d["hourly_rent_per_gpu_hour"]),
                                                       abs=1e-4)  # 1.0475: spot wins every hour
    assert any("renting by the hour is cheaper even when a GPU is needed every hour" in t for t in d["decision"])
    assert any(t.startswith("Owning wins against spot with traffic growth above 2.7% a month")
               for t in d["decision"])
    assert d["energy"][0]["gco2e_per_inference"] is not None


def _tco_json(*sets: str) -> dict:
    args = ["tco", "examples/onprem-vs-cloud.yaml", "--json"]
    for s in sets:
        args += ["--set", s]
    r = _cli(*args)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_cli_more_traffic_costs_more_in_every_option():
    lo, hi = _tco_json("workload.arrivals.rate_per_s=40"), _tco_json("workload.arrivals.rate_per_s=50")
    for name in lo["options"]:
        assert float(hi["options"][name]["npv"]) > float(lo["options"][name]["npv"]), name
    # the break-even utilisation is owned cost per GPU-hour / the hourly price, not today's
    # utilisation (which rises 25%): only the fixed staff and network spread over more GPUs
    # (4 -> 5 in month 0) lower it, 1.0475 -> 0.9662
    assert lo["breakeven_utilization"] == pytest.approx(1.0475, abs=1e-4)
    assert hi["breakeven_utilization"] == pytest.approx(0.9662, abs=1e-4)


def test_cli_overloaded_scenario_is_sized_for_the_whole_load():
    # 80 req/s on 4 replicas serving 59.56: every option sized for 80 / 14.889284 = 5.373
    # busy replicas, ceil(5.373 / 0.8) = 7 in month 0, and a note says so
    d = _tco_json("workload.arrivals.rate_per_s=80")
    assert d["fleet_gpus"] == _example_needs(80)
    assert d["fleet_gpus"][0] == 7
    assert any(n.startswith("overloaded: the scenario's 4 replicas cannot serve 25.6% of requests")
               for n in d["notes"])
    v = 1 / 1.08 ** (1 / 12)
    od = sum(n * 730 * 6.88 * v ** m for m, n in enumerate(_example_needs(80)))
    assert float(d["options"]["on-demand"]["npv"]) == pytest.approx(od, abs=0.01)
    assert float(d["inferences_per_month"][0]) == pytest.approx(80 * 3600 * 730, rel=1e-6)


def test_cli_rented_carbon_falls_back_to_the_listing_region_as_estimate_does():
    d = _tco_json("finance.cloud_region=null")
    assert any(n.startswith("no finance.cloud_region: grid intensity of us-east-1 assumed") for n in d["notes"])
    # us-east-1: 309 gCO2e/kWh, as estimate
    e = d["energy"][0]
    assert float(e["gco2e_per_inference"]) == pytest.approx(float(e["kwh_per_inference"]) * 309, rel=1e-4)


def test_cli_bad_input_is_one_line():
    r = _cli("tco", "examples/onprem-vs-cloud.yaml", "--set", "finance.horizon_months=0")
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "finance.horizon_months" in r.stderr
    r = _cli("tco", "examples/onprem-vs-cloud.yaml", "--set", "finance.growth_per_month=0.3")
    assert r.returncode == 2 and r.stderr.count("\n") == 1
    assert "stated capacity" in r.stderr and "onprem-vs-cloud.yaml" in r.stderr


@pytest.mark.parametrize("setting, key, says", [
    ("finance.growth_per_month=5", "finance.growth_per_month", "less than or equal to 1"),
    ("finance.growth_per_month=-0.6", "finance.growth_per_month", "greater than or equal to -0.5"),
    ("finance.horizon_months=241", "finance.horizon_months", "less than or equal to 240"),
    ("finance.cloud_provider=nope", "finance.cloud_provider", "unknown provider 'nope'"),
])
def test_cli_out_of_range_finance_keys_are_named(setting, key, says):
    r = _cli("tco", "examples/onprem-vs-cloud.yaml", "--set", "finance.owned.max_gpus=null", "--set", setting)
    assert r.returncode == 2 and r.stderr.count("\n") == 1, r.stderr
    assert f"onprem-vs-cloud.yaml: {key}: " in r.stderr and says in r.stderr
    if key == "finance.cloud_provider":
        assert "(known: aws, " in r.stderr


def test_money_past_the_bound_is_refused_naming_growth():
    # 100% a month for 36 months: 2^35 x month 0's traffic, far past 1e15 USD
    r = _cli("tco", "examples/onprem-vs-cloud.yaml", "--set", "finance.owned.max_gpus=null",
             "--set", "finance.growth_per_month=1")
    assert r.returncode == 2 and r.stderr.count("\n") == 1, r.stderr
    assert "finance.growth_per_month: the on-demand option's cash over 36 months reaches" in r.stderr
    assert "past the 1e15 bound on money" in r.stderr
    with pytest.raises(InputError, match="1e15 bound"):
        run_model(_inputs(growth=D(1), horizon=60))


def test_a_long_horizon_runs_and_the_terminal_table_fits():
    r = subprocess.run([sys.executable, "-m", "infercost", "tco", "examples/onprem-vs-cloud.yaml",
                        "--set", "finance.horizon_months=240", "--set", "finance.growth_per_month=0"],
                       capture_output=True, text=True, cwd=ROOT, timeout=120, env={**os.environ, "COLUMNS": "80"})
    assert r.returncode == 0, r.stderr
    assert "$/inf of years 1, 2, 20: all 20 in --md" in r.stdout.replace("\n", " ")
    assert max(len(line) for line in r.stdout.splitlines()) <= 80


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


def test_irr_over_240_months_does_not_underflow():
    from infercost.finance.cashflow import irr

    # (1 - 0.99)^239 underflows a float to 0: the lower bound is raised for long flows
    r = irr([D(-1000)] + [D(10)] * 239)
    assert r is not None and abs(sum(v / (1 + r) ** t for t, v in enumerate([-1000] + [10] * 239))) < 1e-6
