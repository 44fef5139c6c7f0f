"""Bill files that overlap (the same fleet resource-hour and SkuId billed by two files):
their charges are all counted, as given, and a note says so."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tests.attribution_helpers import attribute_json, focus_row


def _usage(tmp_path):
    p = tmp_path / "u.csv"
    p.write_text("timestamp,request_id,resource_id,duration_ms\n"
                 "2026-10-01T00:10:00Z,a,i-1,100\n2026-10-01T01:10:00Z,b,i-1,100\n")
    return p


def _write(path, rows):
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


ROWS = [focus_row("2.5", "i-1", SkuId="BoxUsage:g5"),
        focus_row("1.5", "i-1", start=1, SkuId="BoxUsage:g5"),
        focus_row("2.25", "vol-1", service="Storage", SkuId="EBS:gp3")]


def test_a_file_and_a_slice_of_it_are_both_counted_with_a_note(cli, tmp_path):
    """`--bill bill.csv --bill part.csv` (part: the first row again): 14.25 billed, the
    hour 00:00 of i-1 twice; before, no note said so."""
    whole = _write(tmp_path / "bill.csv", ROWS)
    part = _write(tmp_path / "part.csv", ROWS[:1])
    s = attribute_json(cli, "--bill", whole, "--bill", part, "--usage", _usage(tmp_path),
                       "--out", tmp_path / "o")
    assert s["totals"]["bill"] == "8.75"  # as given: every copy counted
    note = [n for n in s["notes"] if "more than one bill file" in n]
    assert note == [f"1 hour of charges billed by more than one bill file, for the same "
                    f"SkuId or by files of two formats (first: ResourceId i-1, hour "
                    f"2026-10-01T00:00Z, in {whole} and {part}): if the files overlap, those "
                    "charges are counted twice (every copy is allocated as billed)"]


def test_files_of_other_hours_or_skus_are_not_an_overlap(cli, tmp_path):
    """A month in two parts (other hours), or the same hour of another SkuId (an
    instance's data transfer in the second part): no note."""
    a = _write(tmp_path / "a.csv", ROWS[:1])
    b = _write(tmp_path / "b.csv", [ROWS[1], focus_row("0.1", "i-1", SkuId="DataTransfer")])
    s = attribute_json(cli, "--bill", a, "--bill", b, "--usage", _usage(tmp_path),
                       "--out", tmp_path / "o")
    assert not [n for n in s["notes"] if "more than one bill file" in n]
    assert s["conservation"]["holds"]


def test_a_daily_row_overlapping_hourly_rows_of_another_file(cli, tmp_path):
    """A row of a whole day in one file covers the hourly rows of another: each of its
    hours counts (2 here)."""
    a = _write(tmp_path / "a.csv", ROWS[:2])
    b = _write(tmp_path / "b.csv", [focus_row("96", "i-1", hours=24, SkuId="BoxUsage:g5")])
    s = attribute_json(cli, "--bill", a, "--bill", b, "--usage", _usage(tmp_path),
                       "--out", tmp_path / "o")
    assert [n.split(" billed")[0] for n in s["notes"] if "more than one bill file" in n] == [
        "2 hours of charges"]


def test_overlaps_in_the_engine_reduction(tmp_path):
    """The engine's reduced rows (hourly rows summed per day) are compared by their hours:
    the same as row by row."""
    from infercost.allocation.overlaps import overlap_notes
    from infercost.ingest.backends import connect
    from infercost.ingest.bill import read_bill
    from infercost.ingest.bill_engine import FleetHint

    hourly = [focus_row("1", "i-1", start=h, SkuId="BoxUsage:g5") for h in range(48)]
    a = tmp_path / "a.parquet"
    pd.DataFrame(hourly).to_parquet(a)
    b = _write(tmp_path / "b.csv", hourly[30:33])
    got = []
    for kw in ({}, {"con": connect("duckdb"), "hint": FleetHint(frozenset({"i-1"}))}):
        bill = read_bill([a, b], **kw)
        mask = (bill.rows["resource_id"] == "i-1").to_numpy()
        from infercost.allocation.engine import FleetHourRows

        hr = FleetHourRows.of(bill, mask, "effective_cost")
        got.append(overlap_notes(bill.rows, mask, hr))
    assert got[0] == got[1] and got[0][0].startswith("3 hours of charges billed")
    assert "hour 2026-10-02T06:00Z" in got[0][0]


def test_one_file_is_not_compared(tmp_path):
    from infercost.allocation.overlaps import overlap_notes
    from infercost.ingest.bill import read_bill

    bill = read_bill(_write(tmp_path / "a.csv", ROWS + ROWS[:1]))
    assert overlap_notes(bill.rows, np.ones(len(bill.rows), dtype=bool), None) == []


def test_rows_outside_the_fleet_are_compared(tmp_path):
    """Rows outside the fleet (all of them, without usage) are compared as read row by
    row: a file and a slice of it, 13 billed, the 3 twice."""
    from infercost.allocation.overlaps import overlap_notes
    from infercost.ingest.bill import read_bill

    whole = _write(tmp_path / "bill.csv", ROWS)
    part = _write(tmp_path / "part.csv", ROWS[1:2])
    bill = read_bill([whole, part])
    got = overlap_notes(bill.rows, np.zeros(len(bill.rows), dtype=bool), None, bill.formats)
    assert [n.split(" (first")[0] for n in got] == [
        "1 hour of charges billed by more than one bill file, for the same SkuId or by files "
        "of two formats"]


def test_charges_without_a_resource_id_need_the_same_sku(tmp_path):
    """Tax rows (no ResourceId) of two files overlap only for the same SkuId: a FOCUS and
    a CUR file of two accounts each have their own tax."""
    from infercost.allocation.overlaps import overlap_notes
    from infercost.ingest.bill import read_bill

    tax = focus_row("4", None, category="Tax", service="Other", SkuId="Tax:VAT")
    other = {**tax, "SkuId": "Tax:GST"}
    none = np.zeros(3, dtype=bool)
    a, b = _write(tmp_path / "a.csv", [tax]), _write(tmp_path / "b.csv", [other])
    bill = read_bill([a, b])
    assert overlap_notes(bill.rows, none[:2], None, {str(a): "focus", str(b): "cur"}) == []
    c = _write(tmp_path / "c.csv", [tax, ROWS[0]])
    bill = read_bill([a, c])
    got = overlap_notes(bill.rows, none, None, bill.formats)
    assert got and "(first: no ResourceId, Tax, hour 2026-10-01T00:00Z" in got[0]


def test_rows_a_reduced_file_summed_outside_the_fleet_are_not_compared(tmp_path):
    from infercost.allocation.overlaps import overlap_notes
    from infercost.ingest.bill import read_bill

    a, b = _write(tmp_path / "a.csv", ROWS), _write(tmp_path / "b.csv", ROWS[2:])
    bill = read_bill([a, b])
    mask = np.zeros(len(bill.rows), dtype=bool)
    assert overlap_notes(bill.rows, mask, None, bill.formats) != []
    assert overlap_notes(bill.rows, mask, None, bill.formats, [str(a)]) == []


def test_a_focus_export_beside_the_cur_of_the_same_hours(cli, tmp_path):
    """FOCUS and CUR name their SKUs apart: the same fleet hour and ChargeCategory in files
    of two formats is an overlap."""
    focus = _write(tmp_path / "focus.csv", ROWS[:1])
    cur = _write(tmp_path / "cur.csv", [{
        "identity_line_item_id": "x", "line_item_line_item_type": "Usage",
        "line_item_usage_start_date": "2026-10-01T00:00:00Z",
        "line_item_usage_end_date": "2026-10-01T01:00:00Z",
        "bill_billing_period_start_date": "2026-10-01T00:00:00Z",
        "bill_billing_period_end_date": "2026-11-01T00:00:00Z",
        "line_item_currency_code": "USD", "line_item_product_code": "AmazonEC2",
        "line_item_usage_type": "BoxUsage:g5.xlarge", "line_item_resource_id": "i-1",
        "line_item_unblended_cost": "2.5"}])
    s = attribute_json(cli, "--bill", focus, "--bill", cur, "--usage", _usage(tmp_path),
                       "--out", tmp_path / "o")
    assert s["totals"]["bill"] == "5"
    assert [n.split(" (first")[0] for n in s["notes"] if "more than one bill file" in n] == [
        "1 hour of charges billed by more than one bill file, for the same SkuId or by "
        "files of two formats"]
