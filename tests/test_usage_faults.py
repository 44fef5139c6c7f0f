"""Usage-log faults a demanding user met: a year an ISO offset moves out of 1-9999 named
no row; values that read but are refused (an hour a zone repeats or skips, such a year)
were said to be unparsable; IANA keys without a slash (`UCT`, `EST5EDT`, `GB`) were
refused as abbreviations; labels spelled as the bill's nulls (`NULL`, `None`) were kept
as a tenant named "NULL". Each case's docstring says what happened before."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pandas as pd
import pytest

from tests.attribution_helpers import attribute_fails, attribute_json, focus_row

RID = "i-1"
FIRST = "2026-10-01T00:10:00Z"


def _bill(tmp_path: Path, rows: list[dict] | None = None) -> Path:
    p = tmp_path / "bill.csv"
    pd.DataFrame(rows or [focus_row("2.5", RID), focus_row("1.5", RID, start=1)]).to_csv(
        p, index=False)
    return p


def _usage(tmp_path: Path, stamps: list, name: str = "usage.csv", **labels) -> Path:
    """A usage log of one request per stamp; `labels`: column -> one value per row."""
    p = tmp_path / name
    keys = ["timestamp", "request_id", "resource_id", "duration_ms", *labels]
    rows = [[s, f"r{i}", RID, 100 * (i + 1), *(v[i] for v in labels.values())]
            for i, s in enumerate(stamps)]
    if name.endswith(".csv"):
        with open(p, "w", newline="") as fh:
            w = csv.writer(fh, lineterminator="\n")
            w.writerow(keys)
            w.writerows(rows)
    elif name.endswith(".parquet"):
        import pyarrow as pa
        import pyarrow.parquet as pq

        pq.write_table(pa.table({k: [r[j] for r in rows] for j, k in enumerate(keys)}), p)
    else:
        p.write_text("".join(json.dumps(dict(zip(keys, r, strict=True))) + "\n" for r in rows))
    return p


def _fails(cli, tmp_path, usage: Path, bill: Path | None = None) -> str:
    msg = attribute_fails(cli, "--bill", bill or _bill(tmp_path), "--usage", usage,
                          "--out", tmp_path / "o")
    assert not (tmp_path / "o").exists()
    return msg.replace(f"{tmp_path}/", "")


# ------------------------------------------------------ years outside 1-9999, by row

@pytest.mark.parametrize("name", ["usage.csv", "usage.jsonl", "usage.parquet"])
@pytest.mark.parametrize("stamp,why", [
    ("9999-12-31T23:00:00-05:00", "year 10000 in UTC is outside 1-9999"),
    ("0001-01-01 03:00:00+05:00", "year 0 in UTC is outside 1-9999"),
    ("12026-10-01T01:10:00Z", "year 12026 is outside 1-9999")])
def test_a_year_outside_1_to_9999_names_the_row_and_value(cli, tmp_path, name, stamp, why):
    """An ISO offset moving the year out of range (and a year written out of range) was
    refused naming the file and the year, not the row nor the value."""
    msg = _fails(cli, tmp_path, _usage(tmp_path, [FIRST, FIRST, stamp], name))
    assert msg == (f"{name}: row 3: column timestamp: 1 value refused; first {stamp!r}: "
                   f"{why}")


def test_a_typed_parquet_timestamp_outside_1_to_9999_names_the_row(cli, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    p = tmp_path / "u.parquet"
    us = [1_790_813_400_000_000, 315_000_000_000_000_000, 315_000_000_000_000_000]
    pq.write_table(pa.table({"timestamp": pa.array(us, pa.timestamp("us", tz="UTC")),
                             "request_id": ["a", "b", "c"], "resource_id": [RID] * 3,
                             "duration_ms": [1.0, 2.0, 3.0]}), p)
    assert _fails(cli, tmp_path, p) == (
        "u.parquet: row 2: column timestamp: 2 values refused; first "
        "'11951-12-15 08:00:00': year 11951 is outside 1-9999")


# ------------------------------------------- values that read but are refused: why

@pytest.mark.parametrize("stamp,why", [
    ("2026-10-25 02:30:00 Europe/Berlin",
     "it falls in the hour Europe/Berlin repeats when summer time ends: give the offset, "
     "+02:00 (the first time) or +01:00 (the second)"),
    ("2026-10-04 02:30:00 Australia/Sydney",
     "it falls in the hour Australia/Sydney skips when summer time starts (no such local "
     "time): give the offset"),
    ("9999-12-31 23:00:00 America/New_York", "year 10000 in UTC is outside 1-9999")])
def test_a_refused_local_time_says_what_is_wrong(cli, tmp_path, stamp, why):
    """These began with "cannot be parsed as a UTC timestamp (a date and a time of day,
    ISO 8601...)": the value was read, and refused for another reason."""
    msg = _fails(cli, tmp_path, _usage(tmp_path, [FIRST, stamp]))
    assert msg == f"usage.csv: row 2: column timestamp: 1 value refused; first {stamp!r}: {why}"
    bill = _bill(tmp_path, [focus_row("2.5", RID) | {"BillingPeriodEnd": stamp}])
    msg = _fails(cli, tmp_path, _usage(tmp_path, [FIRST]), bill)
    assert msg == f"bill.csv: row 1: column BillingPeriodEnd: timestamp {stamp!r}: {why}"


