"""Calibration: fit the efficiency model to a measurement file.

Three stages, each a least-squares fit in log space (relative errors):

1. Ceilings: `achieved_tflops[precision]` = the large square GEMM rows (``gemm``),
   `achieved_bw_gbps` = the copy row (``membw``, bytes read + written). Direct, no fit.
2. Matmul shape: `gemm_bw_eff` (weight streaming in skinny matmuls, as a fraction of the
   copy bandwidth) and `p_dev` (compute/memory overlap exponent) from ``gemm_skinny`` rows.
3. Model rows (prefill, decode, encoder, vision): a host multiplier per phase
   (`host_factor`, on the engine's default `t_kernel` per launch) for each phase with a
   host-revealing row (see `_free_params`), the fp32 host multiplier
   `fp32_host_factor` (when a family has both fp32 and 16-bit rows), the host/device overlap
   `p_host` (GPUs; CPUs run both on the same cores: p_host = 1), `conv_eff` (when vision
   rows exist) and `dev_scale` (device time the counted work misses). Objective: sum of log(pred/measured)^2 + 0.1 x sum of squared log
   deviations from the engine's defaults (a weak prior that keeps unidentified parameters
   at their defaults).

Optimiser: Nelder-Mead (deterministic, numpy only).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from infercost.errors import InputError
from infercost.perf.efficiency import Efficiency, smax
from infercost.perf.measurements import (
    MODEL_KINDS,
    MeasurementSet,
    dtype_key,
    read_measurements,
    resolve_hardware,
    resolve_model,
    seconds_of,
)
from infercost.perf.profile import PerfProfile

PRIOR_WEIGHT = 0.1
# a ratio identified by pairs of rows (same family, two precisions): a weak prior
PRIOR_WEIGHTS = {"fp32_host": 0.01}
HOST_REVEALING = 1.5


@dataclass
class Calibration:
    """A fitted profile: efficiency parameters, the machine, and how well it fits."""

    eff: Efficiency
    hardware: object
    units: float
    ms: MeasurementSet
    params: dict = field(default_factory=dict)
    residuals: list[dict] = field(default_factory=list)

    def report(self) -> dict:
        errs = [abs(r["rel_error"]) for r in self.residuals if r["kind"] in MODEL_KINDS]
        return {
            "file": self.ms.path, "hardware": self.hardware.id, "engine": self.eff.name,
            "params": self.params, "rows": self.residuals,
            "model_rows_median_abs_error": float(np.median(errs)) if errs else None,
            "model_rows_max_abs_error": max(errs) if errs else None,
        }


def nelder_mead(f, x0, step=0.3, iters=800, tol=1e-10):
    """Minimise f from x0 (deterministic Nelder-Mead)."""
    n = len(x0)
    pts = [np.array(x0, float)]
    for i in range(n):
        x = np.array(x0, float)
        x[i] += step
        pts.append(x)
    vals = [f(p) for p in pts]
    for _ in range(iters * max(n, 1)):
        order = np.argsort(vals)
        pts = [pts[i] for i in order]
        vals = [vals[i] for i in order]
        if abs(vals[-1] - vals[0]) < tol:
            break
        c = np.mean(pts[:-1], axis=0)
        xr = c + (c - pts[-1])
        fr = f(xr)
        if fr < vals[0]:
            xe = c + 2 * (c - pts[-1])
            fe = f(xe)
            pts[-1], vals[-1] = (xe, fe) if fe < fr else (xr, fr)
        elif fr < vals[-2]:
            pts[-1], vals[-1] = xr, fr
        else:
            xc = c + 0.5 * (pts[-1] - c)
            fc = f(xc)
            if fc < vals[-1]:
                pts[-1], vals[-1] = xc, fc
            else:
                pts = [pts[0] + 0.5 * (p - pts[0]) for p in pts]
                vals = [f(p) for p in pts]
    i = int(np.argmin(vals))
    return pts[i], vals[i]


# -- predictions for rows ------------------------------------------------------------

def predict_row(row: dict, eff: Efficiency, hw, units: float, ms: MeasurementSet, cache: dict | None = None) -> float:
    """Predicted seconds for one measurement row (any timed kind)."""
    st = predict_step(row, eff, hw, units, ms, cache)
    return st if isinstance(st, float) else st.seconds


def predict_step(row: dict, eff: Efficiency, hw, units: float, ms: MeasurementSet, cache: dict | None = None):
    """A StepTime for model rows (seconds and its host/device parts), seconds for the others."""
    from infercost.perf.precision import parse_precision
    from infercost.perf.roofline import rates_for

    kind = row["kind"]
    rates = rates_for(hw, eff, units)
    if kind == "membw":
        return 2.0 * float(row["bytes"]) / rates.bw
    if kind in ("gemm", "gemm_skinny"):
        prec = dtype_key(row.get("dtype"), "bf16")
        if kind == "gemm":
            m = k = n = float(row["n"])
        else:
            m, k, n = float(row["m"]), float(row["k"]), float(row["n"])
        eb = {"fp32": 4, "tf32": 4, "fp8": 1, "int8": 1}.get(prec, 2)
        flops = 2 * m * k * n
        weights = k * n * eb  # the (k x n) operand plays the weights
        acts = m * k * eb + m * n * (4 if prec == "int8" else max(eb, 2))
        tm = weights / (rates.bw * eff.gemm_bw_eff) + acts / rates.bw
        return smax(flops / rates.compute(prec), tm, eff.p_dev)
    cache = {} if cache is None else cache
    name = row["model"]
    if name not in cache:
        cache[name] = resolve_model(name, ms)
    model = cache[name]
    prec = parse_precision(dtype_key(row.get("dtype"), model.default_precision or "bf16"))
    prof = PerfProfile(model, prec, hw, eff, tp=1, gpus=1, units=units, engine=eff.name)
    b = int(row["batch"])
    if kind == "prefill":
        return prof.prefill_step(b, int(row["prompt_len"]))
    if kind == "decode":
        return prof.decode_step(b, float(row["context_len"]))
    if kind == "encoder":
        return prof.forward_step(b, int(row.get("seq_len") or 0))
    if kind == "vision":
        return prof.forward_step(b)
    raise InputError(f"cannot predict rows of kind {kind!r}")


def _rowkey(r: dict) -> dict:
    keep = ("kind", "model", "dtype", "batch", "prompt_len", "context_len", "seq_len", "n", "m", "k", "bytes")
    return {k: r[k] for k in keep if k in r}


def residuals(rows, eff, hw, units, ms) -> list[dict]:
    out = []
    cache: dict = {}
    for r in rows:
        meas = seconds_of(r)
        pred = predict_row(r, eff, hw, units, ms, cache)
        out.append({**_rowkey(r), "line": r.get("_line"), "measured_s": meas, "predicted_s": pred,
                    "rel_error": (pred - meas) / meas if meas else None})
    return out


# -- fitting -------------------------------------------------------------------------

def _ceilings(ms: MeasurementSet, base: Efficiency, hw, units: float) -> Efficiency:
    tflops = {}
    for r in ms.timed(("gemm",)):
        key = dtype_key(r.get("dtype"), "fp32")
        v = r.get("tflops") or r.get("tops")
        if not v:
            n = float(r["n"])
            v = 2 * n ** 3 / seconds_of(r) / 1e12
        tflops[key] = float(v) / units
    bws = [float(r.get("tb_per_s") or 2 * float(r["bytes"]) / seconds_of(r) / 1e12) * 1000 / units
           for r in ms.timed(("membw",))]
    eff = base.with_(achieved_tflops={**base.achieved_tflops, **tflops})
    if bws:
        eff = eff.with_(achieved_bw_gbps=max(bws))
    # precisions without a measured GEMM: datasheet x the measured fraction of a measured sibling
    if tflops and hw.peak_tflops:
        fr = [tflops[p] / hw.peak_tflops[p] for p in tflops if hw.peak_tflops.get(p)]
        if fr:
            eff = eff.with_(compute_eff={**eff.compute_eff, "default": float(np.median(fr))})
    return eff


def _fit_skinny(ms, eff, hw, units) -> Efficiency:
    rows = ms.timed(("gemm_skinny",))
    if not rows:
        return eff

    def build(x):
        return eff.with_(gemm_bw_eff=float(math.exp(x[0])), p_dev=1.0 + float(math.exp(x[1])))

    def obj(x):
        e = build(x)
        return sum(math.log(predict_row(r, e, hw, units, ms) / seconds_of(r)) ** 2 for r in rows)

    x, _ = nelder_mead(obj, [math.log(eff.gemm_bw_eff), math.log(max(eff.p_dev - 1.0, 0.05))], iters=300)
    return build(x)


def _free_params(rows: list[dict], eff: Efficiency, hw, units, ms) -> list[tuple[str, float]]:
    """(name, prior value in log space) of the stage-3 parameters these rows identify.

    A phase's host multiplier is free only when some row of that phase is host-revealing:
    its measured time exceeds 1.5 x the device time the model predicts for it, so the
    device alone cannot explain it. (A long prefill that is 10% slower than predicted says
    nothing about the host.)
    """
    names: list[tuple[str, float]] = []
    cache: dict = {}
    phases = sorted({r["kind"] for r in rows
                     if seconds_of(r) > HOST_REVEALING * predict_step(r, eff, hw, units, ms, cache).device})
    names += [(f"f_{p}", math.log(eff.host_factor.get(p, 1.0))) for p in phases]
    fams: dict[str, set] = {}
    for r in rows:
        fams.setdefault(r["kind"], set()).add(dtype_key(r.get("dtype"), "bf16") in ("fp32", "tf32"))
    if any(len(v) == 2 for v in fams.values()):
        names.append(("fp32_host", math.log(eff.fp32_host_factor)))
    if hw.kind != "cpu":
        names.append(("p_host", math.log(max(eff.p_host - 1.0, 0.05))))
    if any(r["kind"] == "vision" and int(r["batch"]) >= 16 for r in rows):
        names.append(("conv_eff", math.log(eff.conv_eff)))
    names.append(("dev_scale", math.log(eff.dev_scale)))
    return names


def _apply(eff: Efficiency, names, x) -> Efficiency:
    kw: dict = {}
    hf = dict(eff.host_factor)
    for (n, _), v in zip(names, x, strict=True):
        if n == "t_kernel":
            kw["t_kernel"] = math.exp(v)
        elif n.startswith("f_"):
            hf[n[2:]] = math.exp(v)
        elif n == "fp32_host":
            kw["fp32_host_factor"] = math.exp(v)
        elif n == "p_host":
            kw["p_host"] = 1.0 + math.exp(v)
        elif n == "conv_eff":
            kw["conv_eff"] = math.exp(v)
        elif n == "dev_scale":
            kw["dev_scale"] = math.exp(v)
    return eff.with_(host_factor=hf, **kw)


def fit_model_rows(rows, eff, hw, units, ms) -> tuple[Efficiency, dict]:
    """Stage 3 on `rows` (model rows only)."""
    if not rows:
        return eff, {}
    names = _free_params(rows, eff, hw, units, ms)
    prior = np.array([p for _, p in names])
    weights = np.array([PRIOR_WEIGHTS.get(n, PRIOR_WEIGHT) for n, _ in names])
    cache: dict = {}
    meas = [seconds_of(r) for r in rows]

    def obj(x):
        e = _apply(eff, names, x)
        res = sum(math.log(predict_row(r, e, hw, units, ms, cache) / m) ** 2 for r, m in zip(rows, meas, strict=True))
        return res + float(np.sum(weights * (np.asarray(x) - prior) ** 2))

    x, _ = nelder_mead(obj, prior, iters=250)
    out = _apply(eff, names, x)
    return out, {n: float(math.exp(v)) + (1.0 if n == "p_host" else 0.0) for (n, _), v in zip(names, x, strict=True)}


def calibrate(ms: MeasurementSet, base: str = "hf-eager", *, exclude_lines: set[int] | None = None,
              only_lines: set[int] | None = None) -> Calibration:
    """Fit an Efficiency for the machine and engine of `ms`.

    `exclude_lines` leaves model rows out of the fit (leave-one-out); `only_lines`, when
    given, fits stage 3 on those model rows only (an anchor split).
    """
    from infercost.perf.engines import ALIASES, ENGINES, prior_engine

    hw, units = resolve_hardware(ms)
    name = str(base).partition("@")[0]
    b = prior_engine(base if (name in ENGINES or name in ALIASES) else "hf-eager", hw.kind)
    eff = _ceilings(ms, b, hw, units)
    eff = _fit_skinny(ms, eff, hw, units)
    rows = ms.timed(MODEL_KINDS)
    if exclude_lines:
        rows = [r for r in rows if r["_line"] not in exclude_lines]
    if only_lines is not None:
        rows = [r for r in rows if r["_line"] in only_lines]
    eff, params = fit_model_rows(rows, eff, hw, units, ms)
    eff = eff.with_(name=f"calibrated:{Path(ms.path).name}",
                    sources={**eff.sources, "calibration": f"fitted to {ms.path}"})
    params = {"achieved_tflops": eff.achieved_tflops, "achieved_bw_gbps": eff.achieved_bw_gbps,
              "gemm_bw_eff": eff.gemm_bw_eff, "p_dev": eff.p_dev, **params,
              "units": units}
    cal = Calibration(eff, hw, units, ms, params)
    cal.residuals = residuals(ms.timed(), eff, hw, units, ms)
    return cal


def fit_file(path: str | Path, base: str = "hf-eager") -> Calibration:
    return calibrate(read_measurements(path), base)


def leave_one_out(ms: MeasurementSet, base: str = "hf-eager") -> list[dict]:
    """For each model row: refit without it, predict it. Returns one result row each."""
    out = []
    for r in ms.timed(MODEL_KINDS):
        cal = calibrate(ms, base, exclude_lines={r["_line"]})
        pred = predict_row(r, cal.eff, cal.hardware, cal.units, ms)
        meas = seconds_of(r)
        out.append({**_rowkey(r), "line": r["_line"], "measured_s": meas, "predicted_s": pred,
                    "rel_error": (pred - meas) / meas})
    return out
