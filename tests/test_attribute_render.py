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
