"""The same Ibis expressions on Spark (local mode): results equal DuckDB's to the cent
(in fact to the quantum, 1e-10)."""

from __future__ import annotations

import shutil

import pandas as pd
import pyarrow.parquet as pq
import pytest

pytest.importorskip("pyspark")
if shutil.which("java") is None:
    pytest.skip("Java is not installed", allow_module_level=True)

from infercost.allocation.demo import DEMO_RULES, generate  # noqa: E402
from infercost.allocation.run import run_attribution  # noqa: E402

pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def month(tmp_path_factory):
    d = tmp_path_factory.mktemp("spark-demo")
    bill, usage = generate(d, seed=11, requests_per_hour=10)
    # a CSV log with offsets, a duplicate, a negative duration and an unbilled resource
    extra = pd.DataFrame([
        {"timestamp": "2026-10-02T03:30:00+02:00", "request_id": "x1", "model": "m",
         "resource_id": "i-0h100a1b2c3d4e5f6", "duration_ms": "12.5", "input_tokens": "7"},
        {"timestamp": "2026-10-02 01:45:00", "request_id": "x1", "model": "m",
         "resource_id": "i-0h100a1b2c3d4e5f6", "duration_ms": "-1", "input_tokens": ""},
        {"timestamp": "2026-10-02 01:45:00", "request_id": "x2", "model": "m",
         "resource_id": "i-unknown", "duration_ms": "3", "input_tokens": "1"},
    ])
    extra.to_csv(d / "extra.csv", index=False)
    rules = d / "rules.yaml"
    rules.write_text(DEMO_RULES)
    return d, bill, [usage, d / "extra.csv"], rules


@pytest.mark.parametrize("rules_text", ["", "driver: tokens\nidle: share\nshared: cost\n"])
def test_spark_equals_duckdb(month, tmp_path, rules_text):
    d, bill, usage, rules = month
    r = tmp_path / "rules.yaml"
    r.write_text(rules_text or rules.read_text())
    a = run_attribution(bill, usage, tmp_path / "duck", rules=r, backend="duckdb")
    b = run_attribution(bill, usage, tmp_path / "spark", rules=r, backend="spark")
    assert a["backend"] == "duckdb" and b["backend"] == "spark"
    assert a["totals"] == b["totals"] and a["rows"] == b["rows"]
    assert b["conservation"]["holds"]
    assert (tmp_path / "duck" / "allocations.csv").read_bytes() == (
        tmp_path / "spark" / "allocations.csv").read_bytes()
    ra = pq.read_table(tmp_path / "duck" / "requests.parquet").to_pandas()
    rb = pq.read_table(tmp_path / "spark" / "requests.parquet").to_pandas()
    key = ["request_id", "timestamp", "duration_ms"]
    ra = ra.sort_values(key).reset_index(drop=True)
    rb = rb.sort_values(key).reset_index(drop=True)
    assert list(ra["cost"]) == list(rb["cost"])
    assert list(ra["allocation"]) == list(rb["allocation"])
    assert list(ra["timestamp"]) == list(rb["timestamp"])
    assert a["rows"]["duplicate_request_ids"] == 1
    assert a["rows"]["usage_rejected"] == 1 and a["rows"]["usage_without_bill_row"] == 1
