"""Input spellings and shapes the readers met in real exports: usage timestamps spelled
as the bill's may be (a month's name, RFC 3339's lowercase `t` and `z`), a CUR 2.0 file
without its amortised-cost column under `--cost-basis BilledCost`, a bill spanning two
billing periods, and a fleet row whose charge period ends before it starts. Each case's
docstring says what happened before."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pandas as pd
import pytest

from tests.attribution_helpers import attribute_fails, attribute_json, focus_row

RID = "i-1"
USAGE_HEAD = "timestamp,request_id,resource_id,duration_ms,input_tokens,output_tokens"
TIMESTAMP = ("a UTC timestamp (a date and a time of day, ISO 8601: "
             "2026-10-01T00:15:00Z)")
SAMPLE = Path(__file__).resolve().parents[2] / "shared" / "data" / "focus" / \
    "focus-1.0-sample-1000.csv"


@pytest.fixture
def con():
    from infercost.ingest.backends import connect

    return connect("duckdb")


def _bill(tmp_path: Path, rows: list[dict] | None = None) -> Path:
    p = tmp_path / "bill.csv"
    pd.DataFrame(rows or [focus_row("2.5", RID), focus_row("1.5", RID, start=1),
                          focus_row("0.2", None, category="Tax", service="Other",
                                    hours=24)]).to_csv(p, index=False)
    return p


def _usage(tmp_path: Path, stamps: list[str], name: str = "usage.csv") -> Path:
    p = tmp_path / name
    rows = [(s, f"r{i}", RID, 100 * (i + 1), 3, 4) for i, s in enumerate(stamps)]
    if name.endswith(".csv"):
        with open(p, "w", newline="") as fh:
            w = csv.writer(fh, lineterminator="\n")
            w.writerow(USAGE_HEAD.split(","))
            w.writerows(rows)
    else:
        keys = USAGE_HEAD.split(",")
        p.write_text("".join(json.dumps(dict(zip(keys, r, strict=True))) + "\n"
                             for r in rows))
    return p


_fails = attribute_fails
_runs = attribute_json


def _figures(s: dict) -> tuple:
    return (s["totals"], s["rows"]["usage_allocated"], s["rows"]["usage_rejected"],
            s["rows"]["usage_outside_period"], s["rows"]["usage_without_bill_row"])


# ------------------------------------------------------------------ usage timestamps

ISO = ["2026-10-01T00:10:00Z", "2026-10-01T01:10:00Z", "2026-10-01T01:40:30Z"]
OTHER = ["1 Oct 2026 00:10", "2026-10-01t01:10:00z", "Oct 1, 2026 03:40:30 +02:00"]
#: 06:10 at +05:30 is 00:40 UTC (hour 0); read as +05:00 it was 01:10 (hour 1)
ZONED = ["2026-10-01 06:10:00 UTC+5:30", "2026-10-01T03:10:00 Europe/Paris",
         "2026-10-01 03:40:30 UTC+2"]
ZONED_ISO = ["2026-10-01T00:40:00Z", "2026-10-01T01:10:00Z", "2026-10-01T01:40:30Z"]


@pytest.mark.parametrize("name", ["usage.csv", "usage.jsonl"])
def test_usage_timestamps_read_the_spellings_the_bill_reads(cli, tmp_path, name):
    """"1 Oct 2026 00:10" (a month's name) and "2026-10-01t01:10:00z" (RFC 3339 allows
    the lower case) exited 2 in a usage log, while a bill read both."""
    bill = _bill(tmp_path)
    want = _runs(cli, "--bill", bill, "--usage", _usage(tmp_path, ISO, "iso-" + name),
                 "--out", tmp_path / "a")
    got = _runs(cli, "--bill", bill, "--usage", _usage(tmp_path, OTHER, name),
                "--out", tmp_path / "b")
    assert _figures(got) == _figures(want)
    assert got["rows"]["usage_allocated"] == 3
    assert (tmp_path / "a" / "allocations.csv").read_bytes() == (
        tmp_path / "b" / "allocations.csv").read_bytes()


def test_usage_timestamps_of_other_spellings_read_as_the_bill_reads_them(con, tmp_path):
    """Each value as `billrows.parse_times` reads it in a bill (UTC, offsets applied);
    ISO values beside them read as before."""
    from infercost.ingest.billrows import parse_times
    from infercost.ingest.usage import read_usage

    stamps = ["2026-10-01T00:10:00Z", *OTHER, "Oct 1 2026 5am", "1 Oct 2026 07:00 UTC+2",
              "2 Oct 2026 01:15:00.25", " 2 OCT 2026 01:15 "]
    t = con.execute(read_usage(con, _usage(tmp_path, stamps)).table)
    want = parse_times(pd.Series(stamps), "timestamp", "f", pd.Series(range(len(stamps))))
    assert [pd.Timestamp(x) for x in t.sort_values("request_id")["timestamp"]] == \
        want.tolist()
    assert want.tolist()[4:] == [pd.Timestamp("2026-10-01 05:00"),
                                 pd.Timestamp("2026-10-01 05:00"),
                                 pd.Timestamp("2026-10-02 01:15:00.25"),
                                 pd.Timestamp("2026-10-02 01:15")]


def test_usage_timestamps_of_other_spellings_in_parquet_text(con, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from infercost.ingest.usage import read_usage

    p = tmp_path / "u.parquet"
    pq.write_table(pa.table({"timestamp": ["2026-10-01T00:10:00Z", "1 Oct 2026 02:00"],
                             "request_id": ["a", "b"], "resource_id": [RID, RID],
                             "duration_ms": [1.0, 2.0]}), p)
    t = con.execute(read_usage(con, p).table).sort_values("request_id")
    assert t["timestamp"].tolist() == [pd.Timestamp("2026-10-01 00:10"),
                                       pd.Timestamp("2026-10-01 02:00")]


@pytest.mark.parametrize("stamp", ["2/10/2026 06:00", "13/10/2026 06:00", "1790848800",
                                   "1 Oct 2026", "Oct 2026", "2026-10-01", "later",
                                   "20261001T011000Z"])
def test_usage_timestamps_the_bill_refuses_or_without_a_time_stay_refused(
        cli, tmp_path, stamp):
    """Dates of numbers not year first (a locale's reading), bare numbers (seconds or
    ms?), a date without a time of day (every request in the day's first hour) and the
    ISO basic form stay refused, naming the row and the value."""
    usage = _usage(tmp_path, ["2026-10-01T00:10:00Z", "1 Oct 2026 00:20", stamp,
                              "1 Oct 2026 00:30", stamp])
    assert _fails(cli, "--bill", _bill(tmp_path), "--usage", usage, "--out",
                  tmp_path / "o") == (
        f"{usage}: row 3: column timestamp: 2 values cannot be parsed as {TIMESTAMP}; "
        f"first {stamp!r}")
    assert not (tmp_path / "o").exists()


def test_the_fallback_reads_each_distinct_value_once(con, tmp_path, monkeypatch):
    """Values the engine reads are never handed to Python; each other spelling once."""
    from infercost.ingest import billrows
    from infercost.ingest.usage import read_usage

    seen = []
    real = billrows.text_times

    def spy(values):
        seen.append(sorted(values))
        return real(values)

    monkeypatch.setattr(billrows, "text_times", spy)
    iso = _usage(tmp_path, ISO * 3, "iso.csv")
    con.execute(read_usage(con, iso).table)
    assert seen == []
    other = _usage(tmp_path, ISO + OTHER * 3)
    assert len(con.execute(read_usage(con, other).table)) == 12
    assert seen == [sorted(OTHER)]


@pytest.mark.spark
def test_usage_timestamps_of_other_spellings_read_alike_on_spark(tmp_path):
    """The Python reading of the rare spellings is joined back on either engine: Spark
    reads them as DuckDB does (and the ISO values each engine reads itself)."""
    import shutil

    pytest.importorskip("pyspark")
    if shutil.which("java") is None:
        pytest.skip("Java is not installed")
    from infercost.ingest.backends import connect
    from infercost.ingest.usage import read_usage

    p = _usage(tmp_path, ["2026-10-01T00:10:00Z", *OTHER, "2 Oct 2026 01:15:00.25",
                          "1 Oct 2026 07:00 UTC+2", "2026-10-01T02:00:00+0200",
                          *ZONED, "2026-10-01 00:10:00 UTC"])
    got = {}
    for backend in ("duckdb", "spark"):
        con = connect(backend)
        t = con.execute(read_usage(con, p).table)
        t = t.assign(k=t["request_id"].str[1:].astype(int)).sort_values("k")  # (r10 > r9)
        got[backend] = [pd.Timestamp(x) for x in t["timestamp"]]
    assert got["spark"] == got["duckdb"] == [
        pd.Timestamp(x) for x in ["2026-10-01 00:10", "2026-10-01 00:10", "2026-10-01 01:10",
                                  "2026-10-01 01:40:30", "2026-10-02 01:15:00.25",
                                  "2026-10-01 05:00", "2026-10-01 00:00",
                                  *(x.rstrip("Z") for x in ZONED_ISO), "2026-10-01 00:10"]]


def test_parse_times_of_sub_second_values_in_other_spellings():
    """A value with a fraction of a second, in a spelling the ISO pass cannot read,
    among none that it can: a TypeError (a traceback) from pandas's unit mismatch."""
    from infercost.ingest.billrows import parse_times

    got = parse_times(pd.Series(["2 Oct 2026 01:15:00.5"]), "c", "f", pd.Series([1]))
    assert got.tolist() == [pd.Timestamp("2026-10-02 01:15:00.5")]


# ------------------------------------------------------------------ CUR without its columns

CUR_HEAD = ("line_item_line_item_type,line_item_unblended_cost,line_item_currency_code,"
            "line_item_usage_start_date,line_item_usage_end_date,line_item_resource_id")
T0, T1 = "2026-10-01T00:00:00Z", "2026-10-01T01:00:00Z"


def test_cur_without_savings_plan_column_reads_under_billed_cost(cli, tmp_path):
    """Refused as "a SavingsPlanCoveredUsage row and no
    savings_plan_savings_plan_effective_cost column" under `--cost-basis BilledCost`
    too, which reads line_item_unblended_cost only."""
    bill = tmp_path / "cur.csv"
    bill.write_text(f"{CUR_HEAD}\nUsage,1.5,USD,{T0},{T1},{RID}\n"
                    f"SavingsPlanCoveredUsage,2.0,USD,{T0},{T1},{RID}\n"
                    f"SavingsPlanCoveredUsage,0.5,USD,{T0},{T1},{RID}\n")
    usage = _usage(tmp_path, ["2026-10-01T00:10:00Z"])
    s = _runs(cli, "--bill", bill, "--usage", usage, "--out", tmp_path / "o",
              "--cost-basis", "BilledCost")
    assert s["cost_basis"] == "BilledCost"
    assert s["totals"]["bill"] == "4"
    assert s["totals"]["allocated"] == "4"
    note = (f"{bill}: EffectiveCost is unknown for 2 SavingsPlanCoveredUsage rows (no "
            "savings_plan_savings_plan_effective_cost column): the run's BilledCost "
            "figures are exact, but the EffectiveCost in the summary's charges and "
            "by_provider counts those rows as 0, so it reads low")
    assert note in s["notes"]
    assert s["charges"]["commitment_used"]["billed_cost"] == "2.5"
    assert s["charges"]["commitment_used"]["effective_cost"] == "0"
    # the default basis still needs the column
    line = _fails(cli, "--bill", bill, "--usage", usage, "--out", tmp_path / "p")
    assert line.startswith(f"{bill}: row 2: a SavingsPlanCoveredUsage row and no "
                           "savings_plan_savings_plan_effective_cost column")
    line = _fails(cli, "--bill", bill, "--usage", usage, "--out", tmp_path / "p",
                  "--cost-basis", "EffectiveCost")
    assert "savings_plan_savings_plan_effective_cost" in line


def test_cur_reservation_cells_empty_under_billed_cost_are_noted(cli, tmp_path):
    bill = tmp_path / "cur.csv"
    bill.write_text(f"{CUR_HEAD},reservation_effective_cost\n"
                    f"Usage,1.5,USD,{T0},{T1},{RID},\n"
                    f"DiscountedUsage,2.0,USD,{T0},{T1},{RID},0.7\n"
                    f"DiscountedUsage,1.0,USD,{T0},{T1},{RID},\n")
    s = _runs(cli, "--bill", bill, "--usage", _usage(tmp_path, ["2026-10-01T00:10:00Z"]),
              "--out", tmp_path / "o", "--cost-basis", "BilledCost")
    assert s["totals"]["bill"] == "4.5"
    assert (f"{bill}: EffectiveCost is unknown for 1 DiscountedUsage row (an empty "
            "reservation_effective_cost): the run's BilledCost figures are exact, but the "
            "EffectiveCost in the summary's charges and by_provider counts that row as 0, "
            "so it reads low") in s["notes"]
    assert s["charges"]["commitment_used"]["effective_cost"] == "0.7"


def test_read_bill_takes_the_cost_basis(tmp_path):
    from infercost.errors import InputError
    from infercost.ingest.bill import read_bill

    bill = tmp_path / "cur.csv"
    bill.write_text(f"{CUR_HEAD}\nDiscountedUsage,2.0,USD,{T0},{T1},{RID}\n")
    with pytest.raises(InputError, match="no reservation_effective_cost column"):
        read_bill(bill)
    b = read_bill(bill, cost_basis="BilledCost")
    assert b.totals("BilledCost") == {"AWS": 2}
    assert any("EffectiveCost is unknown for 1 DiscountedUsage row" in n for n in b.notes)


# ------------------------------------------------------------------ billing periods


def test_a_bill_of_two_billing_periods_is_noted(cli, tmp_path):
    """A bill holding rows of two BillingPeriodStart values ran without a word: the run's
    period silently stretched over both."""
    late = focus_row("0.4", None, start=24 * 31 + 1, service="Storage",
                     BillingPeriodStart="2026-11-01 00:00:00",
                     BillingPeriodEnd="2026-12-01 00:00:00")
    bill = _bill(tmp_path, [focus_row("2.5", RID), focus_row("1.5", RID, start=1),
                            late, late | {"EffectiveCost": "0.1", "BilledCost": "0.1"}])
    s = _runs(cli, "--bill", bill, "--usage", _usage(tmp_path, ISO), "--out", tmp_path / "o")
    assert s["billing_period"] == {"start": "2026-10-01T00:00:00",
                                   "end": "2026-12-01T00:00:00"}
    assert ("the bill holds 2 billing periods (BillingPeriodStart 2026-10-01: 2 rows, "
            "2026-11-01: 2 rows): the run's period is 2026-10-01/2026-12-01, from the "
            "first start to the last end, and the rows of every period are attributed "
            "alike (fleet rows over the hours of their charge period, allocated or idle; "
            "the rest shared)") in s["notes"]
    assert s["totals"]["shared"] == "0.5"


def test_a_bill_of_one_billing_period_has_no_such_note(cli, tmp_path):
    s = _runs(cli, "--bill", _bill(tmp_path), "--usage", _usage(tmp_path, ISO),
              "--out", tmp_path / "o")
    assert not [n for n in s["notes"] if "billing periods" in n]


@pytest.mark.skipif(not SAMPLE.exists(), reason="../shared/data/focus is absent")
def test_the_focus_sample_names_its_two_billing_periods(cli, tmp_path):
    s = _runs(cli, "--bill", SAMPLE, "--out", tmp_path / "o")
    note = [n for n in s["notes"] if "billing periods" in n]
    assert note == [
        "the bill holds 2 billing periods (BillingPeriodStart 2024-09-01: 999 rows, "
        "2024-10-01: 1 row): the run's period is 2024-09-01/2024-11-01, from the first "
        "start to the last end, and the rows of every period are attributed alike (fleet "
        "rows over the hours of their charge period, allocated or idle; the rest shared)"]


def test_more_than_three_billing_periods_name_the_first_three(tmp_path):
    from infercost.ingest.bill import read_bill

    rows = [focus_row("1", None, start=24 * 31 * k, BillingPeriodStart=f"2026-{m}-01",
                      BillingPeriodEnd=f"2026-{m + 1}-01")
            for k, m in enumerate([10, 11, 9, 8])]
    b = read_bill(_bill(tmp_path, rows))
    assert [n for n in b.notes if "billing periods" in n][0].startswith(
        "the bill holds 4 billing periods (BillingPeriodStart 2026-08-01: 1 row, "
        "2026-09-01: 1 row, 2026-10-01: 1 row and 1 more): the run's period is "
        "2026-08-01/2026-12-01")


# ------------------------------------------------------------------ charge periods


def test_a_fleet_row_whose_charge_period_ends_before_it_starts_is_named_so(cli, tmp_path):
    """The unallocated row said "fleet bill rows without a charge period" for a row
    whose ChargePeriodEnd is before its ChargePeriodStart."""
    back = focus_row("0.7", RID, start=3) | {"ChargePeriodEnd": focus_row("0", start=2)[
        "ChargePeriodStart"]}
    bill = _bill(tmp_path, [focus_row("2.5", RID), back])
    s = _runs(cli, "--bill", bill, "--usage", _usage(tmp_path, ISO[:1]), "--out",
              tmp_path / "o")
    assert s["totals"]["unallocated"] == "0.7"
    a = pd.read_csv(tmp_path / "o" / "allocations.csv", dtype=str)
    un = a[a["model"] == "__unallocated__"]
    assert un[["detail", "cost"]].values.tolist() == [
        ["fleet bill rows with a charge period that ends before it starts (1)", "0.7"]]


def test_both_kinds_of_unusable_charge_period_get_a_row_each(cli, tmp_path):
    back = focus_row("0.7", RID, start=3) | {"ChargePeriodEnd": focus_row("0", start=2)[
        "ChargePeriodStart"]}
    none = focus_row("0.25", RID, start=4) | {"ChargePeriodStart": "NULL"}
    bill = _bill(tmp_path, [focus_row("2.5", RID), back, none, none])
    s = _runs(cli, "--bill", bill, "--usage", _usage(tmp_path, ISO[:1]), "--out",
              tmp_path / "o")
    assert s["totals"]["unallocated"] == "1.2"
    assert s["conservation"]["holds"]
    a = pd.read_csv(tmp_path / "o" / "allocations.csv", dtype=str)
    un = a[a["model"] == "__unallocated__"]
    assert sorted(un[["detail", "cost"]].values.tolist()) == [
        ["fleet bill rows with a charge period that ends before it starts (1)", "0.7"],
        ["fleet bill rows without a charge period (2)", "0.5"]]


def test_a_bill_resource_id_with_an_invisible_character_is_noted(cli, tmp_path):
    """A ResourceId ending in U+200B (a copy from a web page) joins no usage id: the
    fleet read as unused, all idle or shared, without a word."""
    bill = _bill(tmp_path, [focus_row("2.5", RID + "\u200b"), focus_row("1.5", RID, start=1)])
    s = _runs(cli, "--bill", bill, "--usage", _usage(tmp_path, ISO), "--out", tmp_path / "o")
    note = [n for n in s["notes"] if "invisible character" in n]
    assert note == ["1 bill ResourceId holds an invisible character (first: 'i-1\\u200b', "
                    "U+200B ZERO WIDTH SPACE): ids are compared exactly, so it joins only "
                    "usage ids with the same character"]


def test_bill_resource_ids_in_plain_or_accented_text_get_no_such_note(cli, tmp_path):
    bill = _bill(tmp_path, [focus_row("2.5", RID), focus_row("1.5", "vm-café", start=1)])
    s = _runs(cli, "--bill", bill, "--usage", _usage(tmp_path, ISO), "--out", tmp_path / "o")
    assert not [n for n in s["notes"] if "invisible" in n]


# ---------------------------------------- zones the engine read its own way (second round)



def test_usage_offsets_with_minutes_and_zone_names_read_as_the_bill_reads_them(cli, tmp_path):
    """`UTC+5:30` in a usage log was read by DuckDB as +05:00 (30 minutes off, a wrong
    figure); the bill's reader read it right. Zone names (IANA) read with the zone's
    offset that day (Paris: +02:00 on 1 October)."""
    bill = _bill(tmp_path)
    want = _runs(cli, "--bill", bill, "--usage", _usage(tmp_path, ZONED_ISO, "iso.csv"),
                 "--out", tmp_path / "a")
    got = _runs(cli, "--bill", bill, "--usage", _usage(tmp_path, ZONED, "zoned.csv"),
                "--out", tmp_path / "b")
    assert _figures(got) == _figures(want) and got["rows"]["usage_allocated"] == 3
    assert (tmp_path / "a" / "allocations.csv").read_bytes() == (
        tmp_path / "b" / "allocations.csv").read_bytes()


@pytest.mark.parametrize("stamp", ["2026-10-01 02:10:00 PST", "2026-10-01 02:10:00 CET",
                                   "2026-10-01 02:10:00 EST"])
def test_usage_zone_abbreviations_are_refused_with_the_way_out(cli, tmp_path, stamp):
    """DuckDB read PST as Los Angeles time with summer time (-07:00 in October) and CET
    as +02:00: both wrong, while the bill refused them. Now refused alike, saying what
    to write instead."""
    msg = _fails(cli, "--bill", _bill(tmp_path), "--usage",
                 _usage(tmp_path, [ISO[0], stamp]), "--out", tmp_path / "o")
    msg = msg.replace(f"{tmp_path}/", "")
    assert msg.startswith("usage.csv: row 2: column timestamp: 1 value cannot be parsed")
    assert msg.endswith("zones are read as an offset (-08:00, UTC+5:30) or a Region/City name "
                        "(America/Los_Angeles): an abbreviation (PST, CET) does not say "
                        "whether summer time applies")
    assert not (tmp_path / "o").exists()


def test_an_offset_no_clock_has_is_refused_in_usage_and_bill(cli, tmp_path):
    """`UTC+2:75` was read (as +03:15), and `UTC+15` too."""
    for bad in ("2026-10-01 02:10:00 UTC+2:75", "2026-10-01 02:10:00 UTC+15"):
        msg = _fails(cli, "--bill", _bill(tmp_path), "--usage",
                     _usage(tmp_path, [ISO[0], bad]), "--out", tmp_path / "o")
        assert msg.endswith("an offset is at most 14:00 and its minutes below 60"), msg
    bill = _bill(tmp_path, [focus_row("2.5", RID) | {"ChargePeriodStart":
                                                     "2026-10-01 00:00:00 UTC+2:75"}])
    msg = _fails(cli, "--bill", bill, "--usage", _usage(tmp_path, ISO), "--out", tmp_path / "o")
    assert "ChargePeriodStart" in msg and msg.endswith(
        "an offset is at most 14:00 and its minutes below 60")


def test_a_zone_name_reads_in_a_bill_and_an_hour_it_repeats_is_refused():
    from infercost.ingest.billrows import text_times

    assert text_times(["2026-10-02 01:15:00 America/New_York",
                       "2026-10-02 01:15:00 Etc/GMT+5"]) == [
        pd.Timestamp("2026-10-02 05:15"), pd.Timestamp("2026-10-02 06:15")]
    # 01:30 happens twice on 1 November in New York, 02:30 not at all on 8 March; a
    # zone that does not exist, and a zone beside an offset, say nothing certain
    assert text_times(["2026-11-01 01:30:00 America/New_York",
                       "2026-03-08 02:30:00 America/New_York",
                       "2026-10-02 01:15:00 Mars/Olympus",
                       "2026-10-02 01:15:00+02:00 Europe/Paris"]) == [None] * 4


@pytest.mark.parametrize("stamp", ["12026-10-01T01:10:00Z", "0000-10-01T01:10:00Z"])
@pytest.mark.parametrize("name", ["usage.csv", "usage.jsonl", "usage.parquet"])
def test_a_year_outside_1_to_9999_exits_2(cli, tmp_path, stamp, name):
    """A year no date of the outputs can hold ended in a traceback (`year 12026 is out
    of range`, exit 1) after the engine had read it."""
    if name.endswith(".parquet"):
        import pyarrow as pa
        import pyarrow.parquet as pq

        p = tmp_path / name
        pq.write_table(pa.table({"timestamp": [ISO[0], stamp], "request_id": ["a", "b"],
                                 "resource_id": [RID, RID], "duration_ms": [1.0, 2.0]}), p)
    else:
        p = _usage(tmp_path, [ISO[0], stamp], name)
    msg = _fails(cli, "--bill", _bill(tmp_path), "--usage", p, "--out", tmp_path / "o")
    msg = msg.replace(f"{tmp_path}/", "")
    year = "12026" if stamp.startswith("1") else "0"
    assert msg == (f"{name}: row 2: column timestamp: 1 value refused; first {stamp!r}: "
                   f"year {year} is outside 1-9999")
    assert not (tmp_path / "o").exists()


def test_cur_savings_plan_negation_rows_are_named_as_cur_books_them(cli, tmp_path):
    """Under BilledCost, CUR's SavingsPlanNegation rows on a fleet resource were said to
    be refunds that "FOCUS books as Credit or Adjustment rows": not what they are."""
    head = ("identity_line_item_id,bill_billing_period_start_date,"
            "bill_billing_period_end_date,line_item_usage_start_date,"
            "line_item_usage_end_date,line_item_line_item_type,line_item_product_code,"
            "line_item_usage_type,line_item_resource_id,line_item_unblended_cost,"
            "line_item_net_unblended_cost,line_item_currency_code\n")
    row = ("{i},2026-10-01T00:00:00Z,2026-11-01T00:00:00Z,2026-10-01T00:00:00Z,"
           "2026-10-01T01:00:00Z,{t},AmazonSageMaker,USE1-Host:ml.g5.xlarge,i-1,{c},{c},USD\n")
    bill = tmp_path / "cur.csv"
    bill.write_text(head + row.format(i="a", t="SavingsPlanCoveredUsage", c="1.408")
                    + row.format(i="b", t="SavingsPlanNegation", c="-1.408"))
    s = _runs(cli, "--bill", bill, "--usage", _usage(tmp_path, ISO[:1]),
              "--cost-basis", "BilledCost", "--out", tmp_path / "o")
    neg = [n for n in s["notes"] if "negative BilledCost" in n]
    assert neg == ["1 fleet Usage row with a negative BilledCost (-1.408 USD in all): netted "
                   "into its resource-hour as billed (CUR's SavingsPlanNegation rows take back "
                   "the on-demand cost of usage a Savings Plan covered)"]


# ------------------------------------------------------------- third round of findings

@pytest.mark.parametrize("stamp", ["0001-01-01 00:00:00 Asia/Tokyo",
                                   "9999-12-31 23:00:00 America/New_York",
                                   "9999-12-31 23:00:00 UTC-5"])
def test_a_year_a_zone_moves_out_of_1_to_9999_exits_2(cli, tmp_path, stamp):
    """Local year 1 in Tokyo is year 0 in UTC: a traceback (`year 0 is out of range`)."""
    msg = _fails(cli, "--bill", _bill(tmp_path), "--usage", _usage(tmp_path, [ISO[0], stamp]),
                 "--out", tmp_path / "o")
    why = f"year {0 if stamp.startswith('0') else 10000} in UTC is outside 1-9999"
    assert msg.endswith(f"1 value refused; first {stamp!r}: {why}") and "row 2" in msg
    bill = _bill(tmp_path, [focus_row("2.5", RID) | {"BillingPeriodEnd": stamp}])
    msg = _fails(cli, "--bill", bill, "--usage", _usage(tmp_path, ISO), "--out", tmp_path / "o")
    assert msg.endswith(f"column BillingPeriodEnd: timestamp {stamp!r}: {why}")


@pytest.mark.parametrize("stamp", ["2026-10-01 05:36:00+02:75", "2026-10-01 05:36:00+15:00",
                                   "2026-10-01 05:36:00+14:30"])
def test_iso_offsets_no_clock_has_are_refused(cli, tmp_path, stamp):
    """`+02:75` was read as +03:15 by both readers (a wrong figure), `+15:00` as given."""
    msg = _fails(cli, "--bill", _bill(tmp_path), "--usage", _usage(tmp_path, [ISO[0], stamp]),
                 "--out", tmp_path / "o")
    assert msg.endswith("an offset is at most 14:00 and its minutes below 60")
    bill = _bill(tmp_path, [focus_row("2.5", RID) | {"ChargePeriodStart": stamp}])
    msg = _fails(cli, "--bill", bill, "--usage", _usage(tmp_path, ISO), "--out", tmp_path / "o")
    assert msg.endswith("an offset is at most 14:00 and its minutes below 60")


def test_the_largest_offsets_and_lower_case_zone_names_read(cli, tmp_path):
    from infercost.ingest.billrows import text_times

    assert text_times(["2026-10-01 14:10:00+14:00", "2026-09-30 12:10:00-12:00",
                       "2026-10-01 02:10:00 europe/paris"]) == [
        pd.Timestamp("2026-10-01 00:10")] * 3


@pytest.mark.parametrize("stamp,why", [
    ("2026-10-25 02:30:00 Europe/Paris",
     ": it falls in the hour Europe/Paris repeats when summer time ends: give the offset, "
     "+02:00 (the first time) or +01:00 (the second)"),
    ("2026-10-04 02:30:00 Australia/Sydney",
     ": it falls in the hour Australia/Sydney skips when summer time starts (no such local "
     "time): give the offset"),
    ("2026-10-01 05:36:00 Mars/Olympus",
     "; 'Mars/Olympus' is no zone name of the IANA list (Region/City, such as "
     "Europe/Paris)")])
def test_a_zone_refusal_says_why(cli, tmp_path, stamp, why):
    msg = _fails(cli, "--bill", _bill(tmp_path), "--usage", _usage(tmp_path, [ISO[0], stamp]),
                 "--out", tmp_path / "o")
    assert msg.endswith(why)


def test_parquet_text_refusals_name_the_row_and_value(cli, tmp_path):
    """A refused value in a Parquet text column named no row and no value."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    p = tmp_path / "u.parquet"
    pq.write_table(pa.table({"timestamp": [ISO[0], ISO[1], "2026-10-01 02:10:00 PST"],
                             "request_id": ["a", "b", "c"], "resource_id": [RID] * 3,
                             "duration_ms": [1.0, 2.0, 3.0]}), p)
    msg = _fails(cli, "--bill", _bill(tmp_path), "--usage", p, "--out", tmp_path / "o")
    assert "u.parquet: row 3: column timestamp" in msg
    assert "first '2026-10-01 02:10:00 PST'; zones are read as an offset" in msg


def test_a_control_character_inside_a_bill_resource_id_is_noted(cli, tmp_path):
    """DEL (U+007F) inside an id is ASCII: the note looked at non-ASCII ids only."""
    bill = _bill(tmp_path, [focus_row("2.5", "i-\x7f1"), focus_row("1.5", RID, start=1)])
    s = _runs(cli, "--bill", bill, "--usage", _usage(tmp_path, ISO), "--out", tmp_path / "o")
    assert [n for n in s["notes"] if "invisible" in n] == [
        "1 bill ResourceId holds an invisible character (first: 'i-\\u007f1', U+007F a "
        "control character): ids are compared exactly, so it joins only usage ids with "
        "the same character"]


def test_a_resource_whose_every_request_is_rejected_stays_in_the_fleet():
    """Rule R1 puts bill rows whose ResourceId the log names in the fleet; a resource all
    of whose rows were rejected (no duration under `capacity`) was left out, and its
    cost was shared, as if no usage named it (a counts file without latency)."""
    from tests.attribution_helpers import attribute_rows, usage_row

    res = attribute_rows([focus_row("10", RID), focus_row("3", "i-2")],
                         [usage_row("a", RID, 0.1, None), usage_row("b", "i-2", 0.2, 100)],
                         {"driver": "capacity"})
    t = res.summary["totals"]
    assert list(res.fleet_mask) == [True, True]
    assert t["shared"] == 0 and t["idle"] > 10 and res.summary["rows"]["usage_rejected"] == 1


def test_a_parquet_log_with_padded_ids_keeps_its_unknown_token_count(cli, tmp_path):
    """Cleaning padded Parquet ResourceIds rebuilt the Usage without its count of rows
    whose tokens are unknown: the cost per 1M tokens lost its note that it reads high."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    p = tmp_path / "u.parquet"
    pq.write_table(pa.table({"timestamp": [ISO[0], ISO[1]], "request_id": ["a", "b"],
                             "resource_id": [RID + " ", RID], "duration_ms": [1.0, 2.0],
                             "input_tokens": pa.array([5, None], pa.int64()),
                             "output_tokens": pa.array([5, None], pa.int64())}), p)
    s = _runs(cli, "--bill", _bill(tmp_path), "--usage", p, "--out", tmp_path / "o")
    assert any(n.startswith("1 usage row without an input or output token count") for n in s["notes"])
    assert any("with blanks or U+FEFF at the ends" in n for n in s["notes"])


def test_an_offset_with_seconds_is_refused_in_a_usage_log_as_in_a_bill(cli, tmp_path):
    """`+02:00:60` was read by DuckDB as +02:01 in a usage log (a bill refused it)."""
    msg = _fails(cli, "--bill", _bill(tmp_path),
                 "--usage", _usage(tmp_path, [ISO[0], "2026-10-01T03:10:00+02:00:60"]),
                 "--out", tmp_path / "o")
    assert "row 2: column timestamp" in msg and "'2026-10-01T03:10:00+02:00:60'" in msg
