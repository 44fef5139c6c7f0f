"""The later passes' simpler expressions on a log pass 1 found clean (no row rejected)
give exactly the values of the full expressions."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from infercost.allocation.engine import MAX_DURATION_MS, prepared
from infercost.allocation.rules import parse_rules
from infercost.ingest.backends import connect
from infercost.ingest.usage import read_usage


@pytest.fixture(scope="module")
def con():
    return connect("duckdb")


# clean durations: within [0, 1e9] ms, including both ends and sub-µs fractions
DUR = st.one_of(st.sampled_from([0.0, 1e-7, 0.0005, 0.001, 0.9999, 1.0, 2.5, MAX_DURATION_MS]),
                st.floats(min_value=0, max_value=MAX_DURATION_MS, allow_nan=False))


@settings(max_examples=25, deadline=None)
@given(durs=st.lists(DUR, min_size=1, max_size=20),
       driver=st.sampled_from(["duration_ms", "capacity", "requests", "tokens"]),
       with_requests=st.booleans(), data=st.data())
def test_clean_expressions_equal_full_ones(tmp_path_factory, con, durs, driver,
                                           with_requests, data):
    n = len(durs)
    df = pd.DataFrame({"timestamp": pd.date_range("2026-10-01", periods=n, freq="7min"),
                       "request_id": [f"r{i}" for i in range(n)], "resource_id": "i-1",
                       "duration_ms": durs, "input_tokens": [i for i in range(n)],
                       "output_tokens": [2 * i for i in range(n)]})
    if with_requests:  # a requests column, missing on some rows (such a row weighs 0)
        df["requests"] = pd.array(data.draw(st.lists(st.one_of(st.none(), st.integers(1, 9)),
                                                     min_size=n, max_size=n)), "Int64")
    p = tmp_path_factory.mktemp("u") / "u.parquet"
    df.to_parquet(p)
    usage = read_usage(con, p)
    rules = parse_rules({"driver": driver})
    cols = ["request_id", "hour", "w", "wt", "rejected"]
    full = con.execute(prepared(usage, rules).select(cols).order_by("request_id"))
    clean = con.execute(prepared(usage, rules, clean=True).select(cols).order_by("request_id"))
    assert full["rejected"].isna().all()  # the log is clean
    pd.testing.assert_frame_equal(full, clean, check_dtype=False)
