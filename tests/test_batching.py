"""The dynamic batching rule shared by the example service and `bench --load`
(infercost.bench.batching): the simulator's rule, FCFS, at most max_batch."""

from __future__ import annotations

import threading
import time

import pytest

from infercost.bench.batching import Batcher, BatchRule


def test_rule_ready():
    r = BatchRule(max_batch=4, max_wait_s=0.010)
    assert not r.ready(0, 1.0)  # nothing waiting
    assert not r.ready(3, 0.005)  # fewer than max_batch, head waited 5 ms < 10 ms
    assert r.ready(3, 0.010)  # head waited max_wait
    assert r.ready(4, 0.0)  # a full batch goes at once
    assert BatchRule(1).ready(1, 0.0)  # max_wait 0: whatever waits goes at once
    with pytest.raises(ValueError):
        BatchRule(0)
    with pytest.raises(ValueError):
        BatchRule(2, -1.0)


def test_fcfs_batches_of_at_most_max_batch():
    gate = threading.Event()
    seen: list[list[int]] = []

    def fn(items):
        seen.append(list(items))
        if len(seen) == 1:
            gate.wait(10)  # hold the worker on the first batch while 5 more queue up
        return [x * 10 for x in items]

    b = Batcher(fn, BatchRule(max_batch=2, max_wait_s=0.0))
    try:
        first = b.submit(0)
        while not seen:
            time.sleep(0.001)
        futs = [b.submit(i) for i in range(1, 6)]
        gate.set()
        out = [f.result(10) for f in [first, *futs]]
    finally:
        b.close()
    # batch 1 = [0] alone; then the 5 waiting in order, 2 + 2 + 1
    assert seen == [[0], [1, 2], [3, 4], [5]]
    assert [s.result for s in out] == [0, 10, 20, 30, 40, 50]
    assert [(s.batch.size, s.index) for s in out] == [(1, 0), (2, 0), (2, 1), (2, 0), (2, 1), (1, 0)]
    assert [r.size for r in b.batches] == [1, 2, 2, 1]
    assert all(r.end >= r.start and r.end_ns >= r.start_ns for r in b.batches)


def test_waits_for_the_head_max_wait_then_serves_what_waits():
    b = Batcher(lambda items: items, BatchRule(max_batch=8, max_wait_s=0.05))
    try:
        t0 = time.perf_counter()
        s = b.submit("a").result(10)
    finally:
        b.close()
    # alone in the queue: served only once the head has waited max_wait (50 ms)
    assert s.batch.start - t0 >= 0.05 and s.batch.size == 1


def test_errors_reach_every_request_of_the_batch_and_closed_refuses():
    def boom(items):
        raise ValueError("model failed")

    b = Batcher(boom, BatchRule(max_batch=4))
    f = b.submit(1)
    with pytest.raises(ValueError, match="model failed"):
        f.result(10)
    b.close()
    with pytest.raises(RuntimeError, match="closed"):
        b.submit(2)
    wrong = Batcher(lambda items: [], BatchRule(max_batch=1))
    try:
        with pytest.raises(RuntimeError, match="0 results for 1"):
            wrong.submit(1).result(10)
    finally:
        wrong.close()
