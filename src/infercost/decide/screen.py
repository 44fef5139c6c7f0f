"""Vectorised analytic screen of the whole candidate grid (numpy; no Python loop per candidate).

Latency depends on the configuration, the max batch B and the replicas N, not on how the
GPU-hours are paid for, so it is computed once per (configuration, B, N) row and then
broadcast over the pricing plans. Per row, with peak rate lambda (requests/s), batch wait
W and x = lambda / N per replica, the same model as `decide.latency` (whose scalar form
is the reference; tests check they agree):

- batch time S(b): linear interpolation of the configuration's table at 1, 2, 4, ... B;
- capacity per replica mu = B / S(B) (the same for every N); overloaded when x >= mu;
- operating batch b = min(B, max(1 + lambda W, b_keep)), b_keep the smallest batch with
  b / S(b) >= x (bisection): never grows with N;
- queue wait p99: Erlang C with c = N servers of rate mu (Erlang B recurrence
  B_k = a B_{k-1} / (k + a B_{k-1}), C = B_N / (1 - rho (1 - B_N))),
  W99 = ln(C / 0.01) / (N mu - lambda) when C > 0.01, else 0, times `queue` for the
  arrival process (`decide.latency.queue_factor`: 1 for Poisson, 0 for constant arrivals
  with a constant service time);
- p99 = min(W, (B - 1) / lambda) + W99 + S(b) x tail; TTFT p99 (LLMs) = min(W, (B - 1) /
  lambda) + W99 + F(b), F the first-token time (one decode step at b plus one prompt's
  prefill, `decide.latency.first_token_fn`), interpolated like S(b).

Autoscaled bounds must also hold the SLO through the traffic's ramps (`ramp_min`): a new
replica serves only after its warm-up, so the fleet running at each minute is what the
autoscaler wanted a warm-up plus an evaluation interval earlier; the min is raised until
that fleet's load per replica stays within what meets the SLO at the peak (a step spike
with a long warm-up leaves no autoscaled bounds: a fixed fleet).

Fleets: a fixed N (paid all month: N x GPUs per replica x price per GPU-hour x 730 h), or
autoscaling bounds (min, max = N) whose cost is the time-weighted mean replicas over the
workload's traffic shape instead of N (`decide.autoscale`); both meet the SLO at the peak
with N replicas. `scale` (one float, or one per configuration) multiplies service time.
The screen runs per chunk of configurations (`screen` on a sub-grid): every step is
row-wise, so chunks give the same numbers as one pass.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from infercost.decide.autoscale import bounds, mean_replicas, want
from infercost.decide.grid import BATCHES, Grid

REPLICAS = np.array(list(range(1, 17)) + list(range(18, 33, 2)) + list(range(36, 65, 4))
                    + list(range(72, 129, 8)) + list(range(144, 257, 16)) + list(range(288, 513, 32))
                    + list(range(576, 1025, 64)), dtype=np.int64)


@dataclass(frozen=True)
class Screen:
    """One entry per candidate (arrays of equal length)."""

    config: np.ndarray  # index into grid.configs
    plan: np.ndarray  # index into grid.plans[hardware]
    max_batch: np.ndarray
    replicas: np.ndarray  # fixed N, or the autoscaling max
    min_replicas: np.ndarray  # == replicas for a fixed fleet
    mean_replicas: np.ndarray  # time-weighted (== replicas for a fixed fleet)
    mu: np.ndarray  # one replica's full-batch capacity, req/s
    p99_s: np.ndarray  # inf when overloaded
    ttft_s: np.ndarray  # nan when not an LLM
    utilization: np.ndarray  # at the peak
    monthly_accelerator: np.ndarray  # currency, float (screen only; finalists re-costed exactly)

    def __len__(self) -> int:
        return int(self.config.shape[0])


def _interp(xs: np.ndarray, ys: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise linear interpolation: xs, ys (n, L) increasing xs; b (n,)."""
    idx = np.clip((xs <= b[:, None]).sum(axis=1) - 1, 0, xs.shape[1] - 2)
    r = np.arange(b.shape[0])
    x0, x1 = xs[r, idx], xs[r, idx + 1]
    y0, y1 = ys[r, idx], ys[r, idx + 1]
    t = np.clip((b - x0) / np.maximum(x1 - x0, 1e-12), 0.0, 1.0)
    return y0 + t * (y1 - y0)


def latency_rows(grid: Grid, lam: float, wait_s: float, tail: float, scale=1.0, queue: float = 1.0):
    """(config, B, N) rows and their p99, TTFT, utilisation; `scale` multiplies service time,
    `queue` the queue-wait quantile."""
    return _rows(grid, lam, wait_s, tail, scale, queue)[:6]


