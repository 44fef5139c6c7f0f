"""`optimize`: the cheapest plan meeting the SLOs and a quality floor, screened then simulated.

1. Grid (`decide.grid`): hardware or a MIG slice of it x precision x serving engine x GPUs
   per replica x max batch x fleet (a fixed replica count, or autoscaling bounds min..max
   costed over the workload's traffic shape, `decide.autoscale`) x pricing plan
   (on-demand, reserved, spot, on-demand with a spot share as fallback mix).
2. Screen (`decide.screen`): every candidate analytically, vectorised, at the peak rate,
   in chunks of configurations (`backend`: in this process, or as Ray tasks).
   Feasible: not overloaded, p99 <= slo.p99_latency_ms, TTFT p99 <= slo.ttft_ms (LLMs),
   quality >= the floor. A precision's quality is the scenario's for its own precision,
   or what an `options:` entry that sets that precision states; unknown quality fails a
   floor (never assumed).
3. Winner (cheapest, then lowest p99), runners-up, and the Pareto set of cost vs p99;
   runners-up and finalists differ in more than the max batch (the best batch of each).
4. The cheapest `finalists` distinct plans are simulated (`sim.simulate`, one task each on
   the backend) over the busiest hour: Poisson arrivals (constant ones for a scenario with
   `process: constant`) at the peak-minute rate for up to
   an hour (capped at `sim_requests` requests so a finalist takes seconds). An autoscaled
   finalist runs with its bounds, the autoscaler and warm-up, starting from the replicas
   its autoscaler wants at the window's start, on the traffic shape around the peak
   (diurnal: centred on the peak hour; spike: the onset a quarter into the window).

`--confidence q`: the SLO must hold with the service time at its q-quantile under the
performance model's own error distribution (`perf.uncertainty`: residuals of held-out
measurements for the model's family and each configuration's engine); `confidence_scale`
gives the multiplier.
SLOs no candidate meets: `InputError` naming the binding constraint and the closest
candidate.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np

from infercost.core.catalog import Catalog
from infercost.core.scenario import Scenario
from infercost.decide.autoscale import want
from infercost.decide.backend import check_backend, run_tasks
from infercost.decide.grid import Grid, build_grid, variant
from infercost.decide.latency import arrivals_note, queue_factor, service_tail_factor
from infercost.decide.screen import Screen, concat, screen
from infercost.decide.sizing import rate_profile
from infercost.errors import InputError

CHUNK = 48  # configurations per screening task


def confidence_scale(q: float | None, family: str = "decoder",
                     engine: str = "optimized") -> tuple[float, str | None]:
    """Service-time multiplier at confidence q in [0.5, 1): the performance model's
    error distribution for `family` served by `engine` (ln(measured / predicted time) of
    held-out rows, perf/data/residuals.json) at its q-quantile, relative to its median.

    Returns (scale >= 1 at q >= 0.5, note). Raises InputError outside [0.5, 1).
    """
    if q is None:
        return 1.0, None
    if not 0.5 <= q < 1:
        raise InputError(f"expected a confidence in [0.5, 1), got {q}", "--confidence")
    from infercost.perf.uncertainty import residual_quantile, residuals_for

    res, group, widen = residuals_for(family, engine)
    if not res:
        return 1.0, (f"--confidence {q:g}: no residuals for {family} on {engine}; service "
                     "times are used as estimated")
    scale = math.exp((residual_quantile(res, q) - residual_quantile(res, 0.5)) * widen)
    return max(1.0, scale), (f"--confidence {q:g}: service times x {scale:.3f}, their {q:.0%} "
                             f"quantile under the performance model's error ({group}, "
                             f"{len(res)} held-out rows)")


def _family_engine(scenario: Scenario, catalog: Catalog) -> tuple[str, str]:
    """The validation family of the scenario's model (decoder, moe, encoder, ...) and its engine."""
    from infercost.perf.uncertainty import perf_family

    engine = str(scenario.deployment.engine or "optimized")
    mid = scenario.model.id if scenario.model else None
    try:
        return (perf_family(catalog.get_model(mid)) if mid else "generic"), engine
    except InputError:
        return "generic", engine


