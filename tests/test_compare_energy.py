"""compare shows energy and carbon per 1k inferences per variant (econ.energy, as in
estimate): hand-computed kWh and gCO2e for an H100 baseline and an L4 option."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from infercost.core.catalog import load_catalog
from infercost.core.scenario import load_scenario
from infercost.decide.compare import compare

# 10 req/s, 50 ms each, no batching, 2 replicas kept: each replica is busy 10 x 0.05 / 2 = 25%.
SCEN = {
    "name": "energy-compare",
    "currency": "USD",
    "workload": {"arrivals": {"process": "poisson", "rate_per_s": 10}, "duration_s": 600},
    "service": {"distribution": "constant", "mean_ms": 50},
    "deployment": {"hardware": "h100-sxm", "replicas": 2, "batching": {"max_batch": 1},
                   "pricing": {"provider": "aws", "plan": "on-demand"}},
    "options": [{"name": "l4", "set": {"deployment.hardware": "l4"}}],
}


@pytest.fixture()
def scen_path(tmp_path: Path) -> Path:
    p = tmp_path / "e.yaml"
    p.write_text(yaml.safe_dump(SCEN))
    return p


def test_kwh_and_gco2e_per_variant_by_hand(scen_path):
    c = compare(load_scenario(scen_path), load_catalog(), keep_replicas=True)
    base, l4 = (r.to_dict()["energy"] for r in c.rows)
    # a month = 730 h x 2 replicas = 1,460 GPU-h: busy 25% = 365 h, idle 1,095 h;
    # inferences 10/s x 3,600 x 730 = 26,280,000 = 26,280 thousands.
    # h100-sxm (TDP 700 W, idle 69 W, host 575 W per GPU at any load):
    #   365 x (700 + 575) + 1,095 x (69 + 575) = 465,375 + 705,180 = 1,170,555 Wh
    #   x PUE 1.58 = 1,849,476.9 Wh = 1,849.4769 kWh; / 26,280 = 0.0703758333 kWh per 1k
    #   x 309 g/kWh (us-east-1, the aws listing's region) = 21.7461325 g per 1k
    assert base["kwh"] == pytest.approx(1849.4769, rel=1e-9)
    assert base["kwh_per_1k_inferences"] == pytest.approx(0.0703758333, rel=1e-8)
    assert base["gco2e_per_1k_inferences"] == pytest.approx(21.7461325, rel=1e-8)
    # l4 (TDP 72 W, idle 28 W, no host figure in the catalog: board power only): 365 x 72 + 1,095 x 28 = 26,280 + 30,660 = 56,940 Wh x 1.58
    #   = 89,965.2 Wh = 89.9652 kWh; / 26,280 = 0.00342333 kWh per 1k; x 309 = 1.05781 g per 1k
    assert l4["kwh"] == pytest.approx(89.9652, rel=1e-9)
    assert l4["kwh_per_1k_inferences"] == pytest.approx(0.00342333333, rel=1e-8)
    assert l4["gco2e_per_1k_inferences"] == pytest.approx(1.05781, rel=1e-8)


def test_every_output_shows_energy(scen_path, tmp_path, capsys):
    from infercost.cli import main

    main(["compare", str(scen_path), "--keep-replicas", "--json"])
    d = json.loads(capsys.readouterr().out)
    assert [v["energy"]["region"] for v in d["variants"]] == ["us-east-1", "us-east-1"]
    out = tmp_path / "c"
    main(["compare", str(scen_path), "--keep-replicas", "--md", "--csv", str(out) + ".csv",
          "--html", str(out) + ".html"])
    md = capsys.readouterr().out
    assert "### energy and carbon per 1k inferences" in md
    assert "| baseline | 0.07038 | 21.75 | 1.58 | us-east-1 309 g/kWh |" in md
    assert "| l4 | 0.003423 | 1.058 |" in md
    head, base, l4 = (tmp_path / "c.csv").read_text().splitlines()
    assert head.endswith("kWh per 1k inferences,gCO2e per 1k inferences")
    # CSV: full precision, plain digits (the JSON floats, 9 significant digits)
    assert base.endswith(",0.0703758333,21.7461325") and l4.endswith(",0.00342333333,1.05781")
    assert "energy and carbon per 1k inferences" in (tmp_path / "c.html").read_text()
    main(["compare", str(scen_path), "--keep-replicas"])
    term = capsys.readouterr().out
    assert "energy and carbon per 1k inferences" in term and max(map(len, term.splitlines())) <= 80


def test_no_power_figure_says_so(tmp_path):
    s = dict(SCEN, options=[{"name": "tpu", "set": {"deployment.hardware": "tpu-v5e",
                                                     "deployment.pricing": {"provider": "gcp", "plan": "on-demand"}}}])
    p = tmp_path / "t.yaml"
    p.write_text(yaml.safe_dump(s))
    from infercost.cli.compare import energy_table

    d = compare(load_scenario(p), load_catalog(), keep_replicas=True).to_dict()
    assert d["variants"][1]["energy"] is None
    t = energy_table(d)
    assert t.rows[1][1:3] == ["-", "-"]
    assert any(n.startswith("tpu: no power figure") for n in t.notes)
