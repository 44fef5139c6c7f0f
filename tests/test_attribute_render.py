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

    from infercost.cli.attribute import _unit

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