def precision_quality(scenario: Scenario) -> dict[str, float | None]:
    """Quality by precision: the scenario's own, and each option that sets a precision;
    bf16 and fp16 share one when only one is stated (both 16-bit floats)."""
    q = scenario.model.quality
    out: dict[str, float | None] = {scenario.model.precision: q.value if q else None}
    for opt in scenario.options:
        prec = opt.set.get("model.precision")
        val = opt.set.get("model.quality.value")
        if prec and val is not None:
            out[prec] = float(val)
    for a, b in (("bf16", "fp16"), ("fp16", "bf16")):  # 16-bit floats: one quality
        if out.get(a) is None and out.get(b) is not None:
            out[a] = out[b]
    return out


@dataclass(frozen=True)
class Candidate:
    hardware: str  # catalog id, or `<gpu>:<profile>` for a MIG slice
    precision: str
    gpus_per_replica: int
    max_batch: int
    replicas: int  # fixed fleet, or the autoscaling max
    provider: str
    plan: str
    spot_fraction: float
    monthly_accelerator: float
    p99_ms: float
    ttft_ms: float | None
    utilization: float
    quality: float | None
    sim: dict[str, Any] | None = None
    engine: str = "optimized"
    mig: str | None = None
    min_replicas: int | None = None  # autoscaling min; None for a fixed fleet
    mean_replicas: float | None = None  # time-weighted replicas of an autoscaled fleet
    per_gpu_hour: str = ""  # price of one GPU (or MIG slice) hour on this plan
    capacity_per_replica: float = 0.0  # req/s at full batches
    energy: dict[str, Any] | None = None  # decide.energy facts of its analytic month (None: not modelled)

    @property
    def slo_met(self) -> bool | None:
        """Whether the simulation meets slo.p99_latency_ms and, where it measures a first
        token, slo.ttft_ms (p99): None when not simulated or there is no latency SLO; False
        when the simulation failed."""
        if self.sim is None:
            return None
        if "error" in self.sim:
            return False
        return self.sim.get("slo_met")

    @property
    def autoscaled(self) -> bool:
        return self.min_replicas is not None

    @property
    def label(self) -> str:
        spot = f"+{self.spot_fraction:.0%} spot" if self.spot_fraction and self.plan != "spot" else ""
        reps = f"{self.min_replicas}-{self.replicas}x" if self.autoscaled else f"{self.replicas}x"
        return (f"{reps} {self.hardware}x{self.gpus_per_replica} {self.precision} {self.engine} "
                f"b{self.max_batch} {self.provider} {self.plan}{spot}")

    def sets(self, fixed_engine: bool = False) -> dict[str, Any]:
        pricing = {"provider": self.provider, "plan": self.plan}
        if self.spot_fraction and self.plan != "spot":
            pricing["spot_fraction"] = self.spot_fraction
        reps: Any = ({"min": self.min_replicas, "max": self.replicas} if self.autoscaled
                     else self.replicas)
        out = {"deployment.hardware": self.hardware, "model.precision": self.precision,
               "deployment.gpus_per_replica": self.gpus_per_replica,
               "deployment.batching.max_batch": self.max_batch,
               "deployment.replicas": reps, "deployment.pricing": pricing}
        if not fixed_engine:
            out["deployment.engine"] = self.engine
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "hardware": self.hardware, "precision": self.precision,
                "engine": self.engine, "mig_profile": self.mig,
                "gpus_per_replica": self.gpus_per_replica, "max_batch": self.max_batch,
                "replicas": self.replicas,
                "autoscaling": ({"min": self.min_replicas, "max": self.replicas,
                                 "mean_replicas": round(self.mean_replicas or 0.0, 6)}
                                if self.autoscaled else None),
                "provider": self.provider, "plan": self.plan,
                "spot_fraction": self.spot_fraction,
                "per_gpu_hour": str(Decimal(self.per_gpu_hour).quantize(Decimal("0.000001")))
                if self.per_gpu_hour else None,
                "monthly_accelerator_cost": f"{self.monthly_accelerator:.2f}",
                "p99_ms": round(self.p99_ms, 3),
                "ttft_ms": None if self.ttft_ms is None else round(self.ttft_ms, 3),
                "utilization": round(self.utilization, 4), "quality": self.quality,
                "simulated": self.sim, "slo_met": self.slo_met, "energy": self.energy}


