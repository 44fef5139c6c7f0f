"""A day of a resource's one-hour fleet rows is one reduced row, each hour kept beside it.

`ingest.bill_engine` reduces a FOCUS file's hourly fleet rows (typed charge periods of one
whole clock hour, amounts present, not negative, below HOUR_ROW_MAX) to one row per
resource, day and labels, and hands every bill row's hour and amount to rule R2
(`billrows.HourRows`, `engine.FleetHourRows`). Nothing a user sees may change: every
output is compared byte for byte with the same run without the groups and with the
row-by-row reader, on Parquet bills as exports write them (naive and zoned timestamps,
decimal and text amounts, sub-quantum digits, credits, multi-hour rows, per-token rows,
several files).
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from infercost.allocation.run import public_summary, run_attribution
from infercost.ingest import bill as bill_mod
from infercost.ingest import bill_engine
from tests.attribution_helpers import H0, focus_row, usage_row

PERIODS = ("ChargePeriodStart", "ChargePeriodEnd", "BillingPeriodStart", "BillingPeriodEnd")


def write_parquet(path: Path, rows: list[dict], tz: str | None = None, unit: str = "us",
                  amounts: str = "decimal") -> Path:
    """FOCUS rows (`focus_row`) as a typed Parquet file: timestamps of `unit` (zoned
    `tz`, stored as UTC instants), amounts decimal128(38, 18), `decimal(P,S)` or text."""
    cols = list(dict.fromkeys(k for r in rows for k in r))
    arrays = {}
    for c in cols:
        vals = [r.get(c) for r in rows]
        if c in PERIODS:
            t = pd.to_datetime(pd.Series(vals))
            if tz is not None:
                t = t.dt.tz_localize("UTC").dt.tz_convert(tz)
            arrays[c] = pa.array(t, pa.timestamp(unit, tz=tz))
        elif c in ("BilledCost", "EffectiveCost") and amounts.startswith("decimal"):
            p, s = (38, 18) if amounts == "decimal" else map(int, amounts[8:-1].split(","))
            arrays[c] = pa.array([None if v in (None, "NULL") else Decimal(v) for v in vals],
                                 pa.decimal128(p, s))
        else:
            arrays[c] = pa.array([None if v is None else str(v) for v in vals], pa.string())
    pq.write_table(pa.table(arrays), path)
    return path


def usage_file(path: Path, resources: list[str], hours: int = 30) -> Path:
    rows = [usage_row(f"r{r}-{h}-{k}", res, h + 0.1 + k / 10, 500.0 + 37 * k + h,
                      tenant=f"t{k % 2}", model=f"m{r % 2}", tin=10 * k, tout=3)
            for r, res in enumerate(resources) for h in range(hours) if (h + r) % 5
            for k in range(3)]
    df = pd.DataFrame(rows)
    df["timestamp"] = df["timestamp"].astype("datetime64[us]")  # (Spark reads no ns)
    df.to_parquet(path)
    return path


def outputs(tmp_path: Path, tag: str, bill, usage, rules_text: str, **kw) -> tuple:
    """(summary without run-specific keys, allocations.csv bytes, rows in Python)."""
    rules = tmp_path / "rules.yaml"
    rules.write_text(rules_text)
    s = run_attribution(bill, usage, tmp_path / tag, rules=rules, **kw)
    rows = s["_bill_reader"]["rows_in_python"]
    s = public_summary(s)
    s.pop("outputs")
    return (json.loads(json.dumps(s, default=str)),
            (tmp_path / tag / "allocations.csv").read_bytes(), rows)


def three_ways(tmp_path, monkeypatch, bill, usage, rules_text="", **kw) -> tuple[int, int]:
    """The run with hour groups, without them, and row by row: identical outputs.
    Returns the rows that reached Python with and without the groups."""
    grouped = outputs(tmp_path, "grouped", bill, usage, rules_text, **kw)
    monkeypatch.setattr(bill_engine, "HOUR_GROUPS", False)
    plain = outputs(tmp_path, "plain", bill, usage, rules_text, **kw)
    monkeypatch.setattr(bill_mod, "_reduced", lambda *_: None)
    rows = outputs(tmp_path, "rows", bill, usage, rules_text, **kw)
    monkeypatch.undo()
    assert grouped[1] == plain[1] == rows[1]  # allocations.csv, byte for byte
    assert grouped[0] == plain[0] == rows[0]
    return grouped[2], plain[2]


def fleet_day(resource: str, day: int, cost: str = "1.25", **extra) -> list[dict]:
    return [focus_row(cost, resource, start=24 * day + h, **extra) for h in range(24)]


def test_hourly_fleet_rows_become_one_row_per_day(tmp_path, monkeypatch):
    """Two resources, two days of hourly rows, a storage line outside the fleet: the
    bill reaches Python as 2 x 2 day rows and the outside row, not 96 hourly rows; the
    outputs are those of the hourly rows."""
    rows = [*fleet_day("i-a", 0), *fleet_day("i-a", 1, "1.5"), *fleet_day("i-b", 0, "2.0"),
            *fleet_day("i-b", 1, "0.75"), focus_row("9.99", "vol-1", service="Storage")]
    bill = write_parquet(tmp_path / "bill.parquet", rows)
    usage = usage_file(tmp_path / "usage.parquet", ["i-a", "i-b"], hours=48)
    grouped, plain = three_ways(tmp_path, monkeypatch, bill, usage)
    assert (grouped, plain) == (5, 97)


@pytest.mark.parametrize("tz,unit,amounts", [
    (None, "us", "decimal"), ("UTC", "us", "decimal"), ("America/Los_Angeles", "ms", "text"),
    (None, "ns", "decimal"), ("Asia/Kolkata", "s", "text"),
])
@pytest.mark.parametrize("rules_text", [
    "", "idle: share\nshared: requests\n", "driver: tokens\nshared: cost\n",
    "cost_basis: BilledCost\nshared: even\n",
    "driver: capacity\ncapacity_ms_per_hour: 3600000\n",
])
def test_quirky_hourly_bill_gives_the_same_outputs(tmp_path, monkeypatch, tz, unit, amounts,
                                                   rules_text):
    """Hourly rows with 12 decimals (sub-quantum rests), two rows of one hour with the
    same labels, credits and a negative hour, an hour over HOUR_ROW_MAX, a missing
    EffectiveCost, a three-hour row, a per-token row and a half-hour row, in zoned and
    naive timestamps of every unit, amounts typed or text."""
    big = str(bill_engine.HOUR_ROW_MAX)
    rows = [
        *fleet_day("i-a", 0, "0.123456789012"),
        *fleet_day("i-a", 0, "0.5", SkuId="gpu"),  # same hours, other labels
        *fleet_day("i-b", 1, "0.2", ChargeDescription="node"),
        focus_row("0.2", "i-b", start=30, ChargeDescription="node"),  # twice that hour
        focus_row("-0.4", "i-b", start=31, ChargeDescription="node"),
        focus_row(big, "i-b", start=32),
        focus_row("0.3", "i-b", start=33, billed="0", EffectiveCost="NULL"),
        focus_row("3.0000000001", "i-c", start=2, hours=3),
        focus_row("0.0004", "i-c", start=5, PricingUnit="1K tokens"),
        focus_row("0.7", "i-c", start=6, PricingUnit="1K tokens"),
        focus_row("-5", None, category="Credit"),
        focus_row("4.75", "vol-1", start=3, service="Storage"),
    ]
    rows[-6]["EffectiveCost"] = "NULL"
    # a half-hour row: not a whole hour
    half = focus_row("0.1", "i-c", start=7)
    half["ChargePeriodEnd"] = str(H0 + pd.Timedelta(hours=7, minutes=30))
    rows.append(half)
    bill = write_parquet(tmp_path / "bill.parquet", rows, tz=tz, unit=unit, amounts=amounts)
    usage = usage_file(tmp_path / "usage.parquet", ["i-a", "i-b", "i-c"], hours=40)
    grouped, plain = three_ways(tmp_path, monkeypatch, bill, usage, rules_text)
    assert grouped < plain if unit != "ns" else grouped == plain  # (ns: never grouped)


def test_two_files_keep_their_hours_apart(tmp_path, monkeypatch):
    """Each file's hours point at its own rows in the joined bill."""
    d = tmp_path / "bill"
    d.mkdir()
    write_parquet(d / "a.parquet", [*fleet_day("i-a", 0, "1.1"), focus_row("3", "x")])
    write_parquet(d / "b.parquet", [*fleet_day("i-b", 0, "2.2"), *fleet_day("i-a", 1, "0.9")])
    usage = usage_file(tmp_path / "usage.parquet", ["i-a", "i-b"], hours=48)
    grouped, plain = three_ways(tmp_path, monkeypatch, d, usage)
    assert (grouped, plain) == (4, 73)


