"""The compiled loop's state and parameters, by name.

`run_loop` takes two named tuples of numpy arrays (numba types them as records of
arrays, so `st.queue_f` costs the same as a positional index and keeps the on-disk
cache): `Params` (read-only inputs) and `State` (mutable state and outputs). Columns of
the 2-D/3-D arrays are named by the integer constants below and in `engine.py`
(`PF_*`, `CF_*`, `C_*`, ...); numba folds them to literals at compile time.

Shapes: P pools, K request classes, R replica slots (sum of max replicas), S batch
slots per replica (largest max_batch), NQ = 2 P queues (queue 2p is pool p's realtime
tier, 2p + 1 its batch tier), QCAP ring-buffer capacity per queue, NB time-series
buckets, NH histograms, NBINS sketch bins. Times in seconds.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

# slot_f[r, k, :] (float, s): a request in service on replica r, batch slot k
SF_ARR, SF_ENQ, SF_START, SF_FIRST = range(4)  # arrival, enqueued, service start, first token (-1: none)
# slot_i[r, k, :] (int)
SI_CLASS, SI_PTOK, SI_LEFT, SI_OTOK = range(4)  # class, prompt tokens, output tokens left, output tokens
# queue_f[q, i, :] (float, s): a waiting request in ring-buffer position i of queue q
QF_ARR, QF_ENQ = range(2)  # arrival (first stage), enqueued in this queue
# queue_i[q, i, :] (int)
QI_CLASS, QI_PTOK, QI_OTOK = range(3)
# queue_ptr[q, :] (int): ring buffer head index and number waiting
QP_HEAD, QP_LEN = range(2)


class Params(NamedTuple):
    """Read-only inputs of the loop."""

    pool: np.ndarray  # [P, NPF] float: pool parameters (engine.PF_*)
    service_table: np.ndarray  # [P, S + 1] float, s: batch time by size, or LLM decode step by concurrency
    cls: np.ndarray  # [K, NCF] float: class parameters (engine.CF_*)


class State(NamedTuple):
    """Mutable state and outputs of the loop (all zero-initialised by `run._pack` unless noted)."""

    replica_f: np.ndarray  # [R, 4] float: engine.RF_* (next event s, preemption s, KV tokens used,
    #                        LLM work rate of the running iteration)
    replica_i: np.ndarray  # [R, 5] int: engine.RI_* (state, in service, draining, pool, spot)
    slot_f: np.ndarray  # [R, S, 4] float: SF_*
    slot_i: np.ndarray  # [R, S, 4] int: SI_*
    queue_ptr: np.ndarray  # [NQ, 2] int: QP_*
    queue_f: np.ndarray  # [NQ, QCAP, 2] float: QF_*
    queue_i: np.ndarray  # [NQ, QCAP, 3] int: QI_*
    replica_count: np.ndarray  # [P, 2 plans, 3 states] int: replicas by (pool, base/spot, BUSY/IDLE/WARM)
    counters: np.ndarray  # [NIC] int: engine.C_*
    accum: np.ndarray  # [NFC] float: engine.F_* (time integrals, end time)
    hist: np.ndarray  # [NH, NBINS] int: latency sketches (metrics.H_*)
    hist_stats: np.ndarray  # [NH, 3] float: exact count, sum (s), max (s) per sketch
    series_counts: np.ndarray  # [NB, NSC] int: per-bucket counters (engine.SC_*)
    series_latency_sum: np.ndarray  # [NB] float, s: latency sum of the bucket's served requests
    series_hist: np.ndarray  # [NB, SERIES_NBINS] int32: per-bucket latency sketch
    class_served: np.ndarray  # [K] int
    class_busy_s: np.ndarray  # [K] float, s: replica busy time by batch head's class
    pool_state: np.ndarray  # [P, NPS] float: engine.PS_* (timers, autoscaler memory)
    replica_s: np.ndarray  # [P, 2, 3] float, s: replica-seconds by (pool, plan, state)
    series_replica_s: np.ndarray  # [NB, P, 2, 3] float, s: replica-seconds by (bucket, pool, plan, state)
    series_queue_end: np.ndarray  # [NB] int: requests waiting at the bucket's end
    series_replicas: np.ndarray  # [NB] int: provisioned replicas at the bucket's end
    work_s: np.ndarray  # [P, 2] float, s: LLM pools' busy time, the work done at full-batch cost
    series_work_s: np.ndarray  # [NB, P, 2] float, s: the same by bucket