@dataclass
class Optimum:
    scenario: str
    currency: str
    candidates: int
    feasible: int
    screen_s: float
    winner: Candidate
    runners_up: list[Candidate]
    pareto: list[Candidate]
    finalists: list[Candidate]
    peak_rate_per_s: float
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"scenario": self.scenario, "currency": self.currency,
                "candidates_screened": self.candidates, "feasible": self.feasible,
                "peak_rate_per_s": round(self.peak_rate_per_s, 6),
                "winner": self.winner.to_dict(), "slo_met": self.winner.slo_met,
                "runners_up": [c.to_dict() for c in self.runners_up],
                "pareto": [c.to_dict() for c in self.pareto],
                "finalists": [c.to_dict() for c in self.finalists],
                "notes": self.notes}


def _plan_sets(scenario: Scenario, c: Candidate, fixed_engine: bool) -> dict[str, Any]:
    """`--set`-style overrides that turn `scenario` into candidate `c`'s plan: its
    `Candidate.sets`, the tensor-parallel degree when the perf model sizes the replica,
    and the scenario's own price per GPU-hour carried over as the plan's."""
    sets = c.sets(fixed_engine)
    if scenario.service is None:
        sets["deployment.tp"] = c.gpus_per_replica
    if scenario.deployment.pricing.price_per_gpu_hour is not None and c.per_gpu_hour:
        sets["deployment.pricing"] = {**sets["deployment.pricing"],
                                      "price_per_gpu_hour": Decimal(c.per_gpu_hour)}
    return sets


def _candidate(grid: Grid, s: Screen, i: int, quality: dict[str, float | None]) -> Candidate:
    c = grid.configs[int(s.config[i])]
    p = grid.plans[c.hardware][int(s.plan[i])]
    ttft = float(s.ttft_s[i]) * 1000 if c.is_llm else None
    n, lo = int(s.replicas[i]), int(s.min_replicas[i])
    return Candidate(c.hardware, c.precision, c.gpus, int(s.max_batch[i]), n,
                     p.provider, p.plan, p.spot_fraction, float(s.monthly_accelerator[i]),
                     float(s.p99_s[i]) * 1000, ttft, float(s.utilization[i]), quality.get(c.precision),
                     engine=c.engine, mig=c.mig, min_replicas=lo if lo < n else None,
                     mean_replicas=float(s.mean_replicas[i]) if lo < n else None,
                     per_gpu_hour=str(p.per_gpu_hour), capacity_per_replica=float(s.mu[i]))


def feasibility(grid: Grid, s: Screen, scenario: Scenario, quality_floor: float | None,
                quality: dict[str, float | None]) -> dict[str, np.ndarray]:
    """Boolean array per constraint (True = met)."""
    out = {"capacity": np.isfinite(s.p99_s)}
    if scenario.slo.p99_latency_ms is not None:
        out["p99"] = s.p99_s * 1000 <= scenario.slo.p99_latency_ms
    llm = np.array([c.is_llm for c in grid.configs])[s.config]
    if scenario.slo.ttft_ms is not None and llm.any():
        out["ttft"] = ~llm | (s.ttft_s * 1000 <= scenario.slo.ttft_ms)
    if quality_floor is not None:
        qp = np.array([quality.get(c.precision) if quality.get(c.precision) is not None else -math.inf
                       for c in grid.configs])
        out["quality"] = qp[s.config] >= quality_floor
    return out


def _binding(ok: dict[str, np.ndarray], s: Screen, scenario: Scenario, grid: Grid,
             quality: dict[str, float | None]) -> InputError:
    """No candidate meets everything: name the constraint and the closest candidate."""
    names = [k for k in ok if k != "capacity"]
    cap = ok["capacity"]
    if not cap.any():
        return InputError("no candidate has the capacity for the peak rate even at the largest "
                          "fleet searched (1,024 replicas)", "workload.arrivals")
    # the constraint that fails most often among candidates meeting all the others
    worst = None
    for k in names:
        others = cap.copy()
        for j in names:
            if j != k:
                others &= ok[j]
        if others.any() and not (others & ok[k]).any():
            worst = k
            break
    worst = worst or names[0]
    slo = {"p99": ("slo.p99_latency_ms", scenario.slo.p99_latency_ms, s.p99_s * 1000),
           "ttft": ("slo.ttft_ms", scenario.slo.ttft_ms, s.ttft_s * 1000)}
    if worst in slo:
        key, limit, val = slo[worst]
        i = int(np.argmin(np.where(cap, val, np.inf)))
        c = _candidate(grid, s, i, quality)
        return InputError(f"no candidate meets {worst} <= {limit:g} ms; the closest is {c.label} at "
                          f"{val[i]:,.1f} ms ({c.monthly_accelerator:,.2f} {scenario.currency} a month)", key)
    best_q = max((v for v in quality.values() if v is not None), default=None)
    return InputError(f"no precision has a stated quality at or above the floor; known: "
                      f"{', '.join(f'{k} {v}' for k, v in quality.items())} (best {best_q})",
                      "--quality-floor")


