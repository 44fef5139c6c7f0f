"""On DuckDB, pass 1 runs on a worker thread while a second connection reads the bill
(with every ResourceId of the log as the fleet hint): the same outputs as one after the
other, a fault in the log raised before one in the bill, and Ctrl-C stops the engine."""

from __future__ import annotations

import threading
from types import SimpleNamespace

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from infercost.allocation.demo import generate
from infercost.allocation.run import run_attribution
from infercost.errors import InputError
from infercost.ingest import backends


@pytest.fixture(scope="module")
def month(tmp_path_factory):
    d = tmp_path_factory.mktemp("conc")
    bill, usage = generate(d, seed=5, requests_per_hour=5)
    # a resource of the bill whose only log rows are rejected (negative durations): in
    # the concurrent read's hint, not in the fleet
    u = pq.read_table(usage).to_pandas()
    bill_ids = pd.read_csv(bill)["ResourceId"].dropna().unique()
    other = next(r for r in bill_ids if r not in set(u["resource_id"]))
    bad = u.head(3).copy()
    bad["resource_id"], bad["duration_ms"] = other, -5.0
    bad["request_id"] = [f"neg-{i}" for i in range(3)]
    pd.concat([u, bad], ignore_index=True).to_parquet(d / "usage.parquet")
    return bill, d / "usage.parquet"


def _outputs(out):
    summary = (out / "summary.json").read_text().replace(str(out), "OUT")
    return summary, (out / "allocations.csv").read_text()


def test_concurrent_read_equals_sequential(month, tmp_path, monkeypatch):
    bill, usage = month
    calls = []
    real = backends.second_connection

    def counted(con):
        calls.append(1)
        return real(con)

    monkeypatch.setattr(backends, "second_connection", counted)
    s1 = run_attribution(bill, usage, tmp_path / "a")
    assert calls == [1]
    monkeypatch.setattr(backends, "second_connection", lambda con: None)
    s2 = run_attribution(bill, usage, tmp_path / "b")
    assert _outputs(tmp_path / "a") == _outputs(tmp_path / "b")
    # both hints are every id of the log (rule R1: the rejected-only resource is in the
    # fleet too), so the same bill rows reach Python
    assert s1["_bill_reader"]["rows_in_python"] == s2["_bill_reader"]["rows_in_python"]
    assert s1["fleet"]["resources"] == s2["fleet"]["resources"]
    assert s1["conservation"]["holds"]


def _corrupt_log(path, column="duration_ms"):
    """A Parquet log whose `column` pages are garbage (its footer and resource_id column
    intact): the engine fails only on a pass that reads that column."""
    n = 2000
    df = pd.DataFrame({"timestamp": pd.date_range("2026-10-01", periods=n, freq="1min"
                                                  ).astype("datetime64[us]"),
                       "request_id": [f"r{i}" for i in range(n)], "resource_id": "i-1",
                       "duration_ms": [float(i % 97) * 1.37 for i in range(n)],
                       "input_tokens": [(i * 7919) % 1000 for i in range(n)]})
    pq.write_table(pa.Table.from_pandas(df, preserve_index=False), path,
                   compression="snappy", use_dictionary=False)
    col = pq.ParquetFile(path).metadata.row_group(0).column(list(df.columns).index(column))
    assert col.path_in_schema == column
    b = bytearray(path.read_bytes())
    b[col.data_page_offset + 30: col.data_page_offset + 230] = b"\xab" * 200
    path.write_bytes(bytes(b))


def test_a_fault_in_the_log_is_raised_before_one_in_the_bill(month, tmp_path, monkeypatch):
    bill, _ = month
    log = tmp_path / "u.parquet"
    _corrupt_log(log)
    bad_bill = tmp_path / "bill.csv"
    text = bill.read_text().splitlines()
    cols = text[0].split(",")
    row = text[1].split(",")
    row[cols.index("BilledCost")] = "abc"
    bad_bill.write_text("\n".join([text[0], ",".join(row)]) + "\n")
    with pytest.raises(InputError) as bill_only:
        run_attribution(bad_bill, None, tmp_path / "o1")
    assert "abc" in str(bill_only.value)
    for second in (backends.second_connection, lambda con: None):  # at once, in turn
        monkeypatch.setattr(backends, "second_connection", second)
        with pytest.raises(InputError) as both:
            run_attribution(bad_bill, log, tmp_path / "o2")
        assert "cannot read the input" in str(both.value), str(both.value)
        assert not (tmp_path / "o2").exists()


def test_meanwhile_interrupts_the_engine_on_ctrl_c():
    released = threading.Event()
    con = SimpleNamespace(name="duckdb", con=SimpleNamespace(interrupt=released.set))
    with pytest.raises(KeyboardInterrupt):
        with backends.meanwhile(con, released.wait, 30):
            raise KeyboardInterrupt
    assert released.is_set()


def test_meanwhile_returns_the_worker_result_and_raises_its_error():
    con = SimpleNamespace(name="duckdb", con=None)
    with backends.meanwhile(con, lambda x: x * 2, 21) as f:
        assert f.result() == 42

    def boom():
        raise InputError("cannot read the input: x", "usage")

    with pytest.raises(InputError, match="cannot read"):
        with backends.meanwhile(con, boom) as f:
            f.result()


def test_a_corrupt_column_no_pass_read_before_the_last_is_exit_2(month, tmp_path):
    """Pass 1 (unchecked: the footers show no negative token count) never reads
    input_tokens; the per-request pass does, and its engine error is an InputError."""
    bill, _ = month
    log = tmp_path / "u.parquet"
    _corrupt_log(log, "input_tokens")
    for requests in (True, False):
        with pytest.raises(InputError, match="cannot read the input"):
            run_attribution(bill, log, tmp_path / "o", write_requests=requests)
        assert not (tmp_path / "o").exists()
