"""Usage-log values of the wrong type, as a new user met them (each case's docstring says
what happened before): booleans read as 1 and 0 where a number is expected, fractional
token counts rounded in JSON and typed Parquet, objects and arrays read as text or as no
timestamp, an unclosed CSV quote not named, and hour 24 read as the next day's 00:00 by
DuckDB (the bill's reader and Spark refuse it)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from tests.attribution_helpers import attribute_fails, attribute_json, focus_row

RID = "i-1"
BASE = {"timestamp": "2026-10-01T00:10:00Z", "request_id": "a", "resource_id": RID,
        "duration_ms": 5}


def _bill(tmp_path: Path) -> Path:
    p = tmp_path / "bill.csv"
    pd.DataFrame([focus_row("2.5", RID), focus_row("1.5", RID, start=1)]).to_csv(
        p, index=False)
    return p


def _jsonl(tmp_path: Path, *changes: dict, name: str = "u.jsonl") -> Path:
    """A JSON-lines log of one request per `changes` (keys over `BASE`)."""
    p = tmp_path / name
    p.write_text("".join(json.dumps({**BASE, "request_id": f"r{i}", **c}) + "\n"
                         for i, c in enumerate(changes, start=1)))
    return p


def _json_array(tmp_path: Path, *changes: dict) -> Path:
    p = tmp_path / "u.json"
    p.write_text(json.dumps([{**BASE, "request_id": f"r{i}", **c}
                             for i, c in enumerate(changes, start=1)]))
    return p


def _parquet(tmp_path: Path, **columns) -> Path:
    """A Parquet log of len(first column) requests; `columns` over BASE's (Arrow arrays
    or lists)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    n = len(next(iter(columns.values())))
    cols = {k: [v] * n for k, v in BASE.items()}
    cols["request_id"] = [f"r{i}" for i in range(1, n + 1)]
    cols.update(columns)
    p = tmp_path / "u.parquet"
    pq.write_table(pa.table(cols), p)
    return p


def _fails(cli, tmp_path: Path, usage: Path) -> str:
    msg = attribute_fails(cli, "--bill", _bill(tmp_path), "--usage", usage,
                          "--out", tmp_path / "o")
    assert not (tmp_path / "o").exists()
    return msg.replace(f"{tmp_path}/", "")


def _summary(cli, tmp_path: Path, usage: Path) -> dict:
    return attribute_json(cli, "--bill", _bill(tmp_path), "--usage", usage,
                          "--out", tmp_path / "o")


# ------------------------------------------------------------- booleans as numbers

@pytest.mark.parametrize("column,value,expected", [
    ("duration_ms", True, "a number, got true"),
    ("duration_ms", False, "a number, got false"),
    ("gpu_ms", True, "a number, got true"),
    ("input_tokens", True, "a whole number, got true"),
    ("output_tokens", False, "a whole number, got false"),
    ("requests", True, "a whole number, got true")])
def test_a_json_boolean_where_a_number_is_expected_is_refused(cli, tmp_path, column,
                                                              value, expected):
    """`"duration_ms": true` weighed 1 ms (false: zero weight), `"input_tokens": true`
    counted 1 token."""
    msg = _fails(cli, tmp_path, _jsonl(tmp_path, {}, {column: value}))
    assert msg == f"u.jsonl: row 2: column {column}: expected {expected}"


def test_a_boolean_among_numbers_in_json_says_so(cli, tmp_path):
    """A boolean among numbers was refused as 'cannot be parsed as a number; first True'
    (Python's spelling, not the file's)."""
    msg = _fails(cli, tmp_path, _jsonl(tmp_path, {}, {}, {"duration_ms": True}))
    assert msg == "u.jsonl: row 3: column duration_ms: expected a number, got true"


def test_a_boolean_in_a_json_array_of_requests_is_refused(cli, tmp_path):
    msg = _fails(cli, tmp_path, _json_array(tmp_path, {}, {"input_tokens": True}))
    assert msg == "u.json: row 2: column input_tokens: expected a whole number, got true"


