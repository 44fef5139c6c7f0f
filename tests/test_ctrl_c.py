"""Ctrl-C during a DuckDB query: KeyboardInterrupt within seconds (the query runs on a
worker thread while the calling one waits, and is interrupted from there: DuckDB alone
looks for a signal only now and then, and a distinct count over 100 M ids ran on for a
minute), never bad input; the connection stays usable."""

from __future__ import annotations

import os
import signal
import threading
import time

import ibis
import pytest

from infercost.ingest.backends import connect, to_arrow


def test_ctrl_c_stops_a_long_query_at_once():
    con = connect("duckdb")
    # about 10^10 rows: minutes of work, were it not stopped
    t = ibis.range(0, 100_000).unnest().name("a").as_table()
    t = t.cross_join(ibis.range(0, 100_000).unnest().name("b").as_table())
    e = t.aggregate(s=((t.a * t.b) % 7).sum())
    # a real SIGINT to this process, as Ctrl-C sends (it wakes the waiting thread)
    timer = threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT))
    t0 = time.perf_counter()
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        to_arrow(con, e)
    # stopped within seconds of the signal (the query alone takes minutes)
    assert time.perf_counter() - t0 < 30
    # the connection still works after the interrupt
    assert to_arrow(con, ibis.memtable({"x": [1, 2]}).x.sum().name("s").as_table()) \
        .column("s").to_pylist() == [3]
