"""`infercost reconcile` recovers the difference built into the example month."""

from __future__ import annotations

import json
from decimal import Decimal, localcontext
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from infercost.reconciliation.decompose import Factors, decompose
from infercost.reconciliation.example import generate

ROOT = Path(__file__).resolve().parents[1]
_EX = ROOT / "examples"
#: the bundled first exercise reconciled: its scenario against its bill and counts
BERT_RECONCILE = ("reconcile", _EX / "sentiment-bert.yaml", "--bill",
                  _EX / "sentiment-bert-measured" / "bill.csv",
                  "--counts", _EX / "sentiment-bert-measured" / "counts.csv")
SCENARIO = ROOT / "examples" / "reconcile" / "scenario.yaml"


@pytest.fixture(scope="module")
def month(tmp_path_factory):
    from infercost.allocation.run import run_attribution

    d = tmp_path_factory.mktemp("reconcile")
    p = generate(d)
    run_attribution(p["bill"], p["usage"], d / "attribution", rules=p["rules"], write_requests=False)
    return d, p


def test_effects_sum_exactly_and_follow_the_order():
    # predicted: 100 inferences x 1 GPU-h / 0.5 x 2 USD = 400; measured 150 x 1 / 0.25 x 3 = 1,800
    p = Factors.of(Decimal(100), Decimal(100), Decimal(200), Decimal(400))
    m = Factors.of(Decimal(150), Decimal(150), Decimal(600), Decimal(1800))
    d = decompose(p, m, Decimal(400), Decimal(1800), Decimal(400), Decimal(1800))
    assert d.volume == Decimal(200)  # 150 x 1 / 0.5 x 2 - 400 = 600 - 400
    assert d.utilisation == Decimal(600)  # 150 x 1 / 0.25 x 2 = 1,200; - 600
    assert d.price == Decimal(600)  # 150 x 1 / 0.25 x 3 = 1,800; - 1,200
    assert d.residual == 0
    assert d.volume + d.utilisation + d.price + d.residual == d.difference == Decimal(1400)


def test_example_month_recovers_each_known_effect(month, cli):
    d, _ = month
    code, out, err = cli("reconcile", SCENARIO, "--attribution", d / "attribution", "--json")
    assert code == 0, err
    r = json.loads(out)
    dec = {k: Decimal(v) for k, v in r["decomposition"].items() if k not in ("order", "residual_parts")}
    assert r["decomposition"]["order"] == ["volume", "utilisation", "price", "residual"]
    # predicted accelerator cost over the bill's 720 h: 2 replicas x 8 GPUs x 720 h x 6.88
    a_p = Decimal(2 * 8 * 720) * Decimal("6.88")  # = 79,257.6
    # volume: 20% more requests -> 0.2 x A_p = 15,851.52 (exact: no rounding on this path)
    assert dec["volume"] == Decimal("0.2") * a_p == Decimal("15851.52")
    # tolerance: the attribution rounds each request's share to its 1e-10 USD quantum and the
    # remainder shows as idle, which moves busy/idle by under 1e-4 USD over 155,520 requests
    tol = Decimal("0.001")
    # utilisation 0.25 -> 0.20: 1.2 x A_p x (0.25 / 0.20 - 1) = 0.3 x A_p = 23,777.28
    assert abs(dec["utilisation"] - Decimal("0.3") * a_p) < tol
    # price 6.88 -> 7.568 USD/GPU-h (+10%): 1.2 x 1.25 x A_p x 0.1 = 0.15 x A_p = 11,888.64
    assert abs(dec["price"] - Decimal("0.15") * a_p) < tol
    # the residual: busy time per request unchanged (0), storage 23.00 billed vs 23 x 720 / 730
    parts = {k: Decimal(v) for k, v in r["decomposition"]["residual_parts"].items()}
    assert abs(parts["accelerator_busy_time_per_inference"]) < tol
    # (the predicted line is rounded to 1e-18 before scaling, hence the 1e-15 tolerance)
    assert abs(parts["other_components"] - (Decimal("23.00") - Decimal(23) * 720 / 730)) < Decimal("1e-15")
    assert dec["volume"] + dec["utilisation"] + dec["price"] + dec["residual"] == dec["difference"]
    # measured: 3 x 720 instance-h x 60.544 + 23 storage; inferences = requests served
    assert Decimal(r["total"]["measured"]) == Decimal(3 * 720) * Decimal("60.544") + 23
    assert Decimal(r["inferences"]["measured"]) == 216 * 720
    assert Decimal(r["inferences"]["predicted"]) == Decimal("0.05") * 3600 * 720