def pareto_front(cost: np.ndarray, p99: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Indices (of idx) on the cost-p99 frontier: each has a lower p99 than every cheaper one."""
    order = idx[np.lexsort((p99[idx], cost[idx]))]
    best = np.inf
    keep = []
    for i in order:
        if p99[i] < best:
            keep.append(i)
            best = p99[i]
    return np.array(keep, dtype=np.int64)


def ramp_lag(scenario: Scenario, slices: int) -> int:
    """Slices of the rate profile between a rise in traffic and the replicas it calls for
    serving: the autoscaler's warm-up plus one evaluation interval (defaults 120 s and 30 s
    when the scenario has no autoscaling block), rounded up to whole slices."""
    from infercost.core.scenario import Autoscaling

    auto = scenario.deployment.autoscaling or Autoscaling()
    dt = scenario.workload.duration_s / max(1, slices)
    return int(math.ceil((auto.warmup_s + auto.evaluation_interval_s) / dt - 1e-9))


def screen_grid(scenario: Scenario, grid: Grid, scale=1.0, *, autoscale: bool = True,
                backend: str = "local") -> tuple[Screen, float, float]:
    """(every candidate screened, peak rate req/s, autoscaler target): the grid in chunks of
    CHUNK configurations, one task each on `backend`."""
    rates = np.asarray(rate_profile(scenario), dtype=float)
    lam = float(rates.max())
    wait_s = scenario.deployment.batching.max_wait_ms / 1000.0
    auto = scenario.deployment.autoscaling
    target = auto.target_utilization if auto is not None else 0.7
    tail = service_tail_factor(scenario)
    scales = np.broadcast_to(np.asarray(scale, dtype=float), (len(grid.configs),))
    slo = scenario.slo.p99_latency_ms
    tasks = [(Grid(grid.configs[k:k + CHUNK], grid.plans), lam, wait_s, tail, scales[k:k + CHUNK],
              rates if autoscale else None, target, None if slo is None else slo / 1000.0,
              ramp_lag(scenario, len(rates)), queue_factor(scenario))
             for k in range(0, len(grid.configs), CHUNK)]
    parts = run_tasks(screen, tasks, backend)
    return concat([(k * CHUNK, part) for k, part in enumerate(parts)]), lam, target


def optimize(scenario: Scenario, catalog: Catalog, *, confidence: float | None = None,
             quality_floor: float | None = None, finalists: int = 20, runners_up: int = 5,
             simulate: bool = True, sim_requests: int = 20_000, seed: int = 0,
             hardware: list[str] | None = None, engines: list[str] | None = None,
             mig: list[str] | None = None, autoscale: bool = True,
             backend: str = "local") -> Optimum:
    """Screen the grid and confirm the finalists (module doc).

    engines: engine names to search (None: every engine valid for the model and hardware);
    mig: MIG profile names (None: all, []: none); autoscale: also search autoscaling
    bounds; backend: ``local`` or ``ray`` (same results). Raises InputError for bad options
    (a quality floor that is not a finite number), an unknown engine or MIG profile, and
    when no candidate meets the constraints."""
    for name, v in (("finalists", finalists), ("runners_up", runners_up), ("seed", seed)):
        if v < 0:
            raise InputError(f"must be a whole number >= 0, got {v}", name)
    if quality_floor is not None and not math.isfinite(quality_floor):
        raise InputError(f"expected a finite number, got {quality_floor}", "--quality-floor")
    check_backend(backend)
    notes: list[str] = []
    fam, eng = _family_engine(scenario, catalog)
    t0 = time.perf_counter()
    grid = build_grid(scenario, catalog, hardware=hardware, engines=engines, mig=mig)
    notes.extend(grid.notes)
    if any(c.is_llm for c in grid.configs):
        from infercost.perf.service import default_tokens_note

        tok = default_tokens_note(scenario)  # the grid's LLM batch times use the assumed sizes
        if tok:
            notes.append(tok)
    by_engine: dict[str, float] = {}
    by_note: dict[str, list[str]] = {}
    for e in dict.fromkeys(c.engine for c in grid.configs):
        by_engine[e], note = confidence_scale(confidence, fam, e if scenario.service is None else eng)
        if note:
            by_note.setdefault(note, []).append(e)
    for note, engs in by_note.items():
        notes.append(f"{note} (engines: {', '.join(engs)})" if len(by_engine) > 1 else note)
    scale = np.array([by_engine[c.engine] for c in grid.configs])
    s, lam, target = screen_grid(scenario, grid, scale, autoscale=autoscale, backend=backend)
    notes.append(f"screen's {arrivals_note(scenario)}")
    quality = precision_quality(scenario)
    unknown = sorted({c.precision for c in grid.configs if quality.get(c.precision) is None})
    if unknown:
        notes.append(f"no stated quality for {', '.join(unknown)}: "
                     + ("excluded by the quality floor" if quality_floor is not None else
                        "set --quality-floor to exclude them, or add options stating their quality"))
    ok = feasibility(grid, s, scenario, quality_floor, quality)
    meets = np.logical_and.reduce(list(ok.values()))
    screen_s = time.perf_counter() - t0
    if not meets.any():
        raise _binding(ok, s, scenario, grid, quality)
    idx = np.flatnonzero(meets)
    is_auto = (s.min_replicas < s.replicas).astype(np.int8)
    # cheapest, then lowest p99, then a fixed fleet, then the higher autoscaling min
    order = idx[np.lexsort((-s.min_replicas[idx], is_auto[idx], s.p99_s[idx], s.monthly_accelerator[idx]))]
    top = _distinct(grid, s, order, quality, max(finalists, runners_up + 1))
    front = [_candidate(grid, s, int(i), quality)
             for i in pareto_front(s.monthly_accelerator, s.p99_s, idx)]
    dep = scenario.deployment
    preempt = bool(dep.spot is not None and dep.spot.preemptions_per_hour > 0)
    fin = _finalists(grid, s, order, quality, finalists, preempt) if simulate else top[:finalists]
    if simulate and fin:
        cat = grid.catalog or catalog
        fin = run_tasks(_simulate, [(scenario, cat, c, lam, sim_requests, seed, target, grid.engine_fixed)
                                    for c in fin], backend)
        proc = "constant arrivals" if scenario.workload.arrivals.process == "constant" else "Poisson"
        notes.append(f"finalists simulated over the busiest hour: {proc} at the peak "
                     f"{lam:,.2f} req/s for {_sim_duration(lam, sim_requests):,.0f} s (longer where "
                     f"a warm-up is in play), seed {seed}"
                     + ("; autoscaled ones with their bounds, autoscaler and warm-up on the traffic "
                        "shape around the peak" if any(c.autoscaled for c in fin) else ""))
    winner = top[0]
    if simulate and fin:
        winner, note = _confirmed(fin, scenario.slo.p99_latency_ms, scenario.slo.ttft_ms)
        if note:
            notes.append(note)
    if autoscale and not (s.min_replicas < s.replicas).any():
        notes.append("autoscaling bounds searched but none differ from a fixed fleet (flat traffic, "
                     "or the autoscaler never reaches max at the peak)")
    notes.append("autoscaled fleets are costed on the time-weighted replicas their autoscaler wants "
                  f"(target {target:.0%} of full-batch capacity); warm-up and scale-down delay are "
                  "left to the simulation, but the min is raised so the fleet holds the SLO through the "
                  "steepest ramp given the warm-up; spot mixes assume on-demand fallback keeps capacity"
                  if autoscale else "fixed fleets sized for the peak and paid all month (--no-autoscale); "
                  "spot mixes assume on-demand fallback keeps capacity")
    others = [c for c in top if c.label != winner.label][:runners_up]
    fin = fin if simulate else []
    if fin:  # a reported plan whose fleet was simulated shows that simulation
        others, front = _with_sim(others, fin, preempt), _with_sim(front, fin, preempt)
    whole = _instances_note(grid.catalog or catalog, [winner] + others)
    if whole:
        notes.append(whole)
    (winner, others, front, fin), why = _with_energy(scenario, grid.catalog or catalog, grid.engine_fixed,
                                                     [[winner], others, front, fin])
    notes.extend(why)
    notes.append("energy and carbon: each reported plan's analytic month (as `infercost estimate`) "
                 "through the power model, once per distinct plan")
    return Optimum(scenario.name, scenario.currency, len(s), int(meets.sum()), screen_s, winner[0],
                   others, front, fin, lam, notes)


def _instances_note(catalog: Catalog, cands: list[Candidate]) -> str | None:
    """One note naming the reported plans whose accelerators at the peak are not a whole
    number of their priced instance's (`decide.instances`); prices stay as listed."""
    from infercost.core.catalog import whole_instances_note

    parts = []
    for c in cands:
        if c.mig:
            continue  # a slice is priced at its share of one GPU, not of an instance
        n = whole_instances_note(catalog, c.provider, c.hardware, c.plan, c.gpus_per_replica, c.replicas)
        if n:
            parts.append(f"{c.label}: {n}")
    if not parts:
        return None
    return "instances not rented whole (reported plans; fleets at their peak): " + "; ".join(parts)


