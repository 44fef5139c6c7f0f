"""`attribute`'s terminal report: amounts with thousands separators; --json unchanged."""

from __future__ import annotations

import json

from infercost.cli.attribute import _sep_numbers, thousands
from tests.conftest import EXAMPLES


def test_thousands_keeps_every_digit():
    assert thousands("77206.55") == "77,206.55"
    assert thousands("-1234567.000013824") == "-1,234,567.000013824"
    assert thousands("999.99") == "999.99" and thousands("0") == "0"
    assert thousands("n/a") == "n/a"
    assert _sep_numbers("130775.039986176 + 23 = 130798.04 USD") == \
        "130,775.039986176 + 23 = 130,798.04 USD"


def test_report_has_separators_and_json_does_not(cli, tmp_path):
    ex = EXAMPLES / "sentiment-bert-measured"
    args = ("attribute", "--bill", ex / "bill.csv", "--counts", ex / "counts.csv")
    code, out, err = cli(*args, "--out", tmp_path / "a")
    assert code == 0, err
    s = json.loads((tmp_path / "a" / "summary.json").read_text())
    bill = s["totals"]["bill"]
    assert float(bill) >= 1000 and "," not in bill
    assert f"bill       {thousands(f'{float(bill):.2f}')} USD" in out
    code, js, _ = cli(*args, "--out", tmp_path / "b", "--json")
    assert code == 0 and json.loads(js)["totals"]["bill"] == bill  # --json: plain exact strings


def test_unit_costs_keep_four_significant_digits_never_e_notation():
    from decimal import Decimal

    from infercost.core.money import unit_cost_text as _unit

    # the figures a small real bill gave: 0.04 USD over 101 requests
    assert _unit(Decimal("3.040E-7")) == "0.0000003040"  # str() of this Decimal is E-notation
    assert _unit(Decimal("0.0078")) == "0.007800"  # was "0.01" at 2 decimals
    assert _unit(Decimal("0.000304")) == "0.0003040"  # was "0.00"
    assert _unit(Decimal("813.9187")) == "813.92"  # >= 1: cents
    assert _unit(Decimal("12345.678")) == "12,345.68"
    assert _unit(Decimal(0)) == "0" and _unit(None) == "n/a"


def test_report_prints_small_unit_costs_in_full(cli, tmp_path):
    from decimal import Decimal

    from infercost import api
    from infercost.cli.attribute import render

    ex = EXAMPLES / "sentiment-bert-measured"
    s = api.attribute(str(ex / "bill.csv"), counts=[str(ex / "counts.csv")], out=tmp_path / "a").summary
    s["unit_costs"].update(cost_per_request=Decimal("3.040E-7"), cost_per_1k_requests=Decimal("0.000304"),
                           cost_per_1m_tokens=Decimal("0.0078"))
    text = " ".join(render(s, tmp_path / "a", width=80).split())
    assert "per request 0.0000003040, per 1k requests 0.0003040, per 1M tokens 0.007800 USD" in text
    assert "E-" not in text


def test_bill_alone_report_shows_the_bills_own_breakdown(cli, tmp_path, shared_data):
    """--bill alone: charge labels, the largest services and resources (summary.json's
    charges, by_service, top_resources), each amount in the cost basis."""
    from decimal import Decimal

    FOCUS_SAMPLE = shared_data / "focus" / "focus-1.0-sample-1000.csv"
    code, out, err = cli("attribute", "--bill", FOCUS_SAMPLE, "--out", tmp_path / "a")
    assert code == 0, err
    s = json.loads((tmp_path / "a" / "summary.json").read_text())
    text = " ".join(out.split())
    # no usage: the header names no driver (nothing was split by one)
    assert "(duckdb, EffectiveCost, the bill alone: no usage)" in text
    assert "driver" not in text.split("billing period")[0]

    def two(v):
        return thousands(f"{Decimal(v):.2f}")

    usage = s["charges"]["usage"]["effective_cost"]
    assert f"charges: usage {two(usage)}" in text
    svc = max(s["by_service"], key=lambda x: abs(Decimal(x["cost"])))
    name = svc["service"]
    if [x["service"] for x in s["by_service"]].count(name) > 1:
        name += f" ({svc['category']})"
    assert f"by service: {name} {two(svc['cost'])}" in text
    assert f", and {len(s['by_service']) - 5} more" in text
    res = s["top_resources"][0]
    assert f"top resources: {res['resource_id']} (shared) {two(res['cost'])}" in text
    # under BilledCost the lines follow the basis
    code, out, err = cli("attribute", "--bill", FOCUS_SAMPLE, "--cost-basis", "BilledCost",
                         "--out", tmp_path / "b")
    assert code == 0, err
    billed = json.loads((tmp_path / "b" / "summary.json").read_text())["charges"]["usage"]
    assert f"charges: usage {two(billed['billed_cost'])}" in " ".join(out.split())