def test_a_time_a_zone_skips_for_no_summer_time_says_so():
    """Samoa skipped 30 December 2011 (it moved across the date line): no summer time."""
    from infercost.ingest.billrows import refused_why

    assert refused_why("2011-12-30 12:00:00 Pacific/Apia") == (
        "it falls in the time Pacific/Apia skips when its clocks go forward (no such local "
        "time): give the offset")
    assert refused_why("2026-10-01 12:00:00 Pacific/Apia") is None
    assert refused_why("2026-10-01 12:00:00 PST") is None


# --------------------------------------------------- IANA keys without a slash

ZONE_CASES = [  # (local time and key, UTC)
    ("2026-07-01 12:00:00 UCT", "2026-07-01 12:00:00"),
    ("2026-01-15 12:00:00 UCT", "2026-01-15 12:00:00"),
    ("2026-07-01 12:00:00 EST5EDT", "2026-07-01 16:00:00"),
    ("2026-01-15 12:00:00 EST5EDT", "2026-01-15 17:00:00"),
    ("2026-07-01 12:00:00 est5edt", "2026-07-01 16:00:00"),
    ("2026-07-01 12:00:00 GB", "2026-07-01 11:00:00"),
    ("2026-01-15 12:00:00 NZ", "2026-01-14 23:00:00"),
    ("2026-07-01 12:00:00 Zulu", "2026-07-01 12:00:00"),
    ("2026-07-01 12:00:00 Universal", "2026-07-01 12:00:00"),
    ("2026-07-01 12:00:00 Etc/GMT+5", "2026-07-01 17:00:00")]


@pytest.mark.parametrize("name", ["usage.csv", "usage.jsonl"])
def test_iana_keys_without_a_slash_read_with_their_offset_that_day(tmp_path, name):
    """`UCT`, `EST5EDT`, `GB`, `NZ`... are keys of the IANA list: they were refused as
    abbreviations ("an abbreviation (PST, CET) does not say whether summer time
    applies"), though they say it."""
    from infercost.ingest.backends import connect
    from infercost.ingest.usage import read_usage

    p = _usage(tmp_path, [s for s, _ in ZONE_CASES], name)
    t = read_usage(connect("duckdb"), p).table.to_pyarrow()
    got = dict(zip(t.column("request_id").to_pylist(), t.column("timestamp").to_pylist(),
                   strict=True))
    assert [str(got[f"r{i}"]) for i in range(len(ZONE_CASES))] == [u for _, u in ZONE_CASES]


@pytest.mark.parametrize("key", ["EST", "est", "MST", "HST", "CET", "EET", "MET", "WET"])
def test_iana_keys_that_are_abbreviations_stay_refused(cli, tmp_path, key):
    stamp = f"2026-07-01 12:00:00 {key}"
    msg = _fails(cli, tmp_path, _usage(tmp_path, [FIRST, stamp]))
    assert msg == (f"usage.csv: row 2: column timestamp: 1 value cannot be parsed as a UTC "
                   "timestamp (a date and a time of day, ISO 8601: 2026-10-01T00:15:00Z); "
                   f"first {stamp!r}; zones are read as an offset (-08:00, UTC+5:30) or a "
                   "Region/City name (America/Los_Angeles): an abbreviation (PST, CET) does "
                   "not say whether summer time applies")


@pytest.mark.parametrize("key", ["localtime", "Factory"])
def test_keys_naming_no_place_are_refused(cli, tmp_path, key):
    """`localtime` is the reading machine's own zone, `Factory` a zone of no place."""
    msg = _fails(cli, tmp_path, _usage(tmp_path, [FIRST, f"2026-07-01 12:00:00 {key}"]))
    assert msg.endswith(f"; {key!r} names no place's clock: give the offset or a "
                        "Region/City name (America/Los_Angeles)")


