"""Faults a new user met in real-looking exports: each exits 2 with one line naming the
file, row or key, or (where the figures stay right) is said in a note. Before, each
was a silent wrong figure or a traceback (the case's docstring says which)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from infercost.errors import InputError, engine_text
from tests.attribution_helpers import attribute_fails, attribute_json, focus_row

RID = "i-1"
USAGE_HEAD = "timestamp,request_id,resource_id,duration_ms,input_tokens,output_tokens"


def _bill_rows() -> list[dict]:
    return [focus_row("2.5", RID), focus_row("1.5", RID, start=1),
            focus_row("0.2", None, category="Tax", service="Other", hours=24)]


def _csv(path: Path, rows: list[dict]) -> Path:
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def _usage(tmp_path: Path, lines: list[str] | None = None) -> Path:
    p = tmp_path / "usage.csv"
    p.write_text("\n".join([USAGE_HEAD, *(lines or [
        f"2026-10-01T00:10:00Z,a,{RID},100,3,4", f"2026-10-01T01:10:00Z,b,{RID},300,5,6"])])
        + "\n")
    return p


_fails = attribute_fails
_runs = attribute_json


# ------------------------------------------------------------------ bill columns


@pytest.mark.parametrize("kind", ["csv", "parquet"])
def test_a_bill_column_twice_in_other_case_is_refused(cli, tmp_path, kind):
    """`effectivecost` = 999 before the real `EffectiveCost`: the engine (DuckDB renames
    one) read the first, and the bill came to 999 x rows, exit 0."""
    df = pd.DataFrame(_bill_rows())
    df.insert(0, "effectivecost", "999")
    bill = tmp_path / f"bill.{kind}"
    df.to_csv(bill, index=False) if kind == "csv" else df.to_parquet(bill)
    line = _fails(cli, "--bill", bill, "--usage", _usage(tmp_path), "--out", tmp_path / "o")
    assert line == (f"{bill}: columns 'effectivecost' and 'EffectiveCost' differ only in "
                    "letter case (expected each column once: which one holds the figures?)")
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("amount", ["1_408", "\uff11\uff12", "\u0661\u0662"])
def test_bill_amounts_with_underscores_or_non_ascii_digits_are_refused(cli, tmp_path, amount):
    """Python's Decimal reads "1_408" as 1408 and full-width or Arabic-Indic digits as
    numbers: the bill grew by 1,408 USD with no word."""
    rows = _bill_rows()
    rows[1]["BilledCost"] = rows[1]["EffectiveCost"] = amount
    bill = _csv(tmp_path / "bill.csv", rows)
    line = _fails(cli, "--bill", bill, "--usage", _usage(tmp_path), "--out", tmp_path / "o")
    assert line == f"{bill}: row 2: column BilledCost: expected a decimal amount, got {amount!r}"


def test_a_row_with_neither_cost_is_noted_by_both_readers(cli, tmp_path):
    """BilledCost and EffectiveCost both empty (FOCUS: BilledCost is never null): read as
    0, said in a note; the same note from the engine (Parquet) and the row reader."""
    rows = _bill_rows()
    rows[1]["BilledCost"] = rows[1]["EffectiveCost"] = ""
    bill = _csv(tmp_path / "bill.csv", rows)
    pbill = tmp_path / "bill.parquet"
    t = pa.table({k: pa.array([r[k] for r in rows], pa.string()) for k in rows[0]})
    t = t.set_column(0, "BilledCost", pa.array([2.5, None, 0.2], pa.float64()))
    t = t.set_column(1, "EffectiveCost", pa.array([2.5, float("nan"), 0.2], pa.float64()))
    pq.write_table(t, pbill)
    dbill = tmp_path / "bill-decimal.parquet"  # decimal amounts: read in the engine
    pq.write_table(t.set_column(0, "BilledCost", pa.array(
        [Decimal("2.5"), None, Decimal("0.2")], pa.decimal128(10, 2))).set_column(
        1, "EffectiveCost", pa.array([Decimal("2.5"), None, Decimal("0.2")],
                                     pa.decimal128(10, 2))), dbill)
    from infercost.ingest.backends import connect
    from infercost.ingest.bill import read_bill
    from infercost.ingest.bill_engine import FleetHint

    for f in (bill, dbill):  # the engine's count and the row reader's: one note
        red = read_bill(f, con=connect("duckdb"), hint=FleetHint(resource_ids=frozenset()))
        rows = read_bill(f)
        assert red.reduced == [str(f)] and rows.reduced == []
        assert red.notes == rows.notes == [
            f"{f}: 1 row with neither BilledCost nor EffectiveCost: taken as costing 0 "
            "(FOCUS: BilledCost is never null)"]
    for f in (bill, pbill, dbill):
        s = _runs(cli, "--bill", f, "--usage", _usage(tmp_path), "--out", tmp_path / "o")
        assert s["totals"]["bill"] == "2.7"  # 2.5 + 0 + 0.2
        assert (f"{f}: 1 row with neither BilledCost nor EffectiveCost: taken as costing 0 "
                "(FOCUS: BilledCost is never null)") in s["notes"], f


def test_tags_that_are_no_json_object_are_noted_and_azure_tags_without_braces_read(
        cli, tmp_path):
    """Tags text that is not JSON matched no `fleet: tags` selector, silently (its rows
    went to shared); Azure's older exports write `"team": "ml"` without the braces."""
    rows = [focus_row("2", "i-a", tags={"team": "ml"}), focus_row("3", "i-b"),
            focus_row("5", "i-c"), focus_row("7", "i-d")]
    rows[1]["Tags"] = '"team": "ml","env": "prod"'  # Azure, no braces: read
    rows[2]["Tags"] = "team=ml"                      # not JSON: noted
    rows[3]["Tags"] = "{'team': 'ml'}"               # Python, not JSON: noted
    bill = _csv(tmp_path / "bill.csv", rows)
    rules = tmp_path / "rules.yaml"
    rules.write_text("fleet: {tags: {team: ml}}\n")
    s = _runs(cli, "--bill", bill, "--usage", _usage(tmp_path), "--rules", rules,
              "--out", tmp_path / "o")
    assert s["totals"]["idle"] == "5"  # i-a 2 + i-b 3: the fleet, no requests there
    assert s["totals"]["shared"] == "12"  # i-c 5 + i-d 7
    assert (f"{bill}: 2 rows whose Tags are not a JSON object (first: row 3): read as no "
            "tags, so no `fleet: tags` selector matches them") in s["notes"]