def _fleet(c: Candidate, by_plan: bool) -> tuple:
    """What a simulation depends on: the fleet (hardware, precision, engine, GPUs, max batch,
    replicas or bounds) and, when spot preemptions make plans simulate differently
    (`by_plan`), the plan."""
    key = (c.hardware, c.precision, c.engine, c.gpus_per_replica, c.max_batch, c.replicas,
           c.min_replicas)
    return key + ((c.provider, c.plan, c.spot_fraction) if by_plan else ())


def _with_sim(cands: list[Candidate], fin: list[Candidate], by_plan: bool) -> list[Candidate]:
    """`cands` with the simulation of the finalist that runs the same fleet (`_fleet`), so a
    plan shows one SLO verdict in every table; those not simulated are unchanged."""
    from dataclasses import replace

    sims = {_fleet(f, by_plan): f.sim for f in fin if f.sim is not None}
    return [replace(c, sim=sims[_fleet(c, by_plan)]) if c.sim is None and _fleet(c, by_plan) in sims
            else c for c in cands]


def _with_energy(scenario: Scenario, catalog: Catalog, fixed_engine: bool,
                 groups: list[list[Candidate]]) -> tuple[list[list[Candidate]], list[str]]:
    """(`groups` with each candidate's energy (`decide.energy.plan_energy`), notes naming the
    plans whose energy is not modelled and why): computed once per distinct plan (label), for
    the reported candidates only, never the whole grid."""
    from dataclasses import replace

    from infercost.decide.energy import plan_energy

    memo: dict[str, dict[str, Any] | None] = {}
    why: dict[str, list[str]] = {}
    out = []
    for g in groups:
        row = []
        for c in g:
            if c.label not in memo:
                sets = _plan_sets(scenario, c, fixed_engine)
                try:
                    memo[c.label], reason = plan_energy(variant(scenario, sets), catalog)
                except InputError as e:
                    memo[c.label], reason = None, str(e)
                if reason:
                    why.setdefault(reason, []).append(c.label)
            row.append(replace(c, energy=memo[c.label]))
        out.append(row)
    return out, [f"energy not modelled (shown '-') for {len(labels)} reported plan"
                 f"{'s' if len(labels) > 1 else ''} ({labels[0]}{', ...' if len(labels) > 1 else ''}): {reason}"
                 for reason, labels in why.items()]


