"""FOCUS bills: the real sample's totals to the last digit, quirks, bad input."""

from __future__ import annotations

import csv
from decimal import Decimal

import pandas as pd
import pytest

from infercost.errors import InputError
from infercost.ingest import read_bill
from tests.attribution_helpers import focus_row


def test_focus_sample_ingests_and_totals_match_file_sums(shared_data):
    path = shared_data / "focus" / "focus-1.0-sample-1000.csv"
    if not path.is_file():
        pytest.skip("FOCUS sample absent")
    expected: dict[str, dict[str, Decimal]] = {}
    with open(path, newline="") as fh:
        for rec in csv.DictReader(fh):
            p = expected.setdefault(rec["ProviderName"], {"BilledCost": Decimal(0),
                                                          "EffectiveCost": Decimal(0)})
            for col in ("BilledCost", "EffectiveCost"):
                v = rec[col]
                p[col] += Decimal(0) if v in ("", "NULL") else Decimal(v)
    bill = read_bill(path)
    assert bill.format == "focus"
    assert bill.rows_read == len(bill.rows) == 1000
    for basis in ("BilledCost", "EffectiveCost"):
        got = bill.totals(basis, "provider")
        assert set(got) == {"AWS", "Microsoft", "Oracle"}
        for provider, sums in expected.items():
            assert got[provider] == sums[basis], (provider, basis)
            # to the last digit: same digits, not just numerically equal
            assert str(got[provider]) == str(sums[basis])


def test_focus_sample_quirks_are_normalized(shared_data):
    path = shared_data / "focus" / "focus-1.0-sample-1000.csv"
    if not path.is_file():
        pytest.skip("FOCUS sample absent")
    rows = read_bill(path).rows
    assert set(rows["charge_frequency"].dropna()) <= {"Usage-Based", "One-Time", "Recurring"}
    assert rows["charge_class"].isna().all()  # the literal NULL is null
    assert rows["charge_start"].notna().all()
    assert (rows["service_category"] == "AI and Machine Learning").sum() == 9
    keys = {k for t in rows["tags"] for k in t}
    assert all(k == k.strip() for k in keys)
    labels = rows["label"].value_counts().to_dict()
    assert labels["credit"] == 1 and labels["adjustment"] == 2 and labels["commitment_used"] == 4
    assert int(rows["resource_id"].isna().sum()) == 75


def _write(tmp_path, rows, name="bill.csv"):
    p = tmp_path / name
    df = pd.DataFrame(rows)
    if name.endswith(".parquet"):
        df.to_parquet(p)
    else:
        df.to_csv(p, index=False)
    return p


@pytest.mark.parametrize("version_cols", [
    {},  # 1.0
    {"ChargeClass": "NULL", "CommitmentDiscountStatus": "NULL"},  # 1.1 adds status
    {"ChargeClass": "NULL", "CapacityReservationId": "NULL", "ServiceSubcategory": "GPU",
     "x_Custom": "1"},  # 1.2 columns and a custom one
])
@pytest.mark.parametrize("ext", ["csv", "parquet"])
def test_focus_versions_and_formats(tmp_path, version_cols, ext):
    rows = [focus_row("1.25", "i-1", **version_cols), focus_row("-0.25", category="Credit",
                                                                **version_cols)]
    bill = read_bill(_write(tmp_path, rows, f"b.{ext}"))
    assert bill.totals("EffectiveCost", "provider") == {"AWS": Decimal("1.00")}
    assert list(bill.rows["label"]) == ["usage", "credit"]


def test_charges_are_labelled_never_dropped(tmp_path):
    rows = [
        focus_row("10", "i-1"),
        focus_row("-3", category="Credit", ChargeDescription="Refund for outage"),
        focus_row("2", category="Tax"),
        focus_row("-1", category="Usage", ChargeClass="Correction"),
        focus_row("100", category="Purchase", CommitmentDiscountId="sp-1"),
        focus_row("5", "i-1", CommitmentDiscountStatus="Used", CommitmentDiscountId="sp-1"),
        focus_row("4", CommitmentDiscountStatus="unused", CommitmentDiscountId="sp-1"),
        focus_row("1", category="adjustment"),
    ]
    bill = read_bill(_write(tmp_path, rows))
    assert list(bill.rows["label"]) == [
        "usage", "refund", "tax", "correction", "commitment_purchase", "commitment_used",
        "commitment_unused", "adjustment"]
    assert bill.totals("EffectiveCost", "currency") == {"USD": Decimal(118)}


def test_billed_cost_basis(tmp_path):
    bill = read_bill(_write(tmp_path, [focus_row("7", billed="10")]))
    assert bill.totals("BilledCost", "currency")["USD"] == 10
    assert bill.totals("EffectiveCost", "currency")["USD"] == 7


def test_missing_columns_are_named(tmp_path):
    rows = [focus_row("1")]
    for r in rows:
        del r["EffectiveCost"]
        del r["ChargePeriodEnd"]
    with pytest.raises(InputError) as e:
        read_bill(_write(tmp_path, rows))
    assert "EffectiveCost" in str(e.value) and "ChargePeriodEnd" in str(e.value)
    assert "bill.csv" in str(e.value)