# ------------------------------------------------------------------ CUR, GCP, timestamps

CUR_HEAD = ("line_item_line_item_type,line_item_unblended_cost,line_item_currency_code,"
            "line_item_usage_start_date,line_item_usage_end_date,line_item_resource_id")


def test_cur_savings_plan_rows_need_their_effective_cost(cli, tmp_path):
    """SavingsPlanCoveredUsage rows without savings_plan_savings_plan_effective_cost cost
    0 (a missing column read as nulls): the bill lost the covered hours, exit 0."""
    t0, t1 = "2026-10-01T00:00:00Z", "2026-10-01T01:00:00Z"
    bill = tmp_path / "cur.csv"
    bill.write_text(f"{CUR_HEAD}\nUsage,1.5,USD,{t0},{t1},{RID}\n"
                    f"SavingsPlanCoveredUsage,2.0,USD,{t0},{t1},{RID}\n")
    line = _fails(cli, "--bill", bill, "--usage", _usage(tmp_path), "--out", tmp_path / "o")
    assert line == (f"{bill}: row 2: a SavingsPlanCoveredUsage row and no "
                    "savings_plan_savings_plan_effective_cost column (expected its amortised "
                    "cost there, the row's EffectiveCost: without it the row would cost 0); "
                    "under --cost-basis BilledCost the file reads, with a note")
    bill.write_text(f"{CUR_HEAD},savings_plan_savings_plan_effective_cost\n"
                    f"Usage,1.5,USD,{t0},{t1},{RID},\n"
                    f"SavingsPlanCoveredUsage,2.0,USD,{t0},{t1},{RID},1.2\n")
    s = _runs(cli, "--bill", bill, "--usage", _usage(tmp_path), "--out", tmp_path / "o")
    assert s["totals"]["bill"] == "2.7"  # 1.5 + 1.2 (the amortised cost, not 2.0)


@pytest.mark.parametrize("stamp", ["2/10/2026 06:00", "13/10/2026 06:00", "10.02.2026",
                                   "1790848800"])
def test_bill_dates_of_numbers_not_year_first_are_refused(cli, tmp_path, stamp):
    """"2/10/2026 06:00" was read as February 10 (month first): the fleet hour moved out
    of the billing period and its request got 0.0037 of 1.41 USD, exit 0 (and
    "13/10/2026" as October 13 in the same file); a bare number may be seconds or ms."""
    rows = _bill_rows()
    rows[1]["ChargePeriodStart"] = stamp
    bill = _csv(tmp_path / "bill.csv", rows)
    line = _fails(cli, "--bill", bill, "--usage", _usage(tmp_path), "--out", tmp_path / "o")
    assert line == (f"{bill}: row 2: column ChargePeriodStart: cannot parse timestamp "
                    f"{stamp!r} (expected ISO 8601, year first: 2026-10-01T00:00:00Z)")


def test_year_first_spellings_other_than_iso_still_read():
    from infercost.ingest.billrows import parse_times

    s = pd.Series(["2026-10-01 01:00:00 UTC", "2026-10-01T02:00:00+02:00", "2026-10-01 03:00",
                   "1 Oct 2026 04:00", "Oct 1 2026 5am"])  # (a month's name: one reading)
    got = parse_times(s, "c", "f", pd.Series([1, 2, 3, 4, 5]))
    assert got.tolist() == [pd.Timestamp("2026-10-01 01:00"), pd.Timestamp("2026-10-01 00:00"),
                            pd.Timestamp("2026-10-01 03:00"), pd.Timestamp("2026-10-01 04:00"),
                            pd.Timestamp("2026-10-01 05:00")]


def test_gcp_invoice_month_must_be_yyyymm(cli, tmp_path):
    """`invoice.month` "2026-10" became '2026--1-01' and the billing period January."""
    rec = {"cost": 1.5, "currency": "USD", "usage_start_time": "2026-10-01T00:00:00Z",
           "usage_end_time": "2026-10-01T01:00:00Z", "invoice": {"month": "2026-10"},
           "service": {"description": "Compute Engine"}, "resource": {"global_name": RID}}
    bill = tmp_path / "gcp.jsonl"
    bill.write_text(json.dumps(rec) + "\n")
    line = _fails(cli, "--bill", bill, "--out", tmp_path / "o")
    assert line == (f"{bill}: row 1: column invoice.month: expected YYYYMM (as 202610), "
                    "got '2026-10'")


# ------------------------------------------------------------------ usage numbers


@pytest.mark.parametrize(("cell", "column", "what"), [
    ("1_000,3,4", "duration_ms", "a number; first '1_000'"),
    ("100,12.7,4", "input_tokens", "a whole number; first '12.7'"),
    ("100,3,4_0", "output_tokens", "a whole number; first '4_0'"),
])
def test_usage_numbers_with_underscores_or_fractional_tokens_are_refused(
        cli, tmp_path, cell, column, what):
    """DuckDB read "1_000" as 1000 and rounded a token count of 12.7 to 13, exit 0."""
    usage = _usage(tmp_path, [f"2026-10-01T00:10:00Z,a,{RID},100,3,4",
                              f"2026-10-01T01:10:00Z,b,{RID},{cell}"])
    bill = _csv(tmp_path / "bill.csv", _bill_rows())
    line = _fails(cli, "--bill", bill, "--usage", usage, "--out", tmp_path / "o")
    assert line == f"{usage}: row 2: column {column}: 1 value cannot be parsed as {what}"


