"""A usage log's request id spelled `NULL` (or `null`, `None`, `NaN`, `nan`) is no id,
as the bill reader reads those spellings as missing (`billrows.NULL_STRINGS`): two
`NULL` rows are no duplicate request ids. The fix lives in ingest/usage.py (`normalize`)."""

from __future__ import annotations

import json
from pathlib import Path

HEAD = "timestamp,request_id,model,model_version,endpoint,tenant,resource_id,duration_ms\n"
BILL = ("BilledCost,EffectiveCost,BillingCurrency,ChargeCategory,ChargePeriodStart,"
        "ChargePeriodEnd,BillingPeriodStart,BillingPeriodEnd,ResourceId,ServiceCategory,"
        "ServiceName,ProviderName\n"
        "2.5,2.5,USD,Usage,2026-10-01 00:00:00,2026-10-01 01:00:00,2026-10-01 00:00:00,"
        "2026-11-01 00:00:00,i-1,Compute,Amazon Elastic Compute Cloud,AWS\n")

def _usage(tmp_path: Path, ids: list[str]) -> Path:
    p = tmp_path / "usage.csv"
    p.write_text(HEAD + "".join(f"2026-10-01 00:{10 + i:02d}:00,{rid},m,1,/e,t,i-1,100\n"
                                for i, rid in enumerate(ids)))
    return p


def test_null_spellings_of_a_request_id_read_as_no_id(tmp_path):
    from infercost.ingest.backends import connect
    from infercost.ingest.usage import read_usage

    p = _usage(tmp_path, ["a", "NULL", " null ", "None", "NaN", "nan", "NULLS", "b"])
    con = connect("duckdb")
    ids = read_usage(con, p).table.request_id.to_pyarrow().to_pylist()
    # the bill's null spellings (whitespace off first) are None; "NULLS" is an id
    assert ids == ["a", None, None, None, None, None, "NULLS", "b"]


def test_null_request_ids_are_no_duplicates(tmp_path, capsys):
    from infercost.cli import main

    # rows: a, NULL, NULL, null, a -> ids: a, a -> 2 rows less 1 distinct = 1 duplicate
    # (was 2: 5 "ids" less 3 distinct ones, a, NULL and null)
    use = _usage(tmp_path, ["a", "NULL", "NULL", "null", "a"])
    bill = tmp_path / "bill.csv"
    bill.write_text(BILL)
    main(["attribute", "--bill", str(bill), "--usage", str(use), "--out",
          str(tmp_path / "out"), "--json"])
    s = json.loads(capsys.readouterr().out)
    assert s["rows"]["duplicate_request_ids"] == 1


def test_parquet_request_ids_compared_as_csv_ones_for_duplicates(tmp_path):
    # Parquet text is read as it is, but the duplicate count compares ids as a CSV gives
    # them: blanks, U+FEFF-only ids and padded null spellings are no ids; " x" is "x".
    # ids: "  ", "  ", " NULL ", " NULL ", BOM, BOM, "x", " x" -> x, x: 1 duplicate
    # (before, read raw: 8 ids less 5 distinct ones = 3)
    import datetime as dt

    import pyarrow as pa
    import pyarrow.parquet as pq

    from infercost.allocation.run import run_attribution

    ids = ["  ", "  ", " NULL ", " NULL ", "\ufeff", "\ufeff", "x", " x"]
    t0 = dt.datetime(2026, 10, 1)
    pq.write_table(pa.table({
        "timestamp": [t0 + dt.timedelta(minutes=i) for i in range(len(ids))],
        "request_id": ids, "resource_id": ["i-1"] * len(ids),
        "duration_ms": [100.0] * len(ids)}), tmp_path / "u.parquet")
    (tmp_path / "bill.csv").write_text(BILL)
    s = run_attribution(tmp_path / "bill.csv", tmp_path / "u.parquet", tmp_path / "o")
    assert s["rows"]["duplicate_request_ids"] == 1
