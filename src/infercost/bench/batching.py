"""The dynamic batching rule, shared by the example service (`examples/service/`) and
`infercost bench --load`, so that what is measured is what is served.

The rule is the simulator's (docs/simulator.md, batching): an idle worker takes up to
`max_batch` waiting requests, first come first served; with fewer waiting it waits until
the oldest one (the head) has waited `max_wait_s` since it arrived, or until `max_batch`
are waiting, whichever comes first. One worker thread runs one batch at a time.

`Batcher(fn, rule)` runs `fn(items) -> results` (one result per item, same order) on its
worker thread; `submit(item)` returns a `concurrent.futures.Future` of a `Served`: the
item's result, the `BatchRecord` of the batch it rode in (start and end on
`time.perf_counter` in seconds and on the wall clock in Unix nanoseconds; size) and its
0-based index in that batch. `batches` records every batch run.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass


@dataclass(frozen=True)
class BatchRule:
    """Dynamic batching: at most `max_batch` requests per batch; wait at most `max_wait_s`
    seconds after the head's arrival for more (0 = serve whatever is waiting at once)."""

    max_batch: int
    max_wait_s: float = 0.0

    def __post_init__(self) -> None:
        if self.max_batch < 1:
            raise ValueError(f"max_batch must be >= 1, got {self.max_batch}")
        if self.max_wait_s < 0:
            raise ValueError(f"max_wait_s must be >= 0, got {self.max_wait_s}")

    def ready(self, waiting: int, head_waited_s: float) -> bool:
        """True when an idle worker should start a batch now."""
        return waiting >= self.max_batch or (waiting > 0 and head_waited_s >= self.max_wait_s)


@dataclass(frozen=True)
class BatchRecord:
    """One batch run: `start` and `end` (time.perf_counter seconds), `size` (requests),
    `start_ns` and `end_ns` (wall clock, Unix nanoseconds: for span timestamps)."""

    start: float
    end: float
    size: int
    start_ns: int = 0
    end_ns: int = 0

    @property
    def seconds(self) -> float:
        return self.end - self.start


@dataclass(frozen=True)
class Served:
    """What a submitted item's Future resolves to."""

    result: object
    batch: BatchRecord
    index: int  # 0-based place in the batch


@dataclass
class _Pending:
    item: object
    arrival: float
    future: Future


class Batcher:
    """A queue and one worker thread applying `rule` to run `fn` on batches of items.

    `fn(items: list) -> Sequence` must return one result per item; an exception fails every
    future of that batch. `close()` stops the worker after the batch in progress; items
    still waiting fail with RuntimeError.
    """

    def __init__(self, fn: Callable[[list], Sequence], rule: BatchRule, name: str = "batcher") -> None:
        self.fn = fn
        self.rule = rule
        self.batches: list[BatchRecord] = []
        self._q: deque[_Pending] = deque()
        self._cv = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def submit(self, item) -> Future:
        """Queue `item`; the Future resolves to a `Served` when its batch has run (or
        raises what `fn` raised). RuntimeError once closed."""
        fut: Future = Future()
        with self._cv:
            if self._closed:
                raise RuntimeError("batcher is closed")
            self._q.append(_Pending(item, time.perf_counter(), fut))
            self._cv.notify()
        return fut

    def _take(self) -> list[_Pending] | None:
        with self._cv:
            while True:
                if self._closed:
                    return None
                now = time.perf_counter()
                if self._q and self.rule.ready(len(self._q), now - self._q[0].arrival):
                    n = min(self.rule.max_batch, len(self._q))
                    return [self._q.popleft() for _ in range(n)]
                timeout = None if not self._q else self._q[0].arrival + self.rule.max_wait_s - now
                self._cv.wait(timeout)

    def _run(self) -> None:
        while True:
            batch = self._take()
            if batch is None:
                return
            w0, t0 = time.time_ns(), time.perf_counter()
            try:
                results = list(self.fn([p.item for p in batch]))
                if len(results) != len(batch):
                    raise RuntimeError(f"batch fn returned {len(results)} results for {len(batch)} items")
            except Exception as e:  # noqa: BLE001 - handed to every caller of the batch
                t1 = time.perf_counter()
                rec = BatchRecord(t0, t1, len(batch), w0, w0 + int((t1 - t0) * 1e9))
                self.batches.append(rec)
                for p in batch:
                    p.future.set_exception(e)
            else:
                t1 = time.perf_counter()
                rec = BatchRecord(t0, t1, len(batch), w0, w0 + int((t1 - t0) * 1e9))
                self.batches.append(rec)  # before the futures: a waiter sees its batch recorded
                for i, (p, r) in enumerate(zip(batch, results, strict=True)):
                    p.future.set_result(Served(r, rec, i))

    def close(self) -> None:
        with self._cv:
            self._closed = True
            left = list(self._q)
            self._q.clear()
            self._cv.notify_all()
        for p in left:
            p.future.set_exception(RuntimeError("batcher closed"))
        self._thread.join(timeout=30)