def test_a_parquet_boolean_column_where_a_number_is_expected_is_refused(cli, tmp_path):
    """A Parquet bool `duration_ms` column weighed true as 1 ms."""
    import pyarrow as pa

    p = _parquet(tmp_path, duration_ms=pa.array([None, True], pa.bool_()))
    msg = _fails(cli, tmp_path, p)
    assert msg == "u.parquet: row 2: column duration_ms: expected a number, got true"


def test_a_boolean_label_is_still_read_as_text(cli, tmp_path):
    s = _summary(cli, tmp_path, _jsonl(tmp_path, {"tenant": True}))
    assert s["totals"]["allocated"] == "2.5"


# ------------------------------------------------------- fractional token counts

def test_a_fractional_json_token_count_is_refused(cli, tmp_path):
    """`"input_tokens": 12.7` was rounded to 13."""
    msg = _fails(cli, tmp_path, _jsonl(tmp_path, {"input_tokens": 3}, {"input_tokens": 12.7}))
    assert msg == ("u.jsonl: row 2: column input_tokens: 1 value cannot be parsed as a whole "
                   "number; first 12.7")


@pytest.mark.parametrize("typ", ["float64", "float32", "decimal"])
def test_a_fractional_count_in_a_float_parquet_column_is_refused(cli, tmp_path, typ):
    """A float64 token column holding 1.5 was rounded to 2."""
    import decimal

    import pyarrow as pa

    vals = [1.0, None, 1.5]
    arr = (pa.array([None if v is None else decimal.Decimal(str(v)) for v in vals],
                    pa.decimal128(9, 2)) if typ == "decimal" else pa.array(vals, typ))
    msg = _fails(cli, tmp_path, _parquet(tmp_path, output_tokens=arr))
    assert msg == ("u.parquet: row 3: column output_tokens: 1 value cannot be parsed as a "
                   "whole number; first 1.5")


def test_whole_floats_stay_token_counts(cli, tmp_path):
    s = _summary(cli, tmp_path, _jsonl(tmp_path, {"input_tokens": 12.0, "output_tokens": 3}))
    assert s["unit_costs"]["tokens"] == 15
    p = _parquet(tmp_path, input_tokens=[12.0, 2.0], output_tokens=[3.0, 1.0])
    assert _summary(cli, tmp_path, p)["unit_costs"]["tokens"] == 18


def test_nan_in_a_float_parquet_token_column_is_an_unknown_count(cli, tmp_path):
    """Refused as 'cannot read parquet: Type DOUBLE with value nan can't be cast...',
    named 'line 1: not UTF-8' (DuckDB took `abs < 2^53` for true from the statistics,
    which leave NaN out, and cast NaN to an integer)."""
    p = _parquet(tmp_path, input_tokens=[12.0, float("nan")], output_tokens=[3.0, 1.0])
    s = _summary(cli, tmp_path, p)
    assert s["unit_costs"]["tokens"] == 16


# ------------------------------------------------------------ nested JSON values

@pytest.mark.parametrize("column,value,expected", [
    ("timestamp", {"t": 1}, 'a timestamp, got an object {"t": 1}'),
    ("timestamp", {"$date": "2026-10-01T00:10:00Z"},
     'a timestamp, got an object {"$date": "2026-10-01T00:10:00Z"}'),
    ("resource_id", ["i-1"], 'text, got an array ["i-1"]'),
    ("tenant", {"id": "x"}, 'text, got an object {"id": "x"}'),
    ("request_id", {"id": "x"}, 'text, got an object {"id": "x"}'),
    ("status", [200], "text, got an array [200]"),
    ("duration_ms", {"v": 1}, 'a number, got an object {"v": 1}'),
    ("input_tokens", [1, 2], "a whole number, got an array [1, 2]")])
def test_a_nested_json_value_is_refused_by_row_and_column(cli, tmp_path, column, value,
                                                          expected):
    """An object timestamp was `rejected: no timestamp`, `["i-1"]` the id `[i-1]`,
    `{"id": "x"}` the tenant `{'id': x}`, and an object duration DuckDB's own cast error
    without file or row."""
    msg = _fails(cli, tmp_path, _jsonl(tmp_path, {}, {column: value}))
    assert msg == f"u.jsonl: row 2: column {column}: expected {expected}"