# ------------------------------------------------------------------ rules


@pytest.mark.parametrize(("yaml", "where", "message"), [
    ('fleet: {from_usage: "no"}', "fleet.from_usage", "expected true or false, got 'no'"),
    ("fleet: {from_usage: [false]}", "fleet.from_usage",
     "expected true or false, got [False]"),
    ("fleet: []", "fleet", "expected a mapping"),
    ("fleet: false", "fleet", "expected a mapping"),
    ("fleet: {tags: {team: [a, b]}}", "fleet.tags",
     "expected a mapping of tag: value (text), got {'team': ['a', 'b']}"),
    ("fleet: {resource_ids: [{id: x}]}", "fleet.resource_ids",
     "expected a list of strings, got [{'id': 'x'}]"),
])
def test_rules_fleet_values_of_the_wrong_type_are_refused(tmp_path, yaml, where, message):
    """`from_usage: "no"` read as true (bool of text); `fleet: []` as no selector; a
    list where a tag value goes became the text "['a', 'b']"."""
    from infercost.allocation.rules import load_rules

    p = tmp_path / "rules.yaml"
    p.write_text(yaml + "\n")
    with pytest.raises(InputError) as e:
        load_rules(p)
    assert (e.value.where, e.value.message) == (f"{p}: {where}", message)


def test_rules_fleet_booleans_and_nulls_still_read(tmp_path):
    from infercost.allocation.rules import load_rules

    p = tmp_path / "rules.yaml"
    p.write_text("fleet: {from_usage: no, tags: {team: ml, n: 3}, services:}\n")
    r = load_rules(p)
    assert (r.from_usage, r.tags, r.services) == (False, {"team": "ml", "n": "3"}, [])


# ------------------------------------------------------------------ counts

COUNTS_HEAD = "period_start,period_s,resource_id,endpoint,requests"


@pytest.mark.parametrize(("rows", "message"), [
    (["2026-10-01T00:00:00Z,3600,i-1,/a,10", "2026-10-01T00:00:00Z,3600,i-1,/a,10"],
     "row 2: counts the same period as row 1 (2026-10-01T00:00:00, 3600 s) for the same "
     "resource and labels; expected each call counted once"),
    (["2026-10-01T00:00:00Z,3600,i-1,/a,10", "2026-10-01T00:30:00Z,3600,i-1,/a,10"],
     "row 2: counts a period overlapping that of row 1 (2026-10-01T00:00:00, 3600 s) for "
     "the same resource and labels; expected each call counted once"),
    (["2026-10-01T00:00:00Z,86400,i-1,/a,10", "2026-10-01T05:00:00Z,3600,i-1,/a,10"],
     "row 2: counts a period overlapping that of row 1 (2026-10-01T00:00:00, 86400 s) for "
     "the same resource and labels; expected each call counted once"),
])
def test_counts_rows_counting_the_same_calls_twice_are_refused(cli, tmp_path, rows, message):
    """A repeated row, a period overlapping another, an hourly row inside a daily one:
    each was added up (requests and cost doubled), exit 0."""
    counts = tmp_path / "counts.csv"
    counts.write_text("\n".join([COUNTS_HEAD, *rows]) + "\n")
    bill = _csv(tmp_path / "bill.csv", _bill_rows())
    line = _fails(cli, "--bill", bill, "--counts", counts, "--out", tmp_path / "o")
    assert line == f"{counts}: {message}"


def test_counts_of_other_labels_or_back_to_back_periods_are_kept(cli, tmp_path):
    counts = tmp_path / "counts.csv"
    counts.write_text("\n".join([COUNTS_HEAD, "2026-10-01T00:00:00Z,3600,i-1,/a,10",
                                 "2026-10-01T00:00:00Z,3600,i-1,/b,5",
                                 "2026-10-01T01:00:00Z,3600,i-1,/a,10"]) + "\n")
    bill = _csv(tmp_path / "bill.csv", _bill_rows())
    s = _runs(cli, "--bill", bill, "--counts", counts, "--out", tmp_path / "o")
    assert s["rows"]["usage_allocated"] == 25


def test_a_counts_file_given_twice_or_a_case_twin_column_is_refused(cli, tmp_path):
    """The same rows in two files doubled requests and cost; `requests` and `Requests`
    in one header was an AttributeError traceback."""
    rows = ["2026-10-01T00:00:00Z,3600,i-1,/a,10"]
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    for p in (a, b):
        p.write_text("\n".join([COUNTS_HEAD, *rows]) + "\n")
    bill = _csv(tmp_path / "bill.csv", _bill_rows())
    assert _fails(cli, "--bill", bill, "--counts", a, "--counts", b,
                  "--out", tmp_path / "o") == (
        f"{b}: row 1: counts the same period as {a}: row 1 (2026-10-01T00:00:00, 3600 s) for "
        "the same resource and labels; expected each call counted once")
    c = tmp_path / "c.csv"
    c.write_text(COUNTS_HEAD + ",Requests\n2026-10-01T00:00:00Z,3600,i-1,/a,10,11\n")
    assert _fails(cli, "--bill", bill, "--counts", c, "--out", tmp_path / "o") == (
        f"{c}: columns 'requests' and 'Requests' differ only in letter case (expected each "
        "column once: which one holds the figures?)")


