"""Commitments in bills: exact labels and amounts (AWS RIs, GCP CUDs, the cost basis).

Effective cost is what a commitment makes a usage row cost (amortised); billed cost is
the invoiced (unblended / list) amount. Each mapping below is by hand from the source
docs quoted in infercost.ingest.cur and infercost.ingest.gcp.
"""

from __future__ import annotations

import json
import tempfile
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from infercost.allocation.rules import parse_rules
from infercost.errors import InputError
from infercost.ingest import read_bill
from infercost.ingest.bill import basis_column

BASE = {
    "bill_billing_period_start_date": "2026-10-01T00:00:00Z",
    "bill_billing_period_end_date": "2026-11-01T00:00:00Z",
    "line_item_usage_start_date": "2026-10-01T00:00:00Z",
    "line_item_usage_end_date": "2026-10-01T01:00:00Z",
    "line_item_currency_code": "USD", "line_item_product_code": "AmazonEC2",
    "line_item_usage_type": "BoxUsage:p5.48xlarge", "line_item_resource_id": "i-1",
}


def _cur_ri(tmp: Path) -> Path:
    rows = [
        # an RI-covered hour: CUR 2.0 shows the on-demand-equivalent unblended cost (98.32);
        # the amortised cost is reservation_effective_cost (upfront share + recurring fee)
        {**BASE, "line_item_line_item_type": "DiscountedUsage",
         "line_item_unblended_cost": "98.32", "reservation_effective_cost": "61.20",
         "reservation_reservation_a_r_n": "arn:aws:ec2:us-east-1:1:reserved-instances/r-1"},
        # the RI's monthly fee: its amortised share is already in the covered rows
        {**BASE, "line_item_line_item_type": "RIFee", "line_item_unblended_cost": "1500",
         "line_item_resource_id": None,
         "reservation_reservation_a_r_n": "arn:aws:ec2:us-east-1:1:reserved-instances/r-1"},
        {**BASE, "line_item_line_item_type": "Usage", "line_item_unblended_cost": "10",
         "line_item_resource_id": "i-2"},
    ]
    p = tmp / "cur.csv"
    pd.DataFrame(rows).to_csv(p, index=False)
    return p


def test_cur_reserved_instance_rows(tmp_path):
    r = read_bill(_cur_ri(tmp_path)).rows
    assert list(r["label"]) == ["commitment_used", "commitment_unused", "usage"]
    assert list(r["charge_category"]) == ["Usage", "Purchase", "Usage"]
    assert list(r["commitment_status"].fillna("-")) == ["Used", "Unused", "-"]
    assert list(r["billed_cost"]) == [Decimal("98.32"), Decimal(1500), Decimal(10)]
    # DiscountedUsage -> reservation_effective_cost; RIFee -> its unused part (no
    # reservation_unused_* columns here: 0, with a note)
    assert list(r["effective_cost"]) == [Decimal("61.20"), Decimal(0), Decimal(10)]
    # billed 98.32 + 1,500 + 10 = 1,608.32; effective 61.20 + 0 + 10 = 71.20
    assert r["billed_cost"].sum() == Decimal("1608.32")
    assert r["effective_cost"].sum() == Decimal("71.20")
    assert r["commitment_id"].iloc[0].endswith("r-1")


def _gcp(tmp: Path, credits: list[dict]) -> Path:
    rec = {"service": {"id": "6F81", "description": "Compute Engine"},
           "sku": {"id": "A100", "description": "A100 GPU"},
           "usage_start_time": "2026-10-01T00:00:00Z", "usage_end_time": "2026-10-01T01:00:00Z",
           "cost": 10, "currency": "USD", "cost_type": "regular", "invoice": {"month": "202610"},
           "resource": {"name": "n1", "global_name": "//compute/n1"}, "credits": credits}
    p = tmp / "gcp.jsonl"
    p.write_text(json.dumps(rec) + "\n")
    return p