def _confirmed(fin: list[Candidate], slo_ms: float | None,
               ttft_ms: float | None = None) -> tuple[Candidate, str | None]:
    """The winner: the cheapest finalist whose simulation meets the SLOs (p99, and TTFT p99
    where the run measures one: `slo_met`); when none does, the one with the lowest
    simulated p99 (a note says so); the screen's cheapest when there is no latency SLO."""
    if slo_ms is None and ttft_ms is None:
        return fin[0], None

    def met(c: Candidate) -> bool:
        return c.slo_met is True

    for k, c in enumerate(fin):
        if met(c):
            if k == 0:
                return c, None
            s0 = fin[0].sim or {}
            p0, t0 = s0.get("p99_ms"), s0.get("ttft_p99_ms")
            if p0 is None:
                what, why = _slos(slo_ms, ttft_ms), "simulation failed"
            else:  # name the SLO(s) it misses, with the simulated figures
                p_miss = slo_ms is not None and p0 > slo_ms
                t_miss = ttft_ms is not None and t0 is not None and t0 > ttft_ms
                what = _slos(slo_ms if p_miss else None, ttft_ms if t_miss else None)
                why = ", ".join(([f"simulated p99 {p0:,.1f} ms"] if p_miss else [])
                                + ([f"simulated TTFT p99 {t0:,.1f} ms"] if t_miss else []))
            return c, (f"the screen's cheapest, {fin[0].label}, misses {what} in "
                       f"simulation ({why}); the winner is the cheapest finalist that meets the SLOs")
    def p99(k: int) -> float:
        p = (fin[k].sim or {}).get("p99_ms")
        return math.inf if p is None else float(p)

    best = min(range(len(fin)), key=lambda k: (p99(k), k))
    if math.isinf(p99(best)):
        best = 0
    return fin[best], (f"no finalist meets {_slos(slo_ms, ttft_ms)} in simulation; the winner is the "
                       f"one closest to it (lowest simulated p99): simulate more finalists "
                       f"(--finalists) or relax the SLO")


