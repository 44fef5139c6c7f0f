"""Plain objects of the simulator: arrivals, request classes, pools, the whole config.

The public model is as plain as SimPy's: a `SimConfig` names an arrival process, one or
more request classes (tenants, tiers, cascade stages) and one or more pools of
replicas. `infercost.sim.run.simulate_config(config, seed)` runs it. Units: seconds
for times unless a name ends in `_ms`; rates in requests per second.

A `SimConfig` is usually built from a scenario file by `infercost.sim.run.config_from_scenario`,
but it can be written by hand (the queueing-theory tests do):

    SimConfig(duration_s=3600,
              arrivals=ArrivalSpec("poisson", rate_per_s=120),
              classes=[RequestClass(service=ServiceDist("exponential", mean_s=0.020))],
              pools=[PoolConfig(replicas=3)])
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from infercost.errors import InputError

DISTRIBUTIONS = ("constant", "exponential", "lognormal")


@dataclass(frozen=True)
class ArrivalSpec:
    """When requests arrive.

    process: poisson | constant | diurnal | spike | trace.
    rate_per_s: mean rate (the base rate for spike), requests/s.
    peak_to_mean, peak_hour: diurnal shape (von Mises day curve, t=0 is midnight UTC).
    multiplier, start_s, end_s: spike window [start_s, end_s) where the rate is multiplied.
    spike_base: the process the spike multiplies (poisson, constant or diurnal).
    trace_s: replayed arrival times (s from the start, sorted) for process trace;
    trace_prompt_tokens / trace_output_tokens: the log's sizes per request (0 = unknown,
    drawn from the class's distribution instead).
    """

    process: str = "poisson"
    rate_per_s: float = 1.0
    peak_to_mean: float = 1.0
    peak_hour: float = 14.0
    multiplier: float = 1.0
    start_s: float = 0.0
    end_s: float = 0.0
    spike_base: str = "poisson"
    trace_s: np.ndarray | None = None
    trace_prompt_tokens: np.ndarray | None = None
    trace_output_tokens: np.ndarray | None = None


@dataclass(frozen=True)
class SizeSpec:
    """A request size (tokens or items): constant, exponential or lognormal with a mean."""

    mean: float = 1.0
    distribution: str = "constant"
    sigma: float = 0.0  # lognormal: sigma of log(size)


@dataclass(frozen=True)
class ServiceDist:
    """Service time of one request alone, seconds: constant | exponential | lognormal.

    A batch of b requests takes one draw times (1 + (b - 1) * per_item_fraction).
    """

    distribution: str = "exponential"
    mean_s: float = 0.02
    sigma: float = 0.5  # lognormal: sigma of log(service time)
    per_item_fraction: float = 1.0  # extra time per additional request in a batch / mean


@dataclass(frozen=True)
class RequestClass:
    """A kind of request: a tenant, a priority tier, or a stage of a cascade.

    weight: share of arrivals (0 for classes reached only by escalation).
    tier: "realtime" (served first; SLO on latency) or "batch" (fills idle capacity;
    late past `deadline_s`).
    pool: index of the pool of replicas that serves it.
    service: its service time; None uses the pool's performance tables.
    slo_ms: latency target for SLO attainment (realtime), ms; None = no target.
    escalate_fraction / escalate_to: cascade: after service, this share moves on to
    class `escalate_to` (its latency keeps counting from the original arrival).
    timeout_s: client timeout, s: a request still waiting in this class's queue this long
    after it was queued leaves (abandoned); None = waits forever.
    """

    name: str = "default"
    weight: float = 1.0
    tier: str = "realtime"
    pool: int = 0
    service: ServiceDist | None = None
    prompt_tokens: SizeSpec = field(default_factory=SizeSpec)
    output_tokens: SizeSpec = field(default_factory=SizeSpec)
    slo_ms: float | None = None
    deadline_s: float | None = None
    escalate_fraction: float = 0.0
    escalate_to: int = -1
    timeout_s: float | None = None


@dataclass(frozen=True)
class AutoscalerSpec:
    """Horizontal autoscaling of one pool.

    metric: "utilization" (busy fraction over the last interval, HPA formula
    desired = ceil(ready * util / target)) or "queue_length" (requests waiting or in
    service per replica: desired = ceil(load / target)).
    warmup_s: paid time before a new replica can serve. scale_down_delay_s: the desired
    count must stay below the current one this long before replicas are removed.
    """

    metric: str = "utilization"
    target: float = 0.7
    evaluation_interval_s: float = 30.0
    warmup_s: float = 120.0
    scale_down_delay_s: float = 300.0


@dataclass(frozen=True)
class PerfTables:
    """Service times from the performance model, tabulated for the compiled loop.

    batch_s[b]: seconds for a batch of b requests (non-LLM dynamic batching), b >= 1.
    LLM continuous batching: decode_s[n] seconds for one decode step with n sequences
    (at the typical context), prefill_fixed_s + prefill_per_token_s * tokens for the
    prefill of newly admitted prompts, and kv_tokens the KV-cache capacity in tokens
    (prompt + output reserved per sequence).
    """

    is_llm: bool = False
    batch_s: np.ndarray | None = None
    decode_s: np.ndarray | None = None
    prefill_fixed_s: float = 0.0
    prefill_per_token_s: float = 0.0
    kv_tokens: float = float("inf")


@dataclass(frozen=True)
class PoolConfig:
    """A pool of identical replicas.

    replicas: the fixed count, or the initial count under autoscaling (ready at t=0).
    min_replicas / max_replicas: autoscaling bounds (default: replicas).
    max_batch, max_wait_ms: dynamic batching (concurrent sequences for LLMs).
    spot_fraction: share of replicas on spot; preemptions_per_hour per spot replica;
    a preempted replica re-queues its in-flight requests and is replaced after warm-up.
    max_queue: waiting requests per tier beyond which new arrivals are dropped.
    plan / spot_plan: pricing-plan names for the replica-hours.
    """

    replicas: int = 1
    min_replicas: int | None = None
    max_replicas: int | None = None
    autoscaler: AutoscalerSpec | None = None
    max_batch: int = 1
    max_wait_ms: float = 0.0
    spot_fraction: float = 0.0
    preemptions_per_hour: float = 0.0
    replacement_warmup_s: float | None = None
    max_queue: int = 200_000
    plan: str = "on-demand"
    perf: PerfTables | None = None
    name: str = "main"


@dataclass(frozen=True)
class SimConfig:
    """Everything a run needs. duration_s: simulated time, s; series_bucket_s: chart step."""

    duration_s: float
    arrivals: ArrivalSpec
    classes: list[RequestClass]
    pools: list[PoolConfig]
    series_bucket_s: float | None = None

    def validate(self) -> None:
        """Raise InputError for impossible values (key paths as in the scenario file)."""
        a = self.arrivals
        if not self.duration_s > 0:
            raise InputError(f"must be > 0 seconds (got {self.duration_s})", "workload.duration_s")
        if a.process not in ("poisson", "constant", "diurnal", "spike", "trace"):
            raise InputError(f"unknown process {a.process!r}; allowed: poisson constant diurnal spike trace",
                             "workload.arrivals.process")
        if a.process != "trace" and not a.rate_per_s > 0:
            raise InputError(f"must be > 0 requests/s (got {a.rate_per_s})", "workload.arrivals.rate_per_s")
        if a.process == "spike":
            if not a.multiplier > 0:
                raise InputError(f"must be > 0 (got {a.multiplier})", "workload.arrivals.multiplier")
            if not (0 <= a.start_s < a.end_s <= self.duration_s):
                raise InputError(
                    f"spike window [{a.start_s:g}, {a.end_s:g}) s must lie inside [0, {self.duration_s:g}] s",
                    "workload.arrivals.start_s/end_s")
        if a.process == "diurnal" and a.peak_to_mean < 1:
            raise InputError(f"must be >= 1 (got {a.peak_to_mean})", "workload.arrivals.peak_to_mean")
        if not self.classes:
            raise InputError("no request classes", "workload")
        if sum(c.weight for c in self.classes) <= 0:
            raise InputError("class weights must add up to more than 0", "workload.tenants")
        for i, c in enumerate(self.classes):
            if not 0 <= c.pool < len(self.pools):
                raise InputError(f"class {c.name!r} names pool {c.pool}, which does not exist", "workload")
            if c.service is not None:
                if c.service.distribution not in DISTRIBUTIONS:
                    raise InputError(f"unknown distribution {c.service.distribution!r}; allowed: "
                                     + " ".join(DISTRIBUTIONS), "service.distribution")
                if not c.service.mean_s > 0:
                    raise InputError(f"must be > 0 ms (got {c.service.mean_s * 1e3:g})", "service.mean_ms")
            elif self.pools[c.pool].perf is None:
                raise InputError(f"class {c.name!r} has no service time and its pool no perf model",
                                 "service")
            if c.escalate_fraction > 0 and not 0 <= c.escalate_to < len(self.classes):
                raise InputError(f"class {c.name!r} escalates to a class that does not exist", "cascade")
            if c.timeout_s is not None and not c.timeout_s > 0:
                raise InputError(f"must be > 0 ms (got {c.timeout_s * 1e3:g})", "slo.timeout_ms")
            if c.escalate_to == i:
                raise InputError(f"class {c.name!r} escalates to itself", "cascade")
        for p in self.pools:
            where = "deployment" if p.name == "main" else f"deployment.cascade ({p.name})"
            if p.max_batch < 1:
                raise InputError(f"must be >= 1 (got {p.max_batch})", f"{where}.batching.max_batch")
            if p.max_wait_ms < 0:
                raise InputError(f"must be >= 0 ms (got {p.max_wait_ms})", f"{where}.batching.max_wait_ms")
            lo, hi = self.bounds(p)
            if hi < 1:
                raise InputError("needs at least one replica", f"{where}.replicas")
            if not lo <= p.replicas <= hi:
                raise InputError(f"initial replicas {p.replicas} outside [{lo}, {hi}]", f"{where}.replicas")
            if p.autoscaler is not None:
                s = p.autoscaler
                if s.warmup_s >= self.duration_s:
                    raise InputError(f"warm-up {s.warmup_s:g} s is not shorter than the simulation "
                                     f"({self.duration_s:g} s)", f"{where}.autoscaling.warmup_s")
                if not s.target > 0:
                    raise InputError(f"must be > 0 (got {s.target})", f"{where}.autoscaling.target")
            if p.preemptions_per_hour < 0:
                raise InputError(f"must be >= 0 (got {p.preemptions_per_hour})",
                                 f"{where}.spot.preemptions_per_hour")
            if p.replacement_warmup_s is not None and p.spot_fraction > 0 \
                    and p.replacement_warmup_s >= self.duration_s:
                raise InputError(f"replacement warm-up {p.replacement_warmup_s:g} s is not shorter than "
                                 f"the simulation ({self.duration_s:g} s)", f"{where}.spot.warmup_s")
            if p.max_queue < 1:
                raise InputError(f"must be >= 1 (got {p.max_queue})", f"{where}.max_queue")

    @staticmethod
    def bounds(p: PoolConfig) -> tuple[int, int]:
        """(min, max) replicas of a pool."""
        lo = p.min_replicas if p.min_replicas is not None else p.replicas
        hi = p.max_replicas if p.max_replicas is not None else p.replicas
        if p.autoscaler is None:
            lo = hi = p.replicas
        return lo, hi