def test_markdown_and_text_tables(month, cli):
    d, _ = month
    code, out, _ = cli("reconcile", SCENARIO, "--attribution", d / "attribution", "--md")
    assert code == 0
    assert "| component | predicted | measured | difference |" in out
    assert "| volume | 15,851.52 |" in out
    code, out, _ = cli("reconcile", SCENARIO, "--attribution", d / "attribution")
    assert code == 0 and max(len(x) for x in out.splitlines()) <= 80


def test_bill_and_usage_directly_match_the_folder(month, cli):
    d, p = month
    _, a, _ = cli("reconcile", SCENARIO, "--attribution", d / "attribution", "--json")
    code, b, err = cli("reconcile", SCENARIO, "--bill", p["bill"], "--usage", p["usage"],
                       "--rules", p["rules"], "--json")
    assert code == 0, err
    assert json.loads(a)["decomposition"] == json.loads(b)["decomposition"]


def test_bad_input_is_one_line(month, cli, tmp_path):
    d, _ = month
    code, _, err = cli("reconcile", SCENARIO, "--attribution", d / "attribution", "--counts", d / "x.csv")
    assert code == 2 and err.count("\n") == 1 and "without --attribution" in err and "--counts" in err
    code, _, err = cli("reconcile", SCENARIO, "--attribution", tmp_path)
    assert code == 2 and err.startswith("error:") and "summary.json" in err
    code, _, err = cli("reconcile", SCENARIO)
    assert code == 2 and "--attribution" in err


def test_simulated_column(month, cli):
    d, _ = month
    code, out, err = cli("reconcile", SCENARIO, "--attribution", d / "attribution", "--simulate", "--json")
    assert code == 0, err
    r = json.loads(out)
    assert r["total"]["simulated"] is not None
    assert all(c["simulated"] is not None for c in r["components"])
    # a simulated day of 0.05 req/s (poisson), scaled to 720 h: 129,600 expected, within 3%
    assert abs(Decimal(r["inferences"]["simulated"]) / 129600 - 1) < Decimal("0.03")
    # two fixed replicas: the simulated accelerator cost is the predicted one (same paid time)
    acc = {c["component"]: c for c in r["components"]}
    paid = lambda k: Decimal(acc["accelerator_busy"][k]) + Decimal(acc["accelerator_idle"][k])  # noqa: E731
    assert abs(paid("simulated") - paid("predicted")) < Decimal("0.01")


def test_a_driver_without_idle_says_so_and_names_the_fix(month, cli):
    # the README form without --rules: the default driver (duration_ms) finds no idle time
    # in an hour with requests, so measured utilisation is 100% and the residual holds it
    _, p = month
    code, out, err = cli("reconcile", SCENARIO, "--bill", p["bill"], "--usage", p["usage"], "--json")
    assert code == 0, err
    notes = json.loads(out)["notes"]
    hit = [n for n in notes if n.startswith("measured utilisation is 100% because")]
    assert len(hit) == 1 and "duration_ms" in hit[0] and "--rules with driver: capacity" in hit[0]
    # with the example's rules (driver: capacity) idle is measured and there is no such note
    code, out, err = cli("reconcile", SCENARIO, "--bill", p["bill"], "--usage", p["usage"],
                         "--rules", p["rules"], "--json")
    assert code == 0, err
    assert not [n for n in json.loads(out)["notes"] if "measured utilisation is" in n]


def test_predicted_lines_no_bill_carries_are_named_and_split_out(cli):
    # engineering (people) is never on a cloud bill: a note names it, the factor effects
    # leave it alone and the residual shows it apart as "not on the bill"
    args = BERT_RECONCILE
    code, out, err = cli(*args, "--json")
    assert code == 0, err
    r = json.loads(out)
    note = [n for n in r["notes"] if n.startswith("predicted with no measured counterpart in the bill")]
    assert len(note) == 1 and "engineering" in note[0] and "not on the bill" in note[0]
    rows = {c["component"]: c for c in r["components"]}
    off = [n for n in ("engineering", "storage") if n in note[0]]
    assert all(Decimal(rows[n]["measured"]) == 0 for n in off)
    dec = r["decomposition"]
    parts = {k: Decimal(v) for k, v in dec["residual_parts"].items()}
    assert parts["not_on_the_bill"] == -sum(Decimal(rows[n]["predicted"]) for n in off)
    with localcontext() as ctx:
        ctx.prec = 60
        assert sum(parts.values()) == Decimal(dec["residual"])
    # the factor effects use the accelerator lines only: the same with or without them
    assert Decimal(dec["volume"]) + Decimal(dec["utilisation"]) + Decimal(dec["price"]) + \
        Decimal(dec["residual"]) == Decimal(dec["difference"])
    code, out, _ = cli(*args)
    assert code == 0 and "not on the bill" in out and max(len(x) for x in out.splitlines()) <= 80


