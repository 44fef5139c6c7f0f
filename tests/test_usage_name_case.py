"""Usage column names are case-insensitive: names that differ only in letter case (JSON
lines whose keys change case between rows, a header naming a field twice, a JSON array
of requests) are read as one column, each row's first non-empty value, with a note; a
column really named like DuckDB's rename (`duration_ms_1`) stays its own."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from attribution_helpers import focus_row
from infercost.allocation.run import run_attribution


@pytest.fixture
def bill(tmp_path):
    p = tmp_path / "bill.csv"
    pd.DataFrame([focus_row("4", "i-1", start=0)]).to_csv(p, index=False)
    return p


ROWS = [{"timestamp": "2026-10-01 00:10:00", "request_id": "a", "resource_id": "i-1",
         "duration_ms": 100},
        {"timestamp": "2026-10-01 00:20:00", "request_id": "b", "resource_id": "i-1",
         "Duration_MS": 300}]


def _check(s):
    # both rows allocated: 4 USD split 100:300 by busy time
    assert s["rows"]["usage_allocated"] == 2 and s["rows"]["usage_rejected"] == 0
    assert str(s["totals"]["allocated"]) in ("4", "4.0000000000")
    assert any("differ only in letter case" in n and "Duration_MS" in n for n in s["notes"])


def test_json_lines_keys_that_change_case(tmp_path, bill):
    p = tmp_path / "u.jsonl"
    p.write_text("\n".join(json.dumps(r) for r in ROWS) + "\n")
    _check(run_attribution(bill, p, tmp_path / "o"))


def test_json_array_keys_that_change_case(tmp_path, bill):
    p = tmp_path / "u.json"
    p.write_text(json.dumps(ROWS))
    _check(run_attribution(bill, p, tmp_path / "o"))


def test_csv_header_naming_a_field_twice(tmp_path, bill):
    p = tmp_path / "u.csv"
    p.write_text("timestamp,request_id,resource_id,duration_ms,Duration_MS\n"
                 "2026-10-01 00:10:00,a,i-1,100,\n2026-10-01 00:20:00,b,i-1,,300\n")
    _check(run_attribution(bill, p, tmp_path / "o"))


def test_a_column_really_named_like_a_rename_stays_its_own(tmp_path, bill):
    p = tmp_path / "u.csv"
    p.write_text("timestamp,request_id,resource_id,duration_ms,duration_ms_1\n"
                 "2026-10-01 00:10:00,a,i-1,100,7\n2026-10-01 00:20:00,b,i-1,,300\n")
    s = run_attribution(bill, p, tmp_path / "o")
    # row b has no duration_ms: rejected; duration_ms_1 is another column
    assert s["rows"]["usage_allocated"] == 1 and s["rows"]["usage_rejected"] == 1
    assert not any("letter case" in n for n in s["notes"])


def test_an_empty_usage_csv_is_said_empty(tmp_path, bill):
    from infercost.errors import InputError

    p = tmp_path / "empty.csv"
    p.write_text("")
    with pytest.raises(InputError, match="empty file \\(no header row\\)") as e:
        run_attribution(bill, p, tmp_path / "o")
    assert str(p) in str(e.value)