# ------------------------------------------------------------------ files and --out


def test_a_bill_file_named_twice_or_copied_is_refused(cli, tmp_path):
    """`--bill B --bill B`, or a folder holding an export and its copy in a subfolder:
    the bill doubled, exit 0."""
    bill = _csv(tmp_path / "bill.csv", _bill_rows())
    usage = _usage(tmp_path)
    assert _fails(cli, "--bill", bill, "--bill", bill, "--usage", usage,
                  "--out", tmp_path / "o") == (
        f"{bill}: named twice (also as {bill}): expected each file once (its rows would "
        "count twice)")
    d = tmp_path / "export"
    (d / "sub").mkdir(parents=True)
    _csv(d / "part1.csv", _bill_rows())
    _csv(d / "sub" / "part1.csv", _bill_rows())
    assert _fails(cli, "--bill", d, "--usage", usage, "--out", tmp_path / "o") == (
        f"{d / 'sub' / 'part1.csv'}: the same bytes as {d / 'part1.csv'}: expected each "
        "bill file once (one export given twice?)")
    rows = _bill_rows()
    rows[0]["ResourceId"] = "i-9"  # another part of the month: read
    _csv(d / "sub" / "part1.csv", rows)
    s = _runs(cli, "--bill", d, "--usage", usage, "--out", tmp_path / "o")
    assert s["totals"]["bill"] == "8.4"  # 2 x (2.5 + 1.5 + 0.2)


def test_out_that_cannot_be_written_is_refused(cli, tmp_path):
    """A file on the way of --out was a FileExistsError traceback."""
    bill = _csv(tmp_path / "bill.csv", _bill_rows())
    (tmp_path / "afile").write_text("x")
    out = tmp_path / "afile" / "sub"
    assert _fails(cli, "--bill", bill, "--usage", _usage(tmp_path), "--out", out) == (
        f"--out {out}: cannot write the output folder (a file is on the way; expected a "
        "folder that can be made and written)")


def test_out_holding_a_folder_named_as_an_output_is_left_untouched(cli, tmp_path):
    """allocations.parquet as a folder (a Spark-style output): allocations.csv was
    replaced, then IsADirectoryError, leaving new and old files side by side."""
    bill = _csv(tmp_path / "bill.csv", _bill_rows())
    out = tmp_path / "o"
    (out / "allocations.parquet").mkdir(parents=True)
    (out / "allocations.csv").write_text("old")
    assert _fails(cli, "--bill", bill, "--usage", _usage(tmp_path), "--out", out) == (
        f"--out {out}: allocations.parquet there is a folder (expected a file, or none: this "
        "run writes it)")
    assert (out / "allocations.csv").read_text() == "old"
    assert sorted(p.name for p in out.iterdir()) == ["allocations.csv", "allocations.parquet"]


def test_engine_text_is_in_the_users_words():
    assert engine_text(RuntimeError("Invalid Input Error: No magic bytes found at end of "
                                    "file 'x.parquet'")) == (
        "not a Parquet file, or a truncated one (no Parquet footer at its end)")
    assert engine_text(RuntimeError("Conversion Error: Could not convert 'a' to INT64\n"
                                    "LINE 1: ...")) == "Could not convert 'a' to INT64"
    assert engine_text(ValueError("")) == "ValueError"
    assert len(engine_text(ValueError("x" * 1000))) == 300


# ------------------------------------------------------------------ rules the run leaves unused


def test_capacity_keys_naming_no_fleet_resource_or_another_driver_are_noted(cli, tmp_path):
    """A misspelt ResourceId under capacity_ms_per_hour left the default in force, with no
    word; capacity given under another driver did nothing, with no word."""
    bill = _csv(tmp_path / "bill.csv", _bill_rows())
    rules = tmp_path / "rules.yaml"
    rules.write_text("driver: capacity\ncapacity_ms_per_hour: {i-1x: 1000, i-1: 7200000}\n")
    s = _runs(cli, "--bill", bill, "--usage", _usage(tmp_path), "--rules", rules,
              "--out", tmp_path / "o")
    assert ("capacity_ms_per_hour: i-1x names no fleet resource (compared exactly): unused"
            in s["notes"])
    rules.write_text("capacity_ms_per_hour: {i-1: 7200000}\n")
    s = _runs(cli, "--bill", bill, "--usage", _usage(tmp_path), "--rules", rules,
              "--out", tmp_path / "o")
    assert ("capacity_ms_per_hour is used only under driver capacity (driver is "
            "duration_ms): ignored") in s["notes"]


def test_capacity_of_an_azure_id_applies_in_any_case():
    """Azure ids are compared in lower case (the bill's are lowered): a capacity keyed by
    the portal's spelling never applied."""
    from infercost.allocation.rules import parse_rules

    r = parse_rules({"driver": "capacity", "capacity_ms_per_hour": {
        "/subscriptions/ABC/resourceGroups/RG/x": 5, "i-A": 3, "default": 7}})
    assert r.capacity_ms("/subscriptions/abc/resourcegroups/rg/x") == 5
    assert r.capacity_ms("i-A") == 3 and r.capacity_ms("i-a") == 7  # other ids: exact


@pytest.mark.parametrize("flag", [("--counts-period", "60"), ("--counts-resource", "i-1")])
def test_counts_flags_without_counts_are_refused(cli, tmp_path, flag):
    bill = _csv(tmp_path / "bill.csv", _bill_rows())
    assert _fails(cli, "--bill", bill, "--usage", _usage(tmp_path), *flag,
                  "--out", tmp_path / "o") == (
        f"{flag[0]}: expected only with --counts (it says what a counts file leaves out)")