@pytest.mark.parametrize("first", ["x", 5])
def test_a_nested_value_among_text_or_numbers_is_refused(cli, tmp_path, first):
    """A key that is text (or a number) on one row and an object on another was read as
    the object's JSON text (`{"id":"x"}`), a tenant."""
    msg = _fails(cli, tmp_path, _jsonl(tmp_path, {"tenant": first}, {"tenant": {"id": "x"}}))
    assert msg == 'u.jsonl: row 2: column tenant: expected text, got an object {"id": "x"}'


def test_a_nested_value_among_timestamps_is_refused(cli, tmp_path):
    msg = _fails(cli, tmp_path, _jsonl(tmp_path, {}, {"timestamp": {"t": 1}}, {}))
    assert msg == 'u.jsonl: row 2: column timestamp: expected a timestamp, got an object {"t": 1}'


def test_a_nested_value_in_a_json_array_of_requests_is_refused(cli, tmp_path):
    msg = _fails(cli, tmp_path, _json_array(tmp_path, {}, {"resource_id": ["i-1"]}))
    assert msg == 'u.json: row 2: column resource_id: expected text, got an array ["i-1"]'


@pytest.mark.parametrize("kind", ["struct", "list", "map"])
def test_a_nested_parquet_column_is_refused(cli, tmp_path, kind):
    import pyarrow as pa

    arr = {"struct": pa.array([None, {"id": "x"}]),
           "list": pa.array([None, ["x"]]),
           "map": pa.array([None, [("id", "x")]], pa.map_(pa.string(), pa.string()))}[kind]
    msg = _fails(cli, tmp_path, _parquet(tmp_path, tenant=arr))
    got = {"struct": 'a struct {"id": "x"}', "list": 'a list ["x"]',
           "map": 'a map {"id": "x"}'}[kind]
    assert msg == f"u.parquet: row 2: column tenant: expected text, got {got}"


def test_a_nested_column_the_tool_does_not_read_is_not_refused(cli, tmp_path):
    s = _summary(cli, tmp_path, _jsonl(tmp_path, {"extra": {"v": 1}, "tags": ["a"]}))
    assert s["totals"]["allocated"] == "2.5"


# -------------------------------------------------------------- an unclosed quote

def test_an_unclosed_csv_quote_is_named_by_its_row(cli, tmp_path):
    """The quote opening row 2 was refused as 'column timestamp: 1 value cannot be
    parsed...', no row, not the cause."""
    p = tmp_path / "u.csv"
    p.write_text("timestamp,request_id,resource_id,duration_ms\n"
                 "2026-10-01T00:10:00Z,a,i-1,5\n"
                 '"2026-10-01T00:11:00Z,b,i-1,5\n'
                 "2026-10-01T00:12:00Z,c,i-1,5\n")
    msg = _fails(cli, tmp_path, p)
    assert msg.startswith('u.csv: row 2: an unclosed quote (") '), msg


def test_an_unclosed_quote_in_a_number_is_named_by_its_row(cli, tmp_path):
    """The bad value was shown as the rest of the file, from the quote on."""
    p = tmp_path / "u.csv"
    p.write_text("timestamp,request_id,resource_id,duration_ms\n"
                 "2026-10-01T00:10:00Z,a,i-1,5\n"
                 "2026-10-01T00:11:00Z,b,i-1,5\n"
                 '2026-10-01T00:12:00Z,c,i-1,"5\n'
                 "2026-10-01T00:13:00Z,d,i-1,5\n")
    assert _fails(cli, tmp_path, p).startswith('u.csv: row 3: an unclosed quote (") ')


def test_an_unclosed_quote_in_a_label_is_refused_not_read_as_a_character(cli, tmp_path):
    """DuckDB's sniffer read a file whose quote never closes as unquoted: the model
    `"m` was allocated 1.00 with exit 0."""
    p = tmp_path / "u.csv"
    p.write_text("timestamp,request_id,resource_id,duration_ms,model\n"
                 '2026-10-01T00:10:00Z,a,i-1,5,"m\n'
                 "2026-10-01T00:11:00Z,b,i-1,5,m\n"
                 "2026-10-01T00:12:00Z,c,i-1,5,m\n")
    msg = _fails(cli, tmp_path, p)
    assert msg.startswith('u.csv: row 1: an unclosed quote (") '), msg
    assert not (tmp_path / "o").exists()


