"""`place`, `pnl` and `roadmap` follow the output convention: `--md` to stdout, `--csv`,
`--xlsx`, `--html` to files; the terminal table fits 80 columns."""

import json
from decimal import Decimal

import pytest

from tests.conftest import EXAMPLES

HYBRID = EXAMPLES / "hybrid-healthcare.yaml"


def _json(cli, cmd):
    code, out, err = cli(cmd, HYBRID, "--json")
    assert code == 0, err
    return json.loads(out)


def test_place_md_matches_json(cli):
    d = _json(cli, "place")
    code, md, err = cli("place", HYBRID, "--md")
    assert code == 0, err
    assert "| segment | placement | compute | transfer | per req | ms |" in md
    h = next(p for p in d["placements"] if p["segment"] == "hospitals")
    assert f"| hospitals | image-encoder@edge-l40s, text-decoder@edge-l40s | " \
           f"{Decimal(h['compute_per_month']):,.0f} |" in md


def test_pnl_md_matches_json(cli):
    d = _json(cli, "pnl")
    code, md, err = cli("pnl", HYBRID, "--md")
    assert code == 0, err
    assert "| segment | revenue | cost | contrib. | margin | per inf | fixed | price@tgt |" in md
    s = next(s for s in d["segments"] if s["segment"] == "cloud-api")
    assert (f"| cloud-api | {Decimal(s['revenue_per_month']):,.0f} | {Decimal(s['cost_per_month']):,.0f} |"
            in md)
    assert f"| {Decimal(s['price_per_request_for_target']):.4f} |" in md


def test_roadmap_md_matches_json(cli):
    d = _json(cli, "roadmap")
    code, md, err = cli("roadmap", HYBRID, "--md")
    assert code == 0, err
    assert "| month | cost/inf | vs target | savings | kWh/1k | gCO2e/1k | milestone |" in md
    hit = d["target_reached_month"]
    m = d["months"][hit]
    assert f"| {hit} | {Decimal(m['cost_per_inference']):.6f} |" in md
    assert f"savings over {len(d['months'])} months: {Decimal(d['total_savings']):,.0f}" in md


@pytest.mark.parametrize("cmd,header,plots", [
    ("place", "segment,placement,compute,transfer", 1),
    ("pnl", "segment,revenue,cost,contrib.", 1),
    ("roadmap", "month,cost/inf,vs target,savings", 1),
])
def test_files_written(cli, tmp_path, cmd, header, plots):
    out = tmp_path / cmd
    code, stdout, err = cli(cmd, HYBRID, "--csv", f"{out}.csv", "--xlsx", f"{out}.xlsx",
                            "--html", f"{out}.html")
    assert code == 0, err
    assert f"wrote {out}.html" in stdout
    assert (tmp_path / f"{cmd}.csv").read_text().splitlines()[0].startswith(header)
    page = (tmp_path / f"{cmd}.html").read_text()
    assert "plotly-graph-div" in page and page.count("Plotly.newPlot") == plots
    from openpyxl import load_workbook

    assert load_workbook(tmp_path / f"{cmd}.xlsx").worksheets[0].cell(1, 1).value == header.split(",")[0]


@pytest.mark.parametrize("cmd", ["place", "pnl", "roadmap"])
def test_folder_as_html_exits_2_with_one_line(cli, tmp_path, cmd):
    code, out, err = cli(cmd, HYBRID, "--html", tmp_path)
    assert code == 2 and err.count("\n") == 1 and "--html" in err, (code, err)
    assert out == ""


@pytest.mark.parametrize("cmd", ["place", "pnl", "roadmap"])
def test_terminal_fits_80_columns(cli, monkeypatch, cmd):
    monkeypatch.setenv("COLUMNS", "80")
    code, out, err = cli(cmd, HYBRID)
    assert code == 0, err
    assert max(len(line) for line in out.splitlines()) <= 80
    assert "hospitals" in out or "fp8-kv-cache" in out