def _rows(grid: Grid, lam: float, wait_s: float, tail: float, scale=1.0, queue: float = 1.0):
    """latency_rows plus each row's capacity per replica mu (req/s)."""
    scales = np.broadcast_to(np.asarray(scale, dtype=float), (len(grid.configs),))
    cfg_i, bmax, xs_rows, ys_rows, pre_rows = [], [], [], [], []
    L = len(BATCHES) + 1
    for ci, c in enumerate(grid.configs):
        xs = [b for b in BATCHES if b < c.max_batch] + [c.max_batch]
        ys = [float(c.seconds[k]) for k in range(len(xs) - 1)] + [float(c.seconds[min(len(xs) - 1, len(BATCHES) - 1)])]
        if c.max_batch not in BATCHES:  # the cap's own time: batch_seconds(top) sits at the next slot
            ys[-1] = float(c.seconds[len(xs) - 1])
        pre = ([float(c.prefill[k]) for k in range(len(xs) - 1)] + [float(c.prefill[len(xs) - 1])]
               if c.prefill is not None else [np.nan] * len(xs))
        pad = L - len(xs)
        xs_p = xs + [xs[-1] + k + 1 for k in range(pad)]
        ys_p, pre_p = ys + [ys[-1]] * pad, pre + [pre[-1]] * pad
        for B in xs:
            cfg_i.append(ci)
            bmax.append(B)
            xs_rows.append(xs_p)
            ys_rows.append(ys_p)
            pre_rows.append(pre_p)
    row_scale = np.repeat(scales[np.array(cfg_i, dtype=np.int64)], len(REPLICAS))[:, None]
    cfg_i = np.repeat(np.array(cfg_i, dtype=np.int64), len(REPLICAS))
    B = np.repeat(np.array(bmax, dtype=float), len(REPLICAS))
    XS = np.repeat(np.array(xs_rows, dtype=float), len(REPLICAS), axis=0)
    YS = np.repeat(np.array(ys_rows, dtype=float), len(REPLICAS), axis=0) * row_scale
    PRE = np.repeat(np.array(pre_rows, dtype=float), len(REPLICAS), axis=0) * row_scale
    N = np.tile(REPLICAS, len(bmax)).astype(float)

    x = lam / N
    s_B = _interp(XS, YS, B)
    over = x >= B / s_B
    b_fill = np.minimum(B, 1.0 + lam * wait_s)
    lo, hi = np.ones_like(B), B.copy()
    for _ in range(60):  # b_keep: smallest b with b / S(b) >= x
        mid = 0.5 * (lo + hi)
        fast = mid / _interp(XS, YS, mid) >= x
        hi = np.where(fast, mid, hi)
        lo = np.where(fast, lo, mid)
    s_1 = _interp(XS, YS, np.ones_like(B))
    b_keep = np.where(1.0 / s_1 >= x, 1.0, hi)
    b = np.minimum(B, np.maximum(b_fill, b_keep))
    s_b = _interp(XS, YS, b)
    mu = B / s_B
    a = lam / mu
    rho_f = a / N
    over |= rho_f >= 1.0
    # Erlang B by recurrence up to each row's N (rows past their N keep their value)
    Bk = np.ones_like(N)
    live = ~over
    nmax = int(N[live].max()) if live.any() else 0
    for k in range(1, nmax + 1):
        m = live & (N >= k)
        Bk = np.where(m, a * Bk / (k + a * Bk), Bk)
    with np.errstate(divide="ignore", invalid="ignore"):
        C = Bk / (1.0 - rho_f * (1.0 - Bk))
        wq = np.where(C > 0.01, np.log(C / 0.01) / (N * mu - lam), 0.0) * queue
    fill = np.minimum(wait_s, (B - 1.0) / lam) if lam > 0 else np.zeros_like(B)
    p99 = np.where(over, np.inf, fill + wq + s_b * tail)
    pre_b = _interp(XS, PRE, b)
    ttft = np.where(over, np.inf, fill + wq + pre_b)
    util = x / mu
    return cfg_i, B.astype(np.int64), N.astype(np.int64), p99, ttft, util, mu