def _small_bill() -> dict:
    # a 0.044625 USD bill (one CPU instance-hour) against its prediction: the figures a real
    # service run gave (predicted busy 0.006864..., measured busy 0.0000307008)
    comp = [("accelerator_busy", "0.006864015954855308", "0.0000307008"),
            ("accelerator_idle", "0.037760984045144692", "0.0445942992")]
    return {"scenario": "small", "currency": "USD", "period_hours": "1",
            "components": [{"component": n, "predicted": p, "simulated": None, "measured": m,
                            "difference": str(Decimal(m) - Decimal(p))} for n, p, m in comp],
            "total": {"predicted": "0.044625", "simulated": None, "measured": "0.044625", "difference": "0"},
            "inferences": {"predicted": "14400", "simulated": None, "measured": "101"},
            "decomposition": {"order": ["volume", "utilisation", "price", "residual"],
                              "volume": "-0.0443119", "utilisation": "0.0696659", "price": "0",
                              "residual": "-0.025354", "difference": "0"},
            "notes": []}


def test_small_bill_rows_add_up_to_the_shown_total():
    from infercost.cli.reconcile import render_md, render_text, table_places

    d = _small_bill()
    # 2 decimals showed predicted 0.01 + 0.04 = "0.04". Start: 4 significant digits of the
    # largest figure, 0.0696659 -> 5 places. Components add up at 5 (0.00686 + 0.03776 =
    # 0.04462 = 0.044625 half-even; 0.00003 + 0.04459 = 0.04462), the effects do not:
    # -0.04431 + 0.06967 + 0 - 0.02535 = 0.00001 != 0.00000. At 6 places:
    # -0.044312 + 0.069666 + 0 - 0.025354 = 0.000000, and 0.006864 + 0.037761 = 0.044625.
    assert table_places(d) == 6
    text = render_text(d)
    assert "accelerator_busy           0.006864     0.000031    -0.006833" in text
    assert "total                      0.044625     0.044625     0.000000" in text
    assert max(map(len, text.splitlines())) <= 80
    md = render_md(d)
    assert "| accelerator_idle | 0.037761 | 0.044594 | 0.006833 |" in md
    assert "| volume | -0.044312 |" in md and "| **difference** | **0.000000** |" in md


@settings(max_examples=60, deadline=None)
@given(st.lists(st.decimals(min_value=Decimal("-1e6"), max_value=Decimal("1e6"), places=9, allow_nan=False),
                min_size=1, max_size=5))
def test_shown_components_always_add_up(parts):
    from infercost.cli.reconcile import MAX_PLACES, _m, table_places

    total = sum(parts, Decimal(0))
    d = {"components": [{"component": f"c{i}", "predicted": str(x), "simulated": None, "measured": str(x),
                         "difference": "0"} for i, x in enumerate(parts)],
         "total": {"predicted": str(total), "simulated": None, "measured": str(total), "difference": "0"},
         "decomposition": {"order": ["volume"], "volume": "0", "difference": "0"}}
    p = table_places(d)
    shown = sum((Decimal(_m(str(x), p).replace(",", "")) for x in parts), Decimal(0))
    # with 9-place inputs, MAX_PLACES (8) may still miss by rounding: then it is at the cap
    assert shown == Decimal(_m(str(total), p).replace(",", "")) or p == MAX_PLACES


