"""build-vs-buy shows the self-hosted fleet's energy and carbon per 1M tokens and per 1k
inferences (econ.energy, as in estimate), '-' for hosted APIs: hand arithmetic, every output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from infercost.core.catalog import load_catalog
from infercost.core.scenario import validate
from infercost.decide.buy import build_vs_buy

# 10 req/s, 50 ms each at batch 1 (20 req/s a replica), 300 + 200 = 500 tokens a request.
SCEN = {
    "name": "bvb-energy",
    "currency": "USD",
    "workload": {"arrivals": {"process": "poisson", "rate_per_s": 10}, "duration_s": 600,
                 "request": {"prompt_tokens": {"mean": 300}, "output_tokens": {"mean": 200}}},
    "service": {"distribution": "constant", "mean_ms": 50},
    "deployment": {"hardware": "h100-sxm", "replicas": 2, "batching": {"max_batch": 1},
                   "pricing": {"provider": "aws", "plan": "on-demand"}},
}


def test_self_hosted_energy_by_hand():
    d = build_vs_buy(validate(SCEN, "b"), load_catalog(), apis=["openai/gpt-4o"]).to_dict()
    e = d["self_hosted"]["energy"]
    assert d["self_hosted"]["replicas"] == "1"
    # sized to 1 replica, busy 10 x 0.05 = 50%: 730 GPU-h, 365 busy, 365 idle. h100-sxm: TDP 700 W,
    # idle 69 W, host 575 W per GPU, PUE 1.58: 365 x 1,275 + 365 x 644 = 700,435 Wh x 1.58
    #   = 1,106.6873 kWh. Inferences 10 x 3,600 x 730 = 26,280,000 (26,280 thousands):
    #   1,106.6873 / 26,280 = 0.0421113889 kWh per 1k; tokens x 500 = 13,140 M:
    #   1,106.6873 / 13,140 = 0.0842227778 kWh per 1M tokens; x 309 g/kWh = 26.0248383 g
    assert e["kwh"] == pytest.approx(1106.6873, rel=1e-9)
    assert e["kwh_per_1k_inferences"] == pytest.approx(0.0421113889, rel=1e-8)
    assert e["kwh_per_1m_tokens"] == pytest.approx(0.0842227778, rel=1e-8)
    assert e["gco2e_per_1m_tokens"] == pytest.approx(26.0248383, rel=1e-8)
    assert all("energy" not in a for a in d["apis"])  # providers publish none
    assert any("hosted APIs: no energy" in n for n in d["notes"])


def test_every_output_shows_energy(tmp_path: Path, capsys):
    from infercost.cli import main

    p = tmp_path / "b.yaml"
    p.write_text(yaml.safe_dump(SCEN))
    args = ["build-vs-buy", str(p), "--api", "openai/gpt-4o"]
    main(args + ["--json"])
    assert json.loads(capsys.readouterr().out)["self_hosted"]["energy"]["region"] == "us-east-1"
    main(args + ["--md", "--csv", str(tmp_path / "b.csv"), "--html", str(tmp_path / "b.html")])
    md = capsys.readouterr().out
    assert "| self-hosted | 0.08422 | 26.02 | 0.04211 | 13.01 |" in md
    assert "| openai/gpt-4o | - | - | - | - |" in md
    head, sh, api = (tmp_path / "b.csv").read_text().splitlines()[:3]
    assert head.endswith("kWh per 1M tokens,gCO2e per 1M tokens,kWh per 1k inferences,gCO2e per 1k inferences")
    assert head.startswith("option,tier,input,output,")  # every column named
    assert sh.endswith(",0.0842227778,26.0248383,0.0421113889,13.0124192")
    assert api.endswith(",,,,")  # no energy figure for an API: empty, never 0
    assert "energy and carbon" in (tmp_path / "b.html").read_text()
    main(args)
    term = capsys.readouterr().out
    assert "energy and carbon" in term and max(map(len, term.splitlines())) <= 80


def test_no_power_figure_dash():
    from infercost.cli.build_vs_buy import energy_table

    t = energy_table({"self_hosted": {"energy": None}, "apis": []})
    assert t.rows == [["self-hosted", "-", "-", "-", "-"]]
    assert any("energy not modelled" in n for n in t.notes)
