"""Bill files that overlap (the same fleet resource-hour and SkuId billed by two files):
their charges are all counted, as given, and a note says so."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest

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


def test_rows_a_reduced_file_summed_are_left_to_the_engine(tmp_path):
    """Rows of a reduced file that stand for several bill rows, or lost their charge
    period, are compared in the engine (`shared_charges_note`), not here; its rows
    standing for one bill row each keep their periods and are compared here."""
    from infercost.allocation.overlaps import overlap_notes
    from infercost.ingest.bill import read_bill

    a, b = _write(tmp_path / "a.csv", ROWS), _write(tmp_path / "b.csv", ROWS[2:])
    bill = read_bill([a, b])
    mask = np.zeros(len(bill.rows), dtype=bool)
    assert overlap_notes(bill.rows, mask, None, bill.formats) != []
    assert overlap_notes(bill.rows, mask, None, bill.formats, [str(a)]) != []
    for col, value in (("period_dropped", True), ("nrows", 2)):
        rows = bill.rows.copy()
        rows.loc[rows["source"] == str(a), col] = value
        assert overlap_notes(rows, mask, None, bill.formats, [str(a)]) == []


#: the note on charges the engine summed that are in two files (`shared_charges_note`)
SHARED = ("1 charge (the same ResourceId, SkuId, charge category and charge period, as "
          "written) in more than one bill file ({a} and {b}): if the files overlap, those "
          "charges are counted twice (every copy is allocated as billed)")


def _summed_bills(tmp_path):
    """A month's bill (fleet i-1, a volume, a month of tax) and a slice of it: the
    volume's day again."""
    whole = _write(tmp_path / "bill.csv", [
        ROWS[0], focus_row("2", "vol-1", hours=24, service="Storage", SkuId="EBS:gp3"),
        focus_row("0.5", None, hours=24 * 31, category="Tax", service="Other",
                  SkuId="Tax")])
    part = _write(tmp_path / "part.csv", [focus_row("2", "vol-1", hours=24,
                                                    service="Storage", SkuId="EBS:gp3")])
    return whole, part


def test_a_bill_only_run_notes_a_slice_the_engine_summed(tmp_path):
    """`--bill bill.csv --bill part.csv` without usage on DuckDB: the engine sums every
    row outside the fleet without its charge period, so the volume's day billed twice
    (7 instead of 5) had no note."""
    from infercost.allocation.run import run_attribution

    whole, part = _summed_bills(tmp_path)
    for usage in (None, _usage(tmp_path)):
        s = run_attribution([whole, part], usage, tmp_path / f"o{usage is None}")
        assert s["totals"]["bill"] == 7  # as given: every copy counted
        assert s["_bill_reader"]["engine"] == [str(whole), str(part)]
        assert [n for n in s["notes"] if "more than one bill file" in n] == [
            SHARED.format(a=whole, b=part)]


def test_charges_the_engine_summed_in_other_hours_are_not_shared(tmp_path):
    """The same volume on another day, the same tax of another month, a file of other
    SKUs: no note."""
    whole, _ = _summed_bills(tmp_path)
    other = _write(tmp_path / "other.csv", [
        focus_row("2", "vol-1", start=24, hours=24, service="Storage", SkuId="EBS:gp3"),
        focus_row("2", "vol-1", hours=24, service="Storage", SkuId="EBS:io2"),
        focus_row("0.5", None, start=24 * 31, hours=24 * 30, category="Tax",
                  service="Other", SkuId="Tax")])
    from infercost.allocation.run import run_attribution

    s = run_attribution([whole, other], None, tmp_path / "o")
    assert s["_bill_reader"]["engine"] == [str(whole), str(other)]
    assert not [n for n in s["notes"] if "more than one bill file" in n]


def test_shared_charges_are_found_per_format():
    """Charges are compared as written, so only files of one format; each file's
    charges are distinct (the engine's DISTINCT)."""
    from infercost.ingest.bill_engine import MAX_KEYS, shared_charges_note

    k = np.array([[1, 2], [3, 4], [5, 6]], dtype=np.int64)
    assert shared_charges_note([("a", "focus", k), ("b", "cur", k)]) is None
    assert shared_charges_note([("a", "focus", k), ("b", "focus", k[1:] + 1)]) is None
    got = shared_charges_note([("a", "focus", k), ("b", "focus", k[:2]), ("c", "focus", k[2:])])
    assert got is not None and got.startswith("3 charges (") and "(a and b and c)" in got
    big = np.zeros((MAX_KEYS // 2 + 1, 2), dtype=np.int64)
    assert shared_charges_note([("a", "cur", big), ("b", "cur", big)]) == (
        f"bill files not compared for charges billed twice: over {MAX_KEYS:,} distinct "
        "charges")


@pytest.mark.spark
def test_spark_notes_a_slice_the_engine_summed_as_duckdb_does(tmp_path):
    pytest.importorskip("pyspark")
    if shutil.which("java") is None:
        pytest.skip("Java is not installed")
    from infercost.allocation.run import run_attribution

    whole, part = _summed_bills(tmp_path)
    a = run_attribution([whole, part], None, tmp_path / "duck")
    b = run_attribution([whole, part], None, tmp_path / "spark", backend="spark")
    assert a["_bill_reader"]["engine"] == b["_bill_reader"]["engine"] == [str(whole), str(part)]
    assert [n for n in b["notes"] if "more than one bill file" in n] == [
        SHARED.format(a=whole, b=part)]
    assert a["notes"] == b["notes"] and a["totals"] == b["totals"]


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
