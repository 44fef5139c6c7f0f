"""Pass 1 without per-row reason codes (when the Parquet footers rule out every reject
they can show) gives exactly the checked pass's counts and weights, and gives way to
the checked pass whenever a row could be rejected."""

from __future__ import annotations

import math

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from attribution_helpers import focus_row
from infercost.allocation import engine
from infercost.allocation.engine import MAX_DURATION_MS, resource_hours
from infercost.allocation.rules import parse_rules
from infercost.allocation.run import run_attribution
from infercost.errors import InputError
from infercost.ingest.backends import connect
from infercost.ingest.usage import footers_rule_out_rejects, read_usage


@pytest.fixture(scope="module")
def con():
    return connect("duckdb")


def _checked(con, usage, rules):
    with pytest.MonkeyPatch.context() as m:
        m.setattr(engine, "_unchecked_query", lambda *a: None)
        return resource_hours(con, usage, rules)[0]


def _unchecked(con, usage, rules):
    """The unchecked pass's table, or None when it is not planned or gives way."""
    plan = engine.plan_resource_hours(con, usage, rules)
    if plan.unchecked is None:
        return None
    ran = engine.run_resource_hours(plan)
    return None if ran.checked else ran.table


def _sorted(df):
    return df.sort_values(["resource_id", "hour"], na_position="first").reset_index(drop=True)


GOOD = st.one_of(st.sampled_from([0.0, 1e-7, 0.0005, 0.9999, 2.5, MAX_DURATION_MS]),
                 st.floats(min_value=0, max_value=MAX_DURATION_MS, allow_nan=False))
BAD = st.sampled_from([math.nan, math.inf, -math.inf, -0.5, MAX_DURATION_MS * 1.5, None])


@settings(max_examples=40, deadline=None)
@given(durs=st.lists(st.one_of(GOOD, GOOD, GOOD, BAD), min_size=1, max_size=25),
       null_ts=st.booleans(), null_res=st.booleans(), neg_tok=st.booleans(),
       driver=st.sampled_from(["duration_ms", "capacity"]), data=st.data())
def test_unchecked_pass_equals_checked_pass(tmp_path_factory, con, durs,
                                            null_ts, null_res, neg_tok, driver, data):
    n = len(durs)
    ts = list(pd.date_range("2026-10-01", periods=n, freq="23min"))
    res = data.draw(st.lists(st.sampled_from(["i-1", "i-2", "/subscriptions/S/vm"]),
                             min_size=n, max_size=n))
    if null_ts:
        ts[data.draw(st.integers(0, n - 1))] = None
    if null_res:
        res[data.draw(st.integers(0, n - 1))] = None
    tok = list(range(n))
    if neg_tok:
        tok[data.draw(st.integers(0, n - 1))] = -3
    df = pd.DataFrame({"timestamp": pd.array(ts, dtype="datetime64[us]"),
                       "request_id": [f"r{i}" for i in range(n)], "resource_id": res,
                       "duration_ms": pd.array(durs, dtype="float64"),
                       "input_tokens": tok, "output_tokens": [2 * i for i in range(n)]})
    p = tmp_path_factory.mktemp("u") / "u.parquet"
    df.to_parquet(p)
    usage = read_usage(con, p)
    rules = parse_rules({"driver": driver})
    fast = _unchecked(con, usage, rules)
    got = resource_hours(con, usage, rules)[0]
    want = _checked(con, usage, rules)
    pd.testing.assert_frame_equal(_sorted(got), _sorted(want))
    clean = all(d is not None and not math.isnan(d) and 0 <= d <= MAX_DURATION_MS
                for d in durs) and not (null_ts or null_res or neg_tok)
    # the unchecked pass is taken exactly when nothing could be rejected
    assert (fast is not None) == clean
    if clean:
        assert (want["n"] == want["n_ok"]).all()


