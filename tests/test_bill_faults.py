"""Faults of the bill readers: a CUR Savings Plan recurring fee under BilledCost, and a
shared row whose charge period ends before it starts read by the Spark engine."""

from __future__ import annotations

import shutil
from decimal import Decimal

import pandas as pd
import pytest

from tests.attribution_helpers import focus_row

D = Decimal
PERIOD_HEAD = "period_start,period_s,resource_id,endpoint,model,model_version,tenant,requests"


# ------------------------------------------------------- CUR recurring fee, BilledCost

def _cur(tmp_path, fee: dict, name: str = "cur.csv"):
    """One hour of a CUR 2.0 export: p5 usage covered by a Savings Plan (on-demand
    98.32, the plan's rate 70.79), its negation, and the plan's recurring fee `fee`."""
    base = {"identity_line_item_id": "", "line_item_usage_start_date": "2026-10-01T00:00:00Z",
            "line_item_usage_end_date": "2026-10-01T01:00:00Z",
            "bill_billing_period_start_date": "2026-10-01T00:00:00Z",
            "bill_billing_period_end_date": "2026-11-01T00:00:00Z",
            "line_item_currency_code": "USD", "line_item_product_code": "AmazonEC2",
            "line_item_usage_type": "BoxUsage:p5.48xlarge", "line_item_resource_id": "i-1",
            "savings_plan_savings_plan_a_r_n": "arn:aws:savingsplans::1:savingsplan/sp-1"}
    rows = [
        {**base, "identity_line_item_id": "a", "line_item_line_item_type":
         "SavingsPlanCoveredUsage", "line_item_unblended_cost": "98.32",
         "savings_plan_savings_plan_effective_cost": "70.79"},
        {**base, "identity_line_item_id": "b", "line_item_line_item_type":
         "SavingsPlanNegation", "line_item_unblended_cost": "-98.32"},
        {**base, "identity_line_item_id": "c", "line_item_line_item_type":
         "SavingsPlanRecurringFee", "line_item_product_code": "ComputeSavingsPlans",
         "line_item_usage_type": "ComputeSP:1yrNoUpfront", "line_item_resource_id":
         "arn:aws:savingsplans::1:savingsplan/sp-1", **fee},
    ]
    p = tmp_path / name
    pd.DataFrame(rows).to_csv(p, index=False)
    return p


def _charges(bill) -> dict:
    """label -> (bill rows, BilledCost, EffectiveCost) of a read bill."""
    r = bill.rows
    out = {}
    for lab, g in r.groupby("label"):
        out[lab] = (int(g["nrows"].sum()), sum(g["billed_cost"], D(0)),
                    sum(g["effective_cost"], D(0)))
    return out


def _fee(total, used, recurring="100"):
    return {"line_item_unblended_cost": recurring,
            "savings_plan_total_commitment_to_date": total,
            "savings_plan_used_commitment": used}


@pytest.mark.parametrize("engine", [False, True])
def test_cur_recurring_fee_under_billed_cost_is_a_commitment_purchase(tmp_path, engine):
    """Under BilledCost the whole recurring fee (100) was labelled commitment_unused,
    though 70.79 of it paid for the covered usage. Its BilledCost is the fee paid for the
    commitment, as AWS's FOCUS export books it (a Purchase row): commitment_purchase,
    with no CommitmentDiscountStatus; money unchanged; the row-by-row reader and the
    engine's reduction agree."""
    from infercost.ingest.backends import connect
    from infercost.ingest.bill import read_bill
    from infercost.ingest.bill_engine import FleetHint

    p = _cur(tmp_path, _fee("100", "70.79"))
    kw = {"con": connect("duckdb"), "hint": FleetHint(frozenset({"i-1"}))} if engine else {}
    bill = read_bill(p, cost_basis="BilledCost", **kw)
    assert bill.reduced == ([str(p)] if engine else [])
    c = _charges(bill)
    assert c["commitment_purchase"] == (1, D("100"), D("29.21"))
    assert "commitment_unused" not in c
    assert c["commitment_used"] == (1, D("98.32"), D("70.79"))
    assert c["commitment_negation"] == (1, D("-98.32"), D("0"))
    fee = bill.rows[bill.rows["label"] == "commitment_purchase"]
    assert fee["commitment_status"].isna().all()
    assert sum(bill.rows["billed_cost"], D(0)) == D("100")  # no money moved


def test_cur_recurring_fee_under_effective_cost_is_unchanged(tmp_path):
    """Under EffectiveCost the fee row's amount is the unused commitment (29.21)."""
    from infercost.ingest.bill import read_bill

    bill = read_bill(_cur(tmp_path, _fee("100", "70.79")))
    c = _charges(bill)
    assert c["commitment_used"] == (1, D("98.32"), D("70.79"))
    assert c["commitment_unused"] == (1, D("100"), D("29.21"))
    assert (bill.rows.loc[bill.rows["label"] == "commitment_unused", "commitment_status"]
            == "Unused").all()
    assert len(bill.rows) == 3 and not bill.notes