def test_rules_errors_found_while_reading_the_bill_name_the_rules_file(cli, tmp_path):
    """"error: rules: exchange_rates: ..." named no file."""
    bill = _csv(tmp_path / "bill.csv", _bill_rows())
    rules = tmp_path / "my-rules.yaml"
    rules.write_text("currency: EUR\n")
    assert _fails(cli, "--bill", bill, "--usage", _usage(tmp_path), "--rules", rules,
                  "--out", tmp_path / "o") == (
        f"{rules}: exchange_rates: the bill has USD rows and no exchange rate USD->EUR")


def test_an_aws_export_folder_skips_its_manifests_and_says_so(cli, tmp_path):
    """A CUR/FOCUS export folder as AWS writes it (data/ and metadata/ with a
    `...-Manifest.json`): the manifest was read as a bill and the run stopped."""
    root = tmp_path / "export"
    data = root / "data" / "BILLING_PERIOD=2026-10"
    meta = root / "metadata" / "BILLING_PERIOD=2026-10"
    data.mkdir(parents=True)
    meta.mkdir(parents=True)
    _csv(data / "part-0.csv", _bill_rows())
    (meta / "my-export-Manifest.json").write_text(json.dumps(
        {"dataFiles": ["s3://b/data/BILLING_PERIOD=2026-10/part-0.csv"]}))
    s = _runs(cli, "--bill", root, "--usage", _usage(tmp_path), "--out", tmp_path / "o")
    assert s["totals"]["bill"] == "4.2"
    assert ("skipped 1 AWS export manifest (my-export-Manifest.json): file lists, no "
            "charges") in s["notes"]
    # named alone, a manifest is read as what it is: no bill
    code, _, err = cli("attribute", "--bill", meta / "my-export-Manifest.json",
                       "--out", tmp_path / "o2")
    assert code == 2 and err.startswith("error: ")


def test_cur_line_item_types_the_reader_does_not_know_are_noted(tmp_path):
    from infercost.ingest.bill import read_bill

    t0, t1 = "2026-10-01T00:00:00Z", "2026-10-01T01:00:00Z"
    bill = tmp_path / "cur.csv"
    bill.write_text(f"{CUR_HEAD}\nUsage,1.5,USD,{t0},{t1},{RID}\n"
                    f"FutureThing,2.0,USD,{t0},{t1},{RID}\nFutureThing,1,USD,{t0},{t1},x\n")
    b = read_bill(bill)
    assert b.rows["label"].tolist() == ["usage", "adjustment", "adjustment"]
    assert b.notes == [f"{bill}: 2 rows of line item type FutureThing, which this reader does "
                       "not know: labelled adjustment"]


@pytest.mark.parametrize("line", ["[1, 2, 3]", "42", '"text"', "{oops"])
def test_a_json_lines_log_line_that_is_no_object_is_named(cli, tmp_path, line):
    """`[1,2,3]` on a line said "missing required columns" (no line, wrong cause); a
    malformed line gave the engine's text, its other line number and absolute path."""
    ok = json.dumps({"timestamp": "2026-10-01T00:10:00Z", "request_id": "a",
                     "resource_id": RID, "duration_ms": 100})
    usage = tmp_path / "usage.jsonl"
    usage.write_text("\n".join([ok, ok.replace('"a"', '"b"'), line, ok]) + "\n")
    bill = _csv(tmp_path / "bill.csv", _bill_rows())
    got = _fails(cli, "--bill", bill, "--usage", usage, "--out", tmp_path / "o")
    assert got in (f"{usage}: line 3: expected one JSON object per line",
                   f"{usage}: line 3: cannot read json: expected one JSON object per line")


TIMESTAMP = ("a UTC timestamp (a date and a time of day, ISO 8601: "
             "2026-10-01T00:15:00Z)")


@pytest.mark.parametrize("stamp", ["2026-10-01", "20261001T011000Z"])
def test_usage_timestamps_without_a_time_or_in_basic_form_are_refused_by_row(
        cli, tmp_path, stamp):
    """"2026-10-01" read as midnight: every request of the day sat in its first hour
    (allocated 39.53 of 237.18 in the tester's month). "20261001T011000Z": the engines
    refuse it, Python's parser reads it, so the row finder found no row to name."""
    bill = _csv(tmp_path / "bill.csv", _bill_rows())
    usage = _usage(tmp_path, [f"2026-10-01T00:10:00Z,a,{RID},100,3,4",
                              f"{stamp},b,{RID},300,5,6"])
    assert _fails(cli, "--bill", bill, "--usage", usage, "--out", tmp_path / "o") == (
        f"{usage}: row 2: column timestamp: 1 value cannot be parsed as {TIMESTAMP}; "
        f"first {stamp!r}")


def test_a_parquet_date_column_is_refused_as_timestamps(cli, tmp_path):
    bill = _csv(tmp_path / "bill.csv", _bill_rows())
    pqf = tmp_path / "usage.parquet"
    pq.write_table(pa.table({
        "timestamp": pa.array([pd.Timestamp("2026-10-01").date()] * 2, pa.date32()),
        "request_id": ["a", "b"], "resource_id": [RID, RID], "duration_ms": [1.0, 2.0]}), pqf)
    assert _fails(cli, "--bill", bill, "--usage", pqf, "--out", tmp_path / "o") == (
        f"{pqf}: column timestamp: expected timestamps, got dates without a time of day "
        "(requests per day are call counts: --counts)")


def test_error_lines_show_control_characters_escaped():
    """A NUL-padded row was echoed into the terminal as it was."""
    e = InputError("expected 4 columns, got 1 (" + "\x00" * 50 + "x\x1b[31m)", "f.csv: line 3")
    assert e.line() == ("error: f.csv: line 3: expected 4 columns, got 1 "
                        "(\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00...x\\x1b[31m)")
    assert InputError("got '1000000000000000'\ttab", "f").line() == (
        "error: f: got '1000000000000000'\ttab")  # (text and tabs as they are)