def _slos(slo_ms: float | None, ttft_ms: float | None) -> str:
    """'the p99 SLO (4000 ms)', 'the p99 and TTFT SLOs (4000 ms, 500 ms)' or 'the TTFT SLO (500 ms)'."""
    if ttft_ms is None:
        return f"the p99 SLO ({slo_ms:g} ms)" if slo_ms is not None else "the SLOs"
    if slo_ms is None:
        return f"the TTFT SLO ({ttft_ms:g} ms)"
    return f"the p99 and TTFT SLOs ({slo_ms:g} ms, {ttft_ms:g} ms)"


def _distinct(grid: Grid, s: Screen, order: np.ndarray, quality: dict[str, float | None],
              k: int) -> list[Candidate]:
    """The first k candidates in `order` that differ in more than the max batch (the cheapest,
    then lowest-p99 batch of each hardware x precision x GPUs x replicas x plan)."""
    out: list[Candidate] = []
    seen: set[tuple] = set()
    for i in order:
        key = (int(s.config[i]), int(s.plan[i]), int(s.replicas[i]), int(s.min_replicas[i]))
        if key in seen:
            continue
        seen.add(key)
        out.append(_candidate(grid, s, int(i), quality))
        if len(out) >= k:
            break
    return out


def _finalists(grid: Grid, s: Screen, order: np.ndarray, quality: dict[str, float | None], k: int,
               by_plan: bool) -> list[Candidate]:
    """The cheapest k distinct fleets to simulate: one per configuration x replicas x
    autoscaling min (its cheapest plan; per plan too when spot preemptions make plans
    simulate differently, `by_plan`). When none of them is a fixed fleet, the cheapest
    fixed fleet takes the last place (the SLO check at the peak is exact for it, so the
    simulation has a fallback to confirm)."""
    out: list[Candidate] = []
    seen: set[tuple] = set()
    fixed_i = None
    for i in order:
        key = (int(s.config[i]), int(s.replicas[i]), int(s.min_replicas[i]),
               int(s.plan[i]) if by_plan else -1)
        if fixed_i is None and s.min_replicas[i] == s.replicas[i]:
            fixed_i = int(i)
        if key in seen:
            continue
        if len(out) < k:
            seen.add(key)
            out.append(_candidate(grid, s, int(i), quality))
        elif fixed_i is not None:
            break
    if out and fixed_i is not None and all(c.autoscaled for c in out):
        out[-1] = _candidate(grid, s, fixed_i, quality)
    return out


def _sim_duration(lam: float, max_requests: int, floor_s: float | None = None,
                  want_s: float | None = None) -> float:
    """Seconds simulated: max_requests at the peak rate, within [60, 3600]; at least
    `floor_s` (a warm-up in play plus room to see it), and up to `want_s` (an autoscaled
    fleet: 3 warm-ups plus a minute) while that stays within 5 x max_requests requests."""
    per = max_requests / max(lam, 1e-9)
    out = min(3600.0, max(60.0, per))
    if floor_s is not None:
        out = max(out, min(3600.0, floor_s))
    if want_s is not None:
        out = max(out, min(3600.0, want_s, 5 * per))
    return float(out)