def screen(grid: Grid, lam: float, wait_s: float, tail: float, scale=1.0,
           rates: np.ndarray | None = None, target: float = 0.7, slo_s: float | None = None,
           lag: int = 0, queue: float = 1.0) -> Screen:
    """Every candidate: latency rows (fixed fleets, then autoscaling bounds when `rates`,
    the traffic shape in req/s per equal slice, is not flat) x the pricing plans of each
    row's hardware. `target`: the autoscaler's utilisation target; `slo_s`: the p99 SLO,
    seconds (None: none); `lag`: slices between a rise in traffic and the replicas it
    calls for serving (warm-up plus an evaluation interval), for `ramp_min`; `queue`: the
    arrival process's queue-wait factor (`decide.latency.queue_factor`)."""
    cfg_i, B, N, p99, ttft, util, mu = _rows(grid, lam, wait_s, tail, scale, queue)
    lo, mean = N.copy(), N.astype(float)
    if rates is not None and len(rates) and float(np.max(rates)) > float(np.min(rates)) * (1 + 1e-9):
        rates = np.asarray(rates, dtype=float)
        ok = np.isfinite(p99) & (N >= 2)
        ok &= want(lam, mu, target) >= N  # the autoscaler reaches max at the peak
        need = ramp_min(rates, lam, N, p99, mu, target, slo_s, lag)
        cand = np.flatnonzero(ok)
        r, m = bounds(N[cand])
        # min raised to hold the SLO through the steepest ramp; bounds whose min reaches
        # max are fixed fleets (already rows), repeats dropped
        m = np.maximum(m, need[cand[r]])
        keep = m < N[cand[r]]
        r, m = r[keep], m[keep]
        if r.size:
            pair = np.unique(np.stack([r, m]), axis=1)
            r, m = pair[0], pair[1]
        src = cand[r]
        avg = mean_replicas(np.asarray(rates, dtype=float), mu[src], target, m.astype(float),
                            N[src].astype(float))
        cfg_i, B, N, p99, ttft, util, mu = (np.concatenate([a, a[src]])
                                            for a in (cfg_i, B, N, p99, ttft, util, mu))
        lo = np.concatenate([lo, m.astype(np.int64)])
        mean = np.concatenate([mean, avg])
    prices = [np.array([float(p.per_gpu_hour) for p in grid.plans[c.hardware]]) for c in grid.configs]
    gpus = np.array([c.gpus for c in grid.configs])
    counts = np.array([len(prices[c]) for c in cfg_i])
    rows = np.repeat(np.arange(cfg_i.shape[0]), counts)
    plan = np.concatenate([np.arange(k) for k in counts]) if counts.size else np.array([], dtype=int)
    flat_price = np.concatenate([prices[c] for c in cfg_i]) if counts.size else np.array([])
    monthly = mean[rows] * gpus[cfg_i[rows]] * flat_price * 730.0
    return Screen(cfg_i[rows], plan, B[rows], N[rows], lo[rows], mean[rows], mu[rows], p99[rows],
                  ttft[rows], util[rows], monthly)


def ramp_min(rates: np.ndarray, lam: float, N: np.ndarray, p99: np.ndarray, mu: np.ndarray,
             target: float, slo_s: float | None, lag: int) -> np.ndarray:
    """The smallest autoscaling min that holds the SLO through the traffic's ramps, per row.

    Rows come in blocks of len(REPLICAS) (one configuration and max batch, N = REPLICAS).
    A block's safe load per replica is lam / N_ok, N_ok its smallest fleet meeting the p99
    SLO at the peak (not overloaded when `slo_s` is None). A new replica serves `lag`
    slices after the rise that called for it, so at slice t the fleet runs
    max(min, want(rate[t - lag])) replicas (capped by max, whose capacity the peak check
    covers); wherever that is below rate[t] / (lam / N_ok), min must be at least
    ceil(rate[t] / (lam / N_ok)). Returns an int64 array (0: no ramp constraint; > N:
    no autoscaled bounds hold, a fixed fleet is needed)."""
    k = len(REPLICAS)
    blocks = p99.shape[0] // k
    ok = np.isfinite(p99) if slo_s is None else np.isfinite(p99) & (p99 <= slo_s)
    ok = ok.reshape(blocks, k)
    n_ok = np.where(ok.any(axis=1), REPLICAS[np.argmax(ok, axis=1)], 0).astype(float)
    mu_b = mu.reshape(blocks, k)[:, 0]
    out = np.zeros(blocks, dtype=np.int64)
    live = n_ok > 0
    if lag <= 0 or not live.any():
        return np.repeat(out, k)
    prev = np.concatenate([np.full(lag, rates[0]), rates[:-lag]])[:len(rates)]
    per = lam / n_ok[live]  # safe req/s per replica
    need = rates[None, :] / per[:, None]  # (blocks, slices) replicas the load needs
    have = want(prev[None, :], mu_b[live][:, None], target)
    short = have < need - 1e-9
    out[live] = np.ceil(np.where(short, need, 0.0).max(axis=1) - 1e-9).astype(np.int64)
    return np.repeat(out, k)


def concat(parts: list[tuple[int, Screen]]) -> Screen:
    """One Screen from chunk screens, each with the offset of its first configuration."""
    import dataclasses

    names = [f.name for f in dataclasses.fields(Screen)]
    cols = {k: np.concatenate([getattr(s, k) + (off if k == "config" else 0) for off, s in parts])
            for k in names}
    return Screen(**cols)
