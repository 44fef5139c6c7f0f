"""Service times: samplers for `service:` distributions and the performance-model adapter.

- `service:` (any model): one request alone takes a draw from constant, exponential or
  lognormal with mean `mean_ms`; a batch of b takes one draw times
  (1 + (b - 1) * per_item_ms / mean_ms), the same rule as `estimate` (econ.service).
- performance model (when the scenario names model + hardware and has no `service:`):
  non-LLMs get a table of batch seconds by batch size (dynamic batching); LLMs get a
  decode-step table by number of running sequences at the typical context, a prefill
  line (fixed + per token), and the KV-cache capacity in tokens for continuous batching.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from infercost.sim.entities import PerfTables, ServiceDist

D_CONSTANT, D_EXPONENTIAL, D_LOGNORMAL, D_TABLE = 0, 1, 2, 3
_DIST = {"constant": D_CONSTANT, "exponential": D_EXPONENTIAL, "lognormal": D_LOGNORMAL}


def pack_service(s: ServiceDist | None) -> tuple[float, float, float, float]:
    """(kind, a, b, per-item fraction): exponential a = mean; lognormal a = mu, b = sigma."""
    if s is None:
        return float(D_TABLE), 0.0, 0.0, 0.0
    kind = _DIST[s.distribution]
    if kind == D_LOGNORMAL:
        mu = math.log(s.mean_s) - s.sigma ** 2 / 2.0
        return float(kind), mu, s.sigma, s.per_item_fraction
    return float(kind), s.mean_s, 0.0, s.per_item_fraction


def pack_size(mean: float, distribution: str, sigma: float) -> tuple[float, float, float]:
    """(kind, a, b) for a size distribution, same coding as service times."""
    kind = _DIST[distribution]
    if kind == D_LOGNORMAL:
        return float(kind), math.log(mean) - sigma ** 2 / 2.0, sigma
    return float(kind), mean, 0.0


@njit(cache=True, inline="always")
def draw(kind: float, a: float, b: float) -> float:
    """One sample of a constant / exponential / lognormal value (parameters from pack_*)."""
    if kind == D_EXPONENTIAL:
        return np.random.exponential(a)
    if kind == D_LOGNORMAL:
        return np.random.lognormal(a, b)
    return a


def lognormal_sigma(mean: float, p95: float) -> float:
    """sigma of a lognormal with the given mean and 95th percentile (p95 >= mean)."""
    # p95 = exp(mu + 1.6449 s), mean = exp(mu + s^2/2)  ->  s^2/2 - 1.6449 s + ln(p95/mean) = 0
    z = 1.6448536269514722
    c = math.log(p95 / mean)
    disc = z * z - 2.0 * c
    if disc < 0:
        return z  # p95 unreachably far: the widest lognormal with this shape
    return z - math.sqrt(disc)


def perf_tables(scenario, catalog, max_batch: int) -> PerfTables:
    """Tabulate the performance model for the compiled loop (see module docstring)."""
    from infercost.perf.service import service_time

    svc = service_time(scenario, catalog)
    req = scenario.workload.request
    if not svc.is_llm:
        b_max = max(1, svc.max_batch)
        tab = np.zeros(b_max + 1)
        for b in range(1, b_max + 1):
            tab[b] = svc.batch_seconds(b)
        return PerfTables(is_llm=False, batch_s=tab)
    prof = svc.profile
    isl = int(round(req.prompt_tokens.mean)) if req.prompt_tokens else 512
    osl = int(round(req.output_tokens.mean)) if req.output_tokens else 128
    ctx = isl + osl // 2
    n_max = max(1, svc.max_batch)
    dec = np.zeros(n_max + 1)
    for n in range(1, n_max + 1):
        dec[n] = prof.decode_step_seconds(n, ctx)
    p1 = prof.prefill_seconds(1, isl)
    p2 = prof.prefill_seconds(1, 2 * isl)
    per_tok = max(0.0, (p2 - p1) / isl)
    fixed = max(0.0, p1 - per_tok * isl)
    cap = svc.memory_cap
    kv = float(cap) * (isl + osl) if cap else float("inf")
    return PerfTables(is_llm=True, decode_s=dec, prefill_fixed_s=fixed, prefill_per_token_s=per_tok,
                      kv_tokens=kv)