def _write(tmp_path, name, table, **kw):
    p = tmp_path / name
    pq.write_table(table, p, **kw)
    return p


BASE = {"timestamp": pa.array([pd.Timestamp("2026-10-01 00:05")] * 2, pa.timestamp("us")),
        "request_id": ["a", "b"], "resource_id": ["i-1", "i-1"],
        "duration_ms": pa.array([10.0, 20.0])}


@pytest.mark.parametrize("change, expected", [
    ({}, True),
    ({"input_tokens": pa.array([1, None], pa.int64())}, True),
    ({"input_tokens": pa.array([None, None], pa.int64())}, True),  # all null: no bound
    ({"output_tokens": pa.array([5, -1], pa.int64())}, False),
    ({"requests": pa.array([1, 1], pa.int64())}, False),  # bound per row then
    ({"duration_ms": pa.array(["10", "20"])}, False),  # text: no numeric statistics
    ({"duration_ms": pa.array([10.0, None])}, False),  # a null duration is rejected
    ({"duration_ms": pa.array([-1.0, 2.0])}, False),
    ({"duration_ms": pa.array([1.0, MAX_DURATION_MS + 1])}, False),
    ({"Duration_MS": pa.array([1, 2], pa.int64())}, True),  # names are case-insensitive
])
def test_footers_rule_out_rejects(tmp_path, con, change, expected):
    cols = dict(BASE)
    if "Duration_MS" in change:
        del cols["duration_ms"]
    cols.update(change)
    p = _write(tmp_path, "u.parquet", pa.table(cols))
    assert footers_rule_out_rejects(read_usage(con, p), MAX_DURATION_MS) is expected


def test_footers_without_statistics_or_not_parquet(tmp_path, con):
    p = _write(tmp_path, "u.parquet", pa.table(BASE), write_statistics=False)
    assert footers_rule_out_rejects(read_usage(con, p), MAX_DURATION_MS) is False
    c = tmp_path / "u.csv"
    pd.DataFrame({k: list(v.to_pylist() if hasattr(v, "to_pylist") else v)
                  for k, v in BASE.items()}).to_csv(c, index=False)
    assert footers_rule_out_rejects(read_usage(con, c), MAX_DURATION_MS) is False


def test_other_drivers_take_the_checked_pass(tmp_path, con):
    p = _write(tmp_path, "u.parquet", pa.table(BASE))
    usage = read_usage(con, p)
    for driver in ("requests", "tokens"):
        assert _unchecked(con, usage, parse_rules({"driver": driver})) \
            is None
    assert _unchecked(con, usage, parse_rules({})) is not None


@pytest.mark.spark
@pytest.mark.parametrize("bad", [None, math.nan, math.inf])
def test_unchecked_pass_on_spark(tmp_path, con, bad):
    """Spark's floor returns an integer (a NaN would become 0 there): the greatest
    duration is what sees it; both backends give the checked pass's answer."""
    pytest.importorskip("pyspark")
    import shutil

    if shutil.which("java") is None:
        pytest.skip("Java is not installed")
    durs = [10.25, 3.5, 7.0] + ([] if bad is None else [bad])
    n = len(durs)
    df = pd.DataFrame({"timestamp": pd.array(pd.date_range("2026-10-01", periods=n,
                                                           freq="50min"), "datetime64[us]"),
                       "request_id": [f"r{i}" for i in range(n)], "resource_id": "i-1",
                       "duration_ms": durs})
    p = tmp_path / "u.parquet"
    df.to_parquet(p)
    rules = parse_rules({})
    spark = connect("spark")
    want = _checked(con, read_usage(con, p), rules)
    for c in (con, spark):
        usage = read_usage(c, p)
        assert (_unchecked(c, usage, rules) is None) == (bad is not None)
        pd.testing.assert_frame_equal(_sorted(resource_hours(c, usage, rules)[0]),
                                      _sorted(want))