def _warmups(scenario: Scenario, c: Candidate) -> tuple[float | None, float | None]:
    """(floor_s, want_s) for `_sim_duration`: the simulator needs every warm-up in play (an
    autoscaler's, a spot replacement's) shorter than the run."""
    dep = scenario.deployment
    auto = dep.autoscaling
    ev = auto.evaluation_interval_s if auto is not None else 30.0
    warm: list[float] = []
    if c.autoscaled:
        warm.append(auto.warmup_s if auto is not None else 120.0)
    if c.spot_fraction > 0 or c.plan == "spot":
        w = (dep.spot.warmup_s if dep.spot is not None and dep.spot.warmup_s is not None
             else (auto.warmup_s if auto is not None else None))
        if w is not None:
            warm.append(w)
    if not warm:
        return None, None
    floor = max(warm) + 2 * ev + 60.0
    return floor, (3 * max(warm) + 60.0 if c.autoscaled else None)


def sim_window(scenario: Scenario, c: Candidate, lam: float, duration: float,
               target: float) -> dict[str, Any]:
    """The `--set`s of a finalist's simulation window (module doc, step 4)."""
    sets: dict[str, Any] = {"workload.duration_s": duration}
    a = scenario.workload.arrivals
    shadow = scenario.costs.experiments.shadow_fraction if scenario.costs.experiments else 0.0
    start_rate = lam
    if c.autoscaled and a.process == "diurnal":
        from infercost.core.traffic import diurnal_factor

        peak_hour = duration / 2 / 3600.0
        base = float(a.rate_per_s) * (1.0 + shadow)
        sets["workload.arrivals"] = {"process": "diurnal", "rate_per_s": base,
                                     "peak_to_mean": a.peak_to_mean, "peak_hour": peak_hour}
        start_rate = base * diurnal_factor(0.0, a.peak_to_mean, peak_hour)
    elif c.autoscaled and a.process == "spike":
        base = float(a.rate_per_s) * (1.0 + shadow)
        start = duration / 4
        sets["workload.arrivals"] = {"process": "spike", "rate_per_s": base, "multiplier": a.multiplier,
                                     "start_s": start, "end_s": min(duration, start + (a.end_s - a.start_s))}
        start_rate = base
    else:  # the scenario's own process: constant gaps stay constant, the rest are Poisson
        proc = "constant" if a.process == "constant" else "poisson"
        sets["workload.arrivals"] = {"process": proc, "rate_per_s": lam}
    if c.autoscaled:
        n0 = int(want(start_rate, c.capacity_per_replica, target))
        sets["deployment.replicas"] = {"min": c.min_replicas, "max": c.replicas,
                                       "initial": max(c.min_replicas or 1, min(c.replicas, n0))}
        if scenario.deployment.autoscaling is None:
            sets["deployment.autoscaling"] = {"target_utilization": target}
    return sets


def _simulate(scenario: Scenario, catalog: Catalog, c: Candidate, lam: float, max_requests: int,
              seed: int, target: float = 0.7, fixed_engine: bool = False) -> Candidate:
    from dataclasses import replace

    from infercost.sim.run import simulate

    sets = _plan_sets(scenario, c, fixed_engine)
    sets.update(sim_window(scenario, c, lam, _sim_duration(lam, max_requests, *_warmups(scenario, c)),
                           target))
    try:
        res = simulate(variant(scenario, sets), catalog, seed=seed)
    except InputError as e:
        return replace(c, sim={"error": str(e)})
    lat = res.latency_ms or {}
    slo, ttft_slo = scenario.slo.p99_latency_ms, scenario.slo.ttft_ms
    p99 = lat.get("p99")
    ttft = (res.ttft_ms or {}).get("p99")
    checks = ([] if slo is None else [p99 is not None and float(p99) <= slo]) + (
        [] if ttft_slo is None or res.ttft_ms is None else [ttft is not None and float(ttft) <= ttft_slo])
    met = all(checks) if checks else None
    return replace(c, sim={"p99_ms": p99, "slo_attainment": res.slo.get("attainment"),
                           "ttft_p99_ms": ttft, "ttft_slo_attainment": res.slo.get("ttft_attainment"),
                           "requests": res.requests.get("served") if isinstance(res.requests, dict) else None,
                           "slo_met": met})
