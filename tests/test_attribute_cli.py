"""`infercost attribute` end to end: outputs, --json, exit 2 on bad input, the demo month."""

from __future__ import annotations

import json
from decimal import Decimal

import pandas as pd
import pyarrow.parquet as pq
import pytest

from infercost.allocation.demo import generate, write_demo_month
from tests.attribution_helpers import focus_row

OUTPUTS = {"allocations.csv", "allocations.parquet", "requests.parquet", "summary.json"}


@pytest.fixture(scope="module")
def demo_inputs(tmp_path_factory):
    d = tmp_path_factory.mktemp("demo")
    bill, usage = generate(d, seed=3, requests_per_hour=20)
    return bill, usage


def test_attribute_writes_all_outputs_and_conserves(cli, demo_inputs, tmp_path):
    bill, usage = demo_inputs
    out = tmp_path / "attribution"
    code, stdout, err = cli("attribute", "--bill", bill, "--usage", usage, "--out", out, "--json")
    assert code == 0, err
    s = json.loads(stdout)
    assert {p.name for p in out.iterdir()} == OUTPUTS
    t = {k: Decimal(v) for k, v in s["totals"].items()}
    assert s["conservation"]["holds"] is True and s["conservation"]["difference"] == "0"
    assert t["allocated"] + t["idle"] + t["shared"] + t["unallocated"] == t["bill"]
    alloc = pd.read_csv(out / "allocations.csv", dtype=str, keep_default_na=False)
    assert sum(Decimal(x) for x in alloc["cost"]) == t["bill"]
    assert {"__shared__"} <= set(alloc["model"])
    for col in ["period", "model", "model_version", "endpoint", "tenant", "requests",
                "input_tokens", "output_tokens", "cost", "cost_per_1k_requests",
                "cost_per_1m_tokens"]:
        assert col in alloc.columns
    req = pq.read_table(out / "requests.parquet").to_pandas()
    assert len(req) == s["rows"]["usage_read"]
    assert sum(req["cost"], Decimal(0)) == t["allocated_direct"]
    ap = pq.read_table(out / "allocations.parquet").to_pandas()
    assert sum(ap["cost"], Decimal(0)) == t["bill"]


def test_human_output_prints_conservation(cli, demo_inputs, tmp_path):
    bill, usage = demo_inputs
    code, stdout, _ = cli("attribute", "--bill", bill, "--usage", usage, "--out", tmp_path / "o")
    assert code == 0
    text = " ".join(stdout.split())
    # (the demo bill holds a credit: its driver shares are of the net bill, and say so)
    assert "conservation holds (exact)" in text and (
        "drivers (shares of the net bill, credits below zero): instance time (fleet)" in text)


def test_shell_expanded_usage_files_and_cost_basis(cli, demo_inputs, tmp_path):
    bill, usage = demo_inputs
    # the same rows in another file (its rows reversed: a byte copy, or one file named
    # twice, exits 2): each request is there twice, and counted as a duplicate id
    import pyarrow.parquet as pq

    copy = tmp_path / "usage-copy.parquet"
    t = pq.read_table(usage)
    pq.write_table(t.take(list(range(t.num_rows - 1, -1, -1))), copy)
    code, stdout, err = cli("attribute", "--bill", bill, "--usage", usage, copy, "--out",
                            tmp_path / "o", "--json", "--cost-basis", "BilledCost")
    assert code == 0, err
    s = json.loads(stdout)
    assert s["cost_basis"] == "BilledCost"
    assert s["rows"]["duplicate_request_ids"] == s["rows"]["usage_read"] // 2


def _bad_run(cli, tmp_path, bill_rows, usage_df, ext="csv"):
    b = tmp_path / "bill.csv"
    pd.DataFrame(bill_rows).to_csv(b, index=False)
    u = tmp_path / f"usage.{ext}"
    usage_df.to_csv(u, index=False)
    out = tmp_path / "out"
    code, stdout, err = cli("attribute", "--bill", b, "--usage", u, "--out", out)
    return code, stdout, err, out


USAGE = pd.DataFrame([{"timestamp": "2026-10-01T00:10:00Z", "request_id": "a",
                       "resource_id": "i-1", "duration_ms": 5, "model": "m"}])


@pytest.mark.parametrize("case,needle", [
    ("missing_column", "missing required column duration_ms"),
    ("bad_timestamp", "row 2"),
    ("mixed_currency", "mixes currencies EUR, USD"),
    ("bad_amount", "row 1: column BilledCost"),
])
def test_bad_input_exits_2_with_one_line_and_no_output(cli, tmp_path, case, needle):
    bill = [focus_row("1", "i-1")]
    usage = USAGE.copy()
    if case == "missing_column":
        usage = usage.drop(columns=["duration_ms"])
    elif case == "bad_timestamp":
        usage = pd.concat([usage, usage.assign(timestamp="31/10/2026 25:00")])
    elif case == "mixed_currency":
        bill.append(focus_row("1", "i-1", currency="EUR"))
    elif case == "bad_amount":
        bill[0]["BilledCost"] = "ten"
    code, stdout, err, out = _bad_run(cli, tmp_path, bill, usage)
    assert code == 2
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err
    assert needle in err
    assert not out.exists() or not any(out.iterdir())
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out.tmp")]


def test_unknown_backend_exits_2(cli, demo_inputs, tmp_path):
    bill, usage = demo_inputs
    code, _, err = cli("attribute", "--bill", bill, "--usage", usage, "--out", tmp_path / "o",
                       "--backend", "oracle")
    assert code == 2 and "--backend" in err


def test_demo_month_is_deterministic(tmp_path):
    a = write_demo_month(tmp_path / "a")
    b = write_demo_month(tmp_path / "b")
    assert a["conservation"]["holds"] and a["totals"] == b["totals"]
    assert a["totals"]["idle"] > 0 and a["totals"]["shared"] > 0
    for name in ("allocations.csv", "focus-2026-10.csv"):
        pa_ = tmp_path / "a" / ("attribution/" + name if name.startswith("alloc") else name)
        pb_ = tmp_path / "b" / ("attribution/" + name if name.startswith("alloc") else name)
        assert pa_.read_bytes() == pb_.read_bytes()
    assert (tmp_path / "a" / "usage-2026-10.parquet").read_bytes() == (
        tmp_path / "b" / "usage-2026-10.parquet").read_bytes()