def test_unparsable_amount_names_file_row_and_column(tmp_path):
    rows = [focus_row("1"), focus_row("1"), focus_row("1.2.3", billed="1")]
    with pytest.raises(InputError) as e:
        read_bill(_write(tmp_path, rows))
    assert "row 3" in str(e.value) and "EffectiveCost" in str(e.value)


def test_unparsable_timestamp_names_row(tmp_path):
    rows = [focus_row("1"), focus_row("1", ChargePeriodStart="yesterday")]
    with pytest.raises(InputError) as e:
        read_bill(_write(tmp_path, rows))
    assert "row 2" in str(e.value) and "ChargePeriodStart" in str(e.value)


def test_mixed_currencies_need_a_rate(tmp_path):
    rows = [focus_row("1"), focus_row("1", currency="EUR")]
    p = _write(tmp_path, rows)
    with pytest.raises(InputError) as e:
        read_bill(p)
    assert "EUR" in str(e.value) and "USD" in str(e.value)
    bill = read_bill(p, rates={"EUR": Decimal("1.10")}, currency="USD")
    assert bill.totals("EffectiveCost", "currency") == {"USD": Decimal("2.10")}


def test_focus_sample_attributes_end_to_end(shared_data, tmp_path):
    """The real sample through the whole run: a log on one of its resources; the four
    totals add up to the file's own EffectiveCost sum."""
    from infercost.allocation.run import run_attribution

    path = shared_data / "focus" / "focus-1.0-sample-1000.csv"
    if not path.is_file():
        pytest.skip("FOCUS sample absent")
    with open(path, newline="") as fh:
        recs = list(csv.DictReader(fh))
    total = sum((Decimal(r["EffectiveCost"]) for r in recs), Decimal(0))
    paid = [r for r in recs if r["ResourceId"] != "NULL" and Decimal(r["EffectiveCost"]) > 0
            and r["ServiceCategory"] == "Compute"]
    r0 = paid[0]
    log = tmp_path / "usage.csv"
    pd.DataFrame([
        {"timestamp": r0["ChargePeriodStart"], "request_id": "a", "model": "m",
         "resource_id": r0["ResourceId"], "duration_ms": 10},
        {"timestamp": r0["ChargePeriodStart"], "request_id": "b", "model": "m",
         "resource_id": r0["ResourceId"], "duration_ms": 30},
        {"timestamp": "2030-01-01 00:00:00", "request_id": "c", "model": "m",
         "resource_id": r0["ResourceId"], "duration_ms": 30},
    ]).to_csv(log, index=False)
    s = run_attribution(path, log, tmp_path / "out")
    t = s["totals"]
    assert t["bill"] == total
    assert s["conservation"]["holds"]
    assert t["allocated"] + t["idle"] + t["shared"] + t["unallocated"] == total
    assert t["allocated"] > 0 and s["rows"]["usage_outside_period"] == 1
    assert {k for k in s["by_provider"]} == {"AWS", "Microsoft", "Oracle"}


@pytest.mark.parametrize(("cell", "what"), [
    ("Taxes", "'Taxes' is not a FOCUS ChargeCategory"),
    ("Refund", "'Refund' is not a FOCUS ChargeCategory"),
    ("", "empty"),
    ("NULL", "empty"),
])
@pytest.mark.parametrize("ext", ["csv", "parquet"])
def test_focus_charge_category_outside_the_spec_is_refused_by_row(tmp_path, cell, what, ext):
    """A ChargeCategory none of the five FOCUS values (or empty) was read as usage with no
    note: a 3 USD tax became shared usage, a -2 `Refund` was netted into the fleet hour."""
    rows = [focus_row("10", "i-1"), focus_row("3", category=cell), focus_row("1", "i-1")]
    with pytest.raises(InputError) as e:
        read_bill(_write(tmp_path, rows, f"b.{ext}"))
    assert str(e.value) == (
        f"{tmp_path / f'b.{ext}'}: row 2: column ChargeCategory: {what}; expected one of "
        "Usage, Purchase, Tax, Credit, Adjustment (FOCUS requires a value in every row)")


def test_focus_charge_category_in_any_case_and_preview_charge_type_still_read(tmp_path):
    rows = [focus_row("10", "i-1", category="usage"), focus_row("3", category=" TAX "),
            focus_row("-1", category="credit")]
    assert list(read_bill(_write(tmp_path, rows)).rows["label"]) == ["usage", "tax", "credit"]
    for r in rows:  # FOCUS 0.5 spells the column ChargeType
        r["ChargeType"] = r.pop("ChargeCategory")
    rows[1]["ChargeType"] = "Taxes"
    with pytest.raises(InputError, match="row 2: column ChargeCategory: 'Taxes'"):
        read_bill(_write(tmp_path, rows, "p.csv"))
