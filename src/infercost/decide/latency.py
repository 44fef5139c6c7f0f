"""Analytic latency of a fleet at one arrival rate: a quick screen, `sim` is the reference.

p99 latency (seconds) ~= batch-fill wait + queue wait p99 + service-time p99, where

- the fleet is N replicas behind one queue; a replica serves batches of up to B requests
  (for LLMs: B concurrent sequences, continuous batching) and a batch of b takes S(b) s;
- capacity: a replica serves at most mu = a B / S(B) requests/s (a: the share of its time
  not used by co-tenants), the same for every fleet size; the fleet is overloaded when
  lambda >= N mu;
- the operating batch is b = min(B, max(1 + lambda W, b_keep)): the batch that fills while
  the first request waits W, or, when that is too small for the replica to keep up with
  x = lambda / N, the smallest batch that does (a b / S(b) = x: under continuous or dynamic
  batching the batch grows until throughput meets arrivals). b never grows with N;
- the queue wait p99 is the M/M/c (Erlang C) quantile with c = N, rate lambda and mu
  (`sim.theory.mmc_wait_quantile`): P(W > t) = C exp(-(c mu - lambda) t). Requests queue
  only when every replica is busy, and then replicas take full batches, so the queue
  drains at N mu. That is Poisson arrivals (poisson, diurnal and spike traffic, and a
  trace, read at its peak rate). Constant arrivals (`process: constant`, gaps of exactly
  1 / rate) scale it by `queue_factor` = (ca^2 + cs^2) / 2 with ca^2 = 0 (Allen-Cunneen's
  G/G/c correction of M/M/c): cs^2, the squared coefficient of variation of the service
  time, is 0 for a constant time (`service:` constant, or the performance model with
  fixed request sizes), so D/D/c has no queue below saturation; 1 for exponential (D/M/c:
  half the M/M/c wait), and for the performance model when request sizes spread (a p95 or
  a distribution: taken as exponential); exp(sigma^2) - 1 for lognormal;
- batch fill: a request may wait up to `max_wait_ms` for its batch, less when the batch
  fills sooner: min(max_wait, (B - 1) / lambda);
- the service-time tail multiplies S(b) by the distribution's p99 / mean:
  constant 1, exponential ln(100) = 4.605, lognormal exp(2.326 sigma - sigma^2 / 2);
- TTFT p99 (an LLM on the performance model: continuous batching) = batch fill + the same
  queue wait p99 + the first-token time F(b): a request admitted to a replica running b
  sequences waits for the iteration that admits it, one decode step of the b running
  sequences at the typical context (prompt + output / 2) plus the prefill of its own
  prompt (the mean prompt), as the simulator runs it and `perf`'s ttft counts it:
  F(b) = D(b, prompt + output / 2) + P(1, prompt) (`first_token_fn`).

Each term is non-increasing in N (fill does not depend on N, Erlang C falls with c at a
fixed mu, b and so S(b) fall with x), so p99 never rises when a replica is added and
"the fewest replicas meeting the SLO" is well defined; the same holds for TTFT (F(b) falls
with b). `utilization` is lambda / (N mu / a):
the share of a whole replica's full-batch throughput the fleet's load takes.
What this screen does not model (warm-up lag, autoscaler reaction, bursts) is what
`--simulate` measures.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from infercost.core.scenario import Scenario
from infercost.perf.service import ServiceTime
from infercost.sim.theory import mmc_wait_quantile

Z99 = 2.326347874  # standard normal 0.99 quantile


@dataclass(frozen=True)
class FleetLatency:
    """Analytic latency of N replicas at `rate_per_s`, seconds."""

    rate_per_s: float
    replicas: int
    batch: float  # mean batch size (requests)
    utilization: float  # busy fraction of a replica
    p99_s: float  # math.inf when overloaded
    overloaded: bool
    ttft_s: float | None = None  # TTFT p99 (LLMs on the perf model; math.inf when overloaded)


def service_tail_factor(scenario: Scenario, q: float = 0.99) -> float:
    """p-quantile / mean of one batch's service time, by the `service:` distribution.

    The performance model's times are deterministic (factor 1). A hook for error bars:
    `decide.optimize.confidence_factor` scales service time by perf.quantile when present.
    """
    svc = scenario.service
    if svc is None or svc.distribution == "constant":
        return 1.0
    if svc.distribution == "exponential":
        return -math.log(1.0 - q)
    sigma = float(getattr(svc, "sigma", None) or 0.0)
    z = _z(q)
    return math.exp(z * sigma - sigma * sigma / 2.0)


def queue_factor(scenario: Scenario) -> float:
    """Multiplier on the M/M/c queue-wait quantile for the scenario's arrival process
    (module doc): 1 for Poisson-like traffic; for constant arrivals (ca^2 + cs^2) / 2 with
    ca^2 = 0 and cs^2 the service time's squared coefficient of variation."""
    if scenario.workload.arrivals.process != "constant":
        return 1.0
    svc = scenario.service
    if svc is None:  # the performance model: constant unless request sizes spread
        req = scenario.workload.request
        sizes = [d for d in (req.prompt_tokens, req.output_tokens, req.items) if d is not None]
        spread = any(d.p95 is not None or d.distribution not in (None, "constant") for d in sizes)
        return 0.5 if spread else 0.0
    if svc.distribution == "constant":
        return 0.0
    if svc.distribution == "exponential":
        return 0.5
    sigma = float(getattr(svc, "sigma", None) or 0.0)
    return math.expm1(sigma * sigma) / 2.0