def test_cur_recurring_fee_in_the_attribution_summary(tmp_path):
    """`attribute --cost-basis BilledCost`: the fee is a commitment purchase in the
    charges, the drivers and the bill's breakdown (the commitments line), not unused
    commitment; under EffectiveCost its 29.21 is unused commitment."""
    import infercost

    p = _cur(tmp_path, _fee("100", "70.79"))
    counts = tmp_path / "counts.csv"
    counts.write_text(f"{PERIOD_HEAD}\n2026-10-01T00:00:00Z,3600,i-1,/e,m,1,acme,70\n")
    s = infercost.attribute(p, counts=counts, cost_basis="BilledCost").summary
    assert s["charges"]["commitment_purchase"]["billed_cost"] == D("100")
    assert "commitment_unused" not in s["charges"]
    assert {d["driver"]: d["cost"] for d in s["drivers"]}["commitment purchase"] == D("100")
    assert s["totals"]["bill"] == D("100") and s["conservation"]["holds"]
    e = infercost.attribute(p, counts=counts, out=tmp_path / "e").summary
    assert e["charges"]["commitment_unused"]["effective_cost"] == D("29.21")
    assert {d["driver"]: d["cost"] for d in e["drivers"]}["commitment unused"] == D("29.21")


# ------------------------------------------------- shared row ending before it starts

def _back_bill(tmp_path, *more):
    """A fleet row, a volume, and two tax rows ending a day before they start (the second
    spelt without seconds, as Spark does not read a time)."""
    bill = tmp_path / "bill.csv"
    tax = focus_row("0.5", None, category="Tax", service="Other", ServiceName="Tax",
                    hours=-24)
    short = {**tax, "ChargePeriodStart": "2026-10-01T00:00Z",
             "ChargePeriodEnd": "2026-09-30T00:00Z"}
    pd.DataFrame([focus_row("2.5", "i-1"), focus_row("1.5", "vol", service="Storage"),
                  tax, short, *more]).to_csv(bill, index=False)
    counts = tmp_path / "counts.csv"
    counts.write_text(f"{PERIOD_HEAD}\n2026-10-01T00:00:00Z,3600,i-1,/e,m,1,acme,70\n")
    return bill, counts


BACK_NOTE = ("2 bill rows outside the fleet have a charge period that ends before it starts "
             "(first: ServiceName Tax, ChargePeriodStart 2026-10-01T00:00:00Z, ChargePeriodEnd "
             "2026-09-30T00:00:00Z): their 1 USD is shared as billed, but the bill is "
             "malformed there")


@pytest.mark.spark
def test_spark_notes_a_shared_row_ending_before_it_starts_as_duckdb_does(tmp_path):
    """The Spark reduction summed the rows outside the fleet without their charge
    periods, so a tax row ending before it starts got no note there (DuckDB's did)."""
    pytest.importorskip("pyspark")
    if shutil.which("java") is None:
        pytest.skip("Java is not installed")
    from infercost.allocation.run import run_attribution

    bill, counts = _back_bill(tmp_path)
    a = run_attribution(bill, None, tmp_path / "duck", counts=counts)
    b = run_attribution(bill, None, tmp_path / "spark", backend="spark", counts=counts)
    assert a["_bill_reader"]["engine"] == b["_bill_reader"]["engine"] == [str(bill)]
    for s in (a, b):
        assert [n for n in s["notes"] if "ends before it starts" in n] == [BACK_NOTE]
        assert s["totals"]["shared"] == D("2.5") and s["conservation"]["holds"]
    assert a["totals"] == b["totals"] and a["charges"] == b["charges"]
    assert a["notes"] == b["notes"]


def test_a_shared_row_ending_before_it_starts_by_its_offset_is_noted(tmp_path):
    """`2026-10-01T01:00:00+02:00` is 23:00 the day before: the engine compared the
    texts' clock times without their offsets, reduced the row and no note named it."""
    import infercost

    odd = focus_row("0.25", None, category="Tax", service="Other", ServiceName="Tax",
                    ChargePeriodStart="2026-10-01T00:00:00Z",
                    ChargePeriodEnd="2026-10-01T01:00:00+02:00")
    bill, counts = _back_bill(tmp_path)
    pd.DataFrame([focus_row("2.5", "i-1"), odd]).to_csv(bill, index=False)
    s = infercost.attribute(bill, counts=counts).summary
    assert [n for n in s["notes"] if "ends before it starts" in n] == [
        "1 bill row outside the fleet has a charge period that ends before it starts "
        "(ServiceName Tax, ChargePeriodStart 2026-10-01T00:00:00Z, ChargePeriodEnd "
        "2026-09-30T23:00:00Z): its 0.25 USD is shared as billed, but the bill is "
        "malformed there"]
