"""Analytic capacity: from a scenario's traffic and service time to replica-hours.

The estimate is a fluid model, fast and deterministic; `infercost simulate` is the
reference when queues, bursts and warm-up lag matter. Method, per time slice of the
workload (60 s, or duration/200 if shorter):

1. arrival rate lambda (requests/s) from the arrivals profile (`core.traffic`), times
   (1 + shadow_fraction) for experiment copies;
2. replicas: fixed, or (autoscaling) the fewest in [min, max] that keep utilisation at
   or below the target; a scale-down waits `scale_down_delay_s`; every replica added
   pays `warmup_s` of warm-up before it serves (assumed started ahead of need);
3. per replica, dynamic batching with max batch B and wait W, per-replica rate x and
   batch time S(b), one queue in front of N replicas (total rate N x): a batch holds
   the request that opens it, those that reach the queue while it waits, and those that
   queued while every replica was busy with its last batch,
   b = min(B, 1 + N x W + x S(b) rho^N) with utilisation rho = x S(b) / b (a fixed
   point; at saturation b = x S(b), rho = 1). Checked against the simulator in
   tests/test_estimate_vs_sim.py. A replica serves at most B / S(B) requests/s:
   beyond that the excess is counted as dropped, never silently served. An LLM serves
   with continuous batching: sequences join the running batch up to B, so its
   utilisation is the share of that full-batch capacity the load uses, rho = x S(B) / B
   (`utilization`, the one definition `compare`, `build-vs-buy`, `tco` and the
   simulator's measured busy time share);
4. busy = N rho, idle = N (1 - rho - others) replica-hours per slice.

A `workload.mix` serves a batch of b in sum_k share_k x S_k(b) (each class's own
`service:` or the scenario's); token counts are the share-weighted means of the classes'
request sizes. A `deployment.cascade` is a second pool (steps 2-4 with its own service
time, replicas, batching and autoscaling) offered the escalated share of what the main
pool served; its replica-hours are added in main-replica equivalents (x its GPUs / the
main GPUs), so the cost model prices them per GPU. Keys only the simulator models
(latency targets, tiers, distributions, spot preemptions, queue limits: SIMULATOR_ONLY)
are named in a note, never dropped silently.

The totals over `duration_s` are scaled to a 730-hour month (the pattern repeats).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from infercost.core.scenario import ReplicaRange, Scenario
from infercost.core.traffic import rate_at
from infercost.econ.usage import HOURS_PER_MONTH, CapacityUsage
from infercost.perf.service import ServiceTime, service_from_block


@dataclass(frozen=True)
class SliceLoad:
    """Per-replica load at one point: batch size, utilisation, requests/s served."""

    batch: float
    utilization: float  # our busy fraction of a replica
    served_per_s: float  # per replica
    overloaded: bool


def utilization(rate_per_s: float, svc: ServiceTime, batch: float | None = None) -> float:
    """Busy fraction of one replica offered `rate_per_s` requests/s (0-1; >= 1 is overload).

    The one definition every command uses: the offered rate over the replica's capacity at
    the batch its engine runs, n / S(n) requests/s, i.e. rate x S(n) / n. Continuous
    batching (an LLM, `svc.is_llm`) lets sequences join the running batch up to
    `svc.max_batch` (the KV cache's bound when lower), so n = max_batch at any load and the
    slots the load leaves free are idle capacity, not busy time. Dynamic batching closes a
    batch when it starts, so n = `batch`, the batch the engine forms (default max_batch); a
    replica is then busy for the batch's whole service time, whatever its size.
    """
    n = float(svc.max_batch) if (svc.is_llm or batch is None) else float(batch)
    return rate_per_s * svc.seconds_at(n) / n


def replica_load(x: float, svc: ServiceTime, max_wait_s: float, available: float = 1.0,
                 replicas: int = 1) -> SliceLoad:
    """Steady state of one replica offered x requests/s (fluid approximation).

    `available` is the fraction of the replica's time not used by co-tenants. The
    utilisation is `utilization(x, svc, b)` at the batch b found here (an LLM: at max_batch).
    """
    if x <= 0:
        return SliceLoad(1.0, 0.0, 0.0, False)
    B = svc.max_batch
    cap = available * B / svc.batch_seconds(B)
    if x >= cap:
        return SliceLoad(float(B), available, cap, True)
    # A batch is the request that opens it, those arriving while it waits (x W), and those
    # that arrived while the replica was busy with the previous batch (x S(b) rho):
    # b = min(B, 1 + x W + x S(b) rho), rho = utilization(x, svc, b) (x S(b) / b; an LLM:
    # x S(B) / B), solved by damped iteration.
    lam = x * replicas  # one queue in front of the fleet: batches fill from all traffic
    b = min(float(B), 1.0 + lam * max_wait_s)
    rho = min(available, utilization(x, svc, b))
    for _ in range(500):
        # requests queue only when every replica is busy: probability ~ rho^replicas
        p_wait = (rho / available) ** replicas
        nb = min(float(B), 1.0 + lam * max_wait_s + x * svc.seconds_at(b) * p_wait)
        nb = 0.5 * (b + nb)
        rho = min(available, utilization(x, svc, nb))
        if abs(nb - b) < 1e-12:
            break
        b = nb
    return SliceLoad(b, rho, x, False)


@dataclass(frozen=True)
class PoolHours:
    """Replica-hours of one pool over the modelled span (not yet scaled to a month)."""

    busy: float  # replica-hours serving our work
    others_busy: float  # replica-hours serving co-tenants (shared replicas)
    provisioned: float  # replica-hours paid, warm
    warmup: float  # replica-hours warming up (each replica started pays warmup_s once)
    served_fraction: list[float]  # per slice: share of the offered requests served
    overloaded_s: float  # seconds in which the pool could not keep up


def pool_hours(rates: list[float], dt: float, svc: ServiceTime, wait_s: float, replicas,
               autoscaling, available: float = 1.0) -> PoolHours:
    """Replicas, busy and paid time of one pool offered `rates` (requests/s per slice of dt s).

    `replicas` is a fixed count or a ReplicaRange (then `autoscaling` gives the target
    utilisation, warm-up and scale-down delay; defaults 0.7, no warm-up, no delay).
    """
    auto = isinstance(replicas, ReplicaRange)
    target = autoscaling.target_utilization if autoscaling else 0.7
    warmup_s = autoscaling.warmup_s if (auto and autoscaling) else 0.0
    delay_s = autoscaling.scale_down_delay_s if (auto and autoscaling) else 0.0
    others = 1.0 - available
    wanted = []
    memo: dict[float, int] = {}
    for lam in rates:
        if auto:
            if lam not in memo:
                memo[lam] = _replicas_for(lam, svc, wait_s, available, target, replicas)
            wanted.append(memo[lam])
        else:
            wanted.append(int(replicas))
    # scale-down delay: keep the max of the last `delay_s` seconds
    keep = max(0, int(math.ceil(delay_s / dt)))
    counts = [max(wanted[max(0, i - keep): i + 1]) for i in range(len(rates))]
    start = counts[0] if not auto else (replicas.initial if replicas.initial is not None else counts[0])
    busy = others_busy = prov = overloaded_s = 0.0
    ups = 0
    prev = start
    served: list[float] = []
    h = dt / 3600.0
    for lam, n in zip(rates, counts, strict=True):
        if n > prev:
            ups += n - prev  # every replica started pays its own warm-up
        prev = n
        if n == 0:
            served.append(0.0)
            continue
        load = replica_load(lam / n, svc, wait_s, available, n)
        served.append(load.served_per_s * n / lam if lam > 0 else 1.0)
        if load.overloaded:
            overloaded_s += dt
        busy += n * load.utilization * h
        others_busy += n * others * h
        prov += n * h
    return PoolHours(busy, others_busy, prov, ups * warmup_s / 3600.0, served, overloaded_s)


def estimate_capacity(scenario: Scenario, svc: ServiceTime,
                      cascade_svc: ServiceTime | None = None) -> CapacityUsage:
    """Monthly CapacityUsage for a scenario (see the module docstring for the method).

    `cascade_svc` is the service time of `deployment.cascade`'s large model (default:
    its `service:` block); its pool's replica-hours are added in main-replica
    equivalents (x cascade GPUs / main GPUs), so the cost model prices them per GPU.
    """
    wl = scenario.workload
    dep = scenario.deployment
    shadow = scenario.costs.experiments.shadow_fraction if scenario.costs.experiments else 0.0
    others = dep.sharing.others_utilization if dep.sharing else 0.0
    available = 1.0 - others
    wait_s = dep.batching.max_wait_ms / 1000.0
    duration = wl.duration_s
    n_slices = max(1, min(1440, int(math.ceil(duration / 60.0))))
    dt = duration / n_slices

    rates, notes = _rates(scenario, n_slices, dt)
    notes += unmodelled_notes(scenario)
    svc, mix_notes = mix_service(scenario, svc)
    notes += mix_notes
    offered = [lam * (1 + shadow) for lam in rates]  # shadow copies take replica time
    main = pool_hours(offered, dt, svc, wait_s, dep.replicas, dep.autoscaling, available)
    served_user = sum(lam * dt * f for lam, f in zip(rates, main.served_fraction, strict=True))
    # a served fraction within a rounding error of 1 drops nothing (not +-1e-10 or -0.0 requests)
    dropped = sum(lam * dt * (1 - f) for lam, f in zip(rates, main.served_fraction, strict=True)
                  if 1 - f > 1e-9)
    busy, others_busy, prov, warm = main.busy, main.others_busy, main.provisioned, main.warmup
    overloaded_s = main.overloaded_s

    if dep.cascade is not None:
        cas = dep.cascade
        csvc = cascade_svc or service_from_block(cas.service, (cas.batching or dep.batching).max_batch)
        factor = (cas.gpus_per_replica or dep.gpus_per_replica) / dep.gpus_per_replica
        escalated = [lam * f * cas.escalate_fraction
                     for lam, f in zip(offered, main.served_fraction, strict=True)]
        pool = pool_hours(escalated, dt, csvc, (cas.batching or dep.batching).max_wait_ms / 1000.0,
                          cas.replicas, cas.autoscaling or dep.autoscaling)
        busy += pool.busy * factor
        prov += pool.provisioned * factor
        warm += pool.warmup * factor
        if pool.overloaded_s > 0:
            notes.append(f"cascade pool overloaded {pool.overloaded_s / duration:.0%} of the time: "
                         f"escalated requests beyond its capacity are not modelled by estimate "
                         f"(simulate queues and drops them)")
    idle = max(0.0, prov - busy - others_busy)

    scale = HOURS_PER_MONTH * 3600.0 / duration
    plan_split = _plan_split(scenario)
    isl, osl = _mean_tokens(scenario)
    if overloaded_s > 0:
        notes.append(
            f"overloaded {overloaded_s / duration:.0%} of the time: "
            f"{dropped / max(1e-12, served_user + dropped):.1%} of requests cannot be served"
        )
    notes += list(svc.notes)
    return CapacityUsage(
        period_hours=HOURS_PER_MONTH,
        inferences=served_user * scale,
        busy_hours={p: busy * scale * f for p, f in plan_split.items()},
        idle_hours={p: idle * scale * f for p, f in plan_split.items()},
        warmup_hours={p: warm * scale * f for p, f in plan_split.items()} if warm else {},
        others_busy_hours={p: others_busy * scale * f for p, f in plan_split.items()} if others else {},
        input_tokens=served_user * scale * isl,
        output_tokens=served_user * scale * osl,
        dropped=dropped * scale,
        shadow_inferences=served_user * shadow * scale,
        source="estimate",
        notes=tuple(notes),
    )


#: Keys `estimate` does not model (`simulate` does), with what they stand for. `[]` is
#: any list index. A key (or block) set to other than its default gets a note.
SIMULATOR_ONLY = {
    "service.distribution": "service-time distribution; estimate uses the mean",
    "service.sigma": "service-time spread",
    "workload.request.prompt_tokens.p95": "request-size spread; estimate uses the mean",
    "workload.request.prompt_tokens.distribution": "request-size distribution",
    "workload.request.output_tokens.p95": "request-size spread; estimate uses the mean",
    "workload.request.output_tokens.distribution": "request-size distribution",
    "workload.request.items.p95": "request-size spread; estimate uses the mean",
    "workload.request.items.distribution": "request-size distribution",
    "workload.mix[].tier": "priority tiers",
    "workload.mix[].slo_ms": "per-class latency targets",
    "workload.mix[].deadline_s": "batch-tier deadlines",
    "workload.mix[].service.distribution": "service-time distribution",
    "workload.mix[].service.sigma": "service-time spread",
    "workload.mix[].request.prompt_tokens.p95": "request-size spread",
    "workload.mix[].request.prompt_tokens.distribution": "request-size distribution",
    "workload.mix[].request.output_tokens.p95": "request-size spread",
    "workload.mix[].request.output_tokens.distribution": "request-size distribution",
    "workload.mix[].request.items.p95": "request-size spread",
    "workload.mix[].request.items.distribution": "request-size distribution",
    "deployment.autoscaling.metric": "autoscaling metric; estimate scales on utilisation",
    "deployment.autoscaling.target_queue_length": "queue-length autoscaling",
    "deployment.autoscaling.evaluation_interval_s": "autoscaler reaction time",
    "deployment.spot": "spot preemptions and replacement warm-up",
    "deployment.cascade.service.distribution": "service-time distribution",
    "deployment.cascade.service.sigma": "service-time spread",
    "deployment.cascade.autoscaling.metric": "autoscaling metric",
    "deployment.cascade.autoscaling.target_queue_length": "queue-length autoscaling",
    "deployment.cascade.autoscaling.evaluation_interval_s": "autoscaler reaction time",
    "deployment.max_queue": "queue limit and the drops past it",
    "slo.p99_latency_ms": "latency and SLO attainment",
    "slo.p95_latency_ms": "latency and SLO attainment",
    "slo.p50_latency_ms": "latency and SLO attainment",
    "slo.ttft_ms": "time to first token",
    "slo.timeout_ms": "client timeouts and the requests abandoned past them",
}


def unmodelled_notes(scenario: Scenario) -> list[str]:
    """One note naming every key the scenario sets that only `simulate` models
    (SIMULATOR_ONLY says what each stands for; docs/scenario.md lists them)."""
    import re

    found: dict[str, str] = {}

    def walk(value, path: str) -> None:
        key = re.sub(r"\[\d+\]", "[]", path)
        if key in SIMULATOR_ONLY:
            found[path] = SIMULATOR_ONLY[key]
            return
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, f"{path}.{k}" if path else str(k))
        elif isinstance(value, list) and path != "options":
            for i, v in enumerate(value):
                walk(v, f"{path}[{i}]")

    walk(scenario.model_dump(mode="python", exclude_defaults=True), "")
    notes = []
    if found:
        notes.append(f"estimate does not model (it uses means; no latency, queues or "
                     f"preemptions), simulate does: {', '.join(found)}")
    other = [f"{key}: ({cmd})" for key, cmd in OTHER_COMMANDS.items()
             if getattr(scenario, key, None)]
    if other:
        notes.append("estimate does not use these sections, other commands do: "
                     + ", ".join(other) + (" (finance.owned does price the owned plan here)"
                                           if getattr(scenario, "finance", None) else ""))
    return notes


#: Scenario sections that are inputs of other commands, not of `estimate` (noted when set).
OTHER_COMMANDS = {"finance": "infercost tco", "pipeline": "infercost place",
                  "segments": "infercost pnl", "roadmap": "infercost roadmap"}


def mix_service(scenario: Scenario, svc: ServiceTime) -> tuple[ServiceTime, list[str]]:
    """The traffic-weighted service time of `workload.mix` (and notes on what is not modelled).

    A class with its own `service:` block serves in that time, the others in `svc`; a
    batch of b takes sum_k share_k x S_k(b) seconds (shares normalised over the mix).
    A class's own `request:` sizes change the token counts (`_mean_tokens`) but not the
    performance model's service time: noted, `simulate` models it per class.
    """
    mix = scenario.workload.mix
    if not mix or not any(c.service for c in mix):
        notes = []
    else:
        total = sum(c.share for c in mix)
        parts = [(c.share / total,
                  service_from_block(c.service, svc.max_batch) if c.service else svc) for c in mix]

        def mixed(b: int) -> float:
            return sum(w * p.batch_seconds(b) for w, p in parts)

        svc = ServiceTime(mixed, svc.max_batch, svc.source + f" (mix of {len(mix)} classes)",
                          svc.is_llm, svc.profile, svc.memory_cap, svc.notes)
        notes = []
    if scenario.service is None:
        own = [f"workload.mix[{i}].request" for i, c in enumerate(mix) if c.request is not None]
        if own:
            notes.append(f"{', '.join(own)}: per-class request sizes change token counts but not "
                         f"the performance model's service time in estimate; simulate models them")
    return svc, notes


def _mean_tokens(scenario: Scenario) -> tuple[float, float]:
    """Mean prompt and output tokens per request, traffic-weighted over `workload.mix`."""
    wl = scenario.workload

    def means(req) -> tuple[float, float]:
        return (req.prompt_tokens.mean if req.prompt_tokens else 0.0,
                req.output_tokens.mean if req.output_tokens else 0.0)

    if not wl.mix:
        return means(wl.request)
    total = sum(c.share for c in wl.mix)
    isl = osl = 0.0
    for c in wl.mix:
        i, o = means(c.request or wl.request)
        isl += c.share / total * i
        osl += c.share / total * o
    return isl, osl


def _rates(scenario: Scenario, n: int, dt: float) -> tuple[list[float], list[str]]:
    """Mean arrival rate (requests/s) of each slice, and notes on what was left out."""
    a = scenario.workload.arrivals
    if a.process == "trace":
        from infercost.ingest.trace import SCENARIO_KEY, trace_rates

        rates, beyond = trace_rates(a.path, n, dt, SCENARIO_KEY)
        notes = [f"{beyond} trace requests fall after duration_s ({n * dt:g} s) and are not "
                 f"modelled"] if beyond else []
        return rates, notes
    # average the rate over each slice (midpoint sampling at 8 points)
    out = []
    for i in range(n):
        out.append(sum(rate_at(a, (i + (j + 0.5) / 8) * dt) for j in range(8)) / 8)
    return out, []


def _replicas_for(lam: float, svc: ServiceTime, wait_s: float, available: float, target: float,
                  rng: ReplicaRange) -> int:
    """Fewest replicas in [min, max] that serve `lam` at or under the target utilisation.

    Binary search: per-replica load, and so utilisation, falls as replicas are added.
    """
    if lam <= 0:
        return rng.min

    def ok(n: int) -> bool:
        load = replica_load(lam / n, svc, wait_s, available, n)
        return not load.overloaded and load.utilization <= target * available

    lo, hi = max(1, rng.min), rng.max
    if not ok(hi):
        return hi
    while lo < hi:
        mid = (lo + hi) // 2
        if ok(mid):
            hi = mid
        else:
            lo = mid + 1
    return lo


def _plan_split(scenario: Scenario) -> dict[str, float]:
    pr = scenario.deployment.pricing
    if pr.spot_fraction is not None and pr.plan != "spot":
        return {pr.plan: 1.0 - pr.spot_fraction, "spot": pr.spot_fraction}
    return {pr.plan: 1.0}