def test_energy_predicted_next_to_measured(month, cli):
    # the estimate's kWh and gCO2e per inference x 1000 beside the attribution's per 1k
    # requests (both from econ.energy's power model; the bill side at the attributed load)
    from infercost import api

    d, _ = month
    code, out, err = cli("reconcile", SCENARIO, "--attribution", d / "attribution", "--json")
    assert code == 0, err
    e = json.loads(out)["energy"]
    est = api.estimate(SCENARIO).breakdown.facts["energy"]
    assert Decimal(e["predicted"]["kwh_per_1k"]) == Decimal(str(est["kwh_per_inference"])) * 1000
    summ = json.loads((d / "attribution" / "summary.json").read_text())["energy"]
    assert Decimal(e["measured"]["kwh_per_1k"]) == Decimal(str(summ["kwh_per_1k_requests"]))
    code, out, _ = cli("reconcile", SCENARIO, "--attribution", d / "attribution")
    assert "Energy per 1k inferences: predicted" in out and "measured" in out
    assert max(len(x) for x in out.splitlines()) <= 80
    code, out, _ = cli("reconcile", SCENARIO, "--attribution", d / "attribution", "--md")
    assert "Energy per 1k inferences: predicted" in out


def test_a_bad_energy_figure_in_summary_json_is_one_line(month, cli, tmp_path):
    # a text or negative kWh in a hand-edited summary.json: exit 2 naming the key, no traceback
    import shutil

    d, _ = month
    for bad in ("lots", -3):
        att = tmp_path / f"att-{bad}"
        shutil.copytree(d / "attribution", att)
        s = json.loads((att / "summary.json").read_text())
        s["energy"]["kwh_per_1k_requests"] = bad
        (att / "summary.json").write_text(json.dumps(s))
        code, out, err = cli("reconcile", SCENARIO, "--attribution", att)
        assert code == 2 and "Traceback" not in err, err
        assert "energy.kwh_per_1k_requests: expected a number >= 0" in err


def test_the_bundled_bill_storage_is_measured_and_every_residual_part_shown(cli):
    # the SageMaker volume (2.80, ServiceCategory Storage on the endpoint's ResourceId)
    # was booked as accelerator time: reconcile said storage was not on the bill
    args = BERT_RECONCILE
    code, out, err = cli(*args, "--json")
    assert code == 0, err
    r = json.loads(out)
    rows = {c["component"]: c for c in r["components"]}
    assert Decimal(rows["storage"]["measured"]) == Decimal("2.80")
    assert not any("storage" in n for n in r["notes"] if n.startswith("predicted with no"))
    parts = r["decomposition"]["residual_parts"]
    code, text, _ = cli(*args)
    assert code == 0
    # the accelerator part (larger than the whole difference) was only in --json
    for label, key in (("busy time per inference", "accelerator_busy_time_per_inference"),
                       ("other components", "other_components"),
                       ("not on the bill", "not_on_the_bill")):
        shown = f"{Decimal(parts[key]):,.2f}"
        assert any(line.strip().startswith(label) and line.endswith(shown)
                   for line in text.splitlines()), (label, shown, text)
    assert max(len(x) for x in text.splitlines()) <= 80


def test_residual_parts_add_up_to_the_shown_residual_in_both_tables():
    from infercost.cli.reconcile import render_md, render_text, table_places

    d = _small_bill()
    d["decomposition"]["residual_parts"] = {
        "accelerator_busy_time_per_inference": "-0.0253543",
        "other_components": "0.0000003", "not_on_the_bill": "0"}
    p = table_places(d)
    text = render_text(d)
    assert "busy time per inference" in text and "other components" in text
    shown = [Decimal(line.split()[-1]) for line in text.splitlines()
             if line.strip().startswith(("busy time per", "other components", "not on the bill"))]
    residual = next(Decimal(line.split()[-1]) for line in text.splitlines()
                    if line.strip().startswith("residual"))
    assert len(shown) == 3 and sum(shown) == residual, text
    assert p >= 6 and max(map(len, text.splitlines())) <= 80
    md = render_md(d)
    assert "| of which busy time per inference |" in md and "| of which other components |" in md


def test_a_scenario_on_other_hardware_than_the_billed_fleet_is_noted(cli, tmp_path):
    # the reconcile example predicts 8 x H100 per instance; the BERT bill is one A10G
    # (ml.g5.xlarge): measured GPU-h took 8 GPUs per billed hour without a word
    ex = ROOT / "examples"
    code, _, err = cli("attribute", "--bill", ex / "sentiment-bert-measured" / "bill.csv",
                       "--counts", ex / "sentiment-bert-measured" / "counts.csv",
                       "--out", tmp_path / "att", "--no-requests")
    assert code == 0, err
    code, out, err = cli("reconcile", SCENARIO, "--attribution", tmp_path / "att", "--json")
    assert code == 0, err
    hit = [n for n in json.loads(out)["notes"] if "differs from the billed fleet" in n]
    assert hit == ["the scenario's hardware (h100-sxm, 8 GPUs per instance: p5.48xlarge) "
                   "differs from the billed fleet's, as the catalog matches its SKU "
                   "(ml.g5.xlarge: a10g, 1 GPU per instance, 744 of 744 billed "
                   "instance-hours): measured GPU-h count the scenario's 8 GPUs per billed "
                   "instance-hour, so utilisation, price and energy compare different "
                   "machines"], json.loads(out)["notes"]
    code, out, err = cli("reconcile", ex / "sentiment-bert.yaml", "--attribution", tmp_path / "att",
                         "--json")
    assert code == 0, err
    assert not [n for n in json.loads(out)["notes"] if "billed fleet" in n]