def test_gcp_credit_types_map_to_labels(tmp_path):
    credits = [
        {"name": "CUD", "amount": -3, "type": "COMMITTED_USAGE_DISCOUNT"},
        {"name": "Spend CUD", "amount": -1, "type": "COMMITTED_USAGE_DISCOUNT_DOLLAR_BASE"},
        {"name": "SUD", "amount": -0.5, "type": "SUSTAINED_USAGE_DISCOUNT"},
        {"name": "Contract", "amount": -0.25, "type": "DISCOUNT"},
        {"name": "Free tier", "amount": -0.125, "type": "FREE_TIER"},
        {"name": "Promo", "amount": -0.0625, "type": "PROMOTION"},
    ]
    r = read_bill(_gcp(tmp_path, credits)).rows
    assert list(r["label"]) == ["usage", "commitment_used", "commitment_used", "discount",
                                "discount", "credit", "credit"]
    assert list(r["charge_category"]) == ["Usage"] + ["Credit"] * 6
    assert list(r["commitment_status"].fillna("-")) == ["-", "Used", "Used", "-", "-", "-", "-"]
    # each credit keeps its own amount; net = 10 - (3 + 1 + 0.5 + 0.25 + 0.125 + 0.0625)
    #                                       = 10 - 4.9375 = 5.0625
    assert list(r["effective_cost"]) == [Decimal(10), Decimal(-3), Decimal(-1), Decimal("-0.5"),
                                         Decimal("-0.25"), Decimal("-0.125"), Decimal("-0.0625")]
    assert r["effective_cost"].sum() == Decimal("5.0625")
    assert r["billed_cost"].sum() == Decimal("5.0625")  # GCP credits are invoiced


@pytest.mark.parametrize(("spelling", "expected"), [
    ("EffectiveCost", "EffectiveCost"), ("effectivecost", "EffectiveCost"),
    ("effective_cost", "EffectiveCost"), ("EFFECTIVE_COST", "EffectiveCost"),
    ("BilledCost", "BilledCost"), ("billedcost", "BilledCost"), ("billed_cost", "BilledCost"),
    ("BILLEDCOST", "BilledCost"),
])
def test_cost_basis_spellings(spelling, expected):
    assert parse_rules({"cost_basis": spelling}).cost_basis == expected
    assert basis_column(spelling) == {"EffectiveCost": "effective_cost",
                                      "BilledCost": "billed_cost"}[expected]


@pytest.mark.parametrize("spelling", ["ListCost", "Effective Cost!", "cost", ""])
def test_other_cost_basis_spellings_are_refused(spelling):
    with pytest.raises(InputError, match="cost_basis"):
        parse_rules({"cost_basis": spelling})


def test_cost_basis_decides_what_an_ri_covered_hour_costs(tmp_path):
    from infercost.allocation.engine import attribute
    from infercost.ingest.backends import connect
    from tests.attribution_helpers import make_usage, usage_row

    bill_path = _cur_ri(tmp_path)
    con = connect("duckdb")
    use = [usage_row("a", "i-1", 0.1, 100)]
    got = {}
    for basis in ("EffectiveCost", "BilledCost"):
        with tempfile.TemporaryDirectory() as out:
            res = attribute(read_bill(bill_path), make_usage(con, use),
                            parse_rules({"cost_basis": basis}), con, Path(out))
        got[basis] = res.summary["totals"]
    # the RI-covered hour on i-1: 61.20 amortised, 98.32 on-demand equivalent
    assert got["EffectiveCost"]["allocated"] == Decimal("61.20")
    assert got["BilledCost"]["allocated"] == Decimal("98.32")
    # the rest is shared (i-2 is not in the log: 10; the RI fee: 0 effective, 1,500 billed)
    assert got["EffectiveCost"]["shared"] == Decimal(10)
    assert got["BilledCost"]["shared"] == Decimal(1510)
    assert got["EffectiveCost"]["bill"] == Decimal("71.20")
    assert got["BilledCost"]["bill"] == Decimal("1608.32")