# ------------------------------------------------------ labels spelled as nulls

NULLS = ["NULL", " null ", "None", "NaN", "nan"]


@pytest.mark.parametrize("name", ["usage.csv", "usage.jsonl", "usage.json"])
def test_labels_spelled_as_the_bill_nulls_read_as_missing(tmp_path, name):
    """A tenant `NULL` was a tenant named "NULL" (a request id so spelled was no id)."""
    from infercost.ingest.backends import connect
    from infercost.ingest.usage import labels_read, read_usage

    labels = {c: [*NULLS, "NULLS", "x"] for c in ("model", "model_version", "endpoint",
                                                  "tenant")}
    p = _usage(tmp_path, [FIRST] * 7, name if name != "usage.json" else "usage.jsonl",
               **labels)
    if name == "usage.json":  # a JSON array of requests
        recs = [json.loads(x) for x in p.read_text().splitlines()]
        p.unlink()
        p = tmp_path / name
        p.write_text(json.dumps(recs))
    t = labels_read(read_usage(connect("duckdb"), p).table).to_pyarrow().sort_by("request_id")
    for c in labels:
        assert t.column(c).to_pylist() == [None] * 5 + ["NULLS", "x"], c


def test_parquet_labels_spelled_as_nulls_read_as_missing_as_its_ids_do(tmp_path):
    from infercost.ingest.backends import connect
    from infercost.ingest.usage import labels_read, read_usage

    p = _usage(tmp_path, [FIRST] * 4, "u.parquet", tenant=["NULL", "nan", "t", None],
               model=["None", "m", "NaN", "null"])
    t = labels_read(read_usage(connect("duckdb"), p).table).to_pyarrow().sort_by("request_id")
    assert t.column("tenant").to_pylist() == [None, None, "t", None]
    assert t.column("model").to_pylist() == [None, "m", None, None]


@pytest.mark.parametrize("how", ["defaults", "lean", "idle share"])
def test_a_tenant_spelled_null_is_the_no_tenant_slice(cli, tmp_path, how):
    """The allocation of rows whose tenant is `NULL` or empty is one slice, as for rows
    without a tenant; the figures are those of the log with empty cells: with every
    output, the lean run (labels mapped on the aggregate's sums, then summed again) and
    `idle: share` (its per-resource sums too)."""
    bill = _bill(tmp_path)
    stamps = [FIRST, "2026-10-01T00:20:00Z", "2026-10-01T00:40:00Z", "2026-10-01T01:10:00Z"]
    spelled = _usage(tmp_path, stamps, "a.csv", tenant=["NULL", "", "null", "acme"],
                     model=["m", "None", "m", "m"])
    empty = _usage(tmp_path, stamps, "b.csv", tenant=["", "", "", "acme"],
                   model=["m", "", "m", "m"])
    extra = {"defaults": [], "lean": ["--no-requests", "--no-duplicate-check"]}.get(how)
    if extra is None:
        rules = tmp_path / "rules.yaml"
        rules.write_text("idle: share\n")
        extra = ["--rules", rules]
    a = attribute_json(cli, "--bill", bill, "--usage", spelled, "--out", tmp_path / "a", *extra)
    b = attribute_json(cli, "--bill", bill, "--usage", empty, "--out", tmp_path / "b", *extra)
    assert a["totals"] == b["totals"]
    rows = pd.read_csv(tmp_path / "a" / "allocations.csv", keep_default_na=False)
    assert (tmp_path / "a" / "allocations.csv").read_bytes() == (
        tmp_path / "b" / "allocations.csv").read_bytes()
    assert "NULL" not in set(rows["tenant"]) and "None" not in set(rows["model"])
    assert len(rows[(rows["model"] == "m") & (rows["tenant"] == "") & (
        rows["kind"] == "allocated")]) == 1  # NULL, null and empty: one slice
    if how != "lean":
        req = pd.read_parquet(tmp_path / "a" / "requests.parquet")
        assert req["tenant"].isna().sum() == 3 and req["model"].isna().sum() == 1


