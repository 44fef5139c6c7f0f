"""Parquet text is read as it is, except ResourceIds: one with blanks or U+FEFF at its
ends could never join the bill, so the log's ids are then cleaned as a CSV's are (said
in a note), and the run equals the same log given as CSV."""

from __future__ import annotations

import pandas as pd
import pytest

from attribution_helpers import focus_row
from infercost.allocation.run import run_attribution

AZ = "/subscriptions/S1/resourceGroups/RG/providers/Microsoft.Compute/virtualMachines/VM"


@pytest.fixture
def bill(tmp_path):
    rows = [focus_row("3", "i-1", start=0), focus_row("2", "i-2", start=0),
            focus_row("4", AZ.lower(), start=1)]
    p = tmp_path / "bill.csv"
    pd.DataFrame(rows).to_csv(p, index=False)
    return p


def _log(ids):
    n = len(ids)
    return pd.DataFrame({
        "timestamp": pd.array([pd.Timestamp("2026-10-01 00:10") + pd.Timedelta(minutes=20 * i)
                               for i in range(n)], "datetime64[us]"),
        "request_id": [f"r{i}" for i in range(n)], "resource_id": ids,
        "duration_ms": [100.0 * (i + 1) for i in range(n)]})


def test_padded_parquet_ids_join_as_a_csvs_do(tmp_path, bill):
    padded = [" i-1", "i-1 ", "\ufeffi-2", " " + AZ.upper() + " "]
    _log(padded).to_parquet(tmp_path / "u.parquet")
    _log(padded).to_csv(tmp_path / "u.csv", index=False)
    s = run_attribution(bill, tmp_path / "u.parquet", tmp_path / "p")
    c = run_attribution(bill, tmp_path / "u.csv", tmp_path / "c")
    # every request has its bill row: 3 + 2 + 4 of fleet cost, none of it shared
    assert s["rows"]["usage_allocated"] == 4 and s["rows"]["usage_without_bill_row"] == 0
    assert s["totals"] == c["totals"]
    assert any("4 ResourceIds of the Parquet log with blanks or U+FEFF" in n
               for n in s["notes"])
    assert (tmp_path / "p" / "allocations.csv").read_bytes() == \
        (tmp_path / "c" / "allocations.csv").read_bytes()
    req = pd.read_parquet(tmp_path / "p" / "requests.parquet")
    assert sorted(set(req["resource_id"])) == sorted(["i-1", "i-2", AZ.lower()])


def test_clean_parquet_ids_are_read_as_they_are(tmp_path, bill):
    _log(["i-1", "i-2"]).to_parquet(tmp_path / "u.parquet")
    s = run_attribution(bill, tmp_path / "u.parquet", tmp_path / "p")
    assert not any("ResourceId" in n for n in s["notes"])
    assert s["rows"]["usage_allocated"] == 2