def test_truncated_and_empty_files_say_so(cli, tmp_path):
    import gzip

    bill = _csv(tmp_path / "bill.csv", _bill_rows())
    whole = gzip.compress(bill.read_bytes() * 20)
    cut = tmp_path / "bill-cut.csv.gz"
    cut.write_bytes(whole[: len(whole) // 2])
    assert _fails(cli, "--bill", cut, "--usage", _usage(tmp_path), "--out", tmp_path / "o") == (
        f"{cut}: cannot read csv: the compressed file is cut short (a truncated download?)")
    for name in ("empty.csv", "empty.parquet", "empty.jsonl"):
        (tmp_path / name).write_bytes(b"")
        assert _fails(cli, "--bill", tmp_path / name, "--out", tmp_path / "o") == (
            f"{tmp_path / name}: empty file (0 bytes; expected a bill)")
    (tmp_path / "blank.jsonl").write_text("\n")
    assert _fails(cli, "--bill", tmp_path / "blank.jsonl", "--out", tmp_path / "o") == (
        f"{tmp_path / 'blank.jsonl'}: no records (expected at least one charge)")
    logs = tmp_path / "logs"
    logs.mkdir()
    _usage(logs).rename(logs / "a.csv")
    (logs / "b.csv").write_bytes(b"")  # (it said "missing required columns")
    assert _fails(cli, "--bill", bill, "--usage", logs, "--out", tmp_path / "o") == (
        f"{logs / 'b.csv'}: empty file (0 bytes; expected a usage log)")


def test_exchange_rates_the_bill_does_not_use_are_noted(cli, tmp_path):
    """A rate for the bill's own currency, or for one it has no row in, did nothing,
    with no word."""
    bill = _csv(tmp_path / "bill.csv", _bill_rows())
    rules = tmp_path / "rules.yaml"
    rules.write_text("exchange_rates: {USD: 2}\n")
    s = _runs(cli, "--bill", bill, "--usage", _usage(tmp_path), "--rules", rules,
              "--out", tmp_path / "o")
    assert s["totals"]["bill"] == "4.2"  # (not doubled)
    assert "exchange_rates: USD unused (every bill row is in USD)" in s["notes"]
    rules.write_text("{currency: EUR, exchange_rates: {USD: 0.5, GBP: 2}}\n")
    s = _runs(cli, "--bill", bill, "--usage", _usage(tmp_path), "--rules", rules,
              "--out", tmp_path / "o")
    assert s["totals"]["bill"] == "2.1" and s["currency"] == "EUR"  # 4.2 x 0.5
    assert ("exchange_rates: GBP unused (the bill has USD rows, converted to EUR)"
            in s["notes"])


def test_gcp_missing_cost_or_credit_amount_is_noted(tmp_path):
    from infercost.ingest.bill import read_bill

    base = {"currency": "USD", "usage_start_time": "2026-10-01T00:00:00Z",
            "usage_end_time": "2026-10-01T01:00:00Z", "invoice": {"month": "202610"},
            "service": {"description": "Compute Engine"}}
    bill = tmp_path / "gcp.jsonl"
    bill.write_text("\n".join(json.dumps(r) for r in [
        {**base, "cost": 2.5}, {**base, "cost": None},
        {**base, "cost": 1, "credits": [{"name": "c", "type": "PROMOTION"}]}]) + "\n")
    b = read_bill(bill)
    assert sum(b.rows["effective_cost"]) == Decimal("3.5")
    assert b.notes == [f"{bill}: 2 cost or credit amounts missing (first: row 2): taken as 0"]


def test_an_otlp_attribute_given_twice_is_refused(cli, tmp_path):
    """A later copy of gen_ai.usage.input_tokens without a value erased the first: the
    span's tokens were lost, exit 0."""
    span = {"traceId": "0" * 31 + "1", "spanId": "0" * 15 + "1", "name": "chat",
            "startTimeUnixNano": "1790812800000000000", "endTimeUnixNano": "1790812800500000000",
            "attributes": [
                {"key": "gen_ai.request.model", "value": {"stringValue": "m"}},
                {"key": "gen_ai.usage.input_tokens", "value": {"intValue": "10"}},
                {"key": "infercost.resource_id", "value": {"stringValue": RID}},
                {"key": "gen_ai.usage.input_tokens"}]}
    doc = {"resourceSpans": [{"resource": {"attributes": []},
                              "scopeSpans": [{"spans": [span]}]}]}
    spans = tmp_path / "spans.json"
    spans.write_text(json.dumps(doc))
    bill = _csv(tmp_path / "bill.csv", _bill_rows())
    assert _fails(cli, "--bill", bill, "--usage", spans, "--out", tmp_path / "o") == (
        f"{spans}: document 1: span {'0' * 15}1: attribute 'gen_ai.usage.input_tokens' given "
        "twice (expected each key once, as OTLP requires)")


def test_one_bill_in_two_forms_is_refused(cli, tmp_path):
    """An export beside its .gz (or a copy with CRLF line endings): other bytes, the
    same charges; the bill doubled, exit 0."""
    import gzip

    d = tmp_path / "export"
    d.mkdir()
    bill = _csv(d / "bill.csv", _bill_rows())
    (d / "bill.csv.gz").write_bytes(gzip.compress(bill.read_bytes()))
    assert _fails(cli, "--bill", d, "--usage", _usage(tmp_path), "--out", tmp_path / "o") == (
        f"{d / 'bill.csv.gz'}: the same charges as {bill} (the same export in another form: "
        "compressed, other line endings, Parquet?): expected each charge once")
    (d / "bill.csv.gz").unlink()
    crlf = tmp_path / "bill-crlf.csv"
    crlf.write_bytes(bill.read_bytes().replace(b"\n", b"\r\n"))
    assert "the same charges as" in _fails(cli, "--bill", bill, "--bill", crlf, "--usage",
                                           _usage(tmp_path), "--out", tmp_path / "o")


def test_utc_plus_offsets_read_as_offsets(cli, tmp_path):
    """"2026-10-01 02:00:00 UTC+2" is 00:00Z; dateutil read it POSIX-wise (04:00Z), four
    hours off, while the usage reader read +02:00."""
    from infercost.ingest.billrows import parse_times

    s = pd.Series(["2026-10-01 02:00:00 UTC+2", "2026-10-01 02:00 GMT+02:00",
                   "2026-10-01 02:00:00 UTC-5", "2026-10-01 02:00 UTC+0530",
                   "2026-10-01 02:00:00 UTC"])
    assert parse_times(s, "c", "f", pd.Series(range(1, 6))).tolist() == [
        pd.Timestamp("2026-10-01 00:00"), pd.Timestamp("2026-10-01 00:00"),
        pd.Timestamp("2026-10-01 07:00"), pd.Timestamp("2026-09-30 20:30"),
        pd.Timestamp("2026-10-01 02:00")]


def test_case_twins_only_among_the_columns_read(cli, tmp_path):
    """AWS tag keys are case-sensitive: `resourceTags/user:Team` beside
    `resourceTags/user:team` in a legacy CUR is no ambiguity (not read), nor `x_CostCenter`
    beside `x_costcenter` in FOCUS; `lineItem/UnblendedCost` beside
    `LineItem/UnblendedCost` (both read as line_item_unblended_cost) is."""
    t0, t1 = "2026-10-01T00:00:00Z", "2026-10-01T01:00:00Z"
    head = ("lineItem/LineItemType,lineItem/UnblendedCost,lineItem/CurrencyCode,"
            "lineItem/UsageStartDate,lineItem/UsageEndDate,lineItem/ResourceId")
    bill = tmp_path / "cur.csv"
    bill.write_text(f"{head},resourceTags/user:Team,resourceTags/user:team\n"
                    f"Usage,1.5,USD,{t0},{t1},{RID},ml,ML\n")
    s = _runs(cli, "--bill", bill, "--usage", _usage(tmp_path), "--out", tmp_path / "o")
    assert s["totals"]["bill"] == "1.5"
    bill.write_text(f"{head},LineItem/UnblendedCost\nUsage,1.5,USD,{t0},{t1},{RID},9\n")
    assert _fails(cli, "--bill", bill, "--usage", _usage(tmp_path), "--out",
                  tmp_path / "o") == (
        f"{bill}: columns 'lineItem/UnblendedCost' and 'LineItem/UnblendedCost' differ only "
        "in letter case (expected each column once: which one holds the figures?)")
    df = pd.DataFrame(_bill_rows())
    df["x_CostCenter"], df["x_costcenter"] = "a", "b"
    f = tmp_path / "focus.csv"
    df.to_csv(f, index=False)
    assert _runs(cli, "--bill", f, "--usage", _usage(tmp_path),
                 "--out", tmp_path / "o")["totals"]["bill"] == "4.2"


def test_counts_split_by_a_column_not_read_are_summed_and_noted(cli, tmp_path):
    """SageMaker variants (AllTraffic, Canary) of one period: not the same calls twice,
    though the variant is not a label: summed, as before, and said."""
    counts = tmp_path / "counts.csv"
    counts.write_text(COUNTS_HEAD + ",variant_name\n2026-10-01T00:00:00Z,3600,i-1,/a,10,All\n"
                      "2026-10-01T00:00:00Z,3600,i-1,/a,5,Canary\n")
    bill = _csv(tmp_path / "bill.csv", _bill_rows())
    s = _runs(cli, "--bill", bill, "--counts", counts, "--out", tmp_path / "o")
    assert s["rows"]["usage_allocated"] == 15
    assert ("counts: counts.csv: column variant_name not read (the labels are endpoint, "
            "model, model_version, tenant): rows differing only there are summed"
            in s["notes"])


@pytest.mark.parametrize("cell", ["NaN", "nan", "null", "None", "inf", "1e19", "12.0"])
def test_token_counts_spelled_missing_or_out_of_range_read_as_unknown(cli, tmp_path, cell):
    """The fractional-count check cast NaN to an integer and stopped the run with the
    engine's text; NaN, null spellings, inf and counts past 2^53 read as unknown."""
    usage = _usage(tmp_path, [f"2026-10-01T00:10:00Z,a,{RID},100,3,4",
                              f"2026-10-01T01:10:00Z,b,{RID},300,{cell},6"])
    bill = _csv(tmp_path / "bill.csv", _bill_rows())
    s = _runs(cli, "--bill", bill, "--usage", usage, "--out", tmp_path / "o")
    assert s["rows"]["usage_allocated"] == 2
    assert s["unit_costs"]["tokens"] == (3 + 4 + 6 + (12 if cell == "12.0" else 0))


@pytest.mark.parametrize("kind", ["csv", "parquet", "jsonl"])
def test_rows_without_token_counts_are_noted_beside_the_cost_per_1m_tokens(cli, tmp_path,
                                                                           kind):
    """29 of 200 requests without input_tokens: cost per 1M tokens divided all allocated
    cost by the known tokens (10.5% high in the tester's month), with no word."""
    rows = [{"timestamp": f"2026-10-01T00:{10 + i:02d}:00Z", "request_id": f"r{i}",
             "resource_id": RID, "duration_ms": 100.0,
             "input_tokens": None if i < 2 else 3, "output_tokens": 4} for i in range(5)]
    df = pd.DataFrame(rows)
    usage = tmp_path / f"usage.{kind}"
    if kind == "csv":
        df.to_csv(usage, index=False)
    elif kind == "parquet":
        df.astype({"input_tokens": "Int64"}).to_parquet(usage)
    else:
        usage.write_text("\n".join(json.dumps({k: v for k, v in r.items()}) for r in rows))
    bill = _csv(tmp_path / "bill.csv", _bill_rows())
    s = _runs(cli, "--bill", bill, "--usage", usage, "--out", tmp_path / "o")
    assert s["unit_costs"]["tokens"] == 3 * 3 + 5 * 4  # (the known ones: 29)
    assert ("2 usage rows without an input or output token count: cost per 1M tokens "
            "divides all allocated cost by the tokens known, so it reads high (an upper "
            "bound)") in s["notes"]
    s = _runs(cli, "--bill", bill, "--usage", _usage(tmp_path), "--out", tmp_path / "o")
    assert not [n for n in s["notes"] if "token count" in n]


@pytest.mark.parametrize("cell", ["NA", "N/A", "n/a", "#N/A", "<NA>"])
def test_token_counts_spelled_na_read_as_unknown(cli, tmp_path, cell):
    """R writes NA, spreadsheets #N/A: refused as 'not a whole number' while NULL and
    None read as unknown."""
    usage = _usage(tmp_path, [f"2026-10-01T00:10:00Z,a,{RID},100,3,4",
                              f"2026-10-01T01:10:00Z,b,{RID},300,{cell},6"])
    bill = _csv(tmp_path / "bill.csv", _bill_rows())
    s = _runs(cli, "--bill", bill, "--usage", usage, "--out", tmp_path / "o")
    assert s["rows"]["usage_allocated"] == 2 and s["unit_costs"]["tokens"] == 13


def test_the_api_refuses_what_is_no_path_and_takes_rules_as_a_mapping(tmp_path):
    """A DataFrame as `usage` was a ValueError, a dict as `rules` a TypeError, and an empty
    list (a glob that matched nothing) silently the bill alone."""
    from infercost import api

    bill = _csv(tmp_path / "bill.csv", _bill_rows())
    for kw, message in [
        ({"usage": pd.DataFrame({"a": [1]})},
         "usage: expected a path, folder or glob, got a DataFrame (give the file it was read "
         "from)"),
        ({"usage": []}, "usage: expected one or more files, folders or globs, got an empty "
                        "list"),
        ({"rules": 3}, "rules: expected the path of a rules YAML file or a mapping of rule "
                       "keys, got a value of type int"),
        ({"rules": {"driver": "vibes"}}, "rules: driver: expected one of duration_ms, "
                                         "tokens, requests, gpu_time, capacity, got 'vibes'"),
    ]:
        with pytest.raises(InputError) as e:
            api.attribute(bill, **kw)
        assert str(e.value) == message
    r = api.attribute(bill, usage=_usage(tmp_path), rules={"driver": "requests"})
    assert r.summary["driver"] == "requests" and r.summary["inputs"]["rules"] == "(a mapping)"


def test_slices_do_not_claim_no_idle_when_idle_is_the_fleets(cli, tmp_path):
    """Under `idle: report` each slice said "0% of paid accelerator time is idle" while the
    bill was 98.8% idle: a slice holds none of the fleet's idle. Under `idle: share` the
    slice holds its part, and says how much."""
    bill = _csv(tmp_path / "bill.csv", _bill_rows())
    s = _runs(cli, "--bill", bill, "--usage", _usage(tmp_path), "--out", tmp_path / "o")
    sl = s["breakdowns"]["slices"][0]["breakdown"]
    assert sl["main_driver"] == ("accelerator time is 100% of the cost; idle is reported for "
                                 "the whole fleet, not per slice")
    assert "of paid accelerator time is idle" in s["breakdowns"]["bill"]["main_driver"]
    rules = tmp_path / "rules.yaml"
    rules.write_text("idle: share\n")
    s = _runs(cli, "--bill", bill, "--usage", _usage(tmp_path), "--rules", rules,
              "--out", tmp_path / "o")
    assert "of paid accelerator time is idle" in (
        s["breakdowns"]["slices"][0]["breakdown"]["main_driver"])


def test_a_usage_log_given_twice_under_two_names_is_refused(cli, tmp_path):
    """A byte copy of the log beside it doubled the requests (cost per request halved),
    with only a note of duplicate ids."""
    usage = _usage(tmp_path)
    copy = tmp_path / "usage-copy.csv"
    copy.write_bytes(usage.read_bytes())
    bill = _csv(tmp_path / "bill.csv", _bill_rows())
    assert _fails(cli, "--bill", bill, "--usage", usage, "--usage", copy,
                  "--out", tmp_path / "o") == (
        f"{copy}: the same bytes as {usage}: expected each usage file once (one export "
        "given twice?)")


@pytest.mark.parametrize("cell", ["NA", "N/A", "#N/A", "None", "NaN"])
def test_counts_numbers_spelled_na_read_as_unknown(cli, tmp_path, cell):
    """R's NA in a counts token column was refused while a blank cell was read."""
    counts = tmp_path / "counts.csv"
    counts.write_text(COUNTS_HEAD + ",input_tokens\n2026-10-01T00:00:00Z,3600,i-1,/a,10,7\n"
                      f"2026-10-01T01:00:00Z,3600,i-1,/a,5,{cell}\n")
    bill = _csv(tmp_path / "bill.csv", _bill_rows())
    s = _runs(cli, "--bill", bill, "--counts", counts, "--out", tmp_path / "o")
    assert s["rows"]["usage_allocated"] == 15 and s["unit_costs"]["tokens"] == 7
