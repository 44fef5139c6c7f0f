"""frontier shows energy and carbon per 1k inferences per variant and per routing mix
(econ.energy, as in compare): hand arithmetic, every output, 80 columns."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from infercost.core.catalog import load_catalog
from infercost.core.scenario import validate
from infercost.decide.frontier_run import run_frontier

# 10 req/s, 50 ms each at batch 1 on any hardware (service: measured): each variant is sized
# to 1 replica, busy 10 x 0.05 = 50% of its 730 h.
SCEN = {
    "name": "frontier-energy",
    "currency": "USD",
    "model": {"quality": {"metric": "accuracy", "value": 0.9}},
    "workload": {"arrivals": {"process": "poisson", "rate_per_s": 10}, "duration_s": 600},
    "service": {"distribution": "constant", "mean_ms": 50},
    "deployment": {"hardware": "h100-sxm", "replicas": 2, "batching": {"max_batch": 1},
                   "pricing": {"provider": "aws", "plan": "on-demand"}},
    "options": [{"name": "l4", "set": {"deployment.hardware": "l4", "model.quality.value": 0.8}}],
}


def test_points_and_mix_energy_by_hand():
    d = run_frontier(validate(SCEN, "f"), load_catalog(), large="baseline", small="l4", steps=2)
    base, l4 = (p["energy"] for p in d["points"])
    # inferences 10 x 3,600 x 730 = 26,280,000 = 26,280 thousands; 365 GPU-h busy, 365 idle.
    # h100-sxm (700 W TDP, idle 69 W, host 575 W): 365 x 1,275 + 365 x 644 = 700,435 Wh
    #   x 1.58 = 1,106.6873 kWh; / 26,280 = 0.0421113889 per 1k; x 309 g/kWh = 13.0124192 g
    assert base["kwh_per_1k_inferences"] == pytest.approx(0.0421113889, rel=1e-8)
    assert base["gco2e_per_1k_inferences"] == pytest.approx(13.0124192, rel=1e-8)
    # l4 (72 W TDP, idle 28 W, board only): 365 x 72 + 365 x 28 = 36,500 Wh x 1.58 = 57.67 kWh;
    #   / 26,280 = 0.00219444444 per 1k; x 309 = 0.678083333 g
    assert l4["kwh_per_1k_inferences"] == pytest.approx(0.00219444444, rel=1e-8)
    assert l4["gco2e_per_1k_inferences"] == pytest.approx(0.678083333, rel=1e-8)
    half = [m for m in d["routing"]["mixes"] if Decimal(m["fraction_large"]) == Decimal("0.5")][0]
    # half to the large (baseline): (0.0421113889 + 0.00219444444) / 2 = 0.0221529167
    assert half["kwh_per_1k_inferences"] == pytest.approx(0.0221529167, rel=1e-8)
    # (13.0124192 + 0.678083333) / 2 = 6.84525127
    assert half["gco2e_per_1k_inferences"] == pytest.approx(6.84525127, rel=1e-8)


def test_every_output_shows_energy(tmp_path: Path, capsys):
    from infercost.cli import main

    p = tmp_path / "f.yaml"
    p.write_text(yaml.safe_dump(SCEN))
    args = ["frontier", str(p), "--large", "baseline", "--small", "l4", "--steps", "2"]
    main(args + ["--json"])
    d = json.loads(capsys.readouterr().out)
    assert [pt["energy"]["region"] for pt in d["points"]] == ["us-east-1", "us-east-1"]
    main(args + ["--md", "--csv", str(tmp_path / "f.csv"), "--html", str(tmp_path / "f.html")])
    md = capsys.readouterr().out
    assert "| baseline | 0.04211 | 13.01 |" in md and "| l4 | 0.002194 | 0.6781 |" in md
    # the routing table carries both per-1k figures of each mix: half to baseline is
    # 0.0221529167 kWh and 6.84525127 g (test above), shown to 4 significant digits
    assert "| to large | per month | extra cost | kWh/1k inf | gCO2e/1k inf |" in md
    assert "| 0.02215 | 6.845 |" in md
    head, base, l4 = (tmp_path / "f.csv").read_text().splitlines()
    assert head.endswith("kWh per 1k inferences,gCO2e per 1k inferences")
    assert base.endswith(",0.0421113889,13.0124192") and l4.endswith(",0.00219444444,0.678083333")
    assert "energy and carbon" in (tmp_path / "f.html").read_text()
    main(args)
    term = capsys.readouterr().out
    assert "energy and carbon" in term and max(map(len, term.splitlines())) <= 80


def test_no_power_figure_dash():
    from infercost.cli.frontier import energy_table

    t = energy_table({"points": [{"name": "tpu", "energy": None}]})
    assert t.rows == [["tpu", "-", "-"]]
    assert any("energy not modelled" in n for n in t.notes)
