"""`infercost bench --load`: the real MiniLM behind the example service's batching queue,
timed alone and then under Poisson load, in one process.

Isolated service times are optimistic under load: requests arrive while a batch runs,
the tokenizer, the queue and the arrival thread share the cores with the model, and
caches are colder. This measures the difference on the serving machine:

1. the usual calibration rows (`env`, `gemm`, `membw`, `gemm_skinny`, `model`), as
   `infercost bench` writes them, and `encoder` rows that time the batch function of the
   service (`infercost.bench.embed`: tokenize to `seq_len`, forward, mean-pool) alone at
   every batch size 1..max_batch (median of reps): what `perf` calibrates from;
2. (those isolated times are also the reference the slowdown below is measured against);
3. Poisson arrivals at `rate_per_s` for `seconds` (at most `max_requests`, at most
   `max_in_flight` waiting or in service: more are shed and counted) into a
   `batching.Batcher` with the same rule as the service; every batch's time and size and
   every request's latency (arrival to result) are recorded.

Rows added: `load_batch` per batch size seen (`batches`, `seconds` = median under load,
`isolated_seconds`, `slowdown` = their ratio) and one `load` row whose `factor` = sum of
batch times under load / sum of the isolated times of the same batch sizes (the busy-time
weighted slowdown), with the measured latency p50/p99 (ms), mean batch, busy fraction and
`service`: a scenario `service:` block (lognormal) with the spread of the batch times
under load, for the simulator when their variance matters (the perf model's batch times
are one number per batch size).
`estimate` and `simulate` multiply the calibrated model's batch times by the one factor
that matches them to the `load_batch` times (infercost.perf.measurements.LoadCalibration):
the slowdown under load, plus whatever the model's fit to the isolated rows missed.
"""

from __future__ import annotations

import statistics
import threading
import time
from pathlib import Path

from infercost.bench.batching import Batcher, BatchRule
from infercost.errors import InputError

TEXTS = (
    "How much does one inference cost?",
    "The invoice for November arrived late again.",
    "Please summarise the attached support ticket.",
    "Batching requests raises throughput but adds queueing delay.",
)


def _quantile(xs: list[float], q: float) -> float:
    if len(xs) == 1:
        return xs[0]
    return statistics.quantiles(xs, n=100, method="inclusive")[int(round(q * 100)) - 1]


def poisson_arrivals(rate_per_s: float, seconds: float, max_requests: int, seed: int) -> list[float]:
    """Arrival offsets (s) of a Poisson process at `rate_per_s`, up to `seconds` and `max_requests`."""
    import numpy as np

    gaps = np.random.default_rng(seed).exponential(1.0 / rate_per_s, size=max_requests)
    t = np.cumsum(gaps)
    return [float(x) for x in t[t <= seconds]]


def drive(batcher: Batcher, items: list, arrivals: list[float], max_in_flight: int,
          on_arrival=None) -> tuple[list[float], int]:
    """Submit items[i % len] at each arrival offset; returns (latencies in s, shed count).
    `on_arrival(item)` runs on the arrival thread first, as the service's request handler
    runs before it queues (the service counts tokens there)."""
    lat: list[float] = []
    lock = threading.Lock()
    open_now = [0]
    done = threading.Event()
    pending = [0]
    shed = 0

    def finish(t_submit: float):
        def cb(_fut) -> None:
            t = time.perf_counter()
            with lock:
                lat.append(t - t_submit)
                open_now[0] -= 1
                pending[0] -= 1
                if pending[0] == 0 and sent_all[0]:
                    done.set()
        return cb

    sent_all = [False]
    t0 = time.perf_counter()
    for i, at in enumerate(arrivals):
        delay = at - (time.perf_counter() - t0)
        if delay > 0:
            time.sleep(delay)
        with lock:
            if open_now[0] >= max_in_flight:
                shed += 1
                continue
            open_now[0] += 1
            pending[0] += 1
        ts = time.perf_counter()
        item = items[i % len(items)]
        if on_arrival is not None:
            on_arrival([item])
        batcher.submit(item).add_done_callback(finish(ts))
    with lock:
        sent_all[0] = True
        if pending[0] == 0:
            done.set()
    done.wait(timeout=600)
    return lat, shed


def _service_block(by: dict[int, list[float]], iso: dict[int, float], max_batch: int,
                   factor: float) -> dict | None:
    """A scenario `service:` block with the spread measured under load (None with fewer
    than 3 batches of one): lognormal, `mean_ms` = mean batch-of-1 time under load, `sigma`
    = standard deviation of its log, `per_item_ms` = the isolated slope (batch max_batch
    minus batch 1, over max_batch - 1) x the slowdown `factor`."""
    import math

    ones = by.get(1, [])
    if len(ones) < 3:
        return None
    logs = [math.log(t) for t in ones]
    slope = (iso[max_batch] - iso[1]) / (max_batch - 1) if max_batch > 1 else iso[1]
    return {"distribution": "lognormal", "mean_ms": round(statistics.fmean(ones) * 1000, 4),
            "per_item_ms": round(max(0.0, slope) * factor * 1000, 4),
            "sigma": round(max(statistics.stdev(logs), 1e-3), 4)}


