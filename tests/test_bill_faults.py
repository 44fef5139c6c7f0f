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


# ------------------------------------- a currency or a billing period a bill cannot have

def _read(path, engine: bool):
    from infercost.ingest.backends import connect
    from infercost.ingest.bill import read_bill
    from infercost.ingest.bill_engine import FleetHint

    return read_bill([path], **({"con": connect("duckdb"), "hint": FleetHint()}
                                if engine else {}))


@pytest.mark.parametrize("engine", [False, True])
@pytest.mark.parametrize("code", ["XYZ", "US$", "EURO"])
def test_a_bill_currency_that_is_no_iso_code_is_refused_by_its_row(tmp_path, engine, code):
    """`BillingCurrency` `XYZ` failed at the end of the run, after every pass, with
    "currency must be an ISO 4217 code ... (got 'XYZ')": no file, row or column."""
    from infercost.errors import InputError

    bill = tmp_path / "bill.csv"
    pd.DataFrame([focus_row("2.5", "i-1"), focus_row("1", "i-1", start=1, currency=code)]
                 ).to_csv(bill, index=False)
    with pytest.raises(InputError) as e:
        _read(bill, engine)
    assert str(e.value) == (f"{bill}: row 2: column BillingCurrency: must be an ISO 4217 "
                            f"code like USD or EUR (got {code!r})")


def test_a_cur_currency_that_is_no_iso_code_is_refused_by_the_command(cli, tmp_path):
    from tests.attribution_helpers import attribute_fails

    bill = _cur(tmp_path, {**_fee("100", "100"), "line_item_currency_code": "DOLLAR"})
    msg = attribute_fails(cli, "--bill", bill, "--out", tmp_path / "o")
    assert msg == (f"{bill}: row 3: column line_item_currency_code: must be an ISO 4217 code "
                   "like USD or EUR (got 'DOLLAR')")
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("engine", [False, True])
@pytest.mark.parametrize("end", ["2026-10-01 00:00:00", "2026-09-01 00:00:00"])
def test_a_billing_period_ending_before_it_starts_is_refused(tmp_path, engine, end):
    """BillingPeriodStart 2026-10-01 with BillingPeriodEnd 2026-09-01 was read: the
    report printed the period "2026-10-01 .. 2026-09-01" and allocated into it."""
    from infercost.errors import InputError

    bill = tmp_path / "bill.csv"
    pd.DataFrame([focus_row("2.5", "i-1"), focus_row("1", "i-1", start=1,
                                                     BillingPeriodEnd=end)]
                 ).to_csv(bill, index=False)
    with pytest.raises(InputError) as e:
        _read(bill, engine)
    assert str(e.value) == (
        f"{bill}: row 2: column BillingPeriodEnd: the billing period ends at or before it "
        f"starts (BillingPeriodStart 2026-10-01T00:00:00Z, BillingPeriodEnd "
        f"{end.replace(' ', 'T')}Z); expected the end after the start")


# ------------------------------------------------- a CUR line item given twice in a file

@pytest.mark.parametrize("engine", [False, True])
def test_a_cur_line_item_repeated_in_one_file_is_noted(tmp_path, engine):
    """A CUR row given twice in one file (same identity_line_item_id and interval) was
    counted twice with no word: across two files the overlap note fires, within one
    nothing did. Both copies stay counted (no figure says which is right)."""
    bill = _cur(tmp_path, _fee("100", "100"))
    rows = pd.read_csv(bill, dtype=str, keep_default_na=False)
    twice = pd.concat([rows, rows.iloc[[0]]], ignore_index=True)
    twice.to_csv(bill, index=False)
    b = _read(bill, engine)
    assert bool(b.reduced) == engine
    assert [n for n in b.notes if "identity_line_item_id" in n] == [
        f"{bill}: 1 row repeats the identity_line_item_id and time interval of another "
        "row: each is counted as billed, but AWS writes a line item once per interval in "
        "a file (rows given twice?)"]
    assert b.rows["billed_cost"].sum() == D("198.32")  # 98.32 twice - 98.32 + 100


@pytest.mark.parametrize("engine", [False, True])
def test_cur_line_items_of_other_intervals_or_without_ids_are_not_repeats(tmp_path, engine):
    bill = _cur(tmp_path, _fee("100", "100"))
    rows = pd.read_csv(bill, dtype=str, keep_default_na=False)
    later = rows.iloc[[0]].assign(line_item_usage_start_date="2026-10-01T01:00:00Z",
                                  line_item_usage_end_date="2026-10-01T02:00:00Z")
    no_id = rows.iloc[[1, 1]].assign(identity_line_item_id="")
    pd.concat([rows, later, no_id], ignore_index=True).to_csv(bill, index=False)
    assert not [n for n in _read(bill, engine).notes if "identity_line_item_id" in n]


def test_the_usage_span_note_shows_a_billing_period_off_midnight_with_its_time():
    """GCP's invoice month starts at US Pacific midnight (07:00Z): the note said "0 hours
    of the billing period's 31.0 days, 2026-10-01 to 2026-11-01" for usage at 00:00Z on
    2026-10-01, which reads as inside it."""
    from infercost.allocation.engine import _span_note

    t = pd.Timestamp
    gdf = pd.DataFrame({"hour": [t("2026-10-01 00:00")], "n_ok": [3]})
    hq = pd.DataFrame({"hour": [t("2026-10-01 00:00"), t("2026-10-01 01:00")]})
    got = _span_note(gdf, t("2026-10-01 07:00"), t("2026-11-01 07:00"), hq)
    assert got == ["the usage covers 2026-10-01T00:00Z to 2026-10-01T01:00Z (0 hours of the "
                   "billing period's 31.0 days, 2026-10-01T07:00Z to 2026-11-01T07:00Z): 1 of "
                   "the 2 billed fleet resource-hours fall outside it and are idle, and the "
                   "whole-bill cost per request divides the whole period's bill by these "
                   "requests"]
    assert "31.0 days, 2026-10-01 to 2026-11-01)" in _span_note(
        gdf, t("2026-10-01"), t("2026-11-01"), hq)[0]