def arrivals_note(scenario: Scenario) -> str:
    """One sentence: the arrival process the analytic queue wait assumes for this scenario."""
    a = scenario.workload.arrivals
    if a.process == "constant":
        k = queue_factor(scenario)
        if k == 0:
            return ("analytic p99: constant arrivals and a constant service time (D/D/c): no queue "
                    "wait below saturation")
        return (f"analytic p99: constant arrivals, queue wait {k:.3g} x the M/M/c figure "
                "(Allen-Cunneen, no arrival variability)")
    if a.process == "trace":
        return "analytic p99: the trace read as Poisson arrivals at its peak-minute rate (M/M/c queue wait)"
    return "analytic p99: Poisson arrivals at the peak-minute rate (M/M/c queue wait)"


def _z(q: float) -> float:
    if abs(q - 0.99) < 1e-12:
        return Z99
    from statistics import NormalDist

    return NormalDist().inv_cdf(q)


def first_token_fn(scenario: Scenario, svc: ServiceTime) -> Callable[[float], float] | None:
    """F(b), seconds from a request's admission to its first token on a replica running b
    sequences (module doc): one decode step of b sequences at the typical context plus the
    prefill of one mean prompt, linear between whole b. None when the model has no first
    token to time: not an LLM, or a measured `service:` time (no prefill and decode split)."""
    prof = svc.profile
    if not svc.is_llm or prof is None:
        return None
    from infercost.perf.service import DEFAULT_OUTPUT_TOKENS, DEFAULT_PROMPT_TOKENS

    req = scenario.workload.request
    isl = int(round(req.prompt_tokens.mean)) if req.prompt_tokens else DEFAULT_PROMPT_TOKENS
    osl = int(round(req.output_tokens.mean)) if req.output_tokens else DEFAULT_OUTPUT_TOKENS
    ctx = isl + osl // 2
    prefill = prof.prefill_seconds(1, isl)
    memo: dict[int, float] = {}

    def decode(k: int) -> float:
        if k not in memo:
            memo[k] = prof.decode_step_seconds(k, ctx)
        return memo[k]

    def at(b: float) -> float:
        lo = max(1, min(svc.max_batch, int(math.floor(b))))
        hi = min(svc.max_batch, lo + 1)
        d = decode(lo) if hi == lo else decode(lo) + (b - lo) * (decode(hi) - decode(lo))
        return d + prefill

    return at


def fleet_latency(rate_per_s: float, replicas: int, svc: ServiceTime, max_wait_s: float,
                  tail: float = 1.0, available: float = 1.0, queue: float = 1.0,
                  first_token: Callable[[float], float] | None = None) -> FleetLatency:
    """p99 latency (s) of `replicas` replicas offered `rate_per_s` requests/s (module doc);
    `queue` multiplies the M/M/c queue-wait quantile (`queue_factor`: 1 for Poisson);
    `first_token` (`first_token_fn`, LLMs) adds the TTFT p99, `ttft_s`."""
    n = max(1, int(replicas))
    if rate_per_s <= 0:
        s1 = svc.batch_seconds(1)
        return FleetLatency(0.0, n, 1.0, 0.0, s1 * tail, False,
                            None if first_token is None else first_token(1.0))
    B = svc.max_batch
    s_B = svc.batch_seconds(B)
    mu = available * B / s_B  # requests/s per replica at full batches: does not depend on n
    x = rate_per_s / n
    util = x * s_B / B
    if rate_per_s / mu / n >= 1.0:  # the offered load per server, as Erlang C computes it
        return FleetLatency(rate_per_s, n, float(B), util, math.inf, True,
                            None if first_token is None else math.inf)
    b = operating_batch(svc, x, rate_per_s * max_wait_s, available)
    wq = mmc_wait_quantile(n, rate_per_s, mu, 0.99) * queue
    fill = min(max_wait_s, (B - 1) / rate_per_s)
    ttft = None if first_token is None else fill + wq + first_token(b)
    return FleetLatency(rate_per_s, n, b, util, fill + wq + svc.seconds_at(b) * tail, False, ttft)


def operating_batch(svc: ServiceTime, x: float, filled: float, available: float = 1.0) -> float:
    """min(B, max(1 + filled, b_keep)): b_keep the smallest batch with a b / S(b) >= x (bisection)."""
    B = float(svc.max_batch)
    b_fill = min(B, 1.0 + filled)
    if available * B / svc.batch_seconds(svc.max_batch) <= x:
        return B
    if available / svc.batch_seconds(1) >= x:
        return b_fill
    lo, hi = 1.0, B
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        if available * mid / svc.seconds_at(mid) >= x:
            hi = mid
        else:
            lo = mid
    return max(b_fill, hi)