def test_a_bill_alone_names_the_flags_it_needs(cli, tmp_path):
    bill = ROOT / "examples" / "sentiment-bert-measured" / "bill.csv"
    code, _, err = cli("reconcile", SCENARIO, "--bill", bill)
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert err.strip() == ("error: --bill: expected --usage (request logs) or --counts (call "
                           "counts) with it: a bill needs its usage to be attributed"), err


def _negative_fleet(tmp_path: Path) -> tuple[Path, Path]:
    """A bill whose only fleet row is a credit below zero (-1 USD on i-1, hour 0), a tax
    row, and one request on i-1: its busy cost is -1, not absent."""
    import pandas as pd

    from tests.attribution_helpers import focus_row

    bill = tmp_path / "bill.csv"
    pd.DataFrame([focus_row("-1", "i-1"), focus_row("2", None, category="Tax",
                                                    service="Other", hours=24)]
                 ).to_csv(bill, index=False)
    usage = tmp_path / "u.csv"
    usage.write_text("timestamp,request_id,resource_id,duration_ms\n"
                     "2026-10-01T00:10:00Z,a,i-1,100\n")
    return bill, usage


def test_a_negative_busy_cost_is_named_with_the_bill_and_usage(cli, tmp_path):
    # it said "summary.json: the bill's fleet has no busy cost": a temporary file the
    # user never sees, and a busy cost of -1 is not absent
    bill, usage = _negative_fleet(tmp_path)
    sc = ROOT / "examples" / "sentiment-bert.yaml"
    code, _, err = cli("reconcile", sc, "--bill", bill, "--usage", usage)
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    assert err.strip() == (
        f"error: bill {bill}, usage {usage}: the fleet's busy cost (accelerator_busy) is "
        "-1 USD, below zero (credits or refunds exceed its charges), and its whole cost "
        "-1 USD: utilisation (busy cost / fleet cost) needs both above zero; nothing to "
        "compare"), err
    # an attribution folder: its summary.json by path
    code, _, err = cli("attribute", "--bill", bill, "--usage", usage, "--out", tmp_path / "a")
    assert code == 0, err
    code, _, err = cli("reconcile", sc, "--attribution", tmp_path / "a")
    assert code == 2 and err.startswith(f"error: {tmp_path / 'a' / 'summary.json'}: the "
                                        "fleet's busy cost (accelerator_busy) is -1 USD"), err


def test_a_small_effect_is_shown_with_its_digits_not_as_minus_zero():
    # a -0.0015 utilisation effect beside figures of hundreds printed "-0.00"
    from infercost.cli.reconcile import render_md, render_text

    d = _small_bill()
    d["components"] = [{"component": "accelerator_busy", "predicted": "100", "simulated": None,
                        "measured": "205", "difference": "105"}]
    d["total"] = {"predicted": "100", "simulated": None, "measured": "205", "difference": "105"}
    d["decomposition"] = {"order": ["volume", "utilisation", "price", "residual"],
                          "volume": "100.0015", "utilisation": "-0.0015", "price": "5",
                          "residual": "0", "difference": "105"}
    text = render_text(d)
    line = next(x for x in text.splitlines() if x.strip().startswith("utilisation"))
    assert line.split()[-1] == "-0.0015", text
    assert "-0.00\n" not in text + "\n" and max(map(len, text.splitlines())) <= 80
    assert "| utilisation | -0.0015 |" in render_md(d)
    # beyond 8 decimals: said as under one unit of the last place shown
    d["decomposition"]["utilisation"] = "-0.0000000000015"
    line = next(x for x in render_text(d).splitlines() if x.strip().startswith("utilisation"))
    assert line.split()[-1] == ">-0.00000001", line
