"""Public entry points: `simulate(scenario, catalog, seed)` and `simulate_config(config, seed)`.

`simulate_config` packs a plain `SimConfig` into arrays, runs the compiled loop
(`engine.run_loop`) and reads the sketches back into a `SimResult`. `simulate` first
builds the config from a scenario (`config_from_scenario`), then prices the replica-hours
through the same itemised breakdown as `estimate` (`econ.cost.itemise`).

Same config and seed give the same result, bit for bit (one RNG stream, seeded inside
the compiled code; no wall-clock data in the result's `to_dict`).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np

from infercost.core.money import to_decimal
from infercost.errors import InputError
from infercost.sim import engine as E
from infercost.sim.arrivals import mean_rate
from infercost.sim.arrivals import pack as pack_arrivals
from infercost.sim.autoscaler import METRICS
from infercost.sim.entities import PoolConfig, SimConfig
from infercost.sim.metrics import (
    H_LAT_BATCH,
    H_LAT_RT,
    H_LATENCY,
    H_TPOT,
    H_TTFT,
    H_WAIT,
    NBINS,
    NH,
    S_MAX,
    SERIES_NBINS,
    SERIES_REL_ERROR,
    quantiles,
    round_to_error,
    summary_ms,
)
from infercost.sim.service import D_TABLE, pack_service, pack_size
from infercost.sim.state import Params, State

MAX_BUCKETS = 1500
# Runs expected to simulate more requests than this are refused unless forced: at the
# measured 5-7 M requests/s (docs/simulator.md) 2e9 requests take 5-7 minutes of one core.
MAX_REQUESTS = 2e9


class TooManyRequestsError(InputError):
    """The run would simulate more than `MAX_REQUESTS` requests (pass force=True / --force)."""


def expected_requests(cfg: SimConfig) -> float:
    """Expected number of arrivals of a run: mean arrival rate (requests/s) x duration_s
    (for a trace, its timestamps before duration_s). Shadow copies are part of the rate."""
    return mean_rate(cfg.arrivals, cfg.duration_s) * cfg.duration_s


def check_size(cfg: SimConfig, max_requests: float = MAX_REQUESTS) -> float:
    """Expected requests of the run; raises TooManyRequestsError above max_requests."""
    n = expected_requests(cfg)
    if n > max_requests:
        raise TooManyRequestsError(
            f"would simulate about {n:.3g} requests (mean rate x duration_s), more than the "
            f"limit of {max_requests:.0e} (about 5-7 minutes at 5-7 M requests/s); shorten "
            f"duration_s or pass --force", "workload.duration_s")
    return n


class UnstableQueueError(InputError):
    """Offered load at or above capacity: the queue would grow without bound."""


@dataclass
class SimResult:
    """What a run measured. Times in ms inside the dicts, hours for replica-hours."""

    name: str
    seed: int
    duration_s: float
    requests: dict[str, int]
    latency_ms: dict[str, float] | None
    queue_wait_ms: dict[str, float] | None
    ttft_ms: dict[str, float] | None
    tpot_ms: dict[str, float] | None
    latency_by_tier_ms: dict[str, dict[str, float] | None]
    slo: dict[str, Any]
    utilization: float
    replica_hours: dict[str, Any]
    fleet: dict[str, Any]
    littles_law: dict[str, float]
    offered_utilization: dict[str, float]
    classes: list[dict[str, Any]]
    series: dict[str, list]
    usage: Any = None  # econ.usage.CapacityUsage
    cost: Any = None  # econ.breakdown.CostBreakdown
    wall_s: float = 0.0  # not part of to_dict (not deterministic)
    events: int = 0
    phases: dict[str, Any] | None = None  # spike: before / during / after
    _hist: Any = field(default=None, repr=False)
    _acc: Any = field(default=None, repr=False)  # replica-seconds [pool, plan, state]
    _ser_hist: Any = field(default=None, repr=False)
    _ser_rep: Any = field(default=None, repr=False)  # replica-seconds [bucket, pool, plan, state]
    _tokens: tuple[int, int] = (0, 0)
    notes: list[str] = field(default_factory=list)  # what the run left out, in words

    @property
    def cost_per_inference(self):
        return self.cost.cost_per_inference if self.cost is not None else None

    def wait_quantile(self, q: float) -> float:
        """Queue-wait quantile, seconds (sketch estimate, relative error < metrics.QUANTILE_REL_ERROR;
        never above the exact maximum)."""
        return self._quantile(H_WAIT, q)

    def latency_quantile(self, q: float) -> float:
        """End-to-end latency quantile of served requests, seconds (same sketch bound)."""
        return self._quantile(H_LATENCY, q)

    def _quantile(self, row: int, q: float) -> float:
        est = quantiles(self._hist[0][row], (q,))[0]
        return est if est != est else min(est, float(self._hist[1][row][S_MAX]))

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "scenario": self.name,
            "seed": self.seed,
            "duration_s": self.duration_s,
            "requests": self.requests,
            "latency_ms": self.latency_ms,
            "queue_wait_ms": self.queue_wait_ms,
        }
        if self.ttft_ms is not None:
            out["ttft_ms"] = self.ttft_ms
            out["tpot_ms"] = self.tpot_ms
        out["latency_by_tier_ms"] = self.latency_by_tier_ms
        out["slo_attainment"] = self.slo.get("attainment")
        out["slo"] = self.slo
        out["utilization"] = self.utilization
        out["replica_hours"] = self.replica_hours
        out["fleet"] = self.fleet
        out["littles_law"] = self.littles_law
        out["offered_utilization"] = self.offered_utilization
        out["classes"] = self.classes
        if self.cost is not None:
            out["cost_per_inference"] = self.cost.cost_per_inference
            out["cost"] = self.cost.to_dict()
        else:
            out["cost_per_inference"] = None
        if self.phases:
            out["phases"] = self.phases
        if self.notes:
            out["notes"] = self.notes
        out["series"] = self.series
        return out


# -- packing --------------------------------------------------------------------------

def _spot_slots(n: int, f: float) -> list[int]:
    """1 for the slots that are spot: any prefix of k slots has about k*f of them."""
    return [1 if math.floor((k + 1) * f + 1e-9) > math.floor(k * f + 1e-9) else 0 for k in range(n)]


def full_batch(cfg: SimConfig, pool: int) -> int:
    """An LLM pool's full batch (sequences): its max_batch, or fewer when its KV cache holds
    fewer sequences of the mean size (prompt + output tokens, weighted by the classes' shares;
    escalation-only classes count equally). The simulator measures an LLM replica's busy
    time as its work at this batch's cost (docs/simulator.md)."""
    p = cfg.pools[pool]
    kv = p.perf.kv_tokens if p.perf is not None else float("inf")
    if not math.isfinite(kv):
        return p.max_batch
    mine = [c for c in cfg.classes if c.pool == pool]
    if not mine:
        return p.max_batch
    w = [c.weight for c in mine] if sum(c.weight for c in mine) > 0 else [1.0] * len(mine)
    ctx = sum(wi * (c.prompt_tokens.mean + c.output_tokens.mean) for wi, c in zip(w, mine, strict=True)) / sum(w)
    return max(1, min(p.max_batch, int(kv // ctx)))


def offered_utilization(cfg: SimConfig) -> dict[str, float]:
    """Long-run offered load per pool / capacity at max replicas (>= 1: unstable)."""
    lam = mean_rate(cfg.arrivals, cfg.duration_s)
    wsum = sum(c.weight for c in cfg.classes)
    rates = [lam * c.weight / wsum for c in cfg.classes]
    for _ in range(len(cfg.classes)):  # propagate escalations (a DAG)
        flow = [lam * c.weight / wsum for c in cfg.classes]
        for i, c in enumerate(cfg.classes):
            if c.escalate_fraction > 0 and c.escalate_to >= 0:
                flow[c.escalate_to] += rates[i] * c.escalate_fraction
        rates = flow
    out: dict[str, float] = {}
    for pi, p in enumerate(cfg.pools):
        _, hi = SimConfig.bounds(p)
        work = 0.0  # replica-seconds per second at full batches
        for c, rate in zip(cfg.classes, rates, strict=True):
            if c.pool != pi or rate == 0:
                continue
            B = p.max_batch
            if p.perf is not None and p.perf.is_llm:
                pt, ot = c.prompt_tokens.mean, c.output_tokens.mean
                n = max(1, min(B, int(p.perf.kv_tokens // (pt + ot)) if math.isfinite(p.perf.kv_tokens) else B))
                per_req = (p.perf.prefill_fixed_s + p.perf.prefill_per_token_s * pt
                           + ot * float(p.perf.decode_s[n]) / n)
            elif c.service is not None:
                s = c.service
                per_req = s.mean_s * (1 + (B - 1) * s.per_item_fraction) / B
            else:
                per_req = float(p.perf.batch_s[B]) / B
            work += rate * per_req
        out[p.name] = round(work / hi, 6)
    return out


def _check_stable(cfg: SimConfig, util: dict[str, float]) -> None:
    for p in cfg.pools:
        u = util[p.name]
        if u >= 1.0:
            _, hi = SimConfig.bounds(p)
            need = math.floor(u * hi) + 1
            where = "deployment.replicas" if p.name == "main" else f"deployment.cascade.replicas ({p.name})"
            raise UnstableQueueError(
                f"unstable queue: offered utilisation {u:.3f} >= 1 at {hi} replica(s) "
                f"(the queue would grow without bound); needs at least {need} replicas, "
                f"bigger batches or faster service", where)


def _pack(cfg: SimConfig):
    P = len(cfg.pools)
    K = len(cfg.classes)
    # slots per pool
    bounds = [SimConfig.bounds(p) for p in cfg.pools]
    R = sum(hi for _, hi in bounds)
    S = max(p.max_batch for p in cfg.pools)
    PF = np.zeros((P, E.NPF))
    tab_w = S + 1
    TB = np.zeros((P, tab_w))
    rep_pool = np.zeros(R, dtype=np.int64)
    rep_spot = np.zeros(R, dtype=np.int64)
    lo = 0
    for i, p in enumerate(cfg.pools):
        mn, mx = bounds[i]
        a = p.autoscaler
        PF[i, E.PF_MAXB] = p.max_batch
        PF[i, E.PF_MAXWAIT] = p.max_wait_ms / 1000.0
        PF[i, E.PF_KV] = np.inf
        if p.perf is not None:
            if p.perf.is_llm:
                PF[i, E.PF_LLM] = 1.0
                PF[i, E.PF_KV] = p.perf.kv_tokens
                PF[i, E.PF_PF_FIXED] = p.perf.prefill_fixed_s
                PF[i, E.PF_PF_TOK] = p.perf.prefill_per_token_s
                d = np.asarray(p.perf.decode_s, dtype=np.float64)
                TB[i, : min(tab_w, len(d))] = d[:tab_w]
                PF[i, E.PF_FULL] = max(1, min(full_batch(cfg, i), len(d) - 1))
            elif p.perf.batch_s is not None:
                d = np.asarray(p.perf.batch_s, dtype=np.float64)
                TB[i, : min(tab_w, len(d))] = d[:tab_w]
        PF[i, E.PF_MIN] = mn
        PF[i, E.PF_MAX] = mx
        PF[i, E.PF_INIT] = p.replicas
        PF[i, E.PF_WARMUP] = a.warmup_s if a else 0.0
        PF[i, E.PF_ASMODE] = METRICS[a.metric] if a else 0
        PF[i, E.PF_TARGET] = a.target if a else 1.0
        PF[i, E.PF_INTERVAL] = a.evaluation_interval_s if a else np.inf
        PF[i, E.PF_SDDELAY] = a.scale_down_delay_s if a else 0.0
        PF[i, E.PF_PREEMPT] = p.preemptions_per_hour / 3600.0 if p.spot_fraction > 0 else 0.0
        rw = p.replacement_warmup_s if p.replacement_warmup_s is not None else (a.warmup_s if a else 120.0)
        PF[i, E.PF_REPL_WARMUP] = rw
        PF[i, E.PF_MAXQ] = p.max_queue
        PF[i, E.PF_LO] = lo
        PF[i, E.PF_HI] = lo + mx
        rep_pool[lo: lo + mx] = i
        rep_spot[lo: lo + mx] = _spot_slots(mx, p.spot_fraction)
        lo += mx
    CF = np.zeros((K, E.NCF))
    entries = [i for i, c in enumerate(cfg.classes) if c.weight > 0]
    if entries != list(range(len(entries))):
        raise InputError("classes reached by arrivals must come before escalation-only ones", "workload")
    wsum = sum(c.weight for c in cfg.classes)
    cum = 0.0
    for i, c in enumerate(cfg.classes):
        cum += c.weight / wsum
        CF[i, E.CF_CUM] = cum if c.weight > 0 else 2.0
        CF[i, E.CF_TIER] = 0 if c.tier == "realtime" else 1
        CF[i, E.CF_POOL] = c.pool
        k, sa, sb, spi = pack_service(c.service)
        if k == D_TABLE and not (cfg.pools[c.pool].perf is not None):
            raise InputError(f"class {c.name!r}: no service time", "service")
        CF[i, E.CF_SK], CF[i, E.CF_SA], CF[i, E.CF_SB], CF[i, E.CF_SPI] = k, sa, sb, spi
        CF[i, E.CF_SLO] = c.slo_ms / 1000.0 if c.slo_ms is not None else np.inf
        CF[i, E.CF_DEADLINE] = c.deadline_s if c.deadline_s is not None else np.inf
        CF[i, E.CF_TIMEOUT] = c.timeout_s if c.timeout_s is not None else np.inf
        CF[i, E.CF_ESCP] = c.escalate_fraction
        CF[i, E.CF_ESCTO] = c.escalate_to
        CF[i, E.CF_PK], CF[i, E.CF_PA], CF[i, E.CF_PB] = pack_size(
            c.prompt_tokens.mean, c.prompt_tokens.distribution, c.prompt_tokens.sigma)
        CF[i, E.CF_OK], CF[i, E.CF_OA], CF[i, E.CF_OB] = pack_size(
            c.output_tokens.mean, c.output_tokens.distribution, c.output_tokens.sigma)
    CF[len(entries) - 1, E.CF_CUM] = 1.0 + 1e-12  # guard the last entry class against rounding
    T = float(cfg.duration_s)
    W = float(cfg.series_bucket_s or 60.0)
    if T / W > MAX_BUCKETS:
        W = math.ceil(T / MAX_BUCKETS / 60.0) * 60.0
    nb = max(1, int(math.ceil(T / W - 1e-9)))
    maxq = max(p.max_queue for p in cfg.pools)
    qcap = maxq + R * S + 1
    NQ = 2 * P
    st = State(
        replica_f=np.stack([np.full(R, np.inf), np.full(R, np.inf), np.zeros(R), np.zeros(R)], axis=1),
        replica_i=np.stack([np.full(R, E.OFF, dtype=np.int64), np.zeros(R, dtype=np.int64),
                            np.zeros(R, dtype=np.int64), rep_pool, rep_spot], axis=1),
        slot_f=np.zeros((R, S, 4)),
        slot_i=np.zeros((R, S, 4), dtype=np.int64),
        queue_ptr=np.zeros((NQ, 2), dtype=np.int64),
        queue_f=np.zeros((NQ, qcap, 2)),
        queue_i=np.zeros((NQ, qcap, 3), dtype=np.int64),
        replica_count=np.zeros((P, 2, 3), dtype=np.int64),
        counters=np.zeros(E.NIC, dtype=np.int64),
        accum=np.zeros(E.NFC),
        hist=np.zeros((NH, NBINS), dtype=np.int64),
        hist_stats=np.zeros((NH, 3)),
        series_counts=np.zeros((nb, E.NSC), dtype=np.int64),
        series_latency_sum=np.zeros(nb),
        series_hist=np.zeros((nb, SERIES_NBINS), dtype=np.int32),
        class_served=np.zeros(K, dtype=np.int64),
        class_busy_s=np.zeros(K),
        pool_state=np.zeros((P, E.NPS)),
        replica_s=np.zeros((P, 2, 3)),
        series_replica_s=np.zeros((nb, P, 2, 3)),  # [bucket, pool, plan, state]
        series_queue_end=np.zeros(nb, dtype=np.int64),
        series_replicas=np.zeros(nb, dtype=np.int64),
        work_s=np.zeros((P, 2)),
        series_work_s=np.zeros((nb, P, 2)),
    )
    return Params(pool=PF, service_table=TB, cls=CF), st, T, W, nb, len(entries)


def _r(x: float, nd: int = 6) -> float:
    return float(round(float(x), nd))


def simulate_config(cfg: SimConfig, seed: int = 0, name: str = "", check_stable: bool = True,
                    force: bool = False, progress=None) -> SimResult:
    """Run a plain SimConfig. Raises InputError for bad values, UnstableQueueError if
    the long-run offered utilisation of a pool is >= 1, TooManyRequestsError if more than
    MAX_REQUESTS requests are expected and not `force`.

    progress: None, or a callable progress(arrived, expected) called once before the run
    (arrived 0) and about 5 times a second during it, with the arrivals so far and the
    expected total (the loop then runs in a thread; the results are the same).
    """
    cfg.validate()
    expected = expected_requests(cfg) if force else check_size(cfg)
    util = offered_utilization(cfg)
    if check_stable and not all(c.timeout_s is not None for c in cfg.classes):
        _check_stable(cfg, util)  # with a client timeout on every class the queue is bounded
    prm, st, T, W, nb, n_entry = _pack(cfg)
    AF = pack_arrivals(cfg.arrivals)
    tr = cfg.arrivals.trace_s
    trace_t = np.asarray(tr, dtype=np.float64) if tr is not None else np.zeros(0)
    empty = np.zeros(0, dtype=np.int64)
    a = cfg.arrivals
    tp = np.asarray(a.trace_prompt_tokens, dtype=np.int64) if a.trace_prompt_tokens is not None else empty
    to = np.asarray(a.trace_output_tokens, dtype=np.int64) if a.trace_output_tokens is not None else empty
    args = (T, int(seed) % (2**32), AF, trace_t, tp, to, prm, st, W, nb, n_entry)
    t0 = time.perf_counter()
    if progress is None:
        E.run_loop(*args)
    else:
        progress(0, expected)
        _run_with_progress(args, st, lambda n: progress(n, expected))
    wall = time.perf_counter() - t0
    res = _result(cfg, seed, name, st, T, W, nb, util, wall)
    if a.process == "trace":
        beyond = int(np.count_nonzero(trace_t >= T))
        res.requests["trace_after_duration"] = beyond
        if beyond:
            res.notes.append(f"{beyond} trace requests fall after duration_s ({T:g} s) and are not "
                             f"simulated")
    return res


def _run_with_progress(args: tuple, st: State, progress) -> None:
    """Run the compiled loop (which releases the GIL) in a thread; report arrivals meanwhile."""
    import threading

    failure: list[BaseException] = []

    def target() -> None:
        try:
            E.run_loop(*args)
        except BaseException as e:  # noqa: BLE001 - re-raised in the caller's thread
            failure.append(e)

    th = threading.Thread(target=target, daemon=True)
    th.start()
    while th.is_alive():
        th.join(0.2)
        progress(int(st.counters[E.C_ARRIVED]))
    if failure:
        raise failure[0]
    progress(int(st.counters[E.C_ARRIVED]))


def _result(cfg: SimConfig, seed: int, name: str, st: State, T: float, W: float, nb: int,
            util: dict[str, float], wall: float) -> SimResult:
    IC, FC, H, HS = st.counters, st.accum, st.hist, st.hist_stats
    CLS_SERVED, CLS_BUSY = st.class_served, st.class_busy_s
    ACC, SER_REP = _replica_seconds(cfg, st)
    arrived = int(IC[E.C_ARRIVED])
    served = int(IC[E.C_SERVED])
    dropped = int(IC[E.C_DROPPED])
    queued = int(IC[E.C_QTOTAL])
    inservice = int(IC[E.C_INSERVICE])
    abandoned = int(IC[E.C_ABANDONED])
    in_flight = queued + inservice
    if arrived != served + dropped + abandoned + in_flight:  # conservation of requests
        raise AssertionError(f"conservation broken: {arrived} != {served} + {dropped} + {abandoned} "
                             f"+ {in_flight}")
    requests = {
        "arrived": arrived, "served": served, "dropped": dropped, "abandoned": abandoned,
        "dropped_queue_full": int(IC[E.C_DROP_QUEUE]), "dropped_kv_cache": int(IC[E.C_DROP_KV]),
        "in_flight_end": in_flight, "late": int(IC[E.C_LATE]),
        "escalated": int(IC[E.C_ESCALATED]), "requeued_by_preemption": int(IC[E.C_REQUEUED]),
    }
    plans: dict[str, dict[str, float]] = {}
    for pi, p in enumerate(cfg.pools):
        for spot in (0, 1):
            plan = "spot" if spot else p.plan
            d = plans.setdefault(plan, {"busy": 0.0, "idle": 0.0, "warmup": 0.0})
            d["busy"] += ACC[pi, spot, E.BUSY] / 3600.0
            d["idle"] += ACC[pi, spot, E.IDLE] / 3600.0
            d["warmup"] += ACC[pi, spot, E.WARM] / 3600.0
    plans = {k: v for k, v in plans.items() if sum(v.values()) > 0}
    busy_h = sum(v["busy"] for v in plans.values())
    idle_h = sum(v["idle"] for v in plans.values())
    warm_h = sum(v["warmup"] for v in plans.values())
    replica_hours = {
        "total": _r(busy_h + idle_h + warm_h), "busy": _r(busy_h), "idle": _r(idle_h),
        "warmup": _r(warm_h),
        "by_plan": {k: {s: _r(x) for s, x in v.items()} | {"total": _r(sum(v.values()))}
                    for k, v in sorted(plans.items())},
        "by_pool": {p.name: _r(ACC[i].sum() / 3600.0) for i, p in enumerate(cfg.pools)},
    }
    utilization = _r(busy_h / (busy_h + idle_h)) if busy_h + idle_h > 0 else 0.0
    # Little's law: L (time-average in system) vs lambda * W (rate of admitted arrivals x mean
    # time in system of the served); requests dropped on arrival never enter the system
    L = FC[E.F_AREA_SYS] / T
    lam = (arrived - int(IC[E.C_DROP_ARRIVAL])) / T
    # time in system of the served and of the abandoned (client timeout)
    n_out = HS[H_LATENCY, 0] + abandoned
    Wm = (HS[H_LATENCY, 1] + FC[E.F_ABANDON_SOJOURN]) / n_out if n_out > 0 else 0.0
    lw = lam * Wm
    littles = {"L": _r(L), "lambda_per_s": _r(lam), "W_s": _r(Wm, 9), "lambda_W": _r(lw),
               "relative_gap": _r(abs(L - lw) / L) if L > 0 else 0.0}
    slo_n = int(IC[E.C_SLO_N])
    slo_thr = sorted({c.slo_ms for c in cfg.classes if c.slo_ms is not None and c.tier == "realtime"})
    slo = {
        "latency_ms": slo_thr[0] if len(slo_thr) == 1 else (slo_thr or None),
        "attainment": _r(IC[E.C_SLO_OK] / slo_n) if slo_thr and slo_n else None,
        "met": int(IC[E.C_SLO_OK]) if slo_thr else None,
        "counted": slo_n if slo_thr else None,
        "late_batch": int(IC[E.C_LATE]),
    }
    llm = any(p.perf is not None and p.perf.is_llm for p in cfg.pools)
    fleet = {
        "scale_ups": int(IC[E.C_SCALE_UP]), "scale_downs": int(IC[E.C_SCALE_DOWN]),
        "preemptions": int(IC[E.C_PREEMPT]), "max_queue": int(IC[E.C_MAXQ]),
        "mean_queue": _r(FC[E.F_AREA_Q] / T),
        "mean_batch": _r(IC[E.C_BATCH_ITEMS] / IC[E.C_BATCHES]) if IC[E.C_BATCHES] else None,
        "llm_iterations": int(IC[E.C_ITERS]) if llm else None,
        "pools": {p.name: {"replicas": list(SimConfig.bounds(p)), "max_batch": p.max_batch}
                  for p in cfg.pools},
    }
    total_busy = float(CLS_BUSY.sum())
    classes = [{"name": c.name, "tier": c.tier, "pool": cfg.pools[c.pool].name,
                "served": int(CLS_SERVED[i]),
                "busy_share": _r(CLS_BUSY[i] / total_busy) if total_busy > 0 else 0.0}
               for i, c in enumerate(cfg.classes)]
    series = _series(st, SER_REP, W, nb, T)
    res = SimResult(
        name=name, seed=int(seed), duration_s=T, requests=requests,
        latency_ms=summary_ms(H[H_LATENCY], HS[H_LATENCY]),
        queue_wait_ms=summary_ms(H[H_WAIT], HS[H_WAIT]),
        ttft_ms=summary_ms(H[H_TTFT], HS[H_TTFT]) if llm else None,
        tpot_ms=summary_ms(H[H_TPOT], HS[H_TPOT]) if llm else None,
        latency_by_tier_ms={"realtime": summary_ms(H[H_LAT_RT], HS[H_LAT_RT]),
                            "batch": summary_ms(H[H_LAT_BATCH], HS[H_LAT_BATCH])},
        slo=slo, utilization=utilization, replica_hours=replica_hours, fleet=fleet,
        littles_law=littles, offered_utilization=util, classes=classes, series=series,
        wall_s=wall, events=int(IC[E.C_EVENTS]), _hist=(H, HS), _acc=ACC, _ser_hist=st.series_hist,
        _ser_rep=SER_REP,
        _tokens=(int(IC[E.C_IN_TOK]), int(IC[E.C_OUT_TOK])),
    )
    return res


def _replica_seconds(cfg: SimConfig, st: State) -> tuple[np.ndarray, np.ndarray]:
    """Replica-seconds by (pool, plan, state) and by (bucket, pool, plan, state), copies.

    A replica is busy while it runs a batch; an LLM replica (continuous batching) runs
    something nearly all the time at any load, so its busy time is the work it did at
    full-batch cost (`engine._llm_start`: each decode step at decode_s[full] / full a
    sequence, prefills as run) and the rest of its ready time is idle: busy / ready is
    then the share of the full-batch capacity the load used, as `estimate` counts it.
    """
    acc, ser = st.replica_s.copy(), st.series_replica_s.copy()
    for i, p in enumerate(cfg.pools):
        if p.perf is None or not p.perf.is_llm:
            continue
        for a, work in ((acc[i], st.work_s[i]), (ser[:, i], st.series_work_s[:, i])):
            ready = a[..., E.BUSY] + a[..., E.IDLE]
            busy = np.minimum(work, ready)
            a[..., E.BUSY] = busy
            a[..., E.IDLE] = ready - busy
    return acc, ser


def _series(st: State, SER_REP: np.ndarray, W: float, nb: int, T: float) -> dict:
    SER_CNT, SER_LAT, SER_HIST = st.series_counts, st.series_latency_sum, st.series_hist
    SER_Q = st.series_queue_end
    t_s, p99, mean, util = [], [], [], []
    for b in range(nb):
        t_s.append(_r(b * W, 3))
        n = int(SER_CNT[b, E.SC_SERVED])
        mean.append(_r(SER_LAT[b] / n * 1e3, 3) if n else None)
        p99.append(round_to_error(quantiles(SER_HIST[b], (0.99,), series=True)[0] * 1e3, SERIES_REL_ERROR)
                   if n else None)
        busy = SER_REP[b, :, :, E.BUSY].sum()
        ready = busy + SER_REP[b, :, :, E.IDLE].sum()
        util.append(_r(busy / ready, 4) if ready > 0 else None)
    widths = np.minimum(W, T - np.arange(nb) * W)
    return {
        "bucket_s": W,
        "t_s": t_s,
        "arrivals": [int(x) for x in SER_CNT[:, E.SC_ARRIVED]],
        "served": [int(x) for x in SER_CNT[:, E.SC_SERVED]],
        "dropped": [int(x) for x in SER_CNT[:, E.SC_DROPPED]],
        "abandoned": [int(x) for x in SER_CNT[:, E.SC_ABANDONED]],
        "late": [int(x) for x in SER_CNT[:, E.SC_LATE]],
        "slo_met": [int(x) for x in SER_CNT[:, E.SC_SLO_OK]],
        "latency_mean_ms": mean,
        "latency_p99_ms": p99,
        "replicas_ready": [_r(x, 4) for x in (SER_REP[:, :, :, E.BUSY].sum(axis=(1, 2))
                                               + SER_REP[:, :, :, E.IDLE].sum(axis=(1, 2))) / widths],
        "replicas_warming": [_r(x, 4) for x in SER_REP[:, :, :, E.WARM].sum(axis=(1, 2)) / widths],
        "replica_seconds_base_plan": [_r(x, 3) for x in SER_REP[:, :, 0, :].sum(axis=(1, 2))],
        "replica_seconds_spot": [_r(x, 3) for x in SER_REP[:, :, 1, :].sum(axis=(1, 2))],
        "utilization": util,
        "queue_end": [int(x) for x in SER_Q],
    }


# -- from a scenario ------------------------------------------------------------------

def _size_spec(d, default_mean: float = 1.0):
    from infercost.sim.entities import SizeSpec
    from infercost.sim.service import lognormal_sigma

    if d is None:
        return SizeSpec(mean=default_mean)
    dist = d.distribution
    if dist is None:
        dist = "lognormal" if d.p95 is not None else "constant"
    sigma = lognormal_sigma(d.mean, d.p95) if (dist == "lognormal" and d.p95 is not None) else 0.5
    return SizeSpec(mean=float(d.mean), distribution=dist, sigma=sigma)


def _service_dist(svc):
    from infercost.sim.entities import ServiceDist

    if svc is None:
        return None
    per_item = svc.per_item_ms if svc.per_item_ms is not None else svc.mean_ms
    return ServiceDist(svc.distribution, mean_s=svc.mean_ms / 1000.0, sigma=svc.sigma,
                       per_item_fraction=per_item / svc.mean_ms)


def _pool(replicas, autoscaling, batching, pricing, spot, max_queue: int, name: str, perf=None,
          max_batch: int | None = None) -> PoolConfig:
    from infercost.core.scenario import Autoscaling, ReplicaRange
    from infercost.sim.entities import AutoscalerSpec

    scaler = None
    if isinstance(replicas, ReplicaRange):
        a = autoscaling or Autoscaling()
        target = a.target_utilization if a.metric == "utilization" else (a.target_queue_length or 4.0)
        scaler = AutoscalerSpec(metric=a.metric, target=target, evaluation_interval_s=a.evaluation_interval_s,
                                warmup_s=a.warmup_s, scale_down_delay_s=a.scale_down_delay_s)
        lo, hi = replicas.min, replicas.max
        init = replicas.initial if replicas.initial is not None else max(lo, 1)
    else:
        lo = hi = init = int(replicas)
    spot_fraction = 1.0 if pricing.plan == "spot" else float(pricing.spot_fraction or 0.0)
    return PoolConfig(
        replicas=init, min_replicas=lo, max_replicas=hi, autoscaler=scaler,
        max_batch=max_batch or batching.max_batch, max_wait_ms=batching.max_wait_ms,
        spot_fraction=spot_fraction,
        preemptions_per_hour=spot.preemptions_per_hour if spot else 0.0,
        replacement_warmup_s=(spot.warmup_s if spot and spot.warmup_s is not None
                              else (autoscaling.warmup_s if autoscaling else None)),
        max_queue=max_queue, plan=pricing.plan, perf=perf, name=name,
    )


def config_from_scenario(scenario, catalog=None) -> SimConfig:
    """Build the SimConfig of a scenario (service: or the perf model; see docs/simulator.md)."""
    from infercost.sim.arrivals import read_trace, read_trace_tokens
    from infercost.sim.entities import ArrivalSpec, RequestClass

    wl = scenario.workload
    dep = scenario.deployment
    a = wl.arrivals
    shadow = scenario.costs.experiments.shadow_fraction if scenario.costs.experiments else 0.0
    scale = 1.0 + shadow
    if a.process == "trace":
        from infercost.ingest.trace import SCENARIO_KEY

        trace = read_trace(a.path, SCENARIO_KEY)
        tp, to = read_trace_tokens(a.path, len(trace), SCENARIO_KEY)
        arr = ArrivalSpec("trace", rate_per_s=1.0, trace_s=trace, trace_prompt_tokens=tp, trace_output_tokens=to)
    else:
        arr = ArrivalSpec(a.process, rate_per_s=float(a.rate_per_s) * scale, peak_to_mean=a.peak_to_mean,
                          peak_hour=a.peak_hour, multiplier=a.multiplier,
                          start_s=float(a.start_s or 0.0), end_s=float(a.end_s or 0.0))
    perf = None
    max_batch = None
    if scenario.service is None:
        if catalog is None:
            from infercost.core.catalog import load_catalog

            catalog = load_catalog()
        from infercost.perf.service import service_time
        from infercost.sim.service import perf_tables

        perf = perf_tables(scenario, catalog, dep.batching.max_batch)
        max_batch = service_time(scenario, catalog).max_batch
    main = _pool(dep.replicas, dep.autoscaling, dep.batching, dep.pricing, dep.spot, dep.max_queue,
                 "main", perf, max_batch)
    pools = [main]
    slo = scenario.slo
    slo_ms = slo.p99_latency_ms or slo.p95_latency_ms or slo.p50_latency_ms
    timeout_s = slo.timeout_ms / 1000.0 if slo.timeout_ms is not None else None
    base_svc = _service_dist(scenario.service)
    mix = wl.mix or []
    classes: list[RequestClass] = []
    if not mix:
        classes.append(RequestClass(
            name="default", weight=1.0, tier="realtime", pool=0, service=base_svc,
            prompt_tokens=_size_spec(wl.request.prompt_tokens, 512),
            output_tokens=_size_spec(wl.request.output_tokens, 128), slo_ms=slo_ms, timeout_s=timeout_s))
    for m in mix:
        req = m.request or wl.request
        classes.append(RequestClass(
            name=m.name, weight=float(m.share), tier=m.tier, pool=0,
            service=_service_dist(m.service) if m.service else base_svc,
            prompt_tokens=_size_spec(req.prompt_tokens, 512), output_tokens=_size_spec(req.output_tokens, 128),
            slo_ms=m.slo_ms or slo_ms, deadline_s=m.deadline_s,
            timeout_s=timeout_s if m.tier == "realtime" else None))
    if dep.cascade is not None:
        cas = dep.cascade
        pools.append(_pool(cas.replicas, cas.autoscaling or dep.autoscaling, cas.batching or dep.batching,
                           dep.pricing, dep.spot, dep.max_queue, "cascade"))
        n = len(classes)
        extra = []
        for i, c in enumerate(classes):
            extra.append(RequestClass(
                name=f"{c.name}/escalated", weight=0.0, tier=c.tier, pool=1, service=_service_dist(cas.service),
                prompt_tokens=c.prompt_tokens, output_tokens=c.output_tokens, slo_ms=c.slo_ms,
                deadline_s=c.deadline_s, timeout_s=c.timeout_s))
            classes[i] = RequestClass(**{**c.__dict__, "escalate_fraction": cas.escalate_fraction,
                                         "escalate_to": n + i})
        classes.extend(extra)
    return SimConfig(duration_s=float(wl.duration_s), arrivals=arr, classes=classes, pools=pools)


def _usage(scenario, cfg: SimConfig, res: SimResult):
    from infercost.econ.usage import CapacityUsage

    shadow = scenario.costs.experiments.shadow_fraction if scenario.costs.experiments else 0.0
    if cfg.arrivals.process == "trace":
        shadow = 0.0
    dep = scenario.deployment
    gpus_main = dep.gpus_per_replica
    busy: dict[str, float] = {}
    idle: dict[str, float] = {}
    warm: dict[str, float] = {}
    acc = res._acc
    for pi, p in enumerate(cfg.pools):
        factor = 1.0
        if p.name == "cascade" and dep.cascade is not None and dep.cascade.gpus_per_replica:
            factor = dep.cascade.gpus_per_replica / gpus_main  # in main-replica equivalents
        for spot in (0, 1):
            plan = "spot" if spot else p.plan
            for d, s in ((busy, E.BUSY), (idle, E.IDLE), (warm, E.WARM)):
                x = float(acc[pi, spot, s]) / 3600.0 * factor
                if x > 0:
                    d[plan] = d.get(plan, 0.0) + x
    served = res.requests["served"]
    tin, tout = res._tokens
    gpu_hours: dict[str, dict[str, Decimal]] = {}
    for bucket in _bucket_gpu_hours(scenario, cfg, res):
        for plan, states in bucket.items():
            tot = gpu_hours.setdefault(plan, {"busy": Decimal(0), "idle": Decimal(0), "warmup": Decimal(0)})
            for k, h in states.items():
                tot[k] += h
    notes = []
    if shadow:
        notes.append(f"arrivals include {shadow:.0%} shadow copies (experiments)")
    return CapacityUsage(
        period_hours=cfg.duration_s / 3600.0,
        inferences=served / (1 + shadow),
        busy_hours=busy, idle_hours=idle, warmup_hours=warm,
        input_tokens=tin / (1 + shadow) if scenario.workload.request.prompt_tokens else 0.0,
        output_tokens=tout / (1 + shadow) if scenario.workload.request.output_tokens else 0.0,
        dropped=res.requests["dropped"] / (1 + shadow),
        shadow_inferences=served * shadow / (1 + shadow),
        source="simulate", notes=tuple(notes), gpu_hours=gpu_hours,
    )


def _pool_gpus(scenario, pool) -> int:
    dep = scenario.deployment
    if pool.name == "cascade" and dep.cascade is not None and dep.cascade.gpus_per_replica:
        return int(dep.cascade.gpus_per_replica)
    return int(dep.gpus_per_replica)


def _bucket_gpu_hours(scenario, cfg: SimConfig, res: SimResult) -> list[dict[str, dict[str, Decimal]]]:
    """GPU-hours per series bucket, by plan and state, each pool with its own GPUs per replica.

    Each bucket's figure is rounded to 1e-9 h once; the breakdown's GPU-hours are the exact
    Decimal sums of these, so the per-bucket cost series adds up to the accelerator lines.
    """
    rep = res._ser_rep  # replica-seconds [bucket, pool, spot, state]
    gpus = np.array([_pool_gpus(scenario, p) for p in cfg.pools], dtype=float)
    g = np.einsum("bpks,p->bks", rep, gpus) / 3600.0  # GPU-hours [bucket, spot, state]
    base = cfg.pools[0].plan  # every pool is priced on deployment.pricing's plan
    out = []
    for b in range(g.shape[0]):
        d: dict[str, dict[str, Decimal]] = {}
        for spot, plan in ((0, base), (1, "spot")):
            st = {name: to_decimal(round(float(g[b, spot, s_]), 9))
                  for name, s_ in (("busy", E.BUSY), ("idle", E.IDLE), ("warmup", E.WARM))}
            if any(st.values()):
                d[plan] = st
        out.append(d)
    return out


def _accelerator_series(scenario, catalog, cfg: SimConfig, res: SimResult) -> None:
    """Per-bucket accelerator cost per served request (Decimal strings), and spike phases."""
    from infercost.core.money import format_decimal
    from infercost.econ.cost import accelerator_cost, accelerator_rates

    buckets = _bucket_gpu_hours(scenario, cfg, res)
    rates = {p: r for p, (r, _) in accelerator_rates(scenario, catalog, res.usage.gpu_hours,
                                                        utilization=res.usage.utilization).items()}
    # the same econ function that prices the breakdown's lines, bucket by bucket
    cost = [accelerator_cost(rates, {p: sum(st.values(), Decimal(0)) for p, st in bk.items()},
                             scenario.currency).amount for bk in buckets]
    s = res.series
    s["accelerator_cost"] = [format_decimal(c) for c in cost]
    s["accelerator_cost_per_inference"] = [
        format_decimal((c / n).quantize(Decimal("0.00000001"))) if n else None
        for c, n in zip(cost, s["served"], strict=True)]
    a = cfg.arrivals
    if a.process != "spike":
        return
    hist = res._ser_hist
    phases = {}
    for name, lo, hi in (("before", 0.0, a.start_s), ("during", a.start_s, a.end_s),
                         ("after", a.end_s, cfg.duration_s)):
        idx = [i for i, t in enumerate(s["t_s"]) if lo <= t < hi]
        if not idx:
            continue
        served = sum(s["served"][i] for i in idx)
        c = sum((cost[i] for i in idx), Decimal(0))
        lat = [s["latency_mean_ms"][i] * s["served"][i] for i in idx if s["served"][i]]
        p99 = quantiles(hist[idx].sum(axis=0), (0.99,), series=True)[0] if served else float("nan")
        phases[name] = {
            "from_s": lo, "to_s": hi, "arrived": sum(s["arrivals"][i] for i in idx), "served": served,
            "dropped": sum(s["dropped"][i] for i in idx),
            "latency_mean_ms": _r(sum(lat) / served, 3) if served else None,
            "latency_p99_ms": round_to_error(p99 * 1e3, SERIES_REL_ERROR) if served else None,
            "slo_attainment": (_r(sum(s["slo_met"][i] for i in idx) / served, 6)
                               if served and res.slo["latency_ms"] else None),
            "replicas_mean": _r(sum(s["replicas_ready"][i] + s["replicas_warming"][i] for i in idx) / len(idx), 3),
            "accelerator_cost_per_inference": format_decimal((c / served).quantize(Decimal("0.00000001")))
            if served else None,
        }
    res.phases = phases


def _ttft_slo(scenario, res: SimResult) -> None:
    """Add `slo.ttft_ms` to `res.slo`: the threshold (`ttft_ms`) and the share of served
    requests whose first token came within it (`ttft_attainment`, from the TTFT histogram:
    `metrics.share_at_most`); None, with a note, when the run has no first token to time
    (not an LLM served token by token)."""
    thr = scenario.slo.ttft_ms
    if thr is None:
        return
    from infercost.sim.metrics import share_at_most

    res.slo["ttft_ms"] = thr
    H = res._hist[0] if res._hist is not None else None
    share = share_at_most(H[H_TTFT], thr / 1000.0) if (H is not None and res.ttft_ms is not None) else None
    res.slo["ttft_attainment"] = None if share is None else _r(share)
    if res.ttft_ms is None:
        res.notes.append(f"slo.ttft_ms {thr:g} ms not checked: no first token to time (not an LLM "
                         "served token by token by the performance model)")


def simulate(scenario, catalog=None, seed: int = 0, force: bool = False, progress=None) -> SimResult:
    """Simulate a scenario; the result carries the itemised CostBreakdown (`result.cost`).

    force / progress: as in `simulate_config` (a run above MAX_REQUESTS expected requests
    is refused unless force).
    """
    from infercost.econ.cost import itemise

    if catalog is None:
        from infercost.core.catalog import load_catalog

        catalog = load_catalog()
    from infercost.perf.service import check_model

    check_model(scenario, catalog)  # model.id is a catalog id, with or without service:
    cfg = config_from_scenario(scenario, catalog)
    res = simulate_config(cfg, seed=seed, name=scenario.name, force=force, progress=progress)
    _ttft_slo(scenario, res)
    res.usage = _usage(scenario, cfg, res)
    if scenario.service is not None:
        from dataclasses import replace

        from infercost.perf.service import physics_note

        note = physics_note(scenario, catalog)  # a service: time faster than physics
        if note:
            res.usage = replace(res.usage, notes=res.usage.notes + (note,))
    else:
        from dataclasses import replace

        from infercost.perf.measurements import load_calibration
        from infercost.perf.service import DEFAULT_TOKENS_NOTE, service_time

        calibrated = load_calibration(scenario.deployment.engine) is not None  # batch times matched under load
        notes = tuple(n for n in service_time(scenario, catalog).notes
                      if (calibrated and "bench --load" in n) or n.startswith(DEFAULT_TOKENS_NOTE))
        res.usage = replace(res.usage, notes=res.usage.notes + notes)
    res.cost = itemise(scenario, catalog, res.usage)
    from infercost.econ.energy import energy_facts

    res.cost.facts["energy"] = energy_facts(scenario, catalog, res.usage)
    _accelerator_series(scenario, catalog, cfg, res)
    return res