def _lying_footer(path, value, column="duration_ms", **extra):
    """Durations all 10.0 ms and token counts all 5, one value of `column` overwritten
    with `value` in the data page (PLAIN, uncompressed) after writing: the footer still
    says min = max = 10 (or 5). `extra`: more columns (name -> 50 values)."""
    import struct

    n = 50
    df = pd.DataFrame({"timestamp": pd.array(pd.date_range("2026-10-01", periods=n,
                                                           freq="10min"), "datetime64[us]"),
                       "request_id": [f"r{i}" for i in range(n)], "resource_id": "i-1",
                       "duration_ms": [10.0] * n, "input_tokens": [5] * n, **extra})
    pq.write_table(pa.Table.from_pandas(df, preserve_index=False), path,
                   compression="none", use_dictionary=False)
    fmt, was = ("<d", 10.0) if column == "duration_ms" else ("<q", 5)
    b = path.read_bytes()
    j = list(df.columns).index(column)
    col = pq.ParquetFile(path).metadata.row_group(0).column(j)
    # the last such value of the chunk: a data value (the page header holds statistics too)
    i = b.rindex(struct.pack(fmt, was), col.data_page_offset,
                 col.data_page_offset + col.total_compressed_size)
    path.write_bytes(b[:i] + struct.pack(fmt, value) + b[i + 8:])
    st = pq.ParquetFile(path).metadata.row_group(0).column(j).statistics
    assert st.min == was and st.max == was
    got = pq.read_table(path).column(column).to_pylist()
    assert got[-1] != was or got[-1] != got[-1]  # the value written over


@pytest.mark.parametrize("value", [-5.0, 5e9, math.nan, math.inf])
def test_a_footer_that_does_not_bound_the_data_gives_way(tmp_path, con, value):
    """Statistics leave NaN out, and a writer's may be wrong: the unchecked pass reads
    each resource-hour's least and greatest duration and gives way on any outside
    [0, MAX_DURATION_MS]."""
    p = tmp_path / "u.parquet"
    _lying_footer(p, value)
    usage = read_usage(con, p)
    assert footers_rule_out_rejects(usage, MAX_DURATION_MS)  # the footer says clean
    plan = engine.plan_resource_hours(con, usage, parse_rules({}))
    assert plan.unchecked is not None and engine._verified(plan.unchecked.run()) is None
    # a NaN is legitimately left out of statistics: the checked pass rejects its row
    if value != value:
        got = resource_hours(con, usage, parse_rules({}))[0]
        assert int(got["n"].sum()) == 50 and int(got["n_ok"].sum()) == 49
        assert int(got["W"].sum()) == 49 * 10_000  # 49 rows of 10 ms, in µs
        return
    # a number outside the footer's range: the statistics are wrong (a corrupt file), and
    # DuckDB answers the checked pass's range tests from them (it would allocate the row
    # it should reject: -5 ms, 5e9 ms): refused, naming the file (Spark reads every value)
    with pytest.raises(InputError, match="statistics are wrong") as e:
        resource_hours(con, usage, parse_rules({}))
    assert e.value.where == str(p) and repr(value) in e.value.message


@pytest.mark.spark
def test_a_footer_wrong_about_a_negative_duration_on_spark(tmp_path):
    """Spark reads every value: the unchecked pass gives way, the checked one rejects the
    row (before, the unchecked pass took the footer's word and the run failed)."""
    pytest.importorskip("pyspark")
    import shutil

    if shutil.which("java") is None:
        pytest.skip("Java is not installed")
    p = tmp_path / "u.parquet"
    _lying_footer(p, -5.0)
    spark = connect("spark")
    got = resource_hours(spark, read_usage(spark, p), parse_rules({}))[0]
    assert int(got["n"].sum()) == 50 and int(got["n_ok"].sum()) == 49
    assert int(got["W"].sum()) == 49 * 10_000