@pytest.mark.parametrize("name", ["usage.csv.gz", "usage.jsonl.gz"])
def test_a_compressed_log_names_the_row_of_a_refused_value(cli, tmp_path, name):
    """In a `.gz` log the refusal named the file only (its rows were searched uncompressed)."""
    import gzip

    plain = _usage(tmp_path, [FIRST, "9999-12-31T23:00:00-05:00"], name[:-3])
    (tmp_path / name).write_bytes(gzip.compress(plain.read_bytes()))
    plain.unlink()
    assert _fails(cli, tmp_path, tmp_path / name) == (
        f"{name}: row 2: column timestamp: 1 value refused; first "
        "'9999-12-31T23:00:00-05:00': year 10000 in UTC is outside 1-9999")


def test_a_year_no_file_shows_is_refused_naming_the_log():
    """When no file shows the value (a backend's own reading), the log and year are said."""
    from infercost.ingest.usage import Usage, year_refusal

    e = year_refusal(Usage(table=None, files=[], kinds=[]), 12026, 3)
    assert (e.message, e.where) == (
        "column timestamp: 3 values refused: year 12026 in UTC is outside 1-9999", "usage")


def test_a_json_array_log_names_the_row_of_a_refused_value(cli, tmp_path):
    """A JSON array of requests named the file only (its rows were read as lines)."""
    p = tmp_path / "usage.json"
    p.write_text(json.dumps([{"timestamp": s, "request_id": f"r{i}", "resource_id": RID,
                              "duration_ms": 100} for i, s in enumerate(
                                  [FIRST, "2026-10-25 02:30:00 Europe/Berlin"])], indent=1))
    assert _fails(cli, tmp_path, p).startswith(
        "usage.json: row 2: column timestamp: 1 value refused; first "
        "'2026-10-25 02:30:00 Europe/Berlin': it falls in the hour")


# ------------------------------------------- ResourceIds and providers spelled as nulls