@pytest.mark.parametrize("amounts,costs", [("decimal(20,0)", ["48", "7", "5"]),
                                           ("decimal(18,1)", ["48.0", "7.0", "5.0"])])
def test_amounts_of_few_decimals_keep_their_scale(tmp_path, monkeypatch, amounts, costs):
    """A decimal column of scale 0 or 1: a sum keeps the column's scale (48, not the
    engine's 48.00), as the reader's sum of the rows has it, for the fleet's day and the
    rows outside it alike."""
    rows = [*fleet_day("i-a", 0, "2"), focus_row("5", "vol-1", service="Storage"),
            focus_row("7", "vol-2", service="Storage")]
    bill = write_parquet(tmp_path / "bill.parquet", rows, amounts=amounts)
    usage = usage_file(tmp_path / "usage.parquet", ["i-a"], hours=24)
    assert three_ways(tmp_path, monkeypatch, bill, usage) == (3, 26)
    s = run_attribution(bill, usage, tmp_path / "again")
    assert [str(r["cost"]) for r in s["top_resources"]] == costs  # 24 x 2, 7, 5


@pytest.mark.parametrize("rows_of", ["one hour a day", "whole days", "two files"])
def test_converted_bill_is_read_row_by_row(tmp_path, monkeypatch, rows_of):
    """Converting multiplies each bill row by the rate: a file whose fleet hours were
    grouped (even a day of one hour, which stands for one row) is read row by row, so
    the hours rule R2 spreads are converted too: 1.5 EUR x 1.1 = 1.65 USD an hour."""
    d = tmp_path / "bill"
    d.mkdir()
    eur = {"currency": "EUR"}
    if rows_of == "one hour a day":
        rows = [focus_row("1.5", "i-a", start=24 * day + 3, **eur) for day in range(2)]
    else:
        rows = [*fleet_day("i-a", 0, "1.5", **eur), focus_row("2", "vol-1", **eur)]
    write_parquet(d / "a.parquet", rows)
    if rows_of == "two files":
        write_parquet(d / "b.parquet", fleet_day("i-b", 1, "1.5"))
    usage = usage_file(tmp_path / "usage.parquet", ["i-a", "i-b"], hours=48)
    three_ways(tmp_path, monkeypatch, d, usage, "currency: USD\nexchange_rates: {EUR: 1.1}\n")
    s = run_attribution(d, usage, tmp_path / "again",
                        rules=tmp_path / "rules.yaml")  # (three_ways wrote it)
    assert s["conservation"]["holds"] and s["currency"] == "USD"
    fleet = {"one hour a day": "3.3", "whole days": "39.6", "two files": "75.6"}[rows_of]
    assert str(s["fleet"]["cost"].normalize()) == fleet  # 2 x 1.65; 24 x 1.65; + 24 x 1.5


