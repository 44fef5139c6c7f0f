"""Scheduling rules pinned on small deterministic cases (constant arrivals and service),
the expected timeline written out by hand in each test."""

from __future__ import annotations

import numpy as np
import pytest

from infercost.sim import engine as E
from infercost.sim.entities import ArrivalSpec, PoolConfig, RequestClass, ServiceDist, SimConfig
from infercost.sim.run import _pack, simulate_config
from infercost.sim.state import (
    QF_ARR,
    QF_ENQ,
    QI_PTOK,
    QP_HEAD,
    QP_LEN,
    SF_ARR,
    SF_ENQ,
    SI_OTOK,
    SI_PTOK,
)


def _batching(rate: float, service_s: float, max_wait_ms: float, duration_s: float):
    cfg = SimConfig(duration_s=duration_s, arrivals=ArrivalSpec("constant", rate_per_s=rate),
                    classes=[RequestClass(service=ServiceDist("constant", mean_s=service_s,
                                                              per_item_fraction=0.0))],
                    pools=[PoolConfig(replicas=1, max_batch=4, max_wait_ms=max_wait_ms)])
    return simulate_config(cfg, seed=0, check_stable=False)


def test_full_batch_does_not_wait_for_max_wait():
    """Arrivals every 1 ms from t = 1 ms, max_batch 4, max_wait 100 ms, a batch takes 2.5 ms,
    until 14.2 ms (14 arrivals).

    batch 1: requests at 1, 2, 3, 4 ms; the 4th fills it: starts at 4 ms, done 6.5 ms
    batch 2: 5, 6, 7, 8 ms: starts 8 ms (the replica is idle since 6.5), done 10.5 ms
    batch 3: 9, 10, 11, 12 ms: starts 12 ms, in service at the end; 13, 14 ms wait
    Each batch waits 3, 2, 1, 0 ms: not the 100 ms max_wait.
    """
    r = _batching(1000.0, 0.0025, 100.0, 0.0142)
    req = r.requests
    assert (req["arrived"], req["served"], req["in_flight_end"]) == (14, 8, 6)
    assert r.fleet["mean_batch"] == 4.0  # 12 requests in 3 batches
    assert r.queue_wait_ms["mean"] == pytest.approx(1.5, abs=1e-6)  # (3 + 2 + 1 + 0) / 4, 3 batches
    assert r.queue_wait_ms["max"] == pytest.approx(3.0, abs=1e-6)
    assert r.latency_ms["mean"] == pytest.approx(4.0, abs=1e-6)  # wait + 2.5 ms
    assert r.latency_ms["max"] == pytest.approx(5.5, abs=1e-6)


def test_batch_waits_at_most_max_wait():
    """Arrivals every 10 ms from t = 10 ms, max_batch 4, max_wait 25 ms, a batch takes 4 ms,
    until 85 ms (8 arrivals).

    10 ms: first request, fewer than 4 waiting: timer at 10 + 25 = 35 ms
    35 ms: the head has waited 25 ms: batch [10, 20, 30] starts (waits 25, 15, 5), done 39 ms
    40 ms: timer at 65 ms; 65 ms: batch [40, 50, 60] (waits 25, 15, 5), done 69 ms
    70 ms: timer at 95 ms, past the end: [70, 80] wait at the end
    """
    r = _batching(100.0, 0.004, 25.0, 0.085)
    req = r.requests
    assert (req["arrived"], req["served"], req["in_flight_end"]) == (8, 6, 2)
    assert r.fleet["mean_batch"] == 3.0
    assert r.queue_wait_ms["max"] == pytest.approx(25.0, abs=1e-6)  # never more than max_wait
    assert r.queue_wait_ms["mean"] == pytest.approx(15.0, abs=1e-6)  # (25 + 15 + 5) / 3
    assert r.latency_ms["mean"] == pytest.approx(19.0, abs=1e-6)
    assert r.latency_ms["max"] == pytest.approx(29.0, abs=1e-6)


def test_preemption_requeues_in_flight_at_the_head_in_order():
    """A spot replica serving a batch of 3 (arrived at 1, 2, 3 s) with 2 more waiting (4, 5 s)
    is preempted at 6 s. Expected queue, head first: the batch in its order, then the waiting:
    arrivals 1, 2, 3, 4, 5 s; the requeued ones are queued again at 6 s (their wait restarts,
    their latency does not); the replica warms up again until 6 + 5 = 11 s."""
    cfg = SimConfig(duration_s=100.0, arrivals=ArrivalSpec("constant", rate_per_s=1.0),
                    classes=[RequestClass(service=ServiceDist("constant", mean_s=1.0))],
                    pools=[PoolConfig(replicas=1, max_batch=3, spot_fraction=1.0, preemptions_per_hour=1.0,
                                      replacement_warmup_s=5.0)])
    prm, st, *_ = _pack(cfg)
    np.random.seed(0)
    E._set_state(st.replica_i, st.replica_count, 0, E.BUSY)
    for k in range(3):  # in service: arrivals 1, 2, 3 s, prompt tokens 11, 12, 13
        st.slot_f[0, k, SF_ARR] = st.slot_f[0, k, SF_ENQ] = 1.0 + k
        st.slot_i[0, k, SI_PTOK] = 11 + k
        st.slot_i[0, k, SI_OTOK] = 1
    st.replica_i[0, E.RI_NACT] = 3
    for i in range(2):  # waiting: arrivals 4, 5 s, prompt tokens 14, 15
        st.queue_f[0, i, QF_ARR] = st.queue_f[0, i, QF_ENQ] = 4.0 + i
        st.queue_i[0, i, QI_PTOK] = 14 + i
    st.queue_ptr[0, QP_LEN] = 2
    st.counters[E.C_QTOTAL] = 2
    st.counters[E.C_INSERVICE] = 3
    st.replica_f[0, E.RF_EV] = 10.0  # the batch would end at 10 s
    st.replica_f[0, E.RF_PRE] = 6.0

    E._replica_cold(prm, st, 0, 6.0)

    cap = st.queue_f.shape[1]
    order = [(st.queue_ptr[0, QP_HEAD] + j) % cap for j in range(5)]
    assert [int(st.queue_i[0, i, QI_PTOK]) for i in order] == [11, 12, 13, 14, 15]
    assert [float(st.queue_f[0, i, QF_ARR]) for i in order] == [1.0, 2.0, 3.0, 4.0, 5.0]
    assert [float(st.queue_f[0, i, QF_ENQ]) for i in order] == [6.0, 6.0, 6.0, 4.0, 5.0]
    assert st.queue_ptr[0, QP_LEN] == 5
    assert st.replica_i[0, E.RI_ST] == E.WARM and st.replica_i[0, E.RI_NACT] == 0
    assert st.replica_f[0, E.RF_EV] == 11.0
    assert st.replica_f[0, E.RF_PRE] > 6.0  # the replacement gets its own lifetime
    c = st.counters
    assert (c[E.C_PREEMPT], c[E.C_REQUEUED], c[E.C_QTOTAL], c[E.C_INSERVICE]) == (1, 3, 5, 0)
