"""optimize shows energy and carbon per 1k inferences of the reported plans (econ.energy,
as in estimate): hand-computed kWh and gCO2e, every output, 80 columns."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from infercost.core.catalog import load_catalog
from infercost.core.scenario import validate
from infercost.decide.optimize import optimize

# 15 req/s constant, 100 ms each at batch 1, price 2 USD/GPU-h on every hardware.
SCEN = {
    "name": "energy-opt",
    "currency": "USD",
    "model": {"quality": {"metric": "accuracy", "value": 0.9}},
    "workload": {"arrivals": {"process": "constant", "rate_per_s": 15}, "duration_s": 3600, "request": {}},
    "service": {"distribution": "constant", "mean_ms": 100, "per_item_ms": 100},
    "deployment": {"hardware": "h100-sxm", "replicas": 4,
                   "pricing": {"provider": "aws", "plan": "on-demand", "price_per_gpu_hour": 2},
                   "batching": {"max_batch": 1}},
    "slo": {"p99_latency_ms": 1000},
}
KW = {"hardware": ["h100-sxm"], "simulate": False, "autoscale": False, "runners_up": 1}


def test_winner_and_runner_up_energy_by_hand():
    o = optimize(validate(SCEN, "e"), load_catalog(), **KW)
    w, r = o.winner.to_dict(), o.runners_up[0].to_dict()
    assert w["replicas"] == 2 and r["replicas"] == 3
    # a month: 15/s x 3,600 x 730 = 39,420,000 inferences = 39,420 thousands; busy 15 x 0.1 =
    # 1.5 replicas x 730 h = 1,095 GPU-h. h100-sxm: TDP 700 W, idle 69 W, host 575 W, PUE 1.58.
    # 2 replicas: 1,460 GPU-h, idle 365: 1,095 x 1,275 + 365 x 644 = 1,396,125 + 235,060
    #   = 1,631,185 Wh x 1.58 = 2,577.2723 kWh; / 39,420 = 0.0653798148 kWh per 1k; x 309 g/kWh
    #   (us-east-1) = 20.2023628 g per 1k
    assert w["energy"]["kwh"] == pytest.approx(2577.2723, rel=1e-9)
    assert w["energy"]["kwh_per_1k_inferences"] == pytest.approx(0.0653798148, rel=1e-8)
    assert w["energy"]["gco2e_per_1k_inferences"] == pytest.approx(20.2023628, rel=1e-8)
    # 3 replicas: 2,190 GPU-h, idle 1,095: 1,095 x (1,275 + 644) = 2,101,305 Wh x 1.58
    #   = 3,320.0619 kWh; / 39,420 = 0.0842227778 per 1k
    assert r["energy"]["kwh_per_1k_inferences"] == pytest.approx(0.0842227778, rel=1e-8)
    assert w["energy"]["kwh_per_1m_tokens"] is None  # not an LLM


def test_every_output_shows_energy(tmp_path: Path, capsys):
    from infercost.cli import main

    p = tmp_path / "o.yaml"
    p.write_text(yaml.safe_dump(SCEN))
    args = ["optimize", str(p), "--hardware", "h100-sxm", "--no-simulate", "--no-autoscale"]
    main(args + ["--json"])
    d = json.loads(capsys.readouterr().out)
    assert all(c["energy"]["region"] == "us-east-1" for c in [d["winner"], *d["runners_up"], *d["pareto"]])
    main(args + ["--md", "--csv", str(tmp_path / "o.csv"), "--html", str(tmp_path / "o.html")])
    md = capsys.readouterr().out
    assert "### energy and carbon" in md and "| 1 | 0.06538 | 20.2 |" in md
    head, first = (tmp_path / "o.csv").read_text().splitlines()[:2]
    assert head.endswith("kWh per 1k inferences,gCO2e per 1k inferences")
    assert first.endswith(",0.0653798148,20.2023628")
    assert "energy and carbon" in (tmp_path / "o.html").read_text()
    main(args)
    term = capsys.readouterr().out
    assert "energy and carbon" in term and max(map(len, term.splitlines())) <= 80


def test_no_power_figure_shows_dash():
    from infercost.cli.optimize import energy_table

    d = {"winner": {"label": "x", "energy": None}, "runners_up": []}
    t = energy_table(d)
    assert t.rows == [["1", "-", "-"]]
    assert any("energy not modelled" in n for n in t.notes)


def test_no_tdp_says_why():
    from infercost.decide.energy import plan_energy
    from infercost.decide.grid import variant

    sc = validate(SCEN, "e")
    facts, why = plan_energy(variant(sc, {"deployment.hardware": "inferentia2",
                                          "deployment.pricing": {"provider": "aws", "plan": "on-demand"}}),
                             load_catalog())
    assert facts is None and "no tdp_w" in why


def test_azure_eastus_has_a_grid_figure():
    from infercost.decide.energy import plan_energy
    from infercost.decide.grid import variant

    sc = variant(validate(SCEN, "e"), {"deployment.hardware": "a100-80gb-sxm",
                                       "deployment.pricing": {"provider": "azure", "plan": "on-demand"}})
    facts, why = plan_energy(sc, load_catalog())
    # Azure East US is in Virginia: the Northern Virginia figure, 309 g/kWh (energy.yaml)
    assert why is None and facts["region"] == "eastus" and facts["grid_g_per_kwh"] == 309