def test_fleet_hours_take_each_hour_from_the_bill_rows(tmp_path):
    """Hand-computed: one reduced row stands for three hours of 0.123456789012 each. Rule
    R2 gives each hour floor(0.123456789012 / 1e-10) = 1,234,567,890 quanta and keeps
    3 x 0.000000000012 = 0.000000000036 as the day's sub-quantum rest."""
    from infercost.allocation.engine import FleetHourRows, fleet_hours
    from infercost.ingest.backends import connect
    from infercost.ingest.bill import read_bill
    from infercost.ingest.bill_engine import FleetHint

    f = write_parquet(tmp_path / "bill.parquet",
                      [focus_row("0.123456789012", "i-a", start=h) for h in range(3)])
    b = read_bill(f, con=connect("duckdb"), hint=FleetHint(resource_ids=frozenset({"i-a"})))
    assert b.rows["nrows"].tolist() == [3]
    assert b.rows["effective_cost"].iloc[0] == Decimal("0.370370367036")
    mask = np.ones(1, dtype=bool)
    hr = FleetHourRows.of(b, mask, "effective_cost")
    assert hr.row.tolist() == [0, 0, 0] and hr.exact is False
    fleet = b.rows[["resource_id", "charge_start", "charge_end", "nrows"]]
    hq, rest, no_period, _ = fleet_hours(fleet, b.rows["effective_cost"], hour_rows=hr)
    assert hq["cost_q"].tolist() == [1_234_567_890] * 3
    assert [str(h) for h in hq["hour"]] == [str(H0 + pd.Timedelta(hours=h)) for h in range(3)]
    assert rest["rest"].tolist() == [Decimal("3.6E-11")] and len(no_period) == 0