def test_a_service_in_two_categories_is_named_with_each(cli, tmp_path):
    ex = EXAMPLES / "sentiment-bert-measured"
    code, out, err = cli("attribute", "--bill", ex / "bill.csv", "--counts", ex / "counts.csv",
                         "--out", tmp_path / "a")
    assert code == 0, err
    assert "(duckdb, EffectiveCost, driver capacity)" in " ".join(out.split())
    s = json.loads((tmp_path / "a" / "summary.json").read_text())
    cats = {x["category"] for x in s["by_service"] if x["service"] == "Amazon SageMaker"}
    assert len(cats) == 2
    text = " ".join(out.split())
    for c in cats:
        assert f"Amazon SageMaker ({c})" in text
    assert "charges: usage 1,054.97, tax 63.30" in text  # the example's own figures


def test_a_bill_with_credits_says_its_driver_shares_are_of_the_net_bill(cli, tmp_path):
    # instance time 10 and a credit of -4: shares of the net 6 read 166.7% and -66.7%,
    # printed before as if a driver could be 167% of the bill without a word
    import pandas as pd

    from tests.attribution_helpers import focus_row

    bill = tmp_path / "bill.csv"
    pd.DataFrame([focus_row("10", "i-1"), focus_row("-4", None, category="Credit",
                                                    service="Other")]).to_csv(bill, index=False)
    usage = tmp_path / "usage.csv"
    usage.write_text("timestamp,request_id,resource_id,duration_ms\n"
                     "2026-10-01T00:10:00Z,r1,i-1,1000\n")
    code, out, err = cli("attribute", "--bill", bill, "--usage", usage, "--out", tmp_path / "o")
    assert code == 0, err
    text = " ".join(out.split())
    assert ("drivers (shares of the net bill, credits below zero): instance time (fleet) "
            "166.7%, credit -66.7%") in text
    # a bill without a negative driver keeps the plain line
    pd.DataFrame([focus_row("10", "i-1")]).to_csv(bill, index=False)
    code, out, err = cli("attribute", "--bill", bill, "--usage", usage, "--out", tmp_path / "p")
    assert code == 0 and "drivers: instance time (fleet) 100.0%" in " ".join(out.split())


def test_idle_share_is_not_printed_of_a_fleet_cost_below_zero(cli, tmp_path):
    # hour 0: 2 USD used; hour 1: a -5 USD credit, idle: idle -5 of a fleet cost of -3
    # printed "idle share of fleet cost 166.7%" (two negatives make a share of nothing)
    import pandas as pd

    from tests.attribution_helpers import focus_row

    bill = tmp_path / "bill.csv"
    pd.DataFrame([focus_row("2", "i-1", 0), focus_row("-5", "i-1", 1)]).to_csv(bill, index=False)
    usage = tmp_path / "u.csv"
    usage.write_text("timestamp,request_id,resource_id,duration_ms\n"
                     "2026-10-01T00:10:00Z,a,i-1,100\n")
    code, out, err = cli("attribute", "--bill", bill, "--usage", usage, "--out", tmp_path / "a")
    assert code == 0, err
    text = " ".join(out.split())
    assert ("idle share of fleet cost n/a (the fleet's cost is -3.00 USD, not above zero: "
            "credits or negative rows exceed its charges)") in text, out
    assert "166.7%" not in text