@pytest.mark.parametrize("name", ["usage.csv", "usage.jsonl", "usage.parquet"])
def test_resource_ids_and_providers_spelled_as_nulls_are_missing(cli, tmp_path, name):
    """A ResourceId `NULL` (or `None`) is no resource, as a blank one is: with a provider
    the row is a hosted API call, else it has no resource_id (it read as an id without a
    bill row, and entered the fleet's ids); a provider `NULL` is no provider (the row
    read as a hosted API call)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    keys = ["timestamp", "request_id", "resource_id", "duration_ms", "provider"]
    rows = [[FIRST, "r0", RID, 100, None], [FIRST, "r1", "NULL", 100, "openai"],
            [FIRST, "r2", "None", 100, None], [FIRST, "r3", None, 100, "NULL"]]
    p = tmp_path / name
    if name.endswith(".parquet"):
        pq.write_table(pa.table({k: [r[j] for r in rows] for j, k in enumerate(keys)}), p)
    elif name.endswith(".csv"):
        p.write_text("\n".join(",".join("" if v is None else str(v) for v in r)
                               for r in [keys, *rows]) + "\n")
    else:
        p.write_text("".join(json.dumps(dict(zip(keys, r, strict=True))) + "\n" for r in rows))
    s = attribute_json(cli, "--bill", _bill(tmp_path), "--usage", p, "--out", tmp_path / "o")
    req = pd.read_parquet(tmp_path / "o" / "requests.parquet").set_index("request_id")
    assert req.loc["r1", "allocation"] == "rejected: hosted API call: billed by its provider"
    assert req.loc["r2", "allocation"] == "rejected: no resource_id"
    assert req.loc["r3", "allocation"] == "rejected: no resource_id"
    assert req.loc["r0", "allocation"] == "allocated"
    assert pd.isna(req.loc["r1", "resource_id"])
    assert s["conservation"]["holds"]


# ------------------------------------------------ labels: one rule for every format

_BLANK_TENANTS = ["t1", " t1", "t1\u00a0", "\ufefft1\u3000"]
_BLANK_MODELS = ["m", "m ", "m\u2009", "\u00a0m"]


@pytest.mark.parametrize(("name", "how"), [
    ("usage.csv", "defaults"), ("usage.jsonl", "defaults"), ("usage.parquet", "defaults"),
    ("usage.parquet", "lean"), ("usage.jsonl", "idle share")])
def test_labels_with_blanks_at_their_ends_are_one_slice_in_every_format(cli, tmp_path, name,
                                                                        how):
    """A tenant `t1` followed by a no-break space was a slice of its own that printed as
    `t1` (CSV and JSON trimmed ASCII blanks only; Parquet trimmed nothing, so ` t1` and
    `m ` were slices too). The figures are those of the log without the blanks, in every
    output, the rows written out among them."""
    bill = _bill(tmp_path)
    stamps = [FIRST, "2026-10-01T00:20:00Z", "2026-10-01T00:40:00Z", "2026-10-01T01:10:00Z"]
    blank = _usage(tmp_path, stamps, name, tenant=_BLANK_TENANTS, model=_BLANK_MODELS)
    clean = _usage(tmp_path, stamps, "clean.csv", tenant=["t1"] * 4, model=["m"] * 4)
    extra = {"defaults": [], "lean": ["--no-requests", "--no-duplicate-check"]}.get(how)
    if extra is None:
        rules = tmp_path / "rules.yaml"
        rules.write_text("idle: share\n")
        extra = ["--rules", rules]
    a = attribute_json(cli, "--bill", bill, "--usage", blank, "--out", tmp_path / "a", *extra)
    b = attribute_json(cli, "--bill", bill, "--usage", clean, "--out", tmp_path / "b", *extra)
    assert a["totals"] == b["totals"]
    assert (tmp_path / "a" / "allocations.csv").read_bytes() == (
        tmp_path / "b" / "allocations.csv").read_bytes()
    rows = pd.read_csv(tmp_path / "a" / "allocations.csv", keep_default_na=False)
    assert list(rows.loc[rows["kind"] == "allocated", "tenant"]) == ["t1"]
    if how != "lean":
        req = pd.read_parquet(tmp_path / "a" / "requests.parquet")
        assert list(req["tenant"]) == ["t1"] * 4 and list(req["model"]) == ["m"] * 4
        assert sorted(p.name for p in (tmp_path / "a").iterdir()) == [
            "allocations.csv", "allocations.parquet", "requests.parquet", "summary.json"]


@pytest.mark.parametrize("name", ["usage.jsonl", "usage.parquet"])
def test_an_empty_or_blank_label_is_the_missing_label(cli, tmp_path, name):
    """A JSON or Parquet tenant "" (or a blank) was a slice of its own beside the rows
    without a tenant; both printed as an empty tenant."""
    stamps = [FIRST, "2026-10-01T00:20:00Z", "2026-10-01T00:40:00Z"]
    p = _usage(tmp_path, stamps, name, tenant=["", "\u00a0", None])
    attribute_json(cli, "--bill", _bill(tmp_path), "--usage", p, "--out", tmp_path / "a")
    rows = pd.read_csv(tmp_path / "a" / "allocations.csv", keep_default_na=False)
    assert len(rows[rows["kind"] == "allocated"]) == 1
    assert pd.read_parquet(tmp_path / "a" / "requests.parquet")["tenant"].isna().all()


def test_a_label_with_an_invisible_character_inside_is_noted_and_escaped(cli, tmp_path):
    stamps = [FIRST, "2026-10-01T00:20:00Z"]
    p = _usage(tmp_path, stamps, "usage.jsonl", tenant=["t\u200b1", "t1"])
    s = attribute_json(cli, "--bill", _bill(tmp_path), "--usage", p, "--out", tmp_path / "a")
    assert ("1 usage label with an invisible character (first: tenant 't\\u200b1'): read as "
            "written, a slice of its own; the breakdowns write the character as \\uXXXX"
            ) in s["notes"]
    names = sorted(x["breakdown"]["scenario"] for x in s["breakdowns"]["slices"])
    assert names == ["model=(none) / model_version=(none) / endpoint=(none) / tenant=t1",
                     "model=(none) / model_version=(none) / endpoint=(none) / tenant=t\\u200b1"]


def test_label_blanks_are_the_bill_cells_blanks():
    """The engines' pattern trims what `billrows.strip_cell` trims off a bill cell."""
    import re

    from infercost.ingest.billrows import strip_cell
    from infercost.ingest.usage import LABEL_BLANKS

    pattern = re.compile(re.sub(r"\\x\{([0-9a-f]+)\}", lambda m: f"\\x{int(m[1], 16):02x}"
                                if int(m[1], 16) < 256 else f"\\u{int(m[1], 16):04x}",
                                LABEL_BLANKS))
    blanks = {chr(c) for c in range(0x110000) if chr(c).isspace()} | {"\ufeff"}
    assert {chr(c) for c in range(0x110000) if pattern.fullmatch(chr(c))} == blanks
    assert all(strip_cell(f"{ch}x{ch}") == "x" for ch in blanks)


# ------------------------------------------------ a `requests` column: rows of N requests