@st.composite
def hourly_bill(draw):
    """Random hourly fleet rows (0 to 12 decimals, some twice an hour, some negative or
    missing) on three resources over two days, and a few other rows."""
    rows = []
    for _ in range(draw(st.integers(1, 40))):
        res = draw(st.sampled_from(["i-a", "i-b", "i-c", "vol-9"]))
        start = draw(st.integers(0, 47))
        places = draw(st.integers(0, 12))
        cents = draw(st.integers(-50, 10**6))
        cost = str(Decimal(cents).scaleb(-places))
        hours = draw(st.sampled_from([1, 1, 1, 2]))
        sku = draw(st.sampled_from(["gpu", "gpu", "disk"]))
        row = focus_row(cost, res, start=start, hours=hours, SkuId=sku)
        if draw(st.integers(0, 9)) == 0:
            row["EffectiveCost"] = "NULL"
            row["BilledCost"] = "0"
        rows.append(row)
    rows.append(focus_row("1", None, category="Tax"))
    return rows


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow])
@given(rows=hourly_bill(), share=st.booleans())
def test_any_hourly_bill_gives_the_same_outputs(tmp_path_factory, monkeypatch, rows, share):
    tmp = tmp_path_factory.mktemp("hb")
    bill = write_parquet(tmp / "bill.parquet", rows)
    usage = usage_file(tmp / "usage.parquet", ["i-a", "i-b", "i-c"], hours=48)
    three_ways(tmp, monkeypatch, bill, usage, "idle: share\n" if share else "")


@pytest.mark.spark
def test_spark_groups_hours_like_duckdb(tmp_path, monkeypatch):
    """The same reduction on Spark (local mode): the outputs equal DuckDB's and the
    row-by-row reader's, and the hourly rows reached Python grouped."""
    import shutil

    pytest.importorskip("pyspark")
    if shutil.which("java") is None:
        pytest.skip("Java is not installed")
    rows = [*fleet_day("i-a", 0, "0.123456789012"), *fleet_day("i-b", 1, "2"),
            focus_row("0.5", "i-b", start=30), focus_row("4", "vol-1", service="Storage")]
    bill = write_parquet(tmp_path / "bill.parquet", rows, tz="UTC")
    usage = usage_file(tmp_path / "usage.parquet", ["i-a", "i-b"], hours=48)
    spark = outputs(tmp_path, "spark", bill, usage, "", backend="spark")
    duck = outputs(tmp_path, "duck", bill, usage, "")
    monkeypatch.setattr(bill_mod, "_reduced", lambda *_: None)
    rows_read = outputs(tmp_path, "rows", bill, usage, "")
    assert spark[1] == duck[1] == rows_read[1]
    assert {k: v for k, v in spark[0].items() if k != "backend"} == {
        k: v for k, v in rows_read[0].items() if k != "backend"}
    assert spark[2] == duck[2] == 3


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["i-b", "i-a", None, "vol-1"]), st.integers(0, 5),
                          st.integers(-10**15, 10**15)), max_size=30),
       st.lists(st.tuples(st.sampled_from(["i-a", "i-b", None, "x"]), st.integers(0, 5),
                          st.integers(0, 10**12)), max_size=12, unique_by=lambda t: t[:2]))