def test_text_after_a_closing_quote_is_refused_by_its_row(cli, tmp_path):
    """`"m"x` was the model `"m"x` (DuckDB read the file as unquoted); the bill's
    reader reads the same cell as `mx`. Neither is what was meant: refused."""
    p = tmp_path / "u.csv"
    p.write_text("timestamp,request_id,resource_id,duration_ms,model\n"
                 "2026-10-01T00:10:00Z,a,i-1,5,m\n"
                 '2026-10-01T00:11:00Z,b,i-1,5,"m"x\n')
    msg = _fails(cli, tmp_path, p)
    assert msg == ("u.csv: row 2: text follows a quoted value's closing quote (\") before "
                   'the next comma (quote the whole value, with a quote inside it doubled: '
                   '"m""x")'), msg


def test_a_quoted_newline_is_no_unclosed_quote(cli, tmp_path):
    p = tmp_path / "u.csv"
    p.write_text("timestamp,request_id,resource_id,duration_ms,tenant\n"
                 '2026-10-01T00:10:00Z,a,i-1,5,"t\n1"\n'
                 "bogus,b,i-1,5,t\n")
    assert _fails(cli, tmp_path, p).startswith(
        "u.csv: row 2: column timestamp: 1 value cannot be parsed")


# ------------------------------------------------------------------------- hour 24

HOUR_24 = ("column timestamp: 1 value refused; first '2026-10-01T24:00:00Z': hour 24 is "
           "no time of day (the bill's reader refuses it too): write 00:00 of the next day")


@pytest.mark.parametrize("name", ["u.csv", "u.jsonl", "u.parquet"])
def test_hour_24_is_refused_as_the_bill_refuses_it(cli, tmp_path, name):
    """DuckDB read `2026-10-01T24:00:00Z` as 2026-10-02 00:00 (Spark and the bill's reader
    refuse it)."""
    from infercost.ingest import billrows

    assert billrows.text_times(["2026-10-01T24:00:00Z"]) == [None]
    stamps = ["2026-10-01T00:10:00Z", "2026-10-01T24:00:00Z"]
    if name == "u.csv":
        p = tmp_path / name
        p.write_text("timestamp,request_id,resource_id,duration_ms\n"
                     + "".join(f"{s},r{i},{RID},5\n" for i, s in enumerate(stamps)))
    elif name == "u.jsonl":
        p = _jsonl(tmp_path, *({"timestamp": s} for s in stamps))
    else:
        p = _parquet(tmp_path, timestamp=stamps)
    assert _fails(cli, tmp_path, p) == f"{name}: row 2: {HOUR_24}"


def test_json_timestamps_are_checked_as_text(cli, tmp_path):
    """DuckDB typed a JSON log's ISO timestamps itself, so an offset with minutes past 59
    (`+02:75`) was read as +03:15, where a CSV's is refused."""
    msg = _fails(cli, tmp_path, _jsonl(tmp_path, {}, {"timestamp": "2026-10-01T02:10:00+02:75"}))
    assert msg.startswith("u.jsonl: row 2: column timestamp: 1 value cannot be parsed"), msg
    assert msg.endswith("an offset is at most 14:00 and its minutes below 60")
    s = _summary(cli, tmp_path, _jsonl(tmp_path, {"timestamp": "2026-10-01T02:10:00+02:00"},
                                       {"timestamp": "2026-10-01 00:20:00"}))
    assert s["fleet"]["resource_hours_with_requests"] == 1


@pytest.mark.spark
@pytest.mark.skipif(shutil.which("java") is None, reason="Java is not installed")
def test_hour_24_is_refused_alike_on_spark(cli, tmp_path):
    pytest.importorskip("pyspark")
    p = _jsonl(tmp_path, {}, {"timestamp": "2026-10-01T24:00:00Z"})
    msg = attribute_fails(cli, "--bill", _bill(tmp_path), "--usage", p, "--backend",
                          "spark", "--out", tmp_path / "o")
    assert msg.replace(f"{tmp_path}/", "") == f"u.jsonl: row 2: {HOUR_24}"