def test_a_row_of_n_requests_counts_n_and_weighs_its_duration_once(cli, tmp_path):
    """docs/attribution.md: `requests 5, duration_ms 100` is five requests whose busy time
    together is 100 ms; a missing cell is one request. 2.5 USD of the first hour: 100 ms
    against 100 ms, so 1.25 USD each, and 5 + 1 + 1 requests."""
    p = tmp_path / "usage.csv"
    p.write_text("timestamp,request_id,tenant,resource_id,duration_ms,requests,status\n"
                 f"{FIRST},a,t1,{RID},100,5,500\n"
                 f"2026-10-01T00:20:00Z,b,t2,{RID},100,,error\n"
                 f"2026-10-01T01:20:00Z,c,t2,{RID},100,1,ok\n")
    s = attribute_json(cli, "--bill", _bill(tmp_path), "--usage", p, "--out", tmp_path / "a")
    rows = pd.read_csv(tmp_path / "a" / "allocations.csv", keep_default_na=False)
    got = rows[rows["kind"] == "allocated"].set_index("tenant")
    assert (int(got.loc["t1", "requests"]), str(got.loc["t1", "cost"])) == (5, "1.25")
    assert (int(got.loc["t2", "requests"]), str(got.loc["t2", "cost"])) == (2, "2.75")
    assert s["unit_costs"]["requests"] == 7


@pytest.mark.parametrize("name", ["usage.csv", "usage.jsonl", "usage.parquet"])
@pytest.mark.parametrize("value", [2.5, 0, -1])
def test_a_requests_value_that_is_no_whole_number_above_zero_is_refused(cli, tmp_path, name,
                                                                        value):
    """2.5 was rounded to 3 requests; 0 and -1 were rejected as `duration_ms not finite
    or over 1e9 ms`."""
    p = _usage(tmp_path, [FIRST, "2026-10-01T00:20:00Z"], name, requests=[1, value])
    shown = f"'{value}'" if name.endswith(".csv") else str(value)
    assert _fails(cli, tmp_path, p) == (
        f"{name}: row 2: column requests: 1 value cannot be parsed as a whole number of "
        f"requests >= 1; first {shown}")


# ------------------------------------------------ timestamps without a zone: read as UTC

def _zone_notes(s: dict) -> list[str]:
    return [n for n in s["notes"] if n.startswith("usage timestamps without a zone")]


def test_timestamps_without_a_zone_are_read_as_utc_with_one_note(cli, tmp_path):
    """They were read as UTC with no word; a CSV log and a naive Parquet log together
    also failed with a traceback (their timestamp types differ)."""
    csv_log = tmp_path / "a.csv"
    csv_log.write_text("timestamp,request_id,resource_id,duration_ms\n"
                       f"2026-10-01 00:10:00,a,{RID},100\n{FIRST},b,{RID},100\n"
                       f"2026-10-01T00:30:00.5,c,{RID},100\n"
                       f"2026-10-01 00:40:00 Europe/Paris,d,{RID},100\n")
    pq_log = tmp_path / "b.parquet"
    pd.DataFrame({"timestamp": pd.to_datetime(["2026-10-01 00:50:00"]), "request_id": ["e"],
                  "resource_id": [RID], "duration_ms": [100.0]}).to_parquet(pq_log)
    s = attribute_json(cli, "--bill", _bill(tmp_path), "--usage", csv_log, pq_log,
                       "--out", tmp_path / "o", "--no-duplicate-check")
    assert s["rows"]["usage_read"] == 5
    assert _zone_notes(s) == [
        f"usage timestamps without a zone or offset, read as UTC (as the bill's are): 2 rows "
        f"of {csv_log}; every row of {pq_log}, a TIMESTAMP column without a time zone. A log "
        "written in local time would sit its offset away from the bill's hours: write Z or "
        "an offset such as +02:00"]


@pytest.mark.parametrize("name", ["usage.csv", "usage.jsonl", "usage.parquet"])
def test_timestamps_with_a_zone_give_no_note(cli, tmp_path, name):
    stamps = [FIRST, "2026-10-01T02:20:00+02:00"]
    if name.endswith(".parquet"):
        stamps = list(pd.to_datetime(stamps, utc=True))
    s = attribute_json(cli, "--bill", _bill(tmp_path), "--usage",
                       _usage(tmp_path, stamps, name), "--out", tmp_path / "o")
    assert s["rows"]["usage_allocated"] == 2 and _zone_notes(s) == []