def test_hour_sums_and_lookup_equal_pandas(entries, weights):
    """`_sum_by_hour` is pandas' groupby(dropna=False, sort=True) sum, and `_aligned` a
    left join on (resource_id, hour) (0 where no row matches, or no resource_id), on
    integer codes."""
    from infercost.allocation.engine import _aligned, _sum_by_hour

    rid = np.array([e[0] for e in entries], dtype=object)
    hour = (np.datetime64("2026-10-01T00", "us")
            + np.array([e[1] for e in entries], dtype="timedelta64[h]")).astype("datetime64[us]")
    q = np.array([e[2] for e in entries], dtype=np.int64)
    # fleet rows: each entry its own row here, and half of them twice (row_of repeats)
    row_of = np.r_[np.arange(len(entries)), np.arange(0, len(entries), 2)].astype(np.int64)
    got = _sum_by_hour(rid, row_of, hour[row_of], q[row_of])
    want = pd.DataFrame({"resource_id": rid[row_of], "hour": hour[row_of],
                         "cost_q": q[row_of]}).groupby(
        ["resource_id", "hour"], dropna=False, sort=True)["cost_q"].sum().reset_index()
    pd.testing.assert_frame_equal(got, want)
    right = pd.DataFrame({
        "resource_id": np.array([w[0] for w in weights], dtype=object),
        "hour": (np.datetime64("2026-10-01T00", "us") + np.array(
            [w[1] for w in weights], dtype="timedelta64[h]")).astype("datetime64[us]"),
        "W": np.array([w[2] for w in weights], dtype=np.int64)})
    lookup = {(r, h): w for r, h, w in zip(right["resource_id"], right["hour"], right["W"],
                                           strict=True) if r is not None}
    expect = [0 if pd.isna(r) else lookup.get((r, h), 0)
              for r, h in zip(got["resource_id"], got["hour"], strict=True)]
    assert _aligned(got, right, "W").tolist() == expect


@pytest.mark.spark
def test_spark_sums_keep_the_column_scale(tmp_path):
    """Spark, like DuckDB, gives SUM(DECIMAL(20, 0)) two decimals: the sums come back in
    the column's own scale on both (24 x 2 = 48, then 7 and 5; allocations.csv equal)."""
    import shutil

    pytest.importorskip("pyspark")
    if shutil.which("java") is None:
        pytest.skip("Java is not installed")
    rows = [*fleet_day("i-a", 0, "2"), focus_row("5", "vol-1", service="Storage"),
            focus_row("7", "vol-2", service="Storage")]
    bill = write_parquet(tmp_path / "bill.parquet", rows, amounts="decimal(20,0)")
    usage = usage_file(tmp_path / "usage.parquet", ["i-a"], hours=24)
    got = {}
    for backend in ("duckdb", "spark"):
        s = run_attribution(bill, usage, tmp_path / backend, backend=backend)
        assert s["_bill_reader"]["rows_in_python"] == 3  # the day's 24 hours are one row
        got[backend] = ([str(r["cost"]) for r in s["top_resources"]],
                        (tmp_path / backend / "allocations.csv").read_bytes())
    assert got["spark"] == got["duckdb"] and got["spark"][0] == ["48", "7", "5"]


@pytest.mark.parametrize("typ,values,want", [
    (pa.decimal128(38, 18), ["0.1234567891", "-2.5", "0"], [1_234_567_891, -25_000_000_000, 0]),
    (pa.decimal128(20, 0), ["7", "-1"], [70_000_000_000, -10_000_000_000]),
    (pa.decimal128(38, 18), ["0.000000000012"], None),  # 12 decimals: not whole quanta
    (pa.decimal128(38, 0), ["99999999999999999999"], None),  # past int64 as quanta
])
def test_decimal_quanta_reads_whole_quanta_or_says_not(typ, values, want):
    """The one conversion the bill reader and the engine share: a decimal array's
    unscaled integers at scale 10 (1 = 1e10 quanta), or None."""
    from infercost.core.quanta import decimal_quanta

    got = decimal_quanta(pa.array([Decimal(v) for v in values], typ))
    assert (got.tolist() if got is not None else None) == want
