"""The compiled event loop (numba).

One loop, O(replicas + pools) state, no per-request storage beyond the bounded queues:
arrivals are drawn on the fly (`arrivals.next_arrival`), served requests go straight into
the fixed-size sketches (`metrics`). Each step picks the earliest of: a replica event
(batch or LLM iteration done, warm-up done, spot preemption), the next arrival, a pool's
batching timer, an autoscaler evaluation, a time-series bucket boundary, the end.
Between events, replica-seconds by (pool, plan, state) and the number of requests in the
system are integrated exactly (piecewise constant).

State and parameters travel as two named tuples of arrays (`state.State`,
`state.Params`): every function reads `st.queue_f`, `prm.cls`, ... and binds short local
names to them; columns are named constants (numba folds both to the same code as
positional indexing, so the names cost nothing at run time).

Replica states: BUSY (serving a batch / running LLM iterations), IDLE (warm, waiting),
WARM (paid warm-up, serves nothing), OFF (not provisioned).

Scheduling rules (documented in docs/simulator.md):
- FCFS within a tier; the realtime queue is always served before the batch queue.
- dynamic batching: an idle replica takes up to max_batch requests of the head's class
  at once; with fewer waiting it waits until the head has waited max_wait.
- LLM pools: continuous batching. Each iteration runs one decode step for the running
  sequences plus the prefill of newly admitted prompts; new sequences join at iteration
  boundaries while concurrency < max_batch and the KV cache (prompt + output tokens
  reserved per sequence) has room. The replica's busy time is the work it did at full-batch
  cost (`_llm_start`): the rest of its ready time is spare batch capacity, counted idle.
- preemption: in-flight requests go back to the front of their queue (LLM progress lost),
  the replica warms up again (a replacement), then serves.
- autoscaling: see `autoscaler.py`.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from infercost.sim.arrivals import A_KIND, A_RATE, K_POISSON, next_arrival
from infercost.sim.autoscaler import desired_replicas
from infercost.sim.metrics import (
    H_LAT_BATCH,
    H_LAT_RT,
    H_LATENCY,
    H_TPOT,
    H_TTFT,
    H_WAIT,
    SERIES_INV_LOG_GAMMA,
    SERIES_NBINS,
    SERIES_X_MIN,
    bin_of,
    hist_add,
)
from infercost.sim.service import D_TABLE, draw
from infercost.sim.state import (
    QF_ARR,
    QF_ENQ,
    QI_CLASS,
    QI_OTOK,
    QI_PTOK,
    QP_HEAD,
    QP_LEN,
    SF_ARR,
    SF_ENQ,
    SF_FIRST,
    SF_START,
    SI_CLASS,
    SI_LEFT,
    SI_OTOK,
    SI_PTOK,
)

# replica states (0..2 double as the accounting index)
BUSY, IDLE, WARM, OFF = 0, 1, 2, 3

# pool parameters PF[p, :]
(PF_MAXB, PF_MAXWAIT, PF_LLM, PF_KV, PF_MIN, PF_MAX, PF_INIT, PF_WARMUP, PF_ASMODE, PF_TARGET,
 PF_INTERVAL, PF_SDDELAY, PF_PREEMPT, PF_REPL_WARMUP, PF_MAXQ, PF_PF_FIXED, PF_PF_TOK, PF_LO,
 PF_HI, PF_FULL) = range(20)
NPF = 20  # PF_FULL: an LLM pool's full batch (sequences), the capacity its busy time is measured at

# class parameters CF[k, :]
(CF_CUM, CF_TIER, CF_POOL, CF_SK, CF_SA, CF_SB, CF_SPI, CF_SLO, CF_DEADLINE, CF_ESCP, CF_ESCTO,
 CF_PK, CF_PA, CF_PB, CF_OK, CF_OA, CF_OB, CF_TIMEOUT) = range(18)
NCF = 18  # CF_TIMEOUT: client timeout on queue wait, s (inf: none)

# integer counters IC[:]
(C_ARRIVED, C_SERVED, C_DROPPED, C_LATE, C_SLO_OK, C_SLO_N, C_ESCALATED, C_PREEMPT, C_REQUEUED,
 C_INSYS, C_IN_TOK, C_OUT_TOK, C_BATCHES, C_BATCH_ITEMS, C_SCALE_UP, C_SCALE_DOWN, C_MAXQ,
 C_QTOTAL, C_INSERVICE, C_DROP_KV, C_EVENTS, C_BUCKET, C_DROP_QUEUE, C_ITERS, C_DROP_ARRIVAL,
 C_ABANDONED) = range(26)
NIC = 26

# float accumulators FC[:]
F_AREA_SYS, F_AREA_Q, F_T_END, F_ABANDON_SOJOURN = range(4)  # the last: sum of abandoned requests' time in system, s
NFC = 4

# per-bucket counters SER_CNT[b, :]
SC_ARRIVED, SC_SERVED, SC_DROPPED, SC_LATE, SC_SLO_OK, SC_SLO_N, SC_ABANDONED = range(7)
NSC = 7

# replica float state RF[r, :] and int state RI[r, :]
# RF_WORK: an LLM replica's work rate in its current iteration (full-batch seconds per second, 0-1)
RF_EV, RF_PRE, RF_KV, RF_WORK = range(4)
RI_ST, RI_NACT, RI_DRAIN, RI_POOL, RI_SPOT = range(5)
# pool float state PS[p, :]
# PS_WRATE + plan: the summed RF_WORK of the pool's replicas on that plan (0 base, 1 spot);
# PS_PREV_WORK: the pool's work seconds at the autoscaler's last evaluation
(PS_TIMER, PS_BELOW, PS_PREV_BUSY, PS_PREV_READY, PS_NEXT_EVAL, PS_DISPATCH, PS_WRATE, PS_WRATE_SPOT,
 PS_PREV_WORK) = range(9)
NPS = 9


# Calls between compiled functions that pass many arrays cost tens of ns (reference
# counting), so the hot path (arrival, dynamic-batch dispatch, batch completion) is
# written out inside `run_loop`; rarer events (warm-up done, preemption, LLM
# iterations, autoscaling) go through the helpers below, which ask for a dispatch by
# setting PS[p, PS_DISPATCH].


@njit(cache=True)
def _set_state(RI, cnt, r, new):
    old = RI[r, RI_ST]
    p = RI[r, RI_POOL]
    plan = RI[r, RI_SPOT]
    if old != OFF:
        cnt[p, plan, old] -= 1
    if new != OFF:
        cnt[p, plan, new] += 1
    RI[r, RI_ST] = new


@njit(cache=True)
def _push(QP, qf, qi, q, front, arr, enq, c, ptok, otok):
    cap = qf.shape[1]
    if front:
        h = (QP[q, QP_HEAD] - 1 + cap) % cap
        QP[q, QP_HEAD] = h
        i = h
    else:
        i = (QP[q, QP_HEAD] + QP[q, QP_LEN]) % cap
    QP[q, QP_LEN] += 1
    qf[q, i, QF_ARR] = arr
    qf[q, i, QF_ENQ] = enq
    qi[q, i, QI_CLASS] = c
    qi[q, i, QI_PTOK] = ptok
    qi[q, i, QI_OTOK] = otok


@njit(cache=True)
def _finish(PF, CF, QP, qf, qi, IC, H, HS, SER_CNT, SER_LAT, SER_HIST, CLS_SERVED, PS,
            t, c, arr, first, ptok, o0):
    """A request leaves a replica: escalate (cascade) or record it as served."""
    b = IC[C_BUCKET]
    escp = CF[c, CF_ESCP]
    if escp > 0.0 and np.random.random() < escp:
        c2 = int(CF[c, CF_ESCTO])
        p2 = int(CF[c2, CF_POOL])
        q2 = 2 * p2 + int(CF[c2, CF_TIER])
        if QP[q2, QP_LEN] >= PF[p2, PF_MAXQ]:
            IC[C_DROPPED] += 1
            IC[C_DROP_QUEUE] += 1
            IC[C_INSYS] -= 1
            SER_CNT[b, SC_DROPPED] += 1
            if CF[c2, CF_TIER] == 0:
                IC[C_SLO_N] += 1
                SER_CNT[b, SC_SLO_N] += 1
        else:
            _push(QP, qf, qi, q2, False, arr, t, c2, ptok, o0)
            IC[C_QTOTAL] += 1
            IC[C_ESCALATED] += 1
            PS[p2, PS_DISPATCH] = 1.0
        return
    lat = t - arr
    hist_add(H, HS, H_LATENCY, lat)
    IC[C_SERVED] += 1
    IC[C_INSYS] -= 1
    IC[C_IN_TOK] += ptok
    IC[C_OUT_TOK] += o0
    CLS_SERVED[c] += 1
    SER_CNT[b, SC_SERVED] += 1
    SER_LAT[b] += lat
    SER_HIST[b, bin_of(lat, SERIES_X_MIN, SERIES_INV_LOG_GAMMA, SERIES_NBINS)] += 1
    if first >= 0.0:
        hist_add(H, HS, H_TTFT, first - arr)
        if o0 > 1:
            hist_add(H, HS, H_TPOT, (t - first) / (o0 - 1))
    if CF[c, CF_TIER] == 0:
        hist_add(H, HS, H_LAT_RT, lat)
        IC[C_SLO_N] += 1
        SER_CNT[b, SC_SLO_N] += 1
        if lat <= CF[c, CF_SLO]:
            IC[C_SLO_OK] += 1
            SER_CNT[b, SC_SLO_OK] += 1
    else:
        hist_add(H, HS, H_LAT_BATCH, lat)
        if lat > CF[c, CF_DEADLINE]:
            IC[C_LATE] += 1
            SER_CNT[b, SC_LATE] += 1


@njit(cache=True)
def _finish_st(prm, st, t, c, arr, first, ptok, o0):
    _finish(prm.pool, prm.cls, st.queue_ptr, st.queue_f, st.queue_i, st.counters, st.hist,
            st.hist_stats, st.series_counts, st.series_latency_sum, st.series_hist,
            st.class_served, st.pool_state,
            t, c, arr, first, ptok, o0)


@njit(cache=True)
def _set_work(prm, st, r, rate):
    """Set LLM replica r's work rate (RF_WORK, 0-1) and its pool and plan's sum (PS_WRATE + plan)."""
    RF, RI = st.replica_f, st.replica_i
    if RF[r, RF_WORK] == rate:
        return
    RF[r, RF_WORK] = rate
    p = RI[r, RI_POOL]
    plan = RI[r, RI_SPOT]
    total = 0.0  # summed afresh (no drift from adding and subtracting)
    for k in range(int(prm.pool[p, PF_LO]), int(prm.pool[p, PF_HI])):
        if RI[k, RI_SPOT] == plan:
            total += RF[k, RF_WORK]
    st.pool_state[p, PS_WRATE + plan] = total


@njit(cache=True)
def _llm_admit(prm, st, r, p, t):
    """Admit waiting sequences into LLM replica r while concurrency and KV cache allow."""
    PF = prm.pool
    RF, RI, sf, si = st.replica_f, st.replica_i, st.slot_f, st.slot_i
    QP, qf, qi = st.queue_ptr, st.queue_f, st.queue_i
    IC, H, HS, SER_CNT = st.counters, st.hist, st.hist_stats, st.series_counts
    maxb = int(PF[p, PF_MAXB])
    kvcap = PF[p, PF_KV]
    cap = qf.shape[1]
    while RI[r, RI_NACT] < maxb:
        q = 2 * p
        if QP[q, QP_LEN] == 0:
            q += 1
            if QP[q, QP_LEN] == 0:
                return
        h = QP[q, QP_HEAD]
        need = float(qi[q, h, QI_PTOK] + qi[q, h, QI_OTOK])
        if RF[r, RF_KV] + need > kvcap:
            if RI[r, RI_NACT] > 0:
                return
            # does not fit even alone: dropped
            QP[q, QP_HEAD] = (h + 1) % cap
            QP[q, QP_LEN] -= 1
            IC[C_QTOTAL] -= 1
            IC[C_DROPPED] += 1
            IC[C_DROP_KV] += 1
            IC[C_INSYS] -= 1
            SER_CNT[IC[C_BUCKET], SC_DROPPED] += 1
            continue
        k = RI[r, RI_NACT]
        sf[r, k, SF_ARR] = qf[q, h, QF_ARR]
        sf[r, k, SF_ENQ] = qf[q, h, QF_ENQ]
        sf[r, k, SF_START] = t
        sf[r, k, SF_FIRST] = -1.0
        si[r, k, SI_CLASS] = qi[q, h, QI_CLASS]
        si[r, k, SI_PTOK] = qi[q, h, QI_PTOK]
        si[r, k, SI_LEFT] = qi[q, h, QI_OTOK]
        si[r, k, SI_OTOK] = qi[q, h, QI_OTOK]
        hist_add(H, HS, H_WAIT, t - qf[q, h, QF_ENQ])
        QP[q, QP_HEAD] = (h + 1) % cap
        QP[q, QP_LEN] -= 1
        IC[C_QTOTAL] -= 1
        IC[C_INSERVICE] += 1
        RF[r, RF_KV] += need
        RI[r, RI_NACT] = k + 1


@njit(cache=True)
def _llm_start(prm, st, r, p, t):
    """Start the next iteration of LLM replica r (which has running sequences)."""
    PF, TB = prm.pool, prm.service_table
    RF, RI, sf, si, cnt = st.replica_f, st.replica_i, st.slot_f, st.slot_i, st.replica_count
    IC, CLS_BUSY = st.counters, st.class_busy_s
    n = RI[r, RI_NACT]
    ndec = 0
    newtok = 0
    for k in range(n):
        if sf[r, k, SF_FIRST] >= 0.0:
            ndec += 1
        else:
            newtok += si[r, k, SI_PTOK]
    dur = 0.0
    work = 0.0  # the same work at full-batch cost: each decode step at full / PF_FULL a sequence
    if ndec > 0:
        dur += TB[p, ndec]
        full = int(PF[p, PF_FULL])
        work += ndec * TB[p, full] / full
    if newtok > 0:
        pre = PF[p, PF_PF_FIXED] + PF[p, PF_PF_TOK] * newtok
        dur += pre
        work += pre
    if dur < 1e-9:
        dur = 1e-9
    if work > dur:  # more sequences than the full batch (short ones): never above the run time
        work = dur
    RF[r, RF_EV] = t + dur
    IC[C_ITERS] += 1
    _set_work(prm, st, r, work / dur)
    share = work / n
    for k in range(n):
        CLS_BUSY[si[r, k, SI_CLASS]] += share
    if RI[r, RI_ST] != BUSY:
        _set_state(RI, cnt, r, BUSY)


@njit(cache=True)
def _llm_dispatch(prm, st, p, t):
    """Start idle LLM replicas of pool p on waiting sequences (continuous batching)."""
    PF = prm.pool
    RI, QP, cnt, PS = st.replica_i, st.queue_ptr, st.replica_count, st.pool_state
    lo = int(PF[p, PF_LO])
    while cnt[p, 0, IDLE] + cnt[p, 1, IDLE] > 0 and QP[2 * p, QP_LEN] + QP[2 * p + 1, QP_LEN] > 0:
        r = lo
        while RI[r, RI_ST] != IDLE:
            r += 1
        _llm_admit(prm, st, r, p, t)
        if RI[r, RI_NACT] > 0:
            _llm_start(prm, st, r, p, t)
    PS[p, PS_TIMER] = np.inf


@njit(cache=True)
def _activate(prm, st, r, p, t, warmup):
    """Replica r starts warming up (scale-up or replacement); spot replicas get a preemption time."""
    PF = prm.pool
    RF, RI, cnt = st.replica_f, st.replica_i, st.replica_count
    _set_state(RI, cnt, r, WARM)
    RF[r, RF_EV] = t + warmup
    RF[r, RF_PRE] = np.inf
    if RI[r, RI_SPOT] == 1 and PF[p, PF_PREEMPT] > 0.0:
        RF[r, RF_PRE] = t + np.random.exponential(1.0 / PF[p, PF_PREEMPT])


@njit(cache=True)
def _turn_off(st, r):
    RF, RI, cnt = st.replica_f, st.replica_i, st.replica_count
    _set_state(RI, cnt, r, OFF)
    RF[r, RF_EV] = np.inf
    RF[r, RF_PRE] = np.inf
    RI[r, RI_DRAIN] = 0


@njit(cache=True)
def _autoscale(prm, st, p, t):
    PF = prm.pool
    RI, QP, cnt, IC = st.replica_i, st.queue_ptr, st.replica_count, st.counters
    ACC, PS = st.replica_s, st.pool_state
    lo = int(PF[p, PF_LO])
    hi = int(PF[p, PF_HI])
    ndrain = 0
    inservice = 0
    for r in range(lo, hi):
        ndrain += RI[r, RI_DRAIN]
        inservice += RI[r, RI_NACT]
    ready = cnt[p, 0, BUSY] + cnt[p, 1, BUSY] + cnt[p, 0, IDLE] + cnt[p, 1, IDLE] - ndrain
    prov = ready + cnt[p, 0, WARM] + cnt[p, 1, WARM]
    busy_now = ACC[p, 0, BUSY] + ACC[p, 1, BUSY]
    ready_now = busy_now + ACC[p, 0, IDLE] + ACC[p, 1, IDLE]
    work_now = st.work_s[p, 0] + st.work_s[p, 1]
    util = 0.0
    if ready_now - PS[p, PS_PREV_READY] > 0.0:
        if PF[p, PF_LLM] > 0.0:  # LLM: its work at full-batch cost, the busy time it reports
            util = (work_now - PS[p, PS_PREV_WORK]) / (ready_now - PS[p, PS_PREV_READY])
        else:
            util = (busy_now - PS[p, PS_PREV_BUSY]) / (ready_now - PS[p, PS_PREV_READY])
    PS[p, PS_PREV_WORK] = work_now
    PS[p, PS_PREV_BUSY] = busy_now
    PS[p, PS_PREV_READY] = ready_now
    load = QP[2 * p, QP_LEN] + QP[2 * p + 1, QP_LEN] + inservice
    want = desired_replicas(int(PF[p, PF_ASMODE]), PF[p, PF_TARGET], ready, util, load,
                            int(PF[p, PF_MIN]), int(PF[p, PF_MAX]))
    if want > prov:
        PS[p, PS_BELOW] = np.inf
        need = want - prov
        for r in range(lo, hi):
            if need == 0:
                break
            if RI[r, RI_DRAIN] == 1:
                RI[r, RI_DRAIN] = 0
                need -= 1
        for r in range(lo, hi):
            if need == 0:
                break
            if RI[r, RI_ST] == OFF:
                _activate(prm, st, r, p, t, PF[p, PF_WARMUP])
                IC[C_SCALE_UP] += 1
                need -= 1
    elif want < prov:
        if PS[p, PS_BELOW] == np.inf:
            PS[p, PS_BELOW] = t
        if t - PS[p, PS_BELOW] >= PF[p, PF_SDDELAY]:
            PS[p, PS_BELOW] = np.inf
            excess = prov - want
            for want_state in (WARM, IDLE, BUSY):
                for r in range(hi - 1, lo - 1, -1):
                    if excess == 0:
                        break
                    if RI[r, RI_ST] == want_state and RI[r, RI_DRAIN] == 0:
                        if want_state == BUSY:
                            RI[r, RI_DRAIN] = 1
                        else:
                            _turn_off(st, r)
                        IC[C_SCALE_DOWN] += 1
                        excess -= 1
    else:
        PS[p, PS_BELOW] = np.inf


@njit(cache=True)
def _replica_cold(prm, st, r, t):
    """Preemption, warm-up done, or an LLM iteration done on replica r."""
    PF, CF = prm.pool, prm.cls
    RF, RI, sf, si = st.replica_f, st.replica_i, st.slot_f, st.slot_i
    QP, qf, qi = st.queue_ptr, st.queue_f, st.queue_i
    cnt, IC, PS = st.replica_count, st.counters, st.pool_state
    p = RI[r, RI_POOL]
    rstate = RI[r, RI_ST]
    PS[p, PS_DISPATCH] = 1.0
    if RF[r, RF_PRE] <= RF[r, RF_EV]:  # spot preemption
        IC[C_PREEMPT] += 1
        n = RI[r, RI_NACT]
        for k in range(n - 1, -1, -1):
            c = si[r, k, SI_CLASS]
            q = 2 * int(CF[c, CF_POOL]) + int(CF[c, CF_TIER])
            _push(QP, qf, qi, q, True, sf[r, k, SF_ARR], t, c, si[r, k, SI_PTOK], si[r, k, SI_OTOK])
        IC[C_REQUEUED] += n
        IC[C_QTOTAL] += n
        IC[C_INSERVICE] -= n
        RI[r, RI_NACT] = 0
        RF[r, RF_KV] = 0.0
        _set_work(prm, st, r, 0.0)  # the iteration is cut short
        if RI[r, RI_DRAIN] == 1:
            _turn_off(st, r)
        else:
            _activate(prm, st, r, p, t, PF[p, PF_REPL_WARMUP])
        return
    if rstate == WARM:
        _set_state(RI, cnt, r, IDLE)
        RF[r, RF_EV] = np.inf
        return
    # an LLM iteration is done: one token for every running sequence
    k = RI[r, RI_NACT] - 1
    while k >= 0:
        if sf[r, k, SF_FIRST] < 0.0:
            sf[r, k, SF_FIRST] = t  # prefill done: first token out
        si[r, k, SI_LEFT] -= 1
        if si[r, k, SI_LEFT] <= 0:
            _finish_st(prm, st, t, si[r, k, SI_CLASS], sf[r, k, SF_ARR], sf[r, k, SF_FIRST], si[r, k, SI_PTOK], si[r, k, SI_OTOK])
            RF[r, RF_KV] -= float(si[r, k, SI_PTOK] + si[r, k, SI_OTOK])
            IC[C_INSERVICE] -= 1
            last = RI[r, RI_NACT] - 1
            for j in range(4):
                sf[r, k, j] = sf[r, last, j]
                si[r, k, j] = si[r, last, j]
            RI[r, RI_NACT] = last
        k -= 1
    if RI[r, RI_DRAIN] == 0:
        _llm_admit(prm, st, r, p, t)
    if RI[r, RI_NACT] > 0:
        _llm_start(prm, st, r, p, t)
        return
    _set_work(prm, st, r, 0.0)
    if RI[r, RI_DRAIN] == 1:
        _turn_off(st, r)
    else:
        _set_state(RI, cnt, r, IDLE)
        RF[r, RF_EV] = np.inf


@njit(cache=True)
def _abandon(prm, st, q, t):
    """Client timeout: requests at the head of queue q whose wait reached their class's
    timeout leave now (abandoned: not served, not in the latency sketches; a realtime one
    counts as an SLO miss)."""
    CF = prm.cls
    QP, qf, qi = st.queue_ptr, st.queue_f, st.queue_i
    IC, FC, SER_CNT = st.counters, st.accum, st.series_counts
    cap = qf.shape[1]
    b = IC[C_BUCKET]
    while QP[q, QP_LEN] > 0:
        h = QP[q, QP_HEAD]
        c = qi[q, h, QI_CLASS]
        if qf[q, h, QF_ENQ] + CF[c, CF_TIMEOUT] > t:
            break
        QP[q, QP_HEAD] = (h + 1) % cap
        QP[q, QP_LEN] -= 1
        IC[C_QTOTAL] -= 1
        IC[C_INSYS] -= 1
        IC[C_ABANDONED] += 1
        FC[F_ABANDON_SOJOURN] += t - qf[q, h, QF_ARR]
        SER_CNT[b, SC_ABANDONED] += 1
        if CF[c, CF_TIER] == 0:
            IC[C_SLO_N] += 1
            SER_CNT[b, SC_SLO_N] += 1
    st.pool_state[q // 2, PS_DISPATCH] = 1.0  # the head changed: re-arm the batching timer


@njit(cache=True, nogil=True)  # nogil: a Python thread can read st.counters for a progress bar
def run_loop(T, seed, AF, trace_t, trace_p, trace_o, prm, st, W, nb, n_entry):
    """Simulate [0, T) seconds: prm (`state.Params`) is read, st (`state.State`) is updated in place.

    seed: the RNG seed; AF: arrival parameters (`arrivals.pack`); trace_t / trace_p / trace_o:
    replayed arrival times (s) and token sizes (0: draw); W: series bucket width, s; nb:
    number of buckets; n_entry: classes reached by arrivals (the first n_entry).
    """
    np.random.seed(seed)
    PF, TB, CF = prm.pool, prm.service_table, prm.cls
    RF, RI, sf, si = st.replica_f, st.replica_i, st.slot_f, st.slot_i
    QP, qf, qi, cnt = st.queue_ptr, st.queue_f, st.queue_i, st.replica_count
    IC, FC, H, HS = st.counters, st.accum, st.hist, st.hist_stats
    SER_CNT, SER_LAT, SER_HIST = st.series_counts, st.series_latency_sum, st.series_hist
    CLS_SERVED, CLS_BUSY, PS, ACC = st.class_served, st.class_busy_s, st.pool_state, st.replica_s
    SER_REP, SER_Q, SER_N = st.series_replica_s, st.series_queue_end, st.series_replicas
    WORK, SER_WORK = st.work_s, st.series_work_s
    P = PF.shape[0]
    R = RI.shape[0]
    qcap = qf.shape[1]
    # initial fleet: warm at t = 0
    for p in range(P):
        lo = int(PF[p, PF_LO])
        for r in range(lo, lo + int(PF[p, PF_INIT])):
            _set_state(RI, cnt, r, IDLE)
            if RI[r, RI_SPOT] == 1 and PF[p, PF_PREEMPT] > 0.0:
                RF[r, RF_PRE] = np.random.exponential(1.0 / PF[p, PF_PREEMPT])
        PS[p, PS_NEXT_EVAL] = PF[p, PF_INTERVAL] if PF[p, PF_ASMODE] > 0 else np.inf
        PS[p, PS_TIMER] = np.inf
        PS[p, PS_BELOW] = np.inf
    astate = np.zeros(1)
    poisson = AF[A_KIND] == K_POISSON
    has_timeout = False
    for c in range(CF.shape[0]):
        if CF[c, CF_TIMEOUT] < np.inf:
            has_timeout = True
    mean_gap = 1.0 / AF[A_RATE] if poisson else 0.0
    t = 0.0
    next_arr = next_arrival(AF, 0.0, trace_t, astate)
    ti = 0
    if next_arr >= T:
        next_arr = np.inf
    b = 0
    next_b = W if nb > 1 else np.inf
    events = 0
    while True:
        te = np.inf
        ri = -1
        for r in range(R):
            e = RF[r, RF_EV]
            if RF[r, RF_PRE] < e:
                e = RF[r, RF_PRE]
            if e < te:
                te = e
                ri = r
        tt = np.inf
        pt = -1
        ta = np.inf
        pa = -1
        for p in range(P):
            if PS[p, PS_TIMER] < tt:
                tt = PS[p, PS_TIMER]
                pt = p
            if PS[p, PS_NEXT_EVAL] < ta:
                ta = PS[p, PS_NEXT_EVAL]
                pa = p
        tab = np.inf  # the next client timeout: heads of the queues
        qab = -1
        if has_timeout:
            for q in range(QP.shape[0]):
                if QP[q, QP_LEN] > 0:
                    h = QP[q, QP_HEAD]
                    x = qf[q, h, QF_ENQ] + CF[qi[q, h, QI_CLASS], CF_TIMEOUT]
                    if x < tab:
                        tab = x
                        qab = q
        tn = min(te, next_arr, tt, ta, next_b, T, tab)
        dt = tn - t
        if dt > 0.0:
            for p in range(P):
                for plan in range(2):
                    for s in range(3):
                        n_ = cnt[p, plan, s]
                        if n_ != 0:
                            x = n_ * dt
                            ACC[p, plan, s] += x
                            SER_REP[b, p, plan, s] += x
                    w = PS[p, PS_WRATE + plan]  # LLM pools: work at full-batch cost
                    if w != 0.0:
                        WORK[p, plan] += w * dt
                        SER_WORK[b, p, plan] += w * dt
            FC[F_AREA_SYS] += IC[C_INSYS] * dt
            FC[F_AREA_Q] += IC[C_QTOTAL] * dt
            t = tn
        if tn >= T:
            break
        events += 1
        if tn == next_b:
            SER_Q[b] = IC[C_QTOTAL]
            SER_N[b] = cnt.sum()
            b += 1
            IC[C_BUCKET] = b
            next_b = (b + 1) * W if b + 1 < nb else np.inf
            continue
        if tn == te:
            p = RI[ri, RI_POOL]
            if RI[ri, RI_ST] == BUSY and PF[p, PF_LLM] == 0.0 and RF[ri, RF_EV] < RF[ri, RF_PRE]:
                # a batch is done (hot path)
                n = RI[ri, RI_NACT]
                for k in range(n):
                    c = si[ri, k, SI_CLASS]
                    if CF[c, CF_ESCP] > 0.0:
                        _finish(PF, CF, QP, qf, qi, IC, H, HS, SER_CNT, SER_LAT, SER_HIST, CLS_SERVED, PS,
                                t, c, sf[ri, k, SF_ARR], -1.0, si[ri, k, SI_PTOK], si[ri, k, SI_OTOK])
                        continue
                    # served: the same bookkeeping as _finish, written out: calling a shared njit helper
                    # here measured 10-20% fewer requests/s in benchmarks/bench_sim.py --quick
                    lat = t - sf[ri, k, SF_ARR]
                    hist_add(H, HS, H_LATENCY, lat)
                    IC[C_SERVED] += 1
                    IC[C_INSYS] -= 1
                    IC[C_IN_TOK] += si[ri, k, SI_PTOK]
                    IC[C_OUT_TOK] += si[ri, k, SI_OTOK]
                    CLS_SERVED[c] += 1
                    SER_CNT[b, SC_SERVED] += 1
                    SER_LAT[b] += lat
                    SER_HIST[b, bin_of(lat, SERIES_X_MIN, SERIES_INV_LOG_GAMMA, SERIES_NBINS)] += 1
                    if CF[c, CF_TIER] == 0:
                        hist_add(H, HS, H_LAT_RT, lat)
                        IC[C_SLO_N] += 1
                        SER_CNT[b, SC_SLO_N] += 1
                        if lat <= CF[c, CF_SLO]:
                            IC[C_SLO_OK] += 1
                            SER_CNT[b, SC_SLO_OK] += 1
                    else:
                        hist_add(H, HS, H_LAT_BATCH, lat)
                        if lat > CF[c, CF_DEADLINE]:
                            IC[C_LATE] += 1
                            SER_CNT[b, SC_LATE] += 1
                IC[C_INSERVICE] -= n
                RI[ri, RI_NACT] = 0
                RF[ri, RF_EV] = np.inf
                if RI[ri, RI_DRAIN] == 1:
                    _turn_off(st, ri)
                else:
                    cnt[p, RI[ri, RI_SPOT], BUSY] -= 1
                    cnt[p, RI[ri, RI_SPOT], IDLE] += 1
                    RI[ri, RI_ST] = IDLE
                PS[p, PS_DISPATCH] = 1.0
            else:
                _replica_cold(prm, st, ri, t)
        elif tn == next_arr:
            # an arrival (hot path): class, sizes, queue or drop
            IC[C_ARRIVED] += 1
            SER_CNT[b, SC_ARRIVED] += 1
            c = 0
            if n_entry > 1:
                u = np.random.random()
                while c < n_entry - 1 and u >= CF[c, CF_CUM]:
                    c += 1
            if ti < trace_p.shape[0] and trace_p[ti] > 0:
                ptok = trace_p[ti]
            else:
                ptok = int(round(draw(CF[c, CF_PK], CF[c, CF_PA], CF[c, CF_PB])))
            if ti < trace_o.shape[0] and trace_o[ti] > 0:
                otok = trace_o[ti]
            else:
                otok = int(round(draw(CF[c, CF_OK], CF[c, CF_OA], CF[c, CF_OB])))
            ptok = max(ptok, 1)
            otok = max(otok, 1)
            p = int(CF[c, CF_POOL])
            tier = int(CF[c, CF_TIER])
            q = 2 * p + tier
            if QP[q, QP_LEN] >= PF[p, PF_MAXQ]:
                IC[C_DROPPED] += 1
                IC[C_DROP_QUEUE] += 1
                IC[C_DROP_ARRIVAL] += 1
                SER_CNT[b, SC_DROPPED] += 1
                if tier == 0:
                    IC[C_SLO_N] += 1
                    SER_CNT[b, SC_SLO_N] += 1
            else:
                _push(QP, qf, qi, q, False, t, t, c, ptok, otok)
                IC[C_QTOTAL] += 1
                IC[C_INSYS] += 1
                if IC[C_QTOTAL] > IC[C_MAXQ]:
                    IC[C_MAXQ] = IC[C_QTOTAL]
                PS[p, PS_DISPATCH] = 1.0
            ti += 1
            if poisson:
                next_arr = t + np.random.exponential(mean_gap)
            else:
                next_arr = next_arrival(AF, t, trace_t, astate)
            if next_arr >= T:
                next_arr = np.inf
        elif tn == tt:
            PS[pt, PS_DISPATCH] = 1.0
        elif tn == tab:
            _abandon(prm, st, qab, t)
        else:
            _autoscale(prm, st, pa, t)
            PS[pa, PS_NEXT_EVAL] = t + PF[pa, PF_INTERVAL]
            PS[pa, PS_DISPATCH] = 1.0
        # dispatch: give waiting requests to idle replicas
        for p in range(P):
            if PS[p, PS_DISPATCH] == 0.0:
                continue
            PS[p, PS_DISPATCH] = 0.0
            if PF[p, PF_LLM] > 0.0:
                _llm_dispatch(prm, st, p, t)
                continue
            PS[p, PS_TIMER] = np.inf
            maxb = int(PF[p, PF_MAXB])
            maxwait = PF[p, PF_MAXWAIT]
            while cnt[p, 0, IDLE] + cnt[p, 1, IDLE] > 0:
                q = 2 * p
                if QP[q, QP_LEN] == 0:
                    q += 1
                    if QP[q, QP_LEN] == 0:
                        break
                n = QP[q, QP_LEN]
                if n < maxb and maxwait > 0.0:
                    deadline = qf[q, QP[q, QP_HEAD], 1] + maxwait
                    if t < deadline:
                        PS[p, PS_TIMER] = deadline
                        break
                r = int(PF[p, PF_LO])
                while RI[r, RI_ST] != IDLE:
                    r += 1
                h = QP[q, QP_HEAD]
                c0 = qi[q, h, QI_CLASS]
                k = 0
                while k < maxb and QP[q, QP_LEN] > 0:
                    h = QP[q, QP_HEAD]
                    if qi[q, h, QI_CLASS] != c0:
                        break
                    sf[r, k, SF_ARR] = qf[q, h, QF_ARR]
                    sf[r, k, SF_ENQ] = qf[q, h, QF_ENQ]
                    sf[r, k, SF_START] = t
                    sf[r, k, SF_FIRST] = -1.0
                    si[r, k, SI_CLASS] = c0
                    si[r, k, SI_PTOK] = qi[q, h, QI_PTOK]
                    si[r, k, SI_LEFT] = qi[q, h, QI_OTOK]
                    si[r, k, SI_OTOK] = qi[q, h, QI_OTOK]
                    hist_add(H, HS, H_WAIT, t - qf[q, h, QF_ENQ])
                    QP[q, QP_HEAD] = (h + 1) % qcap
                    QP[q, QP_LEN] -= 1
                    k += 1
                IC[C_QTOTAL] -= k
                IC[C_INSERVICE] += k
                kind = CF[c0, CF_SK]
                if kind == D_TABLE:
                    svc = TB[p, k]
                else:
                    svc = draw(kind, CF[c0, CF_SA], CF[c0, CF_SB]) * (1.0 + (k - 1) * CF[c0, CF_SPI])
                RF[r, RF_EV] = t + svc
                RI[r, RI_NACT] = k
                IC[C_BATCHES] += 1
                IC[C_BATCH_ITEMS] += k
                CLS_BUSY[c0] += svc
                cnt[p, RI[r, RI_SPOT], IDLE] -= 1
                cnt[p, RI[r, RI_SPOT], BUSY] += 1
                RI[r, RI_ST] = BUSY
    SER_Q[b] = IC[C_QTOTAL]
    SER_N[b] = cnt.sum()
    FC[F_T_END] = t
    IC[C_EVENTS] = events