def test_a_nan_duration_among_others_is_rejected(tmp_path, con):
    """A NaN among varied durations, in a file with the footer statistics pyarrow writes
    (min 1, max 49: NaN left out): DuckDB reads isnan() as false there, the engine's
    NaN test still sees it, and the row is rejected, not a conversion error."""
    n = 50
    durs = [float(i) for i in range(1, n)]
    durs.insert(7, math.nan)
    stamps = pd.date_range("2026-10-01", periods=n, freq="1min", tz="UTC")
    t = pa.table({"request_id": [f"r{i}" for i in range(n)], "resource_id": ["i-1"] * n,
                  "timestamp": pa.array(stamps.to_pydatetime(), pa.timestamp("us", "UTC")),
                  "duration_ms": pa.array(durs, pa.float64()),  # a NaN, not a null
                  "input_tokens": list(range(n)), "output_tokens": list(range(n))})
    assert t.column("duration_ms").null_count == 0
    p = tmp_path / "u.parquet"
    pq.write_table(t, p)
    st = pq.ParquetFile(p).metadata.row_group(0).column(3).statistics
    assert st.min == 1.0 and st.max == 49.0
    got = resource_hours(con, read_usage(con, p), parse_rules({}))[0]
    assert int(got["n"].sum()) == 50 and int(got["n_ok"].sum()) == 49
    assert int(got["W"].sum()) == sum(range(1, 50)) * 1000  # µs
    # the whole run too (its passes run on worker threads, the bill read alongside)
    bill = tmp_path / "bill.csv"
    pd.DataFrame([focus_row("2.5", "i-1", start=0)]).to_csv(bill, index=False)
    s = run_attribution(bill, p, tmp_path / "o")
    assert s["rows"]["usage_rejected_by_reason"] == {
        "rejected: duration_ms not finite or over 1e9 ms": 1}


def test_a_footer_wrong_about_a_negative_token_count_is_refused(tmp_path, con):
    """Token counts all 5, one overwritten with -3 after writing: the footer still says
    min = 5, so DuckDB would answer "tokens < 0" from it and allocate the row it should
    reject. The unchecked pass reads each hour's least token count and refuses the file,
    naming it."""
    p = tmp_path / "u.parquet"
    _lying_footer(p, -3, "input_tokens")
    usage = read_usage(con, p)
    assert footers_rule_out_rejects(usage, MAX_DURATION_MS)  # the footer says clean
    with pytest.raises(InputError, match="token count of -3") as e:
        resource_hours(con, usage, parse_rules({}))
    assert e.value.where == str(p)


def test_a_footer_wrong_about_a_negative_duration_in_a_log_needing_the_checked_pass(
        tmp_path, con):
    """A log with a `requests` column needs the checked pass (its bound is per row);
    DuckDB answered its range tests from the Parquet footer (min = max = 10 ms), so the
    row of -5 ms was allocated. Such a log is read without folding tests from
    statistics: the row is rejected, as Spark rejects it."""
    p = tmp_path / "u.parquet"
    _lying_footer(p, -5.0, requests=[1] * 50)
    usage = read_usage(con, p)
    assert not footers_rule_out_rejects(usage, MAX_DURATION_MS)  # (a requests column)
    got = resource_hours(con, usage, parse_rules({}))[0]
    assert int(got["n"].sum()) == 50 and int(got["n_ok"].sum()) == 49
    assert int(got["W"].sum()) == 49 * 10_000
    # end to end, pass 4 too: the row is rejected, not allocated
    from infercost.allocation.run import run_attribution

    bill = tmp_path / "bill.csv"
    pd.DataFrame([focus_row("2.5", "i-1")]).to_csv(bill, index=False)
    s = run_attribution(bill, p, tmp_path / "o")
    req = pd.read_parquet(tmp_path / "o" / "requests.parquet")
    assert req.loc[req["duration_ms"] < 0, "allocation"].tolist() == [
        "rejected: negative duration_ms"]
    assert s["conservation"]["holds"]