def check_bounds(*, rate_per_s: float, seconds: float, max_batch: int, max_wait_ms: float,
                 max_requests: int) -> None:
    """Raise InputError naming the option and its allowed range for a bound out of range:
    rate > 0 requests/s, 0 < seconds <= 3600, 1 <= max_batch <= 256,
    0 <= max_wait_ms <= 10,000, max_requests >= 1."""
    for name, v, ok, allowed in (
            ("--rate", rate_per_s, rate_per_s > 0, "> 0 requests/s"),
            ("--seconds", seconds, 0 < seconds <= 3600, "> 0 and <= 3600 seconds"),
            ("--max-batch", max_batch, 1 <= max_batch <= 256, "1 to 256 requests"),
            ("--max-wait-ms", max_wait_ms, 0 <= max_wait_ms <= 10_000, "0 to 10,000 ms"),
            ("--max-requests", max_requests, max_requests >= 1, ">= 1")):
        if not ok:
            raise InputError(f"out of range: expected {allowed}, got {v!r}", name)


def run_load(model: str, out: Path, *, rate_per_s: float, seconds: float, max_batch: int = 8,
             max_wait_ms: float = 5.0, seq_len: int = 32, threads: int | None = None, quick: bool = False,
             max_requests: int = 5000, max_in_flight: int = 256, seed: int = 0) -> list[dict]:
    """Measure (see the module docstring) and write `out` whole at the end; returns the rows.
    Raises InputError for a model other than all-minilm-l6-v2 or out-of-range bounds."""
    check_bounds(rate_per_s=rate_per_s, seconds=seconds, max_batch=max_batch, max_wait_ms=max_wait_ms,
                 max_requests=max_requests)
    from infercost.bench.embed import MODEL_ID, load_embedder
    from infercost.bench.harness import (
        _LAST_SPREAD,
        _arch_for,
        _timeit,
        ceilings,
        env_row,
        write_measurements,
    )

    if model != MODEL_ID:
        raise InputError(f"--load serves the example service's model, {MODEL_ID}; got {model!r}", "--model")
    t_init = time.perf_counter()
    emb = load_embedder(seq_len, threads)  # sets the torch threads
    arch = dict(_arch_for(model), seq_len=seq_len,
                params=int(sum(p.numel() for p in emb.net.parameters())))
    rows = [env_row("cpu")] + ceilings("cpu", quick)
    rows.append({"kind": "model", "name": model, "params": arch["params"],
                 "init_s": round(time.perf_counter() - t_init, 2),
                 "engine": "hf-transformers-eager-sdpa + tokenizer + mean pooling (the service's batch function)",
                 "arch": arch})
    reps = 5 if quick else 11
    iso: dict[int, float] = {}
    for b in range(1, max_batch + 1):  # the encoder rows time what the service runs per batch
        texts = [TEXTS[i % len(TEXTS)] for i in range(b)]
        iso[b], k = _timeit(lambda texts=texts: emb.embed(texts), lambda: None, reps, warmup=1, budget_s=3.0)
        rows.append({"kind": "encoder", "model": model, "dtype": "torch.float32", "batch": b, "seq_len": seq_len,
                     "seconds": iso[b], "sequences_per_s": round(b / iso[b], 2), "reps": k,
                     "iqr_rel": round(_LAST_SPREAD[0], 4)})
    rule = BatchRule(max_batch, max_wait_ms / 1000.0)
    batcher = Batcher(emb.embed, rule, name="bench-load")
    try:
        for _ in range(3):  # warm the worker path
            batcher.submit(TEXTS[0]).result(timeout=60)
        batcher.batches.clear()
        t0 = time.perf_counter()
        lat, shed = drive(batcher, list(TEXTS), poisson_arrivals(rate_per_s, seconds, max_requests, seed),
                          max_in_flight, on_arrival=emb.tokens)
        wall = time.perf_counter() - t0
        batches = list(batcher.batches)
    finally:
        batcher.close()
    if not batches:
        raise InputError("no batch ran under load: raise --rate or --seconds", "--rate")
    by: dict[int, list[float]] = {}
    for rec in batches:
        by.setdefault(rec.size, []).append(rec.seconds)
    for b in sorted(by):
        med = statistics.median(by[b])
        rows.append({"kind": "load_batch", "model": model, "batch": b, "seq_len": seq_len, "batches": len(by[b]),
                     "seconds": med, "isolated_seconds": iso[b], "slowdown": round(med / iso[b], 4)})
    loaded = sum(rec.seconds for rec in batches)
    alone = sum(iso[rec.size] for rec in batches)
    lat.sort()
    service = _service_block(by, iso, max_batch, loaded / alone)
    rows.append({"kind": "load", "model": model, "rate_per_s": rate_per_s, "seconds": round(wall, 3),
                 "requests": len(lat), "shed": shed, "max_batch": max_batch, "max_wait_ms": max_wait_ms,
                 "seq_len": seq_len, "threads": emb.threads, "batches": len(batches),
                 "mean_batch": round(sum(r.size for r in batches) / len(batches), 4),
                 "busy_fraction": round(loaded / wall, 4) if wall > 0 else None,
                 "factor": round(loaded / alone, 4),
                 "latency_p50_ms": round(_quantile(lat, 0.50) * 1000, 3),
                 "latency_p99_ms": round(_quantile(lat, 0.99) * 1000, 3),
                 **({"service": service} if service else {}),
                 "source": "infercost bench --load (in-process Poisson load, infercost.bench.batching rule)"})
    return write_measurements(rows, out)
