"""`infercost demo`: every engine on bundled data, written whole, the same bytes every time."""

from __future__ import annotations

import json
import re

from tests.conftest import EXAMPLES

NAMES = ("summary.json", "summary.md", "index.html")


def test_demo_writes_a_deterministic_report(cli, demo_report):
    first = {n: (demo_report / n).read_bytes() for n in NAMES}
    code, out, err = cli("demo", "--out", demo_report, "--examples", EXAMPLES, "--json")
    assert code == 0, err
    assert f"report written to {demo_report / 'index.html'}" in err  # says where the page is
    for n in NAMES:  # same inputs, same folder: byte-identical output
        assert (demo_report / n).read_bytes() == first[n], f"{n} differs between two runs"
    s = json.loads((demo_report / "summary.json").read_text())
    assert s == json.loads(out)
    assert set(s["estimates"]) == {"chatbot", "sentiment-bert", "recsys-spike", "hybrid-healthcare"}
    assert "recsys-spike" in s["simulations"]
    assert s["simulations"]["recsys-spike"]["seed"] == 0  # the CLI's default seed
    assert set(s["simulations"]["recsys-spike"]["phases"]) == {"before", "during", "after"}
    assert s["attribution"]["conservation"]["holds"] is True
    md = (demo_report / "summary.md").read_text()
    assert "### simulated: recsys-spike" in md and "conservation (holds)" in md
    # energy beside cost: every estimate, the simulation and the attributed bill
    assert all(d["facts"]["energy"]["kwh"] > 0 for d in s["estimates"].values())
    assert s["attribution"]["energy"]["kwh"] > 0 and s["attribution"]["energy"]["resources"]
    assert md.count("- energy per 1k inferences:") == 5 and "billed GPU-hours" in md


def test_demo_summary_holds_the_curves_options_and_rollups(demo_report):
    s = json.loads((demo_report / "summary.json").read_text())
    chat = s["curves"]["chatbot"]["cost"]
    # cost per inference falls as traffic grows (fixed lines spread), but not in proportion:
    # 200x the traffic (0.05x -> 10x) costs far less than 200x less per inference
    first, last = float(chat[0]["cost_per_inference"]), float(chat[-1]["cost_per_inference"])
    assert first > last and first / last < 200
    lat = s["curves"]["chatbot"]["latency"]["points"]
    assert [p["p99_ms"] for p in lat] == sorted(p["p99_ms"] for p in lat)  # rises with load
    assert "chatbot" in s["comparisons"] and s["comparisons"]["chatbot"]["variants"][0]["name"] == "baseline"
    roll = s["attribution_rollups"]
    bill = s["attribution"]["totals"]["bill"]
    from decimal import Decimal

    for key in ("model_tenant", "day", "model_tenant_day"):  # each roll-up sums to the bill
        assert sum(Decimal(r["total"]) for r in roll[key]) == Decimal(bill), key
    days = {r["period"] for r in roll["day"]}
    assert "2026-10-01" in days and "2026-10-31" in days


def test_demo_html_is_one_offline_page_with_labelled_money(demo_report):
    page = (demo_report / "index.html").read_text()
    assert page.count("plotly.js v") >= 1 and page.count("<script>/**") == 1
    assert not re.search(r"<script[^>]+src=", page)  # plotly inline once, nothing fetched
    assert not re.search(r"<link[^>]+href=\"?https?:", page)
    charts = re.findall(r'<div id="(chart-\d+)"', page)
    assert len(charts) >= 6 and len(set(charts)) == len(charts)
    body = page[page.index("<h2 id=examples>"):]
    body = re.sub(r"<script.*?</script>", "", body, flags=re.S)
    # no raw Python dicts, no internal key names, money with its currency
    assert "{'" not in body and "allocated_direct" not in body and "idle_before_spread" not in body
    assert "Bill total" in body and "77,206.55 USD" in body
    assert "per 1k inferences" in body and "per 1M tokens" in body
    assert "Per model and tenant" in body and "Per day" in body and "Per model, tenant and day" in body


def test_demo_bad_examples_folder_exits_2_and_writes_nothing(cli, tmp_path):
    code, _, err = cli("demo", "--out", tmp_path / "out", "--examples", tmp_path / "nope")
    assert code == 2 and err.startswith("error: ") and "examples folder not found" in err
    assert not (tmp_path / "out").exists()


def test_demo_page_shows_energy_beside_cost(demo_report):
    d = json.loads((demo_report / "summary.json").read_text())
    page = (demo_report / "index.html").read_text()
    assert "kWh per 1k" in page and "gCO2e per 1k" in page
    # each example's kWh per 1k inferences is its kWh per inference x 1000, as summary.json has
    # it, at 4 significant digits in plain digits with thousands separators (never 9.8e-05)
    from decimal import Decimal

    from infercost.report.terminal import sig_txt

    for est in d["estimates"].values():
        e = est["facts"].get("energy")
        if e and e.get("kwh_per_inference") is not None:
            cell = sig_txt(Decimal(str(e["kwh_per_inference"])) * 1000)
            assert "e-" not in cell and f"<td>{cell}</td>" in page.replace("<td class=n>", "<td>")
    en = d["attribution"]["energy"]
    assert f"{float(en['kwh']):,.0f} kWh" in page
